"""Files for FPGA flows (stochhw.sim.flows.generate): the file list, the FuseSoC core, no
``(* top *)`` attribute, and ``--top`` names that cannot escape the output folder.

FuseSoC (a dev dependency, from PyPI) checks the core: ``fusesoc core list`` finds it and its
``lint`` target runs Verilator through edalize, offline, in a build folder under ``tmp_path``.
"""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from stochhw.sim.cli import main
from stochhw.sim.core.toolchain import tool_env, yosys_command
from stochhw.sim.designs import REGISTRY
from stochhw.sim.flows.generate import VERILOG_KEYWORDS, core_vlnv, generate, write_design
from stochhw.sim.flows.pnr import place_and_route
from stochhw.sim.flows.synth import synthesize


def _run(argv, cwd, **env):
    return subprocess.run(argv, cwd=cwd, env=tool_env(env), capture_output=True, text=True)


def _fusesoc(tmp_path, *args):
    """fusesoc with its configuration, cache and data folders inside ``tmp_path``."""
    exe = shutil.which("fusesoc", path=tool_env()["PATH"])
    assert exe, "fusesoc is a dev dependency (pip install -e '.[dev]')"
    home = {f"XDG_{kind}_HOME": str(tmp_path / f"xdg_{kind.lower()}") for kind in ("CONFIG", "CACHE", "DATA")}
    return _run([exe, *args], tmp_path, **home)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pkg")
    generated = generate("sru_array", {"lanes": "2"}, top="my_sru")
    write_design(generated, folder / "cores" / "my_sru")
    return generated, folder / "cores" / "my_sru"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_no_module_forces_itself_to_be_the_top(name):
    verilog = generate(name).verilog
    assert not re.search(r"\(\*[^)]*\btop\b", verilog), "a (* top *) attribute is left"
    assert '(* generator = "Amaranth" *)' in verilog          # only that attribute went


def test_core_and_file_list(package):
    generated, folder = package
    assert (folder / "my_sru.f").read_text() == "my_sru.v\n"
    text = (folder / "my_sru.core").read_text()
    assert text.startswith("CAPI=2:\n")
    core = yaml.safe_load(text)
    assert core["name"] == core_vlnv(generated) and core["name"].startswith("stochhw:generated:my_sru:")
    assert core["filesets"]["rtl"] == {"files": ["my_sru.v"], "file_type": "verilogSource"}
    assert core["filesets"]["lint_waivers"] == {"files": ["my_sru.vlt"], "file_type": "vlt"}
    assert core["targets"]["default"] == {"filesets": ["rtl"], "toplevel": "my_sru"}
    assert core["targets"]["lint"]["toplevel"] == "my_sru"
    assert "lanes=2" in core["description"]


def test_fusesoc_lists_the_core(package, tmp_path):
    generated, folder = package
    proc = _fusesoc(tmp_path, "--cores-root", str(folder.parent), "core", "list")
    assert proc.returncode == 0, proc.stderr
    assert core_vlnv(generated) in proc.stdout


@pytest.mark.simulator_required
def test_fusesoc_lint_target_runs_verilator(package, tmp_path):
    generated, folder = package
    cores = tmp_path / "cores"
    shutil.copytree(folder, cores / "my_sru")
    proc = _fusesoc(tmp_path, "--cores-root", str(cores), "run", "--build-root", str(tmp_path / "build"),
                    "--target", "lint", core_vlnv(generated))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = proc.stdout + proc.stderr
    assert "--lint-only" in (next((tmp_path / "build").rglob("*.vc"))).read_text()
    assert "%Warning" not in log and "%Error" not in log
    # Without the waivers the same target fails: the lint really ran, with -Wall.
    core = cores / "my_sru" / "my_sru.core"
    core.write_text(core.read_text().replace("filesets: [rtl, lint_waivers]", "filesets: [rtl]"))
    proc = _fusesoc(tmp_path, "--cores-root", str(cores), "run", "--build-root", str(tmp_path / "build2"),
                    "--target", "lint", core_vlnv(generated))
    assert proc.returncode != 0 and "%Warning" in proc.stdout + proc.stderr


@pytest.mark.simulator_required
def test_file_list_feeds_icarus_and_verilator(package):
    _, folder = package
    proc = _run(["iverilog", "-g2005", "-o", os.devnull, "-s", "my_sru", "-c", "my_sru.f"], folder)
    assert proc.returncode == 0, proc.stderr
    proc = _run(["verilator", "--lint-only", "-Wall", "my_sru.vlt", "-F", "my_sru.f"], folder)
    assert proc.returncode == 0, proc.stderr


def test_yosys_keeps_the_users_wrapper_as_top(package, tmp_path):
    """``synth_ice40`` without ``-top`` picks the top by itself: the user's wrapper, which
    instantiates the generated module, must stay, with the module inside it."""
    _, folder = package
    shutil.copy(folder / "my_sru.v", tmp_path)
    (tmp_path / "board.v").write_text(
        "module board (input wire clk, input wire rst, input wire [31:0] a, output reg [15:0] q);\n"
        "    wire [15:0] y;\n"
        "    my_sru u_sru (.clk(clk), .rst(rst), .x(a), .y(y));\n"
        "    always @(posedge clk) q <= ~y;\n"
        "endmodule\n")
    proc = _run([*yosys_command(), "-q", "-p", "read_verilog my_sru.v board.v; synth_ice40; "
                 "tee -q -o modules.txt ls; tee -q -o stat.json stat -json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    modules = (tmp_path / "modules.txt").read_text()
    assert "board" in modules and "my_sru" not in modules            # flattened into the wrapper
    cells = json.loads((tmp_path / "stat.json").read_text())["design"]["num_cells_by_type"]
    assert cells["SB_DFF"] == 16                                     # the wrapper's own q register
    assert cells["SB_DFFSR"] == 2 * (16 + 8)                         # two lanes: LFSR and y each
    assert cells["SB_LUT4"] > 0 and cells["SB_CARRY"] > 0            # and the rounding logic


def test_synthesis_and_place_and_route_find_a_renamed_top(tmp_path):
    generated = generate("lfsr", {"width": "4"}, top="my_lfsr")
    synth = synthesize(generated, "ice40", cache_dir=tmp_path / "synth", netlist=True)
    assert (synth.ffs, synth.luts > 0) == (4, True)
    placed = place_and_route(synth, cache_dir=tmp_path / "pnr")
    assert placed.fits and placed.ffs == 4 and placed.fmax_mhz > 0


@pytest.mark.parametrize("top,fragment", [
    ("bad name", "Verilog identifier"),
    ("../../escape", "Verilog identifier"),
    ("/tmp/x", "Verilog identifier"),
    ("9lives", "Verilog identifier"),
    ("$x", "Verilog identifier"),
    ("a$b", "Verilog identifier"),
    ("", "Verilog identifier"),
    ("a-b", "Verilog identifier"),
    ("module", "keyword"),
    ("logic", "keyword"),
    ("always_ff", "keyword"),
    ("endmodule", "keyword"),
])
def test_bad_top_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, top, fragment):
    out = tmp_path / "out"
    assert main(["generate", "lfsr", "--top", top, "-o", str(out)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("stochhw: error: top must ") and fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_keywords_cover_verilog_2005_and_systemverilog():
    assert {"module", "wire", "reg", "input", "output", "always", "generate"} <= VERILOG_KEYWORDS   # 1364
    assert {"logic", "bit", "int", "always_ff", "interface", "rand", "unique0", "nettype"} <= VERILOG_KEYWORDS
    assert "my_sru" not in VERILOG_KEYWORDS and len(VERILOG_KEYWORDS) == 248


def test_a_good_top_writes_only_into_the_output_folder(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["generate", "lfsr", "--top", "Top_1x", "-o", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"Top_1x{suffix}" for suffix in (".v", ".json", "_inst.vh", ".vlt", ".f", ".core"))
