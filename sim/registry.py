# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""The design registry: one entry per design, tying hardware, model, stimulus and tests together.

Every flow (``generate``, ``regress``, ``synth``, ``compare``, ``report``, the Amaranth-simulator
tests and the cocotb testbench) looks designs up here and nowhere else. Adding a design means
adding a component in ``hw/``, a model in ``models/`` and one :class:`Design` entry below.
"""

import dataclasses
from typing import Callable

from amaranth import Shape
from amaranth.lib import wiring

from hw.gf_rounding import GFRounding
from hw.lfsr import LFSR
from hw.lsb_extractor import LSBExtractor
from hw.pixel_extractor import PixelExtractor
from hw.sru import SRUFree, SRULFSR
from hw.sru_array import SRUArray
from models.checks import ParameterError
from models.extractor import METHODS, ROUTINGS, SOURCE_BUSES, GFRoundingModel, LSBExtractorModel
from models.lfsr import FORMS, LFSRModel
from models.pixel import DISTRIBUTIONS, PixelExtractorModel
from models.sru import SOURCES, SRUArrayModel, SRUFreeModel, SRULFSRModel

__all__ = ["Param", "Port", "Design", "REGISTRY", "get_design", "UnknownDesign"]


class UnknownDesign(ParameterError):
    """The name is not a registered design."""


@dataclasses.dataclass(frozen=True)
class Param:
    """One design parameter.

    ``kind`` decides how text from the command line is parsed: ``int``, ``bool``, ``choice``
    (one of ``choices``), ``ints`` (a comma-separated list, or ``none`` for None), ``float``
    or ``path`` (a file path, or ``none`` for None). Range checks are the component's own (it
    raises :class:`ParameterError` naming the parameter).
    """
    name: str
    kind: str
    default: object
    doc: str
    choices: tuple = ()

    def parse(self, text):
        """Convert command-line text to the parameter's Python value."""
        text = text.strip()
        if text == "":
            raise ParameterError(f"{self.name} is empty; give a value")
        if self.kind == "int":
            try:
                return int(text, 0)
            except ValueError:
                raise ParameterError(f"{self.name} must be an integer, not {text!r}") from None
        if self.kind == "bool":
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ParameterError(f"{self.name} must be a boolean (0/1, true/false), not {text!r}")
        if self.kind == "choice":
            if text not in self.choices:
                raise ParameterError(f"{self.name} must be one of {', '.join(self.choices)}; not {text!r}")
            return text
        if self.kind == "ints":
            if text.lower() == "none":
                return None
            try:
                return tuple(int(t, 0) for t in text.split(","))
            except ValueError:
                raise ParameterError(f"{self.name} must be a comma-separated list of integers, not {text!r}") from None
        if self.kind == "float":
            try:
                return float(text)
            except ValueError:
                raise ParameterError(f"{self.name} must be a number, not {text!r}") from None
        if self.kind == "path":
            return None if text.lower() == "none" else text
        raise AssertionError(f"unknown parameter kind {self.kind!r}")

    def describe(self):
        """Human-readable domain, for ``stochhw list``."""
        if self.kind == "choice":
            return "|".join(self.choices)
        return {"int": "integer", "bool": "0|1", "ints": "list of integers", "float": "number",
                "path": "file path|none"}[self.kind]


@dataclasses.dataclass(frozen=True)
class Port:
    """A top-level port as the flows see it: a flat bus of ``lanes`` lanes of ``lane_width`` bits."""
    name: str
    direction: str          # "in" or "out"
    width: int
    lanes: int
    signed: bool

    @property
    def lane_width(self):
        return self.width // self.lanes


@dataclasses.dataclass(frozen=True)
class Design:
    """A registered design.

    Attributes
    ----------
    name, summary : str
    component : type
        ``wiring.Component`` subclass; keyword arguments are the parameters.
    model : type
        Golden model class with the same keyword arguments and a ``run(stim)`` method.
    params : tuple of Param
    latency : Callable[[dict], int]
        Cycles from an input to the output it affects.
    lanes_param : str or None
        The parameter that gives the lane count of ``lane_ports``.
    lane_ports : tuple of str
        Ports that are lane-major buses of ``lanes_param`` lanes; every other port is one lane
        unless it is in ``port_lanes``.
    port_lanes : dict of str -> str
        Lane-major ports whose lane count is another parameter (port name -> parameter name),
        e.g. a ``src`` bus of ``sources`` words.
    signed_ports : tuple of str
        Ports whose lanes carry two's-complement numbers.
    regress_cases : tuple of dict
        Parameter overrides exercised by the default regression (``stochhw regress``, ``make test``).
    stimulus_hints : dict
        Extra arguments for :func:`testbench.stimuli.make_stimulus` (e.g. input densities).
    """
    name: str
    summary: str
    component: type
    model: type
    params: tuple
    latency: Callable[[dict], int]
    lanes_param: str | None = None
    lane_ports: tuple = ()
    port_lanes: dict = dataclasses.field(default_factory=dict)
    signed_ports: tuple = ()
    regress_cases: tuple = ({},)
    stimulus_hints: dict = dataclasses.field(default_factory=dict)

    def param(self, name):
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params)
        raise ParameterError(f"unknown parameter {name!r} for design {self.name!r} (known: {known})")

    def defaults(self):
        return {p.name: p.default for p in self.params}

    def resolve(self, overrides=None):
        """Full parameter dict: defaults updated with ``overrides`` (text or Python values).

        Values are checked by building the model, which validates every parameter.
        """
        params = self.defaults()
        for name, value in (overrides or {}).items():
            spec = self.param(name)
            params[name] = spec.parse(value) if isinstance(value, str) else value
        self.model(**params)
        return params

    def build(self, params):
        """The Amaranth component for resolved ``params``."""
        return self.component(**params)

    def golden(self, params):
        """The golden model for resolved ``params``."""
        return self.model(**params)

    def ports(self, params, component=None):
        """Top-level ports (``clk`` excluded, ``rst`` first) in signature order."""
        component = component if component is not None else self.build(params)
        lanes = params[self.lanes_param] if self.lanes_param else 1
        ports = [Port("rst", "in", 1, 1, False)]
        for name, member in component.signature.members.items():
            direction = "in" if member.flow == wiring.In else "out"
            width = Shape.cast(member.shape).width
            if name in self.port_lanes:
                n = params[self.port_lanes[name]]
            else:
                n = lanes if name in self.lane_ports else 1
            ports.append(Port(name, direction, width, n, name in self.signed_ports))
        return ports


REGISTRY = {d.name: d for d in [
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
            Param("lanes", "int", 16, "number of lanes, 1..4096"),
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
]}


def get_design(name):
    """The registered design called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDesign(f"unknown design {name!r} (known: {', '.join(REGISTRY)})") from None
