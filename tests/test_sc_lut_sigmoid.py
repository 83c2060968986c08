"""lut_sigmoid: the table is Eq. 1-3 of the sigmoid, its distinct states, PLAN, threshold form."""

import math
from fractions import Fraction

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.lut_sigmoid import (
    LUTSigmoidModel,
    apply_threshold_form,
    lut_table,
    plan_index,
    sigmoid_index,
    threshold_form,
)
from stochhw.sim.designs import get_design


def _eq3_index(y, levels):
    """Eq. 1-3 on [-1, 1] in exact rational arithmetic: floor((y + 1) / delta + 1/2)."""
    t = (Fraction(y) + 1) * (levels - 1) / 2 + Fraction(1, 2)
    return min(levels - 1, max(0, math.floor(t)))


@pytest.mark.parametrize("levels,distinct", [(5, 3), (11, 6)])
def test_5_states_give_3_outputs_and_11_give_6(levels, distinct):
    table = LUTSigmoidModel(levels=levels, in_bits=8, in_frac=4).table
    assert len(set(table.tolist())) == distinct
    # ... and they are the upper states: sigmoid in (0, 1) maps onto 0, delta, ..., 1.
    assert sorted(set(table.tolist())) == list(range(levels // 2, levels))


@pytest.mark.parametrize("levels,in_bits,in_frac", [(5, 8, 4), (11, 8, 4), (11, 10, 6), (3, 6, 2), (2, 4, 0)])
def test_table_is_eq_1_to_3_of_the_sigmoid(levels, in_bits, in_frac):
    table = lut_table(levels, in_bits, in_frac)
    for raw in range(1 << in_bits):
        code = raw - (1 << in_bits) * (raw >> (in_bits - 1))
        y = 1 / (1 + math.exp(-code / 2 ** in_frac))
        assert table[raw] == _eq3_index(y, levels), (raw, code)


def test_a_sigmoid_exactly_on_a_rounding_tie_rounds_up():
    # QL = 11: sigmoid(0) = 0.5 lies halfway between the states 0.4 (index 7) and 0.6 (8).
    assert sigmoid_index(0.0, 11) == 8
    assert sigmoid_index(np.zeros(3), 11).tolist() == [8, 8, 8]


def _plan_reference(s):
    """PLAN (Amin, Curtis and Hayes-Gill 1997) in floating point."""
    a = abs(s)
    y = 1.0 if a >= 5 else 0.03125 * a + 0.84375 if a >= 2.375 else 0.125 * a + 0.625 if a >= 1 else 0.25 * a + 0.5
    return y if s >= 0 else 1 - y


@pytest.mark.parametrize("levels,in_bits,in_frac", [(5, 8, 4), (11, 8, 4), (11, 10, 6), (21, 12, 7), (3, 6, 1)])
def test_plan_is_the_piecewise_linear_sigmoid_quantized_by_eq_3(levels, in_bits, in_frac):
    raws = np.arange(1 << in_bits)
    plan = plan_index(raws, levels, in_bits, in_frac)
    for raw in raws:
        code = int(raw) - (1 << in_bits) * (int(raw) >> (in_bits - 1))
        assert plan[raw] == _eq3_index(_plan_reference(code / 2 ** in_frac), levels)


@pytest.mark.parametrize("levels", [3, 5, 11, 21])
def test_plan_agrees_with_the_table_except_within_its_error_of_a_boundary(levels):
    in_bits, in_frac = 10, 5
    s = np.arange(-(1 << 9), 1 << 9) / 2 ** in_frac
    raw = np.arange(-(1 << 9), 1 << 9) & ((1 << in_bits) - 1)
    sig = 1 / (1 + np.exp(-s))
    plan_error = max(abs(_plan_reference(v) - y) for v, y in zip(s, sig))
    assert plan_error < 0.0190                                  # PLAN's published maximum error
    lut = lut_table(levels, in_bits, in_frac)[raw]
    plan = plan_index(raw, levels, in_bits, in_frac)
    # Rounding boundaries of Eq. 3 on [-1, 1]: halfway between neighbouring states.
    boundaries = -1 + (np.arange(levels - 1) + 0.5) * 2 / (levels - 1)
    distance = np.abs(sig[:, None] - boundaries[None, :]).min(axis=1)
    assert np.all(lut[distance > plan_error] == plan[distance > plan_error])
    assert np.all(np.abs(lut.astype(int) - plan) <= 1)


def test_threshold_form_reproduces_a_monotone_table():
    rng = np.random.default_rng(8)
    for _ in range(50):
        table = np.cumsum(rng.integers(0, 3, rng.integers(1, 40)) * (rng.random() < 0.9))
        base, steps = threshold_form(table)
        np.testing.assert_array_equal(apply_threshold_form(np.arange(table.size), base, steps), table)
    for levels in (5, 11):
        table = lut_table(levels, 8, 4)
        order = np.argsort(np.arange(256) - 256 * (np.arange(256) >> 7), kind="stable")  # by value
        base, steps = threshold_form(table[order])
        assert len(steps) == len(set(table.tolist())) - 1
    with pytest.raises(ParameterError, match="non-decreasing"):
        threshold_form([0, 2, 1])


def test_output_is_registered():
    model = LUTSigmoidModel(levels=5)
    stim = {"s": np.array([[0x7F], [0x80], [0x00]], dtype=np.uint64), "rst": np.zeros((3, 1), dtype=np.uint64)}
    assert model.run(stim)["y"][:, 0].tolist() == [0, 4, 2]     # s = +7.94 -> 1.0; -8 -> 0.0


@pytest.mark.parametrize("override,pattern", [
    ({"levels": 1}, r"^levels must be in 2\.\.256, not 1"),
    ({"levels": 300}, r"^levels must be in 2\.\.256, not 300"),
    ({"in_bits": 1}, r"^in_bits must be in 2\.\.16"),
    ({"in_frac": 9}, r"^in_frac must be in 0\.\.8"),
    ({"method": "taylor"}, r"^method must be one of lut, plan"),
])
def test_bad_parameters_name_themselves(override, pattern):
    with pytest.raises(ParameterError, match=pattern):
        get_design("lut_sigmoid").resolve(override)
