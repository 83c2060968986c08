"""Tests for ``stochhw analyze generator-free``: the study's bookkeeping and its report.

The trainings are 1 epoch of the small MLP (about 0.1 s each): the tests check what the study
computes from them, not how well they train (``tests/test_closed_loop.py`` does that).
"""

import json
import math
import types

import numpy as np
import pytest

from stochhw.models.ml.closed_loop import ClosedLoop
from stochhw.models.ml.digits import TEST_SAMPLES
from stochhw.sim.analyses import TOPICS
from stochhw.sim.analyses.generator_free import (
    BASELINES,
    PAPER_DEFAULT,
    PAPER_TABLE_A1,
    closed_loop_sources,
    generator_free_markdown,
    generator_free_study,
    report_files,
    source_statistics,
)

SOURCES = (PAPER_DEFAULT,
           ClosedLoop(tensor="error", layer="middle", method="multi_lsb", mapping="paper"),
           ClosedLoop(tensor="own", layer=None, method="direct", mapping="even_middle"))


@pytest.fixture(scope="module")
def small():
    return generator_free_study(seeds=(1, 2), bit_widths=(8,), epochs=1, sources=SOURCES,
                                quick=True)


def test_grid_covers_every_axis_of_the_issue():
    grid = closed_loop_sources()
    assert {(c.tensor, c.layer) for c in grid if c.tensor != "own"} == {
        (t, layer) for t in ("weight", "activation", "error", "gradient")
        for layer in ("first", "middle", "last")}
    assert {c.method for c in grid} == {"direct", "multi_lsb"}
    assert {c.mapping for c in grid} == {"none", "paper", "even_middle"}
    assert len(grid) == len(set(grid)) == (12 + 1) * 2 * 3
    assert PAPER_DEFAULT in grid and PAPER_DEFAULT.tensor == "gradient"


def test_rows_summarise_their_seeds(small):
    assert [(r["bits"], r["method"]) for r in small["baselines"]] == [(8, m) for m in BASELINES]
    assert [r["label"] for r in small["closed_loop"]] == [s.label for s in SOURCES]
    for row in small["baselines"] + small["closed_loop"] + [small["float_reference"]]:
        accs = row["accuracies"]
        assert len(accs) == 2
        # an accuracy is a whole number of the held-out images
        assert all(math.isclose(a * TEST_SAMPLES, round(a * TEST_SAMPLES)) for a in accs)
        assert row["mean"] == pytest.approx(np.mean(accs))
        assert row["std"] == pytest.approx(np.std(accs, ddof=1))
    for row in small["closed_loop"]:
        assert 0 <= row["entropy"] <= 6 and 0 <= row["zero_fraction"] <= 1
        assert -0.5 <= row["bias_steps"] <= 0.5 and 0 <= row["repeat_fraction"] <= 1
        assert (row["passes_per_step"] is None) == (row["tensor"] == "own")
        assert len(row["epoch_loss"]) == 1


def test_study_is_deterministic(small):
    again = generator_free_study(seeds=(1, 2), bit_widths=(8,), epochs=1, sources=SOURCES,
                                 quick=True)
    assert json.dumps(again, sort_keys=True) == json.dumps(small, sort_keys=True)


def test_source_statistics_of_known_histograms():
    uniform = types.SimpleNamespace(histogram=np.full(64, 10), repeat_fraction=1 / 64)
    stats = source_statistics(uniform)
    assert stats["entropy"] == pytest.approx(6.0)
    assert stats["bias_steps"] == pytest.approx(0.0)
    assert stats["zero_fraction"] == pytest.approx(1 / 64)
    assert stats["passes_per_step"] is None
    zeros = types.SimpleNamespace(histogram=np.eye(64, dtype=int)[0] * 7, repeat_fraction=1.0,
                                  passes_per_step=3.5)
    stats = source_statistics(zeros)
    # all numbers 0: floor((x + 0) / 2^6) truncates, on average 63/128 of an output step down
    assert stats["bias_steps"] == pytest.approx(-63 / 128)
    assert stats["entropy"] == 0 and stats["zero_fraction"] == 1
    assert stats["passes_per_step"] == 3.5


def test_report_states_conditions_resolution_and_the_papers_numbers(small):
    text = generator_free_markdown(small)
    assert "Quick run" in text and "450 held-out" in text and "0.22 pp" in text
    a1 = PAPER_TABLE_A1["error"]
    assert f"{a1[0]:.2f} → {a1[1]:.2f}" in text
    default_row = next(r for r in small["closed_loop"] if r["label"] == PAPER_DEFAULT.label)
    cell = f"{100 * default_row['mean']:.2f} ± {100 * default_row['std']:.2f}"
    assert cell in text
    files = report_files(small)
    assert set(files) == {"generator_free.md", "generator_free.json", "accuracy_grid.png",
                          "why.png", "loss.png"}
    assert json.loads(files["generator_free.json"]) == json.loads(json.dumps(small))
    assert files["why.png"].startswith(b"\x89PNG")


def test_topics_are_declared():
    assert TOPICS["generator-free"].folder == "reports/generator_free"
    assert TOPICS["nist"].folder == "reports/nist"
