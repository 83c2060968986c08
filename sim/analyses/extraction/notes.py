"""What each table of ``extraction.md`` says: the prose under it, with its numbers.

Every function takes the result of :func:`stochhw.sim.analyses.extraction.study.extraction_analysis`
and returns Markdown lines.
"""

import math

from stochhw.models.ml.training import TENSOR_KINDS
from stochhw.sim.analyses.extraction.study import METHODS
from stochhw.sim.analyses.training import PAPER_TABLE6

__all__ = ["entropy_row", "order_by_entropy", "nist_cell", "table6_notes", "bias_notes",
           "nist_notes", "mapping_notes", "lsb_notes", "pixel_notes", "gf_notes", "paper_notes"]


def nist_cell(row):
    """``passed/applicable`` of a NIST row."""
    return f"{row['pass']}/{row['pass'] + row['fail']}"


def entropy_row(result, width, kind, method, layer="all"):
    return next(r for r in result["entropy"] if r["code_bits"] == width and r["kind"] == kind
                and r["method"] == method and r["layer"] == layer)


def order_by_entropy(result, width, method):
    """Tensor kinds by decreasing mean entropy."""
    return sorted(TENSOR_KINDS, key=lambda kind: -entropy_row(result, width, kind,
                                                               method)["entropy_mean"])


def table6_notes(result):
    widths = result["config"]["code_widths"]
    w = widths[0]
    paper = sorted(PAPER_TABLE6, key=lambda kind: -PAPER_TABLE6[kind])
    lines = ["What it says:", ""]
    for method in METHODS:
        ours = order_by_entropy(result, w, method)
        lines.append(f"* Order by entropy, {w}-bit codes, {method}: {' > '.join(ours)}; the "
                     f"paper's: {' > '.join(paper)}" +
                     (" (the same)." if ours == paper else "."))
    gains = [entropy_row(result, w, kind, "multi_lsb")["entropy_mean"]
             - entropy_row(result, w, kind, "direct")["entropy_mean"] for kind in TENSOR_KINDS]
    higher = sum(entropy_row(result, cw, kind, "multi_lsb")["entropy_mean"]
                 > entropy_row(result, cw, kind, "direct")["entropy_mean"]
                 for cw in widths for kind in TENSOR_KINDS)
    lines += [
        f"* `multi_lsb` has the higher entropy for {higher} of the {len(widths) * 4} "
        f"(code width, tensor) pairs; with {w}-bit codes it gains {min(gains):+.2f} to "
        f"{max(gains):+.2f} bits over `direct`. A "
        f"direct number is the low bits of one code, so every zero code gives the number 0; "
        f"a multi_lsb number is 0 only if all of its codes are even, which is why its "
        f"zero share is far smaller. The paper's Table 6 does not say here which method it "
        f"used, so both are listed against it.",
        f"* Weights: {entropy_row(result, w, 'weight', 'direct')['entropy_mean']:.2f} "
        f"(direct) and {entropy_row(result, w, 'weight', 'multi_lsb')['entropy_mean']:.2f} "
        f"(multi_lsb) bits with {w}-bit codes, paper {PAPER_TABLE6['weight']}. Errors are "
        + ("the poorest source with both methods, as in the paper. "
           if all(order_by_entropy(result, w, m)[-1] == "error" for m in METHODS) else
           "not the poorest source with both methods, unlike the paper. ")
        + f"Gradients are where this network differs most: "
        f"{entropy_row(result, w, 'gradient', 'direct')['entropy_mean']:.2f} bits (direct) "
        f"against the paper's {PAPER_TABLE6['gradient']}, because "
        f"{100 * entropy_row(result, w, 'gradient', 'direct')['zero_fraction']:.0f}% of the "
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


def bias_notes(result):
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
        f"{entropy_row(result, w, 'error', 'direct')['max_abs_bias_lsb']:.1f} -> "
        f"{entropy_row(result, w, 'error', 'direct')['mapped_max_abs_bias_lsb']:.1f}); what "
        f"remains is the floor set by the most frequent number (the bound in the mapping "
        f"study below). Mapping moves the bias; it cannot remove it.",
    ]


def nist_notes(result):
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
        f"* PCG64 passes {nist_cell(pcg['nist'])}. The 16-bit LFSR, read as the low 6 bits of "
        f"successive states (how `sru_lfsr` feeds its rounding unit), passes only "
        f"{nist_cell(lfsr['nist'])}: successive states are shifted copies of each other. That "
        f"does not bias rounding (see the bias table), but it is not a random bit stream.",
        f"* {len(clean)} of {tested} tensor streams pass every applicable test"
        + (": " + ", ".join(f"{r['code_bits']}-bit {r['kind']} L{r['layer']} {r['method']}"
                            f"{' +map' if r['mapping'] == 'derived' else ''}"
                            f" ({nist_cell(r)})" for r in clean) if clean else "")
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


def mapping_notes(result):
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


def lsb_notes(result):
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


def pixel_notes(result):
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
        f"{', '.join(nist_cell(r['nist']) for r in result['pixel'])} NIST tests: "
        f"neighbouring pixels of one image are strongly correlated, and only the uniform "
        f"target aims at uniform numbers at all. Images with more grey levels and fewer "
        f"saturated pixels would leave the thresholds much more room.",
    ]


def gf_notes(result):
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


def paper_notes(result):
    w = result["config"]["code_widths"][0]
    grad = entropy_row(result, w, "gradient", "direct")
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
