"""The stochhw command line: listing, generation, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from stochhw.sim.cli import main
from stochhw.sim.designs import REGISTRY


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_list_names_every_design_with_ports_and_latency(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0
    for name in ("lfsr", "sru_lfsr", "sru_free", "sru_array"):
        assert f"{name}:" in out
    assert "latency 1" in out and "rnd:in[8]" in out


def test_list_json_is_stable_and_complete(capsys):
    status, out, _ = run(capsys, "list", "--json")
    assert status == 0
    designs = {d["name"]: d for d in json.loads(out)["designs"]}
    sru = designs["sru_array"]
    assert {p["name"] for p in sru["params"]} >= {"lanes", "source", "seed", "in_width", "out_width"}
    ports = {p["name"]: p for p in sru["ports"]}
    assert ports["x"] == {"name": "x", "direction": "in", "width": 256, "lanes": 16, "signed": True}
    assert "rnd" not in ports                      # source=lfsr by default: no rnd port
    assert run(capsys, "list", "--json")[1] == out  # byte-identical


def test_generate_writes_identical_bytes_twice(capsys, tmp_path):
    for out_dir in ("a", "b"):
        status, out, _ = run(capsys, "generate", "sru_array", "-p", "lanes=4", "-p", "source=external",
                             "-o", str(tmp_path / out_dir))
        assert status == 0 and "sru_array.v" in out
    a, b = (tmp_path / d / "sru_array.v" for d in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    assert "input [31:0] rnd;" in a.read_text()


def test_generate_all(capsys, tmp_path):
    status, _, _ = run(capsys, "generate", "--all", "-o", str(tmp_path))
    assert status == 0
    assert sorted(p.parent.name for p in tmp_path.glob("*/*.v")) == sorted(REGISTRY)


@pytest.mark.parametrize("argv,fragment", [
    (["generate", "nosuch"], "unknown design 'nosuch'"),
    (["generate", "lfsr", "-p", "width=40"], "width must be in 2..32"),
    (["generate", "lfsr", "-p", "width=abc"], "width must be an integer"),
    (["generate", "lfsr", "-p", "width="], "width is empty"),
    (["generate", "lfsr", "-p", "seed=0"], "seed must be in 1..65535"),
    (["generate", "lfsr", "-p", "taps=16,8"], "taps 16,8 do not give a maximal-length LFSR"),
    (["generate", "lfsr", "-p", "widht=8"], "unknown parameter 'widht'"),
    (["generate", "lfsr", "-p", "width"], "-p expects KEY=VALUE"),
    (["generate", "lfsr", "-p", "width=8", "-p", "width=9"], "given twice"),
    (["generate", "sru_free", "-p", "in_width=8", "-p", "out_width=8"], "out_width must be < in_width"),
    (["generate", "sru_lfsr", "-p", "lfsr_width=4"], "lfsr_width must be >= k"),
    (["generate", "sru_array", "-p", "lanes=0"], "lanes must be in 1..4096"),
    (["generate", "sru_array", "-p", "source=pcg"], "source must be one of lfsr, external"),
    (["generate", "sru_array", "-p", "saturate=maybe"], "saturate must be a boolean"),
    (["generate", "--all", "lfsr"], "--all generates every design"),
    (["synth", "sru_free", "--family", "gowin"], "invalid choice: 'gowin'"),
    (["synth", "nosuch"], "unknown design"),
    (["regress", "nosuch"], "unknown design"),
    (["regress", "lfsr", "--cycles", "0"], "must be >= 1"),
    (["regress", "lfsr", "--waves"], "--waves needs --mode percycle"),
    (["regress", "lfsr", "-p", "width=99"], "width must be in 2..32"),
    (["regress", "lfsr", "--top", "mine"], "--top names a module of your own Verilog"),
    (["regress", "lfsr", "sram", "--verilog", "mine.v"], "name exactly one DESIGN"),
    (["regress", "lfsr", "--scheduler", "localhost:8786"], "scheduler must be tcp://HOST:PORT"),
    (["regress", "lfsr", "--junit", "."], "is a folder"),
    (["compare", "nosuch"], "unknown comparison 'nosuch'"),
    (["analyze", "nosuch"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stochhw: error: "), err
    assert fragment in lines[0]
    assert "Traceback" not in err + out


def test_console_script_exit_status_and_no_traceback():
    result = subprocess.run([sys.executable, "-m", "stochhw.sim.cli", "generate", "lfsr", "-p", "seed=0"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["stochhw: error: seed must be in 1..65535 (a nonzero 16-bit state), not 0"]


def test_analyze_bias_json(capsys):
    status, out, _ = run(capsys, "analyze", "bias", "--json")
    assert status == 0
    rows = json.loads(out)["lfsr"]
    assert [r["lfsr_width"] for r in rows] == [8, 12, 16]
    assert all(r["max_abs_deviation_from_theory"] < 1e-9 for r in rows)
