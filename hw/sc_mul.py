"""``xnor_mul`` and ``and_mul``: stochastic-computing multipliers over lanes."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.models.sc_mul import AndMulSpec, XnorMulSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["product", "SCMul", "XnorMul", "AndMul"]


def product(a, b, op):
    """Amaranth expression of the product bit(s): ``~(a ^ b)`` (xnor) or ``a & b`` (and)."""
    return ~(a ^ b) if op == "xnor" else a & b


class SCMul(Specified, wiring.Component):
    """Lane-wise SC multiplier; :mod:`stochhw.models.sc_mul` states why XNOR/AND multiply.

    Built as :class:`XnorMul` or :class:`AndMul`.

    Parameters
    ----------
    spec : XnorMulSpec or AndMulSpec, optional
        Or its fields as keyword arguments (``lanes``, declared in
        :class:`stochhw.models.sc_mul.XnorMulSpec` / ``AndMulSpec``); the spec fixes the gate.

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

    #: The spec class of the subclass (it fixes ``op``).
    SPEC = None

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(self.SPEC, spec, params)
        super().__init__({"a": In(self.lanes), "b": In(self.lanes), "y": Out(self.lanes)})

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.y.eq(product(self.a, self.b, self.op))
        return m


class XnorMul(SCMul):
    """``xnor_mul``: bipolar products (see :class:`SCMul`)."""
    SPEC = XnorMulSpec


class AndMul(SCMul):
    """``and_mul``: unipolar products (see :class:`SCMul`)."""
    SPEC = AndMulSpec
