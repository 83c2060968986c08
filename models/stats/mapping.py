"""Choosing a number mapping for an extractor from a histogram of its numbers.

A *number mapping* is a permutation ``m`` of ``0 .. 2^k - 1`` applied to every extracted
number (``lsb_extractor``'s ``mapping`` parameter: ``out = m[number]``). A permutation never
changes the Shannon entropy of the numbers (it only renames values), so it cannot make a biased
source more random. What it can change is *where* the frequent values sit, and that is what
stochastic rounding feels.

Rounding bias. A stochastic rounding unit with k random bits rounds ``x`` up iff
``rnd >= 2^k - f`` (``f = x mod 2^k``; :func:`stochhw.models.sru.stochastic_round`). With ``rnd``
independent of ``x`` and ``F(u) = P(rnd < u)``, its mean error for fractional part f is, in
LSBs of x::

    bias(f) = 2^k * P(rnd >= 2^k - f) - f = 2^k * (u / 2^k - F(u)),    u = 2^k - f

so the rounding bias at every fractional part is ``2^k`` times the distance between the CDF of
the numbers and the uniform CDF at one grid point; its mean over f is
``mean(rnd) - (2^k - 1) / 2``, and its worst case is ``2^k`` times the Kolmogorov-Smirnov
distance (on the grid) between the numbers and the uniform distribution.

:func:`balanced_mapping` picks the permutation that minimizes that worst case, then the
root-mean-square bias over f (ties: the lexicographically first order). For k <= 3 it tries
all ``(2^k)!`` orders (40320 at k = 3): the optimum. For larger k it runs a deterministic local
search: it starts from several orders (identity; values by decreasing frequency placed from the
middle outwards; a greedy order that keeps the CDF nearest the diagonal) and applies the best
improving swap of two positions until none improves; the result is checked against the lower
bound of :func:`bias_lower_bound`, which no mapping can beat.

This is a rule of this project, stated here so that anyone can reproduce it; the example
mapping of the issue, ``{0..7} -> {3, 1, 2, 7, 4, 6, 5, 0}``, is analysed as given.

The paper's mapping and its selection rule, for numbers of any width k >= 3 (and k >= 2):

* :data:`PAPER_MAPPING` is the paper's 3-bit table. :func:`paper_mapping` applies it to the
  three most significant bits of a k-bit number and keeps the k - 3 low bits: ``out =
  PAPER_MAPPING[n >> (k-3)] * 2^(k-3) + (n mod 2^(k-3))``. At k = 3 it is the table itself.
  Extending it through the top bits is this project's choice: the rounding decision
  ``rnd >= 2^k - f`` depends on the numbers' CDF, and at the 8 coarse grid points
  ``u = j 2^(k-3)`` this extension has exactly the CDF the table gives 3-bit numbers.
* The paper states the rule behind its table: even numbers go to the middle of the range.
  :func:`even_middle_mapping` applies it at full width: the 2^(k-1) even values, smallest
  first, take the middle half of the range ``[2^(k-2), 3 2^(k-2))`` in order of distance from
  its centre ``c = 2^(k-1) - 1`` (nearer first, left before right on a tie); the odd values,
  smallest first, take the outer quarters in the same order of distance from c. At k = 3 the
  even values land exactly where the paper's table puts them (0, 2, 4, 6 -> 3, 2, 4, 5); its
  odd values (1, 3, 5, 7 -> 1, 7, 6, 0) follow no order that we could state for other
  widths, so the rule places them 1, 0, 6, 7.

Why even numbers: a zero code gives the number 0 under either extraction method, and more
generally a tensor rich in small or zero codes gives LSBs that are 0 more often than 1, so even
numbers are the frequent ones; in the middle of the range they decide fewer roundings one way.
"""

import itertools

import numpy as np

from stochhw.models.checks import ParameterError, check_int

__all__ = ["EXACT_MAX_BITS", "PAPER_MAPPING", "bias_profile", "bias_lower_bound",
           "balanced_mapping", "mapping_from_order", "paper_mapping", "even_middle_mapping"]

#: Up to this many bits :func:`balanced_mapping` searches every permutation.
EXACT_MAX_BITS = 3
MAX_BITS = 12
#: The paper's 3-bit number mapping {0..7} -> {3, 1, 2, 7, 4, 6, 5, 0}: ``out = PAPER_MAPPING[n]``.
PAPER_MAPPING = (3, 1, 2, 7, 4, 6, 5, 0)


def _check_counts(counts):
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.size < 2 or counts.size & (counts.size - 1):
        raise ParameterError(f"counts must be a 1-D histogram of 2^k values (k >= 1), not of "
                             f"shape {counts.shape}")
    bits = counts.size.bit_length() - 1
    check_int("bits", bits, 1, MAX_BITS)
    if not (np.issubdtype(counts.dtype, np.integer) or np.issubdtype(counts.dtype, np.floating)):
        raise ParameterError(f"counts must be numbers, not dtype {counts.dtype}")
    if np.any(counts < 0) or not np.all(np.isfinite(counts)) or counts.sum() <= 0:
        raise ParameterError("counts must be finite, >= 0 and not all zero")
    return counts.astype(np.float64) / counts.sum(), bits


def bias_profile(counts, mapping=None):
    """Mean rounding error ``bias[f]`` for every fractional part f = 0 .. 2^k - 1.

    Parameters
    ----------
    counts : array_like, shape (2^k,)
        Histogram of the raw numbers (``counts[v]``: how often v occurs).
    mapping : sequence of int, optional
        The permutation applied to each number; ``None`` is the identity.

    Returns
    -------
    ndarray of float64, shape (2^k,)
        In LSBs of x (``bias[0]`` is 0: nothing to round).
    """
    p, bits = _check_counts(counts)
    size = p.size
    if mapping is not None:
        mapping = np.asarray(mapping, dtype=np.int64)
        if mapping.shape != (size,) or sorted(mapping.tolist()) != list(range(size)):
            raise ParameterError(f"mapping must be a permutation of 0..{size - 1}")
        p = np.bincount(mapping, weights=p, minlength=size)
    # F(u) = P(rnd < u), u = 0 .. 2^k; bias(f) = u - 2^k F(u) with u = 2^k - f.
    cdf = np.concatenate([[0.0], np.cumsum(p)])
    u = size - np.arange(size)
    return u - size * cdf[u]


def bias_lower_bound(counts):
    """No mapping has a worst-case bias below ``2^k * (p_max - 2^-k) / 2`` (LSBs of x).

    The most frequent value makes the CDF jump by ``p_max`` across one grid step, in which the
    uniform CDF rises by ``2^-k``; the deviations before and after the step differ by the
    difference, so one of them is at least half of it.
    """
    p, _ = _check_counts(counts)
    return max(0.0, p.size * (p.max() - 1.0 / p.size) / 2)


def mapping_from_order(order):
    """The mapping that sends ``order[u]`` to u (the value placed at position u)."""
    order = np.asarray(order, dtype=np.int64)
    mapping = np.empty_like(order)
    mapping[order] = np.arange(order.size)
    return tuple(int(v) for v in mapping)


def _scores(p, orders):
    """(worst |bias|, RMS bias) of every order (rows of ``orders``), in units of 2^-k."""
    size = p.size
    deviation = np.cumsum(p[orders], axis=1)[:, :-1] - np.arange(1, size) / size
    return np.abs(deviation).max(axis=1), np.sqrt((deviation ** 2).mean(axis=1))


def _best(p, orders):
    worst, rms = _scores(p, orders)
    # Round so that float noise does not decide between orders that tie exactly.
    pick = np.lexsort((rms.round(12), worst.round(12)))[0]
    return orders[pick], (worst[pick].round(12), rms[pick].round(12))


def _greedy_order(p):
    """Place at each position the remaining value that keeps the CDF nearest the diagonal."""
    size, left, order, total = p.size, list(range(p.size)), [], 0.0
    for u in range(1, size + 1):
        pick = min(left, key=lambda v: (abs(total + p[v] - u / size), v))
        left.remove(pick)
        order.append(pick)
        total += p[pick]
    return order


def _middle_out_order(p):
    """Values by decreasing frequency, the first in the middle, then alternately left and right."""
    size = p.size
    ranked = sorted(range(size), key=lambda v: (-p[v], v))
    positions = [size // 2 + (-(i + 1) // 2 if i % 2 else i // 2) for i in range(size)]
    order = [0] * size
    for value, position in zip(ranked, positions):
        order[position] = value
    return order


def _swap_scores(p, order):
    """(worst |deviation|, RMS deviation) after swapping positions a < b, for every pair.

    Swapping the values at positions a and b changes the CDF at u = a+1 .. b by
    ``delta = p[order[b]] - p[order[a]]`` and nowhere else, so every pair is scored from range
    maxima, minima and sums of the current deviation: O(size^2) per call.
    """
    size = p.size
    dev = np.concatenate([[0.0], np.cumsum(p[order]) - np.arange(1, size + 1) / size])
    inside = np.arange(size + 1)[None, :] > np.arange(size)[:, None]      # [a, u]: u > a
    high = np.maximum.accumulate(np.where(inside, dev[None, :], -np.inf), axis=1)
    low = np.minimum.accumulate(np.where(inside, dev[None, :], np.inf), axis=1)
    total = np.cumsum(np.where(inside, dev[None, :], 0.0), axis=1)
    magnitude = np.abs(dev)
    before = np.maximum.accumulate(magnitude)                 # max |dev[0..a]|
    after = np.maximum.accumulate(magnitude[::-1])[::-1]      # max |dev[b..size]|
    a, b = np.triu_indices(size, 1)
    delta = p[order[b]] - p[order[a]]
    worst = np.maximum.reduce([np.abs(high[a, b] + delta), np.abs(low[a, b] + delta),
                               before[a], after[np.minimum(b + 1, size)]])
    squares = (dev ** 2).sum() + 2 * delta * total[a, b] + (b - a) * delta ** 2
    return a, b, worst, np.sqrt(np.maximum(squares, 0.0) / (size - 1))


def _local_search(p, order):
    """Best-improvement swaps of two positions until no swap improves (worst, RMS)."""
    order = np.asarray(order, dtype=np.int64)
    best = _best(p, order[None, :])[1]
    while True:
        a, b, worst, rms = _swap_scores(p, order)
        pick = np.lexsort((rms.round(12), worst.round(12)))[0]
        if (worst[pick].round(12), rms[pick].round(12)) >= best:
            return order, best
        order = order.copy()
        order[a[pick]], order[b[pick]] = order[b[pick]], order[a[pick]]
        best = _best(p, order[None, :])[1]


def balanced_mapping(counts):
    """The mapping that minimizes the worst-case rounding bias of numbers with this histogram.

    Parameters
    ----------
    counts : array_like, shape (2^k,), 1 <= k <= 12
        Histogram of the raw numbers.

    Returns
    -------
    tuple of int
        The permutation ``m`` (``out = m[number]``); see the module docstring for the rule.
    """
    p, bits = _check_counts(counts)
    if bits <= EXACT_MAX_BITS:
        orders = np.array(list(itertools.permutations(range(p.size))), dtype=np.int64)
        return mapping_from_order(_best(p, orders)[0])
    starts = [list(range(p.size)), _middle_out_order(p), _greedy_order(p)]
    results = [_local_search(p, start) for start in starts]
    order = _best(p, np.array([r[0] for r in results]))[0]
    return mapping_from_order(order)


def paper_mapping(bits):
    """The paper's 3-bit table on the top three bits of ``bits``-bit numbers (module docstring).

    Parameters
    ----------
    bits : int
        Number width k, 3..12.

    Returns
    -------
    tuple of int
        A permutation of ``0 .. 2^k - 1``; :data:`PAPER_MAPPING` itself for k = 3.
    """
    bits = check_int("bits", bits, 3, MAX_BITS)
    low = bits - 3
    n = np.arange(1 << bits)
    out = np.asarray(PAPER_MAPPING)[n >> low] << low | (n & ((1 << low) - 1))
    return tuple(int(v) for v in out)


def _by_distance(positions, centre):
    """``positions`` sorted by distance from ``centre``, the lower one first on a tie."""
    return sorted(positions, key=lambda p: (abs(p - centre), p))


def even_middle_mapping(bits):
    """The paper's selection rule at full width: even numbers to the middle (module docstring).

    Parameters
    ----------
    bits : int
        Number width k, 2..12.

    Returns
    -------
    tuple of int
        A permutation of ``0 .. 2^k - 1`` sending every even number into
        ``[2^(k-2), 3 * 2^(k-2))``.
    """
    bits = check_int("bits", bits, 2, MAX_BITS)
    size, quarter = 1 << bits, 1 << (bits - 2)
    centre = size // 2 - 1
    middle = _by_distance(range(quarter, size - quarter), centre)
    outer = _by_distance([*range(quarter), *range(size - quarter, size)], centre)
    mapping = [0] * size
    for j, position in enumerate(middle):
        mapping[2 * j] = position
    for j, position in enumerate(outer):
        mapping[2 * j + 1] = position
    return tuple(mapping)
