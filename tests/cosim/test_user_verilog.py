"""A user's own Verilog co-simulated against a registered design's golden model: a hand-written
stochastic rounding unit in both modes on both simulators, a buggy one caught, and a top
module whose ports differ refused in one line, exit status 2, before anything runs."""

import pytest

from stochhw.sim.cli import main
from stochhw.sim.core.cache import ROOT_ENV
from stochhw.sim.flows.cosim import SIMULATORS, PortMismatch, run_cosim
from stochhw.testbench.check import Mismatch

pytestmark = pytest.mark.simulator_required

MY_SRU = """// Hand-written SRU: y = sat(floor((x + rnd) / 2^8)), registered, synchronous reset.
module my_sru (
  input  wire               clk,
  input  wire               rst,
  input  wire signed [15:0] x,
  input  wire        [7:0]  rnd,
  output reg  signed [7:0]  y = 8'sd0
);
  wire signed [16:0] sum = x + $signed({1'b0, rnd});
  wire signed [8:0] q = sum >>> 8;
  always @(posedge clk)
    if (rst) y <= 8'sd0;
    else     y <= (q > 9'sd127) ? 8'sd127 : q[7:0];
endmodule
"""

# One wrong constant: saturates at 126.
BUGGY_SRU = MY_SRU.replace("(q > 9'sd127) ? 8'sd127", "(q > 9'sd126) ? 8'sd126")

# The rounding in a submodule of a second file; the top is found without --top.
WRAPPED = """module rounder(input wire signed [15:0] x, input wire [7:0] rnd, output wire signed [7:0] q);
  wire signed [16:0] sum = x + $signed({1'b0, rnd});
  wire signed [8:0] s = sum >>> 8;
  assign q = (s > 9'sd127) ? 8'sd127 : s[7:0];
endmodule
"""
WRAPPER = """module wrapped_sru(input wire clk, input wire rst, input wire [15:0] x, input wire [7:0] rnd,
                   output reg [7:0] y = 8'd0);
  wire [7:0] q;
  rounder r(.x(x), .rnd(rnd), .q(q));
  always @(posedge clk) y <= rst ? 8'd0 : q;
endmodule
"""

WRONG_PORTS = (MY_SRU.replace("output reg  signed [7:0]  y", "output reg  signed [6:0]  y")
               .replace("input  wire        [7:0]  rnd,", "input  wire        [7:0]  r,"))


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("mode", ["bulk", "percycle"])
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_own_verilog_matches_the_model(tmp_path, simulator, mode):
    mine = _write(tmp_path, "my_sru.v", MY_SRU)
    result = run_cosim("sru_free", {}, simulator, cycles=3000 if mode == "bulk" else 1500, seed=4,
                       mode=mode, verilog=[mine], top="my_sru")
    assert result.top == "my_sru" and "(my_sru from my_sru.v)" in result.label


def test_own_verilog_in_several_files_with_its_top_found(tmp_path):
    files = [_write(tmp_path, "rounder.v", WRAPPED), _write(tmp_path, "wrapped.v", WRAPPER)]
    result = run_cosim("sru_free", {}, "icarus", cycles=3000, seed=5, verilog=files)
    assert result.top == "wrapped_sru" and "(wrapped_sru from rounder.v, wrapped.v)" in result.label


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_bug_in_own_verilog_is_named_cycle_by_cycle(tmp_path, simulator):
    buggy = _write(tmp_path, "buggy_sru.v", BUGGY_SRU)
    with pytest.raises(Mismatch, match=r"y expected 127 \(0x7f\), got 126 \(0x7e\)") as info:
        run_cosim("sru_free", {}, simulator, cycles=5000, seed=1, verilog=[buggy])
    assert info.value.replay.endswith(f"--verilog {buggy}")


def test_a_top_with_other_ports_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    wrong = _write(tmp_path, "wrong.v", WRONG_PORTS)
    monkeypatch.chdir(tmp_path)
    status = main(["regress", "sru_free", "--verilog", wrong, "--top", "my_sru", "--sim", "icarus"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1
    assert err[0] == ("stochhw: error: top module 'my_sru' does not match the ports of sru_free "
                      "(defaults): missing rnd (input, 8 bits); y is output, 7 bits; sru_free has "
                      "output, 8 bits; extra port r")
    assert not (tmp_path / "build" / "runs").exists()          # nothing ran
    with pytest.raises(PortMismatch, match="not found"):
        run_cosim("sru_free", {}, "icarus", cycles=100, verilog=[wrong], top="nosuch")


def test_parameters_shape_the_expected_ports(tmp_path):
    """my_sru is 16 -> 8 bits: with in_width=12 the design's x is 12 bits, and that is said."""
    mine = _write(tmp_path, "my_sru.v", MY_SRU)
    with pytest.raises(PortMismatch, match=r"x is input, 16 bits; sru_free has input, 12 bits"):
        run_cosim("sru_free", {"in_width": 12, "out_width": 4}, "icarus", cycles=100, verilog=[mine])


@pytest.mark.parametrize("mode", ["bulk", "percycle"])
def test_editing_an_included_file_rebuilds(tmp_path, monkeypatch, mode):
    """A build is cached by content, the files the user's Verilog `include-s too: an edited
    header is a new build (and here a bug found), never the stale one."""
    isolated_cache = tmp_path / "cache"
    monkeypatch.setenv(ROOT_ENV, str(isolated_cache))
    (tmp_path / "sat.vh").write_text("`define SAT 127\n")
    mine = _write(tmp_path, "my_sru.v", '`include "sat.vh"\n' + MY_SRU.replace("9'sd127) ? 8'sd127", "9'sd`SAT) ? 8'sd`SAT"))
    cycles = 3000 if mode == "bulk" else 1500
    run_cosim("sru_free", {}, "icarus", cycles=cycles, seed=2, mode=mode, verilog=[mine])
    builds = set((isolated_cache / "sim").glob("*/entry.json"))
    (tmp_path / "sat.vh").write_text("`define SAT 126\n")
    with pytest.raises(Mismatch, match=r"y expected 127 \(0x7f\), got 126 \(0x7e\)"):
        run_cosim("sru_free", {}, "icarus", cycles=cycles, seed=2, mode=mode, verilog=[mine])
    assert len(set((isolated_cache / "sim").glob("*/entry.json")) - builds) == 1
