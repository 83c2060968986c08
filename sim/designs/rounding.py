# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""Registry entries and the headline comparison of stochastic rounding: LFSRs and SRUs.

:data:`DESIGNS` and :data:`COMPARISONS` join :data:`stochhw.sim.designs.REGISTRY` and
:data:`stochhw.sim.designs.COMPARISONS`.
"""

from stochhw.hw.lfsr import LFSR
from stochhw.hw.sru import SRULFSR, SRUFree
from stochhw.hw.sru_array import SRUArray
from stochhw.models.lfsr import LFSRModel, LFSRSpec
from stochhw.models.sru import (
    SRUArrayModel,
    SRUArraySpec,
    SRUFreeModel,
    SRUFreeSpec,
    SRULFSRModel,
    SRULFSRSpec,
)
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.design import Design
from stochhw.sim.core.targets import FAMILIES

__all__ = ["DESIGNS", "COMPARISONS", "SRU_COMPARISON", "SRU_RNG8_COMPARISON"]

#: :class:`stochhw.sim.core.design.Design` entries of this topic.
DESIGNS = (
    Design(
        name="lfsr",
        summary="maximal-length LFSR, Galois or Fibonacci",
        component=LFSR, model=LFSRModel,
        spec=LFSRSpec,
        latency=lambda p: 1,
        regress_cases=(
            {"width": 16, "form": "galois"},
            {"width": 16, "form": "fibonacci"},
            {"width": 5, "form": "fibonacci", "seed": 7},
            {"width": 32, "form": "galois", "seed": 0xDEADBEEF},
            {"width": 12, "form": "galois", "taps": (12, 11, 10, 4)},
        ),
    ),
    Design(
        name="sru_lfsr",
        summary="stochastic rounding unit with its own LFSR (conventional)",
        component=SRULFSR, model=SRULFSRModel,
        spec=SRULFSRSpec,
        latency=lambda p: 1,
        signed_ports=("x", "y"),
        regress_cases=(
            {},
            {"lfsr_width": 8, "seed": 0x5A},
            {"in_width": 12, "out_width": 4, "lfsr_width": 9, "saturate": False},
        ),
    ),
    Design(
        name="sru_free",
        summary="generator-free stochastic rounding unit (random number on a port)",
        component=SRUFree, model=SRUFreeModel,
        spec=SRUFreeSpec,
        latency=lambda p: 1,
        signed_ports=("x", "y"),
        regress_cases=(
            {},
            {"saturate": False},
            {"in_width": 24, "out_width": 9},
        ),
    ),
    Design(
        name="sru_array",
        summary="N stochastic rounding lanes; per-lane LFSRs or an external random bus",
        component=SRUArray, model=SRUArrayModel,
        spec=SRUArraySpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("x", "rnd", "y"),
        signed_ports=("x", "y"),
        regress_cases=(
            {"lanes": 1, "source": "lfsr"},
            {"lanes": 4, "source": "external"},
            {"lanes": 16, "source": "lfsr", "seed": 2026},
            {"lanes": 16, "source": "external", "saturate": False},
            {"lanes": 64, "source": "external"},
        ),
    ),
)

#: The headline comparison: a conventional SRU array, one LFSR per lane, against the
#: generator-free array fed by an external random bus; 16 -> 8 bits (the registry defaults).
#: Placed and routed too: the 256-lane point does not fit an iCE40 (refused from the synthesis
#: counts in a second) and is the slowest ECP5 layout of the project (minutes per side).
SRU_COMPARISON = Comparison(
    name="sru_lanes",
    title="Stochastic rounding array: per-lane LFSRs vs. generator-free (16 -> 8 bits)",
    baseline=Side("LFSR RNG array", "sru_array", {"source": "lfsr"}),
    candidate=Side("generator-free", "sru_array", {"source": "external"}),
    sweep="lanes",
    values=(1, 4, 16, 64, 256),
    families=FAMILIES,
    pnr=True,
)

#: The same comparison with the paper's RNG: its Fig. 1 SRU rounds with an 8-bit RNG, so here
#: each lane of the baseline has an 8-bit LFSR (k = 8: the LFSR is exactly as wide as the random
#: number). The candidate is :data:`SRU_COMPARISON`'s, so its results up to 64 lanes come from
#: the cache. The sweep stops at 128 lanes: an 8-bit LFSR has 255 nonzero seeds, and every lane
#: needs its own.
SRU_RNG8_COMPARISON = Comparison(
    name="sru_lanes_rng8",
    title="Stochastic rounding array: per-lane 8-bit LFSRs (the paper's SRU) vs. generator-free (16 -> 8 bits)",
    baseline=Side("8-bit LFSR RNG array", "sru_array", {"source": "lfsr", "lfsr_width": 8}),
    candidate=Side("generator-free", "sru_array", {"source": "external"}),
    sweep="lanes",
    values=(1, 4, 16, 64, 128),
    families=FAMILIES,
    pnr=True,
)

#: The comparisons of this topic.
COMPARISONS = (SRU_COMPARISON, SRU_RNG8_COMPARISON)
