"""The tables of ``extraction.md`` (:func:`markdown`); the prose under each is in
:mod:`~stochhw.sim.analyses.extraction.notes`."""

from stochhw.models.ml.training import TENSOR_KINDS
from stochhw.sim.analyses.extraction.notes import (
    bias_notes,
    gf_notes,
    lsb_notes,
    mapping_notes,
    nist_cell,
    nist_notes,
    paper_notes,
    pixel_notes,
    table6_notes,
)
from stochhw.sim.analyses.extraction.study import LSB_LOCATIONS, METHODS, PIXEL_BITS
from stochhw.sim.analyses.training import PAPER_TABLE6
from stochhw.sim.core.reportkit import percent, table

__all__ = ["markdown"]


def _fmt_layers(rows, code_bits, kind, method, key="entropy_mean"):
    """``all ± std [layer 0, layer 1]`` of one source."""
    cell = {r["layer"]: r for r in rows if r["code_bits"] == code_bits and r["kind"] == kind
            and r["method"] == method}
    whole = cell["all"]
    return (f"{whole[key]:.2f} ± {whole['entropy_std']:.2f} "
            f"[{cell[0][key]:.2f}, {cell[1][key]:.2f}]")


def _share(fraction):
    return percent(fraction, 1, suffix="%")


def markdown(result):
    """``extraction.md``: the set-up, every table, and what each says."""
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
        "Regenerate with `stochhw analyze extraction` (sources: `sim/analyses/extraction/`, "
        "`models/stats/mapping.py`, `models/extractor.py`, "
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
        *table(["codes", "tensor", "direct", "multi_lsb", "zero numbers", "paper Table 6"],
               "llrrrr", [
                   *([f"{w}-bit", kind, _fmt_layers(entropy, w, kind, "direct"),
                      _fmt_layers(entropy, w, kind, "multi_lsb"),
                      " / ".join(_share(ent[(w, kind, m, "all")]["zero_fraction"])
                                 for m in METHODS), f"{PAPER_TABLE6[kind]:.2f}"]
                     for w in widths for kind in TENSOR_KINDS),
                   *(["reference", ref["name"], f"{ref['entropy']:.3f}", "",
                      _share(ref["zero_fraction"]), ""] for ref in result["references"])]),
        "",
        *table6_notes(result),
        "",
    ]
    # --- bias --------------------------------------------------------------------------------
    lines += [
        f"## Stochastic-rounding bias per source ({k}-bit numbers)",
        "",
        f"Mean and worst `bias(f)` in LSBs of x (1/{1 << k} of a code step), mean over the "
        f"seeds, all layers; then the same numbers through the derived mapping.",
        "",
        *table(["codes", "tensor", "method", "mean bias", "worst bias", "mapped: mean",
                "mapped: worst"], "lllrrrr", [
                    *([f"{w}-bit", kind, method, f"{r['mean_bias_lsb']:+.2f}",
                       f"{r['max_abs_bias_lsb']:.2f}", f"{r['mapped_mean_bias_lsb']:+.2f}",
                       f"{r['mapped_max_abs_bias_lsb']:.2f}"]
                      for w in widths for kind in TENSOR_KINDS for method in METHODS
                      for r in [ent[(w, kind, method, "all")]]),
                    *(["reference", ref["name"], "", f"{ref['mean_bias_lsb']:+.2f}",
                       f"{ref['max_abs_bias_lsb']:.2f}", "", ""] for ref in result["references"])]),
        "",
        *bias_notes(result),
        "",
    ]
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
        *table(["codes", "tensor", "layer", "direct", "direct +map", "multi_lsb",
                "multi_lsb +map", "bits (s), direct / multi_lsb"], "llrrrrrr", [
                    *([f"{w}-bit", kind, layer,
                       *(nist_cell(nist[(w, kind, layer, m, mp)]) for m in METHODS
                         for mp in ("none", "derived")),
                       " / ".join(f"{nist[(w, kind, layer, m, 'none')]['n_bits']:,} "
                                  f"({nist[(w, kind, layer, m, 'none')]['stride']})"
                                  for m in METHODS)]
                      for w in widths for kind in TENSOR_KINDS for layer in (0, 1)),
                    *(["reference", ref["name"], "", nist_cell(ref["nist"]), "", "", "",
                       f"{ref['nist']['n_bits']:,}"] for ref in result["references"])]),
        "",
        *nist_notes(result),
        "",
    ]
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
        *table(["codes", "tensor", "method", "mapping", "entropy", "ones per bit", "mean bias",
                "worst bias", "bound", "NIST"], "llllrlrrrr",
               ([f"{r['code_bits']}-bit", r["kind"], r["method"], r["mapping"],
                 f"{r['entropy']:.3f}", ", ".join(f"{v:.2f}" for v in r["ones_fraction_per_bit"]),
                 f"{r['mean_bias_lsb']:+.3f}", f"{r['max_abs_bias_lsb']:.3f}",
                 f"{r['lower_bound_lsb']:.3f}", f"{r['nist_pass']}/{r['nist_pass'] + r['nist_fail']}"]
                for r in result["mapping_study"])),
        "",
        *mapping_notes(result),
        "",
    ]
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
        *table(["tensor", "locations", "ones", "toggle rate", "constant locations",
                "drawn: constant rows"], "lrrrrr",
               ([r["kind"], r["locations"], f"{r['ones_fraction']:.3f}", f"{r['toggle_rate']:.3f}",
                 _share(r["constant_locations_fraction"]),
                 f"{r['drawn_constant_locations']}/{LSB_LOCATIONS}"]
                for r in result["lsb_over_training"])),
        "",
        *lsb_notes(result),
        "",
    ]
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
        *table(["target", "achieved pmf (0..7)", "target pmf", "TV pooled", "TV worst location",
                "entropy (target)", "NIST"], "lllrrrr",
               ([r["name"], ", ".join(f"{v:.3f}" for v in r["pmf"]),
                 ", ".join(f"{v:.3f}" for v in r["target_pmf"]), f"{r['total_variation']:.3f}",
                 f"{r['lane_total_variation_max']:.3f}",
                 f"{r['entropy']:.3f} ({r['target_entropy']:.3f})",
                 f"{nist_cell(r['nist'])} ({r['nist']['n_bits']:,} bits)"]
                for r in result["pixel"])),
        "",
        *pixel_notes(result),
        "",
    ]
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
        f"`stochhw.sim.analyses.extraction.gf_correlation`). Sampling noise alone gives a worst "
        f"measured value of about 4 "
        f"standard errors, i.e. "
        f"~{4 * gf['configurations'][0]['median_conditional_standard_error']:.0f} LSB here "
        f"(the LFSR and port rows show it).",
        "",
        "![gf_rounding conditional bias](gf_rounding.png)",
        "",
        *table(["configuration", "lanes seeing own x", "lanes sharing a number",
                "distinct numbers per cycle", "corr(rnd, f)", "corr(rnd, LSB)",
                "between lanes: numbers (exact)", "between lanes: errors", "mean bias (± s.e.)",
                "worst conditional bias: measured (exact)",
                "RMS conditional bias: measured (exact)"], "l" + "r" * 10,
               (_gf_row(r, gcfg["lanes"]) for r in gf["configurations"])),
        "",
        *gf_notes(result),
        "",
        "## Where this differs from the paper, and why",
        "",
        *paper_notes(result),
        "",
    ]
    return "\n".join(lines)


def _gf_row(r, lanes):
    """One row of the gf_rounding table; the exact values in brackets where they exist."""
    def exact(key, spec):
        return f" ({r[key]:{spec}})" if key in r else ""

    if "lanes_with_own_bits" in r:
        own = f"{r['lanes_with_own_bits']}/{lanes}"
        sharing = f"{sum(g for g in r['lanes_sharing_one_number'] if g > 1)}/{lanes}"
    else:
        own = sharing = "0 (by design)"
    return [r["label"], own, sharing, f"{r['distinct_numbers_per_cycle']:.1f}",
            f"{r['max_abs_corr_rnd_f']:.3f}", f"{r['max_abs_corr_rnd_own_lsb']:.3f}",
            f"{r['max_abs_corr_between_lanes_numbers']:.2f}"
            + exact("exact_max_abs_corr_between_lanes_numbers", ".2f"),
            f"{r['max_abs_corr_between_lanes_errors']:.2f}",
            f"{r['mean_bias_lsb']:+.3f} ± {r['mean_bias_standard_error']:.3f}",
            f"{r['max_abs_conditional_bias_lsb']:.1f}"
            + exact("exact_max_abs_conditional_bias_lsb", ".1f"),
            f"{r['rms_conditional_bias_lsb']:.1f}" + exact("exact_rms_conditional_bias_lsb", ".1f")]
