"""Parameter sweeps: one design synthesized (and placed and routed) at every value of one parameter.

``stochhw synth DESIGN --sweep PARAM=V1,V2,... [-p K=V]... [--family F[,F...]] [--pnr]`` (or
``stochhw pnr DESIGN --sweep ...``) builds one :class:`Sweep` per family (:func:`make_sweeps`),
runs every point of all of them as jobs of :func:`stochhw.sim.flows.pnr.implement` through
:mod:`stochhw.sim.core.executor` (local processes, or a Dask cluster with ``--scheduler
tcp://HOST:PORT``), reuses the synthesis and place-and-route caches, and writes, per family,
one table (``.md``, ``.csv``, ``.json``) and one plot (``.png``) into the output folder, named
``<design>_<param>_<family>[_pnr]_<hash>``. The hash (:attr:`Sweep.stem`) covers everything
that shapes the results (the values, every fixed parameter with the defaults filled in, the
place-and-route target), so two different sweeps never share files, and a file another sweep
wrote is never overwritten (:func:`stochhw.sim.campaigns.compare.check_outputs_free`). The
files depend only on the results, so they are byte-identical whichever executor ran the jobs.

``--sweep`` takes one parameter and a comma-separated list of values (the form ``-p
lanes=1,4,16`` is not used for sweeps because list parameters such as ``taps`` already take
commas there). List parameters cannot be swept.
"""

import dataclasses
import sys
from pathlib import Path

from stochhw.models.checks import ParameterError, check_bool
from stochhw.sim.campaigns.compare import SweepError, check_outputs_free, parse_sweep, short_hash
from stochhw.sim.core.design import params_text, value_text
from stochhw.sim.core.executor import make_executor, run_all
from stochhw.sim.core.reportkit import (
    csv_text,
    figure,
    json_text,
    number,
    png_bytes,
    report_versions,
    table,
    write_report,
)
from stochhw.sim.core.targets import DEFAULT_SEED, TARGET_MHZ, check_family, check_target
from stochhw.sim.designs import get_design
from stochhw.sim.flows.pnr import implement

__all__ = ["Sweep", "parse_sweep", "make_sweep", "make_sweeps", "run_sweep", "run_sweeps", "SweepError"]


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

    def fixed(self):
        """Every parameter but the swept one, defaults filled in (as JSON values)."""
        params = get_design(self.design).resolve(self.point(self.values[0]))
        params.pop(self.param)
        return {k: _json_value(v) for k, v in sorted(params.items())}

    def identity(self):
        """What makes the results these: design, values, fixed parameters, family and target."""
        pnr = {"device": self.device, "package": self.package, "seed": self.seed} if self.pnr else None
        return {"design": self.design, "param": self.param, "values": [_json_value(v) for v in self.values],
                "fixed": self.fixed(), "family": self.family, "pnr": pnr}

    @property
    def stem(self):
        """File stem of the reports: ``<design>_<param>_<family>[_pnr]_<hash of identity()>``."""
        return f"{self.design}_{self.param}_{self.family}{'_pnr' if self.pnr else ''}_{short_hash(self.identity())}"

    def point(self, value):
        """Parameter overrides of the point at ``value``."""
        return {**self.overrides, self.param: value}

    def command(self):
        """The ``stochhw`` command that regenerates the reports."""
        words = [f"stochhw {'pnr' if self.pnr else 'synth'} {self.design}",
                 f"--sweep {self.param}={','.join(value_text(v) for v in self.values)}"]
        words += [f"-p {k}={value_text(v)}" for k, v in self.overrides.items()]
        words.append(f"--family {self.family}")
        if self.pnr:
            words.append(f"--device {self.device} --package {self.package}")
            if self.seed != DEFAULT_SEED:
                words.append(f"--seed {self.seed}")
        return " ".join(words)


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
            raise SweepError(f"--sweep {param} repeats the value {value_text(v)}")
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


def make_sweeps(design, sweep_text, overrides=None, families=("xilinx",), pnr=False, device=None, package=None,
                seed=DEFAULT_SEED):
    """One checked :class:`Sweep` per family in ``families`` (see :func:`make_sweep`).

    Raises
    ------
    ParameterError
        As :func:`make_sweep`; also ``device`` or ``package`` with several families (each
        family has its own parts).
    """
    families = tuple(families)
    if len(families) > 1 and (device is not None or package is not None):
        raise ParameterError("--device and --package name one family's part; give a single --family with them")
    return [make_sweep(design, sweep_text, overrides, family, pnr, device, package, seed) for family in families]


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
    ParameterError
        If ``out_dir`` holds files of that stem that another sweep (or anything else) wrote;
        checked before any tool runs.
    stochhw.sim.core.executor.JobsFailed
        When a point failed (a tool error, or a worker that was killed): the other points
        still run, and no report is written.
    """
    return run_sweeps([sweep], out_dir, jobs, scheduler, progress, synth_cache, pnr_cache)[0]


def run_sweeps(sweeps, out_dir, jobs=2, scheduler=None, progress=sys.stderr, synth_cache=None,
               pnr_cache=None):
    """:func:`run_sweep` for several sweeps (one per family, say) in one pool of jobs.

    Returns
    -------
    list of dict
        The report documents, in the order of ``sweeps``.
    """
    out_dir = Path(out_dir)
    for sweep in sweeps:
        check_outputs_free(out_dir, sweep.stem, lambda doc, sweep=sweep: _identity(doc) == sweep.identity())
    tasks = [(s, i) for s, sweep in enumerate(sweeps) for i in range(len(sweep.values))]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for sweep in sweeps for v in sweep.values):
        # Largest points first: they take longest, and a pool should not end on one of them.
        tasks.sort(key=lambda t: -sweeps[t[0]].values[t[1]])
    jobs_to_run = [((s, i), implement, (sweeps[s].design, sweeps[s].point(sweeps[s].values[i]), sweeps[s].family,
                                        sweeps[s].pnr, sweeps[s].device, sweeps[s].package, sweeps[s].seed,
                                        synth_cache, pnr_cache))
                   for s, i in tasks]
    results = {}
    with make_executor(scheduler, jobs) as executor:
        for (s, i), (synth, placed, seconds) in run_all(
                executor, jobs_to_run, "points of the sweep", progress=progress,
                label=lambda key: f"{sweeps[key[0]].design} {sweeps[key[0]].param}="
                                  f"{value_text(sweeps[key[0]].values[key[1]])} {sweeps[key[0]].family}"):
            results[s, i] = (synth, placed)
            if progress is not None:
                sweep = sweeps[s]
                cached = synth.cached and (placed is None or placed.cached)
                fit = "" if placed is None or placed.fits else " (does not fit)"
                print(f"[{len(results)}/{len(tasks)}] {sweep.design} "
                      f"{sweep.param}={value_text(sweep.values[i])} "
                      f"{sweep.family}{' synth+pnr' if sweep.pnr else ''} ... {seconds:.1f} s"
                      f"{' (cached)' if cached else ''}{fit}", file=progress, flush=True)
    docs = []
    for s, sweep in enumerate(sweeps):
        mine = {i: results[s, i] for i in range(len(sweep.values))}
        rows = [_row(sweep, sweep.values[i], *mine[i]) for i in range(len(sweep.values))]
        doc = _document(sweep, rows, mine)
        _write_reports(sweep, doc, rows, out_dir)
        docs.append(doc)
    return docs


def _identity(doc):
    """:meth:`Sweep.identity` of the sweep whose report ``doc`` is."""
    pnr = doc.get("pnr")
    pnr = {k: pnr.get(k) for k in ("device", "package", "seed")} if isinstance(pnr, dict) else None
    return {**{k: doc.get(k) for k in ("design", "param", "values", "fixed", "family")}, "pnr": pnr}


def _write_reports(sweep, doc, rows, out_dir):
    """A sweep's four files, as one set: the one place they are written."""
    return write_report(out_dir, {f"{sweep.stem}.md": _markdown(sweep, doc), f"{sweep.stem}.csv": _csv(rows),
                                  f"{sweep.stem}.json": json_text(doc), f"{sweep.stem}.png": _png(sweep, rows)})


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
    tools = {**report_versions(), "yosys": sorted({s.yosys_version for s, _ in results.values()})}
    doc = {
        "design": sweep.design,
        "param": sweep.param,
        "values": [_json_value(v) for v in sweep.values],
        "family": sweep.family,
        "fixed": sweep.fixed(),
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


def _markdown(sweep, doc):
    tools = ", ".join(f"{k} {v}" for k, v in doc["tools"].items() if isinstance(v, str))
    tools += "; " + ", ".join(doc["tools"]["yosys"] + doc["tools"].get("nextpnr", []))
    fixed = params_text(doc["fixed"])
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

    def cells(r):
        yield value_text(r[sweep.param])
        yield from (r[k] for k in ("luts", "ffs", "carry", "srl"))
        if sweep.pnr and r["pnr"] == "ok":
            yield from (r["pnr_luts"], r["pnr_ffs"], r["pnr_carry"],
                        f"{r['pnr_cells']}/{r['capacity']}", r["bram"], r["dsp"],
                        number(r["fmax_mhz"], 1))
        elif sweep.pnr:
            yield from (r["pnr"], "-", "-", f"~{r['pnr_cells']}/{r['capacity']}", "-", "-", "-")

    lines += ["", *table(header, "r" * len(header), (list(cells(r)) for r in doc["rows"]))]
    return "\n".join(lines) + "\n"


def _csv(rows):
    return csv_text(rows, lambda key, value: value_text(value) if isinstance(value, list) else value)


def _positions(sweep):
    """x positions, tick labels and whether the axis is logarithmic."""
    labels = [value_text(v) for v in sweep.values]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sweep.values)
    if not numeric:
        return list(range(len(sweep.values))), labels, False
    xs = list(sweep.values)
    # Sizes swept over decades (1, 4, 16, 64) read best on a log axis.
    log = min(xs) > 0 and max(xs) / min(xs) >= 8
    return xs, labels, log


def _png(sweep, rows):
    """Resources (and Fmax) against the swept value; PNG bytes that depend only on the data."""
    xs, labels, log = _positions(sweep)
    panels = 2 if sweep.pnr else 1
    fig = figure(4.6 * panels, 3.8)
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
    return png_bytes(fig)
