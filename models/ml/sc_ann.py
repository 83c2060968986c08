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
    shape ``(fan_in, fan_out)``; with ``bias_node`` set (a variant, not the paper's network) a
    last row multiplies a constant bias node of value +1 (the top state; an SC bias node is a
    stream like any other). Inputs are pixel intensities ``x = X / max X`` in ``[0, 1]``, as the
    paper gives them, quantized to the QL states like every node: a blank pixel is the state 0,
    a stream of P(1) = 1/2 that every source carries. (The variant ``inputs="bipolar"`` maps
    ``x`` to ``2x - 1`` first, making a blank pixel the -1 state, which an s-MTJ cannot carry.)

Forward pass, layer l (``a`` = node values of layer l-1 with the bias node if any, ``w`` = the
quantized weights)
    * exact: ``z = a @ w``;
    * SC: ``z = 2 C / L - fan_in`` where C counts the ones of ``XNOR(a_i, w_ij)`` over
      all i and L cycles: the bipolar estimate of ``a @ w``;
    * hidden nodes: ``quantize(sigmoid(z), QL)``, one of :func:`stochhw.models.sc_quant.sigmoid_states`
      (3 states for QL = 5, 6 for QL = 11): a lookup table in hardware;
    * output nodes: ``sigmoid(z)`` for the cost; the class is ``argmax z`` (the largest
      accumulated count), since the 3 or 6 quantized output states would tie.

Training (minibatch SGD, ``batch`` samples per step, the remainder of each shuffled epoch
dropped), ``rule="paper"``: Eq. 4-7 as the paper writes them, the derivative of the sigmoid
``f'`` appearing only in the weight update
    * cost ``E = 1/2 sum_k (o_k - t_k)^2`` per sample, ``t`` one-hot (Eq. 4);
    * output error ``e_out = o - t`` (Eq. 5); hidden error ``e_l = e_(l+1) @ w_(l+1)^T``, the
      next layer's error carried back through its quantized weights (Eq. 6), with no ``f'``;
    * ``W_l -= eta_e * a_(l-1)^T (e_l * f'(z_l)) / batch`` with ``f'(z) = s (1 - s)``,
      ``s = sigmoid(z)`` unquantized (Eq. 7);

``rule="backprop"`` (a variant) is the exact gradient of E instead: ``f'`` enters the carried
error too, ``e_l = (e_(l+1) * f'(z_(l+1))) @ w_(l+1)^T``. Both rules

    * treat the quantizers as the identity in the backward pass (straight-through
      estimator): the gradient is taken at the quantized weights and node values and applied
      to full-precision *latent* weights, which are then clipped to ``[-1, 1]``, beyond which
      the quantizer cannot see them;
    * average the update over the batch, and use the learning rate
      ``eta_e = learning_rate * lr_decay^e`` in epoch e;
    * start from latent weights drawn from ``N(0, init_scale^2)`` (``init="gaussian"``, the
      paper's) or uniform in ``[-init_scale, init_scale]`` (``init="uniform"``), clipped to
      ``[-1, 1]``.

"Method 1" trains with the exact forward pass and may infer with SC; "Method 2"
(``train_sc`` set) runs the SC forward pass in training too; the backward pass always uses
the value each state's bitstream encodes, ``2 P(1) - 1`` (the nominal value for Method 1; for
Method 2 on s-MTJs, the device curve's value, so that training learns the curve; the STE
treats the SC estimate's noise as absent).

Everything is seeded: ``seed`` sets initialization and shuffling; SC draws come from their
own seed (:class:`SCConfig`), so a Method-1 and a Method-2 run share the initial weights.
"""

import dataclasses
import math

import numpy as np

from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.ml.sc_sources import (
    INDEPENDENT_SOURCES,
    RESTARTED_SOURCES,
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
    sobol_numbers,
    table_counts,
)
from stochhw.models.sc_quant import check_levels, level_values, quantize_index, quantized_sigmoid

__all__ = ["SCConfig", "SCANNConfig", "SCANN", "Forward", "TrainResult", "input_levels", "train",
           "one_hot"]

COUNT_METHODS = ("auto", "bits", "binomial", "table")
RULES = ("paper", "backprop")
INITS = ("gaussian", "uniform")
INPUTS = ("unit", "bipolar")


@dataclasses.dataclass(frozen=True)
class SCConfig:
    """How the SC forward pass makes its bitstreams.

    Attributes
    ----------
    source : {"ideal", "smtj", "smtj_linear", "lfsr", "sobol"}
        See :mod:`stochhw.models.ml.sc_sources`.
    length : int
        L, the bitstream length (cycles per inference), >= 1.
    seed : int
        Seeds the Bernoulli draws (a ``numpy.random.Generator`` per run), the LFSR seeds or
        the Sobol shifts.
    counts : {"auto", "bits", "binomial", "table"}
        How counts are made (:mod:`stochhw.models.ml.sc_sources`): ``"bits"`` forms every bit of every
        stream (slow; any source); ``"binomial"`` draws each neuron's count from its exact
        distribution (independent sources); ``"table"`` uses the pair table (LFSR and Sobol
        only; identical to ``"bits"``). ``"auto"``: binomial for independent sources, table
        for the others.
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
        if self.counts == "table" and self.source not in RESTARTED_SOURCES:
            raise ParameterError(f"counts='table' is for the sources {', '.join(RESTARTED_SOURCES)}, "
                                 f"not {self.source!r}")

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
    init : {"gaussian", "uniform"}
        Latent weights start ``N(0, init_scale^2)`` (the paper's) or uniform in
        ``[-init_scale, init_scale]``, clipped to ``[-1, 1]``; ``0 < init_scale <= 1``.
    init_scale : float
    rule : {"paper", "backprop"}
        Eq. 4-7 as written (``f'`` only in the weight update) or the exact gradient.
    bias_node : bool
        Add a constant +1 node to every layer's inputs (a variant; the paper has none).
    inputs : {"unit", "bipolar"}
        Pixels in [0, 1] quantized as they are (the paper's ``X / max X``), or mapped to
        ``2x - 1`` first (a variant).
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
    init: str = "gaussian"
    init_scale: float = 0.5
    rule: str = "paper"
    bias_node: bool = False
    inputs: str = "unit"
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
        check_choice("init", self.init, INITS)
        check_choice("rule", self.rule, RULES)
        check_choice("inputs", self.inputs, INPUTS)
        if not isinstance(self.bias_node, bool):
            raise ParameterError(f"bias_node must be True or False, not {self.bias_node!r}")
        if self.train_sc is not None and not isinstance(self.train_sc, SCConfig):
            raise ParameterError(f"train_sc must be an SCConfig or None, not {self.train_sc!r}")


def input_levels(x, levels, inputs="unit"):
    """State indices of pixel intensities ``x`` in ``[0, 1]``: ``quantize_index(x)`` (``"unit"``,
    the paper's) or ``quantize_index(2x - 1)`` (``"bipolar"``)."""
    x = np.asarray(x, dtype=np.float64)
    check_choice("inputs", inputs, INPUTS)
    return quantize_index(x if inputs == "unit" else 2.0 * x - 1.0, levels)


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


class _ComparatorStreams:
    """The comparator random numbers of every stream of a network, for one source, L and seed.

    Layer l has one generator per input node (fanned out to every neuron) and one per weight:
    layer 0's nodes first, then its weights in C order, then layer 1's, ... Each gets a
    distinct LFSR seed (:func:`stochhw.models.ml.sc_sources.network_lfsr_seeds`); for
    ``"sobol"`` the seed is the stream's digital shift, nodes on Sobol dimension 1 and weights
    on dimension 2. :meth:`nodes` has shape (inputs, L), :meth:`weights` (inputs, L, neurons);
    :meth:`table` is the pair table of :func:`stochhw.models.ml.sc_sources.lfsr_pair_table`,
    built on first use a few input rows at a time, so that wide layers never hold all their
    numbers at once.
    """

    #: Random numbers generated per block while building a table.
    BLOCK = 1 << 22

    def __init__(self, source, shapes, levels, length, seed):
        self.source = source
        self.shapes = shapes
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

    def _numbers(self, lanes, dimension):
        if self.source == "sobol":
            return sobol_numbers(self.seeds[lanes], self.length, dimension)
        return lfsr_numbers(self.seeds[lanes], self.length, self.width)

    def nodes(self, layer, rows=slice(None)):
        """Numbers of the input nodes ``rows`` of ``layer``: (rows, L)."""
        i, _ = self.shapes[layer]
        lanes = np.arange(i)[rows] + self.starts[layer]
        return self._numbers(lanes, 1).T

    def weights(self, layer, rows=slice(None)):
        """Numbers of the weights in input rows ``rows`` of ``layer``: (rows, L, neurons)."""
        i, j = self.shapes[layer]
        first = np.arange(i)[rows]
        lanes = (self.starts[layer] + i + first[:, None] * j + np.arange(j)).ravel()
        numbers = self._numbers(lanes, 2)
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
        Latent weights, layer l of shape ``(layers[l] + bias_node, layers[l + 1])``; default
        zeros.
    bias_node : bool
        Every layer's inputs end with a constant +1 node (a variant).
    """

    def __init__(self, layers, levels, weights=None, bias_node=False):
        self.layers = tuple(layers)
        self.levels = check_levels(levels)
        self.bias_node = bool(bias_node)
        self.shapes = [(i + self.bias_node, j) for i, j in zip(self.layers[:-1], self.layers[1:])]
        if weights is None:
            weights = [np.zeros(s) for s in self.shapes]
        if [np.shape(w) for w in weights] != self.shapes:
            raise ParameterError(f"weights must have shapes {self.shapes}")
        self.weights = [np.asarray(w, dtype=np.float64).copy() for w in weights]
        self.values = level_values(self.levels)
        self._streams = {}

    def weight_levels(self):
        """State index of every weight, per layer."""
        return [quantize_index(w, self.levels) for w in self.weights]

    def _comparator_streams(self, sc):
        key = (sc.source, sc.length, sc.seed)
        if key not in self._streams:          # one at a time: a table set can be large
            self._streams = {key: _ComparatorStreams(sc.source, self.shapes, self.levels,
                                                     sc.length, sc.seed)}
        return self._streams[key]

    def _preactivation(self, layer, a, w, sc, rng):
        """``z`` of ``layer`` for node indices ``a`` (samples, inputs) and weight indices ``w``."""
        inputs = a.shape[1]
        if sc is None:
            return self.values[a] @ self.values[w]
        length, method = sc.length, sc.count_method
        if method == "table":
            counts = table_counts(self._comparator_streams(sc).table(layer), a, w)
        elif method == "binomial":
            p = p_one(self.levels, sc.source)
            counts = binomial_counts(p, p, a, w, length, rng)
        else:
            counts = self._bit_counts(layer, a, w, sc, rng)
        return 2.0 * counts / length - inputs

    def _bit_counts(self, layer, a, w, sc, rng, max_elements=1 << 22):
        """Counts from explicit bits of every stream (:func:`stochhw.models.ml.sc_sources.sc_dot`)."""
        length = sc.length
        restarted = sc.source in RESTARTED_SOURCES
        if restarted:
            streams = self._comparator_streams(sc)
            w_bits = lfsr_bits(streams.weights(layer), streams.thresholds[w][:, None, :])
            node_numbers = streams.nodes(layer)[None]
        else:
            p = p_one(self.levels, sc.source)
            w_bits = bernoulli_bits(p[w], length, rng, axis=1)
        counts = np.empty((a.shape[0], w.shape[1]), dtype=np.int64)
        rows = max(1, max_elements // (a.shape[1] * length))
        for start in range(0, a.shape[0], rows):
            block = a[start:start + rows]
            if restarted:
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
            if self.bias_node:
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

    def backward(self, fwd, targets, values=None, rule="paper"):
        """Weight updates of every layer (the batch mean, to be subtracted), and the cost.

        ``rule="paper"``: Eq. 5-7 (``f'`` only in the weight update); ``"backprop"``: the exact
        gradient of the batch-mean MSE cost; both through the straight-through estimator (see
        the module docstring). ``values``: the value each state stands for (default the
        nominal :func:`stochhw.models.sc_quant.level_values`; Method 2 passes the encoded values
        of its bitstreams, see :func:`train`).
        """
        check_choice("rule", rule, RULES)
        values = self.values if values is None else values
        out = _sigmoid(fwd.z[-1])
        cost = 0.5 * float(np.mean(np.sum((out - targets) ** 2, axis=1)))
        error = out - targets                        # e_out (Eq. 5)
        quantized = [values[w] for w in self.weight_levels()]
        grads = [None] * len(self.weights)
        n = targets.shape[0]
        for layer in range(len(self.weights) - 1, -1, -1):
            s = _sigmoid(fwd.z[layer])
            delta = error * s * (1.0 - s)            # e_l f'(z_l)
            grads[layer] = values[fwd.nodes[layer]].T @ delta / n      # Eq. 7
            if layer > 0:
                carried = delta if rule == "backprop" else error
                # Eq. 6: back through the quantized weights (the bias node's row feeds nothing).
                error = carried @ quantized[layer][:self.layers[layer]].T
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
    shapes = [(i + config.bias_node, j) for i, j in zip(config.layers[:-1], config.layers[1:])]
    if config.init == "gaussian":
        initial = [init_rng.normal(0.0, config.init_scale, s) for s in shapes]
    else:
        initial = [init_rng.uniform(-config.init_scale, config.init_scale, s) for s in shapes]
    net = SCANN(config.layers, config.levels, [np.clip(w, -1.0, 1.0) for w in initial],
                bias_node=config.bias_node)
    x_levels = input_levels(x_train, config.levels, config.inputs)
    targets = one_hot(y_train, config.layers[-1])
    sc = config.train_sc
    sc_rng = np.random.default_rng(sc.seed) if sc is not None else None
    # Method 2 differentiates what its streams compute on average: sum_i e(a_i) e(w_ij),
    # e = 2 P(1) - 1 of each state (the s-MTJ's nonlinear P(V) makes e differ from the
    # nominal value at the end states, and everywhere with evenly spaced voltages; for the
    # comparator sources they agree to 2^-16).
    values = encoded_values(config.levels, sc.source) if sc is not None else None
    epoch_cost = []
    for epoch in range(config.epochs):
        eta = config.learning_rate * config.lr_decay ** epoch
        order = order_rng.permutation(n)
        costs = []
        for b in range(n // batch):
            idx = order[b * batch:(b + 1) * batch]
            fwd = net.forward(x_levels[idx], sc, sc_rng)
            grads, cost = net.backward(fwd, targets[idx], values, config.rule)
            costs.append(cost)
            for w, g in zip(net.weights, grads):
                w -= eta * g
                np.clip(w, -1.0, 1.0, out=w)
        epoch_cost.append(float(np.mean(costs)))
        if not math.isfinite(epoch_cost[-1]):
            raise ParameterError("training diverged (non-finite cost); lower learning_rate")
    return TrainResult(config, net, tuple(epoch_cost))
