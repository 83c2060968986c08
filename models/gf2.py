"""GF(2) polynomials for LFSRs: the maximal-length tap table and a primitivity test.

Taps follow Xilinx XAPP052: a tap list ``(w, a, b, ...)`` names the feedback polynomial

    P(x) = x^w + x^a + x^b + ... + 1

An LFSR built on P has period 2^w - 1 (maximal) iff P is primitive. The table is XAPP052's
(checked here by :func:`is_primitive`, and exhaustively by the tests for w <= 20).

The primitivity test is written by hand because it is a dozen lines of integer arithmetic;
pulling in a computer-algebra package for it would be the larger risk.
"""

import functools

from stochhw.models.checks import ParameterError, check_int

__all__ = ["MIN_WIDTH", "MAX_WIDTH", "MAXIMAL_TAPS", "polynomial", "is_primitive", "check_taps"]

MIN_WIDTH = 2
MAX_WIDTH = 32

#: Maximal-length taps for every supported width (XAPP052, Table 3).
MAXIMAL_TAPS = {
    2: (2, 1), 3: (3, 2), 4: (4, 3), 5: (5, 3), 6: (6, 5), 7: (7, 6), 8: (8, 6, 5, 4),
    9: (9, 5), 10: (10, 7), 11: (11, 9), 12: (12, 6, 4, 1), 13: (13, 4, 3, 1),
    14: (14, 5, 3, 1), 15: (15, 14), 16: (16, 15, 13, 4), 17: (17, 14), 18: (18, 11),
    19: (19, 6, 2, 1), 20: (20, 17), 21: (21, 19), 22: (22, 21), 23: (23, 18),
    24: (24, 23, 22, 17), 25: (25, 22), 26: (26, 6, 2, 1), 27: (27, 5, 2, 1), 28: (28, 25),
    29: (29, 27), 30: (30, 6, 4, 1), 31: (31, 28), 32: (32, 22, 2, 1),
}


def polynomial(taps):
    """The feedback polynomial of ``taps`` as an integer bit mask (bit i = coefficient of x^i)."""
    poly = 1
    for t in taps:
        poly |= 1 << t
    return poly


@functools.lru_cache(maxsize=None)
def _prime_factors(n):
    factors, d = [], 2
    while d * d <= n:
        if n % d == 0:
            factors.append(d)
            while n % d == 0:
                n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return tuple(factors)


def _mulmod(a, b, poly, degree):
    """a * b mod poly over GF(2)."""
    result = 0
    while b:
        if b & 1:
            result ^= a
        b >>= 1
        a <<= 1
        if a >> degree & 1:
            a ^= poly
    return result


def _powmod_x(exponent, poly, degree):
    """x^exponent mod poly over GF(2)."""
    result, base = 1, 0b10
    while exponent:
        if exponent & 1:
            result = _mulmod(result, base, poly, degree)
        base = _mulmod(base, base, poly, degree)
        exponent >>= 1
    return result


def is_primitive(taps):
    """True iff the polynomial named by ``taps`` is primitive over GF(2).

    P of degree w is primitive iff x has multiplicative order exactly 2^w - 1 modulo P:
    x^(2^w-1) = 1 and x^((2^w-1)/q) != 1 for every prime q dividing 2^w - 1. (A reducible P
    has fewer than 2^w - 1 units, so no element can reach that order.)
    """
    degree = max(taps)
    poly = polynomial(taps)
    order = (1 << degree) - 1
    if _powmod_x(order, poly, degree) != 1:
        return False
    return all(_powmod_x(order // q, poly, degree) != 1 for q in _prime_factors(order))


def check_taps(width, taps):
    """Validate a user tap list for an LFSR of ``width`` bits; return it as a sorted tuple.

    ``None`` selects the table's maximal taps. A given list must contain ``width`` itself,
    name only positions 1..width, and describe a primitive polynomial.
    """
    width = check_int("width", width, MIN_WIDTH, MAX_WIDTH)
    if taps is None:
        return MAXIMAL_TAPS[width]
    try:
        taps = tuple(sorted({int(t) for t in taps}, reverse=True))
    except (TypeError, ValueError):
        raise ParameterError(f"taps must be a list of integers, not {taps!r}") from None
    if not taps or taps[0] != width:
        raise ParameterError(f"taps must include the width {width} as the highest tap, not {list(taps)}")
    if taps[-1] < 1:
        raise ParameterError(f"taps must be in 1..{width}, not {list(taps)}")
    if not is_primitive(taps):
        raise ParameterError(f"taps {','.join(map(str, taps))} do not give a maximal-length LFSR "
                             f"(x^{width} + ... + 1 is not primitive); e.g. use "
                             f"{','.join(map(str, MAXIMAL_TAPS[width]))}")
    return taps
