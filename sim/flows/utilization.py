"""Utilisation reports of any flow, read into one row shape and compared with the first.

``stochhw utilization REPORT...`` reads each file with the one reader its content calls for,
turns it into a :class:`Utilization` row (report, tool, stage, design, device, LUTs, FFs,
carry, BRAM, DSP, Fmax), and shows every row's change against the first report. With a growth
limit (:func:`grown`, ``--fail-on-growth PCT``) it is a CI check: did my change grow the design?

One reader per format (:data:`READERS`), in the order :func:`parse_report` tries them:

==================  =====================================================================
``stochhw``         ``stochhw synth --json`` and ``stochhw pnr --json`` (also a bare
                    place-and-route result)
``yosys``           Yosys ``stat -json`` (``tee -o FILE stat -json``): cells by type under
                    ``design`` (or a single module), mapped to resources per family as
                    :func:`stochhw.sim.flows.synth.resource_counts` does
``nextpnr``         nextpnr ``--report FILE``: ``utilization{bel: {used, available}}`` and
                    ``fmax{clock: {achieved, constraint}}``
``vivado``          Vivado ``report_utilization`` text, synthesized or placed: the 7-series
                    tables ("Slice LUTs", "Slice Registers", "Block RAM Tile", "DSPs", and
                    ``CARRY4`` under Primitives) and the UltraScale ones ("CLB LUTs", "CLB
                    Registers", ``CARRY8``); a ``*`` after a name marks synthesized estimates
==================  =====================================================================

Every count is the one its tool reports, so rows of different tools are not alike: nextpnr's
report gives logic cells (iCE40 ``ICESTORM_LC``: a LUT4, a flip-flop and a carry each; ECP5
``TRELLIS_COMB``: one LUT4 or half a carry cell), not LUTs and flip-flops apart; Vivado's
"Slice Registers" include latches; stochhw's ``pnr`` counts exclude its register harness.
Each row's ``note`` says so where it applies. A count a report does not give is None.

The readers are written here rather than taken from edalize's ``reporting`` module, which
needs pandas and pyparsing, reads Vivado and Quartus only, and wants a timing report beside
each utilisation report.
"""

import dataclasses
import json
import math
import re
from pathlib import Path

from stochhw.models.checks import ParameterError
from stochhw.sim.core.targets import FAMILIES
from stochhw.sim.flows.pnr import BRAM_BELS, DSP_BELS, LOGIC_BELS
from stochhw.sim.flows.synth import resource_counts, short_yosys_version, stat_cells

__all__ = ["Utilization", "ReportError", "READERS", "RESOURCES", "read_report", "parse_report",
           "changes", "grown", "format_table"]

#: The resources a growth limit applies to (Fmax is compared, but a change of it is no growth).
RESOURCES = ("luts", "ffs", "carry", "bram", "dsp")

#: Every compared quantity, in column order, with its column heading.
_COLUMNS = {"luts": "LUTs", "ffs": "FFs", "carry": "carry", "bram": "BRAM", "dsp": "DSP",
            "fmax_mhz": "Fmax MHz"}


class ReportError(ParameterError):
    """A report that cannot be read, is of no known format, or is garbled (one line)."""


@dataclasses.dataclass(frozen=True)
class Utilization:
    """One report, normalized.

    Attributes
    ----------
    report : str
        The file, as it was named.
    tool : str
        ``"stochhw synth"``, ``"stochhw pnr"``, ``"yosys"``, ``"nextpnr"`` or ``"vivado"``.
    stage : str
        ``"synthesized"`` or ``"placed"``.
    design : str or None
        The design or top module, where the report names it.
    device : str or None
        Family, and part where the report names it (``"ice40 hx8k ct256"``, ``"xc7a35tcpg236-1"``).
    luts, ffs, carry, dsp : int or None
    bram : float or None
        Block RAMs in the tool's unit (Vivado and Xilinx: 36-kbit tiles, a RAMB18 counting 0.5).
    fmax_mhz : float or None
        The slowest clock's achieved maximum frequency (place-and-route reports only).
    tool_version : str or None
    note : str
        What the counts mean where they differ from plain LUTs and flip-flops.
    """
    report: str
    tool: str
    stage: str
    design: str | None
    device: str | None
    luts: int | None
    ffs: int | None
    carry: int | None
    bram: float | None
    dsp: int | None
    fmax_mhz: float | None = None
    tool_version: str | None = None
    note: str = ""

    def to_json(self):
        """A JSON-ready dict with stable keys (``stochhw utilization --json``)."""
        return dataclasses.asdict(self)


# --- readers ----------------------------------------------------------------------------------

def _number(value, what):
    """A count from a report: an int or float, not a bool; raises ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} is {value!r}, not a number")
    return value


def _optional(doc, key, what):
    value = doc.get(key)
    return None if value is None else _number(value, what)


def _read_stochhw_synth(doc, name):
    family = doc["family"]
    if family not in FAMILIES:
        raise ValueError(f"family {family!r} is not one of {', '.join(FAMILIES)}")
    counts = resource_counts(doc["cells_by_type"], family)
    return Utilization(
        report=name, tool="stochhw synth", stage="synthesized", design=str(doc["design"]),
        device="xilinx xc7" if family == "xilinx" else family,
        luts=_number(doc["luts"], "luts"), ffs=_number(doc["ffs"], "ffs"), carry=_number(doc["carry"], "carry"),
        bram=_number(doc.get("bram", counts["bram"]), "bram"), dsp=counts["dsp"],
        tool_version=str(doc["yosys_version"]))


def _read_stochhw_pnr(doc, name):
    fits = doc["fits"]
    if not isinstance(fits, bool):
        raise ValueError(f"fits is {fits!r}, not true or false")
    note = "register harness excluded"
    if not fits:
        note = f"does not fit: {doc['reason']}"
    return Utilization(
        report=name, tool="stochhw pnr", stage="placed", design=str(doc["design"]),
        device=f"{doc['family']} {doc['device']} {doc['package']}",
        luts=_optional(doc, "luts", "luts"), ffs=_optional(doc, "ffs", "ffs"),
        carry=_optional(doc, "carry", "carry"), bram=_optional(doc, "bram", "bram"),
        dsp=_optional(doc, "dsp", "dsp"), fmax_mhz=_optional(doc, "fmax_mhz", "fmax_mhz"),
        tool_version=str(doc["nextpnr_version"]), note=note)


def _cells_family(cells):
    """The FPGA family a mapped netlist's cell types belong to, or None."""
    types = set(cells)
    if any(t.startswith("SB_") for t in types):
        return "ice40"
    if any(t.startswith("TRELLIS_") or t in ("CCU2C", "DP16KD", "MULT18X18D") for t in types):
        return "ecp5"
    if types & {"LUT1", "LUT2", "LUT3", "LUT5", "LUT6", "FDRE", "FDSE", "FDCE", "FDPE", "CARRY4", "CARRY8"}:
        return "xilinx"
    return None


def _read_yosys_stat(doc, name):
    cells = stat_cells(doc)
    family = _cells_family(cells)
    modules = doc.get("modules") or {}
    design = next(iter(modules)).lstrip("\\") if len(modules) == 1 else None
    if family is not None:
        counts = resource_counts(cells, family)
        luts, ffs, carry, bram, dsp = (counts[k] for k in RESOURCES)
        note = ""
    else:
        # Not mapped to a family here: count the generic cells that are what they say.
        luts = cells.get("$lut")
        flops = [n for t, n in cells.items() if t.startswith("$_") and "DFF" in t]
        ffs = sum(flops) if flops else None
        carry = bram = dsp = None
        note = "no FPGA family recognized in the cell types; generic $lut and $_*DFF*_ cells counted"
    return Utilization(
        report=name, tool="yosys", stage="synthesized", design=design,
        device=("xilinx" if family == "xilinx" else family), luts=luts, ffs=ffs, carry=carry, bram=bram,
        dsp=dsp, tool_version=short_yosys_version(doc.get("creator", "")), note=note)


def _read_nextpnr(doc, name):
    used, available = {}, {}
    for bel, u in doc["utilization"].items():
        used[bel] = int(_number(u["used"], f"utilization {bel} used"))
        available[bel] = int(_number(u["available"], f"utilization {bel} available"))
    family = next((f for f, bel in LOGIC_BELS.items() if bel in used), None)
    fmax = [_number(clock["achieved"], f"fmax {clk} achieved") for clk, clock in (doc.get("fmax") or {}).items()]
    row = dict(report=name, tool="nextpnr", stage="placed", design=None,
               fmax_mhz=round(min(fmax), 2) if fmax else None)
    if family is None:
        return Utilization(**row, device=None, luts=None, ffs=None, carry=None, bram=None, dsp=None,
                           note=f"architecture not recognized (bels: {', '.join(sorted(used))})")
    logic = LOGIC_BELS[family]
    device = f"{family} ({available[logic]} {logic})"
    bram = sum(used.get(bel, 0) for bel in BRAM_BELS[family])
    dsp = sum(used.get(bel, 0) for bel in DSP_BELS[family])
    if family == "ice40":
        return Utilization(**row, device=device, luts=used[logic], ffs=None, carry=None, bram=bram, dsp=dsp,
                           note="LUTs = ICESTORM_LC logic cells (LUT4 + FF + carry each)")
    return Utilization(**row, device=device, luts=used[logic], ffs=used.get("TRELLIS_FF", 0), carry=None,
                       bram=bram, dsp=dsp, note="LUTs = TRELLIS_COMB cells (carry halves included)")


#: ``| Name : value`` lines of a Vivado report header.
_VIVADO_HEADER = re.compile(r"^\|\s*(Tool Version|Design|Device|Design State)\s*:\s*(.*?)\s*$", re.M)
#: A table row: its first two cells (site type, used).
_VIVADO_ROW = re.compile(r"^\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|", re.M)
#: The rows that identify a utilization table.
_VIVADO_LUT_ROW = re.compile(r"^\|\s*(Slice|CLB) LUTs\*?\s*\|", re.M)


def _is_vivado(text):
    return bool(_VIVADO_LUT_ROW.search(text)) or "report_utilization" in text


def _read_vivado(text, name):
    header = {k: v for k, v in _VIVADO_HEADER.findall(text)}
    rows = {}
    for site, used in _VIVADO_ROW.findall(text):
        rows.setdefault(site, used)             # the first table that has a row is the summary

    def count(*names):
        for site in names:
            for key in (site, site + "*"):
                if key in rows:
                    try:
                        value = float(rows[key])
                    except ValueError:
                        raise ValueError(f"'{key}' row has Used {rows[key]!r}, not a number") from None
                    return int(value) if value.is_integer() else value
        return None

    luts = count("Slice LUTs", "CLB LUTs")
    if luts is None:
        raise ValueError("no 'Slice LUTs' or 'CLB LUTs' row")
    carry = count("CARRY4", "CARRY8")
    if carry is None and re.search(r"^\d+\.\s*Primitives\s*$", text, re.M):
        carry = 0                               # the primitives table lists only what is used
    state = header.get("Design State", "")
    synthesized = "Synthesized" in state or (not state and ("Slice LUTs*" in rows or "CLB LUTs*" in rows))
    tool_version = header.get("Tool Version")
    if tool_version:
        tool_version = tool_version.split(" (")[0]
    return Utilization(
        report=name, tool="vivado", stage="synthesized" if synthesized else "placed",
        design=header.get("Design") or None, device=header.get("Device") or None,
        luts=luts, ffs=count("Slice Registers", "CLB Registers"), carry=carry,
        bram=count("Block RAM Tile"), dsp=count("DSPs"), tool_version=tool_version,
        note="FFs = registers, latches included")


def _json_reader(doc):
    """The reader (format name, function) for a parsed JSON document, or raise ReportError."""
    if not isinstance(doc, dict):
        return None
    if "place_and_route" in doc and "synthesis" in doc:
        return "stochhw", lambda d, n: _read_stochhw_pnr(d["place_and_route"], n)
    if "fits" in doc and "nextpnr_version" in doc:
        return "stochhw", _read_stochhw_pnr
    if "cells_by_type" in doc and "yosys_version" in doc:
        return "stochhw", _read_stochhw_synth
    if str(doc.get("creator", "")).startswith("Yosys") and ("modules" in doc or "design" in doc):
        return "yosys stat -json", _read_yosys_stat
    if isinstance(doc.get("utilization"), dict):
        return "nextpnr --report", _read_nextpnr
    return None


#: Format names, in the order they are tried (see the module docstring).
READERS = ("stochhw", "yosys stat -json", "nextpnr --report", "vivado report_utilization")


def parse_report(text, name="report"):
    """Read the report ``text`` (named ``name`` in rows and errors) into a :class:`Utilization`.

    Raises
    ------
    ReportError
        If the format is not recognized, or the file is of a known format but garbled.
    """
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ReportError(f"{name}: garbled JSON ({exc})") from None
        if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
            raise ReportError(f"{name}: a stochhw sweep or comparison report ({len(doc['rows'])} rows); give "
                              f"one `stochhw synth --json` or `stochhw pnr --json` result")
        found = _json_reader(doc)
        if found is None:
            raise ReportError(f"{name}: JSON of no known report format (known: {', '.join(READERS)})")
        fmt, reader = found
    elif _is_vivado(text):
        fmt, reader, doc = "vivado report_utilization", _read_vivado, text
    else:
        raise ReportError(f"{name}: not a utilisation report of a known format (known: {', '.join(READERS)})")
    try:
        return reader(doc, name)
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ReportError(f"{name}: garbled {fmt} ({detail})") from None


def read_report(path):
    """Read the report file ``path`` (see :func:`parse_report`); its row is named ``str(path)``."""
    try:
        text = Path(path).read_text()
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a text file") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_report(text, str(path))


# --- comparing --------------------------------------------------------------------------------

def _change(base, value):
    """Percent change, 1 decimal; None where either is missing or the base is 0."""
    if base is None or value is None or base == 0:
        return None
    return round((value - base) / base * 100, 1)


def changes(rows):
    """Each row's change against ``rows[0]``: ``[{quantity: percent or None}]`` (the first: all None)."""
    first = rows[0]
    return [{key: (None if i == 0 else _change(getattr(first, key), getattr(row, key))) for key in _COLUMNS}
            for i, row in enumerate(rows)]


def grown(rows, limit_pct):
    """The resources that grew by more than ``limit_pct`` percent against ``rows[0]``.

    A resource the first report does not use (0) grows without bound when a later one uses it.
    Fmax is not a resource: its changes are shown but never count as growth.

    Returns
    -------
    list of dict
        ``report``, ``resource``, ``base``, ``value`` and ``change_pct`` (None when growing from 0).
    """
    out = []
    first = rows[0]
    for row in rows[1:]:
        for key in RESOURCES:
            base, value = getattr(first, key), getattr(row, key)
            if base is None or value is None:
                continue
            pct = _change(base, value)
            if (base == 0 and value > 0) or (pct is not None and pct > limit_pct):
                out.append({"report": row.report, "resource": key, "base": base, "value": value,
                            "change_pct": pct})
    return out


def _cell(value, pct):
    if value is None:
        return "-"
    text = f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
    return text if pct is None else f"{text} ({pct:+.1f}%)"


def format_table(rows):
    """The rows as a text table, each quantity with its change against the first, then notes."""
    deltas = changes(rows)
    head = ["report", "tool", "stage", "design", "device", *_COLUMNS.values()]
    body = [[row.report, row.tool, row.stage, row.design or "-", row.device or "-",
             *(_cell(getattr(row, key), delta[key]) for key in _COLUMNS)]
            for row, delta in zip(rows, deltas)]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    numeric = range(5, len(head))

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    lines = [line(head), *(line(r) for r in body)]
    notes = [f"  {row.report}: {row.note}" for row in rows if row.note]
    if len({(r.tool, r.stage) for r in rows}) > 1:
        notes.append("  the reports come from different tools or stages: each counts as its tool does")
    if notes:
        lines += ["notes:", *notes]
    return "\n".join(lines) + "\n"
