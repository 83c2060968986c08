"""parallel_counter: the exact count is a popcount; the approximate counter obeys its stated error model."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.parallel_counter import (
    ParallelCounterModel,
    approx_count,
    approx_error_bounds,
    count_width,
    exact_count,
)
from stochhw.sim.designs import get_design


def _all_inputs(n):
    """Every n-bit input as a row of bits (bit i = lane i)."""
    codes = np.arange(1 << n, dtype=np.int64)
    return (codes[:, None] >> np.arange(n)) & 1


def test_exact_count_is_popcount_exhaustively():
    for n in range(1, 13):
        x = _all_inputs(n)
        assert exact_count(x).tolist() == [bin(c).count("1") for c in range(1 << n)]


def _mismatch_counts(x):
    """(D_and, D_or): pairs (2j, 2j+1) whose bits differ, for even and for odd j, by a plain loop."""
    n = x.shape[1]
    d_and = np.zeros(x.shape[0], dtype=np.int64)
    d_or = np.zeros(x.shape[0], dtype=np.int64)
    for j in range(n // 2):
        differ = x[:, 2 * j] != x[:, 2 * j + 1]
        if j % 2 == 0:
            d_and += differ
        else:
            d_or += differ
    return d_and, d_or


@pytest.mark.parametrize("n", range(1, 15))
def test_approx_error_is_d_or_minus_d_and_with_the_stated_bounds_exhaustively(n):
    x = _all_inputs(n)
    error = approx_count(x) - exact_count(x)
    d_and, d_or = _mismatch_counts(x)
    np.testing.assert_array_equal(error, d_or - d_and)
    pairs = n // 2
    n_and, n_or = (pairs + 1) // 2, pairs // 2
    # Both bounds are reached, and the stated max |e| is ceil(floor(n/2)/2).
    assert (error.min(), error.max()) == (-n_and, n_or) == approx_error_bounds(n)
    assert np.abs(error).max() == math.ceil(pairs / 2)
    # Uniform inputs: the pairs are independent and differ with probability 1/2, so the error
    # is Binomial(n_or, 1/2) - Binomial(n_and, 1/2): compare the whole distribution.
    counts = np.bincount(error + n_and, minlength=n_and + n_or + 1)
    expected = np.convolve([math.comb(n_or, k) for k in range(n_or + 1)],
                           [math.comb(n_and, k) for k in range(n_and + 1)][::-1])
    np.testing.assert_array_equal(counts * 2 ** pairs, expected * 2 ** n)
    assert error.mean() == -(pairs % 2) / 2
    # Equal bits in every pair: no error at all.
    equal = np.all(x[:, 0:2 * pairs:2] == x[:, 1:2 * pairs:2], axis=1)
    assert np.all(error[equal] == 0)


@pytest.mark.parametrize("n,p", [(784, 0.5), (784, 0.1), (64, 0.3), (257, 0.7)])
def test_approx_error_mean_and_variance_for_bernoulli_inputs(n, p):
    rng = np.random.default_rng(n * 1000 + int(p * 100))
    samples = 10_000
    x = (rng.random((samples, n)) < p).astype(np.int64)
    error = approx_count(x) - exact_count(x)
    pairs, d = n // 2, 2 * p * (1 - p)
    mean, var = -(pairs % 2) * d, pairs * d * (1 - d)
    # The sample mean is within 5 standard errors; the sample variance within 10% (its
    # relative standard error is about sqrt(2 / samples) = 1.4% here).
    assert abs(error.mean() - mean) < 5 * math.sqrt(var / samples)
    assert abs(error.var() - var) < 0.1 * var
    lo, hi = approx_error_bounds(n)
    assert lo <= error.min() and error.max() <= hi


def test_model_registers_the_count_and_reset_clears_it():
    model = ParallelCounterModel(n=5, method="exact")
    x = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0]], dtype=np.uint64)
    rst = np.array([[0], [1], [0], [0]], dtype=np.uint64)
    out = model.run({"x": x, "rst": rst})["count"][:, 0]
    assert out.tolist() == [0, 3, 0, 1]
    assert count_width(784) == 10 and count_width(1) == 1


@pytest.mark.parametrize("n", [0, -3, 4097])
def test_bad_n_names_the_parameter(n):
    with pytest.raises(ParameterError, match=r"^n must be"):
        get_design("parallel_counter").resolve({"n": n})


def test_bad_method_names_the_parameter():
    with pytest.raises(ParameterError, match=r"^method must be one of exact, approx"):
        ParallelCounterModel(n=8, method="fast")
