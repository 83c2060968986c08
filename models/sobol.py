"""Sobol low-discrepancy sequences in ``bits``-bit fixed point: direction numbers and points.

A Sobol sequence (Sobol' 1967) in dimension ``d`` is built from ``bits`` *direction numbers*
``v_0 .. v_(bits-1)``, each a ``bits``-bit integer. Point ``n`` is the XOR of the direction
numbers selected by the bits of the Gray code of ``n`` (Antonov and Saleev 1979)::

    g = n ^ (n >> 1)
    x_n = XOR of v_j over the bits j set in g

Successive Gray codes differ in one bit, the number of trailing ones of ``n``, so a generator
needs one XOR per step: ``x_(n+1) = x_n ^ v_(c(n))`` with ``c(n) = trailing_ones(n)``. That is
the hardware form (:func:`stochhw.hw.sc_stream.sobol_randoms`). The index runs modulo
``2^bits``: at ``n = 2^bits - 1`` (all ones) the step uses ``v_(bits-1)``, which brings
``x`` back to ``x_0``, so the sequence has period ``2^bits`` and every one of its periods visits
each ``bits``-bit value exactly once in every dimension.

Direction numbers ``v_k = m_k * 2^(bits-1-k)`` come from odd integers ``m_k < 2^(k+1)``:
dimension 1 has every ``m_k = 1`` (the van der Corput sequence, bit-reversed counting); each
further dimension takes a primitive polynomial ``x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1`` over
GF(2) and ``s`` initial values ``m_0 .. m_(s-1)``, and continues by the recurrence::

    m_k = (2 a_1 m_(k-1)) ^ (4 a_2 m_(k-2)) ^ ... ^ (2^(s-1) a_(s-1) m_(k-s+1))
          ^ (2^s m_(k-s)) ^ m_(k-s)

:data:`JOE_KUO` holds ``(s, a, m_0..m_(s-1))`` of dimensions 2 to :data:`MAX_DIMENSION`, the first
rows of Joe and Kuo's table ``new-joe-kuo-6.21201`` (S. Joe and F. Y. Kuo, "Constructing Sobol
sequences with better two-dimensional projections", SIAM J. Sci. Comput. 30, 2008), where
``a`` packs ``a_1 .. a_(s-1)`` with ``a_1`` as its most significant bit. These are the direction
numbers SciPy's unscrambled ``scipy.stats.qmc.Sobol`` uses (the tests compare the two).

Dimensions 1 and 2 form a ``(0, m, 2)``-net in base 2: the first ``2^m`` points put exactly
one point in every dyadic box of area ``2^-m``; other pairs form ``(t, m, 2)``-nets with a small
``t`` (one point per box of area ``2^(t-m)``; Joe and Kuo chose their table to keep ``t``
small). That is why two comparators fed by two dimensions multiply far more accurately than
two fed by independent random numbers (an error of order ``log(N) / N`` rather than
``1 / sqrt(N)``). An XOR of a constant (a *digital shift*) keeps the net property;
:func:`sobol_shifts` derives one per generator from a seed.

This module is a shared rule of the bottom layer: it imports nothing above :mod:`stochhw.models`.
"""

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_int
from stochhw.models.seeds import splitmix64

__all__ = ["JOE_KUO", "MAX_DIMENSION", "MAX_BITS", "direction_numbers", "sobol_points",
           "sobol_shifts", "trailing_ones", "check_dimensions"]

#: ``(s, a, m_0..m_(s-1))`` of dimensions 2, 3, ...: Joe and Kuo's ``new-joe-kuo-6.21201``.
JOE_KUO = (
    (1, 0, (1,)),
    (2, 1, (1, 3)),
    (3, 1, (1, 3, 1)),
    (3, 2, (1, 1, 1)),
    (4, 1, (1, 1, 3, 3)),
    (4, 4, (1, 3, 5, 13)),
    (5, 2, (1, 1, 5, 5, 17)),
    (5, 4, (1, 1, 5, 5, 5)),
    (5, 7, (1, 1, 7, 11, 19)),
    (5, 11, (1, 1, 5, 1, 1)),
    (5, 13, (1, 1, 1, 3, 11)),
    (5, 14, (1, 3, 5, 5, 31)),
    (6, 1, (1, 3, 3, 9, 7, 49)),
    (6, 13, (1, 1, 1, 15, 21, 21)),
    (6, 16, (1, 3, 1, 13, 27, 49)),
    (6, 19, (1, 1, 1, 15, 7, 5)),
    (6, 22, (1, 3, 1, 15, 13, 25)),
    (6, 25, (1, 1, 5, 5, 19, 61)),
    (7, 1, (1, 3, 7, 11, 23, 15, 103)),
    (7, 4, (1, 3, 7, 13, 13, 15, 69)),
    (7, 7, (1, 1, 3, 13, 7, 35, 63)),
    (7, 8, (1, 3, 5, 9, 1, 25, 53)),
    (7, 14, (1, 3, 1, 13, 9, 35, 107)),
    (7, 19, (1, 3, 1, 5, 27, 61, 31)),
    (7, 21, (1, 1, 5, 11, 19, 41, 61)),
    (7, 28, (1, 3, 5, 3, 3, 13, 69)),
    (7, 31, (1, 1, 7, 13, 1, 19, 1)),
    (7, 32, (1, 3, 7, 5, 13, 19, 59)),
    (7, 37, (1, 1, 3, 9, 25, 29, 41)),
    (7, 41, (1, 3, 5, 13, 23, 1, 55)),
    (7, 42, (1, 3, 7, 3, 13, 59, 17)),
)
#: Dimensions with direction numbers here (1, the van der Corput sequence, and JOE_KUO's).
MAX_DIMENSION = 1 + len(JOE_KUO)
#: Widest points: the comparator width of the SC generators.
MAX_BITS = 16


def _m_values(dimension, bits):
    if dimension == 1:
        return [1] * bits
    s, a, initial = JOE_KUO[dimension - 2]
    m = list(initial[:bits])
    for k in range(s, bits):
        value = m[k - s] ^ (m[k - s] << s)
        for j in range(1, s):
            if (a >> (s - 1 - j)) & 1:
                value ^= m[k - j] << j
        m.append(value)
    return m


def direction_numbers(dimension, bits):
    """The ``bits`` direction numbers ``v_0 .. v_(bits-1)`` of ``dimension`` (1-based), as ints.

    ``v_k = m_k * 2^(bits-1-k)``: ``v_0`` is the top bit, and ``v_k`` has its lowest set bit at
    position ``bits-1-k``, so the ``v_k`` are linearly independent and every period of
    ``2^bits`` points visits each ``bits``-bit value once.
    """
    dimension = check_int("dimension", dimension, 1, MAX_DIMENSION)
    bits = check_int("bits", bits, 1, MAX_BITS)
    return tuple(m << (bits - 1 - k) for k, m in enumerate(_m_values(dimension, bits)))


def trailing_ones(n, bits):
    """Trailing ones of ``bits``-bit ``n`` (array), capped at ``bits - 1``: the direction number a
    generator at index ``n`` XORs in to reach index ``n + 1`` (mod ``2^bits``)."""
    n = np.asarray(n, dtype=np.int64)
    count = np.zeros(n.shape, dtype=np.int64)
    run = np.ones(n.shape, dtype=bool)
    for j in range(bits - 1):
        run &= ((n >> j) & 1).astype(bool)
        count += run
    return count


def sobol_points(index, directions, shift=0):
    """Points ``x_n ^ shift`` of the sequence with ``directions`` at indices ``index``.

    Parameters
    ----------
    index : array_like of int
        Point indices ``n >= 0``; taken modulo ``2^bits`` (the period).
    directions : sequence of int, or ndarray of shape (lanes, bits)
        :func:`direction_numbers` of one dimension, or one row per lane.
    shift : int or array_like of int, shape (lanes,)
        Digital shift XORed into every point (per lane).

    Returns
    -------
    ndarray of uint64
        ``index.shape`` for one dimension, ``index.shape + (lanes,)`` for rows of directions.
    """
    v = np.asarray(directions, dtype=np.uint64)
    bits = v.shape[-1]
    n = np.asarray(index, dtype=np.int64) & mask(bits)
    gray = (n ^ (n >> 1))[..., None] if v.ndim == 2 else n ^ (n >> 1)
    x = np.zeros(np.broadcast_shapes(np.shape(gray), v.shape[:-1]), dtype=np.uint64)
    for j in range(bits):
        x ^= np.where(((gray >> j) & 1).astype(bool), v[..., j], np.uint64(0))
    return x ^ np.asarray(shift, dtype=np.uint64)


def sobol_shifts(seed, count, bits):
    """Digital shifts of ``count`` generators: the low ``bits`` bits of SplitMix64 outputs
    ``0 .. count-1`` started at ``seed`` (:func:`stochhw.models.seeds.splitmix64`)."""
    seed = check_int("seed", seed, 0, mask(64))
    count = check_int("count", count, 0)
    bits = check_int("bits", bits, 1, MAX_BITS)
    return tuple(splitmix64(seed, i) & mask(bits) for i in range(count))


def check_dimensions(count, name="lanes"):
    """``count`` generators, each on its own dimension: at most :data:`MAX_DIMENSION`."""
    if count > MAX_DIMENSION:
        raise ParameterError(f"{name} must be <= {MAX_DIMENSION} with source=sobol (one Sobol "
                             f"dimension per generator), not {count}")
    return count
