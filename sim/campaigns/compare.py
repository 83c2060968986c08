"""Resource comparisons: one design variant against another, swept over a parameter, per family.

A :class:`Comparison` names a baseline and a candidate (each a registered design with fixed
parameter overrides), the parameter to sweep and its values, and the FPGA families.
:func:`run_comparison` synthesizes every (value, family, side) with :func:`stochhw.sim.flows.synth.synthesize`
in parallel and writes ``<name>.md``, ``.csv``, ``.json`` and ``.png``. A comparison with
``pnr=True`` also places and routes every iCE40 and ECP5 point (:mod:`stochhw.sim.flows.pnr`, default
devices) and its reports gain the post-layout LUT/FF/carry counts and Fmax. The jobs run
through :mod:`stochhw.sim.core.executor`: local processes or a Dask cluster, with the same results. The
files are deterministic: the same tools give the same bytes, so committed reports diff cleanly.

Built-in comparisons are one more :class:`~stochhw.sim.core.comparison.Comparison` entry in
the ``COMPARISONS`` of a topic module (``sim/designs/<topic>.py``). A user's own comparison is
planned from the command line's words by :func:`plan_comparison` (``stochhw compare --baseline
"DESIGN K=V ..." --candidate "DESIGN K=V ..." --sweep PARAM=V1,V2,...``): its name carries a
short hash of those words, so two different comparisons never share files, and its markdown
names the command that regenerates it. :func:`regeneration` says, for any comparison, which
command regenerates it, and says so only when that command really does.

A comparison never overwrites report files that another comparison (or anything else) wrote:
:func:`check_outputs_free` refuses before any tool runs.
"""

import dataclasses
import hashlib
import json
import shlex
import sys
import typing
from pathlib import Path

from stochhw.models.checks import ParameterError, check_int
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.design import params_text
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
from stochhw.sim.core.targets import DEFAULT_SEED, DEFAULT_TARGETS, FAMILIES, PNR_FAMILIES, TARGET_MHZ
from stochhw.sim.designs import COMPARISONS, get_design
from stochhw.sim.flows.pnr import implement

__all__ = ["run_comparison", "report_versions", "plan_comparison", "parse_side", "parse_sweep", "SweepError",
           "regeneration", "check_outputs_free", "short_hash", "REPORT_EXTENSIONS", "CUSTOM_DIR"]

#: The files every comparison and sweep writes, ``<name>.<ext>``.
REPORT_EXTENSIONS = ("md", "csv", "json", "png")

#: Default output folder of a user's own comparison (built-in ones go to ``synth_reports/``).
CUSTOM_DIR = Path("build/comparisons")


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


def short_hash(obj):
    """8 hex digits of the SHA-256 of ``obj`` as canonical JSON: the tag of a report's name."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:8]


def _value_text(value):
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def parse_side(text, flag="--baseline"):
    """``"DESIGN K=V ..."`` -> ``(design, {K: value})``, values parsed and checked.

    Raises
    ------
    ParameterError
        No design, an unknown design or parameter, a word that is not ``K=V``, a parameter
        given twice, or a value the design refuses (``flag`` names the option in the message).
    """
    words = str(text).split()
    if not words:
        raise ParameterError(f"{flag} needs \"DESIGN K=V ...\", not {text!r}")
    design = get_design(words[0])
    params = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ParameterError(f"{flag} {text!r}: expected K=V after the design, not {word!r}")
        if key in params:
            raise ParameterError(f"{flag} {text!r}: {key} given twice")
        params[key] = design.param(key).parse(value)
    design.resolve(params)
    return design.name, params


def plan_comparison(baseline, candidate, sweep, families=FAMILIES, pnr=False, output=None):
    """A user's own :class:`Comparison` from the words of ``stochhw compare --baseline ...``.

    Parameters
    ----------
    baseline, candidate : str
        ``"DESIGN K=V ..."``: a registered design and fixed parameters.
    sweep : str
        ``"PARAM=V1,V2,..."``: an integer parameter both sides take, values >= 1.
    families : tuple of str
        FPGA families (:data:`stochhw.sim.core.targets.FAMILIES`).
    pnr : bool
        Also place and route the iCE40 and ECP5 points.
    output : str or None
        The ``-o`` folder as the user typed it, named in the regeneration command (None: the
        default, :data:`CUSTOM_DIR`).

    Returns
    -------
    Comparison
        Named ``<baseline design>_vs_<candidate design>_<param>_<hash>``, the hash covering
        every word above except ``output``; its ``command`` is the command that regenerates it.

    Raises
    ------
    ParameterError
        Anything :func:`parse_side` and :func:`parse_sweep` refuse; a sweep parameter that is not
        an integer or that a side also sets; a value below 1 or given twice; identical sides.
    """
    b_design, b_params = parse_side(baseline, "--baseline")
    c_design, c_params = parse_side(candidate, "--candidate")
    param, texts = parse_sweep(sweep)
    for design in (b_design, c_design):
        kind = get_design(design).param(param).kind
        if kind != "int":
            raise SweepError(f"--sweep {param}: a comparison sweeps an integer parameter ({param} of "
                             f"{design} is {kind})")
    values = tuple(get_design(b_design).param(param).parse(t) for t in texts)
    families = tuple(families)
    labels = [" ".join([d, *(f"{k}={_value_text(v)}" for k, v in p.items())])
              for d, p in ((b_design, b_params), (c_design, c_params))]
    if labels[0] == labels[1]:
        raise ParameterError(f"--baseline and --candidate are the same ({labels[0]!r})")
    words = ["stochhw compare", "--baseline", shlex.quote(labels[0]), "--candidate", shlex.quote(labels[1]),
             "--sweep", f"{param}={','.join(map(str, values))}", "--family", ",".join(families)]
    if pnr:
        words.append("--pnr")
    tag = short_hash(" ".join(words))
    if output is not None:
        words += ["-o", shlex.quote(str(output))]
    comp = Comparison(
        name=f"{b_design}_vs_{c_design}_{param}_{tag}",
        title=f"{labels[0]} against {labels[1]}, over {param}",
        baseline=Side(labels[0], b_design, b_params), candidate=Side(labels[1], c_design, c_params),
        sweep=param, values=values, families=families, pnr=pnr, command=f"`{' '.join(words)}`")
    for side in ("baseline", "candidate"):
        design = get_design(comp.sides()[side].design)
        for value in values:
            design.resolve(comp.overrides(side, value))
    return comp


def regeneration(comp):
    """Markdown text naming the command that regenerates ``comp``'s reports.

    ``comp.command`` when it has one (:func:`plan_comparison` sets it); ``stochhw compare NAME``
    for a built-in comparison exactly as registered; otherwise no command would give the same
    files, and the text says the Python API made them.
    """
    if comp.command:
        return comp.command
    if COMPARISONS.get(comp.name) == comp:
        return f"`stochhw compare {comp.name}` (also run by `make reports`)"
    return ("the Python API (`stochhw.sim.campaigns.compare.run_comparison`), from a comparison that no "
            "`stochhw` command makes")


def check_outputs_free(out_dir, stem, same):
    """Refuse to overwrite ``<stem>.{md,csv,json,png}`` in ``out_dir`` unless they are ours.

    Parameters
    ----------
    out_dir : path-like
    stem : str
    same : callable
        ``same(doc)`` says whether the existing ``<stem>.json``, parsed, is a report of the very
        comparison or sweep about to be written (then it is regenerated in place).

    Raises
    ------
    ParameterError
        If ``<stem>.json`` holds another report or is not a report, or another file of the set
        exists without it.
    """
    out_dir = Path(out_dir)
    report = out_dir / f"{stem}.json"
    if report.exists():
        try:
            doc = json.loads(report.read_text())
        except (OSError, ValueError):
            doc = None
        if not isinstance(doc, dict) or not same(doc):
            raise ParameterError(f"{report} holds a different report; it is not overwritten (remove it or "
                                 f"choose another -o)")
        return
    for ext in REPORT_EXTENSIONS:
        other = out_dir / f"{stem}.{ext}"
        if other.exists():
            raise ParameterError(f"{other} exists and was not written by this run; it is not overwritten "
                                 f"(remove it or choose another -o)")


def _identity(doc):
    """What makes a comparison report that comparison: both sides' designs and params, the sweep."""
    return [[doc[side]["design"], doc[side]["params"]] for side in ("baseline", "candidate")] + [doc["sweep"]]


def _same_comparison(comp):
    mine = _identity(json.loads(json.dumps({"baseline": dataclasses.asdict(comp.baseline),
                                            "candidate": dataclasses.asdict(comp.candidate),
                                            "sweep": comp.sweep})))

    def same(doc):
        try:
            return doc.get("name") == comp.name and _identity(doc) == mine
        except (KeyError, TypeError):
            return False
    return same

class _Task(typing.NamedTuple):
    """One job of a comparison: a side at one sweep value on one family (+ place and route)."""
    value: int
    family: str
    side: str
    design: str
    overrides: dict
    pnr: bool


def run_comparison(comp, out_dir, jobs=2, progress=sys.stderr, cache_dir=None, scheduler=None,
                   pnr_cache_dir=None):
    """Synthesize (and place and route) every point of ``comp``; write its four report files.

    Parameters
    ----------
    comp : Comparison
    out_dir : path-like
        Where ``<name>.md``, ``.csv``, ``.json`` and ``.png`` go.
    jobs : int
        Parallel local jobs (1 runs everything in this process); see :mod:`stochhw.sim.core.executor`.
    progress : file-like or None
        Receives one line per finished job.
    cache_dir : path-like, optional
        Synthesis cache folder (see :func:`stochhw.sim.flows.synth.synthesize`).
    scheduler : str or None
        ``tcp://HOST:PORT`` of a Dask scheduler to run the jobs on instead.
    pnr_cache_dir : path-like, optional
        Place-and-route cache folder (see :func:`stochhw.sim.flows.pnr.place_and_route`).

    Returns
    -------
    list of dict
        The table rows, as written to the CSV and JSON.

    Raises
    ------
    stochhw.sim.core.executor.JobsFailed
        When a job failed (a tool error, or a worker that was killed): the other jobs still
        run, and the four files are left as they were.
    """
    jobs = check_int("jobs", jobs, lo=1)
    check_outputs_free(out_dir, comp.name, _same_comparison(comp))
    # Validate every point before starting any tool: a bad parameter fails in a second.
    tasks = []
    for side, spec in comp.sides().items():
        design = get_design(spec.design)
        for value in comp.values:
            overrides = comp.overrides(side, value)
            design.resolve(overrides)
            tasks += [_Task(value, family, side, spec.design, overrides, comp.placed(value, family))
                      for family in comp.families]
    # Largest points first: they take longest, and a pool should not end on one of them.
    tasks.sort(key=lambda t: -t.value)

    results, placed = {}, {}

    def record(task, result, pnr_result, seconds):
        results[task.value, task.family, task.side] = result
        if pnr_result is not None:
            placed[task.value, task.family, task.side] = pnr_result
        if progress is not None:
            cached = result.cached and (pnr_result is None or pnr_result.cached)
            what = " synth+pnr" if task.pnr else ""
            fit = "" if pnr_result is None or pnr_result.fits else " (does not fit)"
            print(f"[{len(results)}/{len(tasks)}] {task.design} {comp.sweep}={task.value} "
                  f"{task.family} {task.side}{what} ... {seconds:.1f} s{' (cached)' if cached else ''}{fit}",
                  file=progress, flush=True)

    jobs_to_run = [(task, implement, (task.design, task.overrides, task.family, task.pnr, None, None,
                                      DEFAULT_SEED, cache_dir, pnr_cache_dir))
                   for task in tasks]
    with make_executor(scheduler, jobs) as executor:
        for task, outcome in run_all(executor, jobs_to_run, f"jobs of comparison {comp.name}", progress=progress,
                                     label=lambda t: f"{t.design} {comp.sweep}={t.value} {t.family} {t.side}"):
            record(task, *outcome)

    rows = _rows(comp, results, placed)
    yosys_versions = sorted({r.yosys_version for r in results.values()})
    nextpnr_versions = sorted({r.nextpnr_version for r in placed.values()})
    _write_reports(comp, rows, yosys_versions, Path(out_dir), nextpnr_versions)
    return rows


def _saving(base, cand):
    """Percent saved by the candidate, 1 decimal; None when the baseline uses none."""
    return round((base - cand) / base * 100, 1) if base else None


def _change(base, cand):
    """Percent change from baseline to candidate, 1 decimal; None when either is missing."""
    return round((cand - base) / base * 100, 1) if base and cand is not None else None


def _pnr_status(result):
    if result is None:
        return "n/a"
    return "ok" if result.fits else f"does not fit: {result.reason}"


def _pnr_columns(base, cand):
    """The place-and-route columns of one row (None where there is no layout)."""
    def side(prefix, r):
        ok = r is not None and r.fits
        return {
            f"{prefix}_pnr": _pnr_status(r),
            f"{prefix}_pnr_luts": r.luts if ok else None,
            f"{prefix}_pnr_ffs": r.ffs if ok else None,
            f"{prefix}_pnr_carry": r.carry if ok else None,
            f"{prefix}_pnr_cells": r.cells if r is not None else None,
            f"{prefix}_fmax_mhz": r.fmax_mhz if ok else None,
        }
    both = base is not None and cand is not None and base.fits and cand.fits
    device = f"{base.device} {base.package}" if base is not None else None
    return {
        "pnr_device": device,
        **side("baseline", base),
        **side("candidate", cand),
        "pnr_lut_saving_pct": _saving(base.luts, cand.luts) if both else None,
        "pnr_ff_saving_pct": _saving(base.ffs, cand.ffs) if both else None,
        "fmax_change_pct": _change(base.fmax_mhz, cand.fmax_mhz) if both else None,
    }


def _rows(comp, results, placed=None):
    placed = placed or {}
    # Block and distributed RAM columns only where a side has memories, so that the reports
    # of logic-only comparisons keep their columns.
    memories = any(r.bram or r.lutram for r in results.values())
    rows = []
    for family in comp.families:
        for value in comp.values:
            base, cand = results[value, family, "baseline"], results[value, family, "candidate"]
            row = {
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
            }
            if memories:
                row.update({"baseline_bram": base.bram, "baseline_lutram": base.lutram,
                            "candidate_bram": cand.bram, "candidate_lutram": cand.lutram})
            if comp.pnr:
                row.update(_pnr_columns(placed.get((value, family, "baseline")),
                                        placed.get((value, family, "candidate"))))
            rows.append(row)
    return rows


def _pct(value):
    """A percentage the rows already hold (one decimal), ``n/a`` where there is none."""
    return number(value, 1)


def _versions_line(yosys_versions):
    tools = ", ".join(f"{name} {v}" for name, v in report_versions().items())
    return f"{tools}; {', '.join(yosys_versions)}"


def _side_line(comp, side):
    spec = comp.sides()[side]
    fixed = get_design(spec.design).resolve(comp.overrides(side, comp.values[0]))
    fixed.pop(comp.sweep)
    return f"- {side}: **{spec.label}**: `{spec.design}` {params_text(dict(sorted(fixed.items())))}"


def _markdown(comp, rows, yosys_versions, nextpnr_versions=()):
    lines = [
        f"# {comp.title}",
        "",
        f"Generated by {regeneration(comp)}; do not edit by hand.",
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
        *table(["family", comp.sweep, "baseline LUTs", "baseline FFs", "baseline carry",
                "candidate LUTs", "candidate FFs", "candidate carry", "LUT saving %", "FF saving %"],
               "l" + "r" * 9,
               ([r["family"], r[comp.sweep], r["baseline_luts"], r["baseline_ffs"],
                 r["baseline_carry"], r["candidate_luts"], r["candidate_ffs"], r["candidate_carry"],
                 _pct(r["lut_saving_pct"]), _pct(r["ff_saving_pct"])] for r in rows)),
    ]
    if rows and "baseline_bram" in rows[0]:
        lines += ["", "Memories: block RAMs (xilinx: RAMB36E1, a RAMB18E1 counting 0.5; ice40: "
                  "SB_RAM40_4K; ecp5: DP16KD/PDPW16KD) and distributed-RAM cells.", "",
                  *table(["family", comp.sweep, "baseline BRAM", "baseline LUTRAM cells",
                          "candidate BRAM", "candidate LUTRAM cells"], "lrrrrr",
                         ([r["family"], r[comp.sweep], f"{r['baseline_bram']:g}", r["baseline_lutram"],
                           f"{r['candidate_bram']:g}", r["candidate_lutram"]] for r in rows))]
    if comp.pnr:
        lines += _pnr_markdown(comp, rows, nextpnr_versions)
    return "\n".join(lines) + "\n"


def _pnr_families(comp):
    return [f for f in comp.families if f in PNR_FAMILIES]


def _pnr_setup(comp):
    """Device, package, seed and timing target of each placed family (for the reports)."""
    return {f: {"device": DEFAULT_TARGETS[f][0], "package": DEFAULT_TARGETS[f][1], "seed": DEFAULT_SEED,
                "target_mhz": TARGET_MHZ[f]} for f in _pnr_families(comp)}


def _pnr_markdown(comp, rows, nextpnr_versions):
    setup = "; ".join(f"{f} {s['device']} {s['package']} (target {s['target_mhz']} MHz)"
                      for f, s in _pnr_setup(comp).items())
    lines = [
        "",
        "## Place and route",
        "",
        f"nextpnr ({', '.join(nextpnr_versions)}), seed {DEFAULT_SEED}: {setup}; ECP5 speed grade 6. "
        "The block is placed inside a register harness (a flip-flop on every input and output bit, "
        "see `sim/flows/pnr.py`) whose flip-flops are not counted. iCE40 LUTs include the pass-through "
        "LUTs of flip-flops not fed by a LUT (each iCE40 flip-flop sits in a logic cell); carry "
        "counts include the cells nextpnr adds to start and end chains; ECP5 carry counts `CCU2C` "
        "pairs. Fmax is nextpnr's achieved maximum frequency of `clk` (register to register, "
        "harness included). Change = (candidate - baseline) / baseline. Xilinx: no open place and "
        "route here.",
        "",
    ]

    def side(r, prefix):
        if r[f"{prefix}_pnr"] != "ok":
            return [r[f"{prefix}_pnr"], "-", "-", "-"]
        return [r[f"{prefix}_pnr_luts"], r[f"{prefix}_pnr_ffs"], r[f"{prefix}_pnr_carry"],
                number(r[f"{prefix}_fmax_mhz"], 1)]

    return lines + table(
        ["family", comp.sweep, "baseline LUTs", "baseline FFs", "baseline carry", "baseline Fmax MHz",
         "candidate LUTs", "candidate FFs", "candidate carry", "candidate Fmax MHz", "LUT saving %",
         "Fmax change %"], "l" + "r" * 11,
        ([r["family"], r[comp.sweep], *side(r, "baseline"), *side(r, "candidate"),
          _pct(r["pnr_lut_saving_pct"]), _pct(r["fmax_change_pct"])]
         for r in rows if r["family"] in PNR_FAMILIES))


def _csv(rows):
    return csv_text(rows, lambda key, value: _pct(value) if key.endswith("_pct") else value)


def _json(comp, rows, yosys_versions, nextpnr_versions=()):
    doc = {
        "name": comp.name,
        "title": comp.title,
        "sweep": comp.sweep,
        "values": list(comp.values),
        "families": list(comp.families),
        "baseline": dataclasses.asdict(comp.baseline),
        "candidate": dataclasses.asdict(comp.candidate),
        "tools": {**report_versions(), "yosys": yosys_versions},
        "rows": rows,
    }
    if comp.pnr:
        doc["tools"]["nextpnr"] = list(nextpnr_versions)
        doc["pnr"] = _pnr_setup(comp)
    return json_text(doc)


def _png(comp, rows):
    """LUTs against the sweep value, one subplot per family; PNG bytes that depend only on data."""
    if comp.pnr:
        fig = figure(4.2 * len(comp.families), 7.2)
        grid = fig.subplots(2, len(comp.families), squeeze=False)
        axes = grid[0]
        _plot_fmax(comp, rows, grid[1])
    else:
        fig = figure(4.2 * len(comp.families), 3.8)
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
    return png_bytes(fig)


def _plot_fmax(comp, rows, axes):
    """Second row of a place-and-route comparison's figure: Fmax against the sweep value."""
    for ax, family in zip(axes, comp.families):
        ax.set_title(f"{family}: Fmax after place and route")
        if family not in PNR_FAMILIES:
            ax.text(0.5, 0.5, "no open place and route", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        fam_rows = [r for r in rows if r["family"] == family]
        for prefix, marker, label in (("baseline", "o-", comp.baseline.label),
                                      ("candidate", "s-", comp.candidate.label)):
            points = [(r[comp.sweep], r[f"{prefix}_fmax_mhz"]) for r in fam_rows
                      if r[f"{prefix}_fmax_mhz"] is not None]
            if points:
                ax.plot(*zip(*points), marker, label=label)
        xs = [r[comp.sweep] for r in fam_rows]
        ax.set_xscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.minorticks_off()
        ax.margins(x=0.08, y=0.15)
        missing = [str(r[comp.sweep]) for r in fam_rows if r["baseline_pnr"] != "ok" or r["candidate_pnr"] != "ok"]
        note = f" (does not fit: {', '.join(missing)})" if missing else ""
        ax.set_xlabel(f"{comp.sweep}{note}")
        ax.set_ylabel("Fmax (MHz)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")


def _write_reports(comp, rows, yosys_versions, out_dir, nextpnr_versions=()):
    """``<name>.md``, ``.csv``, ``.json`` and ``.png`` of a comparison, as one set: the one
    place they are written."""
    return write_report(out_dir, {
        f"{comp.name}.md": _markdown(comp, rows, yosys_versions, nextpnr_versions),
        f"{comp.name}.csv": _csv(rows),
        f"{comp.name}.json": _json(comp, rows, yosys_versions, nextpnr_versions),
        f"{comp.name}.png": _png(comp, rows)})
