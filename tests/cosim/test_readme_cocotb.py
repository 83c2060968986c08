"""The README's "Your own cocotb test" runs as written, with cocotb's own runner on Icarus: it
passes on the generated 4-lane array and fails, naming cycle, lane and values, on a wrong one."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stochhw.sim.flows.cosim import TIMESCALE
from stochhw.sim.flows.generate import generate

pytestmark = pytest.mark.simulator_required

README = Path(__file__).resolve().parents[2] / "README.md"


def _example():
    text = README.read_text()
    match = re.search(r"<!-- cocotb-example -->\n```python\n(.*?)```", text, re.S)
    assert match, "the README lost its cocotb example"
    return match.group(1)


def _run(tmp_path, monkeypatch, overrides, name):
    """The example as test module ``name`` against sru_array with ``overrides``; from cocotb's
    results.xml: (test count, failure messages)."""
    from cocotb_tools.runner import get_runner
    work = tmp_path / name
    work.mkdir()
    (work / f"{name}.py").write_text(_example())
    verilog = work / "sru_array.v"
    verilog.write_text(generate("sru_array", {"lanes": 4, "source": "external", **overrides}).verilog)
    monkeypatch.syspath_prepend(str(work))          # the runner hands sys.path to cocotb
    runner = get_runner("icarus")                   # as a user's own flow would
    runner.build(sources=[verilog], hdl_toplevel="sru_array", build_dir=work / "build",
                 timescale=TIMESCALE)
    try:
        runner.test(test_module=name, hdl_toplevel="sru_array", build_dir=work / "build",
                    test_dir=work, results_xml=str(work / "results.xml"))
    except SystemExit:                              # the runner's way of saying a test failed
        pass
    root = ET.parse(work / "results.xml").getroot()
    failures = [f.get("message", "") for f in root.iter("failure")]
    return len(list(root.iter("testcase"))), failures


def test_the_readme_example_is_about_twenty_lines():
    lines = [line for line in _example().splitlines() if line.strip()]
    assert len(lines) <= 26, len(lines)


def test_the_readme_cocotb_example_passes_on_the_design(tmp_path, monkeypatch):
    tests, failures = _run(tmp_path, monkeypatch, {}, "readme_ok")
    assert tests == 1 and failures == []


def test_the_readme_cocotb_example_catches_a_wrong_design(tmp_path, monkeypatch):
    """The same test against an array that wraps instead of saturating."""
    tests, failures = _run(tmp_path, monkeypatch, {"saturate": False}, "readme_wrong")
    assert tests == 1 and len(failures) == 1
    assert re.search(r"mismatching output values \(seed 1\).*cycle \d+, lane \d: y expected 127",
                     failures[0], re.S), failures[0]
