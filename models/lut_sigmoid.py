"""Golden model of ``lut_sigmoid``: quantized pre-activation -> state of the quantized sigmoid.

The paper's node output is ``quantize(sigmoid(s), QL)`` (Eq. 1-3, :mod:`stochhw.models.sc_quant`):
clip to [-1, 1], ``delta = 2 / (QL - 1)``, round half up. A sigmoid lies in (0, 1), so only the
upper states occur: 3 distinct outputs for QL = 5, 6 for QL = 11. The unit outputs the
*state index* ``0 .. QL-1`` of that value (value = -1 + index * delta).

The input ``s`` is a signed ``in_bits``-bit fixed-point code with ``in_frac`` fractional bits:
``s = code / 2^in_frac``. Two methods:

* ``"lut"``: a table of all ``2^in_bits`` codes, computed from :func:`stochhw.models.sc_quant.quantized_sigmoid`
  (the reference);
* ``"plan"``: the sigmoid *computed* at the same output precision: the PLAN piecewise-linear
  approximation (Amin, Curtis and Hayes-Gill, 1997; every slope a power of two)::

      |s| >= 5           y = 1
      2.375 <= |s| < 5   y = |s| / 32 + 27 / 32
      1 <= |s| < 2.375   y = |s| / 8 + 5 / 8
      0 <= |s| < 1       y = |s| / 4 + 1 / 2             and y(-s) = 1 - y(s),

  evaluated exactly in fixed point with ``F = in_frac + 5`` fractional bits (``Y = y 2^F``),
  then quantized like Eq. 3 with a constant multiply and a shift:
  ``index = floor(((Y + 2^F) (QL - 1) + 2^F) / 2^(F+1))``. PLAN is within 0.019 of the
  sigmoid, so it agrees with the table except for codes whose sigmoid lies within 0.019 of a
  rounding boundary (tested); "computed" means this arithmetic, not a transcendental function.

A monotone table over an ordered input can also be written as a few comparisons:
:func:`threshold_form` turns a table into its change points, and ``sc_neuron`` uses that to
apply the sigmoid to an accumulated count with ``QL / 2`` comparators instead of a table of
``N L + 1`` entries.

The output is registered: latency 1, reset clears it to state 0.
"""

import dataclasses
import functools

import numpy as np

from stochhw.models.bits import to_signed
from stochhw.models.checks import ParameterError, check_int
from stochhw.models.clocked import check_lanes, register
from stochhw.models.sc_quant import quantized_sigmoid
from stochhw.models.sc_stream import code_width
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["METHODS", "MAX_LEVELS", "MAX_IN_BITS", "sigmoid_index", "lut_table", "plan_index",
           "threshold_form", "apply_threshold_form", "LUTSigmoidSpec", "LUTSigmoidModel"]

METHODS = ("lut", "plan")
MAX_LEVELS = 256
MAX_IN_BITS = 16


def sigmoid_index(s, levels):
    """State index of :func:`stochhw.models.sc_quant.quantized_sigmoid` of pre-activations ``s``; int64."""
    s = np.asarray(s, dtype=np.float64)
    value = quantized_sigmoid(s.reshape(-1), levels).reshape(s.shape)
    # value is exactly one of the states -1 + i * delta, so this recovers i without rounding doubt.
    return np.rint((value + 1.0) * (levels - 1) / 2.0).astype(np.int64)


def lut_table(levels, in_bits, in_frac):
    """Table of the ``lut`` method, indexed by the raw (unsigned) input code."""
    codes = np.arange(1 << in_bits)
    return sigmoid_index(to_signed(codes, in_bits) / float(1 << in_frac), levels)


def plan_index(codes, levels, in_bits, in_frac):
    """The ``plan`` method on raw input codes (integer arithmetic, as the hardware)."""
    s = to_signed(np.asarray(codes), in_bits)
    a = np.abs(s)
    f, big = in_frac, in_frac + 5
    one = 1 << big
    y = np.where(a >= 5 << f, one,
        np.where(8 * a >= 19 << f, a + (27 << f),
        np.where(a >= 1 << f, 4 * a + (20 << f), 8 * a + (16 << f))))
    y = np.where(s < 0, one - y, y)
    return ((y + one) * (levels - 1) + one) >> (big + 1)


def threshold_form(table):
    """Write a non-decreasing ``table`` as ``base`` and change points.

    Returns
    -------
    base : int
        ``table[0]``.
    steps : list of (int, int)
        ``(i, table[i])`` for every ``i`` where ``table[i] != table[i-1]``, ascending, so that
        ``table[x]`` is the value of the last step with ``i <= x`` (``base`` if none).
    """
    table = np.asarray(table, dtype=np.int64)
    if np.any(np.diff(table) < 0):
        raise ParameterError("table must be non-decreasing to be written as thresholds")
    changes = np.flatnonzero(np.diff(table)) + 1
    return int(table[0]), [(int(i), int(table[i])) for i in changes]


def apply_threshold_form(x, base, steps):
    """Evaluate the threshold form on integer inputs ``x`` (the hardware's if/elif chain)."""
    x = np.asarray(x, dtype=np.int64)
    out = np.full(x.shape, base, dtype=np.int64)
    for i, value in steps:                 # ascending: a later step overrides an earlier one
        out[x >= i] = value
    return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class LUTSigmoidSpec(Spec):
    """Parameters of ``lut_sigmoid`` (:class:`stochhw.hw.lut_sigmoid.LUTSigmoid`,
    :class:`LUTSigmoidModel`)."""
    levels: int = param(5, "QL output states", lo=2, hi=MAX_LEVELS)
    in_bits: int = param(8, "signed input width", lo=2, hi=MAX_IN_BITS)
    in_frac: int = param(4, "fractional bits of the input, 0..in_bits", lo=0, hi=MAX_IN_BITS)
    method: str = param("lut", "lut: table from Eq. 1-3; plan: piecewise-linear sigmoid",
                        choices=METHODS)

    def validate(self):
        check_int("in_frac", self.in_frac, 0, self.in_bits)

    @property
    def out_width(self):
        """Bits of the output state index ``y``."""
        return code_width(self.levels)

    @functools.cached_property
    def table(self):
        """Output state of every raw input code ``0 .. 2^in_bits - 1`` (either method): a
        read-only int64 array."""
        if self.method == "lut":
            table = lut_table(self.levels, self.in_bits, self.in_frac)
        else:
            table = plan_index(np.arange(1 << self.in_bits), self.levels, self.in_bits, self.in_frac)
        table.flags.writeable = False
        return table


class LUTSigmoidModel(Specified):
    """Model of :class:`stochhw.hw.lut_sigmoid.LUTSigmoid`.

    Parameters
    ----------
    spec : LUTSigmoidSpec, optional
        Or its fields as keyword arguments (``levels``, ``in_bits``, ``in_frac``, ``method``).

    Ports (stimulus / result keys)
    ------------------------------
    s : in, signed ``in_bits``
    y : out, ``code_width(levels)`` bits: the state index (latency 1)
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LUTSigmoidSpec, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"s": 1}, "lut_sigmoid")
        y = self.table[stim["s"][:, 0].astype(np.intp)].astype(np.uint64)[:, None]
        return {"y": register(y, stim["rst"][:, 0], state=state, key="y")}
