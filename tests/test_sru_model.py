"""Stochastic rounding models: exhaustive rule checks, unbiasedness, LFSR bias, parameters."""

import numpy as np
import pytest

from stochhw.models.bits import to_raw, to_signed
from stochhw.models.checks import ParameterError
from stochhw.models.seeds import lane_seeds
from stochhw.models.sru import SRUArrayModel, SRUFreeModel, SRULFSRModel, lfsr_bias, stochastic_round
from stochhw.sim.analyses.bias import rounding_bias


def _reference_round(x, r, in_width, out_width, saturate):
    """The rule written plainly with Python integers."""
    k = in_width - out_width
    y = (x + r) // (2 ** k)                      # floor division, also for negatives
    lo, hi = -2 ** (out_width - 1), 2 ** (out_width - 1) - 1
    if saturate:
        return max(lo, min(hi, y))
    y %= 2 ** out_width
    return y - 2 ** out_width if y > hi else y


@pytest.mark.parametrize("saturate", [True, False])
@pytest.mark.parametrize("in_width,out_width", [(8, 4), (6, 5), (7, 1)])
def test_rounding_rule_exhaustive(in_width, out_width, saturate):
    k = in_width - out_width
    x, r = np.meshgrid(np.arange(-2 ** (in_width - 1), 2 ** (in_width - 1)), np.arange(2 ** k))
    got = stochastic_round(x.ravel(), r.ravel(), in_width, out_width, saturate)
    expected = [_reference_round(int(a), int(b), in_width, out_width, saturate)
                for a, b in zip(x.ravel(), r.ravel())]
    assert got.tolist() == expected


def test_free_model_registers_output_and_resets():
    model = SRUFreeModel(in_width=16, out_width=8)
    x = np.array([1000, -1000, 32767, 5, 6], dtype=np.int64)
    rnd = np.array([255, 0, 255, 1, 2])
    rst = np.array([0, 0, 1, 0, 0])
    out = model.run({"x": to_raw(x, 16)[:, None], "rnd": rnd[:, None].astype(np.uint64),
                     "rst": rst[:, None].astype(np.uint64)})
    y = to_signed(out["y"][:, 0], 8).tolist()
    # y[0] = init; y[1] = round(1000 + 255) = 4; y[2] = round(-1000) = -4; reset at edge 2.
    assert y == [0, (1000 + 255) >> 8, (-1000) >> 8, 0, 0]


def test_generator_free_rounding_is_unbiased():
    """Mean of y * 2^k matches x within 5 standard errors computed from the sample count."""
    k, n = 8, 200_000
    rng = np.random.default_rng(2026)
    xs = np.array([-32768, -1000, -129, -1, 0, 1, 77, 128, 255, 1001, 20000, 32512 - 1])
    model = SRUArrayModel(lanes=xs.size, source="external")
    stim = {"x": np.broadcast_to(to_raw(xs, 16), (n, xs.size)),
            "rnd": rng.integers(0, 2 ** k, size=(n, xs.size), dtype=np.uint64),
            "rst": np.zeros((n, 1), np.uint64)}
    y = to_signed(model.run(stim)["y"][1:], 8)
    mean_error = (y * 2 ** k).mean(axis=0) - xs
    p = (xs % 2 ** k) / 2 ** k                               # probability of rounding up
    standard_error = 2 ** k * np.sqrt(p * (1 - p) / (n - 1))
    bound = 5 * standard_error + 1e-9                         # exact when p = 0
    assert np.all(np.abs(mean_error) <= bound), (mean_error, bound)


def test_lfsr_fed_bias_matches_closed_form_over_a_period():
    result = rounding_bias(k=8, lfsr_widths=(8, 10))
    for row in result["lfsr"]:
        assert row["max_abs_deviation_from_theory"] < 1e-9
        assert row["max_bias_lsb"] == pytest.approx(255 / (2 ** row["lfsr_width"] - 1))
    assert abs(result["ideal_uniform"]["mean_bias_lsb"]) < 5 * result["ideal_uniform"]["standard_error_lsb"]


def test_lfsr_bias_formula_is_positive_and_small_for_wide_lfsrs():
    assert lfsr_bias(255, 8, 16) == pytest.approx(255 / 65535)
    assert lfsr_bias(256, 8, 16) == 0


def test_lane_seeds_are_distinct_nonzero_and_deterministic():
    seeds = lane_seeds(1, 256, 16)
    assert len(set(seeds)) == 256 and all(1 <= s < 2 ** 16 for s in seeds)
    assert seeds == list(SRUArrayModel(lanes=256, seed=1).lane_seeds)
    assert lane_seeds(2, 4, 16) != lane_seeds(1, 4, 16)


def test_single_lane_lfsr_unit_equals_array_lane_with_same_seed():
    """sru_lfsr(seed=s) and an sru_array lane whose derived seed is s produce the same y."""
    array = SRUArrayModel(lanes=3, seed=9)
    seed = array.lane_seeds[2]
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2 ** 16, size=(4000, 3), dtype=np.uint64)
    rst = np.zeros((4000, 1), np.uint64)
    rst[1000] = 1
    y_array = array.run({"x": x, "rst": rst})["y"][:, 2]
    y_unit = SRULFSRModel(seed=seed).run({"x": x[:, 2:3], "rst": rst})["y"][:, 0]
    assert np.array_equal(y_array, y_unit)


@pytest.mark.parametrize("cls,kwargs,name", [
    (SRUFreeModel, {"in_width": 8, "out_width": 8}, "out_width"),
    (SRUFreeModel, {"in_width": 40}, "in_width"),
    (SRUFreeModel, {"saturate": 2}, "saturate"),
    (SRULFSRModel, {"lfsr_width": 7}, "lfsr_width"),
    (SRULFSRModel, {"seed": 0}, "seed"),
    (SRUArrayModel, {"lanes": 0}, "lanes"),
    (SRUArrayModel, {"source": "pcg"}, "source"),
    (SRUArrayModel, {"seed": -1}, "seed"),
    (SRUArrayModel, {"lanes": 256, "lfsr_width": 8}, "lanes"),
])
def test_bad_parameters_name_the_parameter(cls, kwargs, name):
    with pytest.raises(ParameterError, match=f"^{name}"):
        cls(**kwargs)
