"""Golden model of ``parallel_counter``: the number of ones among ``n`` bits, exact or approximate.

* **exact**: ``count = x_0 + ... + x_(n-1)`` (an adder tree in hardware).
* **approx**: an approximate parallel counter after Kim, Lee and Choi's APC (the counter of the
  SC neural networks of Kim et al., DAC 2016), which replaces the first layer of adders by
  AND/OR gate pairs. This model computes, with ``P = n // 2`` pairs
  ``(x_(2j), x_(2j+1))``::

      g_j   = x_(2j) AND x_(2j+1)   for even j   (n_and = ceil(P/2) AND pairs)
              x_(2j) OR  x_(2j+1)   for odd j    (n_or  = floor(P/2) OR pairs)
      count = 2 * (g_0 + ... + g_(P-1)) + (x_(n-1) if n is odd else 0)

  so the adder tree sums ``P`` bits instead of ``n`` and the least significant bit is free
  (it is 0, or the unpaired input).

Error model of ``approx`` (``e = approx - exact``). For one pair, ``a + b = 2 AND(a, b) +
(a XOR b) = 2 OR(a, b) - (a XOR b)``, so exactly

    e = D_or - D_and,

where ``D_and`` (``D_or``) is the number of AND (OR) pairs whose two bits differ. Hence

* ``-n_and <= e <= n_or``, both bounds reached: ``max |e| = ceil(floor(n/2) / 2)`` (16 for
  n = 64, 196 for n = 784); ``e = 0`` whenever every pair holds equal bits;
* for independent inputs with ``P(x_i = 1) = p_i``, pair j differs with probability
  ``d_j = p_(2j) + p_(2j+1) - 2 p_(2j) p_(2j+1)`` and ``E[e] = sum_or d_j - sum_and d_j``,
  ``Var[e] = sum_j d_j (1 - d_j)``. With one common ``p`` (``d = 2 p (1 - p)``):
  ``E[e] = -(P mod 2) d`` (0 for an even number of pairs: the AND and OR errors cancel on
  average) and ``Var[e] = P d (1 - d)``; for uniform random bits (``p = 1/2``) the standard
  deviation is ``sqrt(P) / 2`` (2.83 for n = 64, 9.9 for n = 784).

The count is registered: latency 1, reset clears it.
"""

import dataclasses

import numpy as np

from stochhw.models.clocked import check_lanes, register
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["METHODS", "MAX_N", "count_width", "exact_count", "approx_count", "pair_ops",
           "approx_error_bounds", "ParallelCounterSpec", "ParallelCounterModel"]

METHODS = ("exact", "approx")
MAX_N = 4096


def count_width(n):
    """Width of a count of ``n`` bits: ``0 .. n`` needs ``n.bit_length()`` bits."""
    return n.bit_length()


def pair_ops(n):
    """The gate of every pair of the approximate counter: ``"and"`` or ``"or"``."""
    return ["and" if j % 2 == 0 else "or" for j in range(n // 2)]


def exact_count(x):
    """Ones per row of a 0/1 array ``x`` of shape ``(..., n)``; int64."""
    return np.asarray(x, dtype=np.int64).sum(axis=-1)


def approx_count(x):
    """The approximate count (module docstring) per row of a 0/1 array ``(..., n)``; int64."""
    x = np.asarray(x, dtype=np.int64)
    n = x.shape[-1]
    pairs = n // 2
    a, b = x[..., 0:2 * pairs:2], x[..., 1:2 * pairs:2]
    is_and = np.arange(pairs) % 2 == 0
    g = np.where(is_and, a & b, a | b)
    count = 2 * g.sum(axis=-1)
    return count + x[..., n - 1] if n % 2 else count


def approx_error_bounds(n):
    """``(lowest, highest)`` error ``approx - exact`` over all inputs: ``(-n_and, n_or)``."""
    pairs = n // 2
    return -((pairs + 1) // 2), pairs // 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParallelCounterSpec(Spec):
    """Parameters of ``parallel_counter`` (:class:`stochhw.hw.parallel_counter.ParallelCounter`,
    :class:`ParallelCounterModel`)."""
    n: int = param(16, "input bits", lo=1, hi=MAX_N)
    method: str = param("exact", "exact adder tree or approximate counter", choices=METHODS)

    @property
    def count_width(self):
        """Bits of ``count`` (0 .. n)."""
        return count_width(self.n)


class ParallelCounterModel(Specified):
    """Model of :class:`stochhw.hw.parallel_counter.ParallelCounter`.

    Parameters
    ----------
    spec : ParallelCounterSpec, optional
        Or its fields as keyword arguments (``n``, ``method``).

    Ports (stimulus / result keys)
    ------------------------------
    x : in, n lanes x 1 bit
    count : out, ``count_width(n)`` bits, ``count[t+1] = f(x[t])`` (latency 1)
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(ParallelCounterSpec, spec, params)

    def counts(self, x):
        """Combinational count of each row of ``x`` (``(cycles, n)`` 0/1)."""
        return (exact_count if self.method == "exact" else approx_count)(x)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"x": self.n}, "parallel_counter")
        count = self.counts(stim["x"]).astype(np.uint64)[:, None]
        return {"count": register(count, stim["rst"][:, 0], state=state, key="count")}
