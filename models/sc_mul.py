"""Golden models of the SC multipliers ``xnor_mul`` (bipolar) and ``and_mul`` (unipolar).

For independent streams, an AND gate multiplies unipolar values (``P(a AND b) = P(a) P(b)``)
and an XNOR gate multiplies bipolar values: with ``v = 2 P(1) - 1``,
``2 P(a XNOR b) - 1 = v_a v_b``. Correlated streams break both (a stream XNOR itself is 1).
Lanes are independent; the product bit is registered (latency 1, reset clears it).
"""

import dataclasses

import numpy as np

from stochhw.models.clocked import check_lanes, register
from stochhw.models.sc_stream import MAX_LANES, lanes_param
from stochhw.models.spec import Spec, Specified, spec_from

__all__ = ["OPERATIONS", "MAX_LANES", "sc_product", "XnorMulSpec", "AndMulSpec", "SCMulModel",
           "XnorMulModel", "AndMulModel"]

OPERATIONS = ("xnor", "and")


def sc_product(a, b, op):
    """Product bits of 0/1 arrays ``a`` and ``b`` (``uint64``)."""
    a, b = np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)
    return (a & b) if op == "and" else (~(a ^ b) & np.uint64(1))


@dataclasses.dataclass(frozen=True, kw_only=True)
class XnorMulSpec(Spec):
    """Parameters of ``xnor_mul`` (:class:`stochhw.hw.sc_mul.XnorMul`, :class:`XnorMulModel`)."""
    lanes: int = lanes_param(16, "lanes")

    #: The gate: bipolar multiplication (a class constant, not a parameter).
    op = "xnor"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AndMulSpec(Spec):
    """Parameters of ``and_mul`` (:class:`stochhw.hw.sc_mul.AndMul`, :class:`AndMulModel`)."""
    lanes: int = lanes_param(16, "lanes")

    #: The gate: unipolar multiplication (a class constant, not a parameter).
    op = "and"


class SCMulModel(Specified):
    """Model of :class:`stochhw.hw.sc_mul.SCMul`; built as :class:`XnorMulModel` or :class:`AndMulModel`.

    Parameters
    ----------
    spec : XnorMulSpec or AndMulSpec, optional
        Or its fields as keyword arguments (``lanes``); the spec class fixes the gate, ``op``.

    Ports (stimulus / result keys)
    ------------------------------
    a, b : in, lanes x 1
    y : out, lanes x 1, ``y[t+1] = op(a[t], b[t])`` (latency 1)
    """

    #: The spec class of the subclass (it fixes ``op``).
    SPEC = None

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(self.SPEC, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"a": self.lanes, "b": self.lanes}, f"{self.op}_mul")
        return {"y": register(sc_product(stim["a"], stim["b"], self.op), stim["rst"][:, 0],
                              state=state, key="y")}


class XnorMulModel(SCMulModel):
    """``xnor_mul``: bipolar multiplication, one XNOR per lane."""
    SPEC = XnorMulSpec


class AndMulModel(SCMulModel):
    """``and_mul``: unipolar multiplication, one AND per lane."""
    SPEC = AndMulSpec
