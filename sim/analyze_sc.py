"""``stochhw analyze`` topics of the stochastic-computing datapath and SC-ANN experiments (``sc``).

:data:`TOPICS` joins :data:`sim.analyze.TOPICS`. Keep imports of heavy modules inside the
topic functions: the CLI imports this module to build its parser.
"""

__all__ = ["TOPICS"]

#: :class:`sim.topic.Topic` entries of this module.
TOPICS = ()
