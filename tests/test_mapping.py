"""Tests for stochhw.models.stats.mapping: the rounding bias of a histogram and the balanced mapping."""

import itertools

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.sru import stochastic_round
from stochhw.models.stats.mapping import (
    PAPER_MAPPING,
    balanced_mapping,
    bias_lower_bound,
    bias_profile,
    even_middle_mapping,
    mapping_from_order,
    paper_mapping,
)


def _simulated_profile(numbers, k, mapping=None):
    """Every number rounds every fractional part with the SRU rule; mean error per f."""
    numbers = np.asarray(numbers)
    if mapping is not None:
        numbers = np.asarray(mapping)[numbers]
    f = np.arange(1 << k)
    y = stochastic_round(f[None, :], numbers[:, None], k + 8, 8)
    return (y << k).mean(axis=0) - f


def _worst(counts, mapping):
    return np.abs(bias_profile(counts, mapping)).max()


@pytest.mark.parametrize("k, seed", [(2, 1), (3, 2), (5, 3)])
def test_profile_is_the_rounding_rule(k, seed):
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, 1 << k, 400) ** 2 >> k                # skewed towards 0
    counts = np.bincount(numbers, minlength=1 << k)
    mapping = rng.permutation(1 << k)
    np.testing.assert_allclose(bias_profile(counts), _simulated_profile(numbers, k), atol=1e-12)
    np.testing.assert_allclose(bias_profile(counts, mapping),
                               _simulated_profile(numbers, k, mapping), atol=1e-12)
    # Mean over f is mean(rnd) - (2^k - 1) / 2.
    assert bias_profile(counts).mean() == pytest.approx(numbers.mean() - ((1 << k) - 1) / 2)


def test_uniform_histogram_has_no_bias():
    assert np.all(bias_profile(np.full(16, 7)) == 0)


def _brute_force_worst(counts):
    """The smallest worst-case bias over every permutation, by direct enumeration."""
    size = len(counts)
    p = np.asarray(counts, dtype=float) / np.sum(counts)
    mappings = np.array(list(itertools.permutations(range(size))))
    mapped = np.zeros(mappings.shape)
    np.put_along_axis(mapped, mappings, p[None, :], axis=1)          # mapped[m, mapping[v]] = p[v]
    below = np.cumsum(mapped, axis=1)[:, :-1]                        # P(rnd < u), u = 1..size-1
    return np.abs(np.arange(1, size) - size * below).max(axis=1).min()


@pytest.mark.parametrize("k, seed", [(1, 1), (2, 4), (3, 5)])
def test_exact_search_finds_the_optimum(k, seed):
    counts = np.random.default_rng(seed).integers(0, 50, 1 << k) ** 2
    counts[0] += 1                                                   # never all zero
    best = _brute_force_worst(counts)
    mapping = balanced_mapping(counts)
    assert sorted(mapping) == list(range(1 << k))
    assert _worst(counts, mapping) == pytest.approx(best, abs=1e-9)
    assert best >= bias_lower_bound(counts) - 1e-9


def test_issue_example_helps_a_zero_heavy_source():
    """Half the numbers are 0: sending 0 to the middle (the example sends it to 3) helps."""
    counts = np.array([8, 1, 1, 1, 1, 1, 1, 2])
    example = (3, 1, 2, 7, 4, 6, 5, 0)
    assert _worst(counts, example) < _worst(counts, None)
    assert _worst(counts, balanced_mapping(counts)) <= _worst(counts, example)


def test_local_search_reaches_a_known_optimum():
    """Values 1/N + eps and 1/N - eps: the deviation moves by +-eps per position, so no order
    beats eps, and alternating them achieves it. The bound (p_max - 1/N)/2 = eps/2 is not tight."""
    size, eps = 64, 1 / 1024
    p = np.where(np.random.default_rng(7).permutation(size) % 2 == 0, 1 / size + eps,
                 1 / size - eps)
    mapping = balanced_mapping(p)
    assert _worst(p, mapping) == pytest.approx(size * eps, rel=1e-9)
    assert bias_lower_bound(p) == pytest.approx(size * eps / 2)
    assert _worst(p, None) > 2 * size * eps                          # identity is worse


@pytest.mark.parametrize("seed", [1, 2])
def test_local_search_is_between_the_bound_and_the_identity(seed):
    rng = np.random.default_rng(seed)
    counts = np.bincount(np.minimum(rng.geometric(0.15, 20000), 63), minlength=64)
    mapping = balanced_mapping(counts)
    assert sorted(mapping) == list(range(64))
    assert bias_lower_bound(counts) - 1e-9 <= _worst(counts, mapping) < _worst(counts, None) / 4
    assert balanced_mapping(counts) == mapping                       # deterministic


def test_mapping_from_order():
    assert mapping_from_order([2, 0, 1]) == (1, 2, 0)                # value 2 at position 0


@pytest.mark.parametrize("counts", [[1, 2, 3], [[1, 2], [3, 4]], [0, 0], [1, -1], [1.0, np.nan],
                                    ["a", "b"], [1]])
def test_bad_counts_name_counts(counts):
    with pytest.raises(ParameterError, match=r"^counts\b"):
        bias_profile(np.array(counts, dtype=object) if counts == ["a", "b"] else counts)


@pytest.mark.parametrize("mapping", [(0, 1, 2, 2), (0, 1, 2), (0, 1, 2, 4)])
def test_bad_mapping_names_mapping(mapping):
    with pytest.raises(ParameterError, match=r"^mapping\b"):
        bias_profile([1, 2, 3, 4], mapping)


# ------------------------------------------------------------------------------------------
# The paper's mapping and its selection rule
# ------------------------------------------------------------------------------------------

def test_paper_mapping_is_the_table_at_three_bits():
    assert paper_mapping(3) == PAPER_MAPPING == (3, 1, 2, 7, 4, 6, 5, 0)


@pytest.mark.parametrize("bits", [3, 4, 6, 8])
def test_paper_mapping_keeps_the_tables_cdf_on_the_coarse_grid(bits):
    mapping = np.array(paper_mapping(bits))
    assert sorted(mapping.tolist()) == list(range(1 << bits))
    # Any histogram: P(mapped < j 2^(k-3)) equals what the table gives the top three bits.
    counts = np.random.default_rng(bits).integers(0, 50, 1 << bits)
    mapped = np.bincount(mapping, weights=counts, minlength=1 << bits)
    top = np.bincount(np.arange(1 << bits) >> (bits - 3), weights=counts, minlength=8)
    table = np.bincount(np.array(PAPER_MAPPING), weights=top, minlength=8)
    step = 1 << (bits - 3)
    np.testing.assert_allclose(np.cumsum(mapped)[step - 1::step], np.cumsum(table))


@pytest.mark.parametrize("bits", range(2, 9))
def test_even_middle_mapping_sends_even_numbers_to_the_middle(bits):
    mapping = np.array(even_middle_mapping(bits))
    size, quarter = 1 << bits, 1 << (bits - 2)
    assert sorted(mapping.tolist()) == list(range(size))
    evens, odds = mapping[0::2], mapping[1::2]
    assert np.all((evens >= quarter) & (evens < size - quarter))
    assert np.all((odds < quarter) | (odds >= size - quarter))
    # The most frequent candidate, 0, sits at the centre.
    assert mapping[0] == size // 2 - 1


def test_even_middle_mapping_places_evens_as_the_papers_table():
    rule, table = even_middle_mapping(3), PAPER_MAPPING
    assert rule[0::2] == table[0::2]


def test_paper_mappings_refuse_bad_widths():
    with pytest.raises(ParameterError, match="bits must be in 3..12"):
        paper_mapping(2)
    with pytest.raises(ParameterError, match="bits must be in 2..12"):
        even_middle_mapping(1)
