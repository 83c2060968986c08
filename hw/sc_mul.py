"""``xnor_mul`` and ``and_mul``: stochastic-computing multipliers over lanes."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.models.sc_mul import SCMulModel

__all__ = ["product", "SCMul", "XnorMul", "AndMul"]


def product(a, b, op):
    """Amaranth expression of the product bit(s): ``~(a ^ b)`` (xnor) or ``a & b`` (and)."""
    return ~(a ^ b) if op == "xnor" else a & b


class SCMul(wiring.Component):
    """Lane-wise SC multiplier; :mod:`stochhw.models.sc_mul` states why XNOR/AND multiply.

    Parameters
    ----------
    lanes : int
        1..4096 (default 16).
    op : str
        ``"xnor"`` (bipolar) or ``"and"`` (unipolar).

    Ports
    -----
    a, b : In(lanes)
        Stream bits, lane i at bit i.
    y : Out(lanes)
        Product bits.

    Latency
    -------
    1 cycle (registered; reset clears ``y``).
    """

    def __init__(self, lanes=16, op="xnor"):
        spec = SCMulModel(lanes, op)
        self.lanes, self.op = spec.lanes, spec.op
        super().__init__({"a": In(self.lanes), "b": In(self.lanes), "y": Out(self.lanes)})

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.y.eq(product(self.a, self.b, self.op))
        return m


class XnorMul(SCMul):
    """``xnor_mul``: bipolar products (see :class:`SCMul`)."""

    def __init__(self, lanes=16):
        super().__init__(lanes, "xnor")


class AndMul(SCMul):
    """``and_mul``: unipolar products (see :class:`SCMul`)."""

    def __init__(self, lanes=16):
        super().__init__(lanes, "and")
