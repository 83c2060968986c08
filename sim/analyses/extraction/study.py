"""What ``stochhw analyze extraction`` measures: :func:`extraction_analysis` and its parts.

Training runs are recorded, their tensors' codes go through the ``lsb_extractor`` model, and
the numbers are measured: entropy, rounding bias with and without a number mapping, NIST
SP 800-22, histograms, one location's LSB over training; then the ``pixel_extractor``
distributions, the two reference sources and gf_rounding's self-correlation
(:mod:`~stochhw.sim.analyses.extraction.gf_correlation`). :mod:`stochhw.sim.analyses.extraction`
says what each measurement is.
"""

import dataclasses

import numpy as np

from stochhw.models.checks import ParameterError, check_int
from stochhw.models.ml.random_sources import LFSRSource, PCGSource
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
from stochhw.sim.analyses.extraction.gf_correlation import self_correlation
from stochhw.sim.analyses.randomness import (
    EXTRACTOR_LANES,
    EXTRACTOR_SEED,
    MIN_BITS,
    nist_summary,
    tensor_source_numbers,
    unpack_numbers,
)
from stochhw.sim.analyses.training import PAPER_TABLE6
from stochhw.sim.core.reportkit import mean_std

__all__ = ["NUMBER_BITS", "MAPPING_BITS", "PAPER_MAPPING", "METHODS", "CODE_WIDTHS",
           "LSB_LOCATIONS", "PIXEL_BITS", "extraction_analysis", "nist_stream"]

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
                        nist_length=1_000_000, gf_cycles=1 << 18, quick=False, progress=None):
    """Run every measurement of :mod:`stochhw.sim.analyses.extraction`.

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
    quick : bool
        Marks the result as a smoke test (the report says so).
    progress : file, optional
        Where to print one line per finished step.

    Returns
    -------
    dict
        JSON-ready, except the key ``"_plot"`` (arrays for the figures, which
        :func:`stochhw.sim.core.reportkit.public` leaves out of the JSON).
    """
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
            mean, std = mean_std(values, axis=0)
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
                   "nist_length": nist_length, "gf_cycles": gf_cycles, "quick": bool(quick),
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
