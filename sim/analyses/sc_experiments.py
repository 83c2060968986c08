"""The SC-ANN experiments of ``stochhw analyze sc``: accuracy grids and SC multiplication error.

Two studies, after the spintronic stochastic-computing paper:

**Accuracy of quantized SC-ANNs** (:func:`accuracy_jobs`, :func:`run_training_job`). The
paper trains 784-128-10 and 784-392-196-98-10 sigmoid MLPs on MNIST with QL = 5 or 11 states
and runs them with 100-500-bit s-MTJ bitstreams. Here, on scikit-learn's 8x8 digits (64
inputs), the same shapes are scaled to the smaller input:

* 3 hidden layers: the paper halves the width at every layer starting from half the input
  (784 -> 392 -> 196 -> 98). Halving from 64 would end at 8, narrower than the 10 classes (a
  bottleneck the paper's 98 does not have), so the widths fall from 3/4 of the input instead:
  **64-48-32-16-10**, every hidden layer wider than the output as in the paper.
* 1 hidden layer: the paper's 128 is 16% of 784; 16% of 64 is 10, as wide as the output,
  so the 1-hidden network is **64-32-10**.

The network, inputs and training are the paper's (:mod:`stochhw.models.ml.sc_ann`): pixels
``X / max X`` in [0, 1], no bias node, Gaussian initialisation, Eq. 4-7 with ``f'`` only in
the weight update; s-MTJ states biased through the inverse of the device curve.

"Method 1" trains without SC (exact pre-activations) and infers without SC and with SC for
every source and length; "Method 2" trains with the SC forward pass of one source and length
and infers with it. The digits plan trains Method 2 at every QL and L the paper names
(:attr:`Plan.method2_levels`, :attr:`Plan.method2_lengths`), for every source, so that the
paper's "better in all cases" can be checked case by case. With ``--mnist DIR`` the paper's own
topologies run on the user's MNIST files (a subset, see :data:`MNIST_PLAN`).

**Variants** (:data:`VARIANTS`): the same grid, shorter, for two departures from the paper
that hardware designers reach for: a bias node (a constant +1 input to every layer) and
bipolar inputs (pixels mapped to ``2x - 1``, so a blank pixel is the state -1, which a
calibrated s-MTJ carries as -0.931).

**SC multiplication error** (:func:`multiplication_rmse`). The RMSE of the XNOR product of two
bipolar streams against the stream length N, for every pair of the 11 states: independent
ideal and s-MTJ streams (calibrated and evenly spaced voltages; theory ``sqrt((1 - z^2) / N)``),
comparators on LFSRs with distinct seeds, comparators on a Sobol dimension-1/dimension-2 pair,
and two comparators sharing one random source (an ideal uniform one, or one LFSR with the
second comparator reading it ``shift`` cycles later): the correlation failure.

Jobs go through :mod:`stochhw.sim.core.executor` (``jobs=1``: this process). Results are assembled in
plan order, so the report bytes do not depend on the executor.
"""

import dataclasses
import functools
import math

import numpy as np
from threadpoolctl import threadpool_limits

from stochhw.models.checks import ParameterError, check_int
from stochhw.models.ml.digits import load_digits_split
from stochhw.models.ml.idx import load_mnist
from stochhw.models.ml.sc_ann import SCANNConfig, SCConfig, input_levels, train
from stochhw.models.ml.sc_sources import (
    INDEPENDENT_SOURCES,
    RESTARTED_SOURCES,
    SOURCES,
    bernoulli_bits,
    check_length,
    encoded_values,
    lfsr_bits,
    lfsr_numbers,
    lfsr_thresholds,
    network_lfsr_seeds,
    p_one,
    sobol_numbers,
)
from stochhw.models.sc_quant import check_levels, level_values, sigmoid_states
from stochhw.sim.core.executor import make_executor, run_jobs
from stochhw.sim.core.reportkit import mean_std

__all__ = ["Plan", "VARIANTS", "DIGITS_PLAN", "QUICK_PLAN", "MNIST_PLAN", "MNIST_QUICK_PLAN", "PAPER",
           "load_dataset", "sigmoid_tables", "accuracy_jobs", "run_training_job",
           "multiplication_rmse", "run_experiments"]

#: The paper's reported MNIST accuracies (%), s-MTJ bitstreams, training with SC (Method 2).
#: The body gives these at QL = 11; the abstract quotes them without QL.
PAPER = {
    "dataset": "MNIST (784 inputs, 60000 training / 10000 test images), topologies 784-128-10 "
               "and 784-392-196-98-10, experimentally measured s-MTJ bitstreams",
    "results": [
        {"hidden_layers": 1, "levels": 11, "length": 100, "accuracy": 92.0,
         "note": "highest accuracy at the shortest stream, 1 hidden layer"},
        {"hidden_layers": 3, "levels": 11, "length": 100, "accuracy": 96.0,
         "note": "'over 96%' at the shortest stream, 3 hidden layers"},
        {"hidden_layers": 3, "levels": 11, "length": 400, "accuracy": 96.82,
         "note": "peak of the whole study"},
    ],
    "claims": ["training with SC (Method 2) gave better accuracy than training without SC "
               "(Method 1) in all cases",
               "QL = 5 and 11; bitstream lengths 100 to 500"],
}


#: Departures from the paper's network that the report runs beside it: name -> the
#: :class:`stochhw.models.ml.sc_ann.SCANNConfig` fields that make it.
VARIANTS = {
    "bias_node": {"bias_node": True},
    "bipolar_inputs": {"inputs": "bipolar"},
}


@dataclasses.dataclass(frozen=True)
class Plan:
    """What :func:`run_experiments` runs.

    Attributes
    ----------
    dataset : str
        ``"digits"`` or ``"mnist"``.
    topologies : tuple of (int, tuple)
        ``(hidden_layers, layers)`` pairs.
    levels, lengths, sources, seeds : tuple
        QL values, bitstream lengths L, SC sources, training seeds.
    method2_levels, method2_lengths : tuple
        The (QL, L) at which Method 2 networks are trained (every source and seed).
    variants : tuple of str
        Keys of :data:`VARIANTS` run beside the paper's network.
    variant_lengths : tuple
        The L of the variants' grid: Method 1 runs with every source at these lengths;
        Method 2 trains with ``variant_method2_source`` at every QL of ``method2_levels``.
    variant_method2_source : str
    epochs, batch, lr_decay, init_scale :
        Training (:class:`stochhw.models.ml.sc_ann.SCANNConfig`; Gaussian initialisation of
        standard deviation ``init_scale``, the paper's rule).
    learning_rates : tuple of (int, float)
        Learning rate per number of hidden layers (chosen by a sweep over 0.1, 0.25, 0.5, 1,
        2, 4 on the digits' 3-hidden network without SC).
    infer_repeats : int
        Independent-stream inferences averaged per trained network (fresh draws each).
    train_limit, test_limit : int or None
        Use only the first samples of each set.
    rmse_levels, rmse_lengths, rmse_trials, rmse_shifts :
        Multiplication study: states, stream lengths N, repetitions of every state pair,
        and the LFSR shifts of the shared-source case.
    quick : bool
        A smoke test; the report says so.
    """

    dataset: str = "digits"
    topologies: tuple = ((1, (64, 32, 10)), (3, (64, 48, 32, 16, 10)))
    levels: tuple = (5, 11)
    lengths: tuple = (100, 200, 300, 400, 500)
    sources: tuple = ("ideal", "smtj", "lfsr", "sobol")
    seeds: tuple = (1, 2, 3, 4, 5)
    method2_levels: tuple = (5, 11)
    method2_lengths: tuple = (100, 200, 300, 400, 500)
    variants: tuple = ("bias_node", "bipolar_inputs")
    variant_lengths: tuple = (100,)
    variant_method2_source: str = "smtj"
    epochs: int = 40
    batch: int = 16
    lr_decay: float = 0.95
    init_scale: float = 0.5
    learning_rates: tuple = ((1, 0.5), (3, 0.5))
    infer_repeats: int = 5
    train_limit: int = None
    test_limit: int = None
    rmse_levels: int = 11
    rmse_lengths: tuple = (10, 20, 50, 100, 200, 500, 1000)
    rmse_trials: int = 20
    rmse_shifts: tuple = (0, 1, 16)
    quick: bool = False

    def learning_rate(self, hidden_layers):
        return dict(self.learning_rates)[hidden_layers]


DIGITS_PLAN = Plan()
QUICK_PLAN = dataclasses.replace(
    DIGITS_PLAN, lengths=(100,), method2_levels=(11,), method2_lengths=(100,), seeds=(1,), epochs=2,
    sources=("smtj", "lfsr"), infer_repeats=1, train_limit=400, test_limit=150,
    rmse_lengths=(10, 100), rmse_trials=2, rmse_shifts=(0, 16), quick=True)
#: MNIST: the paper's topologies on a subset (first 6000 training, 2000 test images) with
#: 10 epochs and one seed: the full grid on all of MNIST would take days in NumPy; even this
#: takes hours on one core (Method 2 on 784-392-196-98-10 dominates; use ``-j``). Latent
#: weights start small: with ~600 blank pixels at -1, uniform [-1, 1] weights would saturate
#: every sigmoid. Not tuned (no MNIST files on the machine this was written on).
MNIST_PLAN = dataclasses.replace(
    DIGITS_PLAN, dataset="mnist", topologies=((1, (784, 128, 10)), (3, (784, 392, 196, 98, 10))),
    seeds=(1,), epochs=10, init_scale=0.1, infer_repeats=2, method2_levels=(5, 11),
    method2_lengths=(100, 200, 300, 400, 500), variants=(), train_limit=6000, test_limit=2000)
MNIST_QUICK_PLAN = dataclasses.replace(MNIST_PLAN, train_limit=300, test_limit=100,
                                       method2_lengths=(100,),
                                       **{k: getattr(QUICK_PLAN, k) for k in (
                                           "lengths", "seeds", "sources", "epochs", "infer_repeats",
                                           "rmse_lengths", "rmse_trials", "rmse_shifts",
                                           "quick")})


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _load(dataset):
    if dataset == "digits":
        return load_digits_split()
    return load_mnist(dataset)


def load_dataset(dataset, train_limit=None, test_limit=None):
    """``(x_train, y_train, x_test, y_test)`` of ``"digits"`` or an MNIST folder, cut to the limits."""
    x_train, y_train, x_test, y_test = _load(dataset)
    return x_train[:train_limit], y_train[:train_limit], x_test[:test_limit], y_test[:test_limit]


# ------------------------------------------------------------------------------------------
# Sigmoid tables
# ------------------------------------------------------------------------------------------

def sigmoid_tables(levels=(5, 11)):
    """The quantized sigmoid of each QL: its states, change points and encoded values.

    ``change_points`` are the pre-activations at which the output steps up to the next state,
    ``logit`` of the midpoints between states (a tie rounds up, so the output at a change point
    is already the upper state). ``encoded`` gives the bipolar value each of the QL states
    is carried as by each source (``2 P(1) - 1``).
    """
    tables = []
    for ql in levels:
        states = sigmoid_states(ql)
        mids = (states[:-1] + states[1:]) / 2.0
        tables.append({
            "levels": ql, "states": [float(v) for v in states], "distinct_outputs": len(states),
            "change_points": [float(np.log(m / (1.0 - m))) for m in mids],
            "level_values": [float(v) for v in level_values(ql)],
            "encoded": {s: [round(float(v), 6) for v in encoded_values(ql, s)] for s in SOURCES}})
    return tables


# ------------------------------------------------------------------------------------------
# Accuracy grid
# ------------------------------------------------------------------------------------------

def _inference_seed(seed, repeat):
    # Stream seeds of inference runs, disjoint from the training seeds (1, 2, ...).
    return 1000 * seed + repeat + 1


def run_training_job(spec):
    """Train one network and measure its accuracies (a job for :mod:`stochhw.sim.core.executor`).

    Parameters
    ----------
    spec : dict
        ``dataset``, ``train_limit``, ``test_limit``, ``layers``, ``levels``, ``seed``,
        ``epochs``, ``batch``, ``learning_rate``, ``lr_decay``, ``init_scale``, ``variant``
        (``None`` or a key of :data:`VARIANTS`); ``method`` 1
        (then ``infer``: list of ``[source, length]``) or 2 (then ``source`` and ``length``);
        ``infer_repeats``.

    Returns
    -------
    dict
        ``exact``: accuracy without SC; ``sc``: list of ``[source, length, mean accuracy,
        [accuracy per repeat]]``; ``final_cost``.
    """
    with threadpool_limits(1):          # one core per job: jobs are the unit of parallelism
        x_train, y_train, x_test, y_test = load_dataset(spec["dataset"], spec["train_limit"],
                                                        spec["test_limit"])
        train_sc = (SCConfig(spec["source"], spec["length"], seed=spec["seed"])
                    if spec["method"] == 2 else None)
        config = SCANNConfig(layers=tuple(spec["layers"]), levels=spec["levels"],
                             epochs=spec["epochs"], batch=spec["batch"],
                             learning_rate=spec["learning_rate"], lr_decay=spec["lr_decay"],
                             init_scale=spec["init_scale"], seed=spec["seed"], train_sc=train_sc,
                             **VARIANTS.get(spec["variant"], {}))
        result = train(config, x_train, y_train)
        net = result.network
        x_levels = input_levels(x_test, spec["levels"], config.inputs)
        exact = net.accuracy(x_levels, y_test)
        if spec["method"] == 1:
            infer = [tuple(item) for item in spec["infer"]]
        else:
            infer = [(spec["source"], spec["length"])]
        sc_rows = []
        for source, length in infer:
            if spec["method"] == 2 and source in RESTARTED_SOURCES:
                # The hardware's LFSR seeds / Sobol shifts are the ones the network was trained with.
                seeds = [spec["seed"]]
            else:
                seeds = [_inference_seed(spec["seed"], r) for r in range(spec["infer_repeats"])]
            accs = [net.accuracy(x_levels, y_test, SCConfig(source, length, seed=s)) for s in seeds]
            sc_rows.append([source, length, float(np.mean(accs)), accs])
    return {"exact": exact, "sc": sc_rows, "final_cost": result.epoch_cost[-1]}


def _grids(plan):
    """``(variant, lengths, method 2 sources, method 2 levels, method 2 lengths)`` of every
    grid of ``plan``: the paper's network (variant ``None``) first, then the variants."""
    grids = [(None, plan.lengths, plan.sources, plan.method2_levels, plan.method2_lengths)]
    grids += [(variant, plan.variant_lengths, (plan.variant_method2_source,),
               plan.method2_levels, plan.variant_lengths) for variant in plan.variants]
    return grids


def accuracy_jobs(plan, dataset_key):
    """``(key, spec)`` of every training of ``plan``, in report order.

    A key is ``(variant, hidden_layers, QL, method, source, length, seed)``; Method 1 keys have
    ``source`` and ``length`` ``None``.
    """
    jobs = []
    for variant, lengths, m2_sources, m2_levels, m2_lengths in _grids(plan):
        for hidden, layers in plan.topologies:
            for ql in plan.levels:
                base = {"dataset": dataset_key, "train_limit": plan.train_limit,
                        "test_limit": plan.test_limit, "layers": list(layers), "levels": ql,
                        "epochs": plan.epochs, "batch": plan.batch,
                        "learning_rate": plan.learning_rate(hidden), "lr_decay": plan.lr_decay,
                        "init_scale": plan.init_scale, "infer_repeats": plan.infer_repeats,
                        "variant": variant}
                for seed in plan.seeds:
                    jobs.append(((variant, hidden, ql, 1, None, None, seed),
                                 {**base, "seed": seed, "method": 1,
                                  "infer": [[s, n] for s in plan.sources for n in lengths]}))
                if ql not in m2_levels:
                    continue
                for source in m2_sources:
                    for length in m2_lengths:
                        for seed in plan.seeds:
                            jobs.append(((variant, hidden, ql, 2, source, length, seed),
                                         {**base, "seed": seed, "method": 2, "source": source,
                                          "length": length}))
    return jobs


def _accuracy_rows(plan, results):
    """Rows of the accuracy table from job results keyed as in :func:`accuracy_jobs`."""
    rows = []
    for variant, lengths, m2_sources, m2_levels, m2_lengths in _grids(plan):
        for hidden, layers in plan.topologies:
            for ql in plan.levels:
                method1 = [results[(variant, hidden, ql, 1, None, None, s)] for s in plan.seeds]
                common = {"variant": variant, "hidden_layers": hidden, "layers": list(layers),
                          "levels": ql}
                accs = [r["exact"] for r in method1]
                mean, std = mean_std(accs)
                rows.append({**common, "method": 1, "train": "exact", "source": None,
                             "length": None, "accuracy": mean, "std": std, "per_seed": accs})
                for i, (source, length) in enumerate((s, n) for s in plan.sources for n in lengths):
                    accs = [r["sc"][i][2] for r in method1]
                    mean, std = mean_std(accs)
                    rows.append({**common, "method": 1, "train": "exact", "source": source,
                                 "length": length, "accuracy": mean, "std": std,
                                 "per_seed": accs})
                if ql not in m2_levels:
                    continue
                for source in m2_sources:
                    for length in m2_lengths:
                        runs = [results[(variant, hidden, ql, 2, source, length, s)]
                                for s in plan.seeds]
                        accs = [r["sc"][0][2] for r in runs]
                        mean, std = mean_std(accs)
                        rows.append({**common, "method": 2, "train": f"sc:{source}",
                                     "source": source, "length": length, "accuracy": mean,
                                     "std": std, "per_seed": accs,
                                     "accuracy_without_sc": float(np.mean([r["exact"]
                                                                           for r in runs]))})
    return rows


# ------------------------------------------------------------------------------------------
# Multiplication error
# ------------------------------------------------------------------------------------------

def _prefix_estimates(a_bits, b_bits, lengths):
    """Bipolar product estimates from the first N bits, for every N: (len(lengths), ...)."""
    agree = np.cumsum(a_bits == b_bits, axis=-1, dtype=np.int64)
    return np.stack([2.0 * agree[..., n - 1] / n - 1.0 for n in lengths])


def multiplication_rmse(levels=11, lengths=(10, 20, 50, 100, 200, 500, 1000), trials=20,
                        shifts=(0, 1, 16), seed=1):
    """RMSE of XNOR multiplication of two bipolar streams against stream length N.

    Every ordered pair of the ``levels`` states is multiplied ``trials`` times with fresh
    streams (fresh draws, or LFSR seeds never used before) for each case:

    * ``ideal``, ``smtj``, ``smtj_linear``: independent Bernoulli streams
      (:mod:`stochhw.models.ml.sc_sources`); the reference ``z`` is the product of the encoded
      values, ``theory`` is ``sqrt(mean((1 - z^2) / N))``; for the s-MTJs the RMSE against the
      *nominal* product is given too (the device curve's systematic error: the end states only
      when calibrated, every state with evenly spaced voltages);
    * ``lfsr``: a comparator on its own 16-bit Galois LFSR per stream, distinct seeds;
    * ``sobol``: comparators on Sobol dimension 1 (first stream) and 2 (second), each with
      its own digital shift (the ``sng`` design's ``source=sobol``); ``theory`` is the
      independent-stream value, which a low-discrepancy pair beats;
    * ``shared-uniform``: both comparators read the same ideal uniform numbers;
    * ``lfsr-shift-k``: both read one LFSR, the second ``k`` cycles later (k = 0: the same
      numbers).

    Returns
    -------
    dict
        JSON-ready: ``lengths``, ``cases`` (name -> ``rmse`` per N, ``bias`` per N (mean of
        estimate - z), and ``theory`` per N where it applies).
    """
    levels = check_levels(levels)
    lengths = [check_length(n, "N") for n in lengths]
    trials = check_int("trials", trials, 1)
    top = max(lengths) + max(shifts, default=0)
    n_max = max(lengths)
    ia, ib = np.meshgrid(np.arange(levels), np.arange(levels), indexing="ij")
    ia, ib = ia.ravel(), ib.ravel()                           # every ordered pair of states
    pairs = ia.size
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    nominal = level_values(levels)
    cases = {}

    def record(name, estimates, z, theory=False, nominal_z=None):
        err = estimates - z[None, :, None]
        entry = {"rmse": [float(v) for v in np.sqrt(np.mean(err ** 2, axis=(1, 2)))],
                 "bias": [float(v) for v in np.mean(err, axis=(1, 2))]}
        if theory:
            entry["theory"] = [float(math.sqrt(np.mean(1.0 - z ** 2) / n)) for n in lengths]
        if nominal_z is not None:
            err0 = estimates - nominal_z[None, :, None]
            entry["rmse_vs_nominal"] = [float(v) for v in np.sqrt(np.mean(err0 ** 2, axis=(1, 2)))]
        cases[name] = entry

    for source in INDEPENDENT_SOURCES:
        p = p_one(levels, source)
        enc = encoded_values(levels, source)
        a = bernoulli_bits(np.repeat(p[ia][:, None], trials, axis=1), n_max, rng)
        b = bernoulli_bits(np.repeat(p[ib][:, None], trials, axis=1), n_max, rng)
        record(source, _prefix_estimates(a, b, lengths), enc[ia] * enc[ib], theory=True,
               nominal_z=nominal[ia] * nominal[ib] if source != "ideal" else None)

    thresholds = lfsr_thresholds(levels)
    enc = 2.0 * thresholds / 65536.0 - 1.0
    z = enc[ia] * enc[ib]
    streams = pairs * trials
    seeds = network_lfsr_seeds(seed, 2 * streams + streams, 16)
    numbers = lfsr_numbers(seeds[:2 * streams], n_max, 16).T.reshape(2, pairs, trials, n_max)
    a = lfsr_bits(numbers[0], thresholds[ia][:, None, None])
    b = lfsr_bits(numbers[1], thresholds[ib][:, None, None])
    record("lfsr", _prefix_estimates(a, b, lengths), z, theory=True)
    # Sobol: the first stream on dimension 1, the second on dimension 2 (as a node and its
    # weight in the network), each with its own digital shift; fresh shifts for every trial.
    first = sobol_numbers(seeds[:streams], n_max, 1).T.reshape(pairs, trials, n_max)
    second = sobol_numbers(seeds[streams:2 * streams], n_max, 2).T.reshape(pairs, trials, n_max)
    a = lfsr_bits(first, thresholds[ia][:, None, None])
    b = lfsr_bits(second, thresholds[ib][:, None, None])
    record("sobol", _prefix_estimates(a, b, lengths), z, theory=True)

    u = rng.random((pairs, trials, n_max))
    p = (1.0 + nominal) / 2.0
    record("shared-uniform", _prefix_estimates(u < p[ia][:, None, None], u < p[ib][:, None, None],
                                               lengths), nominal[ia] * nominal[ib])
    shared = lfsr_numbers(seeds[2 * streams:], top, 16).T.reshape(pairs, trials, top)
    for k in shifts:
        a = lfsr_bits(shared[..., :n_max], thresholds[ia][:, None, None])
        b = lfsr_bits(shared[..., k:k + n_max], thresholds[ib][:, None, None])
        record(f"lfsr-shift-{k}", _prefix_estimates(a, b, lengths), z)
    return {"levels": levels, "lengths": lengths, "trials": trials, "pairs": pairs,
            "shifts": list(shifts), "cases": cases}


# ------------------------------------------------------------------------------------------
# Everything
# ------------------------------------------------------------------------------------------

def _plan_dict(plan):
    d = dataclasses.asdict(plan)
    d["topologies"] = [{"hidden_layers": h, "layers": list(l)} for h, l in plan.topologies]
    d["learning_rates"] = {str(h): lr for h, lr in plan.learning_rates}
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def run_experiments(plan=DIGITS_PLAN, mnist=None, seed=1, jobs=1, scheduler=None,
                    progress=None):
    """Run the accuracy grid and the multiplication study of ``plan``.

    Parameters
    ----------
    plan : Plan
    mnist : str or Path, optional
        An MNIST folder (then ``plan`` should be an MNIST plan).
    seed : int
        Seed of the multiplication study.
    jobs, scheduler :
        :func:`stochhw.sim.core.executor.make_executor`.
    progress : file, optional
        One line per finished training.

    Returns
    -------
    dict
        JSON-ready result (:mod:`stochhw.sim.analyses.sc` documents the schema).
    """
    if not isinstance(plan, Plan):
        raise ParameterError(f"plan must be a Plan, not {type(plan).__name__}")
    for name, subset, full in (("method2_levels", plan.method2_levels, plan.levels),
                               ("method2_lengths", plan.method2_lengths, plan.lengths)):
        if not set(subset) <= set(full):
            raise ParameterError(f"{name} must be among the {name.split('_')[1]} {list(full)}, "
                                 f"not {list(subset)}")
    unknown = [v for v in plan.variants if v not in VARIANTS]
    if unknown:
        raise ParameterError(f"variants must be among {sorted(VARIANTS)}, not {unknown}")
    if plan.variants and plan.variant_method2_source not in plan.sources:
        raise ParameterError(f"variant_method2_source must be one of the sources "
                             f"{list(plan.sources)}, not {plan.variant_method2_source!r}")
    dataset_key = "digits" if mnist is None else str(mnist)
    x_train, y_train, x_test, y_test = load_dataset(dataset_key, plan.train_limit, plan.test_limit)
    for _, layers in plan.topologies:
        if layers[0] != x_train.shape[1]:
            raise ParameterError(f"the data have {x_train.shape[1]} inputs, but the topology "
                                 f"{'-'.join(map(str, layers))} expects {layers[0]}")
    specs = accuracy_jobs(plan, dataset_key)
    results = {}
    with make_executor(scheduler, jobs) as executor:
        for done, (key, result) in enumerate(
                run_jobs(executor, [(key, run_training_job, (spec,)) for key, spec in specs]), 1):
            results[key] = result
            if progress is not None:
                variant, hidden, ql, method, source, length, s = key
                what = "exact" if method == 1 else f"{source} L={length}"
                print(f"  [{done}/{len(specs)}] {hidden} hidden"
                      + (f" ({variant})" if variant else "") + f", QL={ql}, method {method} "
                      f"({what}), seed {s}: {100 * result['exact']:.1f}% without SC"
                      + ("" if method == 1 else f", {100 * result['sc'][0][2]:.1f}% with SC"),
                      file=progress, flush=True)
    rmse = multiplication_rmse(plan.rmse_levels, plan.rmse_lengths, plan.rmse_trials,
                               plan.rmse_shifts, seed)
    return {
        "plan": _plan_dict(plan),
        "data": {"name": "digits" if mnist is None else "mnist",
                 "train_samples": int(x_train.shape[0]), "test_samples": int(x_test.shape[0]),
                 "inputs": int(x_train.shape[1])},
        "sigmoid_tables": sigmoid_tables(),
        "accuracy": _accuracy_rows(plan, results),
        "multiplication": rmse,
        "paper": PAPER,
    }
