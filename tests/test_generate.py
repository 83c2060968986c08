"""Verilog generation: deterministic bytes, clean port names, manifests."""

import json
import re
from pathlib import Path

import pytest

import stochhw.sim.flows.generate as generate_module
from stochhw.sim.designs import REGISTRY
from stochhw.sim.flows.generate import generate, write_design

# Verilog-2005 and SystemVerilog-2017 keywords that are plausible port names.
KEYWORDS = set("""
always and assign begin bit buf byte case cell chandle class clock config const default
disable do edge else end event final for force fork function generate genvar if import initial
inout input int integer interface join logic longint module nand negedge nor not or output
package parameter posedge program rand randc real reg release repeat restrict scalared
shortint signed specify string supply0 supply1 table task time tran tri type union unique
unsigned use var void wait wand while wire wor xnor xor
""".split())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_generation_is_byte_identical(name, tmp_path):
    fresh = generate(name, cache_dir=False).verilog
    assert fresh == generate(name, cache_dir=False).verilog
    assert generate(name, cache_dir=tmp_path).verilog == fresh      # stored
    assert generate(name, cache_dir=tmp_path).verilog == fresh      # read back
    assert len(list(tmp_path.glob("*/design.v"))) == 1             # one entry, checked on read


def test_the_cache_key_covers_the_hardware_and_model_sources(monkeypatch):
    """Editing hw/ or models/ must not serve stale Verilog: the key hashes every file there."""
    generate_module._source_digest.cache_clear()
    hashed = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: hashed.append(self) or real(self))
    generate_module._source_digest()
    generate_module._source_digest.cache_clear()
    names = {(p.parent.name, p.name) for p in hashed}
    assert ("hw", "sru_array.py") in names and ("models", "sru.py") in names, names


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_port_names_are_not_keywords_and_not_escaped(name):
    generated = generate(name)
    header = re.search(rf"module {generated.top}\((.*?)\);", generated.verilog)
    assert header, "top module header not found"
    names = [n.strip() for n in header.group(1).split(",")]
    assert "clk" in names and "rst" in names
    for port in names:
        assert port not in KEYWORDS
        assert not port.startswith("\\"), f"escaped port name {port!r}"


def test_parameters_change_the_bytes():
    assert generate("sru_array", {"lanes": "4"}).verilog != generate("sru_array", {"lanes": "5"}).verilog


def test_written_design_has_verilog_and_manifest(tmp_path):
    generated = generate("sru_array", {"lanes": "3", "source": "external"}, top="my_sru")
    path = write_design(generated, tmp_path)
    assert path.read_text().count("module my_sru(") == 1
    manifest = json.loads((tmp_path / "my_sru.json").read_text())
    ports = {p["name"]: p for p in manifest["ports"]}
    assert ports["x"]["width"] == 48 and ports["x"]["lanes"] == 3 and ports["x"]["signed"]
    assert ports["rnd"]["width"] == 24 and ports["y"]["direction"] == "out"
    assert manifest["latency"] == 1 and manifest["params"]["lanes"] == 3
    assert not list(tmp_path.glob("*.tmp"))
