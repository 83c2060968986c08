"""``lut_sigmoid``: quantized pre-activation -> quantized sigmoid state, by table or computed."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.models.lut_sigmoid import LUTSigmoidSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["threshold_lookup", "LUTSigmoid"]


def threshold_lookup(m, value, base, steps, width, name="state"):
    """A ``width``-bit signal equal to the threshold form ``(base, steps)`` of a monotone table
    at ``value`` (see :func:`stochhw.models.lut_sigmoid.threshold_form`): one comparator per step."""
    state = Signal(width, name=name)
    m.d.comb += state.eq(base)
    for threshold, result in steps:      # ascending: the last true comparison wins
        with m.If(value >= threshold):
            m.d.comb += state.eq(result)
    return state


class LUTSigmoid(Specified, wiring.Component):
    """Quantized sigmoid unit; :mod:`stochhw.models.lut_sigmoid` defines the table and the PLAN method.

    Parameters
    ----------
    spec : LUTSigmoidSpec, optional
        Or its fields as keyword arguments (``levels``, ``in_bits``, ``in_frac``, ``method``;
        declared in :class:`stochhw.models.lut_sigmoid.LUTSigmoidSpec`, which also holds the
        table of every input code, ``LUTSigmoidSpec.table``).

    Ports
    -----
    s : In(signed(in_bits))
        Pre-activation, ``s / 2^in_frac``.
    y : Out(code_width(levels))
        State index ``0 .. levels-1`` of ``quantize(sigmoid(s), levels)``.

    Latency
    -------
    1 cycle (registered; reset clears ``y`` to 0).
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LUTSigmoidSpec, spec, params)
        super().__init__({"s": In(signed(self.spec.in_bits)), "y": Out(self.spec.out_width)})

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        if spec.method == "lut":
            # A constant case statement: the ROM lives in logic, as a table of 2^in_bits entries.
            state = Signal(spec.out_width)
            with m.Switch(self.s.as_unsigned()):
                for code, entry in enumerate(spec.table):
                    with m.Case(code):
                        m.d.comb += state.eq(int(entry))
        else:
            state = self._plan(m)
        m.d.sync += self.y.eq(state)
        return m

    def _plan(self, m):
        """PLAN in fixed point (F = in_frac + 5 fractional bits), then Eq. 3 by multiply-shift."""
        spec = self.spec
        f, big = spec.in_frac, spec.in_frac + 5
        one = 1 << big
        s = self.s
        magnitude = Signal(spec.in_bits)                 # |s| <= 2^(in_bits-1) fits unsigned
        m.d.comb += magnitude.eq(Mux(s < 0, -s, s))
        y = Signal(range(one + 1))
        with m.If(magnitude >= 5 << f):
            m.d.comb += y.eq(one)
        with m.Elif(magnitude * 8 >= 19 << f):
            m.d.comb += y.eq(magnitude + (27 << f))
        with m.Elif(magnitude >= 1 << f):
            m.d.comb += y.eq(magnitude * 4 + (20 << f))
        with m.Else():
            m.d.comb += y.eq(magnitude * 8 + (16 << f))
        signed_y = Signal(range(one + 1))
        m.d.comb += signed_y.eq(Mux(s < 0, one - y, y))
        state = Signal(spec.out_width)
        m.d.comb += state.eq(((signed_y + one) * (spec.levels - 1) + one) >> (big + 1))
        return state
