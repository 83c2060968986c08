"""Tests of stochhw.models.sc_quant: the paper's Eq. 1-3 quantizer and the quantized sigmoid."""

import math
from fractions import Fraction

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.sc_quant import level_values, quantize, quantize_index, quantized_sigmoid, sigmoid_states


def ref_index(x, levels, lo=-1, hi=1):
    """Eq. 1-3 in exact rational arithmetic: clip, delta = (hi-lo)/(n-1), round half up."""
    x, lo, hi = Fraction(x), Fraction(lo), Fraction(hi)
    x = min(max(x, lo), hi)
    delta = (hi - lo) / (levels - 1)
    return math.floor((x - lo) / delta + Fraction(1, 2))


@pytest.mark.parametrize("levels", [2, 3, 5, 11, 16])
@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (0.0, 1.0), (-0.75, 2.5)])
def test_index_matches_exact_rational_reference(levels, lo, hi):
    rng = np.random.default_rng(levels)
    x = np.concatenate([rng.uniform(lo - 1, hi + 1, 2000),
                        # exact ties (midpoints between states) and the states themselves
                        [lo + (hi - lo) * (k + 0.5) / (levels - 1) for k in range(levels - 1)],
                        [lo + (hi - lo) * k / (levels - 1) for k in range(levels)]])
    got = quantize_index(x, levels, lo, hi)
    want = [ref_index(v, levels, lo, hi) for v in x]
    np.testing.assert_array_equal(got, want)


def test_ties_round_up_and_values_are_states():
    # QL = 5 over [-1, 1]: states -1, -0.5, 0, 0.5, 1; the midpoints (exact in binary) round up.
    np.testing.assert_array_equal(quantize([-0.75, -0.25, 0.25, 0.75], 5), [-0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(quantize([-3.0, 7.0], 5), [-1.0, 1.0])
    for levels in (5, 11):
        x = np.random.default_rng(0).uniform(-2, 2, 1000)
        values = quantize(x, levels)
        assert set(values.tolist()) <= set(level_values(levels).tolist())
        np.testing.assert_array_equal(values, level_values(levels)[quantize_index(x, levels)])


def test_level_values_are_correctly_rounded():
    np.testing.assert_array_equal(level_values(11), [k / 10 for k in range(-10, 11, 2)])
    np.testing.assert_array_equal(level_values(5), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_array_equal(level_values(3, 0.0, 1.0), [0, 0.5, 1])


@pytest.mark.parametrize("levels,count", [(5, 3), (11, 6)])
def test_sigmoid_states_count_and_reachability(levels, count):
    states = sigmoid_states(levels)
    assert len(states) == count
    # Sweep pre-activations densely: the reachable set must be exactly the claimed states.
    s = np.linspace(-40, 40, 200001)
    reached = np.unique(quantized_sigmoid(s, levels))
    np.testing.assert_array_equal(reached, states)


@pytest.mark.parametrize("levels", [2, 3, 4, 6, 7, 9])
def test_sigmoid_states_other_levels(levels):
    s = np.linspace(-40, 40, 80001)
    np.testing.assert_array_equal(np.unique(quantized_sigmoid(s, levels)), sigmoid_states(levels))


def test_quantized_sigmoid_matches_definition():
    s = np.random.default_rng(3).normal(0, 3, 5000)
    np.testing.assert_array_equal(quantized_sigmoid(s, 11), quantize(1 / (1 + np.exp(-s)), 11))


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5, True, "5"])
def test_bad_levels(bad):
    with pytest.raises(ParameterError, match=r"levels \(QL"):
        quantize([0.0], bad)
    with pytest.raises(ParameterError, match=r"levels \(QL"):
        sigmoid_states(bad)


def test_bad_inputs():
    with pytest.raises(ParameterError, match="x must be finite"):
        quantize([0.0, np.nan], 5)
    with pytest.raises(ParameterError, match="s must be finite"):
        quantized_sigmoid([np.inf], 5)
    with pytest.raises(ParameterError, match="lo must be < hi"):
        quantize([0.0], 5, 1.0, -1.0)
    with pytest.raises(ParameterError, match="hi must be a finite number"):
        level_values(5, 0.0, np.inf)


def test_scalar_inputs_at_a_tie_give_scalars():
    """0-d inputs take the exact tie path too (0.5 with 11 levels is a tie: index 7.5 -> 8)."""
    from stochhw.models.sc_quant import quantize, quantize_index
    index = quantize_index(0.5, 11)
    assert index.shape == () and int(index) == 8
    assert float(quantize(0.5, 11)) == pytest.approx(0.6)
