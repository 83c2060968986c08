"""``stochhw analyze nist``: NIST SP 800-22 as its section 4.2 applies it, many sequences per
source (the generator-free SR paper's Fig. A2/A3).

Every source gives ``m`` sequences of ``n`` bits (default 100 of 10^6, the suite's usual
setting); all 15 tests run on each, and :func:`stochhw.models.stats.nist.assess` applies the
two criteria of section 4.2 to every test and sub-test: the proportion of passing sequences
against its confidence interval, and the uniformity of the p-values (a chi-square over ten
bins). Sources: PCG64; LFSR-16 and LFSR-8 (the low bits of successive states, as the training
and the ``sru_lfsr`` design use them); and the numbers an ``lsb_extractor`` takes from the
codes of each tensor kind (weights, activations, errors, gradients) of the first, middle and
last layer of the 64-32-32-10 MLP trained at 8 bits with PCG64 stochastic rounding, by Method #1
(``direct``) and Method #2 (``multi_lsb``). One training run gives a last-layer source only
about 270,000 bits with Method #2, so training runs with seeds ``seed, seed + 1, ...`` are
recorded until every source has its ``m * n`` bits (373 runs for the default).

:func:`nist_study` computes it, :func:`report_files` renders ``nist.md``, ``nist.json``,
``nist_grid.png`` and ``nist_proportions.png``, and :func:`run` writes them into ``--out``
(default ``reports/nist/``). CPU time of the documented run: about 25 minutes (0.5 s per
10^6-bit sequence, 2700 sequences, and the recorded trainings).

JSON (``--json``; sorted keys)::

    {"config": {"n", "m", "alpha", "code_bits", "k", "layers", "lanes", "extractor_seed",
                "seed", "quick"},
     "interval": [lo, hi], "false_alarm": float,
     "sources": [{"source", "kind": "reference"|"extracted", "description",
                  ... extracted: "tensor", "layer", "method", "training_runs",
                  "failing_sub_tests", "sub_tests", "expected_chance_failures",
                  "tests": [{"test", "sub_tests", "sequences", "passing_sub_tests",
                             "proportion_failures", "uniformity_failures", "min_proportion",
                             "min_uniformity", "expected_chance_failures",
                             "details": [{"label", "sequences", "passing", "histogram",
                                          "uniformity"}]}]}]}

``details`` lists every sub-test, except that of the 148 non-overlapping templates only those
failing a criterion are listed.
"""

import dataclasses
import sys

import matplotlib
import numpy as np

from stochhw.models.checks import check_int
from stochhw.models.extractor import METHODS, extract_stream
from stochhw.models.ml.closed_loop import LAYER_NAMES, layer_index
from stochhw.models.ml.random_sources import LFSRSource, PCGSource
from stochhw.models.ml.training import TENSOR_KINDS, TrainingConfig, tensor_codes, train
from stochhw.models.stats import nist as sp800_22
from stochhw.sim.analyses.generator_free import HIDDEN
from stochhw.sim.analyses.randomness import unpack_numbers
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.reportkit import figure, json_text, number, png_bytes, table, write_report

__all__ = ["TESTS", "nist_study", "nist_markdown", "report_files", "run"]

#: The 15 tests in the document's order: name -> (short column name, long name).
TESTS = {
    "frequency": ("Freq", "frequency (monobit)"),
    "block_frequency": ("BlkF", "frequency within a block"),
    "runs": ("Runs", "runs"),
    "longest_run_of_ones": ("LRun", "longest run of ones"),
    "binary_matrix_rank": ("Rank", "binary matrix rank"),
    "spectral": ("DFT", "spectral (DFT)"),
    "non_overlapping_template": ("NOT", "non-overlapping templates (148)"),
    "overlapping_template": ("OT", "overlapping template"),
    "universal": ("Univ", "Maurer's universal"),
    "linear_complexity": ("LC", "linear complexity"),
    "serial": ("Ser", "serial (2)"),
    "approximate_entropy": ("ApEn", "approximate entropy"),
    "cumulative_sums": ("CuSum", "cumulative sums (2)"),
    "random_excursions": ("RE", "random excursions (8)"),
    "random_excursions_variant": ("REV", "random excursions variant (18)"),
}
#: Bits per number of every source, and width of the recorded codes.
NUMBER_BITS, CODE_BITS = 6, 8
LANES, EXTRACTOR_SEED = 16, 1
#: Sub-tests so many that only the failing ones are listed in the JSON.
SUMMARISED = "non_overlapping_template"


class _Sequences:
    """Takes bits; runs the 15 tests on every complete ``n``-bit sequence, up to ``m``."""

    def __init__(self, n, m, alpha):
        self.n, self.m, self.alpha = n, m, alpha
        self.pending = np.empty(0, dtype=np.uint8)
        self.runs = []

    @property
    def full(self):
        return len(self.runs) >= self.m

    def feed(self, bits):
        if self.full:
            return
        self.pending = np.concatenate([self.pending, bits])
        while self.pending.size >= self.n and not self.full:
            self.runs.append(sp800_22.run_all(self.pending[:self.n], self.alpha))
            self.pending = self.pending[self.n:]
        if self.full:
            self.pending = np.empty(0, dtype=np.uint8)


def _test_rows(assessments, alpha):
    """Section 4.2's verdicts gathered per test."""
    grouped = {}
    for a in assessments:
        grouped.setdefault(a.name, []).append(a)
    rows = []
    for name, subs in grouped.items():
        applied = [a for a in subs if a.sequences]
        m = max((a.sequences for a in applied), default=0)
        chance = (len(applied) * (sp800_22.proportion_false_alarm(m, alpha)
                                  + sp800_22.UNIFORMITY_ALPHA) if m else 0.0)
        rows.append({
            "test": name, "sub_tests": len(applied), "sequences": m,
            "passing_sub_tests": sum(a.passed for a in applied),
            "proportion_failures": sum(a.proportion_ok is False for a in applied),
            "uniformity_failures": sum(a.uniform is False for a in applied),
            "min_proportion": min((a.proportion for a in applied), default=None),
            "min_uniformity": min((a.uniformity for a in applied if a.uniformity is not None),
                                  default=None),
            "expected_chance_failures": chance,
            "details": [{"label": a.label, "sequences": a.sequences, "passing": a.passing,
                         "histogram": list(a.histogram), "uniformity": a.uniformity}
                        for a in applied if name != SUMMARISED or not a.passed],
        })
    return rows


def _source_row(name, runs, alpha, **fields):
    tests = _test_rows(sp800_22.assess(runs, alpha), alpha)
    return {"source": name, **fields, "tests": tests,
            "sub_tests": sum(t["sub_tests"] for t in tests),
            "failing_sub_tests": sum(t["sub_tests"] - t["passing_sub_tests"] for t in tests),
            "expected_chance_failures": sum(t["expected_chance_failures"] for t in tests)}


def nist_study(n=1_000_000, m=100, seed=1, alpha=0.01, quick=False, progress=None):
    """Section 4.2 of SP 800-22 for the reference generators and the extracted sources.

    Parameters
    ----------
    n : int
        Bits per sequence, >= 1000.
    m : int
        Sequences per source, >= 55 (the uniformity criterion needs 55).
    seed : int
        PCG64's seed and the first training seed.
    alpha : float
        Significance level of each p-value (the document's 0.01).
    quick : bool
        Marks the result as a smoke test.
    progress : file, optional
        One line per source and per recorded training.

    Returns
    -------
    dict
        JSON-ready (schema in the module docstring).
    """
    n = check_int("n", n, 1000)
    m = check_int("m", m, sp800_22.MIN_UNIFORMITY_SEQUENCES)
    seed = check_int("seed", seed, 0)
    k = NUMBER_BITS
    sources = []
    references = {"PCG64": PCGSource(k, seed), "LFSR-16": LFSRSource(k, 16, 1),
                  "LFSR-8": LFSRSource(k, 8, 1)}
    for name, generator in references.items():
        sequences = _Sequences(n, m, alpha)
        while not sequences.full:
            sequences.feed(unpack_numbers(generator.draw(-(-n // k)), k))
        sources.append(_source_row(name, sequences.runs, alpha, kind="reference",
                                   description=generator.describe()))
        if progress is not None:
            print(f"  {name}: {m} sequences tested", file=progress, flush=True)
    base = TrainingConfig(hidden=HIDDEN, bits=CODE_BITS, rnd_bits=k, record_every=1,
                          max_snapshots=1 << 30)
    n_layers = len(base.layers) - 1
    extracted = {(kind, layer, method): _Sequences(n, m, alpha)
                 for kind in TENSOR_KINDS for layer in LAYER_NAMES for method in METHODS}
    runs_used = {}
    training_seed = seed
    while not all(s.full for s in extracted.values()):
        recorded = train(dataclasses.replace(base, seed=training_seed), "pcg")
        for key, sequences in extracted.items():
            if not sequences.full:
                kind, layer, method = key
                codes = tensor_codes(recorded, kind, layer_index(layer, n_layers))
                numbers = extract_stream(codes, bits=k, method=method, lanes=LANES,
                                         seed=EXTRACTOR_SEED, src_width=CODE_BITS)
                sequences.feed(unpack_numbers(numbers, k))
                runs_used[key] = training_seed - seed + 1
        if progress is not None:
            print(f"  training seed {training_seed}: "
                  f"{sum(s.full for s in extracted.values())}/{len(extracted)} sources complete",
                  file=progress, flush=True)
        training_seed += 1
    for (kind, layer, method), sequences in extracted.items():
        sources.append(_source_row(
            f"{kind}[{layer}] {method}", sequences.runs, alpha, kind="extracted",
            description=(f"lsb_extractor {method} ({LANES} lanes, seed {EXTRACTOR_SEED}) on the "
                         f"{CODE_BITS}-bit {kind} codes of the {layer} layer"),
            tensor=kind, layer=layer, method=method, training_runs=runs_used[(kind, layer, method)]))
    return {"config": {"n": n, "m": m, "alpha": alpha, "code_bits": CODE_BITS, "k": k,
                       "layers": list(base.layers), "lanes": LANES,
                       "extractor_seed": EXTRACTOR_SEED, "seed": seed, "quick": bool(quick)},
            "interval": list(sp800_22.proportion_range(m, alpha)),
            "false_alarm": sp800_22.proportion_false_alarm(m, alpha),
            "sources": sources}


# --- render ---------------------------------------------------------------------------------

def _cell(test):
    if not test["sub_tests"]:
        return "n/a"
    if test["sub_tests"] == 1:
        if test["passing_sub_tests"]:
            return "pass"
        return "**" + ("P" if test["proportion_failures"] else "") + \
            ("U" if test["uniformity_failures"] else "") + "**"
    text = f"{test['passing_sub_tests']}/{test['sub_tests']}"
    return text if test["passing_sub_tests"] == test["sub_tests"] else f"**{text}**"


def nist_markdown(result):
    """``nist.md`` of a :func:`nist_study` result."""
    cfg = result["config"]
    m, n, alpha = cfg["m"], cfg["n"], cfg["alpha"]
    lo, hi = result["interval"]
    chance = result["false_alarm"]
    names = list(TESTS)
    lines = [
        "# NIST SP 800-22 as section 4.2 applies it: many sequences per source",
        "",
        "Regenerate with `stochhw analyze nist` (source: `sim/analyses/nist.py`, "
        "`models/stats/nist.py`). Deterministic: the same code gives the same bytes.",
        "",
        f"**Here.** Every source gives m = {m} sequences of n = {n:,} bits, one stream cut into "
        "consecutive sequences (as the reference implementation reads a file), and all 15 "
        f"tests run on each at alpha = {alpha}. Section 4.2's two criteria, for every test and "
        "sub-test: the proportion of sequences with p >= alpha must lie in "
        f"(1 - alpha) -/+ 3 sqrt(alpha (1 - alpha) / m) = [{lo:.4f}, {hi:.4f}] (4.2.1, `P`), "
        "and the p-values must spread uniformly over ten bins, P-value_T = "
        f"igamc(9/2, chi2/2) >= {sp800_22.UNIFORMITY_ALPHA} (4.2.2, `U`). The random-excursion "
        "tests count only the sequences with at least 500 cycles. A perfect generator fails the "
        f"proportion criterion of any one sub-test with probability {100 * chance:.1f}% (the "
        "binomial tail), so it fails about three of the 188 sub-tests by chance (`chance`).",
        "",
        f"**Sources.** {cfg['k']}-bit numbers, bits least significant first. PCG64 (seed "
        f"{cfg['seed']}); LFSR-16 and LFSR-8: the low {cfg['k']} bits of successive states of "
        "one Galois LFSR (seed 1), as the training and the `sru_lfsr` design use them (LFSR-8 "
        "is the width of the paper's SRU RNG). Extracted: the "
        f"{cfg['code_bits']}-bit codes of one tensor and layer of the "
        + "-".join(map(str, cfg["layers"])) + " MLP trained on the digits with PCG64 "
        f"stochastic rounding, every step, through an `lsb_extractor` ({cfg['lanes']} lanes, "
        f"static routing, seed {cfg['extractor_seed']}, no mapping), Method #1 `direct` or "
        f"Method #2 `multi_lsb`; training runs with seeds {cfg['seed']}, {cfg['seed'] + 1}, "
        "... are recorded until the source has its m x n bits (`runs`).",
        "",
        "**The paper** (Fig. A2/A3) reports numbers extracted from its far larger networks "
        "passing the suite; that is not set beside these numbers, which come from another "
        "network.",
        "",
        *([f"**Quick run** (m = {m}, n = {n:,}): a smoke test, not a result. Tests whose input "
           "size recommendation n does not meet are `n/a`.", ""] if cfg.get("quick") else []),
        "## Verdicts",
        "",
        "Per source: the sub-tests failing a criterion, of those applicable, and how many a "
        "perfect generator fails by chance; then per test `pass`, the failed criterion (`P`, "
        "`U`), or the sub-tests passing both (`k/S`); `n/a` where no sequence met the "
        "test's preconditions.",
        "",
    ]
    head = ["source", "runs", "failing", "chance", *(TESTS[t][0] for t in names)]
    body = []
    for src in result["sources"]:
        by = {t["test"]: t for t in src["tests"]}
        body.append([src["source"], src.get("training_runs", ""),
                     f"{src['failing_sub_tests']}/{src['sub_tests']}",
                     number(src["expected_chance_failures"], 1),
                     *(_cell(by[t]) for t in names)])
    lines += [*table(head, "lrrr" + "c" * len(names), body), "",
              "Tests: " + "; ".join(f"{short} {long}" for short, long in TESTS.values()) + ".",
              "", *_notes(result), ""]
    return "\n".join(lines)


def _notes(result):
    sources = {s["source"]: s for s in result["sources"]}
    extracted = [s for s in result["sources"] if s["kind"] == "extracted"]
    out = ["## What it says", ""]
    pcg = sources.get("PCG64")
    if pcg is not None:
        out.append(f"* PCG64 fails {pcg['failing_sub_tests']} of {pcg['sub_tests']} sub-tests, "
                   f"against about {pcg['expected_chance_failures']:.1f} by chance.")
    for name in ("LFSR-16", "LFSR-8"):
        if name in sources:
            s = sources[name]
            out.append(f"* {name} fails {s['failing_sub_tests']} of {s['sub_tests']}: its low "
                       "bits are shifted copies of the previous state's, and its period is "
                       f"{(1 << int(name.split('-')[1])) - 1} states.")
    if extracted:
        near = [s for s in extracted
                if s["failing_sub_tests"] <= 2 * max(s["expected_chance_failures"], 1)]
        rest = [s for s in extracted if s not in near]
        text = (f"* **The paper's claim at this scale.** The paper's Fig. A2/A3 show numbers "
                f"extracted from its networks passing the suite. Here {len(near)} of the "
                f"{len(extracted)} extracted sources stay within twice the failures chance explains"
                + (": " + ", ".join(f"{s['source']} ({s['failing_sub_tests']} failing)"
                                    for s in near) if near else ""))
        if rest:
            text += (f"; the other {len(rest)} fail {min(s['failing_sub_tests'] for s in rest)} "
                     f"to {max(s['failing_sub_tests'] for s in rest)} sub-tests")
        out.append(text + ". Zero and small codes unbalance their bits (the frequency test "
                   "fails), and a weight's codes hardly change from one step to the next, so "
                   "the weight streams repeat themselves. `stochhw analyze generator-free` "
                   "shows what this does to training.")
    return out


def _grid_png(result):
    """Share of sub-tests passing both criteria, per source and test (grey: not applicable)."""
    sources = result["sources"]
    names = list(TESTS)
    share = np.array([[t["passing_sub_tests"] / t["sub_tests"] if t["sub_tests"] else np.nan
                       for t in sorted(s["tests"], key=lambda t: names.index(t["test"]))]
                      for s in sources])
    fig = figure(9.0, 7.5)
    ax = fig.subplots()
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="0.8")
    image = ax.imshow(np.ma.masked_invalid(share), vmin=0, vmax=1, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(names)), [TESTS[t][0] for t in names], rotation=45, ha="right",
                  fontsize=8)
    ax.set_yticks(range(len(sources)), [s["source"] for s in sources], fontsize=7)
    fig.colorbar(image, ax=ax, label="share of sub-tests passing both criteria (grey: n/a)")
    cfg = result["config"]
    ax.set_title(f"SP 800-22 section 4.2: {cfg['m']} sequences of {cfg['n']:,} bits per source",
                 fontsize=10)
    return png_bytes(fig)


def _proportions_png(result):
    """Worst proportion of passing sequences per test, for the references and the best
    extracted source, against the interval (the form of the paper's Fig. A2/A3)."""
    lo = result["interval"][0]
    picks = [s for s in result["sources"] if s["kind"] == "reference"]
    extracted = [s for s in result["sources"] if s["kind"] == "extracted"]
    if extracted:
        picks.append(min(extracted, key=lambda s: s["failing_sub_tests"]))
    names = list(TESTS)
    fig = figure(9.0, 3.8)
    ax = fig.subplots()
    width = 0.8 / len(picks)
    for i, src in enumerate(picks):
        by = {t["test"]: t for t in src["tests"]}
        xs = np.arange(len(names)) + (i - (len(picks) - 1) / 2) * width
        ax.bar(xs, [by[t]["min_proportion"] or 0.0 for t in names], width, label=src["source"])
    ax.axhline(lo, color="k", ls="--", lw=0.8, label=f"lower end of the interval, {lo:.4f}")
    ax.set_ylim(0.8, 1.005)
    ax.set_xticks(range(len(names)), [TESTS[t][0] for t in names], rotation=45, ha="right",
                  fontsize=8)
    ax.set_ylabel("proportion passing (worst sub-test)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Proportion of passing sequences per test (no bar: every sequence failed, or n/a)",
                 fontsize=10)
    return png_bytes(fig)


def report_files(result):
    """``nist.md``, ``nist.json``, ``nist_grid.png`` and ``nist_proportions.png``, rendered."""
    return {"nist.md": nist_markdown(result), "nist.json": json_text(result),
            "nist_grid.png": _grid_png(result), "nist_proportions.png": _proportions_png(result)}


def run(args):
    """``stochhw analyze nist``: 100 sequences of 10^6 bits per source (60 of 20,000 with
    ``--quick``)."""
    quick = args.quick
    result = nist_study(n=20_000 if quick else 1_000_000, m=60 if quick else 100,
                        seed=args.seed, quick=quick, progress=None if args.json else sys.stderr)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, result, nist_markdown(result), paths)
