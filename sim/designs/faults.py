"""Registry entries and resource comparisons of low-voltage SRAM fault injection (faulty_sram).

:data:`DESIGNS` joins :data:`stochhw.sim.designs.REGISTRY`; :data:`COMPARISONS` joins
:data:`stochhw.sim.designs.COMPARISONS`.
"""

from stochhw.hw.faulty_sram import FaultySRAM
from stochhw.hw.sram import SRAM
from stochhw.models.faulty_sram import FaultySRAMModel, FaultySRAMSpec
from stochhw.models.sram import SRAMModel, SRAMSpec
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.design import Design

__all__ = ["DESIGNS", "COMPARISONS", "FAULTY_SRAM_COMPARISON"]

#: :class:`stochhw.sim.core.design.Design` entries of this topic.
DESIGNS = (
    Design(
        name="faulty_sram",
        summary="SRAM below Vmin: seeded or profiled bit faults on reads, nested across level",
        component=FaultySRAM, model=FaultySRAMModel,
        spec=FaultySRAMSpec,
        latency=lambda p: 1,
        regress_cases=(
            # Non-power-of-two depth (out-of-range addresses), narrow words, all of level's
            # 16 values: faults from none to 15/16 of the cells.
            {"depth": 40, "width": 24, "level_bits": 4, "mode": "flip", "seed": 7},
            # Stuck cells, biased to 1, in weak columns, intermittent, 2 address characters.
            {"depth": 128, "width": 64, "level_bits": 8, "mode": "stuck", "pattern": "column",
             "p01": 0.75, "p_err": 0.5, "seed": 2026},
            # A profiled map with fail levels 1..63 in both directions (made by
            # testbench/profiles/make_example.py).
            {"depth": 48, "width": 16, "level_bits": 6,
             "profile": "testbench/profiles/chip_48x16.json"},
        ),
        # Reads and writes in about half the cycles each, as the defaults give.
        stimulus_hints={"densities": {"w_en": 0.5, "r_en": 0.5}},
    ),
    Design(
        name="sram",
        summary="plain synchronous SRAM: the baseline of faulty_sram",
        component=SRAM, model=SRAMModel,
        spec=SRAMSpec,
        latency=lambda p: 1,
        regress_cases=({"depth": 20, "width": 16},),
    ),
)

#: The injector's cost: a plain SRAM against the same SRAM with the seeded fault injector
#: (flip faults, random pattern, persistent, level_bits 12), 64-bit words, over depth. The
#: data array is the same memory on both sides; the injector is the tabulation hash of the
#: read address (one table per 6 address bits), the per-bit comparison with ``level`` and
#: the error XOR, so its LUTs grow with the number of address characters, not with depth.
FAULTY_SRAM_COMPARISON = Comparison(
    name="faulty_sram_cost",
    title="Low-voltage SRAM emulation: plain SRAM vs. SRAM with the seeded bit-fault injector (64-bit words)",
    baseline=Side("plain SRAM", "sram", {"width": 64}),
    candidate=Side("SRAM + fault injector", "faulty_sram",
                   {"width": 64, "level_bits": 12, "mode": "flip", "pattern": "random",
                    "p_err": 1.0}),
    sweep="depth",
    # 4096 words add nothing new (the injector does not grow with depth) and take a quarter
    # of an hour of Xilinx synthesis.
    values=(64, 512),
)

#: :class:`stochhw.sim.core.comparison.Comparison` entries of this topic.
COMPARISONS = (FAULTY_SRAM_COMPARISON,)
