"""Quantization-aware training and inference of a stochastic-computing ANN (SC-ANN).

The network follows the spintronic stochastic-computing paper: a multilayer perceptron whose
weights and nodes take only QL states in ``[-1, 1]`` (Eq. 1-3, :mod:`stochhw.models.sc_quant`), with
sigmoid activations and a mean-squared-error cost (Eq. 4-7), trained by backpropagation with
a straight-through estimator (STE) for the quantizer and a decaying learning rate. The
forward pass computes each neuron's pre-activation either exactly or by stochastic computing
(SC): bipolar bitstreams of length L, XNOR multiplication and counting
(:mod:`stochhw.models.ml.sc_sources`).

Network
    Layer widths ``layers = (inputs, hidden..., classes)``. Layer l has a weight matrix of
    shape ``(fan_in + 1, fan_out)``; the last row multiplies a constant bias node of value +1
    (the top state; an SC bias node is a stream like any other). Inputs are pixel intensities
    ``x`` in ``[0, 1]`` mapped to ``2x - 1`` and quantized to the QL states, so the input
    layer uses all QL states and a blank pixel is the deterministic -1 state.

Forward pass, layer l (``a`` = node values of layer l-1 with the bias node, ``w`` = the
quantized weights)
    * exact: ``z = a @ w``;
    * SC: ``z = 2 C / L - (fan_in + 1)`` where C counts the ones of ``XNOR(a_i, w_ij)`` over
      all i and L cycles: the bipolar estimate of ``a @ w``;
    * hidden nodes: ``quantize(sigmoid(z), QL)``, one of :func:`stochhw.models.sc_quant.sigmoid_states`
      (3 states for QL = 5, 6 for QL = 11): a lookup table in hardware;
    * output nodes: ``sigmoid(z)`` for the cost; the class is ``argmax z`` (the largest
      accumulated count), since the 3 or 6 quantized output states would tie.

Training (minibatch SGD, ``batch`` samples per step, the remainder of each shuffled epoch
dropped)
    * cost ``E = 1/2 sum_k (o_k - t_k)^2`` per sample, ``t`` one-hot (Eq. 4), averaged over
      the batch;
    * ``delta_out = (o - t) o (1 - o)``; ``delta_l = (delta_{l+1} @ w_{l+1}^T) s_l (1 - s_l)``
      with ``s_l = sigmoid(z_l)`` unquantized: the STE passes the gradient through the
      quantizer of the nodes (Eq. 5-6);
    * ``W_l -= eta_e * a_{l-1}^T delta_l / batch`` on full-precision *latent* weights, the
      gradient taken at the quantized weights (the STE for the weight quantizer), then
      ``W_l`` clipped to ``[-1, 1]``, beyond which the quantizer cannot see it (Eq. 7);
    * learning rate ``eta_e = learning_rate * lr_decay^e`` in epoch e;
    * latent weights start uniform in ``[-init_scale, init_scale]``;
    * "Method 1" trains with the exact forward pass and may infer with SC; "Method 2"
      (``train_sc`` set) runs the SC forward pass in training too; the backward pass always
      uses the value each state's bitstream encodes, ``2 P(1) - 1`` (the nominal value for
      Method 1; for Method 2 on s-MTJs, the device curve's value, so that training learns
      the curve; the STE treats the SC estimate's noise as absent).

Everything is seeded: ``seed`` sets initialization and shuffling; SC draws come from their
own seed (:class:`SCConfig`), so a Method-1 and a Method-2 run share the initial weights.
"""

import dataclasses
import math

import numpy as np

from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.ml.sc_sources import (
    INDEPENDENT_SOURCES,
    bernoulli_bits,
    binomial_counts,
    check_length,
    check_source,
    encoded_values,
    lfsr_bits,
    lfsr_numbers,
    lfsr_pair_table,
    lfsr_thresholds,
    lfsr_width_for,
    network_lfsr_seeds,
    p_one,
    sc_dot,
    table_counts,
)
from stochhw.models.sc_quant import check_levels, level_values, quantize_index, quantized_sigmoid

__all__ = ["SCConfig", "SCANNConfig", "SCANN", "Forward", "TrainResult", "input_levels", "train",
           "one_hot"]

COUNT_METHODS = ("auto", "bits", "binomial", "table")


@dataclasses.dataclass(frozen=True)
class SCConfig:
    """How the SC forward pass makes its bitstreams.

    Attributes
    ----------
    source : {"smtj", "lfsr", "ideal"}
        See :mod:`stochhw.models.ml.sc_sources`.
    length : int
        L, the bitstream length (cycles per inference), >= 1.
    seed : int
        Seeds the Bernoulli draws (a ``numpy.random.Generator`` per run) or the LFSR seeds.
    counts : {"auto", "bits", "binomial", "table"}
        How counts are made (:mod:`stochhw.models.ml.sc_sources`): ``"bits"`` forms every bit of every
        stream (slow; any source); ``"binomial"`` draws each neuron's count from its exact
        distribution (independent sources); ``"table"`` uses the LFSR pair table (LFSR
        only; identical to ``"bits"``). ``"auto"``: binomial for independent sources, table
        for the LFSR.
    """

    source: str = "smtj"
    length: int = 100
    seed: int = 1
    counts: str = "auto"

    def __post_init__(self):
        check_source(self.source)
        check_length(self.length)
        check_int("seed", self.seed, 0)
        check_choice("counts", self.counts, COUNT_METHODS)
        if self.counts == "binomial" and self.source not in INDEPENDENT_SOURCES:
            raise ParameterError(f"counts='binomial' needs independent streams "
                                 f"({', '.join(INDEPENDENT_SOURCES)}), not source {self.source!r}")
        if self.counts == "table" and self.source != "lfsr":
            raise ParameterError(f"counts='table' is for source 'lfsr', not {self.source!r}")

    @property
    def count_method(self):
        """``"bits"``, ``"binomial"`` or ``"table"``, after resolving ``"auto"``."""
        if self.counts != "auto":
            return self.counts
        return "binomial" if self.source in INDEPENDENT_SOURCES else "table"


@dataclasses.dataclass(frozen=True)
class SCANNConfig:
    """Parameters of one SC-ANN training run.

    Attributes
    ----------
    layers : tuple of int
        ``(inputs, hidden..., classes)``, at least two entries.
    levels : int
        QL, the quantization states of weights and nodes, >= 2.
    epochs, batch : int
    learning_rate, lr_decay : float
        ``eta_e = learning_rate * lr_decay^e``; ``0 < learning_rate < 100``,
        ``0 < lr_decay <= 1``.
    init_scale : float
        Latent weights start uniform in ``[-init_scale, init_scale]``, ``0 < init_scale <= 1``.
    seed : int
        Initialization and shuffling.
    train_sc : SCConfig or None
        ``None``: exact forward pass in training ("Method 1"); else SC ("Method 2").
    """

    layers: tuple = (64, 32, 10)
    levels: int = 5
    epochs: int = 30
    batch: int = 16
    learning_rate: float = 0.5
    lr_decay: float = 0.93
    init_scale: float = 0.5
    seed: int = 1
    train_sc: SCConfig = None

    def __post_init__(self):
        layers = tuple(self.layers)
        if len(layers) < 2:
            raise ParameterError(f"layers must list at least the inputs and the classes, not {layers}")
        for width in layers:
            check_int("layers", width, 1, 1 << 16)
        object.__setattr__(self, "layers", layers)
        check_levels(self.levels)
        check_int("epochs", self.epochs, 1)
        check_int("batch", self.batch, 1)
        check_int("seed", self.seed, 0)
        for name, lo, hi in (("learning_rate", 0.0, 100.0), ("lr_decay", 0.0, 1.0),
                             ("init_scale", 0.0, 1.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not (lo < value <= hi) or (name == "learning_rate" and value == hi):
                raise ParameterError(f"{name} must be a number in ({lo}, {hi}], not {value!r}")
        if self.train_sc is not None and not isinstance(self.train_sc, SCConfig):
            raise ParameterError(f"train_sc must be an SCConfig or None, not {self.train_sc!r}")


def input_levels(x, levels):
    """State indices of pixel intensities ``x`` in ``[0, 1]``: ``quantize_index(2x - 1)``."""
    return quantize_index(2.0 * np.asarray(x, dtype=np.float64) - 1.0, levels)


def one_hot(y, classes):
    """``(n, classes)`` float targets, 1 at each label."""
    y = np.asarray(y)
    out = np.zeros((y.size, classes))
    out[np.arange(y.size), y] = 1.0
    return out


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -700.0, 700.0)))


@dataclasses.dataclass
class Forward:
    """One forward pass: per layer l, ``nodes[l]`` are the state indices of the layer's inputs
    including the bias node (``nodes[0]`` from the pixels) and ``z[l]`` its pre-activations."""

    nodes: list
    z: list

    @property
    def prediction(self):
        """Class of each sample: the index of the largest output pre-activation."""
        return np.argmax(self.z[-1], axis=1)


class _LFSRStreams:
    """The LFSR random numbers of every stream of a network, for one L and seed.

    Layer l has one LFSR per input node (fanned out to every neuron) and one per weight, all
    seeds distinct: layer 0's nodes first, then its weights in C order, then layer 1's, ...
    :meth:`nodes` has shape (inputs, L), :meth:`weights` (inputs, L, neurons); :meth:`table`
    is the pair table of :func:`stochhw.models.ml.sc_sources.lfsr_pair_table`, built on first use a few
    input rows at a time, so that wide layers never hold all their numbers at once.
    """

    #: Random numbers generated per block while building a table.
    BLOCK = 1 << 22

    def __init__(self, layers, levels, length, seed):
        self.shapes = [(fan_in + 1, fan_out) for fan_in, fan_out in zip(layers[:-1], layers[1:])]
        lanes = sum(i + i * j for i, j in self.shapes)
        self.length = length
        self.width = lfsr_width_for(lanes)
        self.thresholds = lfsr_thresholds(levels)
        self.seeds = network_lfsr_seeds(seed, lanes, self.width)
        self.starts, start = [], 0
        for i, j in self.shapes:
            self.starts.append(start)
            start += i + i * j
        self.tables = [None] * len(self.shapes)

    def nodes(self, layer, rows=slice(None)):
        """Numbers of the input nodes ``rows`` of ``layer``: (rows, L)."""
        i, _ = self.shapes[layer]
        lanes = np.arange(i)[rows] + self.starts[layer]
        return lfsr_numbers(self.seeds[lanes], self.length, self.width).T

    def weights(self, layer, rows=slice(None)):
        """Numbers of the weights in input rows ``rows`` of ``layer``: (rows, L, neurons)."""
        i, j = self.shapes[layer]
        first = np.arange(i)[rows]
        lanes = (self.starts[layer] + i + first[:, None] * j + np.arange(j)).ravel()
        numbers = lfsr_numbers(self.seeds[lanes], self.length, self.width)
        return numbers.reshape(self.length, first.size, j).transpose(1, 0, 2)

    def table(self, layer):
        if self.tables[layer] is None:
            i, j = self.shapes[layer]
            states = self.thresholds.size
            dtype = np.int16 if self.length < (1 << 15) else np.int32
            table = np.empty((i, j, states, states), dtype=dtype)
            step = max(1, self.BLOCK // (self.length * j))
            for start in range(0, i, step):
                rows = slice(start, min(i, start + step))
                table[rows] = lfsr_pair_table(self.nodes(layer, rows), self.weights(layer, rows),
                                              self.thresholds)
            self.tables[layer] = table
        return self.tables[layer]


class SCANN:
    """A quantized MLP with latent full-precision weights.

    Parameters
    ----------
    layers : tuple of int
    levels : int
        QL.
    weights : list of ndarray, optional
        Latent weights, layer l of shape ``(layers[l] + 1, layers[l + 1])``; default zeros.
    """

    def __init__(self, layers, levels, weights=None):
        self.layers = tuple(layers)
        self.levels = check_levels(levels)
        shapes = [(i + 1, j) for i, j in zip(self.layers[:-1], self.layers[1:])]
        if weights is None:
            weights = [np.zeros(s) for s in shapes]
        if [np.shape(w) for w in weights] != shapes:
            raise ParameterError(f"weights must have shapes {shapes}")
        self.weights = [np.asarray(w, dtype=np.float64).copy() for w in weights]
        self.values = level_values(self.levels)
        self._lfsr = {}

    def weight_levels(self):
        """State index of every weight, per layer."""
        return [quantize_index(w, self.levels) for w in self.weights]

    def _lfsr_streams(self, sc):
        key = (sc.length, sc.seed)
        if key not in self._lfsr:
            self._lfsr = {key: _LFSRStreams(self.layers, self.levels, sc.length, sc.seed)}
        return self._lfsr[key]

    def _preactivation(self, layer, a, w, sc, rng):
        """``z`` of ``layer`` for node indices ``a`` (samples, inputs) and weight indices ``w``."""
        inputs = a.shape[1]
        if sc is None:
            return self.values[a] @ self.values[w]
        length, method = sc.length, sc.count_method
        if method == "table":
            counts = table_counts(self._lfsr_streams(sc).table(layer), a, w)
        elif method == "binomial":
            p = p_one(self.levels, sc.source)
            counts = binomial_counts(p, p, a, w, length, rng)
        else:
            counts = self._bit_counts(layer, a, w, sc, rng)
        return 2.0 * counts / length - inputs

    def _bit_counts(self, layer, a, w, sc, rng, max_elements=1 << 22):
        """Counts from explicit bits of every stream (:func:`stochhw.models.ml.sc_sources.sc_dot`)."""
        length = sc.length
        if sc.source == "lfsr":
            streams = self._lfsr_streams(sc)
            w_bits = lfsr_bits(streams.weights(layer), streams.thresholds[w][:, None, :])
            node_numbers = streams.nodes(layer)[None]
        else:
            p = p_one(self.levels, sc.source)
            w_bits = bernoulli_bits(p[w], length, rng, axis=1)
        counts = np.empty((a.shape[0], w.shape[1]), dtype=np.int64)
        rows = max(1, max_elements // (a.shape[1] * length))
        for start in range(0, a.shape[0], rows):
            block = a[start:start + rows]
            if sc.source == "lfsr":
                a_bits = lfsr_bits(node_numbers, streams.thresholds[block][:, :, None])
            else:
                a_bits = bernoulli_bits(p[block], length, rng)
            counts[start:start + rows] = sc_dot(a_bits, w_bits)
        return counts

    def forward(self, x_levels, sc=None, rng=None):
        """Forward pass from input state indices ``x_levels`` (samples, layers[0]).

        Parameters
        ----------
        x_levels : ndarray of int
            From :func:`input_levels`.
        sc : SCConfig or None
            ``None``: exact pre-activations.
        rng : numpy.random.Generator, optional
            For the independent sources; default ``default_rng(sc.seed)``.

        Returns
        -------
        Forward
        """
        x_levels = np.asarray(x_levels)
        if x_levels.ndim != 2 or x_levels.shape[1] != self.layers[0]:
            raise ParameterError(f"x must have shape (samples, {self.layers[0]}), not {x_levels.shape}")
        if sc is not None and rng is None:
            rng = np.random.default_rng(sc.seed)
        top = self.levels - 1
        nodes, zs = [], []
        a = x_levels
        for layer, w in enumerate(self.weight_levels()):
            a = np.concatenate([a, np.full((a.shape[0], 1), top, dtype=a.dtype)], axis=1)
            nodes.append(a)
            z = self._preactivation(layer, a, w, sc, rng)
            zs.append(z)
            if layer < len(self.weights) - 1:
                a = quantize_index(quantized_sigmoid(z, self.levels), self.levels)
        return Forward(nodes, zs)

    def accuracy(self, x_levels, y, sc=None, rng=None):
        """Fraction of samples whose predicted class is ``y``."""
        return float(np.mean(self.forward(x_levels, sc, rng).prediction == np.asarray(y)))

    def backward(self, fwd, targets, values=None):
        """Gradients of the batch-mean MSE cost w.r.t. each layer's weights (STE), and the cost.

        ``values``: the value each state stands for in the gradient (default the nominal
        :func:`stochhw.models.sc_quant.level_values`; Method 2 passes the encoded values of its
        bitstreams, see :func:`train`).
        """
        values = self.values if values is None else values
        out = _sigmoid(fwd.z[-1])
        cost = 0.5 * float(np.mean(np.sum((out - targets) ** 2, axis=1)))
        delta = (out - targets) * out * (1.0 - out)
        quantized = [values[w] for w in self.weight_levels()]
        grads = [None] * len(self.weights)
        n = targets.shape[0]
        for layer in range(len(self.weights) - 1, -1, -1):
            grads[layer] = values[fwd.nodes[layer]].T @ delta / n
            if layer > 0:
                s = _sigmoid(fwd.z[layer - 1])
                delta = (delta @ quantized[layer][:-1].T) * s * (1.0 - s)
        return grads, cost


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`: the trained network and the mean cost of each epoch."""

    config: SCANNConfig
    network: SCANN
    epoch_cost: tuple


def train(config, x_train, y_train):
    """Train an SC-ANN on pixel intensities ``x_train`` in [0, 1] and labels ``y_train``.

    Returns
    -------
    TrainResult
    """
    if not isinstance(config, SCANNConfig):
        raise ParameterError(f"config must be an SCANNConfig, not {type(config).__name__}")
    x_train = np.asarray(x_train, dtype=np.float64)
    y_train = np.asarray(y_train)
    if x_train.ndim != 2 or x_train.shape[1] != config.layers[0] or y_train.shape != x_train.shape[:1]:
        raise ParameterError(f"x_train must have shape (n, {config.layers[0]}) and y_train (n,)")
    n = x_train.shape[0]
    batch = check_int("batch", config.batch, 1, n)
    init_rng, order_rng = (np.random.default_rng(s)
                           for s in np.random.SeedSequence(config.seed).spawn(2))
    shapes = [(i + 1, j) for i, j in zip(config.layers[:-1], config.layers[1:])]
    net = SCANN(config.layers, config.levels,
                [init_rng.uniform(-config.init_scale, config.init_scale, s) for s in shapes])
    x_levels = input_levels(x_train, config.levels)
    targets = one_hot(y_train, config.layers[-1])
    sc = config.train_sc
    sc_rng = np.random.default_rng(sc.seed) if sc is not None else None
    # Method 2 differentiates what its streams compute on average: sum_i e(a_i) e(w_ij),
    # e = 2 P(1) - 1 of each state (the s-MTJ's nonlinear P(V) makes e differ from the
    # nominal value; for the comparator sources they agree to 2^-16).
    values = encoded_values(config.levels, sc.source) if sc is not None else None
    epoch_cost = []
    for epoch in range(config.epochs):
        eta = config.learning_rate * config.lr_decay ** epoch
        order = order_rng.permutation(n)
        costs = []
        for b in range(n // batch):
            idx = order[b * batch:(b + 1) * batch]
            fwd = net.forward(x_levels[idx], sc, sc_rng)
            grads, cost = net.backward(fwd, targets[idx], values)
            costs.append(cost)
            for w, g in zip(net.weights, grads):
                w -= eta * g
                np.clip(w, -1.0, 1.0, out=w)
        epoch_cost.append(float(np.mean(costs)))
        if not math.isfinite(epoch_cost[-1]):
            raise ParameterError("training diverged (non-finite cost); lower learning_rate")
    return TrainResult(config, net, tuple(epoch_cost))
