"""``stochhw analyze training``: low-precision training of the digits MLP with each rounding source.

Accuracy of :mod:`stochhw.models.ml.training` with stochastic rounding fed by PCG64, an LFSR
or the LSBs of the recorded tensors, against round-to-nearest (:func:`training_comparison`);
:func:`report_files` renders ``training.md``, ``training.json``, ``accuracy.png`` and
``entropy.png``, which :func:`run` writes into ``--out`` (default ``reports/training/``).
"""

import dataclasses
import sys

import numpy as np

from stochhw.models.ml.digits import TEST_SAMPLES, TRAIN_SAMPLES
from stochhw.models.ml.random_sources import ArraySource
from stochhw.models.ml.training import TENSOR_KINDS, TrainingConfig, tensor_numbers, train
from stochhw.models.stats.entropy import shannon_entropy
from stochhw.sim.analyses.randomness import sru_bias
from stochhw.sim.analyses.topic import print_outcome, report_folder
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

__all__ = ["TRAINING_METHODS", "PAPER_TABLE6", "training_comparison", "training_markdown",
           "report_files", "run"]

#: Rounding methods of the comparison, in table order: key -> label.
TRAINING_METHODS = {
    "nearest": "round to nearest",
    "pcg": "SR, PCG64",
    "lfsr": "SR, LFSR-16 (low bits of successive states)",
    "weight": "SR, LSBs of weights",
    "activation": "SR, LSBs of activations",
    "error": "SR, LSBs of errors",
    "gradient": "SR, LSBs of gradients",
}

#: Shannon entropy of 6-bit numbers extracted from each tensor type, the paper's Table 6.
PAPER_TABLE6 = {"weight": 5.84, "activation": 4.97, "error": 2.80, "gradient": 5.88}


def training_comparison(seeds=(1, 2, 3, 4, 5), bit_widths=(8, 6), epochs=None, quick=False,
                        progress=None):
    """Test accuracy of the digits MLP for every rounding method, width and seed.

    For each width and seed: a float64 reference run (once per seed), a round-to-nearest run,
    stochastic rounding from PCG64 (this run records the tensors), from an LFSR, and from each
    tensor type's recorded codes: the ``rnd_bits`` LSBs of every recorded code of that type
    (all layers, every step), fed in order as an :class:`stochhw.models.ml.random_sources.ArraySource` and
    cycled, into a run with the same seed and width. The entropy of those numbers is tabled
    too.

    Parameters
    ----------
    seeds : sequence of int
    bit_widths : sequence of int
    epochs : int, optional
        Override the default epochs (for quick runs).
    quick : bool
        Marks the result as a smoke test (the report says so).
    progress : file, optional
        Where to print one line per finished (width, seed).

    Returns
    -------
    dict
        JSON-ready: ``config``, ``float_reference``, ``accuracy`` (one row per width and
        method) and ``tensor_entropy`` (one row per width and tensor type).
    """
    base = TrainingConfig() if epochs is None else TrainingConfig(epochs=epochs)

    def configure(**changes):
        return dataclasses.replace(base, **changes)

    floats = [train(configure(seed=s, rounding="float", record_every=0)).test_accuracy
              for s in seeds]
    accuracy, entropy = [], []
    for bits in bit_widths:
        runs = {m: [] for m in TRAINING_METHODS}
        reuse = {m: [] for m in TRAINING_METHODS}
        stats = {k: {"entropy": [], "layers": [], "bias": [], "zero": []} for k in TENSOR_KINDS}
        for seed in seeds:
            quiet = configure(seed=seed, bits=bits, record_every=0)
            runs["nearest"].append(train(configure(seed=seed, bits=bits, rounding="nearest",
                                                   record_every=0)))
            recorded = train(configure(seed=seed, bits=bits), "pcg")
            runs["pcg"].append(recorded)
            runs["lfsr"].append(train(quiet, "lfsr"))
            for kind in TENSOR_KINDS:
                numbers = tensor_numbers(recorded, kind, None, base.rnd_bits)
                source = ArraySource(numbers, base.rnd_bits, f"LSBs of {kind} codes")
                runs[kind].append(train(quiet, source))
                reuse[kind].append(source.drawn / numbers.size)
                st = stats[kind]
                st["entropy"].append(shannon_entropy(numbers, base.rnd_bits))
                st["layers"].append([shannon_entropy(tensor_numbers(recorded, kind, l,
                                                                    base.rnd_bits),
                                                     base.rnd_bits)
                                     for l in range(len(base.layers) - 1)])
                st["bias"].append(sru_bias(numbers, base.rnd_bits)["mean_bias_lsb"])
                st["zero"].append(float(np.mean(numbers == 0)))
            if progress is not None:
                print(f"  {bits}-bit, seed {seed}: " + ", ".join(
                    f"{m} {runs[m][-1].test_accuracy:.3f}" for m in TRAINING_METHODS),
                    file=progress, flush=True)
        for method, label in TRAINING_METHODS.items():
            accs = [r.test_accuracy for r in runs[method]]
            mean, std = mean_std(accs)
            accuracy.append({
                "bits": bits, "method": method, "label": label, "accuracies": accs,
                "mean": mean, "std": std,
                "random_numbers": int(np.mean([r.random_numbers for r in runs[method]])),
                "reuse": float(np.mean(reuse[method])) if reuse[method] else None})
        for kind in TENSOR_KINDS:
            st = stats[kind]
            mean, std = mean_std(st["entropy"])
            entropy.append({
                "bits": bits, "kind": kind, "number_bits": base.rnd_bits,
                "entropy_mean": mean, "entropy_std": std,
                "entropy_per_layer": [float(v) for v in np.mean(st["layers"], axis=0)],
                "sru_mean_bias_lsb": float(np.mean(st["bias"])),
                "zero_fraction": float(np.mean(st["zero"])),
                "paper_table6": PAPER_TABLE6[kind]})
    config = {k: (list(v) if isinstance(v, tuple) else v)
              for k, v in dataclasses.asdict(base).items() if k not in ("seed", "bits", "rounding")}
    mean, std = mean_std(floats)
    return {"config": {**config, "seeds": list(seeds), "bit_widths": list(bit_widths),
                       "test_samples": TEST_SAMPLES, "train_samples": TRAIN_SAMPLES,
                       "quick": bool(quick)},
            "float_reference": {"accuracies": floats, "mean": mean, "std": std},
            "accuracy": accuracy, "tensor_entropy": entropy}


def training_markdown(result):
    """``training.md`` of a :func:`training_comparison` result."""
    cfg = result["config"]
    widths = cfg["bit_widths"]
    ref = result["float_reference"]
    rows = {(r["bits"], r["method"]): r for r in result["accuracy"]}
    ent = {(r["bits"], r["kind"]): r for r in result["tensor_entropy"]}
    layers = "-".join(map(str, [64, *cfg["hidden"], 10]))

    def reuse(method):
        value = rows[(widths[0], method)]["reuse"]
        return "" if value is None else f"{value:.1f}x"

    return "\n".join([
        "# Low-precision training with different sources of rounding randomness",
        "",
        "Regenerate with `stochhw analyze training` (source: `sim/analyses/training.py`, "
        "`models/ml/training.py`). Deterministic: the same code gives the same bytes.",
        "",
        f"A {layers} ReLU MLP on scikit-learn's 8x8 digits ({cfg['train_samples']} training, "
        f"{cfg['test_samples']} held-out samples, fixed stratified split), plain SGD "
        f"(learning rate {cfg['learning_rate']}, batch {cfg['batch']}, {cfg['epochs']} epochs). "
        "Weights (no full-precision copy), activations, errors and gradients are signed "
        "fixed point with a per-tensor power-of-two scale, rounded by the SRU rule "
        f"`floor((x + rnd) / 2^k)` with k = {cfg['rnd_bits']} random bits per rounding; round "
        "to nearest uses the constant `rnd = 2^(k-1)`. Tensor sources use the "
        f"{cfg['rnd_bits']} LSBs of every code of that type recorded during the PCG64 run with "
        "the same seed and width (all layers, every step), fed in order and cycled: the reuse "
        "column says how many times over.",
        "",
        *([f"**Quick run** ({cfg['epochs']} epochs, {len(cfg['seeds'])} seeds): a smoke test, "
           "not a result.", ""] if cfg.get("quick") else []),
        f"Clean test accuracy, mean ± standard deviation over seeds {cfg['seeds']} (%). "
        f"Float64 reference (no quantization): {plus_minus(ref['mean'], ref['std'], scale=100)}.",
        "",
        *table(["rounding", *(f"{b}-bit" for b in widths), "reuse of tensor numbers"],
               "l" + "r" * len(widths) + "r",
               ([label, *(plus_minus(rows[(b, method)]["mean"], rows[(b, method)]["std"],
                                     scale=100) for b in widths), reuse(method)]
                for method, label in TRAINING_METHODS.items())),
        "",
        f"## Entropy of {cfg['rnd_bits']}-bit numbers taken from the tensors' LSBs",
        "",
        f"Shannon entropy (bits per {cfg['rnd_bits']}-bit number, at most {cfg['rnd_bits']}) of "
        "the direct-extracted numbers, all layers; per layer in brackets (layer 0 first). "
        "Mean SR bias: mean of `y*2^k - x` over every fractional part when these numbers "
        "drive the rounding, in LSBs of x, i.e. in 1/2^k of a code step (an ideal source gives "
        "0). Paper: Table 6.",
        "",
        *table(["codes", "tensor", "entropy (bits)", "per layer", "zero numbers",
                "mean SR bias (LSB)", "paper"], "llrlrrr",
               ([f"{b}-bit", kind, plus_minus(r["entropy_mean"], r["entropy_std"]),
                 "[" + ", ".join(f"{v:.2f}" for v in r["entropy_per_layer"]) + "]",
                 percent(r["zero_fraction"], 1, suffix="%"),
                 number(r["sru_mean_bias_lsb"], 2, sign=True), number(r["paper_table6"], 2)]
                for b in widths for kind in PAPER_TABLE6 for r in [ent[(b, kind)]])),
        "",
        "Notes on the comparison with the paper: its tensors come from larger networks and "
        "data sets in a different number format, so only the ordering is comparable. Here, "
        "about half of the digits' pixel values are zero and, in a batch of 32 images, about "
        "a fifth of the pixels are zero in all of them, so the first layer's gradient rows "
        "for those pixels are exactly zero; small gradients, errors and ReLU outputs "
        "round to the zero code at 6 bits under a per-tensor scale set by the largest "
        "element. Zero codes give the number 0, which pulls the entropy down and biases the "
        "rounding downwards (negative mean SR bias).",
        "",
    ])


def _bars(widths, groups, value, label):
    """A figure with one bar per group and code width: ``value(width, group)`` gives the
    height and its error bar. Returns the figure and its axes."""
    fig = figure(8.0, 4.0)
    ax = fig.subplots()
    bar = 0.8 / len(widths)
    for i, b in enumerate(widths):
        xs = np.arange(len(groups)) + (i - (len(widths) - 1) / 2) * bar
        heights, errors = zip(*(value(b, g) for g in groups))
        ax.bar(xs, list(heights), bar, yerr=list(errors), capsize=3, label=label(b))
    return fig, ax


def _accuracy_png(result):
    """Accuracy per rounding method and width, with the float64 reference."""
    rows = {(r["bits"], r["method"]): r for r in result["accuracy"]}
    names = list(TRAINING_METHODS)
    fig, ax = _bars(result["config"]["bit_widths"], names,
                    lambda b, m: (100 * rows[(b, m)]["mean"], 100 * rows[(b, m)]["std"]),
                    lambda b: f"{b}-bit")
    ax.axhline(100 * result["float_reference"]["mean"], color="k", lw=0.8, ls="--",
               label="float64")
    ax.set_xticks(np.arange(len(names)), ["nearest", "PCG64", "LFSR", "weights",
                                          "activations", "errors", "gradients"])
    ax.set_ylabel("test accuracy (%), mean ± std over seeds")
    ax.set_ylim(0, 100)
    ax.set_title("Digits MLP: rounding method and source of randomness", fontsize=10)
    return _finish(ax, fig)


def _entropy_png(result):
    """Entropy of the numbers taken from each tensor type, with the paper's Table 6."""
    cfg = result["config"]
    rows = {(r["bits"], r["kind"]): r for r in result["tensor_entropy"]}
    kinds = list(PAPER_TABLE6)
    fig, ax = _bars(cfg["bit_widths"], kinds,
                    lambda b, k: (rows[(b, k)]["entropy_mean"], rows[(b, k)]["entropy_std"]),
                    lambda b: f"LSBs of {b}-bit codes")
    ax.plot(np.arange(len(kinds)), [PAPER_TABLE6[k] for k in kinds], "k*", ms=9,
            label="paper, Table 6")
    ax.axhline(cfg["rnd_bits"], color="k", lw=0.8, ls="--", label="ideal")
    ax.set_xticks(np.arange(len(kinds)), kinds)
    ax.set_ylabel(f"entropy of {cfg['rnd_bits']}-bit numbers (bits)")
    ax.set_ylim(0, cfg["rnd_bits"] + 0.5)
    ax.set_title("Direct extraction from recorded tensors", fontsize=10)
    return _finish(ax, fig)


def _finish(ax, fig):
    ax.grid(True, axis="y", alpha=0.3)
    # Outside the axes: inside, it would hide a bar whatever the corner.
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return png_bytes(fig)


def report_files(result):
    """``training.md``, ``training.json``, ``accuracy.png`` and ``entropy.png``, rendered."""
    return {"training.md": training_markdown(result), "training.json": json_text(result),
            "accuracy.png": _accuracy_png(result), "entropy.png": _entropy_png(result)}


def run(args):
    """``stochhw analyze training``: 5 seeds (2 and 3 epochs with ``--quick``) from ``--seed``."""
    result = training_comparison(tuple(range(args.seed, args.seed + (2 if args.quick else 5))),
                                 epochs=3 if args.quick else None, quick=args.quick,
                                 progress=None if args.json else sys.stderr)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, result, training_markdown(result), paths)
