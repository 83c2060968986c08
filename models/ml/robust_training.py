"""Quantization-aware training of the digits MLP for bit error robustness, and its evaluation on faulty chips.

This follows Stutz et al. (MLSys 2021) at the scale of scikit-learn's 8x8 digits:

* **Network**: a ReLU MLP, default 64-64-10, softmax cross-entropy; parameters are, per layer,
  a weight matrix ``W`` (fan_in, fan_out) and a bias vector ``b``; every one of them is a tensor
  of the quantizer (:mod:`stochhw.models.ml.quantization`) and lives in weight memory.
* **Quantization-aware training** (all methods): float weights are kept; each step quantizes
  them with the method's scheme, runs forward and backward on the dequantized weights, and
  applies that gradient to the float weights (straight-through estimator). Optimizer as in
  the authors' code: SGD with Nesterov momentum 0.9, weight decay 5e-4, learning rate divided
  by 10 at 2/5, 3/5 and 4/5 of the epochs. Weight clipping (``w_max``) projects the float
  weights onto ``[-w_max, w_max]`` after every update.
* **RandBET** (the paper's Algorithm 1, ``p_train > 0``): each step also injects fresh random
  bit errors at rate ``p_train`` into the quantized weights (every bit flips iff ``u <= p``,
  ``u ~ U(0, 1]`` from the training stream), computes the gradient of the loss at the perturbed
  weights, and descends along the mean of the clean and the perturbed gradients. Injection starts
  once the clean loss is below ``loss_threshold``: a step injects iff the previous step's clean
  loss was below the threshold and, if that step injected too, the mean of its clean and
  perturbed losses was not above it (the curriculum of the authors' public example).
* **PattBET** (the paper's Sec. 5.3 baseline, ``pattern`` set): as RandBET, but every injection
  uses the *same* bit errors: those of the chip with seed ``pattern`` at rate ``p_train``
  (:class:`stochhw.models.ml.bit_errors.Chips`), the errors of one fixed low-voltage chip.

Clean error and robust error (RErr, :func:`chip_errors`) are measured on the fixed held-out
450 digits of :func:`stochhw.models.ml.digits.load_digits_split`, or with ``fold`` set on the
held-out part of that fold of :func:`stochhw.models.ml.digits.load_digits_fold` (five folds
test every one of the 1797 digits once). Everything is deterministic for a given
seed: the seed sets initialization, shuffling and training bit errors; chips have their own seeds.
"""

import dataclasses
import math
import numbers

import numpy as np

from stochhw.models.checks import ParameterError, check_int
from stochhw.models.ml.bit_errors import (
    Chips,
    FaultModel,
    MemoryLayout,
    apply_masks,
    check_probability,
    weight_masks,
)
from stochhw.models.ml.digits import DIGITS_FOLDS, TRAIN_SAMPLES, load_digits_fold, load_digits_split
from stochhw.models.ml.quantization import check_bits, check_scheme, check_w_max, dequantize, quantize

__all__ = ["RobustConfig", "RobustModel", "train_robust", "memory_image", "split_image",
           "forward", "chip_errors", "evaluate"]


@dataclasses.dataclass(frozen=True)
class RobustConfig:
    """One training run.

    Attributes
    ----------
    seed : int
    m : int
        Weight bits (8, 4, 3 or 2).
    scheme : str
        Quantization scheme, a name of :data:`stochhw.models.ml.quantization.SCHEMES`.
    w_max : float or None
        Weight clipping bound (None: no clipping).
    p_train : float
        RandBET bit error rate (0: no bit error training).
    loss_threshold : float
        RandBET starts injecting once the clean loss is below this.
    pattern : int or None
        PattBET: the chip seed whose bit errors at ``p_train`` every injection uses (None:
        fresh random errors, RandBET).
    fold : int or None
        Train and test on fold ``fold`` of :func:`stochhw.models.ml.digits.load_digits_fold`
        (None: :func:`stochhw.models.ml.digits.load_digits_split`).
    hidden : tuple of int
    epochs, batch : int
    learning_rate, momentum, weight_decay : float
    """
    seed: int = 1
    m: int = 8
    scheme: str = "rquant"
    w_max: float = None
    p_train: float = 0.0
    loss_threshold: float = 1.75
    pattern: int = None
    fold: int = None
    hidden: tuple = (64,)
    epochs: int = 60
    batch: int = 32
    learning_rate: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4

    def __post_init__(self):
        check_int("seed", self.seed, 0)
        check_bits(self.m)
        check_scheme(self.scheme)
        check_w_max(self.w_max)
        check_probability("p_train", self.p_train)
        if self.pattern is not None:
            check_int("pattern", self.pattern, 0)
            if self.p_train == 0:
                raise ParameterError("pattern needs p_train > 0 (the rate of the fixed pattern)")
        if self.fold is not None:
            check_int("fold", self.fold, 0, DIGITS_FOLDS - 1)
        hidden = tuple(self.hidden)
        for width in hidden:
            check_int("hidden", width, 1, 4096)
        object.__setattr__(self, "hidden", hidden)
        check_int("epochs", self.epochs, 1)
        check_int("batch", self.batch, 1, TRAIN_SAMPLES)
        for name, lo, hi in (("loss_threshold", 0.0, math.inf), ("learning_rate", 0.0, 100.0),
                             ("momentum", 0.0, 1.0), ("weight_decay", 0.0, 1.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                    not (lo <= value < hi) or (name == "learning_rate" and value == 0):
                raise ParameterError(f"{name} must be a number in [{lo}, {hi}), not {value!r}")

    @property
    def layers(self):
        """Layer widths, input first."""
        return (64, *self.hidden, 10)

    def data(self):
        """``(x_train, y_train, x_test, y_test)`` of this run (the split, or the fold)."""
        return load_digits_split() if self.fold is None else load_digits_fold(self.fold)


@dataclasses.dataclass(frozen=True)
class RobustModel:
    """A trained network.

    Attributes
    ----------
    config : RobustConfig
    weights : list of numpy.ndarray
        Float weights ``[W0, b0, W1, b1, ...]``.
    quantized : list of stochhw.models.ml.quantization.QuantizedTensor
        What is stored in weight memory.
    clean_error, train_error : float
        Test and training error of the quantized network (fractions).
    epoch_loss : tuple of float
        Mean clean training loss per epoch.
    injected_steps, steps : int
        Steps with a bit-error pass (RandBET), and all steps.
    first_injection : int or None
        First step with a bit-error pass.
    """
    config: RobustConfig
    weights: list = dataclasses.field(repr=False)
    quantized: list = dataclasses.field(repr=False)
    clean_error: float
    train_error: float
    epoch_loss: tuple
    injected_steps: int
    steps: int
    first_injection: int = None


def forward(params, x):
    """Logits of the MLP; ``params`` may carry a leading chip axis (``W``: (C, fan_in, fan_out))."""
    h = x
    n_layers = len(params) // 2
    for l in range(n_layers):
        w, b = params[2 * l], params[2 * l + 1]
        h = np.matmul(h, w) + b[..., None, :]
        if l < n_layers - 1:
            h = np.maximum(h, 0.0)
    return h


def _loss_and_grads(params, x, y):
    """Mean cross-entropy and its gradient with respect to every parameter."""
    acts = [x]
    n_layers = len(params) // 2
    for l in range(n_layers):
        z = acts[-1] @ params[2 * l] + params[2 * l + 1]
        acts.append(np.maximum(z, 0.0) if l < n_layers - 1 else z)
    z = acts[-1] - acts[-1].max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(y.size)
    loss = -float(logp[rows, y].mean())
    delta = np.exp(logp)
    delta[rows, y] -= 1.0
    delta /= y.size
    grads = [None] * len(params)
    for l in range(n_layers - 1, -1, -1):
        grads[2 * l] = acts[l].T @ delta
        grads[2 * l + 1] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ params[2 * l].T) * (acts[l] > 0)
    return loss, grads


def memory_image(quantized):
    """All stored patterns of a network, concatenated in order and flattened (uint8)."""
    return np.concatenate([q.bits.ravel() for q in quantized])


def split_image(quantized, image):
    """Undo :func:`memory_image` for patterns with leading axes ``(..., n)``: one array per tensor."""
    image = np.asarray(image)
    out, start = [], 0
    for q in quantized:
        out.append(image[..., start:start + q.bits.size].reshape(*image.shape[:-1], *q.bits.shape))
        start += q.bits.size
    return out


def _error(params, x, y):
    return float(np.mean(np.argmax(forward(params, x), axis=-1) != y))


def train_robust(config=RobustConfig()):
    """Train the MLP of ``config`` with quantization-aware training (and RandBET if ``p_train``).

    Returns
    -------
    RobustModel
    """
    if not isinstance(config, RobustConfig):
        raise ParameterError(f"config must be a RobustConfig, not {type(config).__name__}")
    x_train, y_train, x_test, y_test = config.data()
    n_train = x_train.shape[0]
    init_seq, shuffle_seq, error_seq = np.random.SeedSequence(config.seed).spawn(3)
    init_rng = np.random.default_rng(init_seq)
    shuffle_rng = np.random.default_rng(shuffle_seq)
    error_rng = np.random.default_rng(error_seq)

    params = []
    for fan_in, fan_out in zip(config.layers[:-1], config.layers[1:]):
        params.append(init_rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out)))
        params.append(np.zeros(fan_out))
    if config.w_max is not None:
        params = [np.clip(p, -config.w_max, config.w_max) for p in params]
    velocity = [np.zeros_like(p) for p in params]

    def quantized_of(weights):
        return quantize(weights, config.m, config.scheme, config.w_max)

    steps_per_epoch = n_train // config.batch
    milestones = [steps_per_epoch * (config.epochs * k // 5) for k in (2, 3, 4)]
    n_weights = sum(p.size for p in params)
    layout = MemoryLayout(n_weights, config.m)
    if config.pattern is not None:
        # One chip's cells at p_train: the same masks at every injection.
        flip01, flip10 = Chips.for_layout([config.pattern], layout).cell_maps(config.p_train)
        pattern_masks = weight_masks(flip01[0], layout), weight_masks(flip10[0], layout)
    step, injected, first_injection, inject_next = 0, 0, None, False
    epoch_loss = []
    for _ in range(config.epochs):
        order = shuffle_rng.permutation(n_train)
        losses = []
        for b in range(steps_per_epoch):
            batch = order[b * config.batch:(b + 1) * config.batch]
            xb, yb = x_train[batch], y_train[batch]
            quantized = quantized_of(params)
            loss, grads = _loss_and_grads(dequantize(quantized), xb, yb)
            losses.append(loss)
            perturbed_loss = None
            if inject_next:
                if config.pattern is None:
                    # Fresh random bit errors every step: every bit of every weight flips iff
                    # u <= p.
                    flips = (1.0 - error_rng.random((layout.rows, layout.row_bits))) <= config.p_train
                    both = weight_masks(flips, layout)
                    masks = both, both
                else:
                    masks = pattern_masks
                image = apply_masks(memory_image(quantized), *masks, config.m)
                perturbed = dequantize(quantized, split_image(quantized, image))
                perturbed_loss, perturbed_grads = _loss_and_grads(perturbed, xb, yb)
                grads = [(g + gp) / 2 for g, gp in zip(grads, perturbed_grads)]
                injected += 1
                if first_injection is None:
                    first_injection = step
            if config.p_train > 0:
                inject_next = loss < config.loss_threshold and (
                    perturbed_loss is None or (loss + perturbed_loss) / 2 <= config.loss_threshold)
            lr = config.learning_rate * 0.1 ** sum(step >= s for s in milestones)
            for i, (p, g) in enumerate(zip(params, grads)):
                # torch.optim.SGD with nesterov=True and weight_decay, as in the authors' code.
                d = g + config.weight_decay * p
                velocity[i] = config.momentum * velocity[i] + d
                p -= lr * (d + config.momentum * velocity[i])
                if config.w_max is not None:
                    np.clip(p, -config.w_max, config.w_max, out=p)
            step += 1
        epoch_loss.append(float(np.mean(losses)))

    quantized = quantized_of(params)
    clean = dequantize(quantized)
    return RobustModel(config=config, weights=params, quantized=quantized,
                       clean_error=_error(clean, x_test, y_test),
                       train_error=_error(clean, x_train, y_train),
                       epoch_loss=tuple(epoch_loss), injected_steps=injected, steps=step,
                       first_injection=first_injection)


def chip_errors(quantized, images, x=None, y=None):
    """Test error of the network read back as ``images`` (one memory image per chip).

    Parameters
    ----------
    quantized : list of QuantizedTensor
    images : numpy.ndarray of uint8, shape (chips, n)
    x, y : numpy.ndarray, optional
        Inputs and labels (default: the held-out digits).

    Returns
    -------
    numpy.ndarray of float, shape (chips,)
    """
    if x is None:
        _, _, x, y = load_digits_split()
    params = dequantize(quantized, split_image(quantized, images))
    return np.mean(np.argmax(forward(params, x), axis=-1) != y, axis=-1)


def evaluate(model, ps, chips, fault_model=FaultModel(), row_bits=64):
    """RErr of ``model`` on every chip at every bit error rate.

    Parameters
    ----------
    model : RobustModel
    ps : sequence of float
        Bit error rates in [0, 1].
    chips : Chips or sequence of int
        Chip draws or chip seeds (same chips at every p: errors at a lower p are a subset).
    fault_model : FaultModel

    Returns
    -------
    errors : numpy.ndarray, shape (len(ps), chips)
        Test error of each chip at each rate.
    flip_rates : numpy.ndarray, shape (len(ps), chips)
        Fraction of stored weight bits that read back changed.
    """
    image = memory_image(model.quantized)
    _, _, x_test, y_test = model.config.data()
    layout = MemoryLayout(image.size, model.config.m, row_bits)
    if not isinstance(chips, Chips):
        chips = Chips.for_layout(chips, layout)
    errors, rates = [], []
    for p in ps:
        flip01, flip10 = chips.cell_maps(p, fault_model)
        faulty = apply_masks(image, weight_masks(flip01, layout), weight_masks(flip10, layout),
                             model.config.m)
        changed = np.unpackbits((faulty ^ image)[..., None], axis=-1).sum(axis=(-1, -2))
        rates.append(changed / (image.size * model.config.m))
        errors.append(chip_errors(model.quantized, faulty, x_test, y_test))
    return np.array(errors), np.array(rates)
