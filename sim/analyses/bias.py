"""``stochhw analyze bias``: the stochastic-rounding bias of LFSR-fed units over a full period.

:func:`rounding_bias` is also part of ``stochhw report`` (``synth_reports/rounding_bias.md``).
"""

import json

import numpy as np

from stochhw.models.sru import SRUArrayModel, lfsr_bias, stochastic_round
from stochhw.sim.analyses.topic import Topic

__all__ = ["rounding_bias", "TOPIC"]


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


def _bias(args):
    result = rounding_bias(seed=args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Stochastic rounding bias, k = {result['k']} bits rounded off (mean of y*2^k - x, LSBs of x)")
    for row in result["lfsr"]:
        print(f"  LFSR width {row['lfsr_width']:2d}: max {row['max_bias_lsb']:.5f}, mean "
              f"{row['mean_bias_lsb']:.5f} (theory f/(2^w-1); max deviation "
              f"{row['max_abs_deviation_from_theory']:.1e})")
    ideal = result["ideal_uniform"]
    print(f"  ideal uniform source ({ideal['samples']} samples): mean {ideal['mean_bias_lsb']:+.4f} "
          f"(standard error {ideal['standard_error_lsb']:.4f})")
    return 0


TOPIC = Topic("bias", "stochastic-rounding bias of LFSR-fed units over a full period", _bias)
