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


def _pm(row):
    return f"{100 * row['mean']:.2f} ± {100 * row['std']:.2f}"


def test_generator_free_tables_are_the_committed_closed_loop_report():
    report = json.loads((ROOT / "reports" / "generator_free" / "generator_free.json").read_text())
    base = {(r["bits"], r["method"]): r for r in report["baselines"]}
    closed = {(r["bits"], r["tensor"], r["layer"], r["method"], r["mapping"]): r
              for r in report["closed_loop"]}
    section = _section("Generator-free training in a closed loop")
    widths = report["config"]["bit_widths"]
    expected = {"round to nearest": [base[(b, "nearest")] for b in widths],
                "SR, PCG64": [base[(b, "pcg")] for b in widths],
                "SR, LFSR-16": [base[(b, "lfsr")] for b in widths]}
    for mapping, label in (("none", "no mapping"), ("paper", "the paper's mapping"),
                           ("even_middle", "the paper's selection rule")):
        expected[f"gradient, middle layer, Method #2, {label}"] = [
            closed[(b, "gradient", "middle", "multi_lsb", mapping)] for b in widths]
    rows = _rows(section, "|".join(re.escape(k) for k in expected))
    assert [r[0] for r in rows] == list(expected)
    for cells in rows:
        assert cells[1:1 + len(widths)] == [_pm(r) for r in expected[cells[0]]]
    a1 = _rows(section, r"here: .*")
    assert len(a1) == 1
    assert a1[0][1:3] == [_pm(closed[(8, "error", "middle", "multi_lsb", m)])
                          for m in ("none", "paper")]
    paper = _rows(section, r"the paper: .*")
    assert paper[0][1:3] == [f"{v:.2f}" for v in report["paper"]["table_a1"]["error"]]


def test_nist_table_is_the_committed_section_4_2_report():
    report = json.loads((ROOT / "reports" / "nist" / "nist.json").read_text())
    sources = {s["source"]: s for s in report["sources"]}
    rows = _rows(_section("NIST SP 800-22 over many sequences"), r"PCG64|LFSR-\d+|\w+\[\w+\] \w+")
    assert {"PCG64", "LFSR-16", "LFSR-8"} <= {r[0] for r in rows}
    for cells in rows:
        s = sources[cells[0]]
        assert cells[1] == f"{s['failing_sub_tests']} / {s['sub_tests']}"
        assert cells[2] == f"{s['expected_chance_failures']:.1f}"


_SC_SOURCES = {"ideal": "ideal", "s-MTJ": "smtj", "LFSR": "lfsr", "Sobol": "sobol"}


def _sc_report():
    report = json.loads((ROOT / "reports" / "sc" / "sc.json").read_text())
    rows = {}
    for r in report["accuracy"]:
        rows[(r["variant"], r["hidden_layers"], r["levels"], r["method"], r["source"],
              r["length"])] = r
    networks = {"-".join(map(str, t["layers"])): t["hidden_layers"]
                for t in report["plan"]["topologies"]}
    return report, rows, networks


def _sc_pm(row):
    return f"{100 * row['accuracy']:.1f} ± {100 * row['std']:.1f}"


def _sc_table(first_cells):
    """Rows of the SC section's table whose second cell is one of ``first_cells``, with the
    network (first cell, blank when repeated) carried down."""
    rows, network = [], None
    for cells in _rows(_section("Stochastic computing"), r"[\d-]*"):
        if cells[1] in first_cells:
            network = cells[0] or network
            rows.append([network, *cells[1:]])
    return rows


def test_sc_accuracy_table_is_the_committed_sc_report():
    report, rows, networks = _sc_report()
    table = _sc_table({"no SC", *_SC_SOURCES})
    assert len(table) == 5 * len(networks)
    length = 100
    for network, source, *cells in table:
        h = networks[network]
        for i, ql in enumerate((5, 11)):
            without, with_sc = cells[2 * i], cells[2 * i + 1]
            if source == "no SC":
                assert without == _sc_pm(rows[(None, h, ql, 1, None, None)])
                assert with_sc == ""
            else:
                s = _SC_SOURCES[source]
                assert without == _sc_pm(rows[(None, h, ql, 1, s, length)])
                assert with_sc == _sc_pm(rows[(None, h, ql, 2, s, length)])
    papers = {p["hidden_layers"]: p["accuracy"] for p in report["paper"]["results"]
              if p["length"] == length}
    for network, source, *cells in table:
        if source == "ideal":
            assert f"{papers[networks[network]]:g} (784-" in cells[4]


def test_sc_method_comparison_table_is_the_committed_sc_report():
    report, rows, networks = _sc_report()
    plan = report["plan"]
    found = _rows(_section("Stochastic computing"), r"ideal|s-MTJ|LFSR|Sobol")
    found = [cells for cells in found if len(cells) == 4]
    assert [c[0] for c in found] == list(_SC_SOURCES)
    for label, better, worse, within in found:
        counts = [0, 0, 0]
        for h in networks.values():
            for ql in plan["method2_levels"]:
                for n in plan["method2_lengths"]:
                    m1 = rows[(None, h, ql, 1, _SC_SOURCES[label], n)]
                    m2 = rows[(None, h, ql, 2, _SC_SOURCES[label], n)]
                    spread = max(m1["std"], m2["std"])
                    gap = m2["accuracy"] - m1["accuracy"]
                    counts[0 if gap > spread else 1 if -gap > spread else 2] += 1
        assert [better, worse, within] == [str(c) for c in counts]


def test_sc_variant_table_is_the_committed_sc_report():
    report, rows, networks = _sc_report()
    labels = {"the paper's": None, "bias node": "bias_node", "bipolar inputs": "bipolar_inputs"}
    table = _sc_table(set(labels))
    assert len(table) == len(labels) * len(networks)
    source = report["plan"]["variant_method2_source"]
    for network, label, no_sc, without, with_sc in table:
        key = (labels[label], networks[network], 11)
        assert no_sc == _sc_pm(rows[(*key, 1, None, None)])
        assert without == _sc_pm(rows[(*key, 1, source, 100)])
        assert with_sc == _sc_pm(rows[(*key, 2, source, 100)])


def test_robustness_table_is_the_committed_robustness_report():
    report = (ROOT / "reports" / "robustness" / "robustness.md").read_text()
    side = report[report.index("## Side by side with the paper"):]
    side = side[:side.index("\n## ", 1)]
    labels = {"RQUANT": "RQUANT", "CLIPPING (paper 0.1, here 0.3)": "CLIPPING 0.3",
              "RANDBET (trained at p = 5%)": "RANDBET p=5%"}
    committed = {cells[0]: cells for cells in _rows(side, r"RQUANT|CLIPPING .*|RANDBET .*")}
    section = _section("Low-voltage SRAM and bit-error robustness")
    table = section[section.index("`stochhw analyze robustness` follows"):
                    section.index("![RErr against p]")]
    rows = _rows(table, "|".join(re.escape(k) for k in labels))
    assert [r[0] for r in rows] == list(labels)
    for label, paper, at_1, at_5 in rows:
        mine = committed[labels[label]]
        assert paper == mine[1]
        # The report adds the mean over training seeds in brackets; the README quotes seed 1.
        assert at_1 == mine[3].split(" [")[0]
        assert at_5 == mine[5].split(" [")[0]
