"""smtj: the device curve (Fig. 2c), the bias table, the telegraph model's statistics, errors."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.smtj import DEFAULT_V_SCALE, SMTJModel, bias_levels, hold_for, smtj_p_one
from stochhw.sim.designs import get_design


def test_device_curve_spans_fig_2c_and_is_a_logistic():
    assert smtj_p_one(1.0) > 0.95 and smtj_p_one(-1.0) < 0.05
    assert smtj_p_one(0.0) == 0.5
    v = np.linspace(-1, 1, 41)
    np.testing.assert_allclose(smtj_p_one(v, 0.2, 0.25), 1 / (1 + np.exp(-(v - 0.2) / 0.25)), rtol=1e-12)
    # A negative scale is the same junction wired the other way round.
    np.testing.assert_allclose(smtj_p_one(v, 0.0, -DEFAULT_V_SCALE), 1 - smtj_p_one(v))
    assert np.all(np.diff(smtj_p_one(v)) > 0)
    np.testing.assert_array_equal(bias_levels(5), [-1, -0.5, 0, 0.5, 1])
    assert bias_levels(11).size == 11 and bias_levels(11)[0] == -1 and bias_levels(11)[-1] == 1


@pytest.mark.parametrize("levels", [5, 11])
def test_default_bias_table_follows_the_curve_from_below_5_to_above_95_percent(levels):
    model = SMTJModel(levels=levels)
    p = model.probabilities()
    np.testing.assert_allclose(p, smtj_p_one(bias_levels(levels)), atol=0.5 / 256)
    assert p[0] < 0.05 and p[-1] > 0.95 and np.all(np.diff(p) > 0)


@pytest.mark.parametrize("levels", [5, 11])
def test_calibrated_bias_table_gives_each_code_its_target_probability(levels):
    """spacing=calibrated: voltages through the inverse curve, so every code but the two ends
    (P = 0 and 1, beyond +-1 V) has P(1) = c / (levels - 1) to the table's 2^-8."""
    model = SMTJModel(levels=levels, spacing="calibrated")
    p = model.probabilities()
    target = np.arange(levels) / (levels - 1)
    np.testing.assert_allclose(p[1:-1], target[1:-1], atol=0.5 / 256)
    np.testing.assert_allclose(p[[0, -1]], smtj_p_one([-1.0, 1.0]), atol=0.5 / 256)
    volts = bias_levels(levels, "calibrated")
    assert volts[0] == -1 and volts[-1] == 1 and np.all(np.diff(volts) > 0)
    # The even spacing misses the inner targets by far more than a table step.
    assert np.max(np.abs(SMTJModel(levels=levels).probabilities()[1:-1] - target[1:-1])) > 0.05


def _telegraph_run(levels, hold, bias_codes, cycles, seed, source="port"):
    lanes = len(bias_codes)
    model = SMTJModel(lanes=lanes, levels=levels, hold=hold, source=source, seed=seed)
    rng = np.random.default_rng(seed)
    stim = {"bias": np.tile(np.asarray(bias_codes, dtype=np.uint64), (cycles, 1)),
            "rst": np.zeros((cycles, 1), dtype=np.uint64)}
    if source == "port":
        stim["entropy"] = rng.integers(0, 1 << model.entropy_width, (cycles, lanes), dtype=np.uint64)
    return model, model.run(stim)["y"][1:].astype(np.float64)


@pytest.mark.parametrize("hold,source", [(0, "port"), (128, "port"), (200, "port"), (192, "lfsr")])
def test_telegraph_keeps_the_stationary_probability_and_the_stated_transitions(hold, source):
    """Keep with probability q, else redraw from p: a Markov chain with P(1 -> 1) = q + (1-q) p
    and P(0 -> 1) = (1-q) p, whose stationary P(1) is p (so bits j apart correlate as q^j)."""
    cycles = 60_000
    codes = [1, 5, 8, 10]
    model, y = _telegraph_run(11, hold, codes, cycles, seed=hold + 1, source=source)
    p = model.probabilities()[codes]
    q = hold / 256
    y = y[200:]                                   # forget the reset state (q^200 ~ 0)
    n = y.shape[0]
    # Mean of a two-state Markov chain with lag-1 correlation q: variance inflated by (1+q)/(1-q).
    se_mean = np.sqrt(p * (1 - p) / n * (1 + q) / (1 - q))
    assert np.all(np.abs(y.mean(axis=0) - p) < 5 * se_mean)
    before, after = y[:-1], y[1:]
    for state, expected in ((1, q + (1 - q) * p), (0, (1 - q) * p)):
        visits = (before == state).sum(axis=0)
        observed = ((before == state) & (after == 1)).sum(axis=0) / visits
        # Transition counts out of a state are binomial given the visits.
        se = np.sqrt(expected * (1 - expected) / visits)
        assert np.all(np.abs(observed - expected) < 5 * se + 1e-12), (state, observed, expected)


def test_codes_beyond_the_table_saturate_at_the_last_bias():
    cycles, levels = 500, 11
    model = SMTJModel(lanes=2, levels=levels, source="port", hold=64)
    entropy = np.random.default_rng(5).integers(0, 1 << model.entropy_width, (cycles, 1), dtype=np.uint64)
    stim = {"bias": np.tile(np.array([[levels - 1, 15]], dtype=np.uint64), (cycles, 1)),
            "entropy": np.tile(entropy, (1, 2)), "rst": np.zeros((cycles, 1), dtype=np.uint64)}
    y = model.run(stim)["y"]
    np.testing.assert_array_equal(y[:, 0], y[:, 1])


def test_user_table_replaces_the_curve_either_direction():
    down = SMTJModel(levels=4, table=(250, 180, 40, 3))
    assert down.table == (250, 180, 40, 3) and down.table_source == "user"
    assert SMTJModel(levels=3, table=(0, 0, 256)).probabilities().tolist() == [0, 0, 1]


def test_hold_for_maps_the_relaxation_time_to_q():
    assert hold_for(1.0, 1.0) == round(256 / math.e)
    assert hold_for(1e-9, 1.0) == 255                       # capped: q < 1
    assert hold_for(50.0, 1.0) == 0
    with pytest.raises(ParameterError, match="^relaxation_time must be a positive time"):
        hold_for(1.0, 0.0)


@pytest.mark.parametrize("override,pattern", [
    ({"table": (10, 50, 30, 90, 100, 120, 130, 140, 150, 160, 170)}, r"^table must be monotone.*entries 0\.\.2 are \[10, 50, 30\]"),
    ({"table": (1, 2, 3)}, r"^table must have levels = 11 entries, not 3"),
    ({"table": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 257)}, r"^table must be in 0\.\.256"),
    ({"levels": 1}, r"^levels must be in 2\.\.256"),
    ({"hold": 256}, r"^hold must be in 0\.\.255"),
    ({"v_scale": 0.0}, r"^v_scale must be a nonzero number of volts"),
    ({"v_half": float("nan")}, r"^v_half must be a finite number"),
    ({"hold": 3, "bits": 4, "lfsr_width": 6}, r"^lfsr_width must be >= bits = 8"),
    ({"lanes": 0}, r"^lanes must be"),
    ({"spacing": "log"}, r"^spacing must be one of"),
])
def test_bad_parameters_name_themselves(override, pattern):
    with pytest.raises(ParameterError, match=pattern):
        get_design("smtj").resolve(override)


def test_bad_table_from_the_command_line_is_one_clear_line():
    design = get_design("smtj")
    with pytest.raises(ParameterError, match=r"^table must be monotone"):
        design.resolve({"levels": "3", "table": "5,200,100"})
