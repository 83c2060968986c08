"""``stochhw analyze generator-free``: training whose stochastic rounding takes its random numbers
from the network being trained, in a closed loop (the generator-free SR paper's Tables 1, 2, 5
and A1).

Every stochastic rounding at step t takes its numbers from a tensor of step t - 1 through the
``lsb_extractor`` model, or from the values being rounded through the ``gf_rounding`` model
(:mod:`stochhw.models.ml.closed_loop`), so the rule trained with is the hardware's. The grid:
Methods #1 (``direct``) and #2 (``multi_lsb``); the weights, activations, errors and gradients
of the first, middle and last layer of a 64-32-32-10 MLP, and the values' own bits; number
mapping off, the paper's mapping, and the paper's selection rule (even numbers to the middle);
beside PCG64, LFSR-16 and round to nearest; at 8 and 6 bits; 5 seeds.
:func:`generator_free_study` computes it (in parallel with ``-j``/``--scheduler``, through
:mod:`stochhw.sim.core.executor`), :func:`report_files` renders ``generator_free.md``,
``generator_free.json``, ``accuracy_grid.png``, ``why.png`` and ``loss.png``, and :func:`run`
writes them into ``--out`` (default ``reports/generator_free/``).

CPU time: 81 trainings per code width and seed, about 2 s each on one core: about 20 minutes
for the documented run (2 widths x 5 seeds), divided by ``-j``.

JSON (``--json``; sorted keys)::

    {"config": {"seeds", "bit_widths", "layers", "epochs", "batch", "learning_rate",
                "rnd_bits", "lanes", "extractor_seed", "test_samples", "train_samples", "quick"},
     "float_reference": {"accuracies", "mean", "std"},
     "baselines": [{"bits", "method": "nearest"|"pcg"|"lfsr", "label", "accuracies", "mean",
                    "std", "epoch_loss"}],
     "closed_loop": [{"bits", "tensor", "layer", "method", "mapping", "label", "accuracies",
                      "mean", "std", "epoch_loss", "entropy", "bias_steps", "zero_fraction",
                      "repeat_fraction", "passes_per_step"}],
     "paper": {"table_a1": {"error": [without, with]}}}

Accuracies are fractions of the test samples; ``epoch_loss`` is the mean training loss per
epoch over the seeds; the other source fields are means over the seeds (see
:func:`source_statistics`).
"""

import dataclasses
import sys

import numpy as np

from stochhw.models.extractor import METHODS
from stochhw.models.ml.closed_loop import LAYER_NAMES, MAPPINGS, ClosedLoop
from stochhw.models.ml.digits import TEST_SAMPLES, TRAIN_SAMPLES
from stochhw.models.ml.training import TENSOR_KINDS, TrainingConfig, train
from stochhw.models.stats.entropy import counts_entropy
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.executor import make_executor, run_jobs
from stochhw.sim.core.reportkit import (
    figure,
    json_text,
    mean_std,
    number,
    percent,
    plus_minus,
    png_bytes,
    table,
    write_report,
)

__all__ = ["BASELINES", "HIDDEN", "PAPER_DEFAULT", "PAPER_TABLE_A1", "closed_loop_sources",
           "source_statistics", "generator_free_study", "generator_free_markdown",
           "report_files", "run"]

#: Reference roundings, in table order: key -> label.
BASELINES = {"nearest": "round to nearest", "pcg": "SR, PCG64",
             "lfsr": "SR, LFSR-16 (low 6 bits of successive states)"}
#: Hidden layers of the study's MLP: three layers, so that first, middle and last differ.
HIDDEN = (32, 32)
#: The paper's default configuration: Method #2 on the gradients of layer 2 (here the middle
#: layer of three), no mapping.
PAPER_DEFAULT = ClosedLoop(tensor="gradient", layer="middle", method="multi_lsb", mapping="none")
#: The paper's Table A1 as the issue quotes it: training on the error source without and with
#: number mapping (test accuracy, %).
PAPER_TABLE_A1 = {"error": (71.11, 86.97)}
#: Mapping labels in tables.
MAPPING_LABELS = {"none": "no mapping", "paper": "the paper's mapping",
                  "even_middle": "the paper's selection rule"}


def closed_loop_sources():
    """Every closed-loop source of the grid, in table order (:class:`ClosedLoop` objects)."""
    specs = [ClosedLoop(tensor=kind, layer=layer, method=method, mapping=mapping)
             for kind in TENSOR_KINDS for layer in LAYER_NAMES for method in METHODS
             for mapping in MAPPINGS]
    return specs + [ClosedLoop(tensor="own", layer=None, method=method, mapping=mapping)
                    for method in METHODS for mapping in MAPPINGS]


def source_statistics(source):
    """What a closed-loop source handed out over a training run.

    Returns
    -------
    dict
        ``entropy`` (bits, of the numbers' histogram), ``bias_steps`` (their mean minus the
        ideal ``(2^k - 1) / 2``, over ``2^k``: the mean rounding bias in output steps, -1/2
        for numbers that are all 0), ``zero_fraction``, ``repeat_fraction`` (the same number as
        the same rounding of the previous step) and ``passes_per_step`` (``None`` for the
        values' own bits).
    """
    hist = source.histogram
    size = hist.size
    return {"entropy": counts_entropy(hist),
            "bias_steps": float((hist @ np.arange(size) / hist.sum() - (size - 1) / 2) / size),
            "zero_fraction": float(hist[0] / hist.sum()),
            "repeat_fraction": float(source.repeat_fraction),
            "passes_per_step": (float(source.passes_per_step)
                                if hasattr(source, "passes_per_step") else None)}


def _train_job(config, rounding):
    """One training (a picklable job): ``rounding`` is a baseline name or a :class:`ClosedLoop`."""
    statistics = {}
    if rounding == "nearest":
        result = train(dataclasses.replace(config, rounding="nearest"))
    elif rounding in ("pcg", "lfsr"):
        result = train(config, rounding)
    else:
        source = rounding.build(config)
        result = train(config, source)
        statistics = source_statistics(source)
    return {"accuracy": result.test_accuracy, "epoch_loss": list(result.epoch_loss), **statistics}


def _float_job(config):
    return {"accuracy": train(dataclasses.replace(config, rounding="float")).test_accuracy}


def generator_free_study(seeds=(1, 2, 3, 4, 5), bit_widths=(8, 6), epochs=None, sources=None,
                         quick=False, jobs=1, scheduler=None, progress=None):
    """Test accuracy of closed-loop generator-free training against generators, per source.

    Parameters
    ----------
    seeds : sequence of int
    bit_widths : sequence of int
        Code widths of the weights, activations, errors and gradients (2..8).
    epochs : int, optional
        Override the default 20 epochs (quick runs).
    sources : sequence of ClosedLoop, optional
        Default :func:`closed_loop_sources`.
    quick : bool
        Marks the result as a smoke test.
    jobs, scheduler
        Where the trainings run (:func:`stochhw.sim.core.executor.make_executor`); the result
        does not depend on it.
    progress : file, optional
        One line per finished training.

    Returns
    -------
    dict
        JSON-ready (schema in the module docstring).
    """
    base = TrainingConfig(hidden=HIDDEN, record_every=0,
                          **({} if epochs is None else {"epochs": epochs}))
    sources = closed_loop_sources() if sources is None else list(sources)
    seeds, bit_widths = list(seeds), list(bit_widths)
    work = [(("float", s), _float_job, (dataclasses.replace(base, seed=s),)) for s in seeds]
    for bits in bit_widths:
        for seed in seeds:
            config = dataclasses.replace(base, seed=seed, bits=bits)
            work += [((bits, seed, name), _train_job, (config, name)) for name in BASELINES]
            work += [((bits, seed, cl), _train_job, (config, cl)) for cl in sources]
    done = {}
    with make_executor(scheduler, jobs) as executor:
        for count, (key, value) in enumerate(run_jobs(executor, work), 1):
            done[key] = value
            if progress is not None:
                what = key[-1].label if isinstance(key[-1], ClosedLoop) else key[-1]
                head = "float64" if key[0] == "float" else f"{key[0]}-bit"
                print(f"  [{count}/{len(work)}] {head}, seed {key[1]}, {what}: "
                      f"{100 * value['accuracy']:.2f}%", file=progress, flush=True)

    def summary(keys):
        runs = [done[key] for key in keys]
        accs = [r["accuracy"] for r in runs]
        mean, std = mean_std(accs)
        row = {"accuracies": accs, "mean": mean, "std": std,
               "epoch_loss": [float(v) for v in np.mean([r["epoch_loss"] for r in runs], axis=0)]}
        for field in ("entropy", "bias_steps", "zero_fraction", "repeat_fraction",
                      "passes_per_step"):
            if field in runs[0]:
                row[field] = (None if runs[0][field] is None else
                              float(np.mean([r[field] for r in runs])))
        return row

    baselines = [{"bits": bits, "method": name, "label": label,
                  **summary([(bits, s, name) for s in seeds])}
                 for bits in bit_widths for name, label in BASELINES.items()]
    closed = [{"bits": bits, "tensor": cl.tensor, "layer": cl.layer, "method": cl.method,
               "mapping": cl.mapping, "label": cl.label,
               **summary([(bits, s, cl) for s in seeds])}
              for bits in bit_widths for cl in sources]
    floats = [done[("float", s)]["accuracy"] for s in seeds]
    mean, std = mean_std(floats)
    return {"config": {"seeds": seeds, "bit_widths": bit_widths, "layers": list(base.layers),
                       "epochs": base.epochs, "batch": base.batch,
                       "learning_rate": base.learning_rate, "rnd_bits": base.rnd_bits,
                       "lanes": sources[0].lanes if sources else None,
                       "extractor_seed": sources[0].seed if sources else None,
                       "test_samples": TEST_SAMPLES, "train_samples": TRAIN_SAMPLES,
                       "quick": bool(quick)},
            "float_reference": {"accuracies": floats, "mean": mean, "std": std},
            "baselines": baselines, "closed_loop": closed,
            "paper": {"table_a1": {k: list(v) for k, v in PAPER_TABLE_A1.items()}}}


# --- render ---------------------------------------------------------------------------------

def _acc(row):
    return "" if row is None else plus_minus(row["mean"], row["std"], scale=100)


class _Rows:
    """Lookup of a result's rows by (bits, method) and (bits, tensor, layer, method, mapping)."""

    def __init__(self, result):
        self.base = {(r["bits"], r["method"]): r for r in result["baselines"]}
        self.closed = {(r["bits"], r["tensor"], r["layer"], r["method"], r["mapping"]): r
                       for r in result["closed_loop"]}
        self.places = list(dict.fromkeys((r["tensor"], r["layer"]) for r in result["closed_loop"]))

    def get(self, bits, tensor, layer, method, mapping):
        return self.closed.get((bits, tensor, layer, method, mapping))


def _where(tensor, layer):
    return "own values (gf_rounding on x)" if tensor == "own" else f"{tensor}, {layer} layer"


def _clearly_below(row, reference):
    """Mean below the reference's by more than twice the larger std (or one test image)."""
    margin = max(2 * max(row["std"], reference["std"]), 1 / TEST_SAMPLES)
    return row["mean"] < reference["mean"] - margin


def generator_free_markdown(result):
    """``generator_free.md`` of a :func:`generator_free_study` result."""
    cfg = result["config"]
    widths = cfg["bit_widths"]
    rows = _Rows(result)
    k = cfg["rnd_bits"]
    default = PAPER_DEFAULT
    a1 = result["paper"]["table_a1"]["error"]
    lines = [
        "# Generator-free training in a closed loop",
        "",
        "Regenerate with `stochhw analyze generator-free` (source: "
        "`sim/analyses/generator_free.py`, `models/ml/closed_loop.py`). Deterministic: the "
        "same code gives the same bytes.",
        "",
        "**Here.** A " + "-".join(map(str, cfg["layers"])) + " ReLU MLP on scikit-learn's 8x8 "
        f"digits ({cfg['train_samples']} training, {cfg['test_samples']} held-out samples, a "
        f"fixed stratified split), plain SGD (learning rate {cfg['learning_rate']}, batch "
        f"{cfg['batch']}, {cfg['epochs']} epochs). Weights (no full-precision copy), "
        "activations, errors and gradients are signed fixed point of the stated width with a "
        "per-tensor power-of-two scale; every one of them is rounded by the SRU rule "
        f"`floor((x + rnd) / 2^k)` with k = {k} random bits. In the closed loop the numbers of "
        "every rounding at step t come from the codes one tensor held at step t - 1, streamed "
        f"past an `lsb_extractor` of {cfg['lanes']} lanes (static routing, seed "
        f"{cfg['extractor_seed']}): Method #1 `direct` takes the {k} low bits of one code, "
        f"Method #2 `multi_lsb` the LSBs of {k} codes. `own values` takes them instead from "
        "the other lanes' unrounded values in the same cycle, as `gf_rounding` on its own `x` "
        "bus does. A step rounds more elements than one pass over a tensor gives numbers, so "
        "the source memory is read round and round (`passes` below). The paper's mapping is "
        "its 3-bit table {0..7} -> {3, 1, 2, 7, 4, 6, 5, 0} applied to the top 3 of the "
        f"{k} bits; its selection rule, at full width, sends the even numbers to the middle "
        "half of the range (`models/stats/mapping.py`). Clean test accuracy, mean ± std over "
        f"seeds {cfg['seeds']} (%); one test image is {100 / cfg['test_samples']:.2f} pp.",
        "",
        "**The paper.** Far larger networks and data sets, 8-bit training; Method #2 on the "
        "gradients of layer 2 is its default, its Table 5 compares sources layer by layer, "
        "and its Table A1 shows number mapping lifting training on biased sources (the error "
        f"source, {a1[0]:.2f} → {a1[1]:.2f}). That pair is the one number of the paper this "
        "project holds (the issue quotes it) and it sits beside the Table A1 form below; the "
        "accuracies of the paper's Tables 1, 2 and 5 are for its networks and data sets and "
        "are not transcribed here. What can be compared is the form of each claim: does the "
        "default source train like a generator, which source and method is best, does mapping "
        "rescue a biased source.",
        "",
        *([f"**Quick run** ({cfg['epochs']} epochs, {len(cfg['seeds'])} seeds): a smoke test, "
           "not a result.", ""] if cfg.get("quick") else []),
        "## Generator-free against generators (the paper's Table 1)",
        "",
        "Float64 reference (no quantization): "
        f"{plus_minus(result['float_reference']['mean'], result['float_reference']['std'], scale=100)}.",
        "",
    ]
    cells = [[label, *(_acc(rows.base.get((b, name))) for b in widths)]
             for name, label in BASELINES.items()]
    for mapping, label in MAPPING_LABELS.items():
        cells.append([f"generator-free, the paper's default source ({_where(default.tensor, default.layer)}, "
                      f"Method #2), {label}",
                      *(_acc(rows.get(b, default.tensor, default.layer, default.method, mapping))
                        for b in widths)])
    best = []
    for b in widths:
        candidates = [r for r in result["closed_loop"] if r["bits"] == b]
        top = max(candidates, key=lambda r: (r["mean"], -r["std"])) if candidates else None
        best.append("" if top is None else f"{_acc(top)} ({top['label']})")
    cells.append(["generator-free, the best source of the grid (picked after the fact from "
                  f"{len(rows.closed) // len(widths)}, so its mean is biased upward)", *best])
    lines += [*table(["rounding", *(f"{b}-bit" for b in widths)], "l" + "r" * len(widths), cells),
              ""]
    for mapping, label in MAPPING_LABELS.items():
        head = ["source"] + [f"{b}-bit, {m}" for b in widths for m in METHODS]
        body = [[_where(*place), *(_acc(rows.get(b, *place, m, mapping)) for b in widths
                                   for m in METHODS)]
                for place in rows.places]
        lines += [f"## Sources layer by layer, {label} (the paper's Tables 5 and 2)", "",
                  "Test accuracy (%), Method #1 `direct` and Method #2 `multi_lsb`.", "",
                  *table(head, "l" + "r" * (len(head) - 1), body), ""]
    head = ["source"] + [f"{b}-bit, {MAPPING_LABELS[m].replace('the paper', 'paper')}"
                         for b in widths for m in MAPPINGS] + ["paper (8-bit, its network)"]
    body = [[_where(*place),
             *(_acc(rows.get(b, *place, "multi_lsb", m)) for b in widths for m in MAPPINGS),
             f"{a1[0]:.2f} → {a1[1]:.2f}" if place[0] == "error" else ""]
            for place in rows.places if place[1] in ("middle", None)]
    lines += ["## Number mapping on biased sources (the paper's Table A1)", "",
              "Method #2, the middle layer and the values' own bits; test accuracy (%).", "",
              *table(head, "l" + "r" * (len(head) - 1), body), ""]
    head = ["source", "codes", "accuracy", "entropy", "mean bias (steps)", "zeros", "repeats",
            "passes"]
    body = []
    for b in widths:
        for place in rows.places:
            r = rows.get(b, *place, "multi_lsb", "none")
            if r is not None:
                body.append([_where(*place), f"{b}-bit", _acc(r), number(r["entropy"], 2),
                             number(r["bias_steps"], 2, sign=True),
                             percent(r["zero_fraction"], 1, suffix="%"),
                             percent(r["repeat_fraction"], 1, suffix="%"),
                             number(r["passes_per_step"], 1)])
    lines += ["## What the numbers were", "",
              "Method #2, no mapping, means over the seeds: the entropy of the numbers the "
              f"roundings used (bits, at most {k}); their mean minus the ideal (2^{k} - 1)/2 "
              f"over 2^{k}, the mean rounding bias in output steps (-0.5 if every number were "
              "0); the share of zeros; the share of roundings that got the same number as the "
              "same rounding of the previous step (an independent source: "
              f"{percent(2.0 ** -k, 1, suffix='%')}); and passes over the source memory per "
              "step.", "", *table(head, "llrrrrrr", body), "", *_notes(result), ""]
    return "\n".join(lines)


def _notes(result):
    """The findings, computed from the result."""
    cfg = result["config"]
    rows = _Rows(result)
    d = PAPER_DEFAULT
    out = ["## What it says", ""]
    verdicts = []
    for b in cfg["bit_widths"]:
        pcg = rows.base.get((b, "pcg"))
        none = rows.get(b, d.tensor, d.layer, d.method, "none")
        if pcg is None or none is None:
            continue
        verdicts.append(f"{b}-bit: " + ("clearly below PCG64" if _clearly_below(none, pcg)
                                        else "within the noise of PCG64"))
        mapped = {m: rows.get(b, d.tensor, d.layer, d.method, m) for m in ("paper", "even_middle")}
        text = (f"* **{b}-bit, the paper's default source.** Without mapping it reaches "
                f"{_acc(none)}% against PCG64's {_acc(pcg)}%: its numbers lean "
                f"{number(none['bias_steps'], 2, sign=True)} output steps "
                f"({percent(none['zero_fraction'], 0, suffix='%')} zeros).")
        if all(mapped.values()):
            text += (f" With the paper's mapping {_acc(mapped['paper'])}%, with its selection "
                     f"rule {_acc(mapped['even_middle'])}%.")
        loss = none["epoch_loss"]
        if len(loss) > 2:
            low = int(np.argmin(loss))
            text += (f" Its mean training loss is lowest after epoch {low + 1} "
                     f"({loss[low]:.3f}) and {loss[-1]:.3f} after the last (PCG64: "
                     f"{pcg['epoch_loss'][-1]:.3f}).")
        out.append(text)
    if verdicts:
        out.append("* **The paper's claim at this scale.** The paper trains with its default "
                   "source (Method #2 on layer-2 gradients, no mapping) as well as with a "
                   "generator. Here that source is " + "; ".join(verdicts) + " (a difference "
                   "counts when it exceeds twice the larger std and one test image).")
    for b in cfg["bit_widths"]:
        pcg = rows.base.get((b, "pcg"))
        if pcg is None:
            continue
        counts = []
        for mapping in MAPPINGS:
            group = [r for r in result["closed_loop"] if r["bits"] == b and r["mapping"] == mapping]
            if group:
                within = sum(not _clearly_below(r, pcg) for r in group)
                counts.append(f"{within} of {len(group)} "
                              f"{MAPPING_LABELS[mapping].replace('the paper', 'paper')}")
        if counts:
            out.append(f"* **{b}-bit, all sources.** Not clearly below PCG64: "
                       + ", ".join(counts) + ".")
    unmapped = [r for r in result["closed_loop"] if r["mapping"] == "none"
                and (r["bits"], "pcg") in rows.base]
    failing = [r for r in unmapped if _clearly_below(r, rows.base[(r["bits"], "pcg")])]
    if failing:
        lean = [r for r in failing if r["tensor"] != "weight"]
        text = ("* **Why sources fail without mapping: numbers that lean.** Zero and small "
                "codes make LSBs of 0 common, the numbers come out low and every rounding "
                "leans down; activations and errors shrink and more codes are zero in the next "
                "step, a feedback loop only a closed loop shows.")
        if lean:
            text += (f" The {len(lean)} failing sources other than weights lean by "
                     f"{number(np.median([r['bias_steps'] for r in lean]), 2, sign=True)} output "
                     "steps (median; an unbiased source: 0) with a median of "
                     f"{percent(np.median([r['zero_fraction'] for r in lean]), 0, suffix='%')} "
                     "zeros (`why.png`, left).")
        keep = [r for r in unmapped if r not in failing]
        if 0 < len(keep) <= 8:
            text += (" Without mapping only these are not clearly below PCG64 (a large "
                     "spread alone can put a source here): "
                     + "; ".join(f"{_where(r['tensor'], r['layer'])} {r['method']} at "
                                 f"{r['bits']} bits, {_acc(r)}%" for r in keep) + ".")
        elif keep:
            text += (f" Without mapping {len(keep)} of {len(unmapped)} are not clearly below "
                     "PCG64.")
        out.append(text)
    b = cfg["bit_widths"][0]
    error = [rows.get(b, "error", "middle", "multi_lsb", m) for m in ("none", "paper")]
    a1 = result["paper"]["table_a1"]["error"]
    mapped = [r for r in result["closed_loop"] if r["mapping"] != "none"]
    if all(error) and mapped and unmapped:
        out.append(
            "* **Mapping removes the lean.** Sending the frequent numbers to the middle of the "
            "range brings the median |lean| of all sources from "
            f"{np.median([abs(r['bias_steps']) for r in unmapped]):.2f} to "
            f"{np.median([abs(r['bias_steps']) for r in mapped]):.2f} output steps. This is "
            f"the paper's Table A1 effect: the middle layer's errors go from {_acc(error[0])}% "
            f"to {_acc(error[1])}% at {b} bits, where the paper's error source goes from "
            f"{a1[0]:.2f}% to {a1[1]:.2f}%.")
    for b in cfg["bit_widths"]:
        pcg = rows.base.get((b, "pcg"))
        group = [r for r in mapped if r["bits"] == b]
        if pcg is None or not group:
            continue
        bad = [r for r in group if _clearly_below(r, pcg)]
        good = [r for r in group if r not in bad]
        if bad and good:
            out.append(
                f"* **{b}-bit with a mapping: repetition separates them.** The {len(bad)} "
                f"mapped sources clearly below PCG64 repeat the previous step's number in "
                f"{percent(np.median([r['repeat_fraction'] for r in bad]), 0, suffix='%')} of "
                "their roundings (median), the "
                f"{len(good)} others in "
                f"{percent(np.median([r['repeat_fraction'] for r in good]), 0, suffix='%')}; "
                "their median |lean| is "
                f"{np.median([abs(r['bias_steps']) for r in bad]):.2f} and "
                f"{np.median([abs(r['bias_steps']) for r in good]):.2f} output steps "
                "(`why.png`).")
    weights = [r for r in failing if r["tensor"] == "weight"]
    if weights:
        out.append(
            f"* **Weights fail for another reason.** {len(weights)} weight sources without "
            "mapping fall clearly below PCG64 although their numbers lean little "
            f"({min(r['bias_steps'] for r in weights):+.2f} to "
            f"{max(r['bias_steps'] for r in weights):+.2f} steps, entropy "
            f"{min(r['entropy'] for r in weights):.2f} to "
            f"{max(r['entropy'] for r in weights):.2f} bits): most weight codes do not "
            "change from one step to the next, so a rounding gets the same number step after "
            f"step ({percent(min(r['repeat_fraction'] for r in weights), 0, suffix='%')} to "
            f"{percent(max(r['repeat_fraction'] for r in weights), 0, suffix='%')} repeats, "
            f"against {percent(2.0 ** -cfg['rnd_bits'], 1, suffix='%')} for an independent "
            "source) and rounds the same element the same way each time: the rounding error "
            "no longer averages out (`why.png`, right).")
    return out


def _accuracy_grid_png(result):
    """Heat map of mean accuracy: sources down, width x method x mapping across."""
    cfg = result["config"]
    rows = _Rows(result)
    cols = [(b, m, mp) for b in cfg["bit_widths"] for m in METHODS for mp in MAPPINGS]
    grid = np.array([[np.nan if rows.get(b, *place, m, mp) is None else
                      100 * rows.get(b, *place, m, mp)["mean"] for b, m, mp in cols]
                     for place in rows.places])
    fig = figure(10.0, 6.0)
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_invalid(grid), vmin=0, vmax=100, cmap="viridis",
                      aspect="auto")
    for i, j in zip(*np.nonzero(np.isfinite(grid))):
        ax.text(j, i, f"{grid[i, j]:.0f}", ha="center", va="center", fontsize=6,
                color="w" if grid[i, j] < 60 else "k")
    ax.set_yticks(range(len(rows.places)), [_where(*p) for p in rows.places], fontsize=7)
    ax.set_xticks(range(len(cols)), [f"{b}-bit {'#1' if m == 'direct' else '#2'} {mp}"
                                     for b, m, mp in cols], rotation=60, ha="right", fontsize=7)
    fig.colorbar(image, ax=ax, label="test accuracy (%), mean over seeds")
    ax.set_title("Closed-loop generator-free training: accuracy per source, method (#1, #2) "
                 "and mapping", fontsize=10)
    return png_bytes(fig)


def _why_png(result):
    """Accuracy against the numbers' mean bias and repeat share, all sources."""
    rows = _Rows(result)
    fig = figure(10.0, 4.0)
    axes = fig.subplots(1, 2, sharey=True)
    markers = {"none": "o", "paper": "s", "even_middle": "^"}
    for ax, key, label in ((axes[0], "bias_steps", "mean rounding bias of the numbers (output steps)"),
                           (axes[1], "repeat_fraction",
                            "share of roundings repeating the previous step's number")):
        for b, color in zip(result["config"]["bit_widths"], ("C0", "C1", "C2")):
            for mapping, marker in markers.items():
                group = [r for r in result["closed_loop"]
                         if r["bits"] == b and r["mapping"] == mapping]
                ax.scatter([r[key] for r in group], [100 * r["mean"] for r in group], s=14,
                           color=color, marker=marker, label=f"{b}-bit, {mapping}")
            if (b, "pcg") in rows.base:
                ax.axhline(100 * rows.base[(b, "pcg")]["mean"], color=color, lw=0.8, ls="--")
        ax.set_xlabel(label, fontsize=8)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("test accuracy (%); dashed: PCG64")
    axes[1].legend(fontsize=6, loc="lower left", title="codes, mapping", title_fontsize=6)
    fig.suptitle("Why sources fail: numbers that lean (left), numbers that do not change (right)",
                 fontsize=10)
    return png_bytes(fig)


def _loss_png(result):
    """Mean training loss per epoch: PCG64 against the paper's default source, per mapping."""
    cfg = result["config"]
    rows = _Rows(result)
    d = PAPER_DEFAULT
    fig = figure(10.0, 3.6)
    axes = fig.subplots(1, len(cfg["bit_widths"]), sharey=True, squeeze=False)[0]
    for ax, b in zip(axes, cfg["bit_widths"]):
        curves = [("SR, PCG64", rows.base.get((b, "pcg")), "k")]
        curves += [(f"paper's default, {MAPPING_LABELS[m]}",
                    rows.get(b, d.tensor, d.layer, d.method, m), f"C{i}")
                   for i, m in enumerate(MAPPINGS)]
        for label, row, color in curves:
            if row is not None:
                ax.plot(np.arange(1, len(row["epoch_loss"]) + 1), row["epoch_loss"], color=color,
                        label=label)
        ax.set_title(f"{b}-bit codes", fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("training loss, mean over seeds")
    axes[-1].legend(fontsize=7)
    return png_bytes(fig)


def report_files(result):
    """``generator_free.md``, ``generator_free.json``, ``accuracy_grid.png``, ``why.png`` and
    ``loss.png``, rendered."""
    return {"generator_free.md": generator_free_markdown(result),
            "generator_free.json": json_text(result),
            "accuracy_grid.png": _accuracy_grid_png(result), "why.png": _why_png(result),
            "loss.png": _loss_png(result)}


def run(args):
    """``stochhw analyze generator-free``: 5 seeds from ``--seed`` (2 seeds and 2 epochs with
    ``--quick``)."""
    quick = args.quick
    result = generator_free_study(tuple(range(args.seed, args.seed + (2 if quick else 5))),
                                  epochs=2 if quick else None, quick=quick, jobs=args.jobs,
                                  scheduler=args.scheduler,
                                  progress=None if args.json else sys.stderr)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, result, generator_free_markdown(result), paths)
