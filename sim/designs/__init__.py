# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""The design registry: every design and every resource comparison, one module per topic.

Every flow (``generate``, ``regress``, ``synth``, ``compare``, ``report``, the Amaranth-simulator
tests and the cocotb testbench) looks designs up here and nowhere else. Each topic module
(:mod:`~stochhw.sim.designs.rounding`, :mod:`~stochhw.sim.designs.extraction`,
:mod:`~stochhw.sim.designs.faults`, :mod:`~stochhw.sim.designs.sc`,
:mod:`~stochhw.sim.designs.tile`) declares its ``DESIGNS`` and ``COMPARISONS``; they are
gathered into :data:`REGISTRY` and :data:`COMPARISONS`, in that order.

May import :mod:`stochhw.sim.core`, :mod:`stochhw.hw` and :mod:`stochhw.models`.
"""

from stochhw.models.checks import ParameterError
from stochhw.sim.core.design import UnknownDesign
from stochhw.sim.designs import extraction, faults, rounding, sc, tile

__all__ = ["REGISTRY", "COMPARISONS", "get_design", "get_comparison", "UnknownDesign"]

_TOPICS = (rounding, extraction, faults, sc, tile)

#: Every design by name, topic after topic.
REGISTRY = {d.name: d for topic in _TOPICS for d in topic.DESIGNS}

#: Every comparison by name, topic after topic.
COMPARISONS = {c.name: c for topic in _TOPICS for c in topic.COMPARISONS}


def get_design(name):
    """The registered design called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDesign(f"unknown design {name!r} (known: {', '.join(REGISTRY)})") from None


def get_comparison(name):
    """The comparison called ``name``."""
    try:
        return COMPARISONS[name]
    except KeyError:
        raise ParameterError(f"unknown comparison {name!r} (known: {', '.join(COMPARISONS)})") from None
