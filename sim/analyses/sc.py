"""``stochhw analyze`` topics of the stochastic-computing datapath and SC-ANN experiments (``sc``).

``stochhw analyze sc [--json] [--quick] [--out DIR] [--mnist DIR] [-j N] [--scheduler URL]``
runs :func:`stochhw.sim.analyses.sc_experiments.run_experiments` and writes into ``--out`` (default
``reports/sc/``):

* ``sc.md``: setup, the quantized sigmoid tables, accuracy tables per bitstream source
  (Method 1 and Method 2, every QL, L and depth), the paper's numbers side by side, and the
  SC multiplication RMSE table;
* ``sc.json``: everything in the tables (schema below);
* ``accuracy.png``: accuracy against bitstream length, like the paper's Fig. 6;
* ``rmse.png``: multiplication RMSE against stream length, with the theory.

:func:`stochhw.sim.analyses.sc_experiments.run_experiments` computes, :func:`report_files`
renders, :func:`run` runs both.

The same code and seed give the same bytes (no timings in the files; PNGs without a
software tag). ``--json`` prints the JSON instead of the markdown. ``--seed N`` makes the
training seeds N, N+1, ... and seeds the multiplication study. ``--quick`` runs a smoke
plan in seconds (2 epochs on a few hundred samples, one length). ``--mnist DIR`` uses the
user's MNIST IDX files with the paper's topologies (:data:`stochhw.sim.analyses.sc_experiments.MNIST_PLAN`).

JSON schema (``sc.json``)
    ``plan``: the :class:`stochhw.sim.analyses.sc_experiments.Plan` fields; ``data``: name, sample counts,
    inputs; ``sigmoid_tables``: per QL, ``states`` (the distinct outputs), ``distinct_outputs``,
    ``change_points`` (pre-activations where the output steps up), ``level_values`` and
    ``encoded`` (per source, the bipolar value each state is carried as); ``accuracy``: one row
    per (hidden_layers, levels, method, source, length) with ``accuracy`` (mean over seeds,
    fraction), ``std``, ``per_seed`` and, for Method 2, ``accuracy_without_sc``; Method 1's
    row with ``source: null`` is inference without SC; ``multiplication``: ``lengths`` and per
    case ``rmse``, ``bias`` and (independent cases) ``theory``; ``paper``: the paper's numbers.

"""

import dataclasses
import sys

from stochhw.sim.analyses.sc_experiments import (
    DIGITS_PLAN,
    MNIST_PLAN,
    MNIST_QUICK_PLAN,
    QUICK_PLAN,
    run_experiments,
)
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.reportkit import (
    figure,
    json_text,
    percent,
    plus_minus,
    png_bytes,
    table,
    write_report,
)

__all__ = ["sc_markdown", "accuracy_png", "rmse_png", "report_files", "run"]

_SOURCE_LABELS = {"smtj": "s-MTJ bitstreams", "lfsr": "LFSR comparators", "ideal": "ideal"}
_CASE_LABELS = {
    "smtj": "independent s-MTJ",
    "ideal": "independent ideal",
    "lfsr": "LFSR, distinct seeds",
    "shared-uniform": "shared uniform source",
}


def _case_label(name):
    if name.startswith("lfsr-shift-"):
        k = int(name.rsplit("-", 1)[1])
        return "one LFSR, same numbers" if k == 0 else f"one LFSR, shifted {k} cycle{'s' * (k > 1)}"
    return _CASE_LABELS[name]


def _pct(x):
    return percent(x, 1)


def _values(values, spec):
    """A list of numbers as one cell: ``0, 0.5, 1``."""
    return ", ".join(format(v, spec) for v in values)


def _accuracy_rows(plan, rows, source):
    """Cells of the accuracy table of one source: per depth and QL, Method 1 and Method 2."""
    lengths = plan["lengths"]
    for t in plan["topologies"]:
        h = t["hidden_layers"]
        for ql in plan["levels"]:
            exact = rows[(h, ql, 1, None, None)]
            yield [h, ql, 1, plus_minus(exact["accuracy"], exact["std"], 1, scale=100),
                   *(_pct(rows[(h, ql, 1, source, n)]["accuracy"]) for n in lengths)]
            yield [h, ql, 2, "", *(f"{_pct(rows[(h, ql, 2, source, n)]['accuracy'])} "
                                   f"({_pct(rows[(h, ql, 2, source, n)]['accuracy_without_sc'])})"
                                   for n in lengths)]


def _rows(result):
    return {(r["hidden_layers"], r["levels"], r["method"], r["source"], r["length"]): r
            for r in result["accuracy"]}


def _topology_text(plan):
    return " and ".join(f"{'-'.join(map(str, t['layers']))} ({t['hidden_layers']} hidden)"
                        for t in plan["topologies"])


def _comparison_lines(result):
    """Method 2 against Method 1, and the paper's numbers against this run's."""
    plan = result["plan"]
    rows = _rows(result)
    lines = []
    for source in plan["sources"]:
        wins = total = 0
        for t in plan["topologies"]:
            for ql in plan["levels"]:
                for n in plan["lengths"]:
                    m1 = rows[(t["hidden_layers"], ql, 1, source, n)]["accuracy"]
                    m2 = rows[(t["hidden_layers"], ql, 2, source, n)]["accuracy"]
                    wins += m2 > m1
                    total += 1
        lines.append(f"- {_SOURCE_LABELS[source]}: Method 2 is more accurate than Method 1 in "
                     f"{wins} of {total} (depth, QL, L) configurations.")
    return lines


def _paper_table(result):
    plan = result["plan"]
    rows = _rows(result)
    source = "smtj" if "smtj" in plan["sources"] else plan["sources"][0]
    depths = {t["hidden_layers"] for t in plan["topologies"]}
    rows_out = []
    for item in result["paper"]["results"]:
        h, n = item["hidden_layers"], item["length"]
        if h not in depths:
            continue
        if n in plan["lengths"]:
            best = max((rows[(h, ql, 2, source, n)]["accuracy"], ql) for ql in plan["levels"])
            here = f"{_pct(best[0])} (QL={best[1]})"
        else:
            here = "not run"
        rows_out.append([f"{h} hidden, L = {n}: {item['note']}", f"{item['accuracy']:.2f}", here])
    for h in sorted(depths):
        best = max((rows[(h, ql, 2, source, n)]["accuracy"], ql, n)
                   for ql in plan["levels"] for n in plan["lengths"])
        rows_out.append([f"{h} hidden, best of the grid", "",
                         f"{_pct(best[0])} (QL={best[1]}, L={best[2]})"])
    return table(["paper (MNIST, s-MTJ, training with SC)", "paper",
                  f"here ({result['data']['name']}, {_SOURCE_LABELS[source]}, Method 2, best QL)"],
                 "lrr", rows_out)


def sc_markdown(result):
    """The ``sc.md`` report of a :func:`stochhw.sim.analyses.sc_experiments.run_experiments` result."""
    plan, data = result["plan"], result["data"]
    rows = _rows(result)
    lrs = ", ".join(f"{v} ({k} hidden)" for k, v in plan["learning_rates"].items())
    lines = [
        "# Quantized stochastic-computing ANN: training and SC inference",
        "",
        "Regenerate with `stochhw analyze sc"
        + (" --quick" if plan["quick"] else "") + (" --mnist DIR" if data["name"] == "mnist" else "")
        + (f" --seed {plan['seeds'][0]}" if plan["seeds"][0] != 1 else "")
        + "` (sources: `sim/analyses/sc_experiments.py`, `models/ml/sc_ann.py`, `models/ml/sc_sources.py`, "
        "`models/sc_quant.py`). Deterministic: the same code gives the same bytes.",
        "",
    ]
    if plan["quick"]:
        lines += [f"**Quick run** ({plan['epochs']} epochs on {data['train_samples']} samples): "
                  "a smoke test, not a result.", ""]
    lines += [
        "## Setup",
        "",
        f"- Data: {data['name']} ({data['inputs']} inputs; {data['train_samples']} training and "
        f"{data['test_samples']} test samples). Pixels `x` in [0, 1] enter as `2x - 1`, "
        "quantized like every node.",
        f"- Networks: {_topology_text(plan)}; sigmoid nodes, a +1 bias node per layer. Scaled "
        "from the paper's 784-128-10 and 784-392-196-98-10 (`sim/analyses/sc_experiments.py` explains "
        "the scaling).",
        f"- Quantization-aware training (`models/ml/sc_ann.py`): weights and nodes take QL states "
        "in [-1, 1] (Eq. 1-3, round half up); MSE cost; straight-through estimator; SGD, "
        f"batch {plan['batch']}, {plan['epochs']} epochs, learning rate {lrs}, decayed by "
        f"{plan['lr_decay']} per epoch; latent weights start uniform in "
        f"[-{plan['init_scale']}, {plan['init_scale']}]. Training seeds {plan['seeds']}: "
        "every accuracy is their mean.",
        "- **Method 1** trains with exact pre-activations and infers without SC and with SC; "
        "**Method 2** trains with the SC forward pass (the same source and L it is then run "
        "with; its backward pass uses the values the streams encode).",
        "- SC (`models/ml/sc_sources.py`): bipolar streams of length L, XNOR products, counts "
        "summed over inputs and cycles, `z = 2C/L - n`, then the quantized-sigmoid table. "
        "**s-MTJ**: state k of QL biased at `linspace(-1, 1, QL)[k]` volts, independent bits "
        "with P(1) from the device curve (`models/smtj.py`); counts drawn from their exact "
        "binomial distribution. **LFSR**: one 16-bit comparator LFSR per input node and per "
        "weight, distinct seeds, restarted every inference; counts from the explicit bits. "
        f"s-MTJ inference accuracies average {plan['infer_repeats']} fresh draws of the "
        "streams; Method 2's LFSR networks run with the LFSR seeds they were trained with.",
        "- The class is the output neuron with the largest count (its quantized sigmoid has "
        "only 3 or 6 states and would tie).",
        "",
        "## Quantized sigmoid tables",
        "",
        *table(["QL", "distinct outputs", "output states", "change points (pre-activation z)"],
               "rrll", ([t["levels"], t["distinct_outputs"], _values(t["states"], "g"),
                         _values(t["change_points"], "+.3f")] for t in result["sigmoid_tables"])),
        "",
        "What each state is carried as (bipolar value `2 P(1) - 1` of its stream): the "
        "s-MTJ's P(1) is a sigmoid of the bias, so evenly spaced voltages do not give "
        "evenly spaced values.",
        "",
        *table(["QL", "state values", "s-MTJ", "LFSR comparator"], "rlll",
               ([t["levels"], _values(t["level_values"], "g"), _values(t["encoded"]["smtj"], ".3f"),
                 _values(t["encoded"]["lfsr"], ".3f")] for t in result["sigmoid_tables"])),
    ]
    lengths = plan["lengths"]
    for source in plan["sources"]:
        lines += ["", f"## Test accuracy (%), {_SOURCE_LABELS[source]}", "",
                  "Method 1: one network per (depth, QL), run without SC and with L-bit streams. "
                  "Method 2: one network per (depth, QL, L), trained and run with L-bit streams "
                  "(in brackets: the same network run without SC).", "",
                  *table(["hidden", "QL", "method", "no SC", *(f"L = {n}" for n in lengths)],
                         "rrlr" + "r" * len(lengths), _accuracy_rows(plan, rows, source))]
    lines += ["", "## The paper's numbers side by side", "",
              f"The paper: {result['paper']['dataset']}. Its abstract gives these numbers; "
              "this run is on a different data set at a smaller scale, so only the trends "
              "compare.", "", *_paper_table(result), "", *_comparison_lines(result)]
    mult = result["multiplication"]
    cases = list(mult["cases"])
    lines += ["", "## SC multiplication error", "",
              f"RMSE of the XNOR product estimate `2C/N - 1` against the product `z` of the "
              f"encoded values, over every ordered pair of the {mult['levels']} states "
              f"({mult['pairs']} pairs) x {mult['trials']} fresh stream pairs. Theory for "
              "independent streams: `sqrt(mean(1 - z^2) / N)`. For the s-MTJ, `vs nominal` "
              "compares with the product of the state values instead (the device curve's "
              "systematic error). Shared sources make the two streams correlated: XNOR then "
              "computes `1 - 2|p_a - p_b|`, not the product.", "",
              *table(["N", *(_case_label(c) for c in cases), "theory (ideal)", "theory (s-MTJ)",
                      "s-MTJ vs nominal"], "r" * (len(cases) + 4),
                     ([n, *(f"{mult['cases'][c]['rmse'][i]:.4f}" for c in cases),
                       f"{mult['cases']['ideal']['theory'][i]:.4f}",
                       f"{mult['cases']['smtj']['theory'][i]:.4f}",
                       f"{mult['cases']['smtj']['rmse_vs_nominal'][i]:.4f}"]
                      for i, n in enumerate(mult["lengths"])))]
    last = len(mult["lengths"]) - 1
    lines += ["", f"Mean error (bias) at N = {mult['lengths'][last]}: " + "; ".join(
        f"{_case_label(c)} {mult['cases'][c]['bias'][last]:+.4f}" for c in cases) + ".", ""]
    return "\n".join(lines)


def accuracy_png(result):
    """Accuracy against bitstream length, one panel per (source, depth): the paper's Fig. 6."""
    plan = result["plan"]
    rows = _rows(result)
    sources, topologies = plan["sources"], plan["topologies"]
    fig = figure(4.2 * len(topologies), 3.3 * len(sources) + 0.6)
    axes = fig.subplots(len(sources), len(topologies), squeeze=False, sharey=True)
    colors = {ql: c for ql, c in zip(plan["levels"], ("tab:blue", "tab:red", "tab:green", "tab:purple"))}
    lengths = plan["lengths"]
    for r, source in enumerate(sources):
        for c, t in enumerate(topologies):
            ax = axes[r][c]
            h = t["hidden_layers"]
            for ql in plan["levels"]:
                color = colors[ql]
                m1 = [100 * rows[(h, ql, 1, source, n)]["accuracy"] for n in lengths]
                m2 = [100 * rows[(h, ql, 2, source, n)]["accuracy"] for n in lengths]
                ax.plot(lengths, m2, "o-", color=color, label=f"QL={ql}, trained with SC")
                ax.plot(lengths, m1, "s--", color=color, mfc="none",
                        label=f"QL={ql}, trained without SC")
                ax.axhline(100 * rows[(h, ql, 1, None, None)]["accuracy"], color=color, lw=0.8,
                           ls=":", label=f"QL={ql}, no SC at all")
            ax.set_title(f"{'-'.join(map(str, t['layers']))}, {_SOURCE_LABELS[source]}", fontsize=9)
            ax.set_xticks(lengths)
            ax.grid(True, alpha=0.3)
            if r == len(sources) - 1:
                ax.set_xlabel("bitstream length L")
            if c == 0:
                ax.set_ylabel("test accuracy (%)")
    # One legend below the panels: inside, it would hide a curve whatever the corner.
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(plan["levels"]) * 3 // 2,
               fontsize=8)
    return png_bytes(fig)


def rmse_png(result):
    """Multiplication RMSE against stream length N (log-log), with the theory."""
    mult = result["multiplication"]
    fig = figure(6.5, 4.2)
    ax = fig.subplots()
    n = mult["lengths"]
    for name, case in mult["cases"].items():
        ax.loglog(n, case["rmse"], "o-" if "shift" not in name and "shared" not in name else "s--",
                  ms=4, label=_case_label(name))
    ax.loglog(n, mult["cases"]["ideal"]["theory"], "k:", lw=1.5,
              label="theory, independent: sqrt(mean(1-z²)/N)")
    ax.set_xlabel("stream length N (bits)")
    ax.set_ylabel("RMSE of the product estimate")
    ax.set_title(f"XNOR multiplication, all pairs of {mult['levels']} states", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return png_bytes(fig)


def report_files(result):
    """``sc.md``, ``sc.json``, ``accuracy.png`` and ``rmse.png``, rendered."""
    return {"sc.md": sc_markdown(result), "sc.json": json_text(result),
            "accuracy.png": accuracy_png(result), "rmse.png": rmse_png(result)}


def run(args):
    """``stochhw analyze sc``: the digits plan (or ``--mnist``), ``--quick`` its smoke plan."""
    if args.mnist is None:
        plan = QUICK_PLAN if args.quick else DIGITS_PLAN
    else:
        plan = MNIST_QUICK_PLAN if args.quick else MNIST_PLAN
    # --seed N: training seeds N, N+1, ... (as many as the plan has); N seeds the RMSE study.
    plan = dataclasses.replace(plan, seeds=tuple(range(args.seed, args.seed + len(plan.seeds))))
    result = run_experiments(plan, mnist=args.mnist, seed=args.seed, jobs=args.jobs,
                             scheduler=args.scheduler, progress=None if args.json else sys.stderr)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, result, sc_markdown(result), paths)
