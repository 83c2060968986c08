"""Stochastic magnetic tunnel junction (s-MTJ): the device curve and the ``smtj`` emulator model.

An s-MTJ is a superparamagnetic junction whose free layer flips between its parallel and
antiparallel states by thermal agitation; a bias voltage tilts the energy landscape, so the
probability of reading "1" follows a sigmoid of the bias (the paper's Fig. 2c: below 5% at
-1 V, above 95% at +1 V). :func:`smtj_p_one` gives that curve as a logistic function and
:func:`bias_levels` the bias voltages used to make 5 or 11 probabilities.

The emulator (:class:`SMTJModel`, hardware :class:`stochhw.hw.smtj.SMTJ`), per lane and cycle:

* **bias table.** A bias code ``c`` (``0 .. levels-1``; larger codes saturate at ``levels-1``)
  selects the voltage ``bias_levels(levels)[c]``, and the table holds the comparator threshold
  ``T[c] = round_half_up(2^bits * smtj_p_one(V, v_half, v_scale))``, so a fresh bit is 1 with
  probability ``p = T[c] / 2^bits``. A user table (``table``, thresholds ``0 .. 2^bits``) replaces
  the curve; it must be monotone (either direction), as a device curve is.
* **telegraph model.** A junction read faster than it relaxes shows the same state on
  successive reads. The emulator keeps a state bit ``y``; each cycle it keeps ``y`` with
  probability ``q = hold / 256`` and otherwise redraws it as a fresh bit::

      y[t+1] = y[t]                      if k[t] < hold      (keep)
               (r[t] < T[bias[t]])       otherwise            (redraw)

  For a constant bias the stationary ``P(y = 1)`` is still ``p``, and the correlation of bits
  ``j`` cycles apart is ``q^j``. This is exactly a continuous-time two-state telegraph process
  (flip rates ``p / tau`` into 1 and ``(1 - p) / tau`` into 0, mean dwell times ``tau / (1-p)``
  in 1 and ``tau / p`` in 0) sampled every clock period ``T_clk``, with
  ``q = exp(-T_clk / tau)``: :func:`hold_for` gives ``hold`` from ``T_clk`` and the junction's
  relaxation (retention) time ``tau``. ``hold = 0`` gives independent bits.
* **entropy.** With ``source="lfsr"``, ``r`` (``bits`` bits) and ``k`` (8 bits) come from two
  leap-forward Galois LFSRs per lane (:mod:`stochhw.models.sc_stream`), which leap ``bits`` and 8 steps
  per cycle so that successive numbers, and so successive keep decisions, are not shifted
  copies of each other. Seeds: ``lane_seeds(seed, 2*lanes, lfsr_width)``, the redraw LFSRs of
  lanes 0..lanes-1 first, then the keep LFSRs (with ``hold = 0`` only the redraw LFSRs exist).
  With ``source="port"`` the ``entropy`` port carries, per lane, ``r`` in its low ``bits`` bits
  and, when ``hold > 0``, ``k`` in the 8 bits above.

The output ``y`` is the state register: latency 1, reset clears it to 0.
"""

import dataclasses
import functools
import math

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_int
from stochhw.models.clocked import check_lanes, register_enabled
from stochhw.models.sc_stream import (
    Generators,
    bits_param,
    check_lfsr_width,
    check_monotone,
    code_width,
    compare,
    lanes_param,
    lfsr_randoms,
    lfsr_width_param,
    padded_table,
    probability_thresholds,
    seed_param,
    source_param,
)
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["DEFAULT_V_SCALE", "HOLD_BITS", "MAX_LEVELS", "smtj_p_one", "bias_levels", "hold_for",
           "bias_thresholds", "SMTJSpec", "SMTJModel"]

#: Width of the keep decision's random number: ``q = hold / 2^HOLD_BITS``.
HOLD_BITS = 8
MAX_LEVELS = 256

#: Width of the logistic in volts. 0.3 V gives P(1) = 0.966 at +1 V and 0.034 at -1 V,
#: inside the paper's ">95% one way at -1 V, >95% the other at +1 V".
DEFAULT_V_SCALE = 0.3


def smtj_p_one(volts, v_half=0.0, v_scale=DEFAULT_V_SCALE):
    """P(output = 1) of an s-MTJ biased at ``volts``.

    Parameters
    ----------
    volts : array_like of float
        Bias voltage(s) in volts.
    v_half : float
        Bias at which P(1) = 1/2.
    v_scale : float
        Logistic width in volts, nonzero; negative makes P(1) fall with the bias (a junction
        wired the other way round).

    Returns
    -------
    ndarray of float64 (or float for scalar input)
        ``1 / (1 + exp(-(volts - v_half) / v_scale))``.
    """
    if not np.isfinite(v_scale) or v_scale == 0:
        raise ParameterError(f"v_scale must be a nonzero number of volts, not {v_scale!r}")
    if not np.isfinite(v_half):
        raise ParameterError(f"v_half must be a finite number of volts, not {v_half!r}")
    z = (np.asarray(volts, dtype=np.float64) - v_half) / v_scale
    # Evaluated through tanh so large |z| neither overflows exp nor loses the tail.
    p = 0.5 * (1.0 + np.tanh(0.5 * z))
    return p if p.ndim else float(p)


def bias_levels(levels):
    """The ``levels`` bias voltages, evenly spaced over [-1 V, +1 V] (5 or 11 in the paper)."""
    levels = check_int("levels", levels, lo=2)
    return np.linspace(-1.0, 1.0, levels)


def hold_for(clock_period, relaxation_time):
    """``hold`` (``q = hold / 256``) of a junction with ``relaxation_time`` read every ``clock_period``.

    ``q = exp(-clock_period / relaxation_time)``, rounded to the nearest 1/256 and capped at
    255/256 (any unit, as long as both times share it).
    """
    for name, v in (("clock_period", clock_period), ("relaxation_time", relaxation_time)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be a positive time, not {v!r}")
    return min((1 << HOLD_BITS) - 1, math.floor((1 << HOLD_BITS) * math.exp(-clock_period / relaxation_time) + 0.5))


def bias_thresholds(levels, bits, v_half=0.0, v_scale=DEFAULT_V_SCALE):
    """Comparator thresholds of the ``levels`` bias codes from the device curve."""
    return probability_thresholds(smtj_p_one(bias_levels(levels), v_half, v_scale), bits)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SMTJSpec(Generators, Spec):
    """Parameters of ``smtj`` (:class:`stochhw.hw.smtj.SMTJ`, :class:`SMTJModel`).

    The bias table in use is :attr:`thresholds`: ``table`` when given, else the device curve
    (:func:`bias_thresholds` of ``v_half`` and ``v_scale``).
    """
    lanes: int = lanes_param(1, "junctions")
    levels: int = param(11, "bias codes over -1..+1 V", lo=2, hi=MAX_LEVELS)
    bits: int = bits_param("P(1) resolution 2^-bits")
    v_half: float = param(0.0, "bias (V) of P(1)=1/2")
    v_scale: float = param(DEFAULT_V_SCALE, "logistic width (V), nonzero; <0 flips the curve")
    table: tuple = param(None, "levels thresholds 0..2^bits replacing the curve; monotone",
                         kind="ints", lo=0)
    hold: int = param(0, "telegraph: keep the state with probability hold/256",
                      lo=0, hi=mask(HOLD_BITS))
    source: str = source_param()
    seed: int = seed_param()
    lfsr_width: int = lfsr_width_param()

    def validate(self):
        if self.v_scale == 0:
            raise ParameterError("v_scale must be a nonzero number of volts, not 0.0")
        # The keep LFSRs give HOLD_BITS-bit numbers: they must be at least that wide too.
        check_lfsr_width(self.lfsr_width, max(self.bits, HOLD_BITS if self.hold else 0))
        if self.table is not None:
            if len(self.table) != self.levels:
                raise ParameterError(f"table must have levels = {self.levels} entries, "
                                     f"not {len(self.table)}")
            for t in self.table:
                check_int("table", t, 0, 1 << self.bits)
            check_monotone("table", self.table)
        self.seeds                    # refuses more generators than distinct seeds

    @functools.cached_property
    def thresholds(self):
        """The bias table in use: comparator threshold ``T[c]`` (``0 .. 2^bits``) of every
        bias code ``c``; ``table``, or the device curve's."""
        if self.table is not None:
            return self.table
        return tuple(int(t) for t in bias_thresholds(self.levels, self.bits, self.v_half, self.v_scale))

    @property
    def table_source(self):
        """``"user"`` (``table`` given) or ``"curve"``."""
        return "curve" if self.table is None else "user"

    @property
    def code_width(self):
        """Bits of a lane's bias code."""
        return code_width(self.levels)

    @property
    def entropy_width(self):
        """Bits per lane of the ``entropy`` port: ``r``, then ``k`` when ``hold > 0``."""
        return self.bits + (HOLD_BITS if self.hold else 0)

    @property
    def generators(self):
        """LFSRs (``source="lfsr"``): the redraw LFSRs of lanes 0..lanes-1 (``seeds[:lanes]``),
        then, when ``hold > 0``, their keep LFSRs (``seeds[lanes:]``)."""
        return self.lanes * (2 if self.hold else 1)


class SMTJModel(Specified):
    """Model of :class:`stochhw.hw.smtj.SMTJ` (see the module docstring for the model).

    Parameters
    ----------
    spec : SMTJSpec, optional
        Or its fields as keyword arguments (``lanes``, ``levels``, ``bits``, ``v_half``,
        ``v_scale``, ``table``, ``hold``, ``source``, ``seed``, ``lfsr_width``).

    Ports (stimulus / result keys)
    ------------------------------
    bias : in, lanes x ``code_width(levels)``
    entropy : in, lanes x (``bits`` + 8 if ``hold`` else ``bits``), ``source="port"`` only
    y : out, lanes x 1 (latency 1)
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SMTJSpec, spec, params)

    def probabilities(self):
        """P(1) of a fresh bit for every bias code ``0 .. levels-1``."""
        return np.asarray(self.thresholds, dtype=np.float64) / (1 << self.bits)

    def randoms(self, stim, state=None):
        """``(r, k)``: redraw and keep random numbers of every lane and cycle (k None if hold = 0)."""
        if self.source == "port":
            e = stim["entropy"]
            r = e & np.uint64(mask(self.bits))
            k = (e >> np.uint64(self.bits)) & np.uint64(mask(HOLD_BITS)) if self.hold else None
            return r, k
        rst = stim["rst"][:, 0]
        r = lfsr_randoms(rst, self.seeds[:self.lanes], self.lfsr_width, self.bits, state=state,
                         key="r_steps")
        k = (lfsr_randoms(rst, self.seeds[self.lanes:], self.lfsr_width, HOLD_BITS, state=state,
                          key="k_steps") if self.hold else None)
        return r, k

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"bias": self.lanes, **({"entropy": self.lanes} if self.source == "port" else {})},
                    "smtj")
        r, k = self.randoms(stim, state)
        table = padded_table(self.thresholds, self.code_width)
        fresh = compare(r, table[stim["bias"].astype(np.intp)])
        redraw = np.ones(fresh.shape, dtype=bool) if k is None else k >= np.uint64(self.hold)
        return {"y": register_enabled(redraw, fresh, stim["rst"][:, 0], state=state, key="y")}
