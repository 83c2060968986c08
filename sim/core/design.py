# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""What a registered design is: its parameters, ports and the hooks every flow uses.

:class:`Design` ties a hardware component, its golden model, its parameters (:class:`Param`)
and its latency together. The entries themselves live in :mod:`stochhw.sim.designs` and in the
topic modules it gathers (``sim/registry_*.py``).
"""

import dataclasses
from typing import Callable

from amaranth import Shape
from amaranth.lib import wiring

from stochhw.models.checks import ParameterError

__all__ = ["Param", "Port", "Design", "UnknownDesign", "value_text", "params_text"]


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


def value_text(value):
    """A parameter value as ``-p`` takes it: a list is comma-separated (``8,6,5,4``)."""
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return str(value)


def params_text(params, empty=""):
    """Parameters as ``K=V`` words in the order given (``lanes=4 taps=8,6,5,4``), the form
    ``-p`` takes; ``empty`` when there are none. Every command and report says parameters so."""
    return " ".join(f"{name}={value_text(value)}" for name, value in params.items()) or empty


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
        ``wiring.Component`` subclass, built from a spec (or its fields as keyword arguments).
    model : type
        Golden model class, built the same way, with a ``run(stim)`` method.
    spec : type
        The design's :class:`stochhw.models.spec.Spec` subclass: the one declaration of its
        parameters (kind, default, range, doc) and their rules. (Entries not converted yet give
        ``params``, a tuple of :class:`Param`, instead.)
    latency : Callable[[dict], int]
        Cycles from an input to the output it affects.
    lanes_param : str or None
        The parameter that gives the lane count of ``lane_ports``.
    lane_ports : tuple of str
        Ports that are lane-major buses of ``lanes_param`` lanes; every other port is one lane
        unless it is in ``port_lanes``.
    port_lanes : dict of str -> str or callable
        Lane-major ports whose lane count is another parameter (port name -> parameter name),
        e.g. a ``src`` bus of ``sources`` words, or a function of the resolved parameters
        (e.g. ``rows * cols`` lanes).
    signed_ports : tuple of str
        Ports whose lanes carry two's-complement numbers.
    regress_cases : tuple of dict
        Parameter overrides exercised by the default regression (``stochhw regress``, ``make test``).
    stimulus_hints : dict
        Extra arguments for :func:`stochhw.testbench.stimuli.make_stimulus` (e.g. input densities).
    """
    name: str
    summary: str
    component: type
    model: type
    latency: Callable[[dict], int]
    spec: type | None = None
    params: tuple = ()
    lanes_param: str | None = None
    lane_ports: tuple = ()
    port_lanes: dict = dataclasses.field(default_factory=dict)
    signed_ports: tuple = ()
    regress_cases: tuple = ({},)
    stimulus_hints: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.spec is not None:
            object.__setattr__(self, "params", self.spec.params())

    def param(self, name):
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params)
        raise ParameterError(f"unknown parameter {name!r} for design {self.name!r} (known: {known})")

    def defaults(self):
        return {p.name: p.default for p in self.params}

    def resolve(self, overrides=None):
        """Full parameter dict: defaults updated with ``overrides`` (text or Python values),
        checked once against the spec.
        """
        if self.spec is not None:
            for name in overrides or {}:
                self.param(name)              # an unknown name is refused naming the design
            return self.spec.from_overrides(overrides).as_dict()
        params = self.defaults()
        for name, value in (overrides or {}).items():
            spec = self.param(name)
            params[name] = spec.parse(value) if isinstance(value, str) else value
        self.model(**params)
        return params

    def build(self, params):
        """The Amaranth component for resolved ``params``."""
        if self.spec is not None:
            return self.component(self.spec(**params))
        return self.component(**params)

    def golden(self, params):
        """The golden model for resolved ``params``."""
        if self.spec is not None:
            return self.model(self.spec(**params))
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
                spec = self.port_lanes[name]
                n = spec(params) if callable(spec) else params[spec]
            else:
                n = lanes if name in self.lane_ports else 1
            ports.append(Port(name, direction, width, n, name in self.signed_ports))
        return ports
