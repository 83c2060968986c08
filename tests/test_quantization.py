"""Tests for stochhw.models.ml.quantization against a plain per-element reference of the documented formulas."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.ml.quantization import (
    BITS,
    EPSILON,
    SCHEMES,
    TOLERANCE,
    decode,
    dequantize,
    encode,
    quantization_ranges,
    quantize,
)


def ref_ranges(tensors, per_layer, symmetric, w_max):
    """Range of each tensor, element by element (steps 1-2 of the module doc)."""
    clipped = [[min(max(float(v), -w_max), w_max) if w_max else float(v) for v in t.ravel()]
               for t in tensors]
    groups = [[c] for c in clipped] if per_layer else [clipped] * len(clipped)
    out = []
    for group in groups:
        values = [v for c in group for v in c]
        if symmetric:
            hi = max(abs(v) for v in values)
            lo = -hi
        else:
            lo, hi = min(values), max(values)
        if hi <= lo:
            lo, hi = (lo + hi) / 2 - EPSILON, (lo + hi) / 2 + EPSILON
        out.append((lo, hi))
    return out


def ref_bits(value, m, lo, hi, encoding, rounding, w_max):
    """Stored m-bit pattern of one weight, bit by bit."""
    if w_max:
        value = min(max(value, -w_max), w_max)
    delta = (hi - lo) / (2 ** m - 2)
    zero = (hi + lo) / 2
    x = (value - zero) / delta
    if rounding == "trunc":
        code = math.trunc(x + math.copysign(TOLERANCE, x))
    else:
        code = math.floor(x + 0.5 + TOLERANCE) if rounding == "round" else math.floor(x + TOLERANCE)
    top = 2 ** (m - 1) - 1
    code = max(-top, min(top, code))
    stored = code + 2 ** (m - 1) if encoding == "unsigned" else code % 2 ** m
    return sum(((stored >> j) & 1) << j for j in range(m))


def ref_value(pattern, m, encoding):
    """Integer a stored pattern stands for: two's complement or offset binary, bit by bit."""
    bits = [(pattern >> j) & 1 for j in range(m)]
    if encoding == "unsigned":
        return sum(b << j for j, b in enumerate(bits)) - 2 ** (m - 1)
    return sum(b << j for j, b in enumerate(bits[:-1])) - bits[-1] * 2 ** (m - 1)


def network(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.2, (7, 5)), rng.normal(0.05, 0.02, 5),
            rng.normal(0, 0.6, (5, 3)), np.zeros(3)]


@pytest.mark.parametrize("m", BITS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("w_max", [None, 0.25])
def test_quantize_matches_element_by_element_reference(m, scheme, w_max):
    tensors = network(m)
    s = SCHEMES[scheme]
    got = quantize(tensors, m, scheme, w_max)
    ranges = ref_ranges(tensors, s.per_layer, s.symmetric, w_max)
    assert quantization_ranges(tensors, scheme, w_max) == ranges
    for t, q, (lo, hi) in zip(tensors, got, ranges):
        want = [ref_bits(float(v), m, lo, hi, s.encoding, s.rounding, w_max) for v in t.ravel()]
        assert q.bits.shape == t.shape and q.bits.dtype == np.uint8
        np.testing.assert_array_equal(q.bits.ravel(), want)
        values = [(hi + lo) / 2 + (hi - lo) / (2 ** m - 2) * ref_value(b, m, s.encoding)
                  for b in want]
        np.testing.assert_allclose(q.dequantize().ravel(), values, rtol=0, atol=1e-12)


@pytest.mark.parametrize("m", BITS)
def test_truncation_rounds_towards_zero(m):
    """normal_trunc: the error has the sign of w, is below one step, and (-Δ, Δ) maps to 0."""
    w = np.random.default_rng(10 + m).normal(0, 1, 20000)
    q = quantize(w, m, "normal_trunc")
    err = w - q.dequantize()
    inside = np.abs(w) < q.delta * (2 ** (m - 1) - 1)            # not saturated
    assert np.all(err[inside] * np.sign(w[inside]) >= -1e-12)
    assert np.all(np.abs(err[inside]) < q.delta)
    assert np.all(q.codes[np.abs(w) < q.delta * (1 - 1e-6)] == 0)
    floor = quantize(w, m, "normal")
    assert np.any(floor.codes[w < 0] != q.codes[w < 0])        # floor and trunc differ below 0
    np.testing.assert_array_equal(floor.codes[w > 0], q.codes[w > 0])


@pytest.mark.parametrize("m", BITS)
def test_error_bounds_floor_below_delta_round_half_delta(m):
    w = np.random.default_rng(m).normal(0, 1, 20000)
    for scheme, lower, upper in (("asymmetric", 0.0, 1.0), ("rquant", -0.5, 0.5)):
        q = quantize(w, m, scheme)
        err = (w - q.dequantize()) / q.delta
        # floor: w - w_hat in [0, Δ); rounding: in [-Δ/2, Δ/2), both shifted by at most the
        # tolerance; 1e-12 covers float rounding of the difference.
        assert err.min() >= lower - TOLERANCE - 1e-12
        assert err.max() < upper + 1e-12


@pytest.mark.parametrize("m", BITS)
def test_symmetric_step_is_eq1_and_codes_are_symmetric(m):
    w = np.array([-0.3, 0.1, 0.7, -0.7, 0.0])
    q = quantize(w, m, "normal")
    assert q.delta == pytest.approx(0.7 / (2 ** (m - 1) - 1), rel=1e-15) and q.zero == 0.0
    assert q.codes.max() == 2 ** (m - 1) - 1 and q.codes.min() == -(2 ** (m - 1) - 1)
    assert q.codes[4] == 0


def test_clipping_bounds_the_range_and_saturates():
    w = np.array([-2.0, -0.05, 0.0, 0.02, 0.5, 3.0])
    for scheme in SCHEMES:
        q = quantize(w, 8, scheme, w_max=0.1)
        w_hat = q.dequantize()
        assert np.all(np.abs(w_hat) <= 0.1 + 1e-12)
        assert q.codes[0] == q.codes.min() and q.codes[-1] == q.codes.max() == q.codes[-2]
        assert abs(w_hat[-1] - 0.1) < 1e-12 and abs(w_hat[0] + 0.1) < 1e-12


def test_global_range_spans_all_tensors_and_per_layer_does_not():
    tensors = network(3)
    peak = max(np.abs(t).max() for t in tensors)
    glob = quantize(tensors, 8, "normal_global")
    per = quantize(tensors, 8, "normal")
    assert all(q.delta == pytest.approx(peak / 127, rel=1e-15) for q in glob)
    assert [q.delta for q in per] == pytest.approx([np.abs(t).max() / 127 if np.abs(t).max() > 0
                                                    else EPSILON / 127 for t in tensors], rel=1e-15)


def test_constant_tensor_is_exact():
    for scheme in SCHEMES:
        q = quantize(np.full(4, 0.25), 4, scheme)
        np.testing.assert_allclose(q.dequantize(), 0.25, rtol=0, atol=1e-15)


@pytest.mark.parametrize("m", BITS)
def test_every_pattern_decodes_like_the_bitwise_reference_and_round_trips(m):
    patterns = np.arange(2 ** m, dtype=np.uint8)
    for encoding in ("signed", "unsigned"):
        codes = decode(patterns, m, encoding)
        np.testing.assert_array_equal(codes, [ref_value(int(b), m, encoding) for b in patterns])
        np.testing.assert_array_equal(encode(codes, m, encoding), patterns)
    # Offset binary is two's complement with the MSB inverted.
    codes = np.arange(-(2 ** (m - 1) - 1), 2 ** (m - 1))
    np.testing.assert_array_equal(encode(codes, m, "unsigned"),
                                  encode(codes, m, "signed") ^ (1 << (m - 1)))


def test_dequantize_takes_other_patterns_with_leading_axes():
    q = quantize(np.linspace(-1, 1, 6), 4, "rquant")
    faulty = np.stack([q.bits, q.bits ^ 0b1000])
    got = dequantize(q, faulty)
    assert got.shape == (2, 6)
    np.testing.assert_array_equal(got[0], q.dequantize())
    # Flipping the MSB moves every value by 2^(m-1) steps, one way or the other.
    np.testing.assert_allclose(np.abs(got[1] - got[0]), 8 * q.delta, rtol=1e-12)


@pytest.mark.parametrize("call,fragment", [
    (lambda: quantize(np.ones(3), 5), "m must be one of 8, 4, 3, 2"),
    (lambda: quantize(np.ones(3), True), "m must be one of"),
    (lambda: quantize(np.ones(3), "8"), "m must be one of"),
    (lambda: quantize(np.ones(3), 8, "fancy"), "scheme must be one of"),
    (lambda: quantize(np.ones(3), 8, "rquant", w_max=0), "w_max must be a finite number > 0"),
    (lambda: quantize(np.ones(3), 8, "rquant", w_max=-1.0), "w_max must be"),
    (lambda: quantize(np.ones(3), 8, "rquant", w_max=float("nan")), "w_max must be"),
    (lambda: quantize(np.array([1.0, np.nan]), 8), "weights must be finite"),
    (lambda: quantize([], 8), "weights must hold at least one tensor"),
    (lambda: quantize([np.ones(0)], 8), "weights must not contain an empty tensor"),
    (lambda: decode([1], 8, "gray"), "encoding must be one of"),
])
def test_bad_input_names_the_parameter(call, fragment):
    with pytest.raises(ParameterError, match=fragment):
        call()
