"""Formal properties of every registered design, one module per topic.

Each topic module (:mod:`~stochhw.sim.proofs.rounding`, :mod:`~stochhw.sim.proofs.extraction`,
:mod:`~stochhw.sim.proofs.faults`, :mod:`~stochhw.sim.proofs.sc`, :mod:`~stochhw.sim.proofs.tile`)
declares a ``PROOFS`` tuple of :class:`stochhw.sim.flows.formal.Proof`; a new design adds its
properties there and nowhere else. They are gathered into :data:`PROOFS`;
:mod:`stochhw.sim.campaigns.prove` runs them (``stochhw prove``, ``make prove``).

May import :mod:`stochhw.sim.flows` and the layers below.
"""

from stochhw.sim.designs import get_design
from stochhw.sim.proofs import extraction, faults, rounding, sc, tile

__all__ = ["PROOFS", "proofs_for"]

#: Every proof, topic after topic.
PROOFS = (*rounding.PROOFS, *extraction.PROOFS, *faults.PROOFS, *sc.PROOFS, *tile.PROOFS)


def proofs_for(design_name):
    """The proofs of ``design_name`` (empty if it has none); :class:`stochhw.sim.core.design.UnknownDesign`
    if no design has that name."""
    get_design(design_name)                  # UnknownDesign for a name that is not registered
    return [p for p in PROOFS if p.design == design_name]
