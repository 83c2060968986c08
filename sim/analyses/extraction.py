"""``stochhw analyze extraction``: random numbers extracted from training data, measured.

Usage::

    stochhw analyze extraction [--quick] [--out DIR] [--seed S] [--json]

The paper's comparisons of extracted random numbers, at the scale of this project. Writes
into ``--out`` (default :data:`REPORT_DIR`, ``reports/randomness/``): ``extraction.md``
(tables and what they say), ``extraction.json`` (every number), and the figures
``histograms.png`` (paper Fig. 4), ``lsb_over_training.png`` (Fig. A1), ``nist.png``
(Fig. A3), ``mapping.png`` (Table A1), ``pixel.png`` (Fig. 5 / A4) and ``gf_rounding.png``.
Same code and seed give the same bytes. ``--quick`` (one seed, 6-bit codes only, 3 epochs,
NIST on 20,000-bit streams, 4096 gf_rounding cycles; about 6 s) is a smoke test, not a result;
the full run takes about one minute of CPU time.

What is measured (:func:`extraction_analysis`):

* **Sources.** The digits MLP of :mod:`stochhw.models.ml.training` (default 64-32-10, 20 epochs,
  stochastic rounding from PCG64) trained with 8-bit and with 6-bit codes, seeds S .. S+4
  (``--seed`` S, default 1); every step's weights, activations, errors and gradients of both
  layers are recorded. Each tensor's code stream goes through an ``lsb_extractor`` model
  (:func:`stochhw.sim.analyses.randomness.tensor_source_numbers`: 16 lanes, static routing, seed 1, no reuse)
  by ``direct`` (6 low bits of one code per number) and ``multi_lsb`` (the LSBs of 6 codes
  per number), giving 6-bit numbers as in the paper's Table 6.
* **Mapping.** A *derived* mapping per code width, tensor kind, method and number width is
  chosen by :func:`stochhw.models.stats.mapping.balanced_mapping` (minimum worst-case rounding bias) from
  the histogram of a separate calibration run (seed S+5, every layer), as hardware would fix
  it at design time, and evaluated on the other runs. The issue's example mapping
  ``3,1,2,7,4,6,5,0`` is evaluated as given, on 3-bit numbers.
* **Entropy and rounding bias** (Table 6, and the bias the issue asks for): plug-in Shannon
  entropy, the share of zero numbers, and the stochastic-rounding bias ``bias(f)`` of
  :mod:`stochhw.models.stats.mapping` (mean over f, and the worst f), mean over the seeds.
* **NIST SP 800-22** (Fig. A3), on the first seed: per code width, tensor kind, layer, method
  and mapping, a stream of up to ``nist_length`` bits (10^6) taken from snapshots spread
  evenly over training (every s-th snapshot, the largest s that still leaves enough bits;
  s = 1 when the layer holds fewer), verdicts by :func:`stochhw.sim.analyses.randomness.nist_summary` (the
  proportion rule; tests whose preconditions fail are "not applicable", never a pass).
* **Histograms**, **one location's LSB over training** (32 locations of layer 0 per kind),
  **pixel-derived distributions** (``pixel_extractor`` model, 3-bit uniform, Gaussian
  sigma = 1/3 and Beta(1, 2) on the 29 eligible locations), and **gf_rounding's
  self-correlation** (:mod:`stochhw.sim.analyses.gf_correlation`): the circulant static assignment of the
  design, against the naive wrap-around one it replaced (written at runtime), and controls.
"""

import dataclasses
import io
import json
import math
import sys
from pathlib import Path

import numpy as np

from stochhw.models.checks import ParameterError, check_int
from stochhw.models.ml.training import TENSOR_KINDS, TrainingConfig, train
from stochhw.models.pixel import (
    PixelExtractorModel,
    eligible_locations,
    lane_pixels,
    number_pmf,
    pixel_numbers,
)
from stochhw.models.stats.entropy import shannon_entropy
from stochhw.models.stats.mapping import balanced_mapping, bias_lower_bound, bias_profile
from stochhw.sim.analyses.randomness import (
    EXTRACTOR_LANES,
    EXTRACTOR_SEED,
    MIN_BITS,
    nist_summary,
    tensor_source_numbers,
    unpack_numbers,
)
from stochhw.sim.analyses.topic import Topic, print_outcome, report_folder
from stochhw.sim.analyses.training import PAPER_TABLE6

__all__ = ["TOPIC", "REPORT_DIR", "REPORT_FILES", "NUMBER_BITS", "MAPPING_BITS", "PAPER_MAPPING",
           "extraction_analysis", "nist_stream", "write_extraction_report", "run_topic"]

#: Default folder of ``stochhw analyze extraction``.
REPORT_DIR = Path("reports/randomness")
#: Bits per number of the entropy / NIST comparison (the paper's Table 6 uses 6).
NUMBER_BITS = 6
#: Bits per number of the mapping study (the issue's example mapping is for k = 3).
MAPPING_BITS = 3
#: The issue's example mapping {0..7} -> {3, 1, 2, 7, 4, 6, 5, 0}: out = PAPER_MAPPING[number].
PAPER_MAPPING = (3, 1, 2, 7, 4, 6, 5, 0)
METHODS = ("direct", "multi_lsb")
CODE_WIDTHS = (8, 6)
LAYERS = (None, 0, 1)
#: Fig. A1: the LSBs of this many locations of layer 0 are drawn over training.
LSB_LOCATIONS = 32
#: Weight and gradient rows drawn in Fig. A1: input pixel (4, 4), the centre of the image.
LSB_INPUT_ROW = 36
PIXEL_BITS = 3
#: Fig. 5 / A4: (name, distribution, shape parameters).
PIXEL_TARGETS = (("uniform", "uniform", {}), ("Gaussian, sigma = 1/3", "gauss", {"sigma": 1 / 3}),
                 ("Beta(1, 2)", "beta", {"alpha": 1.0, "beta": 2.0}))


def _layer_name(layer):
    return "all" if layer is None else layer


def _entropy_from_counts(counts):
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log2(p))) + 0.0


def _bias_stats(counts, mapping=None):
    profile = bias_profile(counts, mapping)
    return float(profile.mean()), float(np.abs(profile).max())


def nist_stream(numbers_at, bits, length):
    """A stream of at most ``length`` bits spread over training.

    ``numbers_at(stride)`` gives the numbers of every ``stride``-th snapshot. The stride is the
    largest that still gives ``length`` bits (1 if even all snapshots give fewer).

    Returns
    -------
    stream : ndarray of uint8
    stride : int
    """
    available = numbers_at(1).size * bits
    stride = max(1, available // length)
    while True:
        numbers = numbers_at(stride)
        if numbers.size * bits >= length or stride == 1:
            break
        stride -= 1
    count = min(numbers.size, -(-length // bits))
    return unpack_numbers(numbers[:count], bits)[:length], stride


def _nist_row(stream, **fields):
    summary = nist_summary(stream)
    verdicts = {t["name"]: t["verdict"] for t in summary["tests"]}
    return {**fields, "n_bits": int(stream.size),
            "pass": summary["summary"]["pass"], "fail": summary["summary"]["fail"],
            "not_applicable": summary["summary"]["not_applicable"],
            "failed": [n for n, v in verdicts.items() if v == "fail"],
            "not_applicable_tests": [n for n, v in verdicts.items() if v == "not applicable"]}


def _calibrate(result, bits):
    """Derived mappings of every (kind, method) from a calibration run, with their figures."""
    mappings = {}
    for kind in TENSOR_KINDS:
        for method in METHODS:
            numbers = tensor_source_numbers(result, kind, None, bits, method)
            counts = np.bincount(numbers.astype(np.int64), minlength=1 << bits)
            mapping = balanced_mapping(counts)
            mappings[(kind, method)] = {
                "mapping": list(mapping),
                "calibration_max_abs_bias_lsb": float(np.abs(bias_profile(counts)).max()),
                "calibration_mapped_max_abs_bias_lsb": float(
                    np.abs(bias_profile(counts, mapping)).max()),
                "lower_bound_lsb": bias_lower_bound(counts)}
    return mappings


def _pixel_section(nist_length):
    lanes = len(eligible_locations(8))
    pixels = lane_pixels(lanes)
    rows = []
    for name, distribution, params in PIXEL_TARGETS:
        model = PixelExtractorModel(lanes=lanes, bits=PIXEL_BITS, distribution=distribution,
                                    **params)
        numbers = pixel_numbers(pixels, model.threshold_table)
        per_lane = number_pmf(pixels, model.threshold_table)
        cdf = model.target
        target = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        pooled = np.bincount(numbers.ravel().astype(np.int64), minlength=1 << PIXEL_BITS) \
            / numbers.size
        flat = numbers.ravel()
        stream = unpack_numbers(flat, PIXEL_BITS)[:nist_length]
        modes = [np.bincount(pixels[:, i]) for i in range(lanes)]
        counts = np.bincount(flat.astype(np.int64), minlength=1 << PIXEL_BITS)
        mean_bias, max_bias = _bias_stats(counts)
        rows.append({
            "name": name, "distribution": distribution, "params": params, "bits": PIXEL_BITS,
            "lanes": lanes, "images": int(numbers.shape[0]),
            "target_pmf": [float(v) for v in target], "pmf": [float(v) for v in pooled],
            "lane_min_pmf": [float(v) for v in per_lane.min(axis=0)],
            "lane_max_pmf": [float(v) for v in per_lane.max(axis=0)],
            "total_variation": float(np.abs(pooled - target).sum() / 2),
            "lane_total_variation_max": float(np.abs(per_lane - target).sum(axis=1).max() / 2),
            "entropy": shannon_entropy(flat, PIXEL_BITS),
            "mode_extreme_lanes": int(sum(m.argmax() in (0, 255) for m in modes)),
            "mode_share_min": float(min(m.max() for m in modes) / pixels.shape[0]),
            "mode_share_max": float(max(m.max() for m in modes) / pixels.shape[0]),
            "target_entropy": float(-np.sum(target[target > 0] * np.log2(target[target > 0]))),
            "mean_bias_lsb": mean_bias, "max_abs_bias_lsb": max_bias,
            "nist": _nist_row(stream)})
    return rows


def _lsb_section(result):
    """Fig. A1: LSBs of 32 layer-0 locations per kind over training, and whole-layer figures."""
    rasters, rows = {}, []
    for kind in TENSOR_KINDS:
        codes = result.records[(kind, 0)]
        bits = (codes.astype(np.int64) & 1).reshape(codes.shape[0], -1)     # (steps, locations)
        if kind in ("weight", "gradient"):
            picked = codes[:, LSB_INPUT_ROW, :LSB_LOCATIONS]
            where = f"row {LSB_INPUT_ROW} (input pixel (4, 4)), outputs 0..{LSB_LOCATIONS - 1}"
        else:
            picked = codes[:, 0, :LSB_LOCATIONS]
            where = f"batch position 0, units 0..{LSB_LOCATIONS - 1}"
        rasters[kind] = (picked.astype(np.int64) & 1).T.astype(np.uint8)
        toggles = np.mean(bits[1:] != bits[:-1], axis=0) if bits.shape[0] > 1 else np.zeros(1)
        rows.append({
            "kind": kind, "drawn": where, "steps": int(codes.shape[0]),
            "locations": int(bits.shape[1]),
            "ones_fraction": float(bits.mean()),
            "toggle_rate": float(toggles.mean()),
            "constant_locations_fraction": float(np.mean(np.all(bits == bits[:1], axis=0))),
            "drawn_ones_fraction": float(rasters[kind].mean()),
            "drawn_constant_locations": int(np.sum(np.all(rasters[kind] == rasters[kind][:, :1],
                                                          axis=1)))})
    return rows, rasters


def extraction_analysis(seed=1, seeds=5, code_widths=CODE_WIDTHS, epochs=None,
                        nist_length=1_000_000, gf_cycles=1 << 18, progress=None):
    """Run every measurement of the module docstring.

    Parameters
    ----------
    seed : int
        First training seed S; the runs use S .. S+seeds-1 and calibrate on S+seeds.
    seeds : int
        Training runs per code width.
    code_widths : sequence of int
        Code widths of the training runs (2..8).
    epochs : int, optional
        Override the default epochs (quick runs).
    nist_length : int
        Bits per NIST stream (>= 100).
    gf_cycles : int
        Cycles per gf_rounding configuration (>= 512).
    progress : file, optional
        Where to print one line per finished step.

    Returns
    -------
    dict
        JSON-ready, except the key ``"_plot"`` (arrays for the figures).
    """
    from stochhw.sim.analyses.gf_correlation import self_correlation

    seed = check_int("seed", seed, 0)
    seeds = check_int("seeds", seeds, 1)
    nist_length = check_int("nist_length", nist_length, MIN_BITS)
    code_widths = tuple(check_int("code_widths", w, 2, 8) for w in code_widths)
    if not code_widths:
        raise ParameterError("code_widths must name at least one width")
    run_seeds = list(range(seed, seed + seeds))
    calibration_seed = seed + seeds
    base = TrainingConfig() if epochs is None else TrainingConfig(epochs=epochs)

    def say(text):
        if progress is not None:
            print(text, file=progress, flush=True)

    entropy_rows, nist_rows, mapping_rows, mappings_json = [], [], [], {}
    histograms, bias_profiles, lsb_rows, rasters = {}, {}, None, None
    for width in code_widths:
        config = dataclasses.replace(base, bits=width)
        calibration = train(dataclasses.replace(config, seed=calibration_seed))
        derived = {bits: _calibrate(calibration, bits) for bits in (NUMBER_BITS, MAPPING_BITS)}
        for bits, table in derived.items():
            for (kind, method), entry in table.items():
                mappings_json[f"{width}-bit codes/{kind}/{method}/{bits}-bit numbers"] = {
                    "code_bits": width, "kind": kind, "method": method, "bits": bits, **entry}
        stats = {}
        for index, s in enumerate(run_seeds):
            result = train(dataclasses.replace(config, seed=s))
            for kind in TENSOR_KINDS:
                for method in METHODS:
                    mapping = derived[NUMBER_BITS][(kind, method)]["mapping"]
                    for layer in LAYERS:
                        numbers = tensor_source_numbers(result, kind, layer, NUMBER_BITS, method)
                        counts = np.bincount(numbers.astype(np.int64), minlength=1 << NUMBER_BITS)
                        mean_bias, max_bias = _bias_stats(counts)
                        mapped_mean, mapped_max = _bias_stats(counts, mapping)
                        stats.setdefault((kind, method, layer), []).append(
                            (shannon_entropy(numbers, NUMBER_BITS), counts[0] / counts.sum(),
                             mean_bias, max_bias, mapped_mean, mapped_max, numbers.size))
                        if index == 0 and layer is None:
                            histograms.setdefault(width, {}).setdefault(kind, {})[method] = \
                                [int(c) for c in counts]
            if index > 0:
                continue
            # NIST, the mapping study, Fig. A1: on the first seed only.
            if width == code_widths[0]:
                lsb_rows, rasters = _lsb_section(result)
            for kind in TENSOR_KINDS:
                for method in METHODS:
                    for layer in (0, 1):
                        for label in ("none", "derived"):
                            mapping = (None if label == "none" else
                                       derived[NUMBER_BITS][(kind, method)]["mapping"])
                            stream, stride = nist_stream(
                                lambda st: tensor_source_numbers(result, kind, layer, NUMBER_BITS,
                                                                 method, mapping, st),
                                NUMBER_BITS, nist_length)
                            nist_rows.append(_nist_row(stream, code_bits=width, kind=kind,
                                                       layer=layer, method=method,
                                                       mapping=label, stride=stride))
                    raw = tensor_source_numbers(result, kind, None, MAPPING_BITS, method)
                    counts = np.bincount(raw.astype(np.int64), minlength=1 << MAPPING_BITS)
                    options = {"none": None, "paper": PAPER_MAPPING,
                               "derived": tuple(derived[MAPPING_BITS][(kind, method)]["mapping"])}
                    for label, mapping in options.items():
                        mapped = raw if mapping is None else np.asarray(mapping, np.uint64)[raw]
                        profile = bias_profile(counts, mapping)
                        bias_profiles[(width, kind, method, label)] = profile
                        ones = [float(np.mean((mapped >> np.uint64(b)) & np.uint64(1)))
                                for b in range(MAPPING_BITS)]
                        stream, stride = nist_stream(
                            lambda st: tensor_source_numbers(result, kind, None, MAPPING_BITS,
                                                             method, mapping, st),
                            MAPPING_BITS, nist_length)
                        row = _nist_row(stream)
                        mapping_rows.append({
                            "code_bits": width, "kind": kind, "method": method,
                            "mapping": label,
                            "permutation": None if mapping is None else list(mapping),
                            "entropy": shannon_entropy(mapped, MAPPING_BITS),
                            "ones_fraction_per_bit": ones,
                            "mean_bias_lsb": float(profile.mean()),
                            "max_abs_bias_lsb": float(np.abs(profile).max()),
                            "lower_bound_lsb": bias_lower_bound(counts),
                            "nist_pass": row["pass"], "nist_fail": row["fail"],
                            "nist_not_applicable": row["not_applicable"],
                            "nist_failed": row["failed"], "n_bits": row["n_bits"],
                            "stride": stride})
            say(f"  {width}-bit codes, seed {s}: NIST and mapping study done")
        for (kind, method, layer), values in stats.items():
            values = np.array(values, dtype=np.float64)
            std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1])
            mean = values.mean(axis=0)
            entropy_rows.append({
                "code_bits": width, "kind": kind, "method": method, "layer": _layer_name(layer),
                "bits": NUMBER_BITS, "entropy_mean": float(mean[0]), "entropy_std": float(std[0]),
                "entropies": [float(v) for v in values[:, 0]],
                "zero_fraction": float(mean[1]), "mean_bias_lsb": float(mean[2]),
                "max_abs_bias_lsb": float(mean[3]), "mapped_mean_bias_lsb": float(mean[4]),
                "mapped_max_abs_bias_lsb": float(mean[5]), "numbers": int(mean[6]),
                "paper_table6": PAPER_TABLE6[kind]})
        say(f"  {width}-bit codes: {seeds} seeds done")
    references = _references(seed, nist_length)
    say("  references done")
    pixel = _pixel_section(nist_length)
    say("  pixel distributions done")
    gf = self_correlation(gf_cycles, seed)
    say("  gf_rounding self-correlation done")
    plot = {"rasters": rasters, "bias_profiles": bias_profiles,
            "gf": {row["name"]: (row.pop("conditional_bias"), row.pop("exact_conditional_bias", None))
                   for row in gf["configurations"]}}
    return {
        "config": {"seeds": run_seeds, "calibration_seed": calibration_seed,
                   "code_widths": list(code_widths), "number_bits": NUMBER_BITS,
                   "mapping_bits": MAPPING_BITS, "paper_mapping": list(PAPER_MAPPING),
                   "extractor": {"lanes": EXTRACTOR_LANES, "seed": EXTRACTOR_SEED,
                                 "routing": "static", "reuse": False},
                   "nist_length": nist_length, "gf_cycles": gf_cycles,
                   "training": {"layers": list(base.layers), "epochs": base.epochs,
                                "batch": base.batch, "steps": base.epochs * base.steps_per_epoch,
                                "rnd_bits": base.rnd_bits, "rounding": base.rounding,
                                "source": "PCG64"}},
        "entropy": entropy_rows, "references": references, "mappings": mappings_json,
        "nist": nist_rows, "mapping_study": mapping_rows, "histograms": {
            str(w): h for w, h in histograms.items()},
        "lsb_over_training": lsb_rows, "pixel": pixel, "gf_rounding": gf, "_plot": plot}


def _references(seed, nist_length):
    """PCG64 and the training LFSR, as 6-bit numbers, on streams of ``nist_length`` bits."""
    from stochhw.models.ml.training import LFSRSource, PCGSource
    rows = []
    count = -(-nist_length // NUMBER_BITS)
    for name, source in (("PCG64", PCGSource(NUMBER_BITS, seed)),
                         ("LFSR-16, low 6 bits of successive states", LFSRSource(NUMBER_BITS, 16, 1))):
        numbers = source.draw(count)
        counts = np.bincount(numbers, minlength=1 << NUMBER_BITS)
        mean_bias, max_bias = _bias_stats(counts)
        rows.append({"name": name, "numbers": int(count),
                     "entropy": shannon_entropy(numbers, NUMBER_BITS),
                     "zero_fraction": float(counts[0] / count),
                     "mean_bias_lsb": mean_bias, "max_abs_bias_lsb": max_bias,
                     "nist": _nist_row(unpack_numbers(numbers, NUMBER_BITS)[:nist_length])})
    return rows


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------

def _public(result):
    """The result without its plot arrays: what ``extraction.json`` and ``--json`` hold."""
    return {key: value for key, value in result.items() if not key.startswith("_")}


def _fmt_layers(rows, code_bits, kind, method, key="entropy_mean"):
    cell = {r["layer"]: r for r in rows if r["code_bits"] == code_bits and r["kind"] == kind
            and r["method"] == method}
    whole = cell["all"]
    return (f"{whole[key]:.2f} ± {whole['entropy_std']:.2f} "
            f"[{cell[0][key]:.2f}, {cell[1][key]:.2f}]")


def _nist_cell(row):
    applicable = row["pass"] + row["fail"]
    return f"{row['pass']}/{applicable}"


def _markdown(result):
    cfg = result["config"]
    train_cfg = cfg["training"]
    widths = cfg["code_widths"]
    seeds = cfg["seeds"]
    k, km = cfg["number_bits"], cfg["mapping_bits"]
    entropy = result["entropy"]
    ent = {(r["code_bits"], r["kind"], r["method"], r["layer"]): r for r in entropy}
    layers = "-".join(map(str, train_cfg["layers"]))
    lines = [
        "# Random numbers extracted from training data",
        "",
        "Regenerate with `stochhw analyze extraction` (sources: `sim/analyses/extraction.py`, "
        "`sim/analyses/gf_correlation.py`, `models/stats/mapping.py`, `models/extractor.py`, "
        "`models/ml/training.py`, `models/pixel.py`, `models/stats/nist.py`). Deterministic: the same "
        "code and seed give the same bytes. Every number below is in `extraction.json`.",
        "",
        *([f"**Quick run** ({train_cfg['epochs']} epochs, {len(seeds)} seed, NIST on "
           f"{cfg['nist_length']}-bit streams): a smoke test, not a result.", ""]
          if cfg.get("quick") else []),
        "## Set-up",
        "",
        f"* **Training.** The {layers} ReLU MLP of `models/ml/training.py` on scikit-learn's 8x8 "
        f"digits, {train_cfg['epochs']} epochs of {train_cfg['steps'] // train_cfg['epochs']} "
        f"steps (batch {train_cfg['batch']}), weights, activations, errors and gradients in "
        f"signed fixed point with {' and '.join(f'{w}-bit' for w in widths)} codes, stochastic "
        f"rounding from PCG64 ({train_cfg['rnd_bits']} random bits). Every step's codes of both "
        f"layers are recorded. Seeds {', '.join(map(str, seeds))}.",
        f"* **Extraction.** Each tensor's codes, snapshot after snapshot in training order, "
        f"feed an `lsb_extractor` model (`stochhw.models.extractor.extract_stream`: "
        f"{cfg['extractor']['lanes']} lanes, static routing, seed {cfg['extractor']['seed']}, no "
        f"reuse). `direct` (the paper's Method #1): each {k}-bit number is the {k} low bits "
        f"(two's complement) of one code, {cfg['extractor']['lanes']} codes per cycle. "
        f"`multi_lsb` (Method #2): each number is the LSBs of {k} different codes, "
        f"{cfg['extractor']['lanes'] * k} codes per cycle, so it yields {k} times fewer numbers "
        f"from the same data. Layer `all`: each snapshot's layers in turn. The same numbers "
        f"come out of `stochhw analyze randomness --source KIND:LAYER --method METHOD`.",
        f"* **Rounding bias.** With k-bit numbers `rnd` independent of x, stochastic rounding "
        f"of fractional part f = x mod 2^k errs on average by `bias(f) = 2^k P(rnd >= 2^k - f) "
        f"- f` LSBs of x (`models/stats/mapping.py`): 2^k times the gap between the numbers' CDF and "
        f"the uniform CDF. *Mean* is its mean over f (= mean(rnd) - (2^k - 1)/2), *worst* its "
        f"largest magnitude. At k = {k}, 64 LSBs are one step of the rounded code; a perfect "
        f"source gives 0 up to sampling noise (the PCG64 row shows how much).",
        f"* **Derived mapping.** One mapping per code width, tensor kind, method and number "
        f"width, chosen by `stochhw.models.stats.mapping.balanced_mapping` on the numbers of a separate "
        f"calibration run (seed {cfg['calibration_seed']}, all layers): the permutation that "
        f"minimizes the worst-case rounding bias (exhaustive search for k <= 3, swap local "
        f"search above, checked against the lower bound 2^k (p_max - 2^-k) / 2 that no "
        f"permutation can beat). It is then applied unchanged to the evaluated runs, as "
        f"hardware would fix it at design time.",
        f"* **NIST SP 800-22.** First seed only. Per stream up to {cfg['nist_length']:,} bits "
        f"(numbers least significant bit first), taken from every s-th snapshot with the "
        f"largest s that still gives that many bits, so that the stream covers the whole of "
        f"training; a layer with fewer bits gives what it has. All 15 tests at alpha = 0.01; "
        f"tests with several p-values pass by the section 4.2.1 proportion rule; a test whose "
        f"input-size or cycle preconditions fail is *not applicable* and counted apart, never "
        f"as a pass. Cells read passed/applicable.",
        "",
    ]
    # --- Table 6 ---------------------------------------------------------------------------
    lines += [
        "## Entropy per source and method (paper Table 6)",
        "",
        f"Shannon entropy of the {k}-bit numbers, bits per number (at most {k}), mean ± std "
        f"over the seeds, all layers; layer 0 and layer 1 in brackets. Zero numbers: share of "
        f"numbers equal to 0 (direct / multi_lsb). A mapping never changes these entropies: a "
        f"permutation only renames values.",
        "",
        "| codes | tensor | direct | multi_lsb | zero numbers | paper Table 6 |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for w in widths:
        for kind in TENSOR_KINDS:
            zd, zm = (ent[(w, kind, m, "all")]["zero_fraction"] for m in METHODS)
            lines.append(f"| {w}-bit | {kind} | {_fmt_layers(entropy, w, kind, 'direct')} | "
                         f"{_fmt_layers(entropy, w, kind, 'multi_lsb')} | "
                         f"{100 * zd:.1f}% / {100 * zm:.1f}% | {PAPER_TABLE6[kind]:.2f} |")
    for ref in result["references"]:
        lines.append(f"| reference | {ref['name']} | {ref['entropy']:.3f} | | "
                     f"{100 * ref['zero_fraction']:.1f}% | |")
    lines += ["", *_table6_notes(result), ""]
    # --- bias --------------------------------------------------------------------------------
    lines += [
        f"## Stochastic-rounding bias per source ({k}-bit numbers)",
        "",
        f"Mean and worst `bias(f)` in LSBs of x (1/{1 << k} of a code step), mean over the "
        f"seeds, all layers; then the same numbers through the derived mapping.",
        "",
        "| codes | tensor | method | mean bias | worst bias | mapped: mean | mapped: worst |",
        "|---|---|---|--:|--:|--:|--:|",
    ]
    for w in widths:
        for kind in TENSOR_KINDS:
            for method in METHODS:
                r = ent[(w, kind, method, "all")]
                lines.append(f"| {w}-bit | {kind} | {method} | {r['mean_bias_lsb']:+.2f} | "
                             f"{r['max_abs_bias_lsb']:.2f} | {r['mapped_mean_bias_lsb']:+.2f} | "
                             f"{r['mapped_max_abs_bias_lsb']:.2f} |")
    for ref in result["references"]:
        lines.append(f"| reference | {ref['name']} | | {ref['mean_bias_lsb']:+.2f} | "
                     f"{ref['max_abs_bias_lsb']:.2f} | | |")
    lines += ["", *_bias_notes(result), ""]
    # --- NIST --------------------------------------------------------------------------------
    nist = {(r["code_bits"], r["kind"], r["layer"], r["method"], r["mapping"]): r
            for r in result["nist"]}
    lines += [
        "## NIST SP 800-22 pass counts per source and layer (paper Fig. A3)",
        "",
        f"{k}-bit numbers, first seed. Cells: tests passed / tests applicable (of 15); "
        f"`+map`: through the derived mapping. Bits: stream length (snapshot stride s).",
        "",
        "![NIST pass counts](nist.png)",
        "",
        "| codes | tensor | layer | direct | direct +map | multi_lsb | multi_lsb +map | bits (s), direct / multi_lsb |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for w in widths:
        for kind in TENSOR_KINDS:
            for layer in (0, 1):
                cells = [_nist_cell(nist[(w, kind, layer, m, mp)]) for m in METHODS
                         for mp in ("none", "derived")]
                sizes = " / ".join(f"{nist[(w, kind, layer, m, 'none')]['n_bits']:,} "
                                   f"({nist[(w, kind, layer, m, 'none')]['stride']})"
                                   for m in METHODS)
                lines.append(f"| {w}-bit | {kind} | {layer} | " + " | ".join(cells) +
                             f" | {sizes} |")
    for ref in result["references"]:
        lines.append(f"| reference | {ref['name']} | | {_nist_cell(ref['nist'])} | | | | "
                     f"{ref['nist']['n_bits']:,} |")
    lines += ["", *_nist_notes(result), ""]
    # --- mapping -----------------------------------------------------------------------------
    lines += [
        "## Number mapping on biased sources (paper Table A1)",
        "",
        f"{km}-bit numbers, all layers, first seed. `paper`: the issue's example mapping "
        f"{{0..7}} -> {{{', '.join(map(str, cfg['paper_mapping']))}}} (number v becomes "
        f"mapping[v]); `derived`: the balanced mapping of the calibration run. Ones per bit: "
        f"the share of ones in bits 0, 1, 2 of the numbers (0.5 ideally). Bound: the smallest "
        f"worst bias any mapping can reach on these numbers. NIST: passed / applicable.",
        "",
        "![Rounding bias per fractional part, with and without mapping](mapping.png)",
        "",
        "| codes | tensor | method | mapping | entropy | ones per bit | mean bias | worst bias | bound | NIST |",
        "|---|---|---|---|--:|---|--:|--:|--:|--:|",
    ]
    for r in result["mapping_study"]:
        ones = ", ".join(f"{v:.2f}" for v in r["ones_fraction_per_bit"])
        lines.append(f"| {r['code_bits']}-bit | {r['kind']} | {r['method']} | {r['mapping']} | "
                     f"{r['entropy']:.3f} | {ones} | {r['mean_bias_lsb']:+.3f} | "
                     f"{r['max_abs_bias_lsb']:.3f} | {r['lower_bound_lsb']:.3f} | "
                     f"{r['nist_pass']}/{r['nist_pass'] + r['nist_fail']} |")
    lines += ["", *_mapping_notes(result), ""]
    # --- histograms and LSBs -----------------------------------------------------------------
    lines += [
        "## Histograms of extracted numbers (paper Fig. 4)",
        "",
        f"{k}-bit numbers of the first seed, all layers, both methods (log scale: the zero "
        f"number dominates some sources). The dashed line is the uniform 1/{1 << k}.",
        "",
        "![Histograms](histograms.png)",
        "",
        "## One location's LSB over training (paper Fig. A1)",
        "",
        f"Bit 0 of the codes of {LSB_LOCATIONS} locations of layer 0 at every training step "
        f"(first seed, {widths[0]}-bit codes; white = 1). Weights and gradients: the "
        f"{LSB_LOCATIONS} outputs of input pixel (4, 4); activations and errors: the "
        f"{LSB_LOCATIONS} units of batch position 0 (a different image every step). The table "
        f"covers every location of the layer-0 tensor: share of ones, the chance that the bit "
        f"changes from one step to the next (0.5 for a fair coin), and the share of locations "
        f"whose LSB never changes.",
        "",
        "![LSB over training](lsb_over_training.png)",
        "",
        "| tensor | locations | ones | toggle rate | constant locations | drawn: constant rows |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for r in result["lsb_over_training"]:
        lines.append(f"| {r['kind']} | {r['locations']} | {r['ones_fraction']:.3f} | "
                     f"{r['toggle_rate']:.3f} | {100 * r['constant_locations_fraction']:.1f}% | "
                     f"{r['drawn_constant_locations']}/{LSB_LOCATIONS} |")
    lines += ["", *_lsb_notes(result), ""]
    # --- pixels ------------------------------------------------------------------------------
    lines += [
        "## Pixel-derived distributions (paper Fig. 5 / A4)",
        "",
        f"`pixel_extractor` model, {PIXEL_BITS}-bit numbers on the "
        f"{result['pixel'][0]['lanes']} eligible pixel locations of all "
        f"{result['pixel'][0]['images']} digits images; the thresholds come from the same "
        f"images, so the match is in-sample. Bars: pooled over locations; whiskers: the "
        f"range over locations; markers: the target. TV: total-variation distance to the "
        f"target (pooled; worst location). NIST on the image-by-image stream.",
        "",
        "![Pixel-derived distributions](pixel.png)",
        "",
        "| target | achieved pmf (0..7) | target pmf | TV pooled | TV worst location | entropy (target) | NIST |",
        "|---|---|---|--:|--:|--:|--:|",
    ]
    for r in result["pixel"]:
        lines.append(f"| {r['name']} | {', '.join(f'{v:.3f}' for v in r['pmf'])} | "
                     f"{', '.join(f'{v:.3f}' for v in r['target_pmf'])} | "
                     f"{r['total_variation']:.3f} | {r['lane_total_variation_max']:.3f} | "
                     f"{r['entropy']:.3f} ({r['target_entropy']:.3f}) | "
                     f"{_nist_cell(r['nist'])} ({r['nist']['n_bits']:,} bits) |")
    lines += ["", *_pixel_notes(result), ""]
    # --- gf_rounding -------------------------------------------------------------------------
    gf = result["gf_rounding"]
    gcfg = gf["config"]
    lines += [
        "## gf_rounding: random numbers taken from the values being rounded",
        "",
        f"{gcfg['lanes']} lanes, {gcfg['in_width']} -> {gcfg['out_width']} bits (k = "
        f"{gcfg['k']}), x {gcfg['x']}, {gcfg['cycles']:,} cycles per configuration (the first "
        f"{gcfg['warmup']} not measured). The rows *before the fix* are the static assignment "
        f"gf_rounding had on its x bus until this measurement found the flaws below (the "
        f"generic `sel[s] = perm[s mod lanes]`, the *naive wrap-around*), written through the "
        f"runtime configuration port at start-up, so they see the same x as the rows after it. "
        f"corr(rnd, f): Pearson correlation of a lane's number with its own fractional part, "
        f"worst lane (noise level about {gf['configurations'][0]['corr_noise_level']:.4f}); "
        f"corr(rnd, LSB): with its own x's LSB. Between lanes: the worst Pearson correlation "
        f"of two lanes' numbers (exact value in brackets) and of their rounding errors "
        f"`y 2^k - x` (the control rows show the level of sampling noise). Sharing: lanes whose number is "
        f"another lane's, bit for bit. Conditional bias: `E[y 2^k - x | f]` per lane and f, "
        f"worst and RMS over all lanes and f (LSBs of x; 256 = one output step); measured, and "
        f"for the x-bus configurations computed exactly by enumeration (module "
        f"`stochhw.sim.analyses.gf_correlation`). Sampling noise alone gives a worst measured value of about 4 "
        f"standard errors, i.e. "
        f"~{4 * gf['configurations'][0]['median_conditional_standard_error']:.0f} LSB here "
        f"(the LFSR and port rows show it).",
        "",
        "![gf_rounding conditional bias](gf_rounding.png)",
        "",
        "| configuration | lanes seeing own x | lanes sharing a number | distinct numbers per cycle | corr(rnd, f) | corr(rnd, LSB) | between lanes: numbers (exact) | between lanes: errors | mean bias (± s.e.) | worst conditional bias: measured (exact) | RMS conditional bias: measured (exact) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in gf["configurations"]:
        exact_worst = (f" ({r['exact_max_abs_conditional_bias_lsb']:.1f})"
                       if "exact_max_abs_conditional_bias_lsb" in r else "")
        exact_rms = (f" ({r['exact_rms_conditional_bias_lsb']:.1f})"
                     if "exact_rms_conditional_bias_lsb" in r else "")
        exact_between = (f" ({r['exact_max_abs_corr_between_lanes_numbers']:.2f})"
                         if "exact_max_abs_corr_between_lanes_numbers" in r else "")
        if "lanes_with_own_bits" in r:
            own = f"{r['lanes_with_own_bits']}/{gcfg['lanes']}"
            sharing = f"{sum(g for g in r['lanes_sharing_one_number'] if g > 1)}/{gcfg['lanes']}"
        else:
            own = sharing = "0 (by design)"
        lines.append(f"| {r['label']} | {own} | {sharing} | "
                     f"{r['distinct_numbers_per_cycle']:.1f} | "
                     f"{r['max_abs_corr_rnd_f']:.3f} | {r['max_abs_corr_rnd_own_lsb']:.3f} | "
                     f"{r['max_abs_corr_between_lanes_numbers']:.2f}{exact_between} | "
                     f"{r['max_abs_corr_between_lanes_errors']:.2f} | "
                     f"{r['mean_bias_lsb']:+.3f} ± {r['mean_bias_standard_error']:.3f} | "
                     f"{r['max_abs_conditional_bias_lsb']:.1f}{exact_worst} | "
                     f"{r['rms_conditional_bias_lsb']:.1f}{exact_rms} |")
    lines += ["", *_gf_notes(result), ""]
    lines += ["## Where this differs from the paper, and why", "", *_paper_notes(result), ""]
    return "\n".join(lines)


def _entropy_row(result, width, kind, method, layer="all"):
    return next(r for r in result["entropy"] if r["code_bits"] == width and r["kind"] == kind
                and r["method"] == method and r["layer"] == layer)


def _order(result, width, method):
    """Tensor kinds by decreasing mean entropy."""
    return sorted(TENSOR_KINDS, key=lambda kind: -_entropy_row(result, width, kind,
                                                               method)["entropy_mean"])


def _table6_notes(result):
    widths = result["config"]["code_widths"]
    w = widths[0]
    paper = sorted(PAPER_TABLE6, key=lambda kind: -PAPER_TABLE6[kind])
    lines = ["What it says:", ""]
    for method in METHODS:
        ours = _order(result, w, method)
        lines.append(f"* Order by entropy, {w}-bit codes, {method}: {' > '.join(ours)}; the "
                     f"paper's: {' > '.join(paper)}" +
                     (" (the same)." if ours == paper else "."))
    gains = [_entropy_row(result, w, kind, "multi_lsb")["entropy_mean"]
             - _entropy_row(result, w, kind, "direct")["entropy_mean"] for kind in TENSOR_KINDS]
    higher = sum(_entropy_row(result, cw, kind, "multi_lsb")["entropy_mean"]
                 > _entropy_row(result, cw, kind, "direct")["entropy_mean"]
                 for cw in widths for kind in TENSOR_KINDS)
    lines += [
        f"* `multi_lsb` has the higher entropy for {higher} of the {len(widths) * 4} "
        f"(code width, tensor) pairs; with {w}-bit codes it gains {min(gains):+.2f} to "
        f"{max(gains):+.2f} bits over `direct`. A "
        f"direct number is the low bits of one code, so every zero code gives the number 0; "
        f"a multi_lsb number is 0 only if all of its codes are even, which is why its "
        f"zero share is far smaller. The paper's Table 6 does not say here which method it "
        f"used, so both are listed against it.",
        f"* Weights: {_entropy_row(result, w, 'weight', 'direct')['entropy_mean']:.2f} "
        f"(direct) and {_entropy_row(result, w, 'weight', 'multi_lsb')['entropy_mean']:.2f} "
        f"(multi_lsb) bits with {w}-bit codes, paper {PAPER_TABLE6['weight']}. Errors are "
        + ("the poorest source with both methods, as in the paper. "
           if all(_order(result, w, m)[-1] == "error" for m in METHODS) else
           "not the poorest source with both methods, unlike the paper. ")
        + f"Gradients are where this network differs most: "
        f"{_entropy_row(result, w, 'gradient', 'direct')['entropy_mean']:.2f} bits (direct) "
        f"against the paper's {PAPER_TABLE6['gradient']}, because "
        f"{100 * _entropy_row(result, w, 'gradient', 'direct')['zero_fraction']:.0f}% of the "
        f"gradient codes are zero (see the notes at the end).",
    ]
    if len(widths) > 1:
        lo = widths[-1]
        lines.append(
            f"* Coarser codes make direct extraction worse ({lo}-bit codes: more values round "
            f"to the zero code under a per-tensor scale set by the largest element), while "
            f"multi_lsb, which uses one bit per code, loses much less.")
    lines.append("* With the same seeds and epochs, direct extraction reproduces the entropies "
                 "of `reports/training/training.md`, which takes the same LSBs without the "
                 "extractor's routing (a permutation within each cycle does not change a "
                 "histogram; only the last partial cycle is dropped).")
    return lines


def _bias_notes(result):
    widths = result["config"]["code_widths"]
    w = widths[-1]
    whole = [r for r in result["entropy"] if r["layer"] == "all"]
    worst = max(whole, key=lambda r: r["max_abs_bias_lsb"])
    biased = [r for r in whole if r["kind"] != "weight"]
    ratios = [r["max_abs_bias_lsb"] / r["mapped_max_abs_bias_lsb"] for r in biased]
    pcg = result["references"][0]
    return [
        "What it says:",
        "",
        f"* Every tensor source except the weights rounds down too often (negative mean "
        f"bias): their frequent number 0 means \"never round up\". The worst is "
        f"{worst['kind']} ({worst['method']}, {worst['code_bits']}-bit codes): a mean of "
        f"{worst['mean_bias_lsb']:+.1f} and up to {worst['max_abs_bias_lsb']:.1f} LSBs of x, "
        f"i.e. {worst['max_abs_bias_lsb'] / (1 << result['config']['number_bits']):.2f} of a "
        f"code step, against {pcg['max_abs_bias_lsb']:.2f} for PCG64 on "
        f"{pcg['numbers']:,} numbers.",
        f"* The derived mapping, chosen on a different run, shrinks the mean bias of the "
        f"activations, errors and gradients from {min(r['mean_bias_lsb'] for r in biased):+.1f}"
        f"..{max(r['mean_bias_lsb'] for r in biased):+.1f} to "
        f"{min(r['mapped_mean_bias_lsb'] for r in biased):+.1f}.."
        f"{max(r['mapped_mean_bias_lsb'] for r in biased):+.1f} LSBs and their worst bias by "
        f"a factor of {min(ratios):.1f} to {max(ratios):.1f} "
        f"(e.g. {w}-bit errors, direct: "
        f"{_entropy_row(result, w, 'error', 'direct')['max_abs_bias_lsb']:.1f} -> "
        f"{_entropy_row(result, w, 'error', 'direct')['mapped_max_abs_bias_lsb']:.1f}); what "
        f"remains is the floor set by the most frequent number (the bound in the mapping "
        f"study below). Mapping moves the bias; it cannot remove it.",
    ]


def _nist_notes(result):
    rows = result["nist"]
    clean = [r for r in rows if r["fail"] == 0]
    tested = len(rows)
    failed = {}
    for r in rows:
        for name in r["failed"]:
            failed[name] = failed.get(name, 0) + 1
    common = sorted(failed.items(), key=lambda item: (-item[1], item[0]))[:3]
    pcg, lfsr = result["references"]
    lsb = {r["kind"]: r for r in result["lsb_over_training"]}
    length = result["config"]["nist_length"]
    short = sum(r["n_bits"] < 10 ** 6 for r in rows)

    def ones_range(kind):
        shares = [v for r in result["mapping_study"] if r["mapping"] == "none"
                  and (r["kind"] == kind if kind else r["kind"] != "weight")
                  for v in r["ones_fraction_per_bit"]]
        return f"{min(shares):.3f}-{max(shares):.3f}"

    lines = [
        "What it says:",
        "",
        f"* PCG64 passes {_nist_cell(pcg['nist'])}. The 16-bit LFSR, read as the low 6 bits of "
        f"successive states (how `sru_lfsr` feeds its rounding unit), passes only "
        f"{_nist_cell(lfsr['nist'])}: successive states are shifted copies of each other. That "
        f"does not bias rounding (see the bias table), but it is not a random bit stream.",
        f"* {len(clean)} of {tested} tensor streams pass every applicable test"
        + (": " + ", ".join(f"{r['code_bits']}-bit {r['kind']} L{r['layer']} {r['method']}"
                            f"{' +map' if r['mapping'] == 'derived' else ''}"
                            f" ({_nist_cell(r)})" for r in clean) if clean else "")
        + ". The rest fail several tests, most often "
        + ", ".join(f"{name} ({count} streams)" for name, count in common) + ".",
        f"* Why they fail: at {length:,} bits the frequency test (alpha = 0.01) rejects a "
        f"share of ones outside 0.5 ± {2.5758 / (2 * math.sqrt(length)):.4f}. In the mapping study the bits of the weights' numbers "
        f"are set {ones_range('weight')} of the time, those of the other sources "
        f"{ones_range(None)}. The weights also change slowly: from one step to the next a "
        f"weight's LSB changes with probability "
        f"{lsb['weight']['toggle_rate']:.2f}, and "
        f"{100 * lsb['weight']['constant_locations_fraction']:.0f}% of the layer-0 weights "
        f"never change their LSB in the whole run, so successive snapshots repeat patterns "
        f"(templates, serial, approximate entropy, spectral).",
        "* The derived mapping changes a few verdicts either way: it is chosen to cancel the "
        "rounding bias, not to balance individual bits, and it cannot remove correlations "
        "between numbers.",
        f"* Tests that need 10^6 bits (or, for the random excursions, 500 zero crossings) are "
        f"*not applicable* to shorter streams ({short} of {tested} tensor streams here hold "
        f"fewer than 10^6 bits) and are counted apart, not as passes.",
    ]
    return lines


def _mapping_notes(result):
    km = result["config"]["mapping_bits"]
    study = result["mapping_study"]
    by = {(r["code_bits"], r["kind"], r["method"], r["mapping"]): r for r in study}
    derived_zero = sorted({tuple(r["permutation"])[0] for r in study
                           if r["mapping"] == "derived" and r["kind"] != "weight"})
    w = result["config"]["code_widths"][-1]
    e_none, e_paper, e_derived = (by[(w, "error", "direct", m)] for m in ("none", "paper", "derived"))
    sources = sorted({key[:3] for key in by if key[1] != "weight"})
    helps = sum(by[(*src, "paper")]["max_abs_bias_lsb"] < by[(*src, "none")]["max_abs_bias_lsb"]
                for src in sources)
    beats = sum(by[(*src, "derived")]["max_abs_bias_lsb"] < by[(*src, "paper")]["max_abs_bias_lsb"]
                for src in sources)
    gap = max(by[(*src, "derived")]["max_abs_bias_lsb"] - by[(*src, "derived")]["lower_bound_lsb"]
              for src in sources)
    return [
        "How the mapping is chosen. The issue gives the example and the paper's name for it "
        "(number mapping); the paper's own selection rule is not available to this project, "
        "so none is claimed for it. The derived mappings here follow one stated rule "
        "(`models/stats/mapping.py`): with the numbers' histogram p from a calibration run, choose "
        "the permutation that minimizes the worst rounding bias max_f |bias(f)| = 2^k x the "
        "largest gap between the mapped numbers' CDF and the uniform CDF, then the RMS bias; "
        f"at k = {km} by trying all {math.factorial(1 << km)} permutations. In effect the "
        "most frequent value is sent to the middle of the range and the others are placed so "
        "that the CDF hugs the diagonal. The issue's example does the same to the value 0 "
        "(0 -> 3, the middle of 0..7), and the derived mappings of the biased sources send 0 "
        f"to {', '.join(map(str, derived_zero))}.",
        "",
        "What it says:",
        "",
        "* Entropy is the same in all three rows of a source: a permutation renames values. "
        "Mapping cannot add randomness.",
        f"* It moves the bias. {w}-bit errors, direct: mean {e_none['mean_bias_lsb']:+.2f} "
        f"(none), {e_paper['mean_bias_lsb']:+.2f} (example), {e_derived['mean_bias_lsb']:+.2f} "
        f"(derived); worst {e_none['max_abs_bias_lsb']:.2f}, {e_paper['max_abs_bias_lsb']:.2f}, "
        f"{e_derived['max_abs_bias_lsb']:.2f} against a bound of "
        f"{e_derived['lower_bound_lsb']:.2f}. Over the activations, errors and gradients "
        f"({len(sources)} code width / tensor / method triples), the example mapping lowers "
        f"the worst bias in {helps} and the derived mapping beats the example in {beats}; "
        f"the derived one stays within {gap:.2f} LSB of the bound although it was chosen on "
        f"a different run.",
        "* On nearly uniform sources (weights) a derived mapping fits calibration noise and "
        "can be slightly worse than none: use a mapping only where the histogram is clearly "
        "skewed.",
        "* Ones per bit shows why NIST still fails: when one number is far more likely than "
        "the others, whatever it is mapped to fixes all of its bits at once, so some bits of "
        "the mapped numbers stay far from 1/2 whatever the permutation.",
    ]


def _lsb_notes(result):
    lsb = {r["kind"]: r for r in result["lsb_over_training"]}
    return [
        f"What it says: a weight's LSB is nearly balanced over the run "
        f"({lsb['weight']['ones_fraction']:.2f} ones) but sticky: it changes in "
        f"{100 * lsb['weight']['toggle_rate']:.0f}% of the steps, and "
        f"{100 * lsb['weight']['constant_locations_fraction']:.0f}% of the layer-0 weights "
        f"never change it (an update smaller than a code step rarely moves the code; inputs "
        f"that are always 0 give zero gradients). Activations, errors and gradients change "
        f"their LSB in {100 * min(lsb[k]['toggle_rate'] for k in ('activation', 'error', 'gradient')):.0f}"
        f"-{100 * max(lsb[k]['toggle_rate'] for k in ('activation', 'error', 'gradient')):.0f}% "
        f"of the steps (a fair coin: 50%) and are 1 only "
        f"{100 * min(lsb[k]['ones_fraction'] for k in ('activation', 'error', 'gradient')):.0f}"
        f"-{100 * max(lsb[k]['ones_fraction'] for k in ('activation', 'error', 'gradient')):.0f}% "
        f"of the time, because of the many zero codes.",
    ]


def _pixel_notes(result):
    uniform = result["pixel"][0]
    return [
        f"What it says: pooled over locations, the shapes are recognisable (uniform: TV "
        f"{uniform['total_variation']:.3f}, entropy {uniform['entropy']:.2f} of "
        f"{uniform['target_entropy']:.0f} bits), but single locations are far from the target "
        f"(worst TV {uniform['lane_total_variation_max']:.2f} for uniform): the digits have "
        f"only 17 grey levels, and at {uniform['mode_extreme_lanes']} of the "
        f"{uniform['lanes']} locations the commonest value is 0 or 16 "
        f"({100 * uniform['mode_share_min']:.0f}-{100 * uniform['mode_share_max']:.0f}% of "
        f"the images), a mass no threshold can split. The Gaussian's tails and Beta(1, 2)'s "
        f"top values, which need rare levels, come out too light, their neighbours too heavy. "
        f"The streams pass "
        f"{', '.join(_nist_cell(r['nist']) for r in result['pixel'])} NIST tests: "
        f"neighbouring pixels of one image are strongly correlated, and only the uniform "
        f"target aims at uniform numbers at all. Images with more grey levels and fewer "
        f"saturated pixels would leave the thresholds much more room.",
    ]


def _gf_notes(result):
    gf = {r["name"]: r for r in result["gf_rounding"]["configurations"]}
    cfg = result["gf_rounding"]["config"]
    lanes, k = cfg["lanes"], cfg["k"]
    after, before = gf["multi_lsb"], gf["naive_multi_lsb"]
    own = [(lane, bits[0][0]) for lane, bits in enumerate(before["own_bits"]) if bits]
    top = max(b for _, b in own) if own else None
    seeds = cfg["seeds_with_a_self_fed_lane_of_100"]
    paired = gf["direct_paired"]
    controls = (gf["port"], gf["lfsr"])
    return [
        "What it says:",
        "",
        f"* **Found here, fixed in the hardware.** This measurement found two flaws in "
        f"gf_rounding's first static assignment on its x bus, and the design now wires a "
        f"*circulant* assignment there instead (`models/extractor.py`, `GFRoundingModel`): "
        f"offset = 1 + seeded_permutation(lanes - 1, seed); bit b of lane i is the LSB of "
        f"x[(i + offset[b mod (lanes - 1)]) mod lanes] (`multi_lsb`), or lane i is the k low "
        f"bits of x[(i + offset[0]) mod lanes] (`direct`). No lane reads its own word and one "
        f"lane alone on the x bus is refused. Before / after, default configuration: lanes "
        f"seeing their own x {before['lanes_with_own_bits']} -> {after['lanes_with_own_bits']} "
        f"of {lanes}; worst conditional bias {before['exact_max_abs_conditional_bias_lsb']:.0f} "
        f"-> {after['exact_max_abs_conditional_bias_lsb']:.0f} LSBs exact "
        f"({before['max_abs_conditional_bias_lsb']:.1f} -> "
        f"{after['max_abs_conditional_bias_lsb']:.1f} measured, the latter sampling noise); "
        f"RMS conditional bias {before['rms_conditional_bias_lsb']:.1f} -> "
        f"{after['rms_conditional_bias_lsb']:.1f} LSBs (LFSR: "
        f"{gf['lfsr']['rms_conditional_bias_lsb']:.1f}); lanes sharing a number "
        f"{sum(g for g in before['lanes_sharing_one_number'] if g > 1)} -> "
        f"{sum(g for g in after['lanes_sharing_one_number'] if g > 1)}; distinct numbers per "
        f"cycle {before['distinct_numbers_per_cycle']:.1f} -> "
        f"{after['distinct_numbers_per_cycle']:.1f} ("
        f"{after['distinct_numbers_per_cycle_if_independent']:.1f} expected for {lanes} "
        f"independent numbers). Seeds 1..100 with some lane reading its own word: "
        f"{seeds['multi_lsb']['naive_wrap_around']} -> {seeds['multi_lsb']['circulant']} "
        f"(`multi_lsb`), {seeds['direct']['naive_wrap_around']} -> "
        f"{seeds['direct']['circulant']} (`direct`).",
        f"* **Shared numbers (before).** {lanes} LSBs feed {lanes * k} number bits, so every "
        f"LSB feeds {k} numbers; the naive assignment walked one permutation of the {lanes} "
        f"words and wrapped after {lanes // k} lanes, so lanes i and i + {lanes // k} got the "
        f"*same* number in every cycle ({before['distinct_numbers_per_cycle']:.0f} distinct "
        f"numbers per cycle across {lanes} lanes): their rounding errors correlate at "
        f"{before['max_abs_corr_between_lanes_errors']:.2f}.",
        f"* **Own bits (before).** {before['lanes_with_own_bits']} of {lanes} lanes took their "
        f"own LSB as some bit b of their number. Given f, that bit is not random: the rounding "
        f"of such a lane is biased by up to 2^b LSBs of x at some fractional parts (exactly, by "
        f"enumeration; the measurement agrees to within {before['max_z_from_exact']:.1f} "
        f"standard errors in the worst of {lanes << k} bins). Where b = {top}, the bias reaches "
        f"{before['exact_max_abs_conditional_bias_lsb']:.0f} LSBs, half an output step: odd "
        f"and even fractional parts round in opposite directions far more often than they "
        f"should. Averaged over uniformly spread x the errors nearly cancel (mean bias "
        f"{before['mean_bias_lsb']:+.3f} ± {before['mean_bias_standard_error']:.3f} measured, "
        f"{before['exact_mean_bias_lsb']:+.3f} exact: only an own bit at b = 0 leaves a mean, "
        f"+1/2 LSB), which is why a mean-bias test misses it; the plain correlation of rnd "
        f"with f is also tiny ({before['max_abs_corr_rnd_f']:.3f}), because one low bit "
        f"carries little of f's value, while the correlation with the own LSB is "
        f"{before['max_abs_corr_rnd_own_lsb']:.2f}. A value that is rounded repeatedly with "
        f"the same fractional part (a weight under small updates) does see the bias.",
        f"* **A lane that reads itself (before, `direct`).** With the naive assignment, "
        f"{seeds['direct']['naive_wrap_around']} of seeds 1..100 sent some lane to its own "
        f"word (the first: seed {cfg['naive_self_fed_direct_seed']}); that lane's number is "
        f"its own f (corr = {gf['naive_direct_self']['max_abs_corr_rnd_f']:.2f}) and it rounds "
        f"to nearest (bias up to "
        f"{gf['naive_direct_self']['exact_max_abs_conditional_bias_lsb']:.0f} LSBs). The "
        f"circulant `direct` (seed 1) has no such lane, and corr(rnd, f), corr(rnd, LSB) "
        f"and the conditional bias are at the noise level of the controls. Runtime routing can "
        f"still send a lane to its own word (that row is made exactly so): the hardware does "
        f"not stop a user's write.",
        f"* **What the circulant assignment still has.** Every lane is unbiased given its "
        f"own f (exact conditional bias 0), but lanes still share source bits: with `multi_lsb` "
        f"every LSB feeds bit b of {k} different lanes, for {k} different b, so two lanes' "
        f"numbers correlate up to {after['exact_max_abs_corr_between_lanes_numbers']:.2f} "
        f"(exact; {after['max_abs_corr_between_lanes_numbers']:.2f} measured) and their "
        f"rounding errors up to {after['max_abs_corr_between_lanes_errors']:.2f} (the "
        f"controls: {max(c['max_abs_corr_between_lanes_errors'] for c in controls):.2f}); "
        f"errors summed over lanes then cancel less than independent ones would. `direct` "
        f"reads one whole word per lane and is uncorrelated at seed 1 "
        f"({gf['direct']['max_abs_corr_between_lanes_errors']:.2f}). This measurement also "
        f"showed why `direct` must not use the offset lanes / 2 = {lanes // 2} (row `direct "
        f"... read each other`, written at runtime): lanes i and i + {lanes // 2} then round "
        f"with each other's f, both go up exactly when f_i + f_j >= 2^k, and their errors "
        f"correlate at {paired['max_abs_corr_between_lanes_errors']:.2f}, as with a shared "
        f"number, although their numbers are uncorrelated "
        f"({paired['exact_max_abs_corr_between_lanes_numbers']:.2f} exact). The first "
        f"circulant rule picked that offset at 6 of seeds 1..100; the design now skips it "
        f"({cfg['direct_seeds_with_paired_lanes_of_100']} of 100). `source_bus=port` fed by "
        f"another tensor avoids all of this. Independent "
        f"uniform lanes are the best case: on real data, neighbouring lanes are correlated, so "
        f"other lanes' LSBs may carry information about a lane's f (not measured here).",
    ]


def _paper_notes(result):
    w = result["config"]["code_widths"][0]
    grad = _entropy_row(result, w, "gradient", "direct")
    return [
        f"* **Scale.** The paper extracts from large networks and data sets; here a "
        f"{'-'.join(map(str, result['config']['training']['layers']))} MLP on 1,347 8x8 images "
        f"({result['config']['training']['steps']} steps), so streams are short and "
        f"repetitive, and only orderings and mechanisms are comparable, not the values.",
        f"* **Gradients.** The paper's best source (5.88 bits) is mediocre here "
        f"({grad['entropy_mean']:.2f} bits direct, {w}-bit codes): "
        f"{100 * grad['zero_fraction']:.0f}% of the codes are zero. About half of the digits' "
        f"pixels are 0 and 6% of the pixel positions are 0 in every training image, so the "
        f"first layer's gradient rows for them are exactly zero; small gradients round to the "
        f"zero code under a per-tensor power-of-two scale set by the largest element; a hidden "
        f"unit that is 0 for a whole batch zeroes its row of the second layer's gradient. "
        f"Larger inputs with "
        f"fewer zeros, floating-point formats, or per-channel scales would all raise it.",
        f"* **NIST.** The paper reports extracted numbers that pass the NIST suite; here "
        f"{sum(r['fail'] == 0 for r in result['nist'])} of {len(result['nist'])} tensor "
        f"streams do. Besides the scale, these streams concatenate snapshots of slowly "
        "changing tensors, and at these lengths the suite rejects imbalances far smaller "
        "than those of any source with many zero codes. Entropy near the maximum (weights, "
        "multi_lsb) is not enough to pass: entropy sees the histogram, NIST also sees order.",
        "* **Number mapping.** The issue's example mapping is reproduced and measured (it "
        "lowers the bias of the skewed sources); the paper's rule for choosing mappings was not available, so the "
        "derived mappings follow the stated rule of this project. No mapping changes "
        "entropy.",
        "* **Pixels.** 8x8 digits have 17 levels and saturated regions, so the distributions "
        "are coarse versions of the targets, matched in-sample only.",
        "* **gf_rounding** on its own x bus is a configuration the paper's framework makes "
        "possible; the self-correlation its first static assignment brought was found by the "
        "measurement above and fixed in the hardware (circulant assignment); what remains is "
        "correlation between lanes, measured above.",
    ]


# ------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------

def _png(fig):
    buf = io.BytesIO()
    # No "Software" text chunk (it carries the matplotlib version string); Agg writes no time.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _figure(width, height):
    # A bare Figure renders with Agg and touches no pyplot state or GUI backend.
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _histograms_png(result):
    cfg = result["config"]
    k = cfg["number_bits"]
    fig = _figure(12.0, 5.2)
    axes = fig.subplots(len(METHODS), len(TENSOR_KINDS), sharex=True, sharey=True)
    for row, method in enumerate(METHODS):
        for col, kind in enumerate(TENSOR_KINDS):
            ax = axes[row, col]
            for i, width in enumerate(cfg["code_widths"]):
                counts = np.array(result["histograms"][str(width)][kind][method], dtype=float)
                share = counts / counts.sum()
                # One filled staircase per panel: 64 bar patches each make the layout slow.
                edges = np.arange((1 << k) + 1) - 0.5
                if i == 0:
                    ax.stairs(share, edges, fill=True, color="C0", label=f"{width}-bit codes")
                else:
                    ax.stairs(share, edges, color=f"C{i}", lw=1.0, label=f"{width}-bit codes")
            ax.axhline(1 / (1 << k), color="k", ls="--", lw=0.8, label="uniform")
            ax.set_yscale("log")
            ax.set_ylim(1e-4, 1.0)
            ax.set_title(f"{kind}, {method}", fontsize=9)
            if row == len(METHODS) - 1:
                ax.set_xlabel(f"{k}-bit number")
            if col == 0:
                ax.set_ylabel("share of numbers")
    axes[0, -1].legend(fontsize=7, loc="upper right")
    return _png(fig)


def _lsb_png(result, rasters):
    fig = _figure(12.0, 6.0)
    axes = fig.subplots(len(TENSOR_KINDS), 1, sharex=True)
    rows = {r["kind"]: r for r in result["lsb_over_training"]}
    for ax, kind in zip(axes, TENSOR_KINDS):
        raster = rasters[kind]
        ax.imshow(raster, aspect="auto", cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        r = rows[kind]
        ax.set_title(f"{kind} (layer 0, {r['drawn']}): ones {r['drawn_ones_fraction']:.2f}",
                     fontsize=9)
        ax.set_ylabel("location")
    axes[-1].set_xlabel("training step")
    return _png(fig)


def _nist_png(result):
    cfg = result["config"]
    columns = [(w, m, mp) for w in cfg["code_widths"] for m in METHODS for mp in ("none", "derived")]
    rows = [(kind, layer) for kind in TENSOR_KINDS for layer in (0, 1)]
    nist = {(r["code_bits"], r["kind"], r["layer"], r["method"], r["mapping"]): r
            for r in result["nist"]}
    passed = np.array([[nist[(w, kind, layer, m, mp)]["pass"] for (w, m, mp) in columns]
                       for kind, layer in rows], dtype=float)
    applicable = np.array([[nist[(w, kind, layer, m, mp)]["pass"] + nist[(w, kind, layer, m, mp)]["fail"]
                            for (w, m, mp) in columns] for kind, layer in rows])
    share = passed / np.maximum(applicable, 1)
    fig = _figure(11.0, 4.8)
    ax = fig.subplots()
    image = ax.imshow(share, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(columns)):
            ax.text(j, i, f"{int(passed[i, j])}/{applicable[i, j]}", ha="center", va="center",
                    fontsize=8, color="w" if share[i, j] < 0.6 else "k")
    ax.set_yticks(range(len(rows)), [f"{kind} L{layer}" for kind, layer in rows])
    ax.set_xticks(range(len(columns)), [f"{w}-bit\n{m}\n{'mapped' if mp == 'derived' else 'raw'}"
                                        for w, m, mp in columns], fontsize=8)
    refs = ", ".join(f"{r['name'].split(',')[0]} {_nist_cell(r['nist'])}"
                     for r in result["references"])
    ax.set_title(f"NIST SP 800-22 tests passed / applicable, {cfg['number_bits']}-bit numbers "
                 f"(references: {refs})", fontsize=9)
    fig.colorbar(image, ax=ax, label="share of the applicable tests passed")
    return _png(fig)


def _mapping_png(result, profiles):
    cfg = result["config"]
    width = cfg["code_widths"][-1]
    km = cfg["mapping_bits"]
    fig = _figure(12.0, 5.0)
    axes = fig.subplots(len(METHODS), len(TENSOR_KINDS), sharex=True, sharey=True)
    f = np.arange(1 << km)
    for row, method in enumerate(METHODS):
        for col, kind in enumerate(TENSOR_KINDS):
            ax = axes[row, col]
            for i, label in enumerate(("none", "paper", "derived")):
                ax.plot(f, profiles[(width, kind, method, label)], "o-", ms=3, lw=1,
                        color=f"C{i}", label={"none": "no mapping", "paper": "issue's example",
                                              "derived": "derived"}[label])
            ax.axhline(0, color="k", lw=0.6)
            ax.set_title(f"{kind}, {method}", fontsize=9)
            if row == len(METHODS) - 1:
                ax.set_xlabel("fractional part f")
            if col == 0:
                ax.set_ylabel("bias (LSB of x)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Stochastic-rounding bias per fractional part, {km}-bit numbers from "
                 f"{width}-bit codes", fontsize=10)
    return _png(fig)


def _pixel_png(result):
    fig = _figure(12.0, 3.6)
    axes = fig.subplots(1, len(result["pixel"]), sharey=True)
    for ax, r in zip(axes, result["pixel"]):
        values = np.arange(len(r["pmf"]))
        pmf = np.array(r["pmf"])
        ax.bar(values, pmf, width=0.8, color="C0", label="achieved (pooled)")
        ax.errorbar(values, pmf, yerr=[pmf - np.array(r["lane_min_pmf"]),
                                       np.array(r["lane_max_pmf"]) - pmf],
                    fmt="none", ecolor="k", elinewidth=0.8, capsize=2, label="range over locations")
        ax.plot(values, r["target_pmf"], "r*", ms=8, label="target")
        ax.set_title(f"{r['name']} (TV {r['total_variation']:.3f})", fontsize=9)
        ax.set_xlabel(f"{r['bits']}-bit number")
    axes[0].set_ylabel("probability")
    axes[0].legend(fontsize=7)
    return _png(fig)


def _gf_png(result, arrays):
    gf = {r["name"]: r for r in result["gf_rounding"]["configurations"]}
    k = result["gf_rounding"]["config"]["k"]
    f = np.arange(1 << k)
    fig = _figure(12.0, 3.8)
    axes = fig.subplots(1, 3, sharey=True)
    panels = [("naive_multi_lsb", "before the fix: multi_lsb, naive wrap-around"),
              ("naive_direct_self", "before the fix: direct, a lane that reads itself"),
              ("after", "after the fix (circulant), and controls")]
    for ax, (name, title) in zip(axes, panels):
        if name == "after":
            for i, config in enumerate(("multi_lsb", "direct", "port", "lfsr")):
                ax.plot(f, arrays[config][0][0], ".", ms=2, color=f"C{i}",
                        label=f"{config}, lane 0")
        else:
            measured, exact = arrays[name]
            own_bits = gf[name]["own_bits"]
            # The lane whose own bit sits highest, one with a lower own bit, one without.
            own = sorted((i for i, bits in enumerate(own_bits) if bits),
                         key=lambda i: (-max(b for b, _ in own_bits[i]), i))
            lower = [i for i in own if max(b for b, _ in own_bits[i])
                     < max(b for b, _ in own_bits[own[0]]) - 1] if own else []
            plain = [i for i, bits in enumerate(own_bits) if not bits]
            shown = own[:1] + lower[:1] + plain[:1]
            for i, lane in enumerate(shown):
                where = gf[name]["own_bits"][lane]
                label = (f"lane {lane}, own LSB as bit {where[0][0]}" if len(where) == 1 else
                         f"lane {lane}, number = own f" if where else f"lane {lane}, no own bit")
                ax.plot(f, measured[lane], ".", ms=2, color=f"C{i}", label=label)
                ax.plot(f, exact[lane], "-", lw=0.5, color=f"C{i}")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(f"fractional part f = x mod 2^{k}")
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("E[y 2^k - x | f] (LSB of x)")
    fig.suptitle("gf_rounding: mean rounding error per fractional part (dots: measured, "
                 "lines: exact)", fontsize=10)
    return _png(fig)


#: Files of one report, in the order :func:`write_extraction_report` writes them.
REPORT_FILES = ("extraction.md", "extraction.json", "histograms.png", "lsb_over_training.png",
                "nist.png", "mapping.png", "pixel.png", "gf_rounding.png")


def write_extraction_report(result, out_dir=REPORT_DIR):
    """Write :data:`REPORT_FILES` into ``out_dir`` atomically; return their paths."""
    from stochhw.sim.core.files import write_atomic
    out_dir = Path(out_dir)
    plot = result["_plot"]
    contents = {
        "extraction.md": _markdown(result),
        "extraction.json": json.dumps(_public(result), indent=2, sort_keys=True) + "\n",
        "histograms.png": _histograms_png(result),
        "lsb_over_training.png": _lsb_png(result, plot["rasters"]),
        "nist.png": _nist_png(result),
        "mapping.png": _mapping_png(result, plot["bias_profiles"]),
        "pixel.png": _pixel_png(result),
        "gf_rounding.png": _gf_png(result, plot["gf"]),
    }
    for name in REPORT_FILES:
        write_atomic(out_dir / name, contents[name])
    return [out_dir / name for name in REPORT_FILES]


def run_topic(args):
    """``stochhw analyze extraction``: run, write the report, print it (or the JSON)."""
    quick = bool(args.quick)
    progress = None if args.json else sys.stderr
    if quick:
        result = extraction_analysis(args.seed, seeds=1, code_widths=(6,), epochs=3,
                                     nist_length=20_000, gf_cycles=4096, progress=progress)
    else:
        result = extraction_analysis(args.seed, progress=progress)
    result["config"]["quick"] = quick
    paths = write_extraction_report(result, report_folder(args, REPORT_DIR))
    return print_outcome(args, _public(result), lambda: _markdown(result), paths)


def _configure_extraction(p):
    p.add_argument("--out", metavar="DIR", help="report folder (default reports/randomness)")
    p.add_argument("--quick", action="store_true",
                   help="1 seed, 6-bit codes only, 3 epochs, short NIST streams (a smoke test)")


TOPIC = Topic("extraction", "random numbers extracted from training tensors and pixels, "
              "gf_rounding's self-correlation (the paper's comparisons)", run_topic,
              _configure_extraction)
