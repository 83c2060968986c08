"""Parameter sweeps: one design synthesized (and placed and routed) at every value of one parameter.

``stochhw synth DESIGN --sweep PARAM=V1,V2,... [-p K=V]... [--family F] [--pnr]`` (or
``stochhw pnr DESIGN --sweep ...``) builds a :class:`Sweep`, runs every point as one job of
:func:`stochhw.sim.flows.pnr.implement` through :mod:`stochhw.sim.core.executor` (local processes, or a Dask cluster with
``--scheduler tcp://HOST:PORT``), reuses the synthesis and place-and-route caches, and writes
one table (``.md``, ``.csv``, ``.json``) and one plot (``.png``) into the output folder, named
``<design>_<param>_<family>`` (``..._pnr`` when placed and routed). The files depend only on
the results, so they are byte-identical whichever executor ran the jobs.

``--sweep`` takes one parameter and a comma-separated list of values (the form ``-p
lanes=1,4,16`` is not used for sweeps because list parameters such as ``taps`` already take
commas there). List parameters cannot be swept.
"""

import csv
import dataclasses
import io
import json
import sys
from pathlib import Path

from stochhw.models.checks import ParameterError, check_bool
from stochhw.sim.campaigns.compare import report_versions
from stochhw.sim.core.executor import make_executor, run_all
from stochhw.sim.core.files import write_set
from stochhw.sim.core.targets import DEFAULT_SEED, TARGET_MHZ, check_family, check_target
from stochhw.sim.designs import get_design
from stochhw.sim.flows.pnr import implement

__all__ = ["Sweep", "parse_sweep", "make_sweep", "run_sweep", "SweepError"]

#: Tools named in every sweep report.


class SweepError(ParameterError):
    """A ``--sweep`` that is empty or malformed."""


def parse_sweep(text):
    """``"PARAM=V1,V2,..."`` -> ``(PARAM, [V1, V2, ...])`` (values stay text).

    Raises
    ------
    SweepError
        If there is no ``=``, no parameter name, no value, or an empty value.
    """
    name, sep, values = str(text).partition("=")
    name = name.strip()
    if not sep or not name:
        raise SweepError(f"--sweep expects PARAM=V1,V2,..., not {text!r}")
    items = [v.strip() for v in values.split(",")]
    if items == [""]:
        raise SweepError(f"--sweep {name} has no values; give e.g. {name}=1,4,16")
    if "" in items:
        raise SweepError(f"--sweep {name}={values} has an empty value")
    return name, items


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A checked sweep: every point resolves to valid parameters.

    Attributes
    ----------
    design : str
    param : str
        The swept parameter.
    values : tuple
        Its values (parsed), in the order given.
    overrides : dict
        The other parameters fixed with ``-p`` (text or Python values).
    family : str
    pnr : bool
        Also place and route every point.
    device, package : str or None
        The place-and-route target (resolved to defaults when ``pnr``).
    seed : int
        nextpnr seed.
    """
    design: str
    param: str
    values: tuple
    overrides: dict
    family: str
    pnr: bool = False
    device: str | None = None
    package: str | None = None
    seed: int = DEFAULT_SEED

    @property
    def stem(self):
        """File stem of the reports."""
        return f"{self.design}_{self.param}_{self.family}{'_pnr' if self.pnr else ''}"

    def point(self, value):
        """Parameter overrides of the point at ``value``."""
        return {**self.overrides, self.param: value}

    def command(self):
        """The ``stochhw`` command that regenerates the reports."""
        words = [f"stochhw {'pnr' if self.pnr else 'synth'} {self.design}",
                 f"--sweep {self.param}={','.join(_text(v) for v in self.values)}"]
        words += [f"-p {k}={_text(v)}" for k, v in self.overrides.items()]
        words.append(f"--family {self.family}")
        if self.pnr:
            words.append(f"--device {self.device} --package {self.package}")
            if self.seed != DEFAULT_SEED:
                words.append(f"--seed {self.seed}")
        return " ".join(words)


def _text(value):
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


def make_sweep(design, sweep_text, overrides=None, family="xilinx", pnr=False, device=None, package=None,
               seed=DEFAULT_SEED):
    """Parse and check a sweep completely, before any tool runs.

    Raises
    ------
    ParameterError
        Unknown design or parameter, a list parameter, a value out of range, a value given
        twice, the swept parameter also given with ``-p``, an unknown family, device or
        package (:class:`SweepError` for the sweep text itself).
    """
    spec = get_design(design)
    param, texts = parse_sweep(sweep_text)
    kind = spec.param(param).kind
    if kind == "ints":
        raise SweepError(f"--sweep cannot vary the list parameter {param!r} (its values contain commas)")
    overrides = dict(overrides or {})
    if param in overrides:
        raise SweepError(f"{param} is both swept (--sweep) and set (-p)")
    values = tuple(spec.param(param).parse(t) for t in texts)
    for i, v in enumerate(values):
        if v in values[:i]:
            raise SweepError(f"--sweep {param} repeats the value {_text(v)}")
    check_family(family)
    pnr = check_bool("pnr", pnr)
    if pnr:
        device, package = check_target(family, device, package)
    elif device is not None or package is not None:
        raise ParameterError("device and package apply to place and route only (--pnr)")
    sweep = Sweep(spec.name, param, values, overrides, family, pnr, device, package, seed)
    for value in values:
        spec.resolve(sweep.point(value))
    return sweep


def run_sweep(sweep, out_dir, jobs=2, scheduler=None, progress=sys.stderr, synth_cache=None,
              pnr_cache=None):
    """Run every point of ``sweep`` and write ``<stem>.md``, ``.csv``, ``.json``, ``.png``.

    Parameters
    ----------
    sweep : Sweep
    out_dir : path-like
    jobs : int
        Local parallel jobs (1: in this process); see :mod:`stochhw.sim.core.executor`.
    scheduler : str or None
        ``tcp://HOST:PORT`` of a Dask scheduler to run the points on.
    progress : file-like or None
        Receives one line per finished point.
    synth_cache, pnr_cache : path-like, optional
        The cache folders of :func:`stochhw.sim.flows.synth.synthesize` and
        :func:`stochhw.sim.flows.pnr.place_and_route` (default: the user's cache).

    Returns
    -------
    dict
        The report document (what ``.json`` holds).

    Raises
    ------
    stochhw.sim.core.executor.JobsFailed
        When a point failed (a tool error, or a worker that was killed): the other points
        still run, and no report is written.
    """
    order = list(range(len(sweep.values)))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sweep.values):
        # Largest points first: they take longest, and a pool should not end on one of them.
        order.sort(key=lambda i: -sweep.values[i])
    jobs_to_run = [(i, implement, (sweep.design, sweep.point(sweep.values[i]), sweep.family, sweep.pnr,
                                   sweep.device, sweep.package, sweep.seed, synth_cache, pnr_cache))
                   for i in order]
    results = {}
    with make_executor(scheduler, jobs) as executor:
        for i, (synth, placed, seconds) in run_all(
                executor, jobs_to_run, f"points of the sweep {sweep.stem}", progress=progress,
                label=lambda i: f"{sweep.design} {sweep.param}={_text(sweep.values[i])} {sweep.family}"):
            results[i] = (synth, placed)
            if progress is not None:
                cached = synth.cached and (placed is None or placed.cached)
                fit = "" if placed is None or placed.fits else " (does not fit)"
                print(f"[{len(results)}/{len(order)}] {sweep.design} {sweep.param}={_text(sweep.values[i])} "
                      f"{sweep.family}{' synth+pnr' if sweep.pnr else ''} ... {seconds:.1f} s"
                      f"{' (cached)' if cached else ''}{fit}", file=progress, flush=True)
    rows = [_row(sweep, sweep.values[i], *results[i]) for i in range(len(sweep.values))]
    doc = _document(sweep, rows, results)
    out_dir = Path(out_dir)
    # One set: a reader never sees this run's table beside the previous run's plot.
    write_set(out_dir, {
        f"{sweep.stem}.md": _markdown(sweep, doc),
        f"{sweep.stem}.csv": _csv(rows),
        f"{sweep.stem}.json": json.dumps(doc, indent=2, sort_keys=True) + "\n",
        f"{sweep.stem}.png": _png(sweep, rows),
    })
    return doc


def _json_value(value):
    return list(value) if isinstance(value, tuple) else value


def _row(sweep, value, synth, placed):
    row = {sweep.param: _json_value(value), "luts": synth.luts, "ffs": synth.ffs, "carry": synth.carry,
           "srl": synth.srl}
    if sweep.pnr:
        ok = placed.fits
        row.update({
            "pnr": "ok" if ok else f"does not fit: {placed.reason}",
            "pnr_luts": placed.luts if ok else None,
            "pnr_ffs": placed.ffs if ok else None,
            "pnr_carry": placed.carry if ok else None,
            "pnr_cells": placed.cells,
            "capacity": placed.capacity,
            "bram": placed.bram if ok else None,
            "dsp": placed.dsp if ok else None,
            "fmax_mhz": placed.fmax_mhz if ok else None,
        })
    return row


def _document(sweep, rows, results):
    fixed = get_design(sweep.design).resolve(sweep.point(sweep.values[0]))
    fixed.pop(sweep.param)
    tools = {**report_versions(), "yosys": sorted({s.yosys_version for s, _ in results.values()})}
    doc = {
        "design": sweep.design,
        "param": sweep.param,
        "values": [_json_value(v) for v in sweep.values],
        "family": sweep.family,
        "fixed": {k: _json_value(v) for k, v in sorted(fixed.items())},
        "command": sweep.command(),
        "tools": tools,
        "pnr": None,
        "rows": rows,
    }
    if sweep.pnr:
        tools["nextpnr"] = sorted({p.nextpnr_version for _, p in results.values()})
        doc["pnr"] = {"device": sweep.device, "package": sweep.package, "seed": sweep.seed,
                      "target_mhz": TARGET_MHZ[sweep.family]}
    return doc


def _cell(value):
    return "-" if value is None else str(value)


def _markdown(sweep, doc):
    tools = ", ".join(f"{k} {v}" for k, v in doc["tools"].items() if isinstance(v, str))
    tools += "; " + ", ".join(doc["tools"]["yosys"] + doc["tools"].get("nextpnr", []))
    fixed = " ".join(f"{k}={_text(tuple(v) if isinstance(v, list) else v)}" for k, v in doc["fixed"].items())
    lines = [
        f"# Sweep of `{sweep.design}` over `{sweep.param}` on {sweep.family}",
        "",
        f"Generated by `{doc['command']}`; do not edit by hand.",
        f"Tools: {tools}.",
        "",
        f"- fixed: {fixed}",
        "- synthesis: Yosys `synth_<family> -flatten` (see `sim/flows/synth.py`)",
    ]
    header = [sweep.param, "LUTs", "FFs", "carry", "SRL"]
    if sweep.pnr:
        pnr = doc["pnr"]
        lines.append(f"- place and route: nextpnr on {sweep.family} {pnr['device']} {pnr['package']}, seed "
                     f"{pnr['seed']}, target {pnr['target_mhz']} MHz, inside a register harness whose "
                     "flip-flops are not counted (see `sim/flows/pnr.py`)")
        header += ["PnR LUTs", "PnR FFs", "PnR carry", "logic cells", "BRAM", "DSP", "Fmax MHz"]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "--:|" * len(header)]
    for r in doc["rows"]:
        cells = [_text(tuple(r[sweep.param]) if isinstance(r[sweep.param], list) else r[sweep.param]),
                 *(str(r[k]) for k in ("luts", "ffs", "carry", "srl"))]
        if sweep.pnr:
            if r["pnr"] == "ok":
                cells += [str(r["pnr_luts"]), str(r["pnr_ffs"]), str(r["pnr_carry"]),
                          f"{r['pnr_cells']}/{r['capacity']}", str(r["bram"]), str(r["dsp"]),
                          f"{r['fmax_mhz']:.1f}"]
            else:
                cells += [r["pnr"], "-", "-", f"~{r['pnr_cells']}/{r['capacity']}", "-", "-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (",".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()})
    return buf.getvalue()


def _positions(sweep):
    """x positions, tick labels and whether the axis is logarithmic."""
    labels = [_text(v) for v in sweep.values]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sweep.values)
    if not numeric:
        return list(range(len(sweep.values))), labels, False
    xs = list(sweep.values)
    # Sizes swept over decades (1, 4, 16, 64) read best on a log axis.
    log = min(xs) > 0 and max(xs) / min(xs) >= 8
    return xs, labels, log


def _png(sweep, rows):
    """Resources (and Fmax) against the swept value; PNG bytes that depend only on the data."""
    from matplotlib.figure import Figure

    xs, labels, log = _positions(sweep)
    panels = 2 if sweep.pnr else 1
    fig = Figure(figsize=(4.6 * panels, 3.8), dpi=100, layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    ax = axes[0]
    for key, marker, label in (("luts", "o-", "LUTs"), ("ffs", "s-", "FFs"), ("carry", "^-", "carry")):
        ax.plot(xs, [r[key] for r in rows], marker, label=f"{label} (synthesis)")
    if sweep.pnr:
        for key, marker, label in (("pnr_luts", "o--", "LUTs"), ("pnr_ffs", "s--", "FFs")):
            points = [(x, r[key]) for x, r in zip(xs, rows) if r[key] is not None]
            if points:
                ax.plot(*zip(*points), marker, label=f"{label} (placed)")
    values = [r[k] for r in rows for k in ("luts", "ffs", "carry")]
    if log and min(values) > 0:
        ax.set_yscale("log")
    ax.set_ylabel("cells")
    ax.legend(fontsize=7, loc="upper left")
    if sweep.pnr:
        ax = axes[1]
        points = [(x, r["fmax_mhz"]) for x, r in zip(xs, rows) if r["fmax_mhz"] is not None]
        if points:
            ax.plot(*zip(*points), "o-")
        missing = [lab for lab, r in zip(labels, rows) if r["pnr"] != "ok"]
        ax.set_ylabel("Fmax after place and route (MHz)")
        if missing:
            ax.set_title(f"does not fit: {sweep.param} = {', '.join(missing)}", fontsize=8)
    for ax in axes:
        if log:
            ax.set_xscale("log")
        ax.set_xticks(xs, labels)
        ax.minorticks_off()
        ax.margins(x=0.08, y=0.15)
        ax.set_xlabel(sweep.param)
        ax.grid(True, which="major", alpha=0.3)
    title = f"{sweep.design} on {sweep.family}" + (f" ({sweep.device} {sweep.package})" if sweep.pnr else "")
    fig.suptitle(title, fontsize=10)
    buf = io.BytesIO()
    # No "Software" text chunk (it carries the matplotlib version string); Agg writes no time.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
