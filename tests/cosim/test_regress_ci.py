"""Regressions CI can trust: one JUnit file per regression that never says passed for a run
that did not pass, PASS/FAIL lines that name their run folders and replay commands, built-in
cases that run from any folder, every case checked before the first runs, and the same
results on a Dask cluster as on local processes."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns.regress import Case, regression_cases, run_cases, write_junit
from stochhw.sim.cli import main
from tests.cosim.test_user_verilog import BUGGY_SRU, MY_SRU

pytestmark = pytest.mark.simulator_required


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path.resolve())


def test_one_junit_file_for_the_whole_regression(tmp_path, capsys):
    good, bad = _write(tmp_path, "my_sru.v", MY_SRU), _write(tmp_path, "buggy_sru.v", BUGGY_SRU)
    cases = [Case("sru_free", {}, (good,)), Case("sru_free", {}, (bad,)),
             Case("sru_array", {"lanes": 4, "source": "external"})]
    junit = tmp_path / "ci" / "regress.xml"
    failures = run_cases(cases, ["icarus"], cycles=3000, seed=11, jobs=2, junit=junit)
    out = capsys.readouterr().out
    assert len(failures) == 1

    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")} == \
        {"mode": "bulk", "cycles": "3000", "seed": "11"}
    tests = {t.get("name"): t for t in suite.iter("testcase")}
    assert set(tests) == {"sru_free[(defaults) verilog=my_sru.v][icarus][bulk]",
                          "sru_free[(defaults) verilog=buggy_sru.v][icarus][bulk]",
                          "sru_array[lanes=4 source=external][icarus][bulk]"}
    for test in tests.values():
        assert float(test.get("time")) > 0
        assert re.match(r"cycles=3000 seed=11 run_dir=\S+", test.find("system-out").text)
    failure = tests["sru_free[(defaults) verilog=buggy_sru.v][icarus][bulk]"].find("failure")
    assert "mismatching output values in cycles 0..2999" in failure.get("message")
    for fragment in ("cycle ", "lane 0: y expected 127 (0x7f), got 126 (0x7e)", "inputs in cycle",
                     "(seed 11)", "replay: stochhw regress sru_free --sim icarus --mode percycle "
                     f"--waves --cycles 3000 --seed 11 --verilog {bad}"):
        assert fragment in failure.text

    # Every PASS/FAIL line names its existing run folder; the failure its replay; the label once.
    lines = [line for line in out.splitlines() if re.match(r"\[\d/3\] (PASS|FAIL)", line)]
    assert len(lines) == 3
    for line in lines:
        folder = re.search(r"\[(/\S+)\]", line).group(1)
        assert Path(folder).is_dir()
    # The failure's block runs from its FAIL line to the next case's line (-j 2: the other
    # my_sru case, same label, may finish after it).
    start = out.index("FAIL")
    later = re.search(r"^\[\d/3\] ", out[start:], re.M)
    block = out[start:start + later.start()] if later else out[start:]
    assert block.count("sru_free (defaults) (my_sru from buggy_sru.v) on icarus (bulk)") == 1
    assert "(my_sru from my_sru.v)" in out
    assert "    replay: stochhw regress sru_free" in block


def test_unfinished_runs_are_errors_in_the_junit_file(tmp_path):
    """Written before the first run (and after an interruption): nothing says passed."""
    import datetime
    work = [(Case("lfsr", {}), "icarus"), (Case("sram", {}), "verilator")]
    junit = tmp_path / "j.xml"
    write_junit(junit, work, {}, "bulk", 100, 1, 0.0, datetime.datetime.now(datetime.timezone.utc))
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("2", "2", "0")
    assert all(t.find("error") is not None for t in suite.iter("testcase"))


def test_built_in_cases_run_from_any_folder_with_their_package_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = main(["regress", "faulty_sram", "--sim", "icarus", "--cycles", "2000",
                   "--junit", "j.xml"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "PASS faulty_sram depth=48 width=16 level_bits=6 profile=testbench/profiles/chip_48x16.json" in out
    assert "3 passed, 0 failed" in out
    names = [t.get("name") for t in ET.parse("j.xml").getroot().iter("testcase")]
    assert "faulty_sram[depth=48 width=16 level_bits=6 profile=testbench/profiles/chip_48x16.json][icarus][bulk]" in names
    assert not any(str(tmp_path) in n or "/work" in n for n in names)


def test_every_case_is_checked_before_the_first_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError, match="profile file 'missing.json' does not exist"):
        regression_cases(["faulty_sram"], {"profile": "missing.json", "depth": 48, "width": 16})
    status = main(["regress", "sru_array", "lfsr", "--mode", "percycle", "--cycles", "10000000000"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "needs about" in err[0] and "use --mode bulk" in err[0]
    assert not (tmp_path / "build" / "runs").exists()


def test_a_dask_cluster_gives_the_results_of_local_processes(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    cases = [Case("sru_array", {"lanes": 4, "source": "external"}), Case("lfsr", {"width": 12})]
    local = run_cases(cases, ["icarus"], cycles=5000, seed=3, jobs=2, build_root=tmp_path / "local")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run_cases(cases, ["icarus"], cycles=5000, seed=3,
                           scheduler=cluster.scheduler_address, build_root=tmp_path / "remote")
    assert local == remote == []
    out = capsys.readouterr().out
    folders = re.findall(r"\[(/\S+-icarus-bulk-\S+)\]", out)
    assert len(folders) == 4
    signatures = {}
    for folder in folders:
        where = "remote" if "/remote/" in folder else "local"
        name = Path(folder).name.split("-icarus-")[0]
        signatures[where, name] = (Path(folder) / "signatures.txt").read_text()
    for name in ("sru_array", "lfsr"):
        assert signatures["local", name] == signatures["remote", name] != ""
