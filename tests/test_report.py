"""No lost work: the report folder is replaced whole or not at all, runs never share a folder,
and the same inputs and seed give the same bytes."""

import json
import threading
from pathlib import Path

import pytest

from stochhw.sim.campaigns import report
from stochhw.sim.campaigns.compare import run_comparison
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.files import staged
from stochhw.sim.designs import COMPARISONS, REGISTRY
from stochhw.sim.flows.generate import generate, write_design


def _snapshot(folder):
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _previous_reports(tmp_path):
    reports = tmp_path / "synth_reports"
    (reports / "nested").mkdir(parents=True)
    (reports / "sru_lanes.md").write_text("previous table\n")
    (reports / "sru_lanes.png").write_bytes(bytes(range(256)) * 4)
    (reports / "README.md").write_text("previous index\n")
    (reports / "nested" / "kept.json").write_text('{"kept": true}\n')
    return reports


@pytest.fixture
def quick_report(monkeypatch):
    """The report's own logic with its slow steps stubbed: no co-simulation, trivial Verilog."""
    monkeypatch.setattr(report, "run_cases", lambda *a, **k: [])
    monkeypatch.setattr(report, "generate", lambda name: name)
    monkeypatch.setattr(report, "write_design", lambda generated, out_dir: out_dir / f"{generated}.v")
    monkeypatch.setattr(report, "rounding_bias", lambda: {
        "k": 8, "lfsr": [], "ideal_uniform": {"samples": 1, "mean_bias_lsb": 0.0,
                                              "standard_error_lsb": 1.0}})


def _leftovers(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_interrupted_report_leaves_previous_reports_intact(tmp_path, monkeypatch, quick_report):
    reports = _previous_reports(tmp_path)
    before = _snapshot(reports)

    def interrupted(comp, out_dir, jobs, progress):
        (out_dir / f"{comp.name}.md").write_text("half-written new table\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "run_comparison", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.run_report(report_dir=reports, build_root=tmp_path / "build")
    assert _snapshot(reports) == before
    assert _leftovers(tmp_path) == []


def test_a_later_step_failing_leaves_previous_reports_byte_identical(tmp_path, monkeypatch,
                                                                     quick_report):
    """Every comparison is rewritten, then the rounding-bias step fails: nothing changes."""
    reports = _previous_reports(tmp_path)
    before = _snapshot(reports)
    written = []

    def comparison(comp, out_dir, jobs, progress):
        for suffix in ("md", "csv", "json", "png"):
            (out_dir / f"{comp.name}.{suffix}").write_text(f"new {comp.name}\n")
        written.append(comp.name)

    def bias_fails():
        raise RuntimeError("rounding bias step failed")

    monkeypatch.setattr(report, "run_comparison", comparison)
    monkeypatch.setattr(report, "rounding_bias", bias_fails)
    with pytest.raises(RuntimeError, match="rounding bias"):
        report.run_report(report_dir=reports, build_root=tmp_path / "build")
    assert written == list(report.COMPARISONS), "the run got past the comparisons"
    assert _snapshot(reports) == before
    assert _leftovers(tmp_path) == []


def test_completed_report_replaces_the_folder(tmp_path, monkeypatch, quick_report):
    reports = _previous_reports(tmp_path)

    def comparison(comp, out_dir, jobs, progress):
        (out_dir / f"{comp.name}.md").write_text("new table\n")

    monkeypatch.setattr(report, "run_comparison", comparison)
    assert report.run_report(report_dir=reports, build_root=tmp_path / "build") == 0
    assert (reports / "sru_lanes.md").read_text() == "new table\n"
    assert (reports / "README.md").exists() and (reports / "rounding_bias.md").exists()
    assert (reports / "nested" / "kept.json").exists()      # untouched files carry over
    assert reports.stat().st_mode & 0o777 == 0o755
    assert _leftovers(tmp_path) == []


def test_two_runs_at_once_never_share_a_stage(tmp_path):
    """Two report runs inside ``staged`` at the same time (one process, so one pid) write into
    different folders, and each swap installs one complete run."""
    reports = _previous_reports(tmp_path)
    both_inside = threading.Barrier(2, timeout=30)
    stages, errors = {}, []

    def one_run(name):
        try:
            with staged(reports) as stage:
                stages[name] = stage
                both_inside.wait()
                for i in range(20):
                    (stage / f"table{i}.md").write_text(f"{name}\n")
                both_inside.wait()            # neither has swapped yet
        except BaseException as exc:          # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stages["a"] != stages["b"]
    contents = {(reports / f"table{i}.md").read_text() for i in range(20)}
    assert contents in ({"a\n"}, {"b\n"}), "a swapped-in folder mixes two runs"
    assert (reports / "sru_lanes.md").read_text() == "previous table\n"
    assert _leftovers(tmp_path) == []


# --- same inputs and seed, same bytes ---------------------------------------------------------

def test_generated_verilog_is_byte_identical_when_regenerated(tmp_path):
    """Every design's first regression case, elaborated twice from scratch (no cache)."""
    for name, design in REGISTRY.items():
        case = design.regress_cases[0]
        first = write_design(generate(name, case, cache_dir=False), tmp_path / "a" / name)
        second = write_design(generate(name, case, cache_dir=False), tmp_path / "b" / name)
        assert first.read_bytes() == second.read_bytes(), name
        manifest = first.with_suffix(".json")
        assert manifest.read_bytes() == second.with_suffix(".json").read_bytes(), name


def test_comparison_reports_are_byte_identical_from_fresh_and_cached_syntheses(tmp_path):
    """A small comparison written twice into different folders, each with its own empty
    synthesis cache, then a third time from the first cache: the same md/csv/json/png bytes
    (no timing, no cache flag and no path may leak into a report)."""
    comp = Comparison(
        name="tiny", title="determinism check",
        baseline=Side("LFSR lanes", "sru_array", {"source": "lfsr", "in_width": 6, "out_width": 3,
                                                  "lfsr_width": 4}),
        candidate=Side("external rnd", "sru_array", {"source": "external", "in_width": 6,
                                                     "out_width": 3}),
        sweep="lanes", values=(1, 2), families=("ice40",))
    for run, cache in (("a", "cache_a"), ("b", "cache_b"), ("c", "cache_a")):
        run_comparison(comp, tmp_path / run, jobs=1, progress=None, cache_dir=tmp_path / cache)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["tiny.csv", "tiny.json", "tiny.md", "tiny.png"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes(), name
    json.loads((tmp_path / "a" / "tiny.json").read_text())


def test_analysis_json_is_byte_identical_for_the_same_seed(capsys):
    from stochhw.sim.cli import main
    outputs = []
    for _ in range(2):
        assert main(["analyze", "randomness", "--source", "lfsr:12:5", "--bits", "4",
                     "--length", "4000", "--json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and json.loads(outputs[0])["n_bits"] == 4000


def test_the_committed_index_lists_every_comparison():
    """synth_reports/README.md is what `stochhw report` writes for today's comparisons (the
    tools line aside: it names the installed versions)."""
    committed = (Path(__file__).parent.parent / "synth_reports" / "README.md").read_text()

    def without_tools(text):
        return [line for line in text.splitlines() if not line.startswith("Tools: ")]

    assert without_tools(committed) == without_tools(report._index(COMPARISONS.values()))
