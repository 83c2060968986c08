"""Tests for ``stochhw analyze nist``: sequences cut from a stream, section 4.2's verdicts per
source, and the report. Sequences of 20,000 bits (the ``--quick`` length: at 1,000 bits the
template and spectral tests' discrete p-values fail uniformity even for a fair coin), 55 of
them (the fewest the uniformity criterion takes), keep each test to a few seconds."""

import json

import numpy as np
import pytest

from stochhw.models.stats import nist as sp800_22
from stochhw.sim.analyses.nist import TESTS, _Sequences, _source_row, nist_markdown, report_files

N, M, ALPHA = 20_000, sp800_22.MIN_UNIFORMITY_SEQUENCES, 0.01


def _row(name, bits, **fields):
    sequences = _Sequences(N, M, ALPHA)
    sequences.feed(bits)
    assert sequences.full
    return _source_row(name, sequences.runs, ALPHA, **fields)


def test_sequences_are_consecutive_cuts_of_the_stream():
    bits = np.random.default_rng(3).integers(0, 2, 2 * N + 300, dtype=np.uint8)
    sequences = _Sequences(N, 3, ALPHA)
    for piece in np.array_split(bits, 7):      # fed in uneven pieces
        sequences.feed(piece)
    assert len(sequences.runs) == 2 and not sequences.full
    for i, results in enumerate(sequences.runs):
        expected = sp800_22.run_all(bits[i * N:(i + 1) * N], ALPHA)
        assert [r.p_values for r in results] == [r.p_values for r in expected]
    sequences.feed(bits[:N])
    assert sequences.full and sequences.pending.size == 0
    sequences.feed(bits)                       # a full source takes no more
    assert len(sequences.runs) == 3


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(11)
    fair = _row("PCG64", rng.integers(0, 2, N * M, dtype=np.uint8), kind="reference",
                description="numpy PCG64")
    # a coin with P(1) = 0.6: every sequence's frequency test fails at this n
    biased = _row("biased", (rng.random(N * M) < 0.6).astype(np.uint8), kind="extracted",
                  description="P(1) = 0.6", tensor="error", layer="middle", method="direct",
                  training_runs=1)
    return fair, biased


def test_source_rows_count_failing_sub_tests(rows):
    for row in rows:
        assert row["sub_tests"] == sum(t["sub_tests"] for t in row["tests"])
        assert row["failing_sub_tests"] == sum(t["sub_tests"] - t["passing_sub_tests"]
                                               for t in row["tests"])
        assert [t["test"] for t in row["tests"]] == list(TESTS)
    fair, biased = rows
    freq = {r["source"]: next(t for t in r["tests"] if t["test"] == "frequency") for r in rows}
    assert freq["biased"]["proportion_failures"] == 1 and freq["biased"]["min_proportion"] == 0
    # A fair source fails the proportion criterion of a sub-test with probability
    # proportion_false_alarm(M) plus the uniformity one with UNIFORMITY_ALPHA; 5x the expected
    # count plus 3 bounds a Poisson tail far below 1e-3 here.
    assert fair["failing_sub_tests"] <= 5 * fair["expected_chance_failures"] + 3
    assert biased["failing_sub_tests"] > fair["failing_sub_tests"]


def test_report_marks_failed_criteria_and_states_the_interval(rows):
    result = {"config": {"n": N, "m": M, "alpha": ALPHA, "code_bits": 8, "k": 6,
                         "layers": [64, 32, 32, 10], "lanes": 16, "extractor_seed": 1,
                         "seed": 1, "quick": True},
              "interval": list(sp800_22.proportion_range(M, ALPHA)),
              "false_alarm": sp800_22.proportion_false_alarm(M, ALPHA),
              "sources": list(rows)}
    text = nist_markdown(result)
    lo, hi = result["interval"]
    assert f"[{lo:.4f}, {hi:.4f}]" in text and "Quick run" in text
    biased_line = next(line for line in text.splitlines() if line.startswith("| biased"))
    assert "**P" in biased_line
    files = report_files(result)
    assert set(files) == {"nist.md", "nist.json", "nist_grid.png", "nist_proportions.png"}
    assert json.loads(files["nist.json"])["sources"][0]["source"] == "PCG64"
