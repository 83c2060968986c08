"""``stochhw analyze robustness``: bit error robustness of quantized weights (Stutz et al., MLSys 2021) on the digits MLP.

Trains the 64-64-10 MLP of :mod:`stochhw.models.ml.robust_training` with quantization-aware training under
every quantization scheme of :mod:`stochhw.models.ml.quantization`, with weight clipping and with random
bit error training (RandBET), and measures test error on faulty chips (:mod:`stochhw.models.ml.bit_errors`):
the clean error Err, and the robust error RErr, the mean ± standard deviation of the test error
over ``--chips`` chips (default 50) at each bit error rate p. Writes into ``--out`` (default
``reports/robustness/``):

``robustness.md``
    The paper's Tables 1 (quantization schemes), 2 (weight clipping), 4 (RQUANT, CLIPPING,
    RANDBET for m = 8, 4, 3, 2 bits) and 5 (column-aligned and stuck-at error maps), a check
    over training seeds, and a side-by-side table with the paper's CIFAR10 numbers.
``robustness.json``
    Everything the tables are made from (schema below).
``rerr_vs_p.png``
    RErr against p, the paper's Fig. 7.
``weights.png``
    Histograms of the quantized weights with and without clipping.

JSON schema (fractions, not percent)::

    {"config": {...},                      # every setting of the run
     "models": [{"id", "method", "bits", "scheme", "w_max", "p_train", "seed",
                 "clean_error", "train_error", "final_loss", "steps", "injected_steps",
                 "first_injection", "mean_relative_code"}],
     "results": [{"model", "map", "p", "mean", "std", "min", "max", "flip_rate"}],
     "tables": {"table1" | "table2" | "table4" | "table5" | "seeds": {"ps": [...], "rows": [...]}},
     "weight_histograms": [{"model", "edges", "counts"}],
     "paper": {...}}                       # the paper's CIFAR10 numbers quoted here

Deterministic: the same code and arguments give the same bytes. :func:`robustness_study`
computes, :func:`report_files` renders, :func:`run` runs both.
"""

import sys

import numpy as np

from stochhw.models.checks import check_int
from stochhw.models.ml.bit_errors import Chips, FaultModel, MemoryLayout, chip_seeds
from stochhw.models.ml.digits import TEST_SAMPLES, TRAIN_SAMPLES
from stochhw.models.ml.robust_training import RobustConfig, evaluate, memory_image, train_robust
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.reportkit import (
    figure,
    json_text,
    mean_std,
    percent,
    plus_minus,
    png_bytes,
    table,
    write_report,
)

__all__ = ["W_CLIP", "PAPER_CIFAR10", "robustness_study", "robustness_markdown", "report_files",
           "run"]

#: The clipping bound of CLIPPING and RANDBET. The paper clips at 0.1; a 3x3x64 convolution (fan-in
#: 576, typical of its CIFAR10 networks) has He-init standard deviation sqrt(2/576) = 0.059, so 0.1
#: is 1.7 of those. The MLP's layers have fan-in 64 (std 0.177): the same ratio gives 0.30.
W_CLIP = 0.3

#: The paper's CIFAR10 RErr (%) at p = 1 %, 8 bit, quoted for comparison.
PAPER_CIFAR10 = {"p": 0.01, "bits": 8, "RQUANT": 32.05, "CLIPPING": 8.93, "RANDBET": 7.41,
                 "clipping_w_max": 0.1}

#: Fault maps of Table 5 (see stochhw.models.ml.bit_errors.FaultModel), by name.
MAP_LABELS = {
    "random": "random",
    "column": "column-aligned",
    "stuck": "stuck-at, half at 1",
    "stuck1": "stuck-at-1 (0→1 only)",
    "stuck0": "stuck-at-0 (1→0 only)",
}

_FULL = dict(bits=(8, 4, 3, 2), seeds=3, epochs=60, hidden=(64,), default_chips=50,
             sweep=(None, 1.0, 0.5, 0.3, 0.2, 0.15, 0.1), sweep_bits=(8, 4),
             p_train=(0.01, 0.05),
             p_table=(0.001, 0.01, 0.05), p_main=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1),
             p_curve=(0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2),
             p_maps=(0.01, 0.05))
_QUICK = dict(bits=(8, 4), seeds=1, epochs=4, hidden=(16,), default_chips=5,
              sweep=(None, 0.3, 0.1), sweep_bits=(8,), p_train=(0.05,),
              p_table=(0.01, 0.05), p_main=(0.01, 0.05), p_curve=(0.001, 0.01, 0.1),
              p_maps=(0.05,))

_SCHEME_LABELS = {
    "normal_global": "global, symmetric, signed, floor",
    "normal": "per-layer, symmetric, signed, floor (NORMAL)",
    "asymmetric": "+ asymmetric",
    "asymmetric_unsigned": "+ unsigned",
    "rquant": "+ rounding (RQUANT)",
}


def _pct(x):
    return percent(x, 2)


def _ptxt(p):
    return percent(p, None, suffix="%")


class _Study:
    """Trains models on demand, evaluates them on chips, remembers everything once."""

    def __init__(self, plan, chips, seed, progress):
        self.plan, self.seed, self.progress = plan, seed, progress
        self.chip_seeds = chip_seeds(seed, chips)
        self.maps = {"random": FaultModel(), "column": FaultModel("column"),
                     "stuck": FaultModel("stuck", p01=0.5), "stuck1": FaultModel("stuck", p01=1.0),
                     "stuck0": FaultModel("stuck", p01=0.0)}
        self.models, self.rows, self.results, self._chips = {}, [], {}, {}

    def model(self, method, bits, scheme="rquant", w_max=None, p_train=0.0, seed_index=0):
        seed = self.seed + seed_index
        key = f"m{bits}-{scheme}-w{w_max or 'none'}-p{p_train:g}-s{seed}"
        if key not in self.models:
            config = RobustConfig(seed=seed, m=bits, scheme=scheme, w_max=w_max, p_train=p_train,
                                  hidden=self.plan["hidden"], epochs=self.plan["epochs"])
            trained = train_robust(config)
            self.models[key] = trained
            codes = [q.codes for q in trained.quantized[0::2]]     # weight matrices
            self.rows.append({
                "id": key, "method": method, "bits": bits, "scheme": scheme, "w_max": w_max,
                "p_train": p_train, "seed": seed, "clean_error": trained.clean_error,
                "train_error": trained.train_error, "final_loss": trained.epoch_loss[-1],
                "steps": trained.steps, "injected_steps": trained.injected_steps,
                "first_injection": trained.first_injection,
                "mean_relative_code": float(np.mean([np.mean(np.abs(c)) / ((1 << (bits - 1)) - 1)
                                                     for c in codes]))})
            if self.progress is not None:
                print(f"  trained {key}: clean error {_pct(trained.clean_error)}%",
                      file=self.progress, flush=True)
        return key

    def evaluate(self, key, ps, map_name="random"):
        todo = [p for p in ps if (key, map_name, p) not in self.results]
        if todo:
            trained = self.models[key]
            layout = MemoryLayout(memory_image(trained.quantized).size, trained.config.m)
            if (layout.rows, layout.row_bits) not in self._chips:
                self._chips[(layout.rows, layout.row_bits)] = Chips.for_layout(self.chip_seeds,
                                                                               layout)
            errors, rates = evaluate(trained, todo, self._chips[(layout.rows, layout.row_bits)],
                                     self.maps[map_name], layout.row_bits)
            for p, e, r in zip(todo, errors, rates):
                mean, std = mean_std(e)
                self.results[(key, map_name, p)] = {
                    "model": key, "map": map_name, "p": p, "mean": mean, "std": std,
                    "min": float(np.min(e)), "max": float(np.max(e)),
                    "flip_rate": float(np.mean(r))}
        return key


def robustness_study(chips=None, seed=1, quick=False, progress=None):
    """Train, evaluate and tabulate; returns the JSON-ready result (see the module doc).

    Parameters
    ----------
    chips : int, optional
        Chips per bit error rate (default 50, or 5 with ``quick``).
    seed : int
        First training seed (training seeds are ``seed, seed + 1, ...``) and chip seed base.
    quick : bool
        A smoke test: two widths, a tiny network, few epochs, few rates.
    progress : file, optional
        Where to print one line per trained model.
    """
    plan = _QUICK if quick else _FULL
    chips = plan["default_chips"] if chips is None else check_int("chips", chips, 1, 999)
    study = _Study(plan, chips, seed, progress)
    bits_all, p_table, p_main = plan["bits"], plan["p_table"], plan["p_main"]
    tables = {}

    # Table 1: quantization schemes, each trained with its own scheme (quantization-aware).
    rows = []
    for bits in bits_all:
        for scheme, label in _SCHEME_LABELS.items():
            key = study.evaluate(study.model(scheme.upper(), bits, scheme), p_table)
            rows.append({"bits": bits, "label": label, "model": key})
    tables["table1"] = {"ps": list(p_table), "rows": rows}

    # Table 2: weight clipping bound w_max (RQUANT + clipping; None: no clipping).
    rows = []
    for bits in plan["sweep_bits"]:
        for w_max in plan["sweep"]:
            key = study.evaluate(study.model("RQUANT" if w_max is None else "CLIPPING", bits,
                                             w_max=w_max), p_table)
            rows.append({"bits": bits, "label": "none" if w_max is None else f"{w_max:g}",
                         "w_max": w_max, "model": key})
    tables["table2"] = {"ps": list(p_table), "rows": rows}

    # Table 4 and Fig. 7: NORMAL, RQUANT, CLIPPING, RANDBET at every width; all training seeds.
    def methods(bits, seed_index):
        out = [("NORMAL", study.model("NORMAL", bits, "normal", seed_index=seed_index)),
               ("RQUANT", study.model("RQUANT", bits, seed_index=seed_index)),
               (f"CLIPPING {W_CLIP:g}", study.model("CLIPPING", bits, w_max=W_CLIP,
                                                     seed_index=seed_index))]
        for p_train in plan["p_train"]:
            out.append((f"RANDBET p={_ptxt(p_train)}",
                        study.model("RANDBET", bits, w_max=W_CLIP, p_train=p_train,
                                    seed_index=seed_index)))
        return out

    rows, seed_rows = [], []
    for bits in bits_all:
        for label, key in methods(bits, 0):
            study.evaluate(key, sorted(set(p_main) | set(plan["p_curve"])))
            rows.append({"bits": bits, "label": label, "model": key})
        for label, _ in methods(bits, 0):
            keys = [dict(methods(bits, s))[label] for s in range(plan["seeds"])]
            for key in keys:
                study.evaluate(key, p_main)
            seed_rows.append({"bits": bits, "label": label, "models": keys})
    tables["table4"] = {"ps": list(p_main), "curve_ps": list(plan["p_curve"]), "rows": rows}
    tables["seeds"] = {"ps": list(p_main), "rows": seed_rows}

    # Table 5: other error maps, 8-bit networks of seed 0.
    rows = []
    bits = bits_all[0]
    for label, key in [("NORMAL", study.model("NORMAL", bits, "normal")),
                       ("asymmetric, signed", study.model("ASYMMETRIC", bits, "asymmetric")),
                       ("asymmetric, unsigned", study.model("ASYMMETRIC_UNSIGNED", bits,
                                                            "asymmetric_unsigned")),
                       *methods(bits, 0)[1:]]:
        for map_name in MAP_LABELS:
            study.evaluate(key, plan["p_maps"], map_name)
        rows.append({"bits": bits, "label": label, "model": key})
    tables["table5"] = {"ps": list(plan["p_maps"]), "maps": list(MAP_LABELS), "rows": rows}

    # Weight histograms (code / largest code) of RQUANT against CLIPPING, 8 bit.
    histograms = []
    for key in (study.model("RQUANT", bits), study.model("CLIPPING", bits, w_max=W_CLIP)):
        trained = study.models[key]
        top = (1 << (bits - 1)) - 1
        rel = np.concatenate([q.codes.ravel() / top for q in trained.quantized[0::2]])
        counts, edges = np.histogram(rel, bins=41, range=(-1.0, 1.0))
        histograms.append({"model": key, "edges": [float(e) for e in edges],
                           "counts": [int(c) for c in counts]})

    base = RobustConfig()
    column = study.maps["column"]
    return {
        "config": {
            "quick": bool(quick), "seed": seed, "chips": chips, "chip_seeds": study.chip_seeds,
            "training_seeds": [seed + s for s in range(plan["seeds"])],
            "bits": list(bits_all), "layers": [64, *plan["hidden"], 10],
            "epochs": plan["epochs"], "batch": base.batch, "learning_rate": base.learning_rate,
            "momentum": base.momentum, "weight_decay": base.weight_decay,
            "loss_threshold": base.loss_threshold, "w_clip": W_CLIP, "row_bits": 64,
            "p_train": list(plan["p_train"]), "column_weak_fraction": column.weak_columns,
            "column_concentration": column.concentration,
            "train_samples": TRAIN_SAMPLES, "test_samples": TEST_SAMPLES},
        "models": study.rows,
        "results": [study.results[k] for k in sorted(study.results, key=lambda k: (k[0], k[1], k[2]))],
        "tables": tables,
        "weight_histograms": histograms,
        "paper": PAPER_CIFAR10,
    }


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------

def _lookup(result):
    models = {m["id"]: m for m in result["models"]}
    stats = {(r["model"], r["map"], r["p"]): r for r in result["results"]}
    return models, stats


def _cell(stats, key, p, map_name="random"):
    r = stats[(key, map_name, p)]
    return plus_minus(r["mean"], r["std"], scale=100)


def _seed_cell(stats, keys, p):
    return mean_std([stats[(k, "random", p)]["mean"] for k in keys])


def _keyed(table_doc):
    """(bits, label, model id) of every row of one of the result's tables."""
    return [(r["bits"], r["label"], r["model"]) for r in table_doc["rows"]]


def _summary(result, models, stats):
    """The comparisons the conclusions rest on, as sentences with their numbers."""
    cfg, tables = result["config"], result["tables"]
    bits = cfg["bits"][0]
    t1 = {(r["bits"], r["label"]): r["model"] for r in tables["table1"]["rows"]}
    seeds = {(r["bits"], r["label"]): r["models"] for r in tables["seeds"]["rows"]}
    clip = f"CLIPPING {cfg['w_clip']:g}"
    p_lo, p_hi = tables["seeds"]["ps"][0], tables["seeds"]["ps"][-1]
    p_mid = 0.01 if 0.01 in tables["table1"]["ps"] else tables["table1"]["ps"][0]
    p_t5 = tables["table5"]["ps"][-1]

    def rerr(key, p, map_name="random"):
        return _pct(stats[(key, map_name, p)]["mean"])

    def seed_mean(label, p, b=bits):
        return _pct(_seed_cell(stats, seeds[(b, label)], p)[0])

    labels = list(_SCHEME_LABELS.values())
    floor_errs = ", ".join(f"{b} bit {_pct(models[t1[(b, labels[1])]]['clean_error'])}"
                           for b in cfg["bits"])
    round_errs = ", ".join(f"{_pct(models[t1[(b, labels[4])]]['clean_error'])}"
                           for b in cfg["bits"])
    signed, unsigned = t1[(bits, labels[2])], t1[(bits, labels[3])]
    same = all(stats[(signed, "random", p)]["mean"] == stats[(unsigned, "random", p)]["mean"]
               for p in tables["table1"]["ps"])
    sweep = {r["w_max"]: r["model"] for r in tables["table2"]["rows"] if r["bits"] == bits}
    randbets = [label for (b, label) in seeds if b == bits and label.startswith("RANDBET")]
    lines = [
        "## Summary of the comparisons",
        "",
        f"{bits}-bit networks unless stated; RErr in %, mean over chips (seed "
        f"{cfg['training_seeds'][0]}), or mean over training seeds where marked.",
        "",
        f"* Per-layer against global range, p = {_ptxt(p_mid)}: RErr "
        f"{rerr(t1[(bits, labels[0])], p_mid)} (global) against "
        f"{rerr(t1[(bits, labels[1])], p_mid)} (per-layer, NORMAL).",
        f"* Asymmetric range: {rerr(t1[(bits, labels[2])], p_mid)}. Unsigned (offset binary) "
        f"against signed: {'identical RErr at every p' if same else 'different RErr'} under "
        f"random errors (the encodings differ by an inverted MSB, so a flip moves a code by the "
        f"same ±2^j in both); under stuck-at-1 cells (0→1 only) at p = {_ptxt(p_t5)}: "
        f"{rerr(unsigned, p_t5, 'stuck1')} unsigned against {rerr(signed, p_t5, 'stuck1')} "
        "signed.",
        f"* Rounding against floor: clean Err of quantization-aware training with floor "
        f"(NORMAL): {floor_errs}; with rounding (RQUANT): {round_errs}.",
        f"* Clipping at w_max = {cfg['w_clip']:g}, p = {_ptxt(p_hi)} (mean over seeds): RErr "
        f"{seed_mean('RQUANT', p_hi)} (RQUANT) against {seed_mean(clip, p_hi)}; at p = "
        f"{_ptxt(p_lo)}: {seed_mean('RQUANT', p_lo)} against {seed_mean(clip, p_lo)}.",
    ]
    if 0.1 in sweep:
        lines.append(f"* The paper's w_max = 0.1 unscaled: clean Err "
                     f"{_pct(models[sweep[0.1]]['clean_error'])} against "
                     f"{_pct(models[sweep[None]]['clean_error'])} unclipped (no normalization "
                     "layer here to restore the scale of the outputs).")
    for label in randbets:
        lines.append(f"* {label} against {clip} (mean over seeds): " + ", ".join(
            f"p = {_ptxt(p)}: {seed_mean(label, p)} against {seed_mean(clip, p)}"
            for p in tables["seeds"]["ps"]) + ".")
    return lines + [""]


def robustness_markdown(result):
    """The report ``robustness.md`` as text, made from ``result`` alone."""
    cfg, tables = result["config"], result["tables"]
    models, stats = _lookup(result)
    paper = result["paper"]
    t4 = tables["table4"]
    layers = "-".join(map(str, cfg["layers"]))
    lines = [
        "# Bit error robustness of quantized weights (digits MLP)",
        "",
        "Regenerate with `stochhw analyze robustness` (source: `sim/analyses/robustness.py`, "
        "`models/ml/robust_training.py`, `models/ml/quantization.py`, `models/ml/bit_errors.py`). "
        "Deterministic: the same code gives the same bytes.",
        "",
        f"A {layers} ReLU MLP on scikit-learn's 8x8 digits ({cfg['train_samples']} training, "
        f"{cfg['test_samples']} held-out samples), trained with quantization-aware training "
        f"({cfg['epochs']} epochs, batch {cfg['batch']}, SGD with Nesterov momentum "
        f"{cfg['momentum']}, learning rate {cfg['learning_rate']} divided by 10 at 2/5, 3/5 and "
        f"4/5 of the epochs, weight decay {cfg['weight_decay']}), following Stutz et al., "
        "*Bit Error Robustness for Energy-Efficient DNN Accelerators* (MLSys 2021). "
        "**Err** is the clean test error of the quantized network; **RErr** is the test error "
        f"with random bit errors at rate p, mean ± standard deviation over {cfg['chips']} chips "
        "(seeded; each chip fixes a uniform u per memory cell and a bit flips iff u ≤ p, so the "
        "errors at a lower p are a subset of those at a higher p). All numbers in %. "
        f"CLIPPING clips at w_max = {cfg['w_clip']:g}: the paper's 0.1 scaled by the He-init "
        "standard deviation (fan-in 64 here against 576 for a 3x3x64 convolution, see Table 2). "
        f"RANDBET is clipping + RQUANT + random bit error training at p_train (the paper's "
        f"Algorithm 1: clean and perturbed gradients averaged, injection starting once the clean "
        f"loss is below {cfg['loss_threshold']}).",
        "",
    ]
    if cfg["quick"]:
        lines += [f"**Quick run** ({cfg['epochs']} epochs, {cfg['chips']} chips, tiny network): "
                  "a smoke test, not a result.", ""]

    # Side by side with the paper.
    ref = {row["label"]: row["model"] for row in t4["rows"] if row["bits"] == paper["bits"]}
    seeds = {row["label"]: row["models"] for row in tables["seeds"]["rows"]
             if row["bits"] == paper["bits"]}
    randbet = [label for label in ref if label.startswith("RANDBET")]
    ps_side = [p for p in (paper["p"], 0.05) if p in t4["ps"]]
    clip = f"CLIPPING {cfg['w_clip']:g}"

    def side_cells(label):
        for p in ps_side:
            own = stats[(ref[label], "random", p)]["mean"]
            base_mean = stats[(ref["RQUANT"], "random", p)]["mean"]
            mean, std = _seed_cell(stats, seeds[label], p)
            yield f"{_cell(stats, ref[label], p)} [{plus_minus(mean, std, scale=100)}]"
            yield f"{own / base_mean:.2f}"

    side_rows = [("RQUANT", paper["RQUANT"]), (clip, paper["CLIPPING"]),
                 *((label, paper["RANDBET"]) for label in randbet)]
    lines += [
        f"## Side by side with the paper (CIFAR10, {paper['bits']} bit, p = {_ptxt(paper['p'])})",
        "",
        "Paper: Stutz et al.'s CIFAR10 RErr at p = 1 %, 8 bit, for RQUANT, CLIPPING (w_max = "
        "0.1) and RANDBET. Here: RErr of seed "
        f"{cfg['training_seeds'][0]}, mean ± std over chips; in brackets the mean over training "
        f"seeds {cfg['training_seeds']} of the chip means, ± std over seeds.",
        "",
        *table(["method", "paper RErr", "paper / RQUANT",
                *(h for p in ps_side for h in (f"digits RErr, p = {_ptxt(p)}", "digits / RQUANT"))],
               "lrr" + "rr" * len(ps_side),
               ([label, f"{value:.2f}", f"{value / paper['RQUANT']:.2f}", *side_cells(label)]
                for label, value in side_rows)),
        "",
    ]

    lines += _summary(result, models, stats)

    def rerr_table(first, align, rows, ps, extra=None):
        """Rows of (bits, label, model id): Err, the ``extra`` columns (heading -> cell of a
        model) and RErr at each p."""
        extra = extra or {}
        return table([*first, "Err", *extra, *(f"RErr p = {_ptxt(p)}" for p in ps)],
                     align + "r" * (1 + len(extra) + len(ps)),
                     ([bits, label, _pct(models[key]["clean_error"]),
                       *(cells(models[key]) for cells in extra.values()),
                       *(_cell(stats, key, p) for p in ps)] for bits, label, key in rows))

    t1 = tables["table1"]
    t2 = tables["table2"]
    ts = tables["seeds"]
    t5 = tables["table5"]
    lines += [
        "## Table 1: quantization schemes",
        "",
        "Each row is a network trained (quantization-aware) and evaluated with that scheme; rows "
        "after NORMAL add one change each. Schemes: `models/ml/quantization.py`.",
        "",
        *rerr_table(["bits", "scheme"], "rl", _keyed(t1), t1["ps"]),
        "",
        "## Table 2: weight clipping",
        "",
        "RQUANT networks trained with their weights clipped to [-w_max, w_max]. Relative code: "
        "mean |c| / (2^(m-1) - 1) over the weight matrices, i.e. how much of the quantization "
        "range a typical weight uses; a bit flip changes c by 2^j whatever the weight, so the "
        "larger the typical |c|, the smaller the relative damage.",
        "",
        *rerr_table(["bits", "w_max"], "rr", _keyed(t2), t2["ps"],
                    {"relative code": lambda m: f"{m['mean_relative_code']:.3f}"}),
        "",
        "## Table 4: RQUANT, CLIPPING and RANDBET",
        "",
        f"Training seed {cfg['training_seeds'][0]}; RErr mean ± std over chips.",
        "",
        *rerr_table(["bits", "method"], "rl", _keyed(t4), t4["ps"]),
        "",
        f"Over training seeds {cfg['training_seeds']}: mean ± std over seeds of each network's "
        "Err and chip-mean RErr.",
        "",
        *table(["bits", "method", "Err", *(f"RErr p = {_ptxt(p)}" for p in ts["ps"])],
               "rlr" + "r" * len(ts["ps"]),
               ([row["bits"], row["label"],
                 plus_minus(*mean_std([models[k]["clean_error"] for k in row["models"]]),
                            scale=100),
                 *(plus_minus(*_seed_cell(stats, row["models"], p), scale=100) for p in ts["ps"])]
                for row in ts["rows"])),
        "",
        "![RErr against p](rerr_vs_p.png)",
        "",
        "## Table 5: generalization to other error maps",
        "",
        f"{t5['rows'][0]['bits']}-bit networks of Table 4 (and the two asymmetric networks of "
        "Table 1, identical except for the encoding), trained with random errors only, read "
        "from chips whose faults follow another map at the same cell fault rate p, with the "
        "same chips: *column-aligned*: all faults in "
        f"{cfg['column_weak_fraction']:.1%} of the {cfg['row_bits']} columns of each "
        f"{cfg['row_bits']}-bit SRAM row (chosen per chip), at {1 / cfg['column_weak_fraction']:g}"
        "x the rate, so whole bit positions of the weights in those columns fail together; "
        "*stuck-at*: a faulty cell reads a fixed value, so only bits that differ from it "
        "change (0→1 only, 1→0 only, or half and half). Measured flip rate: the fraction of "
        "stored bits that read back changed (mean over chips).",
        "",
    ]
    for p in t5["ps"]:
        rates = [np.mean([stats[(row["model"], mp, p)]["flip_rate"] for row in t5["rows"]])
                 for mp in t5["maps"]]
        lines += [
            f"p = {_ptxt(p)}:",
            "",
            *table(["method", "Err", *(MAP_LABELS[m] for m in t5["maps"])],
                   "lr" + "r" * len(t5["maps"]),
                   [*([row["label"], _pct(models[row["model"]]["clean_error"]),
                       *(_cell(stats, row["model"], p, mp) for mp in t5["maps"])]
                      for row in t5["rows"]),
                    ["*measured flip rate*", "", *(_pct(r) for r in rates)]]),
            "",
        ]
    lines += ["![weight histograms](weights.png)", ""]
    return "\n".join(lines)


def _rerr_png(result):
    """RErr against p per width, mean ± std over chips: the paper's Fig. 7."""
    models, stats = _lookup(result)
    t4 = result["tables"]["table4"]
    widths = list(dict.fromkeys(row["bits"] for row in t4["rows"]))
    cols = 2 if len(widths) > 1 else 1
    nrows = -(-len(widths) // cols)
    fig = figure(5.0 * cols, 3.6 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
    ps = np.array(t4["curve_ps"])
    for ax, bits in zip(axes, widths):
        for row in (r for r in t4["rows"] if r["bits"] == bits):
            mean = np.array([stats[(row["model"], "random", p)]["mean"] for p in ps]) * 100
            std = np.array([stats[(row["model"], "random", p)]["std"] for p in ps]) * 100
            line, = ax.plot(ps * 100, mean, marker="o", ms=3, label=row["label"])
            ax.fill_between(ps * 100, mean - std, mean + std, color=line.get_color(),
                            alpha=0.15, lw=0)
        ax.set_xscale("log")
        ax.set_ylim(0, 100)
        ax.set_xlabel("bit error rate p (%)")
        ax.set_ylabel("RErr (%), mean ± std over chips")
        ax.set_title(f"{bits}-bit weights", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(widths):]:
        ax.set_visible(False)
    return png_bytes(fig)


def _weights_png(result):
    """Histograms of the quantized weights with and without clipping."""
    models, _ = _lookup(result)
    fig = figure(7.0, 3.2)
    ax = fig.subplots()
    for hist in result["weight_histograms"]:
        m = models[hist["model"]]
        edges = np.array(hist["edges"])
        label = "RQUANT" if m["w_max"] is None else f"CLIPPING w_max = {m['w_max']:g}"
        ax.stairs(np.array(hist["counts"]) / max(1, sum(hist["counts"])), edges, label=label)
    ax.set_xlabel("quantized weight / largest code (weight matrices, 8 bit)")
    ax.set_ylabel("fraction of weights")
    ax.set_title("Clipping spreads the weights over the quantization range", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return png_bytes(fig)


def report_files(result):
    """``robustness.md``, ``robustness.json``, ``rerr_vs_p.png`` and ``weights.png``, rendered."""
    return {"robustness.md": robustness_markdown(result), "robustness.json": json_text(result),
            "rerr_vs_p.png": _rerr_png(result), "weights.png": _weights_png(result)}


def run(args):
    """``stochhw analyze robustness``."""
    result = robustness_study(chips=args.chips, seed=args.seed, quick=args.quick,
                              progress=None if args.json else sys.stderr)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, result, robustness_markdown(result), paths)
