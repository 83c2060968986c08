"""Tap table and primitivity test."""

import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS, check_taps, is_primitive


@pytest.mark.parametrize("width", sorted(MAXIMAL_TAPS))
def test_table_taps_are_primitive(width):
    assert is_primitive(MAXIMAL_TAPS[width])


@pytest.mark.parametrize("taps", [(4, 2), (16, 8), (8, 4), (6, 3), (2,)])
def test_non_primitive_polynomials_are_rejected(taps):
    # x^4+x^2+1 = (x^2+x+1)^2, x^8+x^4+1 = (x^4+x^2+1)^2; x^16+x^8+1 and x^6+x^3+1
    # (order 9) are not primitive; x^2+1 = (x+1)^2.
    assert not is_primitive(taps)


def test_primitivity_agrees_with_brute_force_period():
    """For every degree-6 polynomial, primitive <=> the Galois LFSR has period 63."""
    from itertools import combinations
    for r in range(0, 5):
        for middle in combinations(range(1, 6), r):
            taps = (6,) + middle
            mask = sum(1 << (t - 1) for t in taps)
            state, period = 1, 0
            while True:
                state = (state >> 1) ^ (mask if state & 1 else 0)
                period += 1
                if state == 1 or period > 64:
                    break
            assert is_primitive(taps) == (period == 63), taps


def test_check_taps_defaults_to_table():
    assert check_taps(16, None) == MAXIMAL_TAPS[16]


@pytest.mark.parametrize("width,taps,fragment", [
    (16, (16, 8), "not primitive"),
    (16, (15, 14), "highest tap"),
    (8, (8, 0), "1..8"),
    (8, ("a",), "list of integers"),
    (40, None, "width"),
])
def test_check_taps_errors_name_the_parameter(width, taps, fragment):
    with pytest.raises(ParameterError, match=fragment):
        check_taps(width, taps)
