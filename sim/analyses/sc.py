"""``stochhw analyze`` topics of the stochastic-computing datapath and SC-ANN experiments (``sc``).

``stochhw analyze sc [--json] [--quick] [--out DIR] [--mnist DIR] [-j N] [--scheduler URL]``
runs :func:`stochhw.sim.analyses.sc_experiments.run_experiments` and writes into ``--out`` (default
``reports/sc/``):

* ``sc.md``: setup, the quantized sigmoid tables, accuracy tables per bitstream source
  (Method 1 and Method 2, every QL, L and depth), the paper's numbers side by side, the
  variants (bias node, bipolar inputs) beside the paper's network, and the SC
  multiplication RMSE table;
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
    per (variant, hidden_layers, levels, method, source, length), ``variant`` ``null`` for the
    paper's network, with ``accuracy`` (mean over seeds,
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

_SOURCE_LABELS = {"smtj": "s-MTJ bitstreams (calibrated)", "smtj_linear": "s-MTJ, evenly spaced volts",
                  "lfsr": "LFSR comparators", "sobol": "Sobol comparators",
                  "ideal": "ideal Bernoulli"}
_CASE_LABELS = {
    "smtj": "independent s-MTJ (calibrated)",
    "smtj_linear": "independent s-MTJ (even volts)",
    "ideal": "independent ideal",
    "lfsr": "LFSR, distinct seeds",
    "sobol": "Sobol dims 1/2",
    "shared-uniform": "shared uniform source",
}


def _case_order(cases):
    """Cases in report order, whatever the order of the dict (JSON sorts its keys)."""
    fixed = [c for c in ("ideal", "smtj", "smtj_linear", "lfsr", "sobol", "shared-uniform")
             if c in cases]
    shifts = sorted((c for c in cases if c.startswith("lfsr-shift-")),
                    key=lambda c: int(c.rsplit("-", 1)[1]))
    return fixed + shifts + sorted(set(cases) - set(fixed) - set(shifts))


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


def _pm(row):
    return plus_minus(row["accuracy"], row["std"], 1, scale=100)


def _accuracy_rows(plan, rows, source):
    """Cells of the accuracy table of one source: per depth and QL, Method 1 and Method 2
    (mean ± std over the training seeds; Method 2 only where the plan trains it)."""
    lengths = plan["lengths"]
    for t in plan["topologies"]:
        h = t["hidden_layers"]
        for ql in plan["levels"]:
            yield [h, ql, 1, _pm(rows[(h, ql, 1, None, None)]),
                   *(_pm(rows[(h, ql, 1, source, n)]) for n in lengths)]
            if ql in plan["method2_levels"]:
                yield [h, ql, 2, "", *(f"{_pm(rows[(h, ql, 2, source, n)])} "
                                       f"({_pct(rows[(h, ql, 2, source, n)]['accuracy_without_sc'])})"
                                       if (h, ql, 2, source, n) in rows else "—" for n in lengths)]


def _rows(result, variant=None):
    """The accuracy rows of one network (``variant`` ``None``: the paper's), keyed by
    ``(hidden_layers, levels, method, source, length)``."""
    return {(r["hidden_layers"], r["levels"], r["method"], r["source"], r["length"]): r
            for r in result["accuracy"] if r["variant"] == variant}


def _beyond_spread(row, base):
    """+1 if ``row`` is more accurate than ``base`` by more than the larger seed standard
    deviation of the two, -1 if less accurate by as much, else 0: the one rule by which the
    report calls a difference real."""
    gap, spread = row["accuracy"] - base["accuracy"], max(row["std"], base["std"])
    return (gap > spread) - (-gap > spread)


def _topology_text(plan):
    return " and ".join(f"{'-'.join(map(str, t['layers']))} ({t['hidden_layers']} hidden)"
                        for t in plan["topologies"])


def _comparison_lines(result):
    """Method 2 against Method 1, and the paper's numbers against this run's."""
    plan = result["plan"]
    rows = _rows(result)
    lines = []
    for source in plan["sources"]:
        wins = losses = total = 0
        for t in plan["topologies"]:
            for ql in plan["method2_levels"]:
                for n in plan["method2_lengths"]:
                    verdict = _beyond_spread(rows[(t["hidden_layers"], ql, 2, source, n)],
                                             rows[(t["hidden_layers"], ql, 1, source, n)])
                    wins += verdict > 0
                    losses += verdict < 0
                    total += 1
        lines.append(f"- {_SOURCE_LABELS[source]}: Method 2 beats Method 1 by more than one "
                     f"seed standard deviation in {wins} of {total} (depth, QL, L) "
                     f"configurations, and falls behind it by as much in {losses}.")
    return lines


def _paper_table(result):
    """The paper's numbers (their QL, L, depth, Method 2 on s-MTJs) beside this run's at the
    same QL, L and depth: Method 2 where trained, else Method 1, for every source."""
    plan = result["plan"]
    rows = _rows(result)
    depths = {t["hidden_layers"] for t in plan["topologies"]}
    rows_out = []
    for item in result["paper"]["results"]:
        h, ql, n = item["hidden_layers"], item["levels"], item["length"]
        if h not in depths or ql not in plan["levels"] or n not in plan["lengths"]:
            continue
        cells = []
        for source in plan["sources"]:
            m2 = rows.get((h, ql, 2, source, n))
            cells.append(f"{_pm(m2)} (M2)" if m2 else f"{_pm(rows[(h, ql, 1, source, n)])} (M1)")
        rows_out.append([f"{h} hidden, QL = {ql}, L = {n}: {item['note']}",
                         f"{item['accuracy']:.2f}", *cells])
    return table(["paper: MNIST, s-MTJ, Method 2", "paper (%)",
                  *(f"here: {_SOURCE_LABELS[s]}" for s in plan["sources"])],
                 "lr" + "r" * len(plan["sources"]), rows_out)


def _findings(result):
    """The comparisons the conclusions rest on, as sentences with their numbers."""
    plan, rows = result["plan"], _rows(result)
    lines = []
    n = min(plan["lengths"])
    for h in sorted({t["hidden_layers"] for t in plan["topologies"]}):
        for ql in plan["levels"]:
            cells = "; ".join(f"{_SOURCE_LABELS[s]} {_pm(rows[(h, ql, 1, s, n)])}"
                              for s in plan["sources"])
            lines.append(f"- {h} hidden, QL = {ql}, trained without SC, run with L = {n}: "
                         f"{cells} (no SC: {_pm(rows[(h, ql, 1, None, None)])}).")
    depths = sorted({t["hidden_layers"] for t in plan["topologies"]})
    # Depth at the (QL, L) points the paper reports, where Method 2 was trained.
    points = sorted({(p["levels"], p["length"]) for p in result["paper"]["results"]
                     if (p["levels"], p["length"]) in
                     {(q, m) for q in plan["method2_levels"] for m in plan["method2_lengths"]}})
    if len(depths) > 1 and points:
        lo, hi = depths[0], depths[-1]
        for ql, m in points:
            cells = "; ".join(f"{_SOURCE_LABELS[s]} {_pm(rows[(lo, ql, 2, s, m)])} → "
                              f"{_pm(rows[(hi, ql, 2, s, m)])}" for s in plan["sources"])
            lines.append(f"- Depth, Method 2 at QL = {ql}, L = {m}, {lo} → {hi} hidden "
                         f"layers: {cells} (no SC: {_pm(rows[(lo, ql, 1, None, None)])} → "
                         f"{_pm(rows[(hi, ql, 1, None, None)])}).")
        shallower = [rows[(hi, ql, 1, None, None)]["accuracy"]
                     < rows[(lo, ql, 1, None, None)]["accuracy"] for ql, _ in points]
        lines.append("- The paper gains from depth on MNIST (92% → over 96% at L = 100). "
                     + ("Here the deeper network is less accurate without SC too: on this small "
                        "set it trains worse with the paper's rule (Eq. 6 carries the error back "
                        "without f'), and training through noisy streams adds to that."
                        if all(shallower) else
                        "Here the deeper network is not less accurate without SC at every QL "
                        "above, so any loss with depth comes from training through the streams."))
    if "sobol" in plan["sources"]:
        def gaps(source):
            return [rows[(t["hidden_layers"], ql, 1, None, None)]["accuracy"]
                    - rows[(t["hidden_layers"], ql, 1, source, n)]["accuracy"]
                    for t in plan["topologies"] for ql in plan["levels"]]
        others = [g for s in plan["sources"] if s != "sobol" for g in gaps(s)]
        lines.append(f"- Sobol streams at L = {n} run the networks trained without SC within "
                     f"{100 * max(abs(g) for g in gaps('sobol')):.1f} pp of their exact accuracy "
                     "(means over seeds), where the other sources lose "
                     f"{100 * min(others):.1f}-{100 * max(others):.1f} pp.")
    lines += _variant_findings(result)
    mult = result["multiplication"]["cases"]
    lengths = result["multiplication"]["lengths"]
    if "sobol" in mult:
        i = len(lengths) - 1
        lines.append(f"- Multiplication at N = {lengths[i]}: Sobol RMSE {mult['sobol']['rmse'][i]:.4f} "
                     f"against {mult['ideal']['rmse'][i]:.4f} for ideal independent streams and "
                     f"{mult['lfsr']['rmse'][i]:.4f} for LFSRs: the low-discrepancy pair "
                     "errs less by "
                     f"{mult['ideal']['rmse'][i] / max(mult['sobol']['rmse'][i], 1e-12):.0f}x.")
    return lines


_VARIANT_LABELS = {None: "the paper's", "bias_node": "bias node", "bipolar_inputs": "bipolar inputs"}


def _variant_text(result):
    """The variants beside the paper's network: Method 1 with every source at the variants'
    lengths, Method 2 with one source, at every depth and QL."""
    plan = result["plan"]
    source2 = plan["variant_method2_source"]
    lengths = plan["variant_lengths"]
    by_variant = {v: _rows(result, v) for v in (None, *plan["variants"])}
    body = []
    for t in plan["topologies"]:
        h = t["hidden_layers"]
        for ql in plan["levels"]:
            for variant, rows in by_variant.items():
                m2 = [rows.get((h, ql, 2, source2, n)) for n in lengths]
                body.append([h, ql, _VARIANT_LABELS[variant], _pm(rows[(h, ql, 1, None, None)]),
                             *(_pm(rows[(h, ql, 1, s, n)]) for n in lengths
                               for s in plan["sources"]),
                             *(_pm(r) if r else "—" for r in m2)])
    columns = [f"{_SOURCE_LABELS[s]}, L = {n}" for n in lengths for s in plan["sources"]]
    columns += [f"trained with {_SOURCE_LABELS[source2]}, L = {n}" for n in lengths]
    return [
        "Two departures from the paper's network, with everything else as above. **Bias node**: "
        "every layer's inputs end with a constant node in the top state (+1; its stream is all "
        "ones for every source but the s-MTJ, which carries +0.931), with a weight row of its "
        "own. **Bipolar inputs**: pixels mapped to `2x - 1` before quantization, so a blank "
        "pixel is the state -1 (the s-MTJ carries -0.931) instead of 0. Test accuracy (%), "
        "mean ± std over the training seeds; the first columns are trained without SC (Method "
        "1), the last with SC (Method 2).",
        "",
        *table(["hidden", "QL", "network", "no SC", *columns], "rrl" + "r" * (1 + len(columns)),
               body),
    ]


def _variant_findings(result):
    """Each variant against the paper's network: where it changes accuracy by more than the
    seeds' spread, without SC and with the Method 2 source at the variants' shortest L."""
    plan = result["plan"]
    if not plan["variants"]:
        return []
    paper = _rows(result)
    source, n = plan["variant_method2_source"], min(plan["variant_lengths"])
    lines = []
    for variant in plan["variants"]:
        rows = _rows(result, variant)
        for label, key in (("without SC", (1, None, None)),
                           (f"trained without SC, run with {_SOURCE_LABELS[source]} at L = {n}",
                            (1, source, n)),
                           (f"trained and run with {_SOURCE_LABELS[source]} at L = {n}",
                            (2, source, n))):
            levels = plan["levels"] if key[0] == 1 else plan["method2_levels"]
            pairs = [(rows[(t["hidden_layers"], ql, *key)], paper[(t["hidden_layers"], ql, *key)])
                     for t in plan["topologies"] for ql in levels]
            gaps = [mine["accuracy"] - base["accuracy"] for mine, base in pairs]
            verdicts = [_beyond_spread(mine, base) for mine, base in pairs]
            lines.append(f"- {_VARIANT_LABELS[variant].capitalize()}, {label}: "
                         f"{100 * min(gaps):+.1f} to {100 * max(gaps):+.1f} pp against the "
                         f"paper's network over {len(gaps)} (depth, QL) points; more accurate by "
                         f"more than the seeds' spread in {verdicts.count(1)}, less accurate in "
                         f"{verdicts.count(-1)}.")
    if "bipolar_inputs" in plan["variants"]:
        lines.append("- Why bipolar inputs can help: a blank pixel (most of a digit) is the "
                     "state 0 with the paper's inputs, a stream of P(1) = 1/2 whose XNOR "
                     "product with any weight w has the largest variance, `1 - z^2` = 1 per "
                     "bit (z = 0), where a -1 pixel's product has `1 - w^2`; and pixels in "
                     "[0, 1] use only the upper half of the QL states (3 of 5, 6 of 11).")
    return lines


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
        f"{data['test_samples']} test samples; one test sample is "
        f"{100 / data['test_samples']:.2f} pp). Pixels enter as `X / max X` in [0, 1] (the "
        "paper's), quantized to the QL states like every node: a blank pixel is the state 0.",
        f"- Networks: {_topology_text(plan)}; sigmoid nodes, no bias node (the paper has none). "
        "Scaled from the paper's 784-128-10 and 784-392-196-98-10 without a hidden layer "
        "narrower than the output (`sim/analyses/sc_experiments.py` explains the scaling).",
        f"- Training as the paper's Eq. 4-7 (`models/ml/sc_ann.py`): weights and nodes take QL "
        "states in [-1, 1] (Eq. 1-3, round half up); MSE cost; output error `o - t`, hidden "
        "error carried back through the quantized weights without `f'`, `f'` only in the "
        "weight update; straight-through quantizers; SGD, "
        f"batch {plan['batch']}, {plan['epochs']} epochs, learning rate {lrs}, decayed by "
        f"{plan['lr_decay']} per epoch; latent weights start Gaussian, standard deviation "
        f"{plan['init_scale']}, clipped to [-1, 1]. Training seeds {plan['seeds']}: every "
        "accuracy is mean ± standard deviation over them.",
        "- **Method 1** trains with exact pre-activations and infers without SC and with SC; "
        "**Method 2** trains with the SC forward pass (the same source and L it is then run "
        "with; its backward pass uses the values the streams encode), at QL = "
        f"{', '.join(map(str, plan['method2_levels']))} and L = "
        f"{', '.join(map(str, plan['method2_lengths']))}, for every source.",
        "- SC sources (`models/ml/sc_sources.py`): bipolar streams of length L, XNOR products, "
        "counts summed over inputs and cycles, `z = 2C/L - n`, then the quantized-sigmoid table. "
        "**Ideal Bernoulli**: independent bits with exactly P(1) = (1 + v)/2. "
        "**s-MTJ**: state k biased at the inverse of the device curve at its target "
        "probability, clipped to ±1 V (`models/smtj.py`), independent bits; only the end "
        "states (P = 0, 1, beyond any junction) are off. Counts of independent sources come "
        "from their exact binomial distribution. **LFSR**: one 16-bit comparator LFSR per input "
        "node and per weight, distinct seeds, restarted every inference. **Sobol**: "
        "comparators on Sobol dimension 1 (nodes) and 2 (weights), a digital shift per stream "
        "(the `sng` design's `source=sobol`), restarted every inference. Independent-source "
        f"inference accuracies average {plan['infer_repeats']} fresh draws of the streams (LFSR "
        "and Sobol: fresh seeds); Method 2's LFSR and Sobol networks run with the seeds they "
        "were trained with.",
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
        "s-MTJ's P(1) is a sigmoid of the bias, so evenly spaced voltages (the previous "
        "model, kept as `smtj_linear`) do not give evenly spaced values; voltages through the "
        "curve's inverse do, except at the ends.",
        "",
        *table(["QL", "state values", "s-MTJ calibrated", "s-MTJ even volts", "LFSR / Sobol"],
               "rllll",
               ([t["levels"], _values(t["level_values"], "g"), _values(t["encoded"]["smtj"], ".3f"),
                 _values(t["encoded"]["smtj_linear"], ".3f"), _values(t["encoded"]["lfsr"], ".3f")]
                for t in result["sigmoid_tables"])),
    ]
    lengths = plan["lengths"]
    paper_table = _paper_table(result)
    for source in plan["sources"]:
        lines += ["", f"## Test accuracy (%), {_SOURCE_LABELS[source]}", "",
                  "Method 1: one network per (depth, QL), run without SC and with L-bit streams. "
                  "Method 2: one network per (depth, QL, L), trained and run with L-bit streams "
                  "(in brackets: the same network run without SC).", "",
                  *table(["hidden", "QL", "method", "no SC", *(f"L = {n}" for n in lengths)],
                         "rrlr" + "r" * len(lengths), _accuracy_rows(plan, rows, source))]
    lines += ["", "## The paper's numbers side by side", "",
              f"The paper: {result['paper']['dataset']}; its numbers are at QL = 11, training "
              f"with SC (Method 2). Here: {data['name']} ({data['inputs']} inputs, "
              f"{data['train_samples']} training images), the networks above, model "
              "streams, mean ± std over the training seeds; M2 marks Method 2 at the same QL "
              "and L" + (", M1 Method 1 where Method 2 was not trained" if any(
                  "(M1)" in line for line in paper_table) else "") + ". "
              + ("Only the trends compare: the digits are an easier, smaller task than MNIST."
                 if data["name"] == "digits" else "The data are a subset of MNIST (see Setup)."),
              "", *paper_table, "", *_comparison_lines(result), ""]
    if plan["variants"]:
        lines += ["## Variants: a bias node and bipolar inputs", "", *_variant_text(result), ""]
    lines += ["## Findings", "", *_findings(result)]
    mult = result["multiplication"]
    cases = _case_order(mult["cases"])
    lines += ["", "## SC multiplication error", "",
              f"RMSE of the XNOR product estimate `2C/N - 1` against the product `z` of the "
              f"encoded values, over every ordered pair of the {mult['levels']} states "
              f"({mult['pairs']} pairs) x {mult['trials']} fresh stream pairs. Theory for "
              "independent streams: `sqrt(mean(1 - z^2) / N)`. For the s-MTJs, `vs nominal` "
              "compares with the product of the state values instead (the device curve's "
              "systematic error: the end states only when calibrated, every state with even "
              "volts). A Sobol dimension-1/dimension-2 pair is a low-discrepancy point set: its "
              "count errs by O(log N) rather than O(sqrt N), and at N a power of two with the "
              "states' probabilities multiples of 2^-k it is exact. Shared sources make the two "
              "streams correlated: XNOR then computes `1 - 2|p_a - p_b|`, not the product.", "",
              *table(["N", *(_case_label(c) for c in cases), "theory (ideal)",
                      "s-MTJ calibrated vs nominal", "s-MTJ even volts vs nominal"],
                     "r" * (len(cases) + 4),
                     ([n, *(f"{mult['cases'][c]['rmse'][i]:.4f}" for c in cases),
                       f"{mult['cases']['ideal']['theory'][i]:.4f}",
                       f"{mult['cases']['smtj']['rmse_vs_nominal'][i]:.4f}",
                       f"{mult['cases']['smtj_linear']['rmse_vs_nominal'][i]:.4f}"]
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
                s1 = [100 * rows[(h, ql, 1, source, n)]["std"] for n in lengths]
                trained = [n for n in lengths if (h, ql, 2, source, n) in rows]
                if trained:
                    ax.errorbar(trained, [100 * rows[(h, ql, 2, source, n)]["accuracy"] for n in trained],
                                [100 * rows[(h, ql, 2, source, n)]["std"] for n in trained],
                                fmt="o-", color=color, capsize=3, label=f"QL={ql}, trained with SC")
                ax.errorbar(lengths, m1, s1, fmt="s--", color=color, mfc="none", capsize=3,
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
    fig.legend(handles, labels, loc="outside lower center", ncol=3,
               fontsize=8)
    return png_bytes(fig)


def rmse_png(result):
    """Multiplication RMSE against stream length N (log-log), with the theory."""
    mult = result["multiplication"]
    fig = figure(6.5, 4.2)
    ax = fig.subplots()
    n = mult["lengths"]
    for name in _case_order(mult["cases"]):
        case = mult["cases"][name]
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
