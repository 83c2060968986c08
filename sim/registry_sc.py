"""Registry entries and resource comparisons of the stochastic-computing datapath (sng, smtj, multipliers, counters, sigmoid, neuron).

:data:`DESIGNS` joins :data:`sim.registry.REGISTRY`; :data:`COMPARISONS` joins
:data:`sim.compare.COMPARISONS`.
"""

__all__ = ["DESIGNS", "COMPARISONS"]

#: :class:`sim.design.Design` entries of this topic.
DESIGNS = ()

#: :class:`sim.comparison.Comparison` entries of this topic.
COMPARISONS = ()
