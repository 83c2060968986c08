"""The README's numbers that sit beside committed reports are those reports' numbers.

A README table copied by hand goes stale when the report is regenerated; these tests read both
and fail on any difference, so the README is fixed in the same change as the report.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _section(title):
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end >= 0 else None]


def _rows(text, first_cell):
    """Cells of the Markdown table rows of ``text`` whose first cell matches ``first_cell``."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


def test_bias_table_is_the_committed_rounding_bias_report():
    report = json.loads((ROOT / "synth_reports" / "rounding_bias.json").read_text())
    rows = _rows(_section("Stochastic rounding bias"), r"\d+( \(default\))?")
    expected = [[f"{r['max_bias_lsb']:.5f}", f"{r['mean_bias_lsb']:.5f}"] for r in report["lfsr"]]
    assert [row[1:3] for row in rows] == expected
    assert [int(row[0].split()[0]) for row in rows] == [r["lfsr_width"] for r in report["lfsr"]]


@pytest.mark.parametrize("name", ["sru_lanes", "sru_lanes_rng8"])
def test_sru_table_rows_are_the_committed_comparison(name):
    report = json.loads((ROOT / "synth_reports" / f"{name}.json").read_text())
    points = {(r["family"], r["lanes"]): r for r in report["rows"]}
    rows = _rows(_section("The SRU comparison"), rf"`{name}`")
    assert rows, f"the README's SRU table has no {name} row"
    for cells in rows:
        family, lanes = cells[1].split()[0], int(cells[2])
        point = points[(family, lanes)]
        assert cells[3] == f"{point['baseline_luts']} / {point['baseline_ffs']}"
        assert cells[4] == f"{point['candidate_luts']} / {point['candidate_ffs']}"
        assert cells[5] == f"{point['lut_saving_pct']:.1f}%"


def test_entropy_table_is_the_committed_extraction_report_at_6_bits():
    report = json.loads((ROOT / "reports" / "randomness" / "extraction.json").read_text())
    rows = {(r["kind"], r["method"]): r for r in report["entropy"]
            if r["layer"] == "all" and r["code_bits"] == 6}
    table = _rows(_section("Rounding randomness from the data"),
                  r"weight|activation|error|gradient")
    assert [row[0] for row in table] == ["weight", "activation", "error", "gradient"]
    for kind, direct, multi, paper in table:
        for cell, method in ((direct, "direct"), (multi, "multi_lsb")):
            r = rows[(kind, method)]
            assert cell == f"{r['entropy_mean']:.2f} ± {r['entropy_std']:.2f}"
        assert paper == f"{rows[(kind, 'direct')]['paper_table6']:.2f}"
