"""Fixed-point weight quantization schemes of the bit-error-robustness paper (Stutz et al., MLSys 2021, Sec. 4.1).

A float weight tensor ``w`` becomes ``m``-bit integer codes ``c`` (m = 8, 4, 3 or 2), stored in
memory as ``m``-bit patterns, and is read back as ``w_hat``. Every scheme uses one formula; the
schemes differ in the range ``[lo, hi]``, the rounding ``R`` and the bit encoding:

1. **Clipping** (optional, ``w_max``): ``w <- clip(w, -w_max, w_max)``.
2. **Range** ``[lo, hi]``:

   * symmetric: ``hi = max|w|``, ``lo = -hi``;
   * asymmetric: ``lo = min w``, ``hi = max w``;
   * per layer: over each tensor on its own (each weight matrix and each bias vector, as the
     authors' implementation quantizes every parameter tensor separately); global: over all
     tensors of the network together.

   A range of zero width (a tensor of equal values, e.g. zero-initialized biases) is widened to
   ``[z - EPSILON, z + EPSILON]`` so that ``Δ > 0``.
3. **Step and centre**: ``Δ = (hi - lo) / (2^m - 2)``, ``z = (hi + lo) / 2``. For a symmetric range
   this is the paper's Eq. (1), ``Δ = q_max / (2^(m-1) - 1)``, ``z = 0``.
4. **Code**: ``c = clamp(R((w - z) / Δ), -(2^(m-1) - 1), 2^(m-1) - 1)`` with ``R = floor``
   (integer conversion, the baseline), ``R(x) = floor(x + 1/2)`` (rounding) or ``R = trunc``
   (towards zero, a C cast: the authors' signed path). The quantization error
   ``w - (z + cΔ)`` is in ``[0, Δ)`` for floor, ``[-Δ/2, Δ/2)`` for rounding and ``(-Δ, Δ)``
   with the sign of ``w - z`` for trunc, which maps ``(-Δ, Δ)`` to the one code 0. The codes are
   symmetric: ``-2^(m-1)`` is never produced, but can be read back after a bit error.
   ``(w - z) / Δ`` is computed in float64 and can land a hair below an integer it equals
   mathematically (``hi`` itself gives 126.99999999999999 instead of 127): ``TOLERANCE`` (1e-9
   steps) is added before floor and rounding (and away from zero before trunc), so such values
   count as on the step.
5. **Encoding** of the stored ``m``-bit pattern ``b``:

   * ``signed``: two's complement, ``b = c mod 2^m``; read back as ``c = b - 2^m [b >= 2^(m-1)]``;
   * ``unsigned``: offset binary, ``b = c + 2^(m-1)`` (in ``[1, 2^m - 1]``); read back as
     ``c = b - 2^(m-1)``.

6. **Dequantization**: ``w_hat = z + cΔ``, with ``c`` decoded from the (possibly faulty) pattern,
   used as read: nothing clamps a faulty value back into ``[lo, hi]``, as an integer MAC would not.

Offset binary is two's complement with the most significant bit inverted
(``b_unsigned = b_signed XOR 2^(m-1)``). A bit flip therefore changes the decoded code by the same
``±2^j`` in both encodings, and under errors that flip 0->1 and 1->0 alike (the random bit errors
of the paper) the two encodings give exactly the same faulty weights; they differ only under
biased errors (stuck-at cells). In the authors' public code the signed path converts with a C cast,
which truncates towards zero, while the unsigned path adds the offset first, so that there the
"unsigned" step also turns truncation into floor; here both use the floor of step 4, and
``normal_trunc`` is NORMAL with the authors' truncation (a variant, to test whether it explains
the signed/unsigned difference of their Table 1).

Named schemes (:data:`SCHEMES`), the rows of the paper's Table 1:

========================  =========  ==========  ========  ========
name                      range      symmetric   encoding  rounding
========================  =========  ==========  ========  ========
``normal_global``         global     yes         signed    floor
``normal`` (NORMAL)       per layer  yes         signed    floor
``asymmetric``            per layer  no          signed    floor
``asymmetric_unsigned``   per layer  no          unsigned  floor
``rquant`` (RQUANT)       per layer  no          unsigned  round
``normal_trunc``          per layer  yes         signed    trunc
========================  =========  ==========  ========  ========
"""

import dataclasses
import math
import numbers

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice

__all__ = ["BITS", "EPSILON", "TOLERANCE", "ROUNDINGS", "ENCODINGS", "Scheme", "SCHEMES", "QuantizedTensor",
           "check_bits", "check_w_max", "check_scheme", "quantization_ranges", "quantize_tensor",
           "quantize", "dequantize", "encode", "decode"]

#: Supported weight widths m.
BITS = (8, 4, 3, 2)
#: Half-width of the range given to a tensor whose values are all equal.
EPSILON = 1e-3
#: Added to ``(w - z) / Δ`` (in steps) before rounding, against float division landing just short.
TOLERANCE = 1e-9
ROUNDINGS = ("floor", "round", "trunc")
ENCODINGS = ("signed", "unsigned")


@dataclasses.dataclass(frozen=True)
class Scheme:
    """One quantization scheme: how the range is chosen, how values round, how codes are stored."""
    name: str
    per_layer: bool
    symmetric: bool
    encoding: str
    rounding: str


#: The schemes of the paper's Table 1, by name, in table order.
SCHEMES = {s.name: s for s in (
    Scheme("normal_global", per_layer=False, symmetric=True, encoding="signed", rounding="floor"),
    Scheme("normal", per_layer=True, symmetric=True, encoding="signed", rounding="floor"),
    Scheme("asymmetric", per_layer=True, symmetric=False, encoding="signed", rounding="floor"),
    Scheme("asymmetric_unsigned", per_layer=True, symmetric=False, encoding="unsigned",
           rounding="floor"),
    Scheme("rquant", per_layer=True, symmetric=False, encoding="unsigned", rounding="round"),
    Scheme("normal_trunc", per_layer=True, symmetric=True, encoding="signed", rounding="trunc"),
)}


def check_bits(m):
    """Return ``m`` after checking it is a supported width (:data:`BITS`)."""
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or int(m) not in BITS:
        raise ParameterError(f"m must be one of {', '.join(map(str, BITS))} bits; not {m!r}")
    return int(m)


def check_w_max(w_max):
    """Return ``w_max`` as a float (or ``None``: no clipping) after checking it is finite and > 0."""
    if w_max is None:
        return None
    if isinstance(w_max, bool) or not isinstance(w_max, numbers.Real) or not math.isfinite(w_max) \
            or w_max <= 0:
        raise ParameterError(f"w_max must be a finite number > 0 (or None for no clipping), not {w_max!r}")
    return float(w_max)


def check_scheme(scheme):
    """The :class:`Scheme` named ``scheme`` (or ``scheme`` itself if it is one)."""
    if isinstance(scheme, Scheme):
        return scheme
    return SCHEMES[check_choice("scheme", scheme, tuple(SCHEMES))]


@dataclasses.dataclass(frozen=True)
class QuantizedTensor:
    """A tensor as stored in weight memory.

    Attributes
    ----------
    bits : numpy.ndarray of uint8
        The stored ``m``-bit pattern of every element (shape of the float tensor).
    m : int
    encoding : {"signed", "unsigned"}
    delta : float
        Step Δ.
    zero : float
        Centre z of the range: the value of code 0.
    """
    bits: np.ndarray
    m: int
    encoding: str
    delta: float
    zero: float

    @property
    def codes(self):
        """Decoded integer codes ``c`` (``int64``)."""
        return decode(self.bits, self.m, self.encoding)

    def dequantize(self, bits=None):
        """``z + cΔ`` for the stored patterns, or for ``bits`` (e.g. read from a faulty memory)."""
        return dequantize(self, bits)

    def with_bits(self, bits):
        """The same quantizer with other stored patterns."""
        return dataclasses.replace(self, bits=np.asarray(bits, dtype=np.uint8))


def encode(codes, m, encoding):
    """Stored ``m``-bit patterns (``uint8``) of integer ``codes`` in ``encoding``."""
    m = check_bits(m)
    check_choice("encoding", encoding, ENCODINGS)
    codes = np.asarray(codes, dtype=np.int64)
    if encoding == "unsigned":
        codes = codes + (1 << (m - 1))
    return (codes & mask(m)).astype(np.uint8)


def decode(bits, m, encoding):
    """Integer codes (``int64``) of stored ``m``-bit patterns ``bits``; higher bits are ignored."""
    m = check_bits(m)
    check_choice("encoding", encoding, ENCODINGS)
    raw = np.asarray(bits).astype(np.int64) & mask(m)
    if encoding == "unsigned":
        return raw - (1 << (m - 1))
    return raw - ((raw >> (m - 1)) & 1) * (1 << m)


def _as_float_list(weights):
    single = isinstance(weights, np.ndarray) or np.isscalar(weights)
    tensors = [np.asarray(weights, dtype=np.float64)] if single else \
        [np.asarray(w, dtype=np.float64) for w in weights]
    if not tensors:
        raise ParameterError("weights must hold at least one tensor")
    for t in tensors:
        if t.size == 0:
            raise ParameterError("weights must not contain an empty tensor")
        if not np.all(np.isfinite(t)):
            raise ParameterError("weights must be finite (no NaN or infinity)")
    return single, tensors


def quantization_ranges(weights, scheme, w_max=None):
    """The range ``(lo, hi)`` of every tensor under ``scheme`` after clipping at ``w_max``.

    Parameters
    ----------
    weights : numpy.ndarray or sequence of numpy.ndarray
    scheme : str or Scheme
    w_max : float, optional

    Returns
    -------
    list of (float, float)
        One range per tensor (all equal for a global scheme), zero-width ranges widened by
        :data:`EPSILON`.
    """
    scheme = check_scheme(scheme)
    w_max = check_w_max(w_max)
    _, tensors = _as_float_list(weights)
    if w_max is not None:
        tensors = [np.clip(t, -w_max, w_max) for t in tensors]
    groups = [[t] for t in tensors] if scheme.per_layer else [tensors] * len(tensors)
    ranges = []
    for group in groups:
        if scheme.symmetric:
            hi = max(float(np.max(np.abs(t))) for t in group)
            lo = -hi
        else:
            lo = min(float(np.min(t)) for t in group)
            hi = max(float(np.max(t)) for t in group)
        if hi <= lo:
            centre = (hi + lo) / 2
            lo, hi = centre - EPSILON, centre + EPSILON
        ranges.append((lo, hi))
    return ranges


def quantize_tensor(w, m, lo, hi, encoding="signed", rounding="round"):
    """Quantize one tensor on the range ``[lo, hi]`` (steps 3-5 of the module doc).

    Values outside ``[lo, hi]`` saturate to the end codes.

    Returns
    -------
    QuantizedTensor
    """
    m = check_bits(m)
    check_choice("encoding", encoding, ENCODINGS)
    check_choice("rounding", rounding, ROUNDINGS)
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ParameterError(f"range must satisfy lo < hi (finite), not [{lo!r}, {hi!r}]")
    delta = (hi - lo) / ((1 << m) - 2)
    zero = (hi + lo) / 2
    scaled = (np.asarray(w, dtype=np.float64) - zero) / delta
    if rounding == "trunc":
        codes = np.trunc(scaled + np.copysign(TOLERANCE, scaled))
    else:
        codes = np.floor(scaled + (0.5 + TOLERANCE if rounding == "round" else TOLERANCE))
    top = (1 << (m - 1)) - 1
    codes = np.clip(codes, -top, top).astype(np.int64)
    return QuantizedTensor(encode(codes, m, encoding), m, encoding, float(delta), float(zero))


def quantize(weights, m, scheme="rquant", w_max=None):
    """Quantize a tensor or a network's list of tensors with a named scheme.

    Parameters
    ----------
    weights : numpy.ndarray or sequence of numpy.ndarray
        Float weights; a sequence is one network (the unit of a global range).
    m : int
        Bits per weight, one of :data:`BITS`.
    scheme : str or Scheme
        A name of :data:`SCHEMES`.
    w_max : float, optional
        Clip weights to ``[-w_max, w_max]`` first (the paper's weight clipping).

    Returns
    -------
    QuantizedTensor or list of QuantizedTensor
        One per tensor; a single tensor gives a single result.
    """
    m = check_bits(m)
    scheme = check_scheme(scheme)
    w_max = check_w_max(w_max)
    single, tensors = _as_float_list(weights)
    ranges = quantization_ranges(tensors, scheme, w_max)
    out = []
    for t, (lo, hi) in zip(tensors, ranges):
        if w_max is not None:
            t = np.clip(t, -w_max, w_max)
        out.append(quantize_tensor(t, m, lo, hi, scheme.encoding, scheme.rounding))
    return out[0] if single else out


def dequantize(quantized, bits=None):
    """Float values ``z + cΔ`` of a :class:`QuantizedTensor` (or of a list of them).

    Parameters
    ----------
    quantized : QuantizedTensor or sequence of QuantizedTensor
    bits : numpy.ndarray or sequence, optional
        Patterns to decode instead of the stored ones (same structure as ``quantized``); they
        may carry leading axes, e.g. one per chip.
    """
    if isinstance(quantized, QuantizedTensor):
        raw = quantized.bits if bits is None else bits
        return quantized.zero + quantized.delta * decode(raw, quantized.m,
                                                         quantized.encoding).astype(np.float64)
    if bits is None:
        bits = [None] * len(quantized)
    return [dequantize(q, b) for q, b in zip(quantized, bits)]
