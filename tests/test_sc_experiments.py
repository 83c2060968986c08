"""Tests of stochhw.sim.analyses.sc_experiments and the ``stochhw analyze sc`` topic (small plans, seconds)."""

import dataclasses
import json
import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.ml.idx import write_idx
from stochhw.models.ml.sc_sources import encoded_values, p_one
from stochhw.models.sc_quant import level_values
from stochhw.sim.analyses import sc_experiments
from stochhw.sim.analyses.sc import report_files, sc_markdown
from stochhw.sim.analyses.sc_experiments import (
    VARIANTS,
    Plan,
    accuracy_jobs,
    multiplication_rmse,
    run_experiments,
    sigmoid_tables,
)
from stochhw.sim.cli import main
from stochhw.sim.core.reportkit import write_report

TINY = Plan(topologies=((1, (64, 6, 10)),), levels=(5,), lengths=(20, 40), sources=("smtj", "sobol"),
            method2_levels=(5,), method2_lengths=(20, 40), variants=(),
            seeds=(1,), epochs=1, learning_rates=((1, 4.0),), infer_repeats=1, train_limit=120,
            test_limit=60, rmse_lengths=(8,), rmse_trials=1, rmse_shifts=(0,))


def fourth_moment(q, n):
    """E[e^4] of the estimate e = 2 C / n - (2q - 1), C ~ Binomial(n, q)."""
    v = q * (1 - q)
    return 16 * (3 * (n * v) ** 2 + n * v * (1 - 6 * v)) / n ** 4


@pytest.fixture(scope="module")
def rmse_study():
    return multiplication_rmse(levels=5, lengths=(16, 128), trials=400, shifts=(0, 1), seed=3)


@pytest.mark.parametrize("source", ["smtj", "smtj_linear", "ideal"])
def test_independent_rmse_matches_theory(rmse_study, source):
    """Measured MSE within 5 standard errors of mean((1 - z^2) / N).

    The standard error of the mean of the squared errors comes from their exact variance,
    E[e^4] - sigma^4 per pair (binomial moments), over pairs x trials samples."""
    e = encoded_values(5, source)
    z = np.outer(e, e).ravel()
    q = (1 + z) / 2
    trials = rmse_study["trials"]
    for i, n in enumerate(rmse_study["lengths"]):
        sigma2 = (1 - z ** 2) / n
        var_e2 = fourth_moment(q, n) - sigma2 ** 2
        se = math.sqrt(trials * var_e2.sum()) / (trials * z.size)
        case = rmse_study["cases"][source]
        assert case["theory"][i] == pytest.approx(math.sqrt(sigma2.mean()), rel=1e-12)
        assert abs(case["rmse"][i] ** 2 - sigma2.mean()) < 5 * se, (source, n)


def test_smtj_device_curve_shows_as_a_systematic_error(rmse_study):
    smtj = rmse_study["cases"]["smtj_linear"]
    e, v = encoded_values(5, "smtj_linear"), level_values(5)
    systematic = math.sqrt(np.mean((np.outer(e, e) - np.outer(v, v)) ** 2))
    # Against the nominal product the error cannot fall below the curve's own distortion.
    assert smtj["rmse_vs_nominal"][-1] > 0.9 * systematic > smtj["rmse"][-1]
    # Calibrated voltages leave only the end states' distortion: far below the even spacing's.
    e = encoded_values(5, "smtj")
    assert math.sqrt(np.mean((np.outer(e, e) - np.outer(v, v)) ** 2)) < 0.6 * systematic


def test_sobol_pairs_beat_independent_streams(rmse_study):
    """A dimension-1/dimension-2 Sobol pair is a (0, m, 2)-net at N = 2^m: the product count
    errs by O(log N), so at N = 128 the RMSE is far below the independent streams' theory."""
    sobol = rmse_study["cases"]["sobol"]
    assert sobol["rmse"][-1] < 0.3 * sobol["theory"][-1]


def test_shared_uniform_source_computes_one_minus_twice_the_distance(rmse_study):
    """XNOR of comparators on one uniform number: P(1) = 1 - |pa - pb|, not the product."""
    p, v = p_one(5, "ideal"), level_values(5)
    q = 1 - np.abs(p[:, None] - p[None, :]).ravel()
    want_bias = np.mean(2 * q - 1 - np.outer(v, v).ravel())
    trials = rmse_study["trials"]
    for i, n in enumerate(rmse_study["lengths"]):
        se = math.sqrt(trials * np.sum(4 * q * (1 - q) / n)) / (trials * q.size)
        assert abs(rmse_study["cases"]["shared-uniform"]["bias"][i] - want_bias) < 5 * se
    assert want_bias > 0.1                              # far from unbiased: the failure


def test_lfsr_streams_distinct_seeds_work_shared_ones_fail(rmse_study):
    theory = rmse_study["cases"]["ideal"]["theory"][-1]
    distinct = rmse_study["cases"]["lfsr"]["rmse"][-1]
    assert 0.5 * theory < distinct < 1.5 * theory
    assert rmse_study["cases"]["lfsr-shift-0"]["rmse"][-1] > 3 * theory
    # One cycle apart a right-shifting LFSR's numbers are halves of each other: still correlated.
    assert rmse_study["cases"]["lfsr-shift-1"]["rmse"][-1] > 2 * theory


def test_sigmoid_tables():
    tables = {t["levels"]: t for t in sigmoid_tables()}
    assert tables[5]["states"] == [0.0, 0.5, 1.0] and tables[5]["distinct_outputs"] == 3
    assert tables[11]["distinct_outputs"] == 6
    # A change point is where sigmoid crosses the midpoint between states.
    for t in tables.values():
        for z, lo, hi in zip(t["change_points"], t["states"], t["states"][1:]):
            assert 1 / (1 + math.exp(-z)) == pytest.approx((lo + hi) / 2)


@pytest.fixture(scope="module")
def tiny_result():
    return run_experiments(TINY)


def test_tiny_plan_result(tiny_result, tmp_path):
    rows = tiny_result["accuracy"]
    # Method 1: no SC + 2 sources x 2 lengths; Method 2: 2 sources x 2 lengths.
    assert len(rows) == 5 + 4
    assert {(r["method"], r["source"], r["length"]) for r in rows} == (
        {(1, None, None)} | {(m, s, n) for m in (1, 2) for s in ("smtj", "sobol") for n in (20, 40)})
    assert all(0 <= r["accuracy"] <= 1 for r in rows)
    assert tiny_result["data"] == {"name": "digits", "train_samples": 120, "test_samples": 60,
                                   "inputs": 64}
    assert [t["distinct_outputs"] for t in tiny_result["sigmoid_tables"]] == [3, 6]
    paths = write_report(tmp_path / "a", report_files(tiny_result))
    again = write_report(tmp_path / "b", report_files(run_experiments(TINY)))
    for p, q in zip(paths, again):
        assert p.read_bytes() == q.read_bytes(), p.name
    assert "| 1 | 5 | 2 |" in sc_markdown(tiny_result)
    json.loads((tmp_path / "a" / "sc.json").read_text())


def test_variants_run_beside_the_papers_network():
    plan = dataclasses.replace(TINY, variants=("bias_node", "bipolar_inputs"), variant_lengths=(20,),
                               variant_method2_source="smtj")
    result = run_experiments(plan)
    rows = result["accuracy"]
    # The paper's network as in TINY; each variant: no SC + 2 sources x 1 length, Method 2 with
    # the s-MTJ at that length.
    assert sum(r["variant"] is None for r in rows) == 9
    for variant in plan.variants:
        assert {(r["method"], r["source"], r["length"]) for r in rows if r["variant"] == variant} == {
            (1, None, None), (1, "smtj", 20), (1, "sobol", 20), (2, "smtj", 20)}
    text = sc_markdown(result)
    assert "## Variants: a bias node and bipolar inputs" in text
    for label in ("the paper's", "bias node", "bipolar inputs"):
        assert f"| 1 | 5 | {label} |" in text


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_variant_job_trains_and_infers_the_variant(monkeypatch, variant):
    plan = dataclasses.replace(TINY, variants=(variant,), variant_lengths=(20,),
                               variant_method2_source="smtj")
    seen = []
    real_train, real_levels = sc_experiments.train, sc_experiments.input_levels

    def spy_train(config, x, y):
        seen.append(config)
        return real_train(config, x, y)

    def spy_levels(x, levels, inputs="unit"):
        seen.append(inputs)
        return real_levels(x, levels, inputs)

    monkeypatch.setattr(sc_experiments, "train", spy_train)
    monkeypatch.setattr(sc_experiments, "input_levels", spy_levels)
    key, spec = next((k, s) for k, s in accuracy_jobs(plan, "digits") if k[0] == variant)
    sc_experiments.run_training_job(spec)
    config, inputs = seen
    for field, value in VARIANTS[variant].items():
        assert getattr(config, field) == value
    assert inputs == config.inputs


def test_bad_variant_plans():
    with pytest.raises(ParameterError, match=r"variants must be among \['bias_node'"):
        run_experiments(dataclasses.replace(TINY, variants=("dropout",)))
    with pytest.raises(ParameterError, match="variant_method2_source must be one of the sources"):
        run_experiments(dataclasses.replace(TINY, variants=("bias_node",),
                                            variant_method2_source="lfsr"))


def test_mnist_folder_runs_through_the_same_experiment(tmp_path):
    write_mnist(tmp_path)
    plan = dataclasses.replace(TINY, dataset="mnist", topologies=((1, (784, 4, 10)),),
                               lengths=(10,), method2_lengths=(10,), train_limit=None,
                               test_limit=None)
    result = run_experiments(plan, mnist=tmp_path)
    assert result["data"] == {"name": "mnist", "train_samples": 50, "test_samples": 20,
                              "inputs": 784}
    assert "Here: mnist (784 inputs, 50 training images)" in sc_markdown(result)
    with pytest.raises(ParameterError, match="784 inputs, but the topology 64-6-10"):
        run_experiments(TINY, mnist=tmp_path)
    with pytest.raises(ParameterError, match="method2_lengths must be among the lengths"):
        run_experiments(dataclasses.replace(TINY, method2_lengths=(30,)))


def test_cli_quick_run(tmp_path, capsys):
    assert main(["analyze", "sc", "--quick", "--json", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["plan"]["quick"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accuracy.png", "rmse.png", "sc.json",
                                                          "sc.md"]


def write_mnist(folder, n_train=50, n_test=20, pixels=(28, 28), seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte",
                  rng.integers(0, 256, (n, *pixels), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))


def broken_images(folder):
    write_mnist(folder)
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03junk")


@pytest.mark.parametrize("setup,message", [
    (lambda d: None, "mnist folder not found"),
    (lambda d: d.mkdir(), "train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) not found"),
    (broken_images, "train-images-idx3-ubyte is truncated inside its header"),
    (lambda d: write_mnist(d, pixels=(8, 8)), "the data have 64 inputs, but the topology 784-"),
])
def test_cli_bad_mnist(tmp_path, capsys, setup, message):
    folder = tmp_path / "mnist"
    setup(folder)
    assert main(["analyze", "sc", "--quick", "--mnist", str(folder), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stochhw: error: ") and message in err and err.count("\n") == 1


def test_bad_rmse_parameters():
    with pytest.raises(ParameterError, match=r"N \(bitstream length L\) must be in 1"):
        multiplication_rmse(lengths=(0, 10))
    with pytest.raises(ParameterError, match=r"levels \(QL"):
        multiplication_rmse(levels=1)
    with pytest.raises(ParameterError, match="trials must be >= 1"):
        multiplication_rmse(trials=0)
