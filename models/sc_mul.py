"""Golden models of the SC multipliers ``xnor_mul`` (bipolar) and ``and_mul`` (unipolar).

For independent streams, an AND gate multiplies unipolar values (``P(a AND b) = P(a) P(b)``)
and an XNOR gate multiplies bipolar values: with ``v = 2 P(1) - 1``,
``2 P(a XNOR b) - 1 = v_a v_b``. Correlated streams break both (a stream XNOR itself is 1).
Lanes are independent; the product bit is registered (latency 1, reset clears it).
"""

import numpy as np

from stochhw.models.checks import check_choice, check_int
from stochhw.models.clocked import check_lanes, register

__all__ = ["OPERATIONS", "MAX_LANES", "sc_product", "SCMulModel", "XnorMulModel", "AndMulModel"]

OPERATIONS = ("xnor", "and")
MAX_LANES = 4096


def sc_product(a, b, op):
    """Product bits of 0/1 arrays ``a`` and ``b`` (``uint64``)."""
    a, b = np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)
    return (a & b) if op == "and" else (~(a ^ b) & np.uint64(1))


class SCMulModel:
    """Model of :class:`stochhw.hw.sc_mul.SCMul`.

    Parameters
    ----------
    lanes : int
        1..4096 (default 16).
    op : str
        ``"xnor"`` (bipolar) or ``"and"`` (unipolar).

    Ports (stimulus / result keys)
    ------------------------------
    a, b : in, lanes x 1
    y : out, lanes x 1, ``y[t+1] = op(a[t], b[t])`` (latency 1)
    """

    def __init__(self, lanes=16, op="xnor"):
        self.lanes = check_int("lanes", lanes, 1, MAX_LANES)
        self.op = check_choice("op", op, OPERATIONS)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"a": self.lanes, "b": self.lanes}, f"{self.op}_mul")
        return {"y": register(sc_product(stim["a"], stim["b"], self.op), stim["rst"][:, 0],
                              state=state, key="y")}


class XnorMulModel(SCMulModel):
    """``xnor_mul``: bipolar multiplication, one XNOR per lane."""

    def __init__(self, lanes=16):
        super().__init__(lanes, "xnor")


class AndMulModel(SCMulModel):
    """``and_mul``: unipolar multiplication, one AND per lane."""

    def __init__(self, lanes=16):
        super().__init__(lanes, "and")
