"""``stochhw analyze bias``: the stochastic-rounding bias of LFSR-fed units over a full period.

Its report, ``rounding_bias.md`` and ``rounding_bias.json`` (:func:`report_files`), is part of
``stochhw report`` (``synth_reports/``); ``stochhw analyze bias --out DIR`` writes it into DIR.
"""

import numpy as np

from stochhw.models.sru import SRUArrayModel, lfsr_bias, stochastic_round
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.reportkit import json_text, number, table, write_report

__all__ = ["rounding_bias", "bias_markdown", "bias_text", "report_files", "run"]


def rounding_bias(k=8, lfsr_widths=(8, 12, 16), seed=1):
    """Measured mean rounding error of the LFSR-fed SRU over one full LFSR period.

    One ``sru_array`` model with 2^k - 1 lanes rounds x = f in lane f - 1, for every nonzero
    fractional part f = x mod 2^k (f = 0 is exact: nothing to round), for exactly one LFSR period (2^w - 1 cycles; every lane's LFSR visits all
    its states whatever its seed). The mean of ``y * 2^k - x`` is compared with the closed
    form ``f / (2^w - 1)`` (:func:`stochhw.models.sru.lfsr_bias`), and with an ideal uniform source.

    Returns a JSON-ready dict.
    """
    fracs = np.arange(1, 1 << k, dtype=np.int64)
    rows = []
    for w in lfsr_widths:
        period = (1 << w) - 1
        model = SRUArrayModel(lanes=fracs.size, source="lfsr", seed=seed, in_width=k + 8,
                              out_width=8, lfsr_width=w)
        stim = {"rst": np.zeros((period + 1, 1), np.uint64),
                "x": np.broadcast_to(fracs.astype(np.uint64), (period + 1, fracs.size))}
        y = model.run(stim)["y"][1:].astype(np.int64)          # y[t] rounds x[t-1]
        errors = (y << k).mean(axis=0) - fracs
        rows.append({
            "lfsr_width": w, "k": k, "period": period,
            "max_bias_lsb": float(errors.max()),
            "mean_bias_lsb": float(errors.mean()),
            "max_abs_deviation_from_theory": float(np.abs(errors - lfsr_bias(fracs, k, w)).max()),
        })
    # An ideal source for contrast: uniform rnd from PCG64, n samples per fractional part.
    n = 1 << 14
    rnd = np.random.default_rng(seed).integers(0, 1 << k, size=(n, fracs.size))
    ideal = (stochastic_round(fracs, rnd, k + 8, 8) << k).mean(axis=0) - fracs
    return {"k": k, "lfsr": rows, "ideal_uniform": {
        "samples": n * fracs.size,
        "mean_bias_lsb": float(ideal.mean()),
        # Each sample of y*2^k - x has standard deviation <= 2^(k-1).
        "standard_error_lsb": float((1 << (k - 1)) / np.sqrt(n * fracs.size))}}


def bias_text(result):
    """The terminal summary of a :func:`rounding_bias` result."""
    lines = [f"Stochastic rounding bias, k = {result['k']} bits rounded off (mean of y*2^k - x, "
             "LSBs of x)"]
    for row in result["lfsr"]:
        lines.append(f"  LFSR width {row['lfsr_width']:2d}: max {row['max_bias_lsb']:.5f}, mean "
                     f"{row['mean_bias_lsb']:.5f} (theory f/(2^w-1); max deviation "
                     f"{row['max_abs_deviation_from_theory']:.1e})")
    ideal = result["ideal_uniform"]
    lines.append(f"  ideal uniform source ({ideal['samples']} samples): mean "
                 f"{ideal['mean_bias_lsb']:+.4f} (standard error {ideal['standard_error_lsb']:.4f})")
    return "\n".join(lines)


def bias_markdown(result):
    """``rounding_bias.md``: the table of a :func:`rounding_bias` result."""
    ideal = result["ideal_uniform"]
    return "\n".join([
        "# Stochastic rounding bias",
        "",
        "Regenerate with `stochhw report` (part of `make reports`); source: `sim/analyses/bias.py`.",
        "",
        f"Mean of `y * 2^k - x` in LSBs of x, k = {result['k']}, over exactly one LFSR period "
        "per fractional part f = x mod 2^k (no saturation). An LFSR never outputs zero, so its "
        "low k bits are 0 once less often per period than any other value; the exact bias is "
        "f / (2^w - 1).",
        "",
        *table(["LFSR width w", "period", "max bias (LSB)", "mean bias (LSB)",
                "max deviation from f/(2^w-1)"], "rrrrr",
               ([row["lfsr_width"], row["period"], number(row["max_bias_lsb"], 5),
                 number(row["mean_bias_lsb"], 5), f"{row['max_abs_deviation_from_theory']:.1e}"]
                for row in result["lfsr"])),
        "",
        f"Ideal uniform source (PCG64, {ideal['samples']} samples): mean bias "
        f"{number(ideal['mean_bias_lsb'], 4, sign=True)} LSB, standard error "
        f"{number(ideal['standard_error_lsb'], 4)}.",
        "",
    ])


def report_files(result):
    """The report's files: ``rounding_bias.md`` and ``rounding_bias.json``."""
    return {"rounding_bias.json": json_text(result), "rounding_bias.md": bias_markdown(result)}


def run(args):
    """``stochhw analyze bias``."""
    result = rounding_bias(seed=args.seed)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, result, bias_text(result), paths)
