"""How much ``gf_rounding``'s random numbers depend on the values they round.

``gf_rounding`` with ``source_bus="x"`` (the default) extracts each lane's k-bit random number
from the LSBs of the very ``x`` lanes it rounds. When a lane's number contains a bit of the
lane's *own* ``x`` — that bit is bit 0 of the fractional part ``f = x mod 2^k`` (``multi_lsb``),
or the number *is* ``f`` (``direct`` with a select that points at the lane itself) — the
number is no longer independent of ``f``, and stochastic rounding's promise ``E[y 2^k | x] = x``
breaks for that lane. When two lanes take the *same* number, their rounding decisions are
the same coin. This module measures both on the golden models
(:class:`stochhw.models.extractor.GFRoundingModel`, :class:`stochhw.models.sru.SRUArrayModel`).

This measurement found both flaws in gf_rounding's first static assignment on the x bus, the
generic ``sel[s] = perm[s mod lanes]`` of ``lsb_extractor`` (here: the *naive wrap-around*,
:func:`naive_wrap_selects`). The design now uses a circulant assignment there (no lane reads
its own word, no two lanes share a number; :class:`stochhw.models.extractor.GFRoundingModel`). The old
wiring is reproduced here through the runtime configuration port, so before and after are
measured on the same ``x``.

Set-up (:func:`self_correlation`): 16 lanes, 16 -> 8 bits (k = 8), ``x`` independent and
uniform on ``[-2^14, 2^14)`` in every lane and cycle (so no output saturates, and every lane's
LSB is a fair coin), ``cycles`` cycles; the first 256 cycles (configuration writes, reset) are
not measured. Configurations:

* ``multi_lsb``: the registry default (``method=multi_lsb``, static routing, seed 1,
  ``reuse=1``, ``source_bus=x``), circulant;
* ``direct``: the same with ``method=direct``, circulant;
* ``direct_paired``: ``direct`` with the half-way offset ``lanes / 2`` written through
  ``cfg_*`` (:func:`half_way_direct_selects`): lanes i and i + 8 read each other's words. The
  first circulant rule allowed this offset (at 6 of seeds 1..100); the design now skips it;
* ``naive_multi_lsb`` (before the fix): ``multi_lsb`` with runtime routing, the naive
  wrap-around assignment of seed 1 written through ``cfg_*`` at start-up: the old default,
  bit for bit;
* ``naive_direct_self`` (before the fix): ``direct`` with runtime routing, the naive
  wrap-around assignment of the first seed that sends a lane to its own word
  (:func:`first_self_fed_naive_direct_seed`), written the same way: one lane rounds with its
  own fractional part;
* ``port``: ``source_bus=port`` with 128 independent uniform source words (no reuse): the
  control, where the numbers cannot depend on ``x``;
* ``lfsr``: ``sru_array source=lfsr`` (16-bit LFSR per lane), the generator it replaces.

Measured per lane, on the numbers the model used (checked: rounding ``x`` with them gives the
model's ``y`` exactly, and the runtime selects hold the written assignment in every measured
cycle): Pearson correlation of the number with the lane's own ``f`` and with its own LSB; the
conditional rounding bias ``E[y 2^k - x | f]`` for every f (in LSBs of x; 0 for a perfect
source) and its standard error; the mean bias over all samples (standard error from the
per-cycle means, since lanes may share numbers); between lanes, the worst Pearson correlation
of two lanes' numbers and of two lanes' rounding errors. For the ``x``-bus configurations the
conditional bias is also computed exactly (:func:`exact_conditional_bias`: enumeration over
the fair bits the number takes from other lanes), and so is the correlation between lanes'
numbers (:func:`exact_number_correlation`), so that measurement and mechanism can be compared.
"""

import numpy as np

from stochhw.models.bits import to_signed
from stochhw.models.checks import check_int
from stochhw.models.extractor import GFRoundingModel, seeded_permutation
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_sequence
from stochhw.models.sru import SRUArrayModel, stochastic_round

__all__ = ["LANES", "IN_WIDTH", "OUT_WIDTH", "WARMUP", "naive_wrap_selects",
           "first_self_fed_naive_direct_seed", "half_way_direct_selects", "own_bits",
           "exact_conditional_bias", "exact_number_correlation", "self_correlation"]

LANES, IN_WIDTH, OUT_WIDTH = 16, 16, 8
K = IN_WIDTH - OUT_WIDTH
#: Cycles left out at the start: the runtime configuration writes (lanes * k) and margin.
WARMUP = 256
X_RANGE = 1 << 14


def naive_wrap_selects(method, seed, lanes=LANES, k=K):
    """The static selects gf_rounding had on its x bus before the circulant fix.

    The generic ``lsb_extractor`` rule with ``sources = lanes``: ``perm =
    seeded_permutation(lanes, seed)``, ``sel[s] = perm[s mod lanes]`` for the ``lanes * k``
    (``multi_lsb``) or ``lanes`` (``direct``) selects. With k > 1 the ``multi_lsb`` selects
    wrap around after ``lanes / k`` lanes, so lanes i and i + lanes / k get the same number;
    nothing keeps select i*k + b (or lane i, for ``direct``) off word i.

    Returns
    -------
    ndarray of int64, shape (selects,)
    """
    selects = lanes * k if method == "multi_lsb" else lanes
    return seeded_permutation(lanes, seed)[np.arange(selects) % lanes]


def first_self_fed_naive_direct_seed(lanes=LANES, limit=1000):
    """The smallest seed >= 1 whose naive wrap-around ``direct`` assignment sends a lane to
    its own word (a fixed point of the permutation). A statement about the *old* scheme: the
    circulant one has no such seed."""
    for seed in range(1, limit):
        if np.any(naive_wrap_selects("direct", seed, lanes) == np.arange(lanes)):
            return seed
    raise AssertionError("no seed with a fixed point below the limit")


def half_way_direct_selects(lanes=LANES):
    """``direct`` selects at offset ``lanes / 2``: lane i reads word ``(i + lanes/2) mod lanes``.

    Lanes i and i + lanes/2 then round with each other's fractional parts, so both round up
    exactly when ``f_i + f_j >= 2^k``: one decision for two lanes (each is still unbiased on
    its own). The design's circulant rule skips this offset; this is how it would behave.
    """
    return (np.arange(lanes) + lanes // 2) % lanes


def _direct_offset(seed, lanes=LANES):
    """The offset of the design's static ``direct`` assignment: lane i reads word i + offset."""
    words = GFRoundingModel(lanes=lanes, in_width=IN_WIDTH, out_width=OUT_WIDTH, method="direct",
                            seed=seed).spec.extractor.static_selects
    return int(words[0] % lanes)            # lane 0 reads word offset


def _bus_route(selects, method, src_width, k):
    """``route[i, b]``: the x-bus bit behind bit b of lane i, for a row of select values."""
    selects = np.asarray(selects, dtype=np.int64)
    if method == "multi_lsb":
        return selects.reshape(-1, k) * src_width
    return selects[:, None] * src_width + np.arange(k)[None, :]


def own_bits(route, src_width, k):
    """For every lane, the bit positions of its number that come from its own word's low k bits.

    ``route[i, b]`` is the x-bus bit driving bit b of lane i's number
    (:attr:`stochhw.models.extractor.LSBExtractorSpec.static_routing` layout: ``word * src_width + bit``).

    Returns
    -------
    list of list of (int, int)
        Per lane, ``(number bit b, bit j of f)`` pairs.
    """
    word, bit = np.divmod(np.asarray(route), src_width)
    return [[(b, int(bit[i, b])) for b in range(route.shape[1])
             if word[i, b] == i and bit[i, b] < k] for i in range(route.shape[0])]


def exact_conditional_bias(route, src_width, k, mapping=None):
    """``E[y 2^k - x | f]`` of every lane and fractional part, for independent uniform words.

    A bit of a lane's number is either bit j < k of the lane's own word (a bit of f) or a bit
    of another word (or a bit >= k of its own), which is a fair coin independent of f and of
    the other bits; bits at the same bus position are the same coin. The rounding goes up iff
    ``number >= 2^k - f`` (no saturation). Enumerates every f and every coin outcome.

    Returns
    -------
    ndarray of float64, shape (lanes, 2^k)
    """
    route = np.asarray(route)
    lanes, width = route.shape
    size = 1 << k
    table = np.arange(size) if mapping is None else np.asarray(mapping)
    f = np.arange(size)
    bias = np.empty((lanes, size))
    for i in range(lanes):
        word, bit = np.divmod(route[i], src_width)
        coins = sorted({int(p) for b, p in enumerate(route[i])
                        if not (word[b] == i and bit[b] < k)})
        outcomes = (np.arange(1 << len(coins))[:, None] >> np.arange(len(coins))) & 1
        number = np.zeros((outcomes.shape[0], size), dtype=np.int64)
        for b in range(width):
            if word[b] == i and bit[b] < k:
                value = (f[None, :] >> bit[b]) & 1
            else:
                value = outcomes[:, coins.index(int(route[i, b]))][:, None]
            number |= value << b
        up = table[number] >= size - f[None, :]
        bias[i] = size * up.mean(axis=0) - f
    return bias


def exact_number_correlation(route):
    """Pearson correlation between every two lanes' numbers, for independent fair bus bits.

    A number is ``sum_b 2^b c[route[i, b]]`` with the bus bits c independent fair coins, so
    it is linear in them: with ``A[i, p] = sum of 2^b over the bits b of lane i that read bus
    bit p``, ``cov(i, j) = A[i] . A[j] / 4``. (Without a mapping; a mapping is not linear.)

    Returns
    -------
    ndarray of float64, shape (lanes, lanes)
    """
    route = np.asarray(route)
    lanes, width = route.shape
    positions, index = np.unique(route, return_inverse=True)
    weights = np.zeros((lanes, positions.size))
    np.add.at(weights, (np.repeat(np.arange(lanes), width), index.ravel()),
              np.tile(2.0 ** np.arange(width), lanes))
    cov = weights @ weights.T
    scale = np.sqrt(np.diag(cov))
    return cov / np.outer(scale, scale)


def _stimulus(cycles, seed, runtime_selects=None):
    rng = np.random.default_rng(seed)
    x = rng.integers(-X_RANGE, X_RANGE, size=(cycles, LANES), dtype=np.int64)
    stim = {"rst": np.zeros((cycles, 1), np.uint64), "x": (x & 0xFFFF).astype(np.uint64)}
    if runtime_selects is not None:
        # Select s is written in cycle s (plain writes: reuse=1); all are in place by WARMUP.
        selects = np.asarray(runtime_selects)
        en = np.zeros(cycles, np.uint64)
        addr = np.zeros(cycles, np.uint64)
        data = np.zeros(cycles, np.uint64)
        en[:selects.size] = 1
        addr[:selects.size] = np.arange(selects.size)
        data[:selects.size] = selects
        stim.update(cfg_en=en[:, None], cfg_addr=addr[:, None], cfg_data=data[:, None])
    return stim, x


def _lfsr_rnd(model, cycles):
    """The numbers of ``sru_array source=lfsr`` lanes (no reset): low k bits of state t."""
    states = lfsr_sequence(list(model.lane_seeds), cycles - 1, model.lfsr_width,
                           MAXIMAL_TAPS[model.lfsr_width], "galois")
    return (states & np.uint64((1 << K) - 1)).astype(np.int64)


def _max_off_diagonal(matrix):
    matrix = np.abs(np.asarray(matrix, dtype=float))
    return float(matrix[~np.eye(matrix.shape[0], dtype=bool)].max())


def _measure(name, label, rnd, y_raw, x, exact=None, own=None, bus_route=None):
    """Statistics of one configuration; ``rnd``, ``x`` (cycles, lanes), ``y_raw`` registered."""
    y = to_signed(y_raw, OUT_WIDTH)
    expected = stochastic_round(x[:-1], rnd[:-1], IN_WIDTH, OUT_WIDTH)
    if not np.array_equal(y[1:], expected):
        raise AssertionError(f"{name}: the numbers do not reproduce the model's rounding")
    x, rnd, error = x[WARMUP:-1], rnd[WARMUP:-1], (y[WARMUP + 1:] << K) - x[WARMUP:-1]
    f = x & ((1 << K) - 1)
    n = x.shape[0]
    size = 1 << K

    def corr(a, b):
        a = a - a.mean(axis=0)
        b = b - b.mean(axis=0)
        return (a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))

    corr_f, corr_lsb = corr(rnd.astype(float), f.astype(float)), corr(rnd.astype(float),
                                                                    (f & 1).astype(float))
    counts = np.zeros((LANES, size))
    sums = np.zeros((LANES, size))
    squares = np.zeros((LANES, size))
    for i in range(LANES):
        counts[i] = np.bincount(f[:, i], minlength=size)
        sums[i] = np.bincount(f[:, i], weights=error[:, i], minlength=size)
        squares[i] = np.bincount(f[:, i], weights=error[:, i].astype(float) ** 2, minlength=size)
    conditional = sums / counts
    spread = np.sqrt(np.maximum(squares / counts - conditional ** 2, 0.0))
    standard_error = spread / np.sqrt(counts)
    distinct = np.mean([np.unique(row).size for row in rnd[:4096]])
    corr_numbers = np.corrcoef(rnd.T.astype(float))
    corr_errors = np.corrcoef(error.T.astype(float))
    row = {
        "name": name, "label": label, "cycles_measured": int(n),
        "samples_per_fraction": float(counts.mean()),
        "corr_rnd_f": [float(v) for v in corr_f],
        "corr_rnd_own_lsb": [float(v) for v in corr_lsb],
        "max_abs_corr_rnd_f": float(np.abs(corr_f).max()),
        "max_abs_corr_rnd_own_lsb": float(np.abs(corr_lsb).max()),
        "corr_noise_level": float(1 / np.sqrt(n)),
        "mean_bias_lsb": float(error.mean()),
        # From the per-cycle means: lanes may share numbers (correlated errors); cycles have
        # independent x.
        "mean_bias_standard_error": float(error.mean(axis=1).std(ddof=1) / np.sqrt(n)),
        "max_abs_conditional_bias_lsb": float(np.abs(conditional).max()),
        "rms_conditional_bias_lsb": float(np.sqrt((conditional ** 2).mean())),
        "median_conditional_standard_error": float(np.median(standard_error)),
        "lane_max_abs_conditional_bias_lsb": [float(v) for v in np.abs(conditional).max(axis=1)],
        "distinct_numbers_per_cycle": float(distinct),
        # 16 independent uniform 8-bit numbers: 256 (1 - (255/256)^16) distinct on average.
        "distinct_numbers_per_cycle_if_independent": float(
            size * (1 - (1 - 1 / size) ** LANES)),
        "max_abs_corr_between_lanes_numbers": _max_off_diagonal(corr_numbers),
        "max_abs_corr_between_lanes_errors": _max_off_diagonal(corr_errors),
        "conditional_bias": conditional,            # dropped from the JSON, used by the plot
    }
    if exact is not None:
        # Each sample's error is 2^k - f (up, probability q) or -f: the exact standard error
        # of a bin mean is 2^k sqrt(q (1 - q) / count). Bins with q = 0 or 1 are deterministic.
        q = (exact + np.arange(size)) / size
        exact_error = size * np.sqrt(q * (1 - q) / counts)
        random_bins = exact_error > 0
        z = np.abs(conditional - exact)[random_bins] / exact_error[random_bins]
        row.update({
            "exact_max_abs_conditional_bias_lsb": float(np.abs(exact).max()),
            "exact_rms_conditional_bias_lsb": float(np.sqrt((exact ** 2).mean())),
            "exact_mean_bias_lsb": float(exact.mean()),
            # Worst bin's distance from the enumeration, in exact standard errors; with
            # lanes * 2^k bins about 4 is expected by chance.
            "max_z_from_exact": float(z.max()),
            "deterministic_bins": int((~random_bins).sum()),
            "deterministic_bins_off_exact": int(np.sum(
                conditional[~random_bins] != exact[~random_bins])),
            "exact_conditional_bias": exact,
        })
    if own is not None:
        row["own_bits"] = [[list(p) for p in lane] for lane in own]
        row["lanes_with_own_bits"] = sum(bool(lane) for lane in own)
    if bus_route is not None:
        # Lanes whose numbers come from the same bus bits in the same order: one number.
        groups = {}
        for i, bits in enumerate(np.asarray(bus_route).tolist()):
            groups.setdefault(tuple(bits), []).append(i)
        row["lanes_sharing_one_number"] = sorted(len(g) for g in groups.values())
        row["exact_max_abs_corr_between_lanes_numbers"] = _max_off_diagonal(
            exact_number_correlation(bus_route))
    return row


def self_correlation(cycles=1 << 18, seed=1):
    """Measure every configuration of the module docstring; a JSON-ready dict (plus arrays).

    Parameters
    ----------
    cycles : int
        Cycles simulated per configuration (>= 2 * WARMUP).
    seed : int
        Seed of the ``x`` stimulus (and of the ``port`` configuration's source words).
    """
    cycles = check_int("cycles", cycles, 2 * WARMUP)
    seed = check_int("seed", seed, 0)
    self_seed = first_self_fed_naive_direct_seed()
    self_lanes = np.flatnonzero(naive_wrap_selects("direct", self_seed) == np.arange(LANES))
    rows = []
    configs = [
        ("multi_lsb", "default: multi_lsb, static (circulant), seed 1, reuse=1, x bus",
         dict(method="multi_lsb"), None),
        ("direct", "direct, static (circulant), seed 1, x bus", dict(method="direct"), None),
        ("direct_paired", f"direct with offset {LANES // 2} (written at runtime): lanes i and "
         f"i + {LANES // 2} read each other, the offset the circulant rule skips",
         dict(method="direct", routing="runtime"), half_way_direct_selects()),
        ("naive_multi_lsb", "before the fix: default with the naive wrap-around assignment "
         "of seed 1 (written at runtime)", dict(method="multi_lsb", routing="runtime"),
         naive_wrap_selects("multi_lsb", 1)),
        ("naive_direct_self", f"before the fix: direct with the naive wrap-around assignment "
         f"of seed {self_seed}, lane {', '.join(map(str, self_lanes))} reads itself (written "
         f"at runtime)", dict(method="direct", routing="runtime", seed=self_seed),
         naive_wrap_selects("direct", self_seed)),
    ]
    for name, label, params, written in configs:
        model = GFRoundingModel(lanes=LANES, in_width=IN_WIDTH, out_width=OUT_WIDTH, **params)
        spec = model.spec.extractor
        selects = spec.static_selects if written is None else written
        bus_route = _bus_route(selects, spec.method, spec.src_width, K)
        stim, x = _stimulus(cycles, seed, written)
        if written is not None:
            held = model.extractor_model.selects(stim)[WARMUP:]
            if not np.all(held == written[None, :]):
                raise AssertionError(f"{name}: the runtime writes did not set the selects")
        rnd = model.rnd(stim).astype(np.int64)
        y = model.run(stim)["y"]
        rows.append(_measure(name, label, rnd, y, x,
                             exact_conditional_bias(bus_route, spec.src_width, K, spec.mapping),
                             own_bits(bus_route, spec.src_width, K), bus_route))
    # The control: numbers from an independent bus.
    model = GFRoundingModel(lanes=LANES, in_width=IN_WIDTH, out_width=OUT_WIDTH,
                            source_bus="port", sources=LANES * K, src_width=16, reuse=False)
    stim, x = _stimulus(cycles, seed)
    stim["src"] = np.random.default_rng([seed, 1]).integers(
        0, 1 << 16, size=(cycles, LANES * K), dtype=np.uint64)
    rows.append(_measure("port", "src port fed by 128 independent uniform words (control)",
                         model.rnd(stim).astype(np.int64), model.run(stim)["y"], x))
    model = SRUArrayModel(lanes=LANES, source="lfsr", seed=1, in_width=IN_WIDTH,
                          out_width=OUT_WIDTH)
    stim, x = _stimulus(cycles, seed)
    rows.append(_measure("lfsr", "sru_array source=lfsr, 16-bit LFSR per lane (control)",
                         _lfsr_rnd(model, cycles), model.run(stim)["y"], x))
    return {"config": {"lanes": LANES, "in_width": IN_WIDTH, "out_width": OUT_WIDTH, "k": K,
                       "cycles": cycles, "warmup": WARMUP, "seed": seed,
                       "x": "uniform on [-2^14, 2^14), independent per lane and cycle",
                       "naive_self_fed_direct_seed": self_seed,
                       "seeds_with_a_self_fed_lane_of_100": _self_fed_seed_counts(range(1, 101)),
                       "direct_seeds_with_paired_lanes_of_100": sum(
                           _direct_offset(s) == LANES // 2 for s in range(1, 101))},
            "configurations": rows}


def _self_fed_seed_counts(seeds):
    """How many of ``seeds`` give some lane its own word (a bit of it, for multi_lsb), under the
    naive wrap-around assignment and under the design's own static assignment."""
    counts = {}
    for method in ("multi_lsb", "direct"):
        own = np.arange(LANES)[:, None]
        naive = sum(bool(np.any(_bus_route(naive_wrap_selects(method, s), method, IN_WIDTH, K)
                                // IN_WIDTH == own)) for s in seeds)
        design = sum(bool(np.any(GFRoundingModel(
            lanes=LANES, in_width=IN_WIDTH, out_width=OUT_WIDTH, method=method,
            seed=s).spec.extractor.static_routing // IN_WIDTH == own)) for s in seeds)
        counts[method] = {"naive_wrap_around": int(naive), "circulant": int(design)}
    return counts
