"""``make demo`` stays the fast main job, and partial runs never overwrite committed reports."""

import json
import shutil
from pathlib import Path

import pytest

import stochhw.sim.campaigns.demo as demo
from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns.compare import regeneration
from stochhw.sim.campaigns.demo import DEMO_COMPARISON, headline_table
from stochhw.sim.cli import main
from stochhw.sim.core.comparison import Comparison
from stochhw.sim.designs.rounding import SRU_COMPARISON


def test_demo_comparison_is_a_cheap_subset_of_the_committed_one():
    assert set(DEMO_COMPARISON.values) < set(SRU_COMPARISON.values)
    assert DEMO_COMPARISON.families == ("xilinx", "ice40", "ecp5")
    assert (DEMO_COMPARISON.baseline, DEMO_COMPARISON.candidate) == (SRU_COMPARISON.baseline,
                                                                     SRU_COMPARISON.candidate)
    placed = [(v, f) for v in DEMO_COMPARISON.values for f in DEMO_COMPARISON.families
              if DEMO_COMPARISON.placed(v, f)]
    assert placed == [(16, "ice40"), (16, "ecp5")]
    # Its markdown names the command that makes it, not `stochhw compare sru_lanes`.
    assert "stochhw demo" in regeneration(DEMO_COMPARISON)
    assert regeneration(SRU_COMPARISON).startswith("`stochhw compare sru_lanes`")


def test_every_point_of_a_comparison_without_pnr_values_is_placed():
    assert all(SRU_COMPARISON.placed(v, "ice40") for v in SRU_COMPARISON.values)
    assert not any(SRU_COMPARISON.placed(v, "xilinx") for v in SRU_COMPARISON.values)


@pytest.mark.parametrize("pnr, pnr_values", [(True, (3,)), (False, (4,)), (True, ())])
def test_pnr_values_must_be_a_subset_and_need_pnr(pnr, pnr_values):
    with pytest.raises(ParameterError, match="pnr_values"):
        Comparison("c", "t", ("a", "sru_array", {}), ("b", "sru_array", {}), "lanes", (1, 4),
                   pnr=pnr, pnr_values=pnr_values)


def test_headline_table_shows_the_savings_of_each_row():
    row = {"family": "ice40", "lanes": 16, "baseline_luts": 200, "candidate_luts": 150,
           "lut_saving_pct": 25.0, "baseline_ffs": 400, "candidate_ffs": 144, "ff_saving_pct": 64.0,
           "baseline_pnr": "ok", "candidate_pnr": "ok", "pnr_device": "hx8k ct256",
           "baseline_pnr_luts": 210, "candidate_pnr_luts": 160, "baseline_fmax_mhz": 150.4,
           "candidate_fmax_mhz": 170.6}
    unplaced = {**row, "lanes": 64, "baseline_pnr": "n/a", "candidate_pnr": "n/a", "ff_saving_pct": None}
    lines = headline_table(DEMO_COMPARISON, [row, unplaced]).splitlines()
    assert lines[2].split()[:8] == ["ice40", "16", "200", "150", "25.0%", "400", "144", "64.0%"]
    assert "LUTs 210 -> 160, Fmax 150 -> 171 MHz" in lines[2]
    assert lines[3].split()[7] == "n/a" and "MHz" not in lines[3]


def _committed(tmp_path):
    folder = tmp_path / "reports" / "faults"
    folder.mkdir(parents=True)
    (folder / "faults.md").write_text("committed\n")
    return folder


def test_a_partial_analysis_run_never_overwrites_the_committed_report(tmp_path, monkeypatch, capsys):
    committed = _committed(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "faults", "--seed", "3", "--json"]) == 0
    assert (committed / "faults.md").read_text() == "committed\n"
    err = capsys.readouterr().err
    assert "not the documented run (--seed 3)" in err
    scratch = Path(err.split("scratch folder ")[1].split()[0])
    try:
        assert json.loads((scratch / "faults.json").read_text())["config"]["seed"] == 3
    finally:
        shutil.rmtree(scratch)


def test_the_documented_run_and_out_write_where_they_say(tmp_path, monkeypatch, capsys):
    committed = _committed(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "faults", "--seed", "3", "--out", "mine"]) == 0
    assert (tmp_path / "mine" / "faults.md").exists()
    assert (committed / "faults.md").read_text() == "committed\n"
    assert main(["analyze", "faults"]) == 0
    assert (committed / "faults.md").read_text() != "committed\n"
    assert "scratch" not in capsys.readouterr().err


def test_the_demo_writes_nowhere_but_its_output_folder(tmp_path, monkeypatch):
    """Verilog, run folders and the comparison all land under ``-o``; the working folder (a
    user's checkout) gets nothing. The tools themselves are replaced: what is checked is where
    each step is told to write."""
    told = []

    def fake_cases(cases, simulators, build_root="build", **kwargs):
        told.append(Path(build_root))
        runs = Path(build_root) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        return []

    def fake_comparison(comp, out_dir, **kwargs):
        told.append(Path(out_dir))
        return []

    monkeypatch.setattr(demo, "run_cases", fake_cases)
    monkeypatch.setattr(demo, "run_comparison", fake_comparison)
    monkeypatch.setattr(demo, "headline_table", lambda comp, rows: "")
    monkeypatch.setattr(demo, "REGISTRY", {"lfsr": None})
    monkeypatch.setattr(demo, "generate", lambda name: name)
    monkeypatch.setattr(demo, "write_design", lambda pkg, folder: Path(folder).mkdir(parents=True))
    work = tmp_path / "checkout"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "demo-out"
    with open(tmp_path / "log.txt", "w") as log:
        assert demo.run_demo(out, out=log) == 0
    assert told and all(path == out for path in told), told
    assert list(work.iterdir()) == []
    assert (out / "generated" / "lfsr").is_dir() and (out / "runs").is_dir()
