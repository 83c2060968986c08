"""Faults injected on purpose: every cache damaged every way, workers and whole commands killed,
an unwritable HOME, a closed pipe, resources asked for beyond the machine.

Each test causes one fault and checks the documented outcome: one line and a correct result,
never a wrong result, a traceback, an orphan process or a mixed set of output files. Designs
are small and runs are killed early, so that the whole file takes a few minutes.
"""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns import regress
from stochhw.sim.campaigns.sweep import make_sweeps
from stochhw.sim.cli import main
from stochhw.sim.core.cache import ROOT_ENV, Cache, cache_key
from stochhw.sim.core.executor import (
    JobFailed,
    JobFailure,
    JobsFailed,
    ProcessExecutor,
    check_jobs,
    make_executor,
    max_jobs,
    run_all,
    run_jobs,
)
from stochhw.sim.core.files import staged, write_set
from stochhw.sim.flows import cosim
from stochhw.sim.flows.cosim import CosimFailed, CosimResult, run_cosim
from stochhw.sim.flows.formal import run_proof
from stochhw.sim.flows.generate import generate, write_design
from stochhw.sim.flows.pnr import place_and_route
from stochhw.sim.flows.synth import synthesize
from stochhw.sim.proofs import PROOFS

STOCHHW = [sys.executable, "-m", "stochhw.sim.cli"]


# --- damage --------------------------------------------------------------------------------------

def _edit_digit(data):
    """Change one digit (same size): an edit that only a checksum can tell."""
    for i, byte in enumerate(data):
        if 0x30 <= byte <= 0x39:
            return data[:i] + bytes([0x30 + (byte - 0x30 + 1) % 10]) + data[i + 1:]
    return data[:-1] + bytes([data[-1] ^ 1])


DAMAGES = {
    "missing": lambda path: path.unlink(),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
    "garbled": lambda path: path.write_bytes(random.Random(7).randbytes(len(path.read_bytes()) + 13)),
    "edited": lambda path: path.write_bytes(_edit_digit(path.read_bytes())),
}

#: What the one line says for each damage.
SAYS = {"missing": "is missing", "truncated": "truncated", "garbled": "bytes,",
        "edited": "does not match its checksum"}


def _one_damage_line(err, kind, way):
    lines = [line for line in err.splitlines() if "cache entry" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"stochhw: cache entry {kind}/") and lines[0].endswith("; recomputing"), lines
    assert SAYS[way] in lines[0], lines
    assert "Traceback" not in err


def _entry_file(folder, name):
    (found,) = [p for p in Path(folder).glob(f"*/{name}") if ".failed" not in p.parent.name]
    return found


def test_cache_keys_are_unambiguous_and_never_paths():
    assert cache_key("ab", "c") != cache_key("a", "bc")
    assert cache_key("1") != cache_key(1) != cache_key(b"1")
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    with pytest.raises(TypeError, match="content keys"):
        cache_key(Path("thresholds.json"))


@pytest.mark.parametrize("way", [*DAMAGES, "record"])
def test_a_damaged_entry_is_reported_dropped_and_missed(tmp_path, capsys, way):
    cache = Cache("demo", tmp_path)
    key = cache_key("demo", way)
    with cache.lock(key):
        cache.store(key, {"result.json": '{"luts": 18}\n', "log.txt": "ok\n"})
    assert cache.lookup(key).read_json("result.json") == {"luts": 18}
    if way == "record":
        (cache.path(key) / "entry.json").write_text("{not json")
    else:
        DAMAGES[way](cache.path(key) / "result.json")
    assert cache.lookup(key) is None
    err = capsys.readouterr().err
    assert err.count("stochhw: cache entry demo/") == 1 and "recomputing" in err, err
    assert not cache.path(key).exists(), "a damaged entry is dropped"


def test_an_entry_killed_while_written_is_no_entry_and_its_stage_is_cleaned(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal
        from stochhw.sim.core.cache import Cache
        cache = Cache("demo", {str(tmp_path)!r})
        with cache.lock("k"):
            with cache.building("k") as folder:
                (folder / "result.json").write_text("half")
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert subprocess.run([sys.executable, "-c", script]).returncode == -signal.SIGKILL
    assert [p.name.split("-")[0] for p in tmp_path.iterdir() if p.name.startswith(".stage")] == [".stage"]
    cache = Cache("demo", tmp_path)
    assert cache.lookup("k") is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".stage")], "the next run cleans up"


def test_a_lock_taken_twice_by_one_thread_is_an_error_not_a_deadlock(tmp_path):
    cache = Cache("demo", tmp_path)
    with cache.lock("k"), pytest.raises(RuntimeError, match="taken twice"):
        with cache.lock("k"):
            pass


# --- every cache kind, every damage -------------------------------------------------------------

@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """Every flow's cache in a folder of this test's own."""
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("way", DAMAGES)
def test_verilog_cache_damage(isolated_cache, capsys, way):
    fresh = generate("lfsr", {"width": 9}, cache_dir=False).verilog
    assert generate("lfsr", {"width": 9}).verilog == fresh
    DAMAGES[way](_entry_file(isolated_cache / "verilog", "design.v"))
    capsys.readouterr()
    assert generate("lfsr", {"width": 9}).verilog == fresh
    _one_damage_line(capsys.readouterr().err, "verilog", way)
    assert generate("lfsr", {"width": 9}).verilog == fresh       # stored again, sound
    assert "cache entry" not in capsys.readouterr().err


@pytest.fixture(scope="module")
def small():
    return generate("lfsr", {"width": 6})


@pytest.mark.parametrize("way", DAMAGES)
def test_synthesis_cache_damage(tmp_path, capsys, small, way):
    first = synthesize(small, "ice40", tmp_path)
    DAMAGES[way](_entry_file(tmp_path, "result.json"))
    capsys.readouterr()
    again = synthesize(small, "ice40", tmp_path)
    _one_damage_line(capsys.readouterr().err, "synth", way)
    assert not again.cached
    assert again.to_json() | {"seconds": 0, "cached": 0} == first.to_json() | {"seconds": 0, "cached": 0}
    assert synthesize(small, "ice40", tmp_path).cached


@pytest.mark.parametrize("way", DAMAGES)
def test_place_and_route_cache_damage(tmp_path, capsys, small, way):
    synth = synthesize(small, "ice40", tmp_path / "synth", netlist=True)
    first = place_and_route(synth, cache_dir=tmp_path / "pnr")
    DAMAGES[way](_entry_file(tmp_path / "pnr", "result.json"))
    capsys.readouterr()
    again = place_and_route(synth, cache_dir=tmp_path / "pnr")
    _one_damage_line(capsys.readouterr().err, "pnr", way)
    assert not again.cached
    assert again.to_json() | {"seconds": 0, "cached": 0} == first.to_json() | {"seconds": 0, "cached": 0}


def test_a_damaged_netlist_is_synthesized_again(tmp_path, capsys, small):
    synthesize(small, "ice40", tmp_path, netlist=True)
    DAMAGES["truncated"](_entry_file(tmp_path, "netlist.json.gz"))
    capsys.readouterr()
    synth = synthesize(small, "ice40", tmp_path, netlist=True)
    _one_damage_line(capsys.readouterr().err, "synth", "truncated")
    assert place_and_route(synth, cache_dir=tmp_path / "pnr").fits


@pytest.mark.parametrize("way", DAMAGES)
def test_formal_cache_damage(tmp_path, capsys, way):
    proof = next(p for p in PROOFS if f"{p.design}/{p.name}" == "sru_free/rounds")
    case = {"in_width": 4, "out_width": 2}
    first = run_proof(proof, case, cache_dir=tmp_path / "cache", build_root=tmp_path / "build")
    assert first.status == "pass"
    result = _entry_file(tmp_path / "cache", "result.json")
    if way == "edited":                  # the worst edit: a verdict turned around, same size
        result.write_text(result.read_text().replace('"pass"', '"fail"'))
    else:
        DAMAGES[way](result)
    capsys.readouterr()
    again = run_proof(proof, case, cache_dir=tmp_path / "cache", build_root=tmp_path / "build")
    _one_damage_line(capsys.readouterr().err, "formal", way)
    assert again.status == "pass" and not again.cached


@pytest.mark.simulator_required
@pytest.mark.parametrize("way", DAMAGES)
def test_simulator_build_cache_damage(isolated_cache, tmp_path, capsys, way):
    run_cosim("lfsr", {"width": 7}, "icarus", cycles=300, build_root=tmp_path)
    DAMAGES[way](_entry_file(isolated_cache / "sim", "bulk.vvp"))
    capsys.readouterr()
    result = run_cosim("lfsr", {"width": 7}, "icarus", cycles=300, build_root=tmp_path)
    _one_damage_line(capsys.readouterr().err, "sim", way)
    assert result.cycles == 300


def test_cli_shows_the_true_count_after_an_edited_result(isolated_cache, capsys):
    """The issue's case: SB_LUT4 edited to 999 was printed as ``999 LUTs ... (cached)``."""
    assert main(["synth", "lfsr", "-p", "width=6", "--family", "ice40", "--json"]) == 0
    true_luts = json.loads(capsys.readouterr().out)["luts"]
    result = _entry_file(isolated_cache / "synth", "result.json")
    record = json.loads(result.read_text())
    record["cells_by_type"]["SB_LUT4"] = 999
    result.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    assert main(["synth", "lfsr", "-p", "width=6", "--family", "ice40", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["luts"] == true_luts != 999 and not json.loads(out)["cached"]
    _one_damage_line(err, "synth", "garbled")


def test_cli_never_writes_a_cut_short_verilog_file(isolated_cache, tmp_path, capsys):
    """The issue's case: a Verilog cache file cut to 600 bytes was written out, exit 0."""
    assert main(["generate", "sru_array", "-p", "lanes=5", "-o", str(tmp_path / "a")]) == 0
    cached = _entry_file(isolated_cache / "verilog", "design.v")
    cached.write_bytes(cached.read_bytes()[:600])
    assert main(["generate", "sru_array", "-p", "lanes=5", "-o", str(tmp_path / "b")]) == 0
    _one_damage_line(capsys.readouterr().err, "verilog", "truncated")
    assert (tmp_path / "a" / "sru_array.v").read_bytes() == (tmp_path / "b" / "sru_array.v").read_bytes()


def test_file_parameters_are_keyed_by_content_not_path(isolated_cache, tmp_path):
    table = [[8 * lane + 2 * k for k in range(3)] for lane in range(2)]
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    one.write_text(json.dumps(table))
    two.write_text(json.dumps(table))
    a = generate("pixel_extractor", {"lanes": 2, "bits": 2, "thresholds": str(one)})
    b = generate("pixel_extractor", {"lanes": 2, "bits": 2, "thresholds": str(two)})
    assert a.verilog == b.verilog
    assert len(list((isolated_cache / "verilog").glob("*/design.v"))) == 1, "one content, one entry"
    table[0][0] = 1
    one.write_text(json.dumps(table))                       # edited in place: a new entry
    assert generate("pixel_extractor", {"lanes": 2, "bits": 2, "thresholds": str(one)}).verilog != a.verilog


# --- the executor: bounded, and a dead worker is its job's failure ---------------------------------

def _pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()


def _die_on(x, victim):
    if x == victim:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def test_jobs_are_bounded():
    assert check_jobs(max_jobs()) == max_jobs()
    with pytest.raises(ParameterError, match=rf"^jobs must be in 1\.\.{max_jobs()} on this machine"):
        check_jobs(100_000)
    with pytest.raises(ParameterError, match="jobs must be in"):
        make_executor(None, 100_000)


def test_workers_start_as_needed_never_more_than_jobs_or_the_limit():
    with make_executor(None, max_jobs()) as executor:
        outcomes = dict(run_jobs(executor, [(i, _pid_after, (0.2,)) for i in range(3)]))
    assert len(set(outcomes.values())) == 3 and os.getpid() not in outcomes.values()
    starts = []
    executor = ProcessExecutor(2)
    real_start = executor._start
    executor._start = lambda *job: (starts.append(len(executor._running)), real_start(*job))
    assert sorted(k for k, _ in run_jobs(executor, [(i, _pid_after, (0.1,)) for i in range(6)])) == list(range(6))
    assert max(starts) <= 1, "a third worker started while two ran"


def test_minus_j_100000_forks_nothing_and_prints_one_line():
    before = time.monotonic()
    proc = subprocess.run([*STOCHHW, "regress", "lfsr", "--sim", "icarus", "-j", "100000"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc
    assert proc.stderr.startswith("stochhw: error: jobs must be in 1..") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr and time.monotonic() - before < 60


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_job_keeps_its_type(jobs):
    with make_executor(None, jobs) as executor, pytest.raises(ZeroDivisionError):
        list(run_jobs(executor, [(x, divmod, (1, x)) for x in (1, 0, 2)]))


def test_a_killed_worker_is_its_jobs_failure_and_the_others_finish():
    with make_executor(None, 2) as executor:
        outcomes = dict(run_jobs(executor, [(x, _die_on, (x, 3)) for x in range(6)], keep_going=True))
    failure = outcomes.pop(3)
    assert isinstance(failure, JobFailure) and failure.died and failure.signal == signal.SIGKILL
    assert failure.key == 3 and "killed by SIGKILL" in failure.message
    assert outcomes == {x: x * x for x in (0, 1, 2, 4, 5)}
    with make_executor(None, 2) as executor, pytest.raises(JobFailed, match=r"job 3: worker process killed by SIGKILL"):
        list(run_jobs(executor, [(x, _die_on, (x, 3)) for x in range(6)]))


def test_a_campaign_runs_every_other_job_then_fails_naming_the_killed_one():
    import io
    progress = io.StringIO()
    done = []
    with make_executor(None, 2) as executor, pytest.raises(JobsFailed) as info:
        for key, result in run_all(executor, [(x, _die_on, (x, 1)) for x in range(4)], "points of a sweep",
                                   label=lambda x: f"point {x}", progress=progress):
            done.append(key)
    assert sorted(done) == [0, 2, 3]
    assert str(info.value) == ("1 of 4 points of a sweep failed, so no report was written; first: point 1: "
                               "worker process killed by SIGKILL (out of memory? the kernel's OOM killer sends it)")
    assert "[failed] point 1: worker process killed by SIGKILL" in progress.getvalue()


def test_a_killed_regression_case_is_named_with_its_folder_and_the_batch_goes_on(tmp_path, monkeypatch):
    """A worker killed mid-case (the OOM killer, ``kill -9``) fails that case only: its FAIL
    line names the signal, the run folder and the log, and the JUnit file has it as an error."""
    def fake_cosim(name, overrides, simulator, cycles, seed, mode, waves, run_dir, **kwargs):
        if name == "sru_free":
            (Path(run_dir) / "simulation.log").write_text("started\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return CosimResult(name, {}, simulator, mode, cycles, seed, 1.0, str(run_dir),
                           label=f"{name} (defaults) on {simulator} ({mode})")
    monkeypatch.setattr(regress, "run_cosim", fake_cosim)
    monkeypatch.setattr(regress, "require_simulator", lambda sim: None)
    out, junit = tmp_path / "out.txt", tmp_path / "regress.xml"
    with open(out, "w") as f:
        failures = regress.run_cases([("lfsr", {}), ("sru_free", {}), ("sru_lfsr", {})], ("icarus",),
                                     cycles=100, jobs=2, out=f, build_root=tmp_path, junit=junit)
    text = out.read_text()
    assert len(failures) == 1 and text.count("PASS ") == 2, text
    (failure,) = failures
    line = failure.line()
    assert line.startswith(f"FAIL sru_free (defaults) on icarus (bulk) [{tmp_path}"), line
    assert "worker process killed by SIGKILL" in line and "simulation.log" in line
    assert Path(failure.run_dir).parent == tmp_path / "runs"
    assert "replay: stochhw regress sru_free --sim icarus --mode percycle" in line
    assert "1 failed" in text and line in text
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "0", "1")
    (error,) = [t.find("error") for t in suite.iter("testcase") if t.find("error") is not None]
    assert "worker process killed by SIGKILL" in error.get("message") and failure.run_dir in error.text


def test_a_simulator_killed_by_a_signal_names_the_signal_run_folder_and_log(tmp_path, monkeypatch):
    class Runner:
        def test(self, **kwargs):
            raise RuntimeError("Command failed with return code: -9")
    monkeypatch.setattr(cosim, "_runner", lambda *a, **k: Runner())
    monkeypatch.setattr(cosim, "build", lambda *a, **k: tmp_path)
    with pytest.raises(CosimFailed) as info:
        run_cosim("lfsr", {"width": 5}, "icarus", cycles=50, mode="percycle", build_root=tmp_path)
    message = str(info.value)
    run_dir = info.value.run_dir
    assert "killed by SIGKILL" in message and f"run folder: {run_dir}" in message
    assert f"log: {Path(run_dir) / 'cosim_percycle.log'}" in message


# --- SIGKILL: no orphans, no debris, no mixed sets -------------------------------------------------

def _marked(marker):
    """Live processes whose environment carries ``marker`` (zombies have none)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/environ").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _kill_when_busy(argv, cwd, env, busy, patience=240):
    """Start ``argv``, wait until ``busy(pids)`` holds for its descendants, SIGKILL it, and
    return the processes it left alive 20 s later."""
    marker = f"STOCHHW_FAULT_TEST={os.getpid()}-{random.random()}"
    env = {**os.environ, **env, marker.split("=")[0]: marker.split("=")[1]}
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        children = [p for p in _marked(marker) if p != proc.pid]
        if busy(children):
            break
        if proc.poll() is not None:
            pytest.fail(f"finished before it could be killed: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("never got busy")
    seen = sorted(p for p in _marked(marker) if p != proc.pid)
    proc.kill()
    proc.wait()
    proc.stderr.close()
    deadline = time.monotonic() + 20
    # A process that is exiting has lost its environment (so it is no longer "marked") a
    # moment before it closes its files (and releases its locks): wait for the ones seen too.
    while (_marked(marker) or any(_exiting(p) for p in seen)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen, _marked(marker)


def _exiting(pid):
    """True while process ``pid`` exists and is not yet a zombie (it may still hold files)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status and "State:\tX" not in status


def _cmdlines(pids):
    out = []
    for pid in pids:
        try:
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:
            pass
    return out


def _tool_running(pids):
    return any(("yowasp" in c or "vvp" in c or "iverilog" in c) for c in _cmdlines(pids))


def _old_set(folder, stem, report=None):
    """A previous run's set of ``stem``: ``report`` (the JSON of the same comparison, which the
    command then regenerates in place) or ``old`` in every file."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("md", "csv", "png"):
        (folder / f"{stem}.{suffix}").write_text("old\n")
    (folder / f"{stem}.json").write_text(report if report is not None else "old\n")
    return {suffix: (folder / f"{stem}.{suffix}").read_bytes() for suffix in ("md", "csv", "json", "png")}


def _one_set(folder, stem, before=None):
    """The set of ``stem`` in ``folder`` is whole: every file from the run before (``before``),
    or none of them; with no run before, all four files or none."""
    paths = [folder / f"{stem}.{suffix}" for suffix in ("md", "csv", "json", "png")]
    if before is None:
        present = [p.exists() for p in paths]
        assert all(present) or not any(present), "a partial output set"
        return
    old = [p.read_bytes() == before[p.suffix[1:]] for p in paths]
    assert all(old) or not any(old), "a mixed output set"


def _previous_sru_lanes():
    """The committed sru_lanes report with one count changed: the same comparison, other bytes."""
    doc = json.loads((Path(__file__).resolve().parent.parent / "synth_reports" / "sru_lanes.json").read_text())
    doc["rows"][0]["baseline_luts"] += 1
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def test_sigkilled_compare_leaves_no_orphans_and_no_mixed_set(tmp_path):
    before = _old_set(tmp_path / "out", "sru_lanes", _previous_sru_lanes())
    seen, left = _kill_when_busy([*STOCHHW, "compare", "sru_lanes", "-o", "out", "-j", "2"], tmp_path,
                                 {ROOT_ENV: str(tmp_path / "cache")}, lambda pids: _tool_running(pids) and len(pids) >= 3)
    assert seen and not left, _cmdlines(left)
    _one_set(tmp_path / "out", "sru_lanes", before)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")], "temporary files left"


def test_sigkilled_sweep_leaves_no_orphans_and_no_mixed_set(tmp_path):
    (sweep,) = make_sweeps("sru_array", "lanes=32,64,128")
    stem = sweep.stem
    seen, left = _kill_when_busy([*STOCHHW, "synth", "sru_array", "--sweep", "lanes=32,64,128", "-o", "out",
                                  "-j", "2"], tmp_path, {ROOT_ENV: str(tmp_path / "cache")},
                                 lambda pids: _tool_running(pids) and len(pids) >= 3)
    assert seen and not left, _cmdlines(left)
    _one_set(tmp_path / "out", stem)


@pytest.mark.simulator_required
def test_sigkilled_regression_leaves_no_orphans(tmp_path):
    seen, left = _kill_when_busy([*STOCHHW, "regress", "sru_free", "lfsr", "--sim", "icarus", "--cycles",
                                  "3000000", "-j", "2"], tmp_path, {},
                                 lambda pids: sum("vvp" in c for c in _cmdlines(pids)) >= 2)
    assert seen and not left, _cmdlines(left)


@pytest.mark.simulator_required
def test_sigkilled_report_leaves_no_orphans_and_the_next_run_removes_its_stage(tmp_path):
    reports = tmp_path / "synth_reports"
    reports.mkdir()
    (reports / "README.md").write_text("previous index\n")
    # Killed once its two co-simulation workers (forked, so named like their parent) are running.
    seen, left = _kill_when_busy([*STOCHHW, "report", "--cycles", "100000", "-j", "2"], tmp_path, {},
                                 lambda pids: sum("cli report" in c for c in _cmdlines(pids)) >= 2)
    assert seen and not left, _cmdlines(left)
    assert [p.name for p in reports.iterdir()] == ["README.md"]
    assert (reports / "README.md").read_text() == "previous index\n"
    # The killed run's stage is still there; the next run's start removes it.
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".synth_reports.staging-")]
    with pytest.raises(KeyboardInterrupt), staged(reports):
        raise KeyboardInterrupt
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_workers_and_their_tools_die_with_a_sigkilled_parent(tmp_path):
    script = textwrap.dedent("""
        import subprocess, sys
        from stochhw.sim.core.executor import make_executor, run_jobs
        def tool(i):
            subprocess.run(["sleep", "300"])     # stands for a simulator or synthesis run
        with make_executor(None, 2) as executor:
            list(run_jobs(executor, [(i, tool, (i,)) for i in range(4)]))
    """)
    seen, left = _kill_when_busy([sys.executable, "-c", script], tmp_path, {},
                                 lambda pids: sum("sleep 300" in c for c in _cmdlines(pids)) == 2)
    assert len(seen) == 4 and not left, _cmdlines(left)


_WRITE_SETS = """
import sys
from stochhw.sim.core.files import write_set
generation = 0
while True:
    generation += 1
    write_set(sys.argv[1], {f"set.{s}": (f"{generation}\\n" * 100_000).encode() for s in ("md", "csv", "json", "png")})
"""


def test_write_set_killed_at_random_moments_never_leaves_a_mixed_set(tmp_path):
    folder = tmp_path / "out"
    write_set(folder, {f"set.{s}": b"0\n" for s in ("md", "csv", "json", "png")})
    (folder / "user_notes.txt").write_text("mine\n")
    rng = random.Random(16)
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", _WRITE_SETS, str(folder)])
        time.sleep(0.8 + rng.random() * 0.7)
        proc.kill()
        proc.wait()
        write_set(folder, {"other.txt": "x"})       # the next writer finishes a dead one's set
        generations = {(folder / f"set.{s}").read_bytes().split(b"\n", 1)[0] for s in ("md", "csv", "json", "png")}
        assert len(generations) == 1, generations
        assert sorted(p.name for p in folder.iterdir()) == ["other.txt", "set.csv", "set.json", "set.md",
                                                            "set.png", "user_notes.txt"]
    assert (folder / "user_notes.txt").read_text() == "mine\n"


def test_two_generate_runs_into_one_folder_leave_one_whole_package(tmp_path):
    packages = [generate("lfsr", {"width": w}) for w in (8, 9)]
    errors = []

    def writer(generated):
        try:
            for _ in range(15):
                write_design(generated, tmp_path)
        except BaseException as exc:        # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(g,)) for g in packages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    manifest = json.loads((tmp_path / "lfsr.json").read_text())
    verilog = (tmp_path / "lfsr.v").read_text()
    (match,) = [g for g in packages if g.verilog == verilog]
    assert manifest["sha256_16"] == match.digest and manifest["params"]["width"] == match.params["width"]


# --- the environment -----------------------------------------------------------------------------

def _without_caches(env):
    return {k: v for k, v in env.items() if k not in (ROOT_ENV, "XDG_CACHE_HOME", "YOWASP_CACHE_DIR", "MPLCONFIGDIR")}


def test_an_unwritable_home_falls_back_and_says_where(tmp_path):
    env = {**_without_caches(os.environ), "HOME": "/proc/nohome"}
    proc = subprocess.run([*STOCHHW, "generate", "lfsr", "-p", "width=11", "-o", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "WasmtimeError" not in proc.stderr
    assert "is not writable; caching in " in proc.stderr
    assert (tmp_path / "out" / "lfsr.v").exists()


def test_a_first_use_compile_says_so_through_the_fallback(tmp_path):
    env = {**_without_caches(os.environ), "HOME": "/proc/nohome", ROOT_ENV: str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", "from stochhw.sim.core.toolchain import prepare_yowasp; "
                           "prepare_yowasp('nextpnr-ice40')"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert f"the tools cache in {tmp_path / 'cache' / 'tools'}" in proc.stderr
    assert f"preparing nextpnr-ice40 for first use (compiling WebAssembly into {tmp_path / 'cache'}" in proc.stderr


def test_a_closed_pipe_exits_0():
    proc = subprocess.run(f"set -o pipefail; {sys.executable} -m stochhw.sim.cli list | head -1",
                          shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1, proc
    assert proc.stderr == ""


# --- limits, checked before the work --------------------------------------------------------------

class WorkStarted(AssertionError):
    pass


@pytest.fixture
def no_work(monkeypatch):
    def started(*args, **kwargs):
        raise WorkStarted("work started")
    import stochhw.sim.campaigns.report
    import stochhw.sim.flows.generate
    for module, name in [(regress, "run_cosim"), (stochhw.sim.flows.generate.verilog, "convert"),
                         (stochhw.sim.campaigns.report, "run_report")]:
        monkeypatch.setattr(module, name, started)


def _one_line(capsys, argv, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("stochhw: error: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize("argv", [
    ["regress", "sru_array", "--cycles", str(10**12), "--mode", "percycle"],
    ["regress", "lfsr", "--cycles", str(10**12), "--mode", "percycle", "-j", "1"],
])
def test_huge_cycles_are_refused_with_the_estimate_and_a_remedy(capsys, no_work, argv):
    _one_line(capsys, argv, "needs about", "of memory; this machine has", "fewer --cycles",
              "use --mode bulk (constant memory)")


def test_bulk_runs_hold_the_same_memory_for_any_number_of_cycles():
    """Bulk runs stream: 10^12 cycles need what 10^5 do, and pass the check."""
    from stochhw.sim.designs import get_design
    design = get_design("sru_array")
    ports = design.ports(design.resolve({"lanes": 64, "source": "external"}))
    assert cosim.memory_estimate(ports, 10**12) == cosim.memory_estimate(ports, 10**5) < 1 << 30
    per_cycle = [cosim.memory_estimate(ports, n + 1, "percycle") - cosim.memory_estimate(ports, n, "percycle")
                 for n in (10**5, 10**9)]
    assert per_cycle[0] == per_cycle[1] > 8 * 129, "per-cycle runs hold every cycle's values"
    cosim.check_cases_memory([("sru_array", {"lanes": 64, "source": "external"})], cosim.SIMULATORS, 10**12)


def test_huge_randomness_length_is_refused_before_allocating(capsys):
    _one_line(capsys, ["analyze", "randomness", "--source", "pcg:1", "--length", str(10**12)],
              "--length 1000000000000 needs about 40.0 TB", "analyse fewer bits")


def _declaring(path, shape, names=None):
    """An .npy (or .npz of ``names``) whose header declares ``shape`` and holds 16 bytes."""
    import io
    import zipfile

    from numpy.lib import format as npy_format
    header = {"descr": "<i8", "fortran_order": False, "shape": shape}
    data = io.BytesIO()
    npy_format.write_array_header_1_0(data, header)
    data.write(bytes(16))
    if names is None:
        path.write_bytes(data.getvalue())
    else:
        with zipfile.ZipFile(path, "w") as archive:
            for name in names:
                archive.writestr(f"{name}.npy", data.getvalue())
    return path


def test_array_files_declaring_huge_arrays_are_refused_from_their_headers(capsys, no_work, tmp_path):
    npy = _declaring(tmp_path / "t.npy", (100_000, 100_000))
    _one_line(capsys, ["generate", "pixel_extractor", "-p", f"thresholds={npy}"],
              str(npy), "must have shape (16, 7), not (100000, 100000)", "80,000,000,000 bytes")
    npz = _declaring(tmp_path / "p.npz", (50_000, 50_000), ["flip01", "flip10"])
    _one_line(capsys, ["generate", "faulty_sram", "-p", f"profile={npz}"], str(npz), "flip01 must have shape")


@pytest.mark.parametrize("design,param", [("pixel_extractor", "thresholds"), ("faulty_sram", "profile")])
def test_deeply_nested_json_is_one_line_naming_the_file(capsys, no_work, tmp_path, design, param):
    path = tmp_path / "nested.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    _one_line(capsys, ["generate", design, "-p", f"{param}={path}"], str(path), "nested too deeply")


@pytest.mark.parametrize("argv", [
    ["generate", "lfsr", "-o", "/proc/stochhw-out"],
    ["compare", "sru_lanes", "-o", "/proc/stochhw-out"],
    ["synth", "lfsr", "--sweep", "width=4,5", "-o", "/proc/stochhw-out"],
])
def test_an_unwritable_output_folder_is_refused_before_any_work(capsys, no_work, argv):
    _one_line(capsys, argv, "/proc/stochhw-out", "is not writable")


def test_a_documented_range_never_crashes_on_the_port_width_limit(capsys):
    before = time.monotonic()
    _one_line(capsys, ["generate", "sru_array", "-p", "lanes=4096"], "lanes=4096 (at most 4095 here)",
              "65,538 input port bits")
    assert time.monotonic() - before < 30, "checked from the signature, before elaboration"
