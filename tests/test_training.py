"""Tests for stochhw.models.ml.training: sources, the fixed-point rounding rule, recording, learning."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_sequence
from stochhw.models.ml.digits import load_digits_split
from stochhw.models.ml.random_sources import ArraySource, LFSRSource, PCGSource
from stochhw.models.ml.training import (
    TENSOR_KINDS,
    TrainingConfig,
    direct_lsbs,
    quantize,
    record_shape,
    scale_exponent,
    tensor_numbers,
    train,
)
from stochhw.models.sru import stochastic_round

SHORT = dict(epochs=2, hidden=(16,))


@pytest.fixture(scope="module")
def default_run():
    """One training run at the default size (8-bit, stochastic rounding from PCG64)."""
    return train(TrainingConfig())


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------

def test_split_is_fixed_stratified_and_read_only():
    x_train, y_train, x_test, y_test = load_digits_split()
    assert x_train.shape == (1347, 64) and x_test.shape == (450, 64)
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    per_class = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    # Stratified: every class is held out in the overall proportion, to within one sample.
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - per_class * 450 / 1797) <= 1)
    with pytest.raises(ValueError):
        x_train[0, 0] = 1.0


# ------------------------------------------------------------------------------------------
# Random sources
# ------------------------------------------------------------------------------------------

def test_lfsr_source_is_the_low_bits_of_successive_states():
    source = LFSRSource(bits=5, width=12, seed=0x5A5)
    states = lfsr_sequence([0x5A5], 999, 12, MAXIMAL_TAPS[12], "galois")[:, 0]
    np.testing.assert_array_equal(source.draw(1000), (states & np.uint64(31)).astype(np.int64))


def test_lfsr_source_draws_across_refills_like_one_stream():
    whole = LFSRSource(bits=8, width=16, seed=3).draw(1000)
    pieces = LFSRSource(bits=8, width=16, seed=3)
    pieces.CHUNK = 97                        # force many refills, at odd boundaries
    got = np.concatenate([pieces.draw(n) for n in (1, 96, 97, 300, 0, 506)])
    np.testing.assert_array_equal(got, whole)
    assert pieces.drawn == 1000


def test_pcg_source_is_seeded_and_in_range():
    a, b = PCGSource(6, seed=4).draw(5000), PCGSource(6, seed=4).draw(5000)
    np.testing.assert_array_equal(a, b)
    assert a.min() == 0 and a.max() == 63


def test_array_source_cycles_and_counts_wraps():
    source = ArraySource([1, 2, 3], bits=2)
    assert source.draw(2).tolist() == [1, 2] and source.wraps == 0
    assert source.draw(5).tolist() == [3, 1, 2, 3, 1] and source.wraps == 2


@pytest.mark.parametrize("call, parameter", [
    (lambda: ArraySource([], 4), "numbers"),
    (lambda: ArraySource([16], 4), "numbers"),
    (lambda: ArraySource([0.5], 4), "numbers"),
    (lambda: LFSRSource(bits=9, width=8), "bits"),
    (lambda: LFSRSource(bits=4, width=8, seed=0), "seed"),
    (lambda: PCGSource(bits=17), "bits"),
    (lambda: TrainingConfig(bits=9), "bits"),
    (lambda: TrainingConfig(rounding="up"), "rounding"),
    (lambda: train(TrainingConfig(**SHORT), source="xorshift"), "source"),
    (lambda: train(TrainingConfig(**SHORT), source=PCGSource(bits=4)), "source"),
])
def test_bad_arguments_name_the_parameter(call, parameter):
    with pytest.raises(ParameterError, match=rf"^{parameter}\b"):
        call()


# ------------------------------------------------------------------------------------------
# The rounding rule
# ------------------------------------------------------------------------------------------

def test_scale_exponent_is_the_smallest_that_does_not_clip():
    top = 127
    for peak in (1.0, 127.0, 127.5, 0.3, 254.0, 254.0001, 1e-9):
        e = scale_exponent(np.array([-peak, 0.0]), 8)
        assert peak <= math.ldexp(top, e) and peak > math.ldexp(top, e - 1)
    assert scale_exponent(np.zeros(3), 8) == 0


def test_quantize_is_the_sru_rule_on_the_wide_integer():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20, 30))
    rnd = rng.integers(0, 64, size=x.shape)
    codes, e = quantize(x, bits=6, rnd_bits=6, rnd=rnd)
    wide = np.rint(np.ldexp(x, 6 - e)).astype(np.int64)
    np.testing.assert_array_equal(codes, stochastic_round(wide, rnd, 12, 6))
    nearest, e2 = quantize(x, bits=6, rnd_bits=6)
    assert e2 == e
    np.testing.assert_array_equal(nearest, np.floor(wide / 64 + 0.5))
    assert np.abs(codes).max() <= 31 and codes.dtype == np.int8


def test_stochastic_rounding_is_unbiased():
    """Mean of the dequantized values over many draws equals the wide integer's value.

    Each rounding error lies in (-1, 1) code LSB with standard deviation <= 1/2, so the mean
    over n elements and r draws has a standard error <= 0.5 / sqrt(n r) LSB; the bound is
    six of those. Round to nearest on the same inputs is visibly biased per element.
    """
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, size=500)
    x[0] = 1.0                              # pins the scale: e = scale_exponent(x, 6)
    e = scale_exponent(x, 6)
    wide = np.rint(np.ldexp(x, 6 - e)) / 64           # exact value in code LSBs
    source = PCGSource(6, seed=12)
    draws = 4000
    total = np.zeros_like(x)
    for _ in range(draws):
        codes, e_now = quantize(x, 6, 6, source.draw(x.size))
        assert e_now == e
        total += codes
    error = total / draws - wide
    assert abs(error.mean()) < 6 * 0.5 / math.sqrt(x.size * draws)
    assert np.abs(error).max() < 6 * 0.5 / math.sqrt(draws)
    nearest = quantize(x, 6, 6)[0] - wide
    assert np.abs(nearest).max() > 0.4      # round to nearest errs up to half an LSB


def test_direct_lsbs_takes_twos_complement_low_bits():
    assert direct_lsbs(np.array([-1, -2, 5, -32, 31], np.int8), 3).tolist() == [7, 6, 5, 0, 7]
    assert direct_lsbs(np.array([[-1, 0], [1, 2]]), 1).tolist() == [1, 0, 1, 0]


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------

def test_training_learns(default_run):
    # Chance is 10 %; the float64 network reaches ~96 %.
    assert default_run.test_accuracy > 0.9
    assert default_run.epoch_loss[-1] < default_run.epoch_loss[0] / 4


def test_training_is_deterministic_for_a_seed():
    a = train(TrainingConfig(seed=3, **SHORT))
    b = train(TrainingConfig(seed=3, **SHORT))
    c = train(TrainingConfig(seed=4, **SHORT))
    assert a.test_accuracy == b.test_accuracy and a.epoch_loss == b.epoch_loss
    for key in a.records:
        np.testing.assert_array_equal(a.records[key], b.records[key])
    assert not np.array_equal(a.records[("weight", 0)], c.records[("weight", 0)])


@pytest.mark.parametrize("source", ["lfsr", "nearest", "array"])
def test_every_rounding_source_is_deterministic(source):
    def run():
        if source == "nearest":
            return train(TrainingConfig(rounding="nearest", **SHORT))
        if source == "array":
            return train(TrainingConfig(**SHORT), ArraySource(np.arange(64) ^ 21, 6))
        return train(TrainingConfig(**SHORT), source)
    a, b = run(), run()
    assert a.test_accuracy == b.test_accuracy and a.epoch_loss == b.epoch_loss


def test_recorded_tensors_have_the_documented_shapes(default_run):
    config = default_run.config
    steps = config.epochs * (1347 // config.batch)
    assert default_run.steps == steps
    assert set(default_run.records) == {(k, l) for k in TENSOR_KINDS for l in (0, 1)}
    expected = {"weight": [(65, 32), (33, 10)], "gradient": [(65, 32), (33, 10)],
                "activation": [(32, 32), (32, 10)], "error": [(32, 32), (32, 10)]}
    for (kind, layer), codes in default_run.records.items():
        assert codes.shape == (steps, *expected[kind][layer]) == (steps, *record_shape(config, kind, layer))
        assert codes.dtype == np.int8 and np.abs(codes).max() <= 127


def test_recording_is_bounded():
    result = train(TrainingConfig(record_every=3, max_snapshots=5, **SHORT))
    assert all(codes.shape[0] == 5 for codes in result.records.values())
    result = train(TrainingConfig(record_every=0, **SHORT))
    assert all(codes.shape[0] == 0 for codes in result.records.values())


def test_one_random_number_per_rounded_element(default_run):
    # Per step: the activations and errors of every layer, and each weight and gradient.
    config = default_run.config
    per_step = sum(2 * config.batch * fan_out + 2 * (fan_in + 1) * fan_out
                   for fan_in, fan_out in zip(config.layers[:-1], config.layers[1:]))
    assert default_run.random_numbers == default_run.steps * per_step


def test_tensor_numbers_interleave_layers_snapshot_by_snapshot(default_run):
    both = tensor_numbers(default_run, "error", None, 6)
    first = tensor_numbers(default_run, "error", 0, 6)
    second = tensor_numbers(default_run, "error", 1, 6)
    snapshots = default_run.records[("error", 0)].shape[0]
    expected = np.concatenate([first.reshape(snapshots, -1), second.reshape(snapshots, -1)],
                              axis=1).ravel()
    np.testing.assert_array_equal(both, expected)
    assert both[:32 * 32].tolist() == first[:32 * 32].tolist()          # snapshot 0, layer 0
    assert both[32 * 32:32 * 42].tolist() == second[:32 * 10].tolist()  # snapshot 0, layer 1
    np.testing.assert_array_equal(first, default_run.records[("error", 0)].ravel() & 63)
    with pytest.raises(ParameterError, match="^bits"):
        tensor_numbers(default_run, "error", 0, 9)
    with pytest.raises(ParameterError, match="^layer"):
        tensor_numbers(default_run, "error", 2, 6)


def test_float_reference_quantizes_nothing():
    result = train(TrainingConfig(rounding="float", **SHORT))
    assert result.records == {} and result.random_numbers == 0


# ------------------------------------------------------------------------------------------
# stochhw analyze training
# ------------------------------------------------------------------------------------------

def test_cli_training_quick_writes_reproducible_reports(capsys, tmp_path):
    import json

    from stochhw.sim.cli import main

    outputs = []
    for folder in ("a", "b"):
        status = main(["analyze", "training", "--quick", "--json", "--out", str(tmp_path / folder)])
        assert status == 0
        outputs.append(capsys.readouterr().out)
    names = ["training.md", "training.json", "accuracy.png", "entropy.png"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    result = json.loads(outputs[0])
    assert result == json.loads((tmp_path / "a" / "training.json").read_text())
    assert result["config"]["seeds"] == [1, 2] and result["config"]["epochs"] == 3
    methods = {(r["bits"], r["method"]) for r in result["accuracy"]}
    assert methods == {(b, m) for b in (8, 6) for m in ("nearest", "pcg", "lfsr", *TENSOR_KINDS)}
    assert all(len(r["accuracies"]) == 2 for r in result["accuracy"])
    assert {(r["bits"], r["kind"]) for r in result["tensor_entropy"]} == {
        (b, k) for b in (8, 6) for k in TENSOR_KINDS}
    assert "Quick run" in (tmp_path / "a" / "training.md").read_text()
    assert (tmp_path / "a" / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in (tmp_path / "a" / "accuracy.png").read_bytes()


def test_cli_training_refuses_randomness_options(capsys):
    from stochhw.sim.cli import main

    assert main(["analyze", "training", "--source", "pcg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stochhw: error: unrecognized arguments: --source") and err.count("\n") == 1
