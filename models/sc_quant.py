"""The SC-ANN quantizer: ``levels`` (QL) uniformly spaced states in ``[lo, hi]``, and the quantized sigmoid.

The spintronic stochastic-computing paper quantizes weights and nodes (Eq. 1-3) by

1. clipping ``x`` to ``[lo, hi]`` (default ``[-1, 1]``, the bipolar range of a bitstream);
2. ``delta = (hi - lo) / (levels - 1)``;
3. ``index = round_half_up((x - lo) / delta)``, ``value = lo + index * delta``.

Rounding is *half up* (``floor(t + 1/2)``), deterministic, so that a table in hardware
(``lut_sigmoid``) and this model make the same choice on a tie. The index is exactly Eq. 3 of
the float inputs: ``floor((x - lo) * (levels - 1) / (hi - lo) + 1/2)`` in floats, with the
rare elements within a few ulps of a tie settled in exact rational arithmetic. The value is
``(lo * (levels - 1 - index) + hi * index) / (levels - 1)``, equal to the paper's
``lo + index * delta`` but, over ``[-1, 1]``, the correctly rounded float of every state
(``0.4``, not ``0.40000000000000013``); :func:`quantize` and :func:`level_values` share it, so
they return the very same numbers.

A sigmoid output lies in ``(0, 1)``, the upper half of ``[-1, 1]``: quantized to QL states it
takes only the states from ``floor(QL / 2)`` to ``QL - 1``, i.e. 3 distinct values for QL = 5
(0, 0.5, 1) and 6 for QL = 11 (0, 0.2, ..., 1). That is why the paper replaces the sigmoid by a
small lookup table (:func:`sigmoid_states`).
"""

import math
import numbers
from fractions import Fraction

import numpy as np

from stochhw.models.checks import ParameterError

__all__ = ["check_levels", "quantize", "quantize_index", "level_values", "quantized_sigmoid",
           "sigmoid_states"]

#: Upper bound on QL: far beyond the paper's 5 and 11, small enough for every table.
MAX_LEVELS = 1 << 16


def check_levels(levels, name="levels"):
    """Return ``levels`` (QL) as an int after checking ``2 <= levels <= 65536``."""
    if isinstance(levels, bool) or not isinstance(levels, numbers.Integral):
        raise ParameterError(f"{name} (QL, the number of quantization states) must be an "
                             f"integer, not {levels!r}")
    if not 2 <= int(levels) <= MAX_LEVELS:
        raise ParameterError(f"{name} (QL, the number of quantization states) must be in "
                             f"2..{MAX_LEVELS}, not {levels}")
    return int(levels)


def _check_range(lo, hi):
    for name, v in (("lo", lo), ("hi", hi)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ParameterError(f"{name} must be a finite number, not {v!r}")
    if not lo < hi:
        raise ParameterError(f"lo must be < hi, not lo={lo!r}, hi={hi!r}")
    return float(lo), float(hi)


def _as_finite(x, name="x"):
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be an array of real numbers") from None
    if not np.all(np.isfinite(x)):
        raise ParameterError(f"{name} must be finite (no NaN or infinity)")
    return x


def quantize_index(x, levels, lo=-1.0, hi=1.0):
    """The state ``0 .. levels-1`` of each element of ``x`` (Eq. 1-3, round half up).

    Parameters
    ----------
    x : array_like of float
        Finite values; anything outside ``[lo, hi]`` is clipped.
    levels : int
        QL, the number of states, >= 2.
    lo, hi : float
        The range, ``lo < hi``.

    Returns
    -------
    numpy.ndarray of int64, shape of ``x``
    """
    levels = check_levels(levels)
    lo, hi = _check_range(lo, hi)
    # At least 1-d while settling ties (a 0-d result cannot be assigned by mask), then back.
    x = np.clip(_as_finite(x), lo, hi)
    shape = x.shape
    x = np.atleast_1d(x)
    t = (x - lo) * (levels - 1) / (hi - lo)
    index = np.floor(t + 0.5).astype(np.int64)
    # Float rounding can move a value that is just off a tie onto it (or the other way);
    # settle the few elements within a few ulps of a tie in exact rational arithmetic, so
    # that the result is Eq. 3 of the float inputs exactly.
    near = np.abs(t - np.floor(t) - 0.5) < 1e-9 * np.maximum(1.0, np.abs(t))
    if np.any(near):
        flo, span = Fraction(lo), Fraction(hi) - Fraction(lo)
        index[near] = [math.floor((Fraction(float(v)) - flo) * (levels - 1) / span
                                  + Fraction(1, 2)) for v in x[near]]
    return np.clip(index, 0, levels - 1).reshape(shape)


def _values(index, levels, lo, hi):
    return (lo * (levels - 1 - index) + hi * index) / (levels - 1)


def level_values(levels, lo=-1.0, hi=1.0):
    """The ``levels`` states, ascending: ``lo, lo + delta, ..., hi`` (float64)."""
    levels = check_levels(levels)
    lo, hi = _check_range(lo, hi)
    return _values(np.arange(levels, dtype=np.float64), levels, lo, hi)


def quantize(x, levels, lo=-1.0, hi=1.0):
    """``x`` clipped to ``[lo, hi]`` and rounded (half up) to the nearest of ``levels`` states.

    Same parameters as :func:`quantize_index`; returns float64 values of the shape of ``x``,
    each exactly an element of :func:`level_values`.
    """
    index = quantize_index(x, levels, lo, hi)
    return _values(index.astype(np.float64), int(levels), float(lo), float(hi))


def _sigmoid(s):
    # exp of a large negative argument underflows harmlessly to 0; clip keeps exp finite.
    return 1.0 / (1.0 + np.exp(-np.clip(s, -700.0, 700.0)))


def quantized_sigmoid(s, levels):
    """``quantize(1 / (1 + exp(-s)), levels)`` over ``[-1, 1]``: the paper's quantized node output.

    Parameters
    ----------
    s : array_like of float
        Finite pre-activations.
    levels : int
        QL, >= 2.
    """
    levels = check_levels(levels)
    return quantize(_sigmoid(_as_finite(s, "s")), levels)


def sigmoid_states(levels):
    """The distinct values :func:`quantized_sigmoid` can take, ascending.

    The sigmoid is continuous and onto ``(0, 1)``; the state index ``floor((y + 1)(QL - 1)/2
    + 1/2)`` is non-decreasing and right-continuous in ``y``, so the reachable states run
    from the index at ``y = 0`` (``floor(QL / 2)``) to the one just below ``y = 1`` (``QL - 1``,
    since ``(2 (QL - 1) + 1) / 2`` is never an integer). 3 states for QL = 5, 6 for QL = 11.
    """
    levels = check_levels(levels)
    return level_values(levels)[levels // 2:]
