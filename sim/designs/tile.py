"""Registry entries and resource comparisons of the training tile (train_tile).

:data:`DESIGNS` joins :data:`stochhw.sim.designs.REGISTRY`; :data:`COMPARISONS` joins
:data:`stochhw.sim.designs.COMPARISONS`.
"""

from stochhw.hw.train_tile import TrainTile
from stochhw.models.train_tile import TrainTileModel, TrainTileSpec
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.design import Design
from stochhw.sim.core.targets import FAMILIES

__all__ = ["TRAIN_TILE", "TILE_COMPARISON", "DESIGNS", "COMPARISONS"]


def _columns(params):
    """Effective column count (``cols=0`` is a square tile)."""
    return TrainTileSpec(**params).columns


TRAIN_TILE = Design(
    name="train_tile",
    summary="training tile: systolic 8x8-bit MAC array (16-bit acc) + stochastic rounding to 8 bits",
    component=TrainTile, model=TrainTileModel,
    spec=TrainTileSpec,
    # PE(0, 0): operand register, accumulator, rounding register; PE(i, j) adds i + j.
    latency=lambda p: 3,
    port_lanes={"a": "rows", "b": _columns, "y": lambda p: TrainTileSpec(**p).lanes},
    signed_ports=("a", "b", "y"),
    regress_cases=(
        {"rows": 2, "cols": 2, "rounding": "lfsr"},
        {"rows": 3, "cols": 4, "rounding": "generator_free"},
        {"rows": 2, "cols": 3, "rounding": "generator_free", "routing": "runtime", "seed": 7},
    ),
    # Clear about once in 32 steps with 3 in 4 steps accumulating, so sums build up over
    # tens of cycles (and wrap); routing writes in one cycle of 8, as for gf_rounding.
    stimulus_hints={"densities": {"clr": 1 / 32, "en": 0.75, "cfg_en": 0.125}},
)

#: The whole-tile cost of the RNG array: the same square tile with LFSR rounding and with
#: generator-free rounding (static routing), 8 x 8-bit MACs into 16-bit accumulators, rounded
#: to 8 bits. The savings are of the whole tile, multipliers and accumulators included.
#: Multipliers map to DSP blocks on xilinx (DSP48E1) and ecp5 (MULT18X18D), to LUTs on ice40
#: (synth_ice40 without -dsp). The sweep stops at 8 x 8: a 16 x 16 tile took 13 and 20 minutes
#: of Yosys (the two sides) on ice40 alone, where its 256 multipliers are LUTs (measured on a
#: busy 2-core machine), too long for `make demo`.
#: iCE40 and ECP5 points are also placed and routed (default devices of :mod:`stochhw.sim.flows.pnr`); an
#: 8 x 8 tile has more LUTs than the largest iCE40 and is reported as not fitting.
TILE_COMPARISON = Comparison(
    name="train_tile",
    title="Training tile (rows x rows MAC PEs): LFSR rounding vs. generator-free rounding",
    baseline=Side("LFSR RNG array", "train_tile", {"cols": 0, "rounding": "lfsr"}),
    candidate=Side("generator-free, static routing", "train_tile",
                   {"cols": 0, "rounding": "generator_free", "routing": "static"}),
    sweep="rows",
    values=(2, 4, 8),
    families=FAMILIES,
    pnr=True,
)

#: :class:`stochhw.sim.core.design.Design` entries of this topic.
DESIGNS = (TRAIN_TILE,)

#: :class:`stochhw.sim.core.comparison.Comparison` entries of this topic.
COMPARISONS = (TILE_COMPARISON,)
