# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""What a registered design is: its spec, ports and the hooks every flow uses.

:class:`Design` ties a hardware component, its golden model, its spec (the one declaration of
its parameters, :mod:`stochhw.models.spec`) and its latency together. The entries live in the
topic modules of :mod:`stochhw.sim.designs`.
"""

import dataclasses
from typing import Callable

from amaranth import Shape
from amaranth.lib import wiring

from stochhw.models.checks import ParameterError

__all__ = ["Port", "Design", "UnknownDesign", "value_text", "params_text", "MAX_INPUT_BITS",
           "MAX_PORT_BITS"]

#: Top-level input bits (``clk`` and ``rst`` included) Amaranth 0.5 can convert: it numbers the
#: input bits of the top module in 16 bits, after two constant bits (``hdl/_nir.py``, Net).
MAX_INPUT_BITS = (1 << 16) - 2

#: Bits of any one port (a signal's bits are numbered in 16 bits too).
MAX_PORT_BITS = 1 << 16


class UnknownDesign(ParameterError):
    """The name is not a registered design."""


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
        parameters (kind, default, range, doc) and their rules.
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
    spec: type
    lanes_param: str | None = None
    lane_ports: tuple = ()
    port_lanes: dict = dataclasses.field(default_factory=dict)
    signed_ports: tuple = ()
    regress_cases: tuple = ({},)
    stimulus_hints: dict = dataclasses.field(default_factory=dict)

    @property
    def params(self):
        """Every parameter's :class:`stochhw.models.spec.ParamInfo`, in declaration order."""
        return self.spec.params()

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
        for name in overrides or {}:
            self.param(name)                  # an unknown name is refused naming the design
        params = self.spec.from_overrides(overrides).as_dict()
        self._check_port_widths(params)
        return params

    def _check_port_widths(self, params):
        """Refuse parameters whose ports Amaranth cannot convert, naming the parameter.

        Derived limits of the documented ranges: Amaranth numbers the bits of every signal,
        and of all top-level inputs together, in 16 bits (:data:`MAX_INPUT_BITS`,
        :data:`MAX_PORT_BITS`), so a 4096-lane ``sru_array`` (65,538 input bits) would fail
        after a minute of elaboration. The ports come from the component's signature, which
        costs milliseconds, before any elaboration.
        """
        ports = self.ports(params)
        inputs = 1 + sum(p.width for p in ports if p.direction == "in")     # clk included
        widest = max(ports, key=lambda p: p.width)
        if inputs <= MAX_INPUT_BITS and widest.width <= MAX_PORT_BITS:
            return
        what = (f"gives {inputs:,} input port bits (clk and rst included); Amaranth converts at most "
                f"{MAX_INPUT_BITS:,}" if inputs > MAX_INPUT_BITS else
                f"makes port {widest.name} {widest.width:,} bits wide; Amaranth converts at most "
                f"{MAX_PORT_BITS:,} per port")
        raise ParameterError(f"{self._width_culprit(params)} {what}")

    def _width_culprit(self, params):
        """``"lanes=4096 (at most 4095 here)"``: the integer parameter whose value makes the
        ports too wide, with the largest value that fits (the others unchanged)."""
        defaults = self.defaults()
        for p in self.params:
            value = params.get(p.name)
            if p.kind != "int" or value == defaults[p.name] or not isinstance(defaults[p.name], int):
                continue
            if not self._ports_fit({**params, p.name: defaults[p.name]}):
                continue
            lo, hi = defaults[p.name], value          # lo fits, hi does not: bisect
            while abs(hi - lo) > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if self._ports_fit({**params, p.name: mid}) else (lo, mid)
            bound = "most" if value > lo else "least"
            return f"{p.name}={value} (at {bound} {lo} here)"
        return f"design {self.name} with " + " ".join(f"{k}={v}" for k, v in params.items())

    def _ports_fit(self, params):
        try:
            ports = self.ports(params)
        except (ParameterError, ValueError, TypeError):
            return False
        inputs = 1 + sum(p.width for p in ports if p.direction == "in")
        return inputs <= MAX_INPUT_BITS and max(p.width for p in ports) <= MAX_PORT_BITS

    def build(self, params):
        """The Amaranth component for resolved ``params``."""
        return self.component(self.spec(**params))

    def golden(self, params):
        """The golden model for resolved ``params``."""
        return self.model(self.spec(**params))

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
