"""Tests for stochhw.models.stats.entropy: packing bits into numbers and their Shannon entropy."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stochhw.models.checks import ParameterError
from stochhw.models.stats.entropy import counts_entropy, pack_bits, shannon_entropy

# ------------------------------------------------------------------------------------------
# pack_bits
# ------------------------------------------------------------------------------------------

def test_first_bit_is_the_least_significant():
    assert pack_bits([1, 0, 0, 0], 4).tolist() == [1]
    assert pack_bits([0, 0, 0, 1], 4).tolist() == [8]
    assert pack_bits([1, 0, 0, 0, 0, 0, 1, 1], 4).tolist() == [1, 12]


def test_incomplete_last_group_is_dropped():
    assert pack_bits([1, 1, 1, 1, 1], 2).tolist() == [3, 3]
    assert pack_bits([1, 1], 3).size == 0


@pytest.mark.parametrize("bits, dtype", [(1, np.uint8), (8, np.uint8), (9, np.uint16),
                                         (16, np.uint16), (17, np.uint32), (33, np.uint64),
                                         (64, np.uint64)])
def test_smallest_dtype_that_holds_the_width(bits, dtype):
    assert pack_bits(np.ones(bits, dtype=np.uint8), bits).dtype == dtype


def test_64_bit_numbers_keep_every_bit():
    assert int(pack_bits(np.ones(64, dtype=np.uint8), 64)[0]) == 2 ** 64 - 1


@settings(max_examples=50, deadline=None)
@given(bits=st.integers(1, 64), count=st.integers(0, 20), seed=st.integers(0, 2 ** 32 - 1))
def test_pack_matches_python_integers(bits, count, seed):
    stream = np.random.default_rng(seed).integers(0, 2, count * bits + bits // 2)
    expected = [sum(int(b) << j for j, b in enumerate(stream[k * bits:(k + 1) * bits]))
                for k in range(count)]
    assert [int(v) for v in pack_bits(stream, bits)] == expected


def test_pack_agrees_with_numpy_little_endian_packbits():
    stream = np.random.default_rng(7).integers(0, 2, 8000).astype(np.uint8)
    assert np.array_equal(pack_bits(stream, 8), np.packbits(stream, bitorder="little"))


@pytest.mark.parametrize("stream, bits, parameter", [
    ([0, 1], 0, "bits"),
    ([0, 1], 65, "bits"),
    ([0, 1], 2.0, "bits"),
    ([0, 2], 1, "stream"),
    ([[0, 1]], 1, "stream"),
    ([0.0, 1.0], 1, "stream"),
])
def test_pack_rejects_bad_arguments(stream, bits, parameter):
    with pytest.raises(ValueError, match=rf"^{parameter}\b"):
        pack_bits(stream, bits)


# ------------------------------------------------------------------------------------------
# shannon_entropy
# ------------------------------------------------------------------------------------------

def test_known_distribution():
    assert shannon_entropy([0, 0, 1, 2], bits=2) == pytest.approx(1.5, abs=1e-15)
    # p = 1/3, 1/3, 1/6, 1/6
    expected = 2 / 3 * math.log2(3) + 1 / 3 * math.log2(6)
    assert shannon_entropy([5, 5, 6, 6, 7, 9], bits=4) == pytest.approx(expected, abs=1e-15)


def test_constant_source_has_no_entropy():
    assert shannon_entropy(np.full(1000, 3), bits=2) == 0.0


@pytest.mark.parametrize("bits", [1, 4, 8, 12])
def test_every_value_once_gives_the_full_width(bits):
    values = np.random.default_rng(bits).permutation(2 ** bits)
    assert shannon_entropy(values, bits) == pytest.approx(bits, abs=1e-12)


def test_entropy_ignores_shape_and_order():
    values = np.random.default_rng(3).integers(0, 16, (40, 25))
    assert shannon_entropy(values, 4) == pytest.approx(shannon_entropy(values.ravel()[::-1], 4))


def test_width_64_accepts_the_largest_value():
    values = np.array([0, 2 ** 64 - 1], dtype=np.uint64)
    assert shannon_entropy(values, 64) == pytest.approx(1.0)


def test_packed_random_bits_are_close_to_the_width():
    # 2^20 8-bit samples from a good generator: the plug-in estimate falls short of 8 bits by
    # about (2^8 - 1) / (2 N ln 2) = 1.8e-4 bits.
    stream = np.random.default_rng(11).integers(0, 2, 8 * 2 ** 20)
    assert shannon_entropy(pack_bits(stream, 8), 8) == pytest.approx(8, abs=1e-3)


def test_biased_bits_lose_entropy():
    stream = (np.random.default_rng(12).random(8 * 100_000) < 0.9).astype(np.uint8)
    per_bit = -(0.9 * math.log2(0.9) + 0.1 * math.log2(0.1))
    assert shannon_entropy(pack_bits(stream, 8), 8) == pytest.approx(8 * per_bit, abs=0.02)


@settings(max_examples=50, deadline=None)
@given(bits=st.integers(1, 16),
       values=st.lists(st.integers(0, 2 ** 16 - 1), min_size=1, max_size=200))
def test_entropy_is_between_zero_and_the_bounds(bits, values):
    values = [v % (1 << bits) for v in values]
    h = shannon_entropy(values, bits)
    assert 0.0 <= h <= min(bits, math.log2(len(values))) + 1e-12


@pytest.mark.parametrize("values, bits, parameter", [
    ([], 4, "values"),
    ([0.5, 1.0], 4, "values"),
    ([-1, 0], 4, "values"),
    ([16], 4, "values"),
    ([0], 0, "bits"),
    ([0], 65, "bits"),
    ([0], True, "bits"),
])
def test_entropy_rejects_bad_arguments(values, bits, parameter):
    with pytest.raises(ValueError, match=rf"^{parameter}\b"):
        shannon_entropy(values, bits)


def test_counts_entropy_equals_the_entropy_of_the_samples():
    values = np.random.default_rng(4).integers(0, 16, 5000) ** 2 % 16
    assert counts_entropy(np.bincount(values, minlength=16)) == pytest.approx(
        shannon_entropy(values, 4), abs=1e-12)
    with pytest.raises(ParameterError, match="counts"):
        counts_entropy([0, 0])
    with pytest.raises(ParameterError, match="counts"):
        counts_entropy([0.5, 0.5])
