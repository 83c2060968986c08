"""Golden models of the stochastic rounding units: ``sru_free``, ``sru_lfsr`` and ``sru_array``.

The rounding rule (``k = in_width - out_width``, ``x`` signed, ``rnd`` unsigned k bits)::

    y = floor((x + rnd) / 2^k)

then saturated to the signed ``out_width`` range, or wrapped (low ``out_width`` bits) with
``saturate=False``. With ``rnd`` uniform on ``[0, 2^k)`` this rounds up with probability
``(x mod 2^k) / 2^k``, so ``E[y * 2^k] = x``: unbiased.

An LFSR never produces the all-zero state, so the low k bits of a ``w``-bit maximal LFSR take
the value 0 once less often per period than every other value. Over one full period the
resulting bias of ``y * 2^k`` is exactly ``(x mod 2^k) / (2^w - 1)`` LSBs of x (see
:func:`lfsr_bias`): below 0.004 LSB for the default w = 16, k = 8, but up to 1 LSB if w = k.

All three units register ``y``: latency 1.
"""

import dataclasses
import functools

import numpy as np

from stochhw.models.bits import mask, to_signed
from stochhw.models.checks import ParameterError, check_int
from stochhw.models.clocked import check_lanes, steps_since_reset
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import check_seed, lfsr_states
from stochhw.models.seeds import lane_seeds
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = [
    "SOURCES", "MAX_IN_WIDTH", "MAX_LANES", "check_widths", "check_lfsr_width", "round_in_place",
    "stochastic_round", "lfsr_bias", "SRUFreeSpec", "SRULFSRSpec", "SRUArraySpec",
    "SRUFreeModel", "SRULFSRModel", "SRUArrayModel",
]

SOURCES = ("lfsr", "external")
MAX_IN_WIDTH = 32
MAX_LANES = 4096


def check_widths(in_width, out_width):
    """Validate the rounding widths; return ``(in_width, out_width, k)``."""
    in_width = check_int("in_width", in_width, 2, MAX_IN_WIDTH)
    out_width = check_int("out_width", out_width, 1)
    if out_width >= in_width:
        raise ParameterError(f"out_width must be < in_width ({in_width}) so that k = in_width - "
                             f"out_width >= 1 bit is rounded off, not {out_width}")
    return in_width, out_width, in_width - out_width


def round_in_place(v, rnd, k, out_width, saturate):
    """The rounding rule on a signed array ``v``, in place: ``v = floor((v + rnd) / 2^k)``,
    clamped to the top of the signed ``out_width`` range when ``saturate`` (wrapping is left to
    the caller's choice of representation). Returns ``v``."""
    v += rnd
    v >>= k                                   # arithmetic shift: floor division by 2^k
    if saturate:
        # x + rnd >= x, so floor((x + rnd) / 2^k) >= -2^(out_width-1): only the top can overflow.
        np.minimum(v, v.dtype.type((1 << (out_width - 1)) - 1), out=v)
    return v


def stochastic_round(x, rnd, in_width, out_width, saturate=True):
    """Round signed ``x`` (``in_width`` bits) to ``out_width`` bits using ``rnd`` (k bits).

    Parameters
    ----------
    x : ndarray of int
        Signed values in the ``in_width`` range.
    rnd : ndarray of int
        Random numbers in ``[0, 2^k)``.

    Returns
    -------
    ndarray of int64
        Signed rounded values.
    """
    v = np.array(np.broadcast_arrays(x, rnd)[0], dtype=np.int64)
    round_in_place(v, np.asarray(rnd, dtype=np.int64), in_width - out_width, out_width, saturate)
    return v if saturate else to_signed(v, out_width)


def lfsr_bias(x, k, lfsr_width):
    """Exact mean of ``y * 2^k - x`` over one LFSR period (no saturation), in LSBs of x."""
    return (np.asarray(x, dtype=np.int64) & mask(k)) / ((1 << lfsr_width) - 1)


def check_lfsr_width(lfsr_width, k):
    lfsr_width = check_int("lfsr_width", lfsr_width, 2, 32)
    if lfsr_width < k:
        raise ParameterError(f"lfsr_width must be >= k = in_width - out_width = {k}, not {lfsr_width}")
    return lfsr_width


class _RoundingSpec(Spec):
    """The rule every rounding spec shares: ``k = in_width - out_width >= 1`` bits rounded off."""

    def validate(self):
        check_widths(self.in_width, self.out_width)

    @property
    def k(self):
        """Bits rounded off, ``in_width - out_width``: the width of ``rnd``."""
        return self.in_width - self.out_width


def _in_width():
    return param(16, "signed input width", lo=2, hi=MAX_IN_WIDTH)


def _out_width():
    return param(8, "signed output width (< in_width)", lo=1, hi=MAX_IN_WIDTH - 1)


def _saturate():
    return param(True, "clamp (1) or wrap (0) on overflow")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SRUFreeSpec(_RoundingSpec):
    """Parameters of ``sru_free`` (:class:`stochhw.hw.sru.SRUFree`, :class:`SRUFreeModel`)."""
    in_width: int = _in_width()
    out_width: int = _out_width()
    saturate: bool = _saturate()


@dataclasses.dataclass(frozen=True, kw_only=True)
class SRULFSRSpec(_RoundingSpec):
    """Parameters of ``sru_lfsr`` (:class:`stochhw.hw.sru.SRULFSR`, :class:`SRULFSRModel`)."""
    in_width: int = _in_width()
    out_width: int = _out_width()
    lfsr_width: int = param(16, "LFSR width, >= k = in_width - out_width", lo=2, hi=32)
    seed: int = param(1, "LFSR seed, 1..2^lfsr_width-1")
    saturate: bool = _saturate()

    def validate(self):
        super().validate()
        check_lfsr_width(self.lfsr_width, self.k)
        check_seed(self.seed, self.lfsr_width)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SRUArraySpec(_RoundingSpec):
    """Parameters of ``sru_array`` (:class:`stochhw.hw.sru_array.SRUArray`, :class:`SRUArrayModel`)."""
    lanes: int = param(16, "number of lanes", lo=1, hi=MAX_LANES)
    source: str = param("lfsr", "random source: per-lane LFSRs or the rnd port", choices=SOURCES)
    seed: int = param(1, "master seed; lane seeds derived by SplitMix64", lo=0, hi=mask(64))
    in_width: int = _in_width()
    out_width: int = _out_width()
    lfsr_width: int = param(16, "LFSR width (source=lfsr), >= k", lo=2, hi=32)
    saturate: bool = _saturate()

    def validate(self):
        super().validate()
        if self.source == "lfsr":
            check_lfsr_width(self.lfsr_width, self.k)
            self.lane_seeds               # refuses more lanes than distinct lfsr_width-bit seeds

    @functools.cached_property
    def lane_seeds(self):
        """Per-lane LFSR seeds (``source="lfsr"``; else None): distinct, nonzero SplitMix64 draws
        from ``seed`` (:func:`stochhw.models.seeds.lane_seeds`)."""
        if self.source != "lfsr":
            return None
        return tuple(lane_seeds(self.seed, self.lanes, self.lfsr_width))


class _RoundingModel(Specified):
    """Shared rule of the three units: rounding, then the output register.

    The run is processed in blocks of rows so that every pass over the data stays in cache,
    in 32-bit arithmetic whenever ``x + rnd`` fits (the throughput target is 10^8 lane-cycles
    per second on one core).
    """

    #: Rows per block for 64 lanes (scaled by lane count): about 1 MiB of int32 per pass.
    BLOCK = 4096

    def _round_registered(self, stim, rnd_rows, state=None):
        """``y`` for input ``stim["x"]``; ``rnd_rows(a, b)`` gives the random numbers of rows a..b.

        ``state`` (chunked runs) carries the output register: ``state["y"]``.
        """
        x_raw = stim["x"]
        cycles, lanes = x_raw.shape
        dtype = np.int32 if self.in_width <= 30 else np.int64
        sign = dtype(1 << (self.in_width - 1))
        low = dtype(mask(self.out_width))
        # Lanes held in a type of exactly in_width bits are two's complement by reinterpretation.
        signed_view = (x_raw.dtype.kind == "u" and x_raw.dtype.itemsize * 8 == self.in_width
                       and x_raw.dtype.itemsize < np.dtype(dtype).itemsize)
        y = np.empty((cycles, lanes), dtype=np.uint64)
        y[0] = 0 if state is None else state.get("y", 0)       # register init, or carried
        block = max(1, self.BLOCK * 64 // max(lanes, 1))
        # Row t of the rounding is the register's D input in cycle t: y[t + 1]. The last row
        # (cycles - 1) is computed only when a chunk must hand it to the next one.
        rows = cycles if state is not None else cycles - 1
        for a in range(0, rows, block):
            b = min(a + block, rows)
            if signed_view:
                v = x_raw[a:b].view(f"i{x_raw.dtype.itemsize}").astype(dtype)
            else:
                v = x_raw[a:b].astype(dtype)                # raw bits, < 2^in_width
                v ^= sign                                   # two's complement:
                v -= sign                                   #   flip and subtract the sign bit
            rnd = rnd_rows(a, b)
            if rnd.dtype.kind != "u" or rnd.dtype.itemsize >= np.dtype(dtype).itemsize:
                rnd = rnd.astype(dtype)                     # (narrower unsigned ones add as they are)
            round_in_place(v, rnd, self.k, self.out_width, self.saturate)
            inside = min(b, cycles - 1) - a                 # rows whose y lies in this stimulus
            # Raw bits (wrapping), one cycle later, straight into y.
            np.bitwise_and(v[:inside], low, out=y[a + 1:a + 1 + inside], casting="unsafe")
            if b == cycles:                                 # the D input at the chunk's last edge
                state["y"] = (v[-1] & low).astype(np.uint64) * np.uint64(not stim["rst"][-1, 0])
        rst = stim["rst"][:, 0].astype(bool)
        y[np.flatnonzero(rst[:-1]) + 1] = 0                 # reset edges clear the register
        return {"y": y}

    def _lfsr_rows(self, stim, seeds, state=None):
        """``rnd_rows`` for per-lane LFSRs that advance every cycle and reload on reset."""
        rst = stim["rst"][:, 0].astype(bool)
        k = steps_since_reset(np.ones(rst.shape, dtype=bool), rst, state=state, key="steps")
        rnd = lfsr_states(seeds, k, self.lfsr_width, MAXIMAL_TAPS[self.lfsr_width], "galois")
        rnd &= np.uint64(mask(self.k))
        return lambda a, b: rnd[a:b]

    def _check(self, stim, ports):
        lanes = getattr(self, "lanes", 1)
        check_lanes(stim, {name: lanes for name in ports}, type(self).__name__)


class SRUFreeModel(_RoundingModel):
    """Model of :class:`stochhw.hw.sru.SRUFree`: ``x``, ``rnd`` -> ``y`` (latency 1)."""

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRUFreeSpec, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        self._check(stim, ("x", "rnd"))
        return self._round_registered(stim, lambda a, b: stim["rnd"][a:b], state)


class SRULFSRModel(_RoundingModel):
    """Model of :class:`stochhw.hw.sru.SRULFSR`: ``x`` -> ``y`` with a private Galois LFSR (latency 1).

    The LFSR (table taps, ``lfsr_width`` bits) starts at ``seed``, advances every cycle, and
    reloads ``seed`` on reset; ``rnd`` is its low k bits.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRULFSRSpec, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        self._check(stim, ("x",))
        return self._round_registered(stim, self._lfsr_rows(stim, [self.seed], state), state)


class SRUArrayModel(_RoundingModel):
    """Model of :class:`stochhw.hw.sru_array.SRUArray`: ``lanes`` units on lane-major buses.

    With ``source="lfsr"`` lane i owns a Galois LFSR seeded with
    ``stochhw.models.seeds.lane_seeds(seed, lanes, lfsr_width)[i]`` (distinct seeds); with ``"external"`` lane i takes
    its random number from bits ``[i*k, (i+1)*k)`` of ``rnd``.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRUArraySpec, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        if self.source == "external":
            self._check(stim, ("x", "rnd"))
            return self._round_registered(stim, lambda a, b: stim["rnd"][a:b], state)
        self._check(stim, ("x",))
        return self._round_registered(stim, self._lfsr_rows(stim, list(self.lane_seeds), state), state)
