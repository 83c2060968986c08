"""Tests for stochhw.models.ml.robust_training and ``stochhw analyze robustness`` (stochhw.sim.analyses.robustness)."""

import json

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.ml.bit_errors import Chips, MemoryLayout, chip_seeds
from stochhw.models.ml.digits import load_digits_fold, load_digits_split
from stochhw.models.ml.quantization import decode
from stochhw.models.ml.robust_training import RobustConfig, evaluate, memory_image, split_image, train_robust
from stochhw.sim.analyses.robustness import report_files
from stochhw.sim.analyses.robustness_energy import _largest_rate
from stochhw.sim.cli import main

TINY = dict(hidden=(16,), epochs=4)


@pytest.fixture(scope="module")
def tiny_model():
    return train_robust(RobustConfig(m=4, **TINY))


def ref_error(model, chip_u, p, x, y):
    """Test error of one chip, bit by bit and sample by sample."""
    m = model.config.m
    per_row = 64 // m
    params, i = [], 0
    for q in model.quantized:
        flat = []
        for pattern in q.bits.ravel():
            read = 0
            for j in range(m):
                bit = (int(pattern) >> j) & 1
                if chip_u[i // per_row, (i % per_row) * m + j] <= p:
                    bit ^= 1
                read |= bit << j
            flat.append(q.zero + q.delta * int(decode(read, m, q.encoding)))
            i += 1
        params.append(np.array(flat).reshape(q.bits.shape))
    wrong = 0
    for sample, label in zip(x, y):
        h = sample
        for l in range(0, len(params), 2):
            h = h @ params[l] + params[l + 1]
            if l + 2 < len(params):
                h = np.maximum(h, 0)
        wrong += int(np.argmax(h) != label)
    return wrong / len(y)


def test_training_learns_and_is_deterministic(tiny_model):
    again = train_robust(RobustConfig(m=4, **TINY))
    assert tiny_model.clean_error < 0.5                       # chance is 0.9
    for a, b in zip(tiny_model.weights, again.weights):
        np.testing.assert_array_equal(a, b)
    assert tiny_model.steps == 4 * (1347 // 32) and tiny_model.injected_steps == 0


def test_evaluate_matches_bit_by_bit_reference(tiny_model):
    _, _, x, y = load_digits_split()
    image = memory_image(tiny_model.quantized)
    chips = Chips.for_layout([11, 12], MemoryLayout(image.size, 4))
    errors, rates = evaluate(tiny_model, [0.0, 0.02, 0.2], chips)
    for i, p in enumerate((0.0, 0.02, 0.2)):
        for c in range(2):
            assert errors[i, c] == ref_error(tiny_model, chips.u[c], p, x, y), (p, c)
    assert np.all(errors[0] == tiny_model.clean_error) and np.all(rates[0] == 0)


def test_flip_rate_of_evaluate_is_binomial(tiny_model):
    image = memory_image(tiny_model.quantized)
    n_bits = image.size * 4
    _, rates = evaluate(tiny_model, [0.05], chip_seeds(1, 20))
    count = rates.sum() * n_bits
    n = 20 * n_bits
    assert abs(count - n * 0.05) <= 5 * np.sqrt(n * 0.05 * 0.95)


def test_memory_image_round_trips(tiny_model):
    image = memory_image(tiny_model.quantized)
    assert image.size == 64 * 16 + 16 + 16 * 10 + 10
    stacked = np.stack([image, image ^ 1])
    parts = split_image(tiny_model.quantized, stacked)
    for q, part in zip(tiny_model.quantized, parts):
        np.testing.assert_array_equal(part[0], q.bits)
        np.testing.assert_array_equal(part[1], q.bits ^ 1)


def test_clipping_keeps_float_weights_in_bounds():
    model = train_robust(RobustConfig(w_max=0.05, **TINY))
    assert max(np.abs(w).max() for w in model.weights) <= 0.05
    assert all(np.abs(q.dequantize()).max() <= 0.05 + 1e-12 for q in model.quantized)


def test_randbet_injects_only_below_the_loss_threshold():
    never = train_robust(RobustConfig(p_train=0.01, loss_threshold=0.0, **TINY))
    assert never.injected_steps == 0 and never.first_injection is None
    # A threshold above any loss: from the second step on (the first has no previous loss).
    always = train_robust(RobustConfig(p_train=0.01, loss_threshold=100.0, **TINY))
    assert always.first_injection == 1 and always.injected_steps == always.steps - 1
    # The default threshold starts once the clean loss has fallen below it.
    default = train_robust(RobustConfig(p_train=0.01, **TINY))
    losses_before = default.first_injection
    assert 1 <= losses_before < default.steps


def test_pattbet_injects_the_pattern_chips_errors():
    """At p = 1 every cell of any chip fails, so PattBET and RandBET flip the same (all) bits
    and train identically; below 1 the fixed pattern and the fresh errors differ."""
    fixed = dict(loss_threshold=100.0, **TINY)
    patt = train_robust(RobustConfig(p_train=1.0, pattern=7, **fixed))
    rand = train_robust(RobustConfig(p_train=1.0, **fixed))
    for a, b in zip(patt.weights, rand.weights):
        np.testing.assert_array_equal(a, b)
    patt = train_robust(RobustConfig(p_train=0.3, pattern=7, **fixed))
    rand = train_robust(RobustConfig(p_train=0.3, **fixed))
    assert patt.injected_steps == rand.injected_steps == patt.steps - 1
    assert any(not np.array_equal(a, b) for a, b in zip(patt.weights, rand.weights))


def test_folds_partition_the_digits_and_train_on_their_fold():
    tests = [load_digits_fold(k)[3] for k in range(5)]
    assert sum(t.size for t in tests) == 1797
    x_all = np.concatenate([load_digits_fold(k)[2] for k in range(5)])
    assert np.unique(x_all, axis=0).shape[0] == np.unique(load_digits_split()[0].tolist() +
                                                          load_digits_split()[2].tolist(),
                                                          axis=0).shape[0]
    model = train_robust(RobustConfig(fold=2, **TINY))
    n_train = load_digits_fold(2)[0].shape[0]
    assert model.steps == 4 * (n_train // 32)


def test_largest_rate_interpolates_in_log_p():
    ps = np.array([0.001, 0.01, 0.1])
    assert _largest_rate(ps, np.array([0.02, 0.03, 0.05]), 0.01) is None
    assert _largest_rate(ps, np.array([0.0, 0.005, 0.009]), 0.01) == 0.1
    # Halfway in excess between 0.01 (0.0) and 0.1 (0.02): halfway in log p, sqrt(0.001).
    assert _largest_rate(ps, np.array([0.0, 0.0, 0.02]), 0.01) == pytest.approx(10 ** -1.5)


@pytest.mark.parametrize("changes,fragment", [
    (dict(pattern=3), "pattern needs p_train > 0"),
    (dict(fold=5), "fold must be"),
    (dict(m=5), "m must be one of"),
    (dict(scheme="nope"), "scheme must be one of"),
    (dict(p_train=1.5), "p_train must be a probability"),
    (dict(w_max=0.0), "w_max must be"),
    (dict(loss_threshold=-1.0), "loss_threshold must be"),
    (dict(momentum=1.0), "momentum must be"),
])
def test_config_rejects_bad_values(changes, fragment):
    with pytest.raises(ParameterError, match=fragment):
        RobustConfig(**changes)


def test_evaluate_rejects_bad_rate(tiny_model):
    with pytest.raises(ParameterError, match="p must be a probability"):
        evaluate(tiny_model, [0.1, 1.01], [1])
    with pytest.raises(ParameterError, match="model must be a FaultModel"):
        evaluate(tiny_model, [0.1], [1], fault_model="column")


# ------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------

def test_cli_quick_writes_reports_with_the_documented_schema(capsys, tmp_path):
    status = main(["analyze", "robustness", "--quick", "--json", "--chips", "3",
                   "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    result = json.loads(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "rerr_vs_p.png", "robustness.json", "robustness.md", "weights.png"]
    assert json.loads((tmp_path / "robustness.json").read_text()) == result
    assert set(result) == {"config", "models", "results", "tables", "weight_histograms", "paper"}
    cfg = result["config"]
    assert cfg["quick"] is True and cfg["chips"] == 3 and len(cfg["chip_seeds"]) == 3
    ids = set()
    for m in result["models"]:
        assert set(m) == {"id", "method", "bits", "scheme", "w_max", "p_train", "seed",
                          "clean_error", "train_error", "final_loss", "steps", "injected_steps",
                          "first_injection", "mean_relative_code"}
        assert m["bits"] in (8, 4, 3, 2) and 0 <= m["clean_error"] <= 1
        if m["p_train"] == 0:
            assert m["injected_steps"] == 0 and m["first_injection"] is None
        ids.add(m["id"])
    seen = set()
    for r in result["results"]:
        assert r["model"] in ids and 0 <= r["p"] <= 1
        assert 0 <= r["min"] <= r["mean"] <= r["max"] <= 1 and r["std"] >= 0
        assert 0 <= r["flip_rate"] <= 1
        seen.add((r["model"], r["map"], r["p"]))
    tables = result["tables"]
    assert set(tables) == {"table1", "table2", "table4", "table5", "seeds"}
    for name in ("table1", "table2", "table4"):
        for row in tables[name]["rows"]:
            assert all((row["model"], "random", p) in seen for p in tables[name]["ps"])
    for row in tables["table5"]["rows"]:
        assert all((row["model"], mp, p) in seen
                   for mp in tables["table5"]["maps"] for p in tables["table5"]["ps"])
    md = (tmp_path / "robustness.md").read_text()
    for heading in ("Side by side with the paper", "Summary of the comparisons", "Table 1",
                    "Table 2", "Table 4", "Table 5"):
        assert heading in md
    assert (tmp_path / "rerr_vs_p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Rendering the result read back from its JSON gives the same bytes.
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert {name: data.encode() if isinstance(data, str) else data
            for name, data in report_files(result).items()} == before


@pytest.mark.parametrize("argv,fragment", [
    (["--chips", "0"], "must be >= 1"),
    (["--chips", "1000"], "chips must be in 1..999"),
    (["--chips", "x"], "expected an integer"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    status = main(["analyze", "robustness", "--quick", *argv])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stochhw: error: ") and fragment in lines[0]


def test_cli_robustness_energy_quick_writes_its_report(capsys, tmp_path):
    assert main(["analyze", "robustness-energy", "--quick", "--json", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "energy.png", "robustness_energy.json", "robustness_energy.md"]
    assert result["config"]["quick"] is True
    runs = {r["name"]: r for r in result["runs"]}
    # PattBET is measured on its own pattern chip too; every run has one RErr per rate.
    assert runs["PATTBET m8"]["pattern_ps"] == [0.01, 0.025]
    for r in result["runs"]:
        assert all(len(v) == len(r["ps"]) for v in r["rerr"]["random"])
        assert len(r["clean"]) == result["config"]["runs"]
    for row in result["energy"]:
        for per_run in row["thresholds"].values():
            for e in per_run:
                assert 0.0 <= e["saved"] < 1.0 and e["voltage"] <= 1.0
    md = (tmp_path / "robustness_energy.md").read_text()
    assert "Quick run" in md and "## PattBET" in md
