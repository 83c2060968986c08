"""Parameter sweeps (stochhw.sim.campaigns.sweep) and the executor they share with comparisons (stochhw.sim.core.executor).

The Dask path runs against a LocalCluster on loopback (TCP, one in-process worker); its
reports must be byte-identical to those of local processes, each run with its own empty
caches so that both really run the tools.
"""

import json

import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns.compare import run_comparison
from stochhw.sim.campaigns.sweep import SweepError, make_sweep, parse_sweep, run_sweep
from stochhw.sim.cli import main
from stochhw.sim.core.comparison import Comparison
from stochhw.sim.core.executor import (
    InlineExecutor,
    SchedulerUnreachable,
    check_scheduler,
    make_executor,
    run_jobs,
)


def _square(x):
    return x * x


def _fail_on_three(x):
    if x == 3:
        raise ValueError("three")
    return x


@pytest.fixture(scope="module")
def cluster():
    import distributed
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- the executor -----------------------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_local_executors_run_every_job(jobs):
    with make_executor(None, jobs) as executor:
        assert isinstance(executor, InlineExecutor) == (jobs == 1)
        done = dict(run_jobs(executor, [(x, _square, (x,)) for x in range(6)]))
    assert done == {x: x * x for x in range(6)}


def test_dask_executor_runs_every_job(cluster):
    with make_executor(cluster, jobs=7) as executor:
        done = dict(run_jobs(executor, [(x, _square, (x,)) for x in range(6)]))
    assert done == {x: x * x for x in range(6)}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_job_stops_the_run(jobs):
    with make_executor(None, jobs) as executor, pytest.raises(ValueError, match="three"):
        for _ in run_jobs(executor, [(x, _fail_on_three, (x,)) for x in range(6)]):
            pass


@pytest.mark.parametrize("address", ["localhost:8786", "tcp://host", "tcp://host:0", "tcp://host:99999",
                                     "udp://host:1", "tcp://ho st:1", ""])
def test_bad_scheduler_address(address):
    with pytest.raises(ParameterError, match="^scheduler must be tcp://HOST:PORT"):
        check_scheduler(address)


def test_unreachable_scheduler(monkeypatch):
    import stochhw.sim.core.executor
    monkeypatch.setattr(stochhw.sim.core.executor, "CONNECT_TIMEOUT", 1)
    with pytest.raises(SchedulerUnreachable, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        make_executor("tcp://127.0.0.1:9")


# --- sweep parsing ----------------------------------------------------------------------------

def test_parse_sweep():
    assert parse_sweep("lanes=1,4, 16") == ("lanes", ["1", "4", "16"])
    assert parse_sweep(" source = lfsr,external") == ("source", ["lfsr", "external"])


@pytest.mark.parametrize("text,message", [
    ("lanes=", "--sweep lanes has no values"),
    ("lanes= ", "--sweep lanes has no values"),
    ("lanes", "--sweep expects PARAM=V1,V2,..., not 'lanes'"),
    ("=1,2", "--sweep expects PARAM=V1,V2,..."),
    ("lanes=1,,4", "--sweep lanes=1,,4 has an empty value"),
    ("lanes=4,", "has an empty value"),
])
def test_malformed_sweep(text, message):
    with pytest.raises(SweepError) as info:
        make_sweep("sru_array", text)
    assert message in str(info.value)


@pytest.mark.parametrize("design,text,kwargs,message", [
    ("sru_array", "lanes=1,4,1", {}, "--sweep lanes repeats the value 1"),
    ("sru_array", "lanes=1,0", {}, "lanes must be in 1..4096"),
    ("sru_array", "lanes=1,x", {}, "lanes must be an integer"),
    ("sru_array", "lanse=1,2", {}, "unknown parameter 'lanse'"),
    ("lfsr", "taps=1,2", {}, "cannot vary the list parameter 'taps'"),
    ("sru_array", "lanes=1,2", {"overrides": {"lanes": "3"}}, "lanes is both swept (--sweep) and set (-p)"),
    ("sru_array", "lanes=1,2", {"overrides": {"in_width": "8", "out_width": "8"}}, "out_width must be < in_width"),
    ("sru_array", "lanes=1,2", {"family": "ice40", "device": "hx8k"}, "device and package apply to place"),
    ("sru_array", "lanes=1,2", {"family": "xilinx", "pnr": True}, "family 'xilinx' has no place and route"),
    ("sru_array", "lanes=1,2", {"family": "ice40", "pnr": True, "package": "sg48"}, "package 'sg48' is not"),
    ("nosuch", "lanes=1,2", {}, "unknown design 'nosuch'"),
])
def test_bad_sweep(design, text, kwargs, message):
    with pytest.raises(ParameterError) as info:
        make_sweep(design, text, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("argv,fragment", [
    (["synth", "sru_array", "--sweep", "lanes="], "--sweep lanes has no values"),
    (["synth", "sru_array", "--sweep", "lanes"], "--sweep expects PARAM=V1,V2,..."),
    (["synth", "sru_array", "--sweep", "lanes=1,2", "--scheduler", "localhost:8786"], "scheduler must be"),
    (["synth", "sru_array", "-o", "x"], "-o: only with --sweep"),
    (["pnr", "sru_array", "--sweep", "lanes=1,1"], "repeats the value 1"),
])
def test_cli_bad_sweep_is_one_line_exit_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("stochhw: error: ") and fragment in err and err.count("\n") == 1


# --- running sweeps ---------------------------------------------------------------------------

def test_sweep_local_and_dask_give_identical_reports(cluster, tmp_path):
    sweep = make_sweep("sru_array", "lanes=2,1", {"source": "external"}, family="ecp5")
    runs = {}
    for name, kwargs in (("local", {"jobs": 2}), ("dask", {"scheduler": cluster})):
        out = tmp_path / name
        runs[name] = run_sweep(sweep, out, progress=None, synth_cache=tmp_path / f"cache_{name}", **kwargs)
        runs[name + "_files"] = _files(out)
    assert runs["local_files"] == runs["dask_files"]
    assert sweep.stem.startswith("sru_array_lanes_ecp5_")
    assert sorted(runs["local_files"]) == [f"{sweep.stem}.{ext}" for ext in ("csv", "json", "md", "png")]
    rows = runs["local"]["rows"]
    assert [r["lanes"] for r in rows] == [2, 1]                         # the order given
    # External randomness: one output register per lane and nothing else.
    assert [r["ffs"] for r in rows] == [2 * 8, 8]
    assert rows[0]["luts"] > rows[1]["luts"] > 0
    doc = json.loads(runs["local_files"][f"{sweep.stem}.json"])
    assert doc["rows"] == rows and doc["pnr"] is None
    assert doc["command"] == "stochhw synth sru_array --sweep lanes=2,1 -p source=external --family ecp5"


def test_comparison_local_and_dask_give_identical_reports(cluster, tmp_path):
    comp = Comparison(name="tiny", title="tiny", baseline=("LFSR", "sru_array", {"source": "lfsr"}),
                      candidate=("free", "sru_array", {"source": "external"}), sweep="lanes",
                      values=(2,), families=("ice40",))
    files = {}
    for name, kwargs in (("local", {"jobs": 2}), ("dask", {"scheduler": cluster})):
        run_comparison(comp, tmp_path / name, progress=None, cache_dir=tmp_path / f"cache_{name}", **kwargs)
        files[name] = _files(tmp_path / name)
    assert files["local"] == files["dask"]
    assert b"Place and route" not in files["local"]["tiny.md"]          # pnr is off by default


def test_pnr_sweep_through_the_cli(tmp_path, capsys):
    """One process (-j 1), place and route on, one table and one plot."""
    status = main(["synth", "lfsr", "--sweep", "width=4,8", "--family", "ice40", "--pnr", "-j", "1",
                   "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "[1/2] lfsr width=8 ice40 synth+pnr" in err and "[2/2] lfsr width=4" in err
    stem = make_sweep("lfsr", "width=4,8", family="ice40", pnr=True).stem
    assert stem.startswith("lfsr_width_ice40_pnr_")
    assert f"wrote {tmp_path / stem}.{{md,csv,json,png}}" in out
    doc = json.loads((tmp_path / f"{stem}.json").read_text())
    assert [r["width"] for r in doc["rows"]] == [4, 8]
    for r in doc["rows"]:
        assert r["pnr"] == "ok" and r["pnr_ffs"] == r["ffs"] == r["width"] and r["fmax_mhz"] > 0
    assert doc["pnr"]["device"] == "hx8k" and doc["tools"]["nextpnr"]
    assert (tmp_path / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
    md = (tmp_path / f"{stem}.md").read_text()
    assert "| width | LUTs | FFs | carry | SRL | PnR LUTs |" in md
