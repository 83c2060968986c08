"""``stochhw analyze randomness``: how good a source of random numbers is, for stochastic rounding.

Usage::

    stochhw analyze randomness --source SRC [--bits N] [--length L] [--seed S]
                               [--method direct|multi_lsb] [--mapping M0,M1,...] [--json]
                               [--out DIR]

It prints a summary (:func:`format_text`) or, with ``--json``, the JSON below; ``--out DIR``
also writes ``randomness.md`` and ``randomness.json`` into DIR (:func:`report_files`).

``SRC`` names the source of N-bit numbers (``--bits N``, 1..16, default 6):

``lfsr:WIDTH[:SEED]``
    One Galois LFSR (table taps, WIDTH 2..32, SEED a nonzero start state, default 1).
    Number t is the low N bits of state t (state 0 = SEED): the *successive states*, as the
    ``sru_lfsr`` design feeds its rounding unit, not the one-bit output stream. N <= WIDTH.
``pcg[:SEED]``
    NumPy's PCG64, ``np.random.default_rng(SEED).integers(0, 2**N)``; SEED defaults to
    ``--seed``.
``file:PATH``
    The raw bytes of a file; bits are taken least-significant first within each byte, as
    ``numpy.unpackbits(..., bitorder="little")``.
``weight:LAYER``, ``activation:LAYER``, ``error:LAYER``, ``gradient:LAYER``
    The codes recorded while training the default network of :mod:`stochhw.models.ml.training`
    (``TrainingConfig(seed=--seed)``: 64-32-10, 8-bit fixed point, stochastic rounding from
    PCG64; LAYER 0, 1 or ``all``), passed through an ``lsb_extractor`` model
    (:func:`stochhw.models.extractor.extract_stream`: static routing, seed 1, 16 lanes, no reuse).
    The codes form one stream, snapshot by snapshot in training order (for ``all``, each
    snapshot's layers in turn), cut into cycles: ``--method direct`` (default; the paper's
    Method #1) makes each number from the N low bits (two's complement) of one code, 16
    codes per cycle, N <= 8; ``--method multi_lsb`` (Method #2) makes each number from the
    LSBs of N different codes, 16 * N codes per cycle. A shorter ``--length`` covers an
    early part of training.
``pixel:DIST[:PARAMS]``
    Numbers of a ``pixel_extractor`` model (:mod:`stochhw.models.pixel`) with N-bit numbers (N <= 8)
    on all 29 eligible pixel locations of scikit-learn's 8x8 digits, thresholds computed from
    the same images (so the distribution is matched in-sample), image after image in dataset
    order (1797 images, 29 numbers each). DIST is ``uniform``, ``gauss[:SIGMA]`` (SIGMA > 0,
    default 1/3) or ``beta[:ALPHA:BETA]`` (both > 0, default 2:2, the design's defaults);
    numbers may be written as decimals or fractions, e.g. ``pixel:gauss:1/3``,
    ``pixel:beta:1:2``. Only ``uniform`` aims at uniform numbers: entropy, bias and NIST then
    say how far the shaped distributions are from uniform, which is their purpose.

``--mapping`` applies a permutation of ``0 .. 2^N - 1`` to every number of any source
(``out = mapping[number]``, the ``mapping`` parameter of ``lsb_extractor``); the stream is
then the mapped numbers' bits (whole numbers only).

Every source becomes one bit stream of ``--length L`` bits (default 1,000,000, the size the
NIST tests are designed for; a file or tensor source that holds fewer gives what it has, but
at least 100 bits). Numbers and stream are the same data: number k is bits ``k*N .. k*N+N-1``
of the stream, first bit least significant (:func:`stochhw.models.stats.entropy.pack_bits`).

Three analyses:

* **entropy**: plug-in Shannon entropy of the N-bit numbers, in bits per number and per bit;
  ``ideal_bits_per_number`` is what a perfect source is expected to score at this sample size
  (the plug-in estimate is biased low by about (2^N - 1) / (2 n ln 2) bits for n numbers).
* **sru_bias**: the mean of ``y * 2^k - x`` (k = N, in LSBs of x) when these numbers feed a
  stochastic rounding unit, swept over every fractional part f = x mod 2^k = 0 .. 2^k - 1 with
  every number rounding every x. It equals mean(number) - (2^k - 1)/2; its standard error is
  the numbers' sample standard deviation over sqrt(n), which assumes independent numbers.
  ``max_abs_bias_lsb`` is the worst fractional part's bias.
* **nist**: the 15 tests of NIST SP 800-22 (:mod:`stochhw.models.stats.nist`) at alpha = 0.01. A test with
  several p-values passes by the proportion rule of section 4.2.1 applied across them
  (:func:`stochhw.models.stats.nist.passed`); a test whose preconditions fail (too few bits, too few
  random-walk cycles) is "not applicable", never a pass.

JSON schema (``--json``; keys are stable, objects are printed with sorted keys)::

    {
      "source": {"spec": str, "kind": str, "description": str,
                 "mapping": [int] | null,
                 ... kind-specific: "width", "seed" (lfsr); "seed" (pcg); "path", "file_bits"
                 (file); "layer" (int or "all"), "method", "training" (tensor kinds: "seed",
                 "bits", "rounding", "rnd_bits", "test_accuracy", "snapshots",
                 "available_numbers"); "distribution", "sigma", "alpha", "beta", "lanes",
                 "images", "available_numbers" (pixel)},
      "bits": int,                       # N
      "n_bits": int,                     # length of the analysed bit stream
      "n_numbers": int,                  # n_bits // N
      "entropy": {"bits_per_number": float, "bits_per_bit": float,
                  "ideal_bits_per_number": float, "max_bits_per_number": int},
      "sru_bias": {"k": int, "numbers": int, "mean_bias_lsb": float,
                   "standard_error_lsb": float, "max_abs_bias_lsb": float,
                   "max_abs_bias_fraction": int},
      "nist": {"alpha": float, "rule": str,
               "summary": {"pass": int, "fail": int, "not_applicable": int},
               "tests": [{"name": str, "verdict": "pass" | "fail" | "not applicable",
                          "p_values": [float], "labels": [str], "passing": int | null,
                          "threshold": float | null, "reason": str}]}
    }

Bad input raises :class:`stochhw.models.checks.ParameterError` naming ``source``, ``bits``,
``length``, ``method`` or ``mapping``; the CLI prints it as one line and exits with status 2.
"""

import dataclasses
import functools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.extractor import METHODS, check_mapping, extract_stream
from stochhw.models.gf2 import MAX_WIDTH, MIN_WIDTH
from stochhw.models.ml.random_sources import LFSRSource, PCGSource
from stochhw.models.ml.training import TENSOR_KINDS, TrainingConfig, tensor_codes, train
from stochhw.models.pixel import (
    DISTRIBUTIONS,
    PixelExtractorModel,
    PixelExtractorSpec,
    eligible_locations,
    lane_pixels,
    pixel_numbers,
)
from stochhw.models.stats import nist
from stochhw.models.stats.entropy import pack_bits, shannon_entropy
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.limits import check_memory
from stochhw.sim.core.reportkit import json_text, number, table, write_report

__all__ = ["KINDS", "DEFAULT_LENGTH", "EXTRACTOR_LANES", "EXTRACTOR_SEED", "SourceSpec",
           "parse_source", "parse_mapping", "trained", "tensor_source_numbers", "pixel_source_numbers",
           "source_stream", "unpack_numbers", "entropy_summary", "sru_bias", "nist_summary",
           "analyze_source", "format_text", "randomness_markdown", "report_files", "run"]

KINDS = ("lfsr", "pcg", "file", *TENSOR_KINDS, "pixel")
#: The lsb_extractor applied to tensor sources: lanes and static-routing seed.
EXTRACTOR_LANES = 16
EXTRACTOR_SEED = 1
#: Default shape parameters of pixel sources: the pixel_extractor design's defaults.
PIXEL_DEFAULTS = {name: PixelExtractorSpec.param(name).default for name in ("sigma", "alpha", "beta")}
DEFAULT_LENGTH = 1_000_000
#: The shortest input any NIST test accepts (frequency, runs, cusum: n >= 100).
MIN_BITS = 100
MAX_BITS = 16
ALPHA = 0.01


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """A parsed ``--source``: ``kind`` plus the fields that kind uses (others ``None``)."""
    spec: str
    kind: str
    width: int | None = None
    seed: int | None = None
    path: str | None = None
    layer: int | None = None          # None with a tensor kind means "all"
    distribution: str | None = None   # pixel: uniform, gauss or beta
    sigma: float | None = None
    alpha: float | None = None
    beta: float | None = None


def _spec_int(text, what, spec):
    try:
        return int(text, 0)
    except ValueError:
        raise ParameterError(f"source: {what} must be an integer, not {text!r} (in {spec!r})") from None


def _spec_positive(text, what, spec):
    """A number > 0 written as a decimal or a fraction (``1/3``)."""
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ParameterError(f"source: {what} must be a number such as 0.5 or 1/3, not {text!r} "
                             f"(in {spec!r})") from None
    if value <= 0:
        raise ParameterError(f"source: {what} must be > 0, not {text!r} (in {spec!r})")
    return float(value)


def _parse_pixel(text, fields):
    usage = "pixel:uniform, pixel:gauss[:SIGMA] or pixel:beta[:ALPHA:BETA]"
    if not fields or not fields[0]:
        raise ParameterError(f"source: expected {usage}, not {text!r}")
    distribution, params = fields[0], fields[1:]
    if distribution not in DISTRIBUTIONS:
        raise ParameterError(f"source: unknown pixel distribution {distribution!r} in {text!r} "
                             f"(known: {', '.join(DISTRIBUTIONS)}; {usage})")
    count = {"uniform": (0,), "gauss": (0, 1), "beta": (0, 2)}[distribution]
    if len(params) not in count:
        raise ParameterError(f"source: expected {usage}, not {text!r}")
    sigma = float(PIXEL_DEFAULTS["sigma"])
    alpha, beta = float(PIXEL_DEFAULTS["alpha"]), float(PIXEL_DEFAULTS["beta"])
    if distribution == "gauss" and params:
        sigma = _spec_positive(params[0], "sigma", text)
    if distribution == "beta" and params:
        alpha = _spec_positive(params[0], "alpha", text)
        beta = _spec_positive(params[1], "beta", text)
    if distribution != "gauss":
        sigma = None
    if distribution != "beta":
        alpha = beta = None
    return SourceSpec(text, "pixel", distribution=distribution, sigma=sigma, alpha=alpha,
                      beta=beta)


def parse_source(text):
    """Parse a ``--source`` string (see the module docstring) into a :class:`SourceSpec`.

    Raises
    ------
    ParameterError
        Unknown kind or malformed spec; the message starts with ``source``.
    """
    if not isinstance(text, str):
        raise ParameterError(f"source must be a string, not {text!r}")
    kind, _, rest = text.partition(":")
    if kind not in KINDS:
        raise ParameterError(f"source: unknown kind {kind!r} in {text!r} "
                             f"(known: lfsr:WIDTH[:SEED], pcg[:SEED], file:PATH, "
                             f"{'|'.join(TENSOR_KINDS)}:LAYER, pixel:DIST[:PARAMS])")
    if kind == "file":
        if not rest:
            raise ParameterError(f"source: file needs a path, file:PATH (in {text!r})")
        return SourceSpec(text, kind, path=rest)
    fields = rest.split(":") if rest else []
    if kind == "pixel":
        return _parse_pixel(text, fields)
    if kind == "lfsr":
        if not 1 <= len(fields) <= 2:
            raise ParameterError(f"source: expected lfsr:WIDTH[:SEED], not {text!r}")
        width = _spec_int(fields[0], "LFSR width", text)
        if not MIN_WIDTH <= width <= MAX_WIDTH:
            raise ParameterError(f"source: LFSR width must be in {MIN_WIDTH}..{MAX_WIDTH}, "
                                 f"not {width} (in {text!r})")
        seed = _spec_int(fields[1], "LFSR seed", text) if len(fields) == 2 else 1
        if not 1 <= seed <= mask(width):
            raise ParameterError(f"source: LFSR seed must be in 1..{mask(width)} (a nonzero "
                                 f"{width}-bit state), not {seed} (in {text!r})")
        return SourceSpec(text, kind, width=width, seed=seed)
    if kind == "pcg":
        if len(fields) > 1:
            raise ParameterError(f"source: expected pcg[:SEED], not {text!r}")
        seed = _spec_int(fields[0], "PCG seed", text) if fields else None
        if seed is not None and seed < 0:
            raise ParameterError(f"source: PCG seed must be >= 0, not {seed} (in {text!r})")
        return SourceSpec(text, kind, seed=seed)
    # A tensor kind.
    layers = len(TrainingConfig().layers) - 1
    if len(fields) != 1 or not fields[0]:
        raise ParameterError(f"source: expected {kind}:LAYER with LAYER in 0..{layers - 1} "
                             f"or 'all', not {text!r}")
    if fields[0] == "all":
        return SourceSpec(text, kind, layer=None)
    layer = _spec_int(fields[0], "layer", text)
    if not 0 <= layer < layers:
        raise ParameterError(f"source: unknown layer {layer} in {text!r}; the network has "
                             f"layers 0..{layers - 1} (or 'all')")
    return SourceSpec(text, kind, layer=layer)


def parse_mapping(text):
    """Parse ``--mapping``: comma-separated integers, e.g. ``3,1,2,7,4,6,5,0``; ``None`` passes."""
    if text is None:
        return None
    try:
        return tuple(int(field, 0) for field in text.split(","))
    except ValueError:
        raise ParameterError(f"mapping must be comma-separated integers such as 3,1,2,7,4,6,5,0, "
                             f"not {text!r}") from None


def unpack_numbers(numbers, bits):
    """The bit stream of ``bits``-bit numbers, least significant bit first (inverse of
    :func:`stochhw.models.stats.entropy.pack_bits`)."""
    numbers = np.asarray(numbers, dtype=np.uint64)
    shifts = np.arange(bits, dtype=np.uint64)
    return ((numbers[:, None] >> shifts) & np.uint64(1)).astype(np.uint8).ravel()


def _numbers_stream(numbers, bits, length):
    """The first ``length`` bits of the stream of ``numbers``."""
    count = min(numbers.size, -(-length // bits))
    return unpack_numbers(numbers[:count], bits)[:length]


@functools.lru_cache(maxsize=4)
def trained(seed):
    """The training run whose codes the tensor sources use: ``train(TrainingConfig(seed=seed))``.

    Cached: one run serves every tensor source of a seed (a run takes a second or two).
    """
    return train(TrainingConfig(seed=check_int("seed", seed, 0)))


def tensor_source_numbers(result, kind, layer, bits, method="direct", mapping=None, stride=1):
    """Numbers the ``lsb_extractor`` model takes from the recorded codes of a training run.

    Parameters
    ----------
    result : stochhw.models.ml.training.TrainingResult
    kind : {"weight", "activation", "error", "gradient"}
    layer : int or None
        ``None``: every layer, each snapshot's layers in turn (:func:`stochhw.models.ml.training.tensor_codes`).
    bits : int
        N, 1..8 (the width of the codes).
    method : {"direct", "multi_lsb"}
    mapping : sequence of int, optional
    stride : int
        Use every ``stride``-th snapshot only (1: all), so that a bounded number of bits can
        cover the whole of training.

    Returns
    -------
    ndarray of uint64
        :data:`EXTRACTOR_LANES` numbers per extractor cycle, cycle after cycle.
    """
    method = check_choice("method", method, METHODS)
    stride = check_int("stride", stride, 1)
    if stride > 1:
        result = dataclasses.replace(result, records={key: codes[::stride] for key, codes
                                                      in result.records.items()})
    codes = tensor_codes(result, kind, layer)
    return extract_stream(codes, bits=bits, method=method, lanes=EXTRACTOR_LANES,
                          seed=EXTRACTOR_SEED, mapping=mapping, src_width=result.config.bits)


def pixel_source_numbers(spec, bits):
    """The numbers of a ``pixel:`` source and its extractor model (see the module docstring)."""
    if isinstance(spec, str):
        spec = parse_source(spec)
    lanes = len(eligible_locations(8))
    params = {name: getattr(spec, name) for name in ("sigma", "alpha", "beta")
              if getattr(spec, name) is not None}
    model = PixelExtractorModel(lanes=lanes, bits=bits, distribution=spec.distribution, **params)
    return pixel_numbers(lane_pixels(lanes), model.threshold_table).ravel(), model


#: Peak memory of an analysis per bit of ``--length`` (measured 32 bytes, with a margin).
BYTES_PER_BIT = 40


def source_stream(spec, bits, length=None, seed=1, method="direct", mapping=None):
    """The bit stream of source ``spec``, and facts about the source for the report.

    Parameters
    ----------
    spec : SourceSpec or str
    bits : int
        N, bits per number, 1..16 (<= WIDTH for an LFSR, <= 8 for tensor and pixel sources).
    length : int, optional
        Bits wanted, >= 100; default :data:`DEFAULT_LENGTH`. File, tensor and pixel sources
        may give fewer (at least 100).
    seed : int
        Default PCG seed, and the training seed of tensor sources.
    method : {"direct", "multi_lsb"}
        Extraction method of tensor sources; other sources accept only the default.
    mapping : sequence of int, optional
        Permutation of ``0 .. 2^bits - 1`` applied to every number.

    Returns
    -------
    stream : numpy.ndarray of uint8
        0/1 bits, first bit first.
    info : dict
        The ``"source"`` object of the JSON schema.
    """
    if isinstance(spec, str):
        spec = parse_source(spec)
    bits = check_int("bits", bits, 1, MAX_BITS)
    length = DEFAULT_LENGTH if length is None else length
    length = check_int("length", length, MIN_BITS)
    # Measured: about 32 bytes per analysed bit (the stream, its numbers and the NIST tests'
    # arrays); refuse a length that cannot fit before allocating any of it.
    check_memory(BYTES_PER_BIT * length, f"--length {length}",
                 f"analyse fewer bits (the default is {DEFAULT_LENGTH})")
    seed = check_int("seed", seed, 0)
    method = check_choice("method", method, METHODS)
    mapping = check_mapping(mapping, bits)
    tensor = spec.kind in TENSOR_KINDS
    if method != "direct" and not tensor:
        raise ParameterError(f"method: {method} applies to tensor sources "
                             f"({'|'.join(TENSOR_KINDS)}:LAYER) only, not to {spec.kind}")
    info = {"spec": spec.spec, "kind": spec.kind}
    if spec.kind == "lfsr":
        if bits > spec.width:
            raise ParameterError(f"bits must be <= the LFSR width {spec.width}, not {bits}")
        source = LFSRSource(bits, spec.width, spec.seed)
        numbers = source.draw(-(-length // bits))
        info.update(width=spec.width, seed=spec.seed,
                    description=f"{source.describe()} of successive states")
    elif spec.kind == "pcg":
        pcg_seed = seed if spec.seed is None else spec.seed
        source = PCGSource(bits, pcg_seed)
        numbers = source.draw(-(-length // bits))
        info.update(seed=pcg_seed, description=source.describe())
    elif spec.kind == "file":
        path = Path(spec.path)
        if not path.is_file():
            raise ParameterError(f"source: no such file {spec.path!r}")
        size = path.stat().st_size
        if size == 0:
            raise ParameterError(f"source: file {spec.path!r} is empty")
        if size * 8 < MIN_BITS:
            raise ParameterError(f"source: file {spec.path!r} holds {size * 8} bits; "
                                 f"the shortest NIST test needs {MIN_BITS}")
        data = np.fromfile(path, dtype=np.uint8, count=min(size, -(-length // 8)))
        stream = np.unpackbits(data, bitorder="little")[:length]
        numbers = None
        if mapping is not None:             # whole numbers only: a leftover < N bits is dropped
            numbers = pack_bits(stream, bits)
            if numbers.size * bits < MIN_BITS:
                raise ParameterError(f"length must hold at least {MIN_BITS} bits of whole "
                                     f"{bits}-bit numbers")
        info.update(path=spec.path, file_bits=size * 8,
                    description=f"bytes of {spec.path}, least significant bit first")
    elif spec.kind == "pixel":
        if bits > 8:
            raise ParameterError(f"bits must be <= 8 for a pixel source (8-bit pixels), not {bits}")
        numbers, model = pixel_source_numbers(spec, bits)
        if spec.distribution == "gauss":
            shape = f"Gaussian (sigma {spec.sigma:g})"
        elif spec.distribution == "beta":
            shape = f"Beta({spec.alpha:g}, {spec.beta:g})"
        else:
            shape = "uniform"
        info.update(distribution=spec.distribution, sigma=spec.sigma, alpha=spec.alpha,
                    beta=spec.beta, lanes=model.lanes, images=numbers.size // model.lanes,
                    available_numbers=int(numbers.size),
                    description=f"pixel_extractor, {bits}-bit {shape} numbers from "
                                f"{model.lanes} pixel locations of the digits, image by image")
    else:
        if bits > 8:
            raise ParameterError(f"bits must be <= 8, the width of the recorded codes, "
                                 f"not {bits}")
        result = trained(seed)
        config = result.config
        numbers = tensor_source_numbers(result, spec.kind, spec.layer, bits, method)
        if numbers.size * bits < MIN_BITS:
            raise ParameterError(f"source: {spec.spec!r} holds {numbers.size * bits} bits; "
                                 f"the shortest NIST test needs {MIN_BITS}")
        layer = "all" if spec.layer is None else spec.layer
        how = (f"the {bits} LSBs of one code per number (direct)" if method == "direct" else
               f"the LSBs of {bits} codes per number (multi_lsb)")
        info.update(layer=layer, method=method, description=(
            f"{spec.kind} codes of {'all layers' if spec.layer is None else f'layer {layer}'} "
            f"through a {EXTRACTOR_LANES}-lane lsb_extractor: {how}"),
            training={"seed": seed, "bits": config.bits, "rounding": config.rounding,
                      "rnd_bits": config.rnd_bits, "test_accuracy": result.test_accuracy,
                      "snapshots": int(result.records[(spec.kind, 0)].shape[0]),
                      "available_numbers": int(numbers.size)})
    if numbers is not None:
        if mapping is not None:
            numbers = np.asarray(mapping, dtype=np.uint64)[numbers]
        stream = _numbers_stream(numbers, bits, length)
    info["mapping"] = None if mapping is None else list(mapping)
    if mapping is not None:
        info["description"] += ", mapped"
    return stream, info


def entropy_summary(numbers, bits):
    """The ``"entropy"`` object of the JSON schema for ``numbers`` (at least one)."""
    h = shannon_entropy(numbers, bits)
    # Plug-in bias for a uniform source (Miller 1955): (K - 1) / (2 n ln 2), K = 2^bits values.
    ideal = bits - ((1 << bits) - 1) / (2 * numbers.size * math.log(2))
    return {"bits_per_number": h, "bits_per_bit": h / bits,
            "ideal_bits_per_number": max(ideal, 0.0), "max_bits_per_number": bits}


def sru_bias(numbers, bits):
    """The ``"sru_bias"`` object: mean of ``y*2^k - x`` with these numbers as ``rnd``.

    For fractional part f the unit rounds up iff ``rnd >= 2^k - f`` (``floor((x + rnd)/2^k)``,
    :func:`stochhw.models.sru.stochastic_round`), so the mean error over the numbers is
    ``2^k * P(rnd >= 2^k - f) - f``; averaged over f = 0..2^k-1 it is ``mean(rnd) - (2^k-1)/2``.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    size = 1 << bits
    counts = np.bincount(numbers, minlength=size)
    # at_least[v] = count of numbers >= v; bias(f) uses v = 2^k - f (v = 2^k: none).
    at_least = np.concatenate([np.cumsum(counts[::-1])[::-1], [0]])
    f = np.arange(size)
    bias = size * at_least[size - f] / numbers.size - f
    worst = int(np.argmax(np.abs(bias)))
    spread = float(np.std(numbers, ddof=1)) if numbers.size > 1 else float("nan")
    return {"k": bits, "numbers": int(numbers.size),
            "mean_bias_lsb": float(numbers.mean() - (size - 1) / 2),
            "standard_error_lsb": spread / math.sqrt(numbers.size),
            "max_abs_bias_lsb": float(abs(bias[worst])), "max_abs_bias_fraction": worst}


def nist_summary(stream, alpha=ALPHA):
    """The ``"nist"`` object: every SP 800-22 test on ``stream`` with its verdict."""
    tests, summary = [], {"pass": 0, "fail": 0, "not_applicable": 0}
    for result in nist.run_all(stream, alpha):
        m = len(result.p_values)
        if not result.applicable:
            verdict = "not applicable"
            summary["not_applicable"] += 1
        else:
            verdict = "pass" if result.passed else "fail"
            summary[verdict] += 1
        tests.append({
            "name": result.name, "verdict": verdict, "p_values": list(result.p_values),
            "labels": list(result.labels),
            "passing": sum(p >= alpha for p in result.p_values) if m else None,
            "threshold": nist.proportion_threshold(m, alpha) if m else None,
            "reason": result.reason})
    return {"alpha": alpha,
            "rule": "SP 800-22 section 4.2.1 proportion rule across each test's p-values: pass "
                    "iff the share of p-values >= alpha is >= (1-alpha) - 3*sqrt(alpha*(1-alpha)/m)",
            "summary": summary, "tests": tests}


def analyze_source(source, bits=6, length=None, seed=1, method="direct", mapping=None):
    """Entropy, SRU bias and NIST verdicts of ``source``; the JSON document of the schema."""
    stream, info = source_stream(source, bits, length, seed, method, mapping)
    numbers = pack_bits(stream, bits)
    if numbers.size == 0:           # only possible if length < bits; length >= 100 > 16
        raise ParameterError(f"length must hold at least one {bits}-bit number")
    return {"source": info, "bits": bits, "n_bits": int(stream.size),
            "n_numbers": int(numbers.size), "entropy": entropy_summary(numbers, bits),
            "sru_bias": sru_bias(numbers, bits), "nist": nist_summary(stream)}


def format_text(report):
    """The human-readable form of an :func:`analyze_source` report."""
    info, ent, bias, tests = report["source"], report["entropy"], report["sru_bias"], report["nist"]
    lines = [f"source {info['spec']}: {info['description']}"]
    if "training" in info:
        t = info["training"]
        lines.append(f"  recorded while training ({t['bits']}-bit, {t['rounding']} rounding, "
                     f"seed {t['seed']}, test accuracy {t['test_accuracy']:.4f}, "
                     f"{t['snapshots']} snapshots, {t['available_numbers']} numbers)")
    lines += [
        f"  {report['n_bits']} bits = {report['n_numbers']} numbers of {report['bits']} bits",
        f"entropy: {ent['bits_per_number']:.4f} bits per number (a perfect source would score "
        f"{ent['ideal_bits_per_number']:.4f} on this many), {ent['bits_per_bit']:.4f} per bit",
        f"SRU bias (k = {bias['k']}, every x mod 2^k): mean {bias['mean_bias_lsb']:+.4f} LSB "
        f"(standard error {bias['standard_error_lsb']:.4f}), worst "
        f"{bias['max_abs_bias_lsb']:.4f} LSB at x mod 2^k = {bias['max_abs_bias_fraction']}",
        f"NIST SP 800-22 at alpha = {tests['alpha']} (tests with several p-values: proportion rule)",
    ]
    for t in tests["tests"]:
        if t["verdict"] == "not applicable":
            detail = t["reason"]
        elif len(t["p_values"]) == 1:
            detail = f"p = {t['p_values'][0]:.4f}" + (f" ({t['reason']})" if t["reason"] else "")
        else:
            detail = (f"{t['passing']}/{len(t['p_values'])} p-values >= alpha (share needed "
                      f">= {t['threshold']:.3f}), min p = {min(t['p_values']):.4f}")
        lines.append(f"  {t['name']:<27} {t['verdict']:<15} {detail}")
    s = tests["summary"]
    lines.append(f"  {s['pass']} passed, {s['fail']} failed, {s['not_applicable']} not applicable")
    return "\n".join(lines)


def randomness_markdown(report):
    """``randomness.md``: an :func:`analyze_source` report as a page (``--out``)."""
    info, ent, bias, tests = report["source"], report["entropy"], report["sru_bias"], report["nist"]
    s = tests["summary"]
    return "\n".join([
        f"# Randomness of `{info['spec']}`",
        "",
        f"Regenerate with `stochhw analyze randomness --source {info['spec']} --bits "
        f"{report['bits']}` and the same options (source: `sim/analyses/randomness.py`). "
        f"Every number is in `randomness.json`.",
        "",
        f"{info['description']}: {report['n_bits']} bits = {report['n_numbers']} numbers of "
        f"{report['bits']} bits.",
        "",
        *table(["measure", "value", "ideal source"], "lrr", [
            ["entropy (bits per number)", number(ent["bits_per_number"], 4),
             number(ent["ideal_bits_per_number"], 4)],
            [f"mean SRU bias, k = {bias['k']} (LSB)",
             f"{number(bias['mean_bias_lsb'], 4, sign=True)} ± "
             f"{number(bias['standard_error_lsb'], 4)}", "0"],
            [f"worst SRU bias (LSB, at x mod 2^k = {bias['max_abs_bias_fraction']})",
             number(bias["max_abs_bias_lsb"], 4), "0"]]),
        "",
        f"NIST SP 800-22 at alpha = {tests['alpha']}: {s['pass']} passed, {s['fail']} failed, "
        f"{s['not_applicable']} not applicable (tests with several p-values: proportion rule).",
        "",
        *table(["test", "verdict", "p-values", "detail"], "llrl",
               ([t["name"], t["verdict"], len(t["p_values"]),
                 t["reason"] if not t["p_values"] else
                 f"min p = {min(t['p_values']):.4f}" + (f" ({t['reason']})" if t["reason"] else "")]
                for t in tests["tests"])),
        "",
    ])


def report_files(report):
    """``randomness.md`` and ``randomness.json``."""
    return {"randomness.md": randomness_markdown(report), "randomness.json": json_text(report)}


def run(args):
    """``stochhw analyze randomness``."""
    if args.source is None:
        raise ParameterError("source is required for analyze randomness, e.g. --source pcg:1, "
                             "lfsr:16, file:PATH, weight:0 or pixel:uniform")
    report = analyze_source(args.source, bits=6 if args.bits is None else args.bits,
                            length=args.length, seed=args.seed, method=args.method,
                            mapping=parse_mapping(args.mapping))
    paths = write_report(report_folder(args), report_files(report))
    return print_outcome(args, report, format_text(report), paths)
