"""``stochhw analyze`` topics of low-voltage SRAM faults (``faults``) and bit-error robustness of quantized weights (``robustness``).

:data:`TOPICS` joins :data:`sim.analyze.TOPICS`. Keep imports of heavy modules inside the
topic functions: the CLI imports this module to build its parser.
"""

__all__ = ["TOPICS"]

#: :class:`sim.topic.Topic` entries of this module.
TOPICS = ()
