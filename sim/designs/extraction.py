# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""Registry entries and comparisons of generator-free random numbers: extractors and gf_rounding.

:data:`DESIGNS` and :data:`COMPARISONS` join :data:`stochhw.sim.designs.REGISTRY` and
:data:`stochhw.sim.designs.COMPARISONS`.
"""

from stochhw.hw.gf_rounding import GFRounding
from stochhw.hw.lsb_extractor import LSBExtractor
from stochhw.hw.pixel_extractor import PixelExtractor
from stochhw.models.extractor import GFRoundingModel, GFRoundingSpec, LSBExtractorModel, LSBExtractorSpec
from stochhw.models.pixel import PixelExtractorModel, PixelExtractorSpec
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.design import Design
from stochhw.sim.core.targets import FAMILIES

__all__ = ["DESIGNS", "COMPARISONS", "GF_STATIC_COMPARISON", "GF_RUNTIME_COMPARISON"]

#: :class:`stochhw.sim.core.design.Design` entries of this topic.
DESIGNS = (
    Design(
        name="lsb_extractor",
        summary="generator-free random numbers from the LSBs of source words (static or runtime routing)",
        component=LSBExtractor, model=LSBExtractorModel,
        spec=LSBExtractorSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("rnd",),
        port_lanes={"src": "sources"},
        regress_cases=(
            {"sources": 16, "lanes": 4, "bits": 4},
            {"sources": 10, "src_width": 8, "lanes": 5, "bits": 3, "method": "direct", "seed": 7,
             "mapping": (3, 1, 2, 7, 4, 6, 5, 0)},
            {"sources": 6, "src_width": 4, "lanes": 3, "bits": 5, "reuse": True, "seed": 42},
            {"sources": 32, "src_width": 1, "lanes": 4, "bits": 8, "seed": 2026},
            {"sources": 12, "src_width": 4, "lanes": 2, "bits": 5, "routing": "runtime"},
            {"sources": 5, "src_width": 6, "lanes": 3, "bits": 4, "method": "direct",
             "routing": "runtime", "mapping": (9, 2, 14, 0, 7, 11, 4, 15, 1, 12, 6, 3, 10, 13, 8, 5)},
            {"sources": 4, "src_width": 2, "lanes": 3, "bits": 3, "routing": "runtime", "reuse": True},
            {"sources": 3, "src_width": 3, "lanes": 4, "bits": 2, "method": "direct",
             "routing": "runtime", "reuse": True},
        ),
        # Configuration writes in one cycle of 8: the routing holds for a few cycles at a time.
        stimulus_hints={"densities": {"cfg_en": 0.125}},
    ),
    Design(
        name="pixel_extractor",
        summary="n-bit random numbers from pixels by per-location thresholds (8x8 digits)",
        component=PixelExtractor, model=PixelExtractorModel,
        spec=PixelExtractorSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("px", "rnd"),
        regress_cases=(
            {},
            {"distribution": "gauss", "sigma": 0.333, "bits": 2, "lanes": 8},
            {"distribution": "beta", "alpha": 2.0, "beta": 5.0, "bits": 4, "lanes": 12},
            {"pixel_width": 5, "bits": 1, "lanes": 3, "distribution": "gauss", "sigma": 0.5},
        ),
    ),
    Design(
        name="gf_rounding",
        summary="generator-free stochastic rounding: lsb_extractor feeding sru_array (external)",
        component=GFRounding, model=GFRoundingModel,
        spec=GFRoundingSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("x", "y"),
        port_lanes={"src": "sources"},
        signed_ports=("x", "y"),
        regress_cases=(
            {"lanes": 8},
            {"lanes": 4, "method": "direct", "reuse": False, "seed": 3},
            {"lanes": 3, "in_width": 8, "out_width": 5, "routing": "runtime"},
            {"lanes": 2, "in_width": 8, "out_width": 4, "source_bus": "port", "sources": 8,
             "src_width": 4, "reuse": False, "routing": "runtime"},
            {"lanes": 4, "in_width": 6, "out_width": 3, "method": "direct", "reuse": False,
             "saturate": False, "mapping": (5, 0, 3, 6, 1, 7, 2, 4)},
            {"lanes": 5, "in_width": 7, "out_width": 6, "reuse": False},
            {"lanes": 4, "source_bus": "port", "sources": 6, "src_width": 12, "method": "direct",
             "routing": "runtime", "reuse": False},
        ),
        stimulus_hints={"densities": {"cfg_en": 0.125}},
    ),
)

#: Generator-free rounding (``gf_rounding``: random numbers extracted from the array's own x
#: bus) against the conventional array at equal lanes, 16 -> 8 bits (k = 8). Both use the
#: paper's Method #2 (``multi_lsb``). On its own x bus the array has only ``lanes`` LSBs for
#: ``lanes * 8`` bits, so ``reuse=1`` (every LSB feeds 8 bits of 8 different lanes, never its
#: own: see :class:`stochhw.models.extractor.GFRoundingModel`); below 9 lanes a lane necessarily
#: repeats words, so the 2- and 4-lane points measure cost, not a recommended configuration.
#: Static routing is wiring only; runtime routing adds the ``lanes * 8`` select registers
#: and their ``lanes``-to-1 multiplexers, a cost that grows as lanes^2 (about 30k iCE40 LUTs
#: and two minutes of synthesis per family at 64 lanes), so its sweep stops at 32.
_GF_BASE = Side("LFSR RNG array", "sru_array", {"source": "lfsr"})
_GF_PARAMS = {"method": "multi_lsb", "reuse": True, "source_bus": "x"}

GF_STATIC_COMPARISON = Comparison(
    name="gf_rounding_static",
    title="Stochastic rounding array: per-lane LFSRs vs. LSBs of its own inputs, static routing (16 -> 8 bits)",
    baseline=_GF_BASE,
    candidate=Side("generator-free, static routing", "gf_rounding", {**_GF_PARAMS, "routing": "static"}),
    sweep="lanes",
    values=(2, 4, 16, 64),
    families=FAMILIES,
)

GF_RUNTIME_COMPARISON = Comparison(
    name="gf_rounding_runtime",
    title="Stochastic rounding array: per-lane LFSRs vs. LSBs of its own inputs, runtime routing (16 -> 8 bits)",
    baseline=_GF_BASE,
    candidate=Side("generator-free, runtime routing", "gf_rounding", {**_GF_PARAMS, "routing": "runtime"}),
    sweep="lanes",
    values=(2, 4, 16, 32),
    families=FAMILIES,
)

#: The comparisons of this topic.
COMPARISONS = (GF_STATIC_COMPARISON, GF_RUNTIME_COMPARISON)
