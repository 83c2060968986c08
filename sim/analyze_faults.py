"""``stochhw analyze`` topics of low-voltage SRAM faults (``faults``) and bit-error robustness of quantized weights (``robustness``).

:data:`TOPICS` joins :data:`sim.analyze.TOPICS`. Keep imports of heavy modules inside the
topic functions: the CLI imports this module to build its parser.
"""

from .fault_analysis import TOPIC as _FAULTS
from .robustness import TOPIC as _ROBUSTNESS

__all__ = ["TOPICS"]

#: :class:`sim.topic.Topic` entries of this module.
TOPICS = (_FAULTS, _ROBUSTNESS)
