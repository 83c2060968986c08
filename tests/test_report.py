"""The main job's report folder is replaced whole or not at all."""

import pytest

from sim import report


def test_interrupted_report_leaves_previous_reports_intact(tmp_path, monkeypatch):
    reports = tmp_path / "synth_reports"
    reports.mkdir()
    (reports / "sru_lanes.md").write_text("previous table\n")
    (reports / "README.md").write_text("previous index\n")
    before = {p.name: p.read_bytes() for p in reports.iterdir()}

    def interrupted(comp, out_dir, jobs, progress):
        (out_dir / f"{comp.name}.md").write_text("half-written new table\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "run_cases", lambda *a, **k: [])
    monkeypatch.setattr(report, "run_comparison", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.run_report(report_dir=reports, build_root=tmp_path / "build")
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_completed_report_replaces_the_folder(tmp_path, monkeypatch):
    reports = tmp_path / "synth_reports"
    reports.mkdir()
    (reports / "sru_lanes.md").write_text("previous table\n")

    def comparison(comp, out_dir, jobs, progress):
        (out_dir / f"{comp.name}.md").write_text("new table\n")

    monkeypatch.setattr(report, "run_cases", lambda *a, **k: [])
    monkeypatch.setattr(report, "run_comparison", comparison)
    monkeypatch.setattr(report, "rounding_bias", lambda: {
        "k": 8, "lfsr": [], "ideal_uniform": {"samples": 1, "mean_bias_lsb": 0.0, "standard_error_lsb": 1.0}})
    assert report.run_report(report_dir=reports, build_root=tmp_path / "build") == 0
    assert (reports / "sru_lanes.md").read_text() == "new table\n"
    assert (reports / "README.md").exists() and (reports / "rounding_bias.md").exists()
