# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""The design registry: one entry per design, tying hardware, model, stimulus and tests together.

Every flow (``generate``, ``regress``, ``synth``, ``compare``, ``report``, the Amaranth-simulator
tests and the cocotb testbench) looks designs up here and nowhere else. Adding a design means
adding a component in ``hw/``, a model in ``models/`` and one :class:`~sim.design.Design` entry,
here for the rounding and extraction designs, or in the topic module it belongs to
(``registry_faults``, ``registry_sc``, ``registry_tile``), whose ``DESIGNS`` (and ``COMPARISONS``)
are gathered here and in :mod:`sim.compare`.
"""

from hw.gf_rounding import GFRounding
from hw.lfsr import LFSR
from hw.lsb_extractor import LSBExtractor
from hw.pixel_extractor import PixelExtractor
from hw.sru import SRUFree, SRULFSR
from hw.sru_array import SRUArray
from models.extractor import METHODS, ROUTINGS, SOURCE_BUSES, GFRoundingModel, LSBExtractorModel
from models.lfsr import FORMS, LFSRModel
from models.pixel import DISTRIBUTIONS, PixelExtractorModel
from models.sru import SOURCES, SRUArrayModel, SRUFreeModel, SRULFSRModel

from . import registry_faults, registry_sc, registry_tile
from .design import Design, Param, Port, UnknownDesign

__all__ = ["Param", "Port", "Design", "REGISTRY", "get_design", "UnknownDesign"]


_CORE_DESIGNS = [
    Design(
        name="lfsr",
        summary="maximal-length LFSR, Galois or Fibonacci",
        component=LFSR, model=LFSRModel,
        params=(
            Param("width", "int", 16, "state width, 2..32"),
            Param("form", "choice", "galois", "feedback structure", FORMS),
            Param("seed", "int", 1, "reset state, 1..2^width-1"),
            Param("taps", "ints", None, "XAPP052 tap list (must be primitive); default: table"),
        ),
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
        params=(
            Param("in_width", "int", 16, "signed input width"),
            Param("out_width", "int", 8, "signed output width (< in_width)"),
            Param("lfsr_width", "int", 16, "LFSR width, >= k = in_width - out_width"),
            Param("seed", "int", 1, "LFSR seed, nonzero"),
            Param("saturate", "bool", True, "clamp (1) or wrap (0) on overflow"),
        ),
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
        params=(
            Param("in_width", "int", 16, "signed input width"),
            Param("out_width", "int", 8, "signed output width (< in_width)"),
            Param("saturate", "bool", True, "clamp (1) or wrap (0) on overflow"),
        ),
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
        params=(
            Param("lanes", "int", 16, "number of lanes, 1..4096"),
            Param("source", "choice", "lfsr", "random source: per-lane LFSRs or the rnd port", SOURCES),
            Param("seed", "int", 1, "master seed; lane seeds derived by SplitMix64"),
            Param("in_width", "int", 16, "signed input width per lane"),
            Param("out_width", "int", 8, "signed output width per lane"),
            Param("lfsr_width", "int", 16, "LFSR width (source=lfsr), >= k"),
            Param("saturate", "bool", True, "clamp (1) or wrap (0) on overflow"),
        ),
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
    Design(
        name="lsb_extractor",
        summary="generator-free random numbers from the LSBs of source words (static or runtime routing)",
        component=LSBExtractor, model=LSBExtractorModel,
        params=(
            Param("sources", "int", 128, "source words on src, 1..4096"),
            Param("src_width", "int", 16, "bits per source word, 1..64"),
            Param("lanes", "int", 16, "output numbers, 1..4096"),
            Param("bits", "int", 8, "bits k per number, 1..32"),
            Param("method", "choice", "multi_lsb",
                  "multi_lsb: LSBs of k words; direct: k low bits of one word", METHODS),
            Param("routing", "choice", "static",
                  "static: seeded wiring; runtime: select registers on cfg_*", ROUTINGS),
            Param("mapping", "ints", None, "permutation of 0..2^bits-1 applied to each number; none"),
            Param("seed", "int", 1, "seed of the static assignment, 0..2^64-1"),
            Param("reuse", "bool", False, "allow one source bit to feed several bits (wrap around)"),
        ),
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
        params=(
            Param("lanes", "int", 16, "pixel locations used (<= 29 with dataset thresholds)"),
            Param("bits", "int", 3, "bits n per number: 2^n-1 thresholds per lane, 1..8"),
            Param("pixel_width", "int", 8, "pixel bits, 1..16"),
            Param("distribution", "choice", "uniform", "target distribution of the numbers",
                  DISTRIBUTIONS),
            Param("sigma", "float", 1 / 3, "gauss: standard deviation on [-1, 1]"),
            Param("alpha", "float", 2.0, "beta: shape alpha"),
            Param("beta", "float", 2.0, "beta: shape beta"),
            Param("thresholds", "path", None, ".json/.npy (lanes, 2^bits-1) instead of the dataset"),
        ),
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
        params=(
            Param("lanes", "int", 16, "number of lanes, 1..4096 (>= 2 on source_bus=x)"),
            Param("in_width", "int", 16, "signed input width per lane"),
            Param("out_width", "int", 8, "signed output width per lane; k = in_width - out_width"),
            Param("saturate", "bool", True, "clamp (1) or wrap (0) on overflow"),
            Param("method", "choice", "multi_lsb",
                  "multi_lsb: LSBs of k words; direct: k low bits of one word", METHODS),
            Param("routing", "choice", "static",
                  "static: seeded wiring; runtime: select registers on cfg_*", ROUTINGS),
            Param("mapping", "ints", None, "permutation of 0..2^k-1 applied to each number; none"),
            Param("seed", "int", 1, "seed of the static assignment, 0..2^64-1"),
            Param("reuse", "bool", True, "allow one source bit to feed several bits (needed "
                                         "for multi_lsb on the x bus)"),
            Param("source_bus", "choice", "x", "source words: the x lanes or a src port",
                  SOURCE_BUSES),
            Param("sources", "int", 64, "source words on src (source_bus=port)"),
            Param("src_width", "int", 16, "bits per source word (source_bus=port)"),
        ),
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
]

#: Every design by name: the core designs above, then each topic module's.
REGISTRY = {d.name: d for d in [*_CORE_DESIGNS, *registry_faults.DESIGNS, *registry_sc.DESIGNS,
                                *registry_tile.DESIGNS]}


def get_design(name):
    """The registered design called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDesign(f"unknown design {name!r} (known: {', '.join(REGISTRY)})") from None
