"""Low-precision training of a small MLP on scikit-learn's 8x8 digits, with pluggable rounding.

The network is a multilayer perceptron (default 64-32-10, ReLU, softmax cross-entropy) trained
by plain minibatch SGD in NumPy. Four tensors per layer are held in signed ``bits``-bit fixed
point (2 <= bits <= 8), each with its own power-of-two scale chosen per step (dynamic fixed
point):

* **weight** ``W[l]``, shape ``(fan_in + 1, fan_out)``; the last row is the bias. Stored in
  low precision only (no full-precision master copy), so every update is rounded.
* **activation** ``A[l]``: the layer's output, ReLU for hidden layers and the logits for the
  last one; shape ``(batch, fan_out)``.
* **error** ``E[l]``: the backpropagated delta dLoss/dZ[l] of the layer's pre-activation;
  shape ``(batch, fan_out)``.
* **gradient** ``G[l] = [A[l-1], 1]^T E[l]``; shape ``(fan_in + 1, fan_out)``.

Quantization of a tensor ``x`` to a code ``q`` (``|q| <= 2^(bits-1) - 1``) at scale ``2^e``:

1. ``e`` is the smallest integer with ``max|x| <= (2^(bits-1) - 1) * 2^e``, so nothing clips;
2. ``x`` becomes a wide integer with ``k = rnd_bits`` extra fraction bits,
   ``X = rint(x * 2^(k - e))`` (the full-precision accumulator of the hardware);
3. ``q = floor((X + rnd) / 2^k)``: exactly :func:`stochhw.models.sru.stochastic_round` with
   ``in_width = bits + k``, ``out_width = bits``, one k-bit random number ``rnd`` per element.
   Round to nearest is the same rule with the constant ``rnd = 2^(k-1)`` (ties round up).

The random numbers come from a :class:`~stochhw.models.ml.random_sources.RandomSource`
(:mod:`stochhw.models.ml.random_sources`): PCG64, the low k bits of successive states of one
Galois LFSR (as the ``sru_lfsr`` design uses them), or given numbers (e.g. bits extracted
from recorded tensors). Each stochastic quantization draws one number per element, in C
order. Per step the draws go: activations of layers 0..L-1; the error of layer L-1; then for
each layer l from L-1 down to 0 its gradient, the error of layer l-1 (if l > 0) and its
updated weight. The initial weights are rounded to nearest and draw nothing.

While training, :func:`train` records the raw integer codes of the four tensors of every layer
every ``record_every`` steps (at most ``max_snapshots`` snapshots; memory is bounded by
``max_snapshots`` times about 7.5 kB at the default size). :func:`direct_lsbs` takes the N
least-significant bits of those codes (two's complement) as N-bit random numbers, the "direct"
extraction; other extractors (several LSBs of several elements combined) belong to
``models/extractor.py``.

Everything is deterministic for a given seed: the train/test split is fixed (stratified, 25 %
held out, independent of the seed), the seed sets initialization, shuffling and the default
random source. Nothing is downloaded: the digits dataset ships with scikit-learn.
"""

import dataclasses
import math

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.ml.digits import TRAIN_SAMPLES, load_digits_split
from stochhw.models.ml.random_sources import MAX_RND_BITS, RandomSource, make_source
from stochhw.models.sru import stochastic_round

__all__ = [
    "TENSOR_KINDS", "ROUNDINGS", "scale_exponent", "quantize", "TrainingConfig",
    "TrainingResult", "record_shape", "train", "direct_lsbs", "tensor_numbers", "tensor_codes",
]

#: The four recorded tensor types, in the order used by every table.
TENSOR_KINDS = ("weight", "activation", "error", "gradient")
ROUNDINGS = ("stochastic", "nearest", "float")


# ------------------------------------------------------------------------------------------
# Fixed point
# ------------------------------------------------------------------------------------------

def scale_exponent(x, bits):
    """Smallest integer ``e`` with ``max|x| <= (2^(bits-1) - 1) * 2^e`` (0 for an all-zero x)."""
    peak = float(np.max(np.abs(x))) if np.size(x) else 0.0
    if peak == 0.0:
        return 0
    top = (1 << (bits - 1)) - 1
    e = math.ceil(math.log2(peak / top))
    # log2 is inexact near powers of two: settle the boundary with exact ldexp comparisons.
    while peak > math.ldexp(top, e):
        e += 1
    while peak <= math.ldexp(top, e - 1):
        e -= 1
    return e


def quantize(x, bits, rnd_bits, rnd=None):
    """Round ``x`` to signed ``bits``-bit codes at a power-of-two scale (see the module doc).

    Parameters
    ----------
    x : numpy.ndarray of float
    bits : int
        Code width, 2..8.
    rnd_bits : int
        k, the extra fraction bits of the wide integer and the width of ``rnd``.
    rnd : numpy.ndarray of int or callable, optional
        One k-bit random number per element (C order) for stochastic rounding; or a function
        that returns them given the wide integers ``X`` about to be rounded (for sources that
        extract their numbers from those very values, see :meth:`~stochhw.models.ml.random_sources.RandomSource.numbers_for`);
        ``None`` rounds to nearest.

    Returns
    -------
    codes : numpy.ndarray of int8, shape of ``x``
    exponent : int
        The value of ``codes[i]`` is ``codes[i] * 2**exponent``.
    """
    e = scale_exponent(x, bits)
    wide = np.rint(np.ldexp(x, rnd_bits - e)).astype(np.int64)
    if callable(rnd):
        rnd = rnd(wide)
    if rnd is None:
        rnd = 1 << (rnd_bits - 1)
    else:
        rnd = np.asarray(rnd, dtype=np.int64).reshape(wide.shape)
    codes = stochastic_round(wide, rnd, bits + rnd_bits, bits, saturate=True)
    return codes.astype(np.int8), e


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """Parameters of one training run.

    Attributes
    ----------
    seed : int
        Initialization, shuffling and the default random source.
    bits : int
        Fixed-point width of weights, activations, errors and gradients, 2..8.
    rounding : {"stochastic", "nearest", "float"}
        ``"float"`` trains in float64 without any quantization (a reference).
    rnd_bits : int
        k, the random bits per stochastic rounding, 1..16.
    hidden : tuple of int
        Hidden layer widths (default one layer of 32).
    epochs, batch : int
        Passes over the training samples, and minibatch size (the remainder of each
        shuffled epoch is dropped, so every step has exactly ``batch`` samples).
    learning_rate : float
    record_every : int
        Record the codes every this many steps (0: record nothing).
    max_snapshots : int
        Stop recording after this many snapshots (bounds memory).
    """

    seed: int = 1
    bits: int = 8
    rounding: str = "stochastic"
    rnd_bits: int = 6
    hidden: tuple = (32,)
    epochs: int = 20
    batch: int = 32
    learning_rate: float = 0.1
    record_every: int = 1
    max_snapshots: int = 2000

    def __post_init__(self):
        check_int("seed", self.seed, 0)
        check_int("bits", self.bits, 2, 8)
        check_choice("rounding", self.rounding, ROUNDINGS)
        check_int("rnd_bits", self.rnd_bits, 1, MAX_RND_BITS)
        hidden = tuple(self.hidden)
        for width in hidden:
            check_int("hidden", width, 1, 4096)
        object.__setattr__(self, "hidden", hidden)
        check_int("epochs", self.epochs, 1)
        check_int("batch", self.batch, 1, TRAIN_SAMPLES)
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < 100):
            raise ParameterError(f"learning_rate must be a number in (0, 100), not {self.learning_rate!r}")
        check_int("record_every", self.record_every, 0)
        check_int("max_snapshots", self.max_snapshots, 0)

    @property
    def layers(self):
        """Layer widths, input first: ``(64, *hidden, 10)``."""
        return (64, *self.hidden, 10)

    @property
    def steps_per_epoch(self):
        return TRAIN_SAMPLES // self.batch


def record_shape(config, kind, layer):
    """Shape of one recorded snapshot of tensor ``kind`` of ``layer`` (0 = first layer)."""
    kind = check_choice("kind", kind, TENSOR_KINDS)
    layer = check_int("layer", layer, 0, len(config.layers) - 2)
    fan_in, fan_out = config.layers[layer], config.layers[layer + 1]
    if kind in ("weight", "gradient"):
        return (fan_in + 1, fan_out)
    return (config.batch, fan_out)


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    config : TrainingConfig
    test_accuracy, train_accuracy : float
        Clean accuracy (stored weights, activations rounded to nearest, no noise).
    epoch_loss : tuple of float
        Mean training cross-entropy of each epoch.
    steps : int
    random_numbers : int
        Random numbers drawn from the source (0 unless stochastic).
    source : str
        Description of the random source.
    records : dict
        ``(kind, layer) -> int8 array of shape (snapshots, *record_shape(config, kind, layer))``;
        empty for ``rounding="float"`` or ``record_every=0``.
    """

    config: TrainingConfig
    test_accuracy: float
    train_accuracy: float
    epoch_loss: tuple
    steps: int
    random_numbers: int
    source: str
    records: dict = dataclasses.field(repr=False)


def _with_ones(a):
    """Append the constant-1 input column that multiplies the bias row of a weight matrix."""
    return np.concatenate([a, np.ones((a.shape[0], 1))], axis=1)


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _forward(weights, x, round_activation):
    """Activations of every layer, input first; ``round_activation(l, h)`` quantizes."""
    acts = [x]
    for l, w in enumerate(weights):
        h = _with_ones(acts[-1]) @ w
        if l < len(weights) - 1:
            h = np.maximum(h, 0.0)
        acts.append(round_activation(l, h))
    return acts


def train(config=TrainingConfig(), source=None):
    """Train the MLP of ``config`` on the digits; record codes; measure clean accuracy.

    Parameters
    ----------
    config : TrainingConfig
    source : {None, "pcg", "lfsr"} or RandomSource
        Random numbers for stochastic rounding (ignored otherwise). ``None`` means ``"pcg"``;
        names are built by :func:`~stochhw.models.ml.random_sources.make_source`. A given source must have
        ``bits == config.rnd_bits``. Every rounding asks it for numbers through
        :meth:`~stochhw.models.ml.random_sources.RandomSource.numbers_for`; it is told when a step starts
        (:meth:`~stochhw.models.ml.random_sources.RandomSource.start_step`) and shown every stored tensor
        (:meth:`~stochhw.models.ml.random_sources.RandomSource.observe`), so that it can feed the network its own tensors.

    Returns
    -------
    TrainingResult
    """
    if not isinstance(config, TrainingConfig):
        raise ParameterError(f"config must be a TrainingConfig, not {type(config).__name__}")
    stochastic = config.rounding == "stochastic"
    if stochastic:
        if source is None or isinstance(source, str):
            source = make_source(source or "pcg", config.rnd_bits, config.seed)
        elif not isinstance(source, RandomSource):
            raise ParameterError(f"source must be None, 'pcg', 'lfsr' or a RandomSource, not {source!r}")
        if source.bits != config.rnd_bits:
            raise ParameterError(f"source must give rnd_bits = {config.rnd_bits}-bit numbers, "
                                 f"not {source.bits}-bit")
    quantized = config.rounding != "float"
    x_train, y_train, x_test, y_test = load_digits_split()
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(2)[0])
    n_layers = len(config.layers) - 1

    records = {(kind, l): [] for kind in TENSOR_KINDS for l in range(n_layers)} if quantized else {}
    recording = False

    def q(x, kind, layer):
        """Quantize one tensor with the configured rounding; record its codes if due."""
        if not quantized:
            return x
        codes, e = quantize(x, config.bits, config.rnd_bits,
                            source.numbers_for if stochastic else None)
        if stochastic:
            source.observe(kind, layer, codes)
        if recording:
            records[(kind, layer)].append(codes)
        return np.ldexp(codes.astype(np.float64), e)

    def q_nearest(x):
        if not quantized:
            return x
        codes, e = quantize(x, config.bits, config.rnd_bits)
        return np.ldexp(codes.astype(np.float64), e)

    # He initialization; the bias row starts at zero. Rounded to nearest: no randomness spent.
    weights = []
    for fan_in, fan_out in zip(config.layers[:-1], config.layers[1:]):
        w = np.zeros((fan_in + 1, fan_out))
        w[:-1] = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        if quantized:
            codes, e = quantize(w, config.bits, config.rnd_bits)
            w = np.ldexp(codes.astype(np.float64), e)
            if stochastic:
                source.observe("weight", len(weights), codes)
        weights.append(w)

    step, snapshots, epoch_loss = 0, 0, []
    for _ in range(config.epochs):
        order = rng.permutation(x_train.shape[0])
        losses = []
        for b in range(config.steps_per_epoch):
            batch = order[b * config.batch:(b + 1) * config.batch]
            recording = (config.record_every > 0 and step % config.record_every == 0
                         and snapshots < config.max_snapshots)
            snapshots += recording
            if stochastic:
                source.start_step(step)
            acts = _forward(weights, x_train[batch], lambda l, h: q(h, "activation", l))
            probs = _softmax(acts[-1])
            target = y_train[batch]
            losses.append(-np.mean(np.log(probs[np.arange(batch.size), target] + 1e-12)))
            delta = probs
            delta[np.arange(batch.size), target] -= 1.0
            delta = q(delta / batch.size, "error", n_layers - 1)
            for l in range(n_layers - 1, -1, -1):
                grad = q(_with_ones(acts[l]).T @ delta, "gradient", l)
                if l > 0:
                    # Backpropagate through the weights before they are updated; ReLU passes
                    # the error where the (quantized) activation is positive.
                    back = (delta @ weights[l][:-1].T) * (acts[l] > 0)
                    delta = q(back, "error", l - 1)
                weights[l] = q(weights[l] - config.learning_rate * grad, "weight", l)
            step += 1
        epoch_loss.append(float(np.mean(losses)))

    def accuracy(x, y):
        acts = _forward(weights, x, lambda l, h: q_nearest(h))
        return float(np.mean(np.argmax(acts[-1], axis=1) == y))

    stacked = {key: np.stack(codes) if codes else
               np.empty((0, *record_shape(config, *key)), dtype=np.int8)
               for key, codes in records.items()}
    return TrainingResult(
        config=config, test_accuracy=accuracy(x_test, y_test),
        train_accuracy=accuracy(x_train, y_train), epoch_loss=tuple(epoch_loss), steps=step,
        random_numbers=source.drawn if stochastic else 0,
        source=source.describe() if stochastic else config.rounding, records=stacked)


# ------------------------------------------------------------------------------------------
# Direct extraction
# ------------------------------------------------------------------------------------------

def direct_lsbs(codes, bits):
    """The ``bits`` least-significant bits of each signed code (two's complement), flattened.

    Parameters
    ----------
    codes : array_like of int
        Any shape; flattened in C order.
    bits : int
        1..8.

    Returns
    -------
    numpy.ndarray of uint8
        ``codes & (2^bits - 1)``, one number per code.
    """
    bits = check_int("bits", bits, 1, 8)
    codes = np.asarray(codes)
    if not np.issubdtype(codes.dtype, np.integer):
        raise ParameterError(f"codes must be integers, not dtype {codes.dtype}")
    return (codes.astype(np.int64).ravel() & mask(bits)).astype(np.uint8)


def tensor_numbers(result, kind, layer, bits):
    """Direct-extracted ``bits``-bit numbers of the recorded ``kind`` codes of ``layer``.

    Parameters
    ----------
    result : TrainingResult
    kind : {"weight", "activation", "error", "gradient"}
    layer : int or None
        A layer index, or ``None`` for every layer, layer 0 first.
    bits : int
        1..``result.config.bits``.

    Returns
    -------
    numpy.ndarray of uint8
        Snapshot by snapshot (in training order), each snapshot in C order; for ``None``
        each snapshot holds layer 0's codes, then layer 1's, ... so that any prefix of the
        stream covers every layer.
    """
    kind = check_choice("kind", kind, TENSOR_KINDS)
    n_layers = len(result.config.layers) - 1
    layers = range(n_layers) if layer is None else [check_int("layer", layer, 0, n_layers - 1)]
    bits = check_int("bits", bits, 1, result.config.bits)
    if not result.records:
        raise ParameterError("result holds no recorded codes (rounding='float' or record_every=0)")
    codes = [result.records[(kind, l)] for l in layers]
    per_snapshot = np.concatenate([c.reshape(c.shape[0], -1) for c in codes], axis=1)
    return direct_lsbs(per_snapshot, bits)


def tensor_codes(result, kind, layer):
    """The recorded ``kind`` codes of ``layer`` as one stream, in :func:`tensor_numbers` order.

    Parameters
    ----------
    result : TrainingResult
    kind : {"weight", "activation", "error", "gradient"}
    layer : int or None
        A layer index, or ``None`` for every layer (each snapshot: layer 0's codes, then
        layer 1's, ...).

    Returns
    -------
    numpy.ndarray of int8, 1-D
        ``direct_lsbs(tensor_codes(r, kind, layer), n)`` equals ``tensor_numbers(r, kind,
        layer, n)``; extractors that combine several codes (``stochhw.models.extractor``) take this.
    """
    kind = check_choice("kind", kind, TENSOR_KINDS)
    n_layers = len(result.config.layers) - 1
    layers = range(n_layers) if layer is None else [check_int("layer", layer, 0, n_layers - 1)]
    if not result.records:
        raise ParameterError("result holds no recorded codes (rounding='float' or record_every=0)")
    codes = [result.records[(kind, l)] for l in layers]
    return np.concatenate([c.reshape(c.shape[0], -1) for c in codes], axis=1).ravel()
