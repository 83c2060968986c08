"""``sc_neuron``: XNOR products, parallel counter, accumulation over L cycles, quantized sigmoid."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.lut_sigmoid import threshold_lookup
from stochhw.hw.parallel_counter import approx_popcount, popcount
from stochhw.hw.sc_mul import product
from stochhw.hw.sc_stream import lfsr_randoms, table_threshold
from stochhw.models.sc_neuron import SCNeuronSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["SCNeuron"]


class SCNeuron(Specified, wiring.Component):
    """One SC neuron; :mod:`stochhw.models.sc_neuron` states the arithmetic, encoding and timing.

    Parameters
    ----------
    spec : SCNeuronSpec, optional
        Or its fields as keyword arguments (``n``, ``levels``, ``length``, ``source``,
        ``counter``, ``bits``, ``seed``, ``lfsr_width``; declared in
        :class:`stochhw.models.sc_neuron.SCNeuronSpec`, which also derives the generator
        seeds, their thresholds and the sigmoid's change points).

    Ports
    -----
    xq, wq : In(n * code_width(levels)), only with ``source="lfsr"``
        State codes of input i and weight i (lane i); codes >= ``levels`` act as ``levels - 1``.
    xs, ws : In(n), only with ``source="port"``
        Bipolar stream bits of input i and weight i (bit i).
    y : Out(code_width(levels))
        Output state index, updated at the end of each frame of ``length`` cycles.
    valid : Out(1)
        High for the one cycle in which ``y`` shows a new frame's result.

    Latency
    -------
    ``length`` cycles from a frame's first input cycle to its output (1 cycle after its last).
    The sigmoid is a chain of ``<= levels / 2`` comparators on the accumulated count, equal to
    the quantized-sigmoid table over every count (``SCNeuronSpec.sigmoid_steps``).
    """

    def __init__(self, spec=None, /, **params):
        self.spec = s = spec_from(SCNeuronSpec, spec, params)
        if s.source == "lfsr":
            ports = {"xq": In(s.n * s.code_width), "wq": In(s.n * s.code_width)}
        else:
            ports = {"xs": In(s.n), "ws": In(s.n)}
        ports |= {"y": Out(s.code_width), "valid": Out(1)}
        super().__init__(ports)

    def _streams(self, m):
        s = self.spec
        if s.source == "port":
            return [self.xs[i] for i in range(s.n)], [self.ws[i] for i in range(s.n)]
        streams = []
        for name, codes, seeds in (("x", self.xq, s.seeds[:s.n]), ("w", self.wq, s.seeds[s.n:])):
            randoms = lfsr_randoms(m, seeds, s.lfsr_width, s.bits, prefix=f"{name}gen")
            streams.append([
                rnd < table_threshold(m, codes.word_select(i, s.code_width), s.thresholds, s.bits,
                                      name=f"{name}_threshold{i}")
                for i, rnd in enumerate(randoms)])
        return streams

    def elaborate(self, platform):
        s = self.spec
        m = Module()
        xs, ws = self._streams(m)
        products = [product(a, b, "xnor") for a, b in zip(xs, ws)]
        count = popcount(products) if s.counter == "exact" else approx_popcount(products)

        position = Signal(range(s.length))
        acc = Signal(s.acc_width)
        total = Signal(s.acc_width)
        m.d.comb += total.eq(acc + count)
        base, steps = s.sigmoid_steps
        state = threshold_lookup(m, total, base, steps, s.code_width)

        m.d.sync += self.valid.eq(0)
        with m.If(position == s.length - 1):
            m.d.sync += [position.eq(0), acc.eq(0), self.y.eq(state), self.valid.eq(1)]
        with m.Else():
            m.d.sync += [position.eq(position + 1), acc.eq(total)]
        return m
