"""Comparator bitstream generation shared by the SC blocks (``sng``, ``smtj``, ``sc_neuron``).

A stochastic bitstream is made one bit per cycle by comparing a threshold ``T`` with a random
number ``r`` uniform on ``[0, 2^bits)``: the bit is ``r < T``, so ``P(1) = T / 2^bits``, and
thresholds ``0 .. 2^bits`` (``bits + 1`` wide) reach both P = 0 and P = 1 exactly.

Random numbers come from one of two sources:

* ``"lfsr"``: each lane owns a Galois LFSR (:mod:`stochhw.models.lfsr`, table taps, ``lfsr_width`` bits)
  that *leaps* ``bits`` steps every cycle (a leap-forward LFSR: the one-step rule applied
  ``bits`` times, an XOR network in hardware) and reloads its seed on reset; the lane uses
  its low ``bits`` bits. Leaping matters: stepping once per cycle would make
  ``r[t+1] = (r[t] >> 1) | new_bit << (bits-1)``, so successive bits of one stream would be
  correlated (for ``P(1) = 1/4`` the pair 11 would come twice as often as it should); with
  the leap, successive numbers are disjoint ``bits``-bit blocks of the m-sequence. Lane seeds
  are distinct (:func:`stochhw.models.seeds.lane_seeds`), so no two lanes share a stream; lanes sit far
  apart on one m-sequence, so different streams are practically uncorrelated. An LFSR never
  reaches zero: when ``bits`` is coprime to ``2^w - 1`` the leaped LFSR visits every nonzero
  state once per period, the value 0 appears once less than the others, and
  ``P(1) = (T * 2^(w-bits) - 1) / (2^w - 1)`` for T > 0, a bias below ``2^-w`` (1.5e-5 at
  w = 16).
* ``"port"``: the random numbers arrive on an ``entropy`` port (e.g. from a physical source).

Probability tables are indexed by a code port; a code beyond the table saturates to the last
entry (the table is padded to the code port's ``2^width`` values), so every port value means
something and a monotone table stays monotone.
"""

import functools

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.clocked import steps_since_reset
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_states
from stochhw.models.seeds import lane_seeds
from stochhw.models.spec import param

__all__ = ["SOURCES", "MAX_BITS", "MAX_LANES", "MAX_LFSR_WIDTH", "lanes_param", "bits_param",
           "source_param", "seed_param", "lfsr_width_param", "Generators", "check_source", "check_lfsr_width",
           "code_width", "probability_thresholds", "padded_table", "check_monotone",
           "lfsr_randoms", "compare"]

SOURCES = ("lfsr", "port")
MAX_BITS = 16
MAX_LANES = 4096
MAX_LFSR_WIDTH = 32


# The parameters the SC generators share, declared once here for every SC spec.

def lanes_param(default, doc):
    """A lane count parameter."""
    return param(default, doc, lo=1, hi=MAX_LANES)


def bits_param(doc):
    """The ``bits`` parameter: the comparator (random-number) width."""
    return param(8, doc, lo=1, hi=MAX_BITS)


def source_param(doc="random numbers: per-generator LFSRs or the entropy port"):
    """The ``source`` parameter: where the random numbers come from."""
    return param("lfsr", doc, choices=SOURCES)


def seed_param():
    """The ``seed`` parameter: the master seed of the generators' LFSRs."""
    return param(1, "master seed; distinct LFSR seeds derived by SplitMix64", lo=0, hi=mask(64))


def lfsr_width_param():
    """The ``lfsr_width`` parameter; a spec checks it against ``bits`` with
    :func:`check_lfsr_width`."""
    return param(16, "LFSR width (source=lfsr), >= bits, <= 32", lo=2, hi=MAX_LFSR_WIDTH)


class Generators:
    """Mixin of the specs of SC blocks with comparator generators (``source``, ``seed``,
    ``lfsr_width`` fields; the spec says how many LFSRs it has in ``generators``).

    ``validate`` should read :attr:`seeds`, so that more generators than distinct
    ``lfsr_width``-bit seeds are refused at the door.
    """

    @functools.cached_property
    def seeds(self):
        """LFSR seed of generator i (``source="lfsr"``; else None): distinct, nonzero SplitMix64
        draws from ``seed`` (:func:`stochhw.models.seeds.lane_seeds`)."""
        if self.source != "lfsr":
            return None
        return tuple(lane_seeds(self.seed, self.generators, self.lfsr_width))


def check_source(source):
    return check_choice("source", source, SOURCES)


def check_lfsr_width(lfsr_width, bits):
    """LFSR width, 2..32 and at least the comparator width ``bits``."""
    lfsr_width = check_int("lfsr_width", lfsr_width, 2, MAX_LFSR_WIDTH)
    if lfsr_width < bits:
        raise ParameterError(f"lfsr_width must be >= bits = {bits}, not {lfsr_width}")
    return lfsr_width


def code_width(levels):
    """Width of a port that carries codes ``0 .. levels-1`` (at least 1 bit)."""
    return max(1, (levels - 1).bit_length())


def probability_thresholds(probabilities, bits):
    """Comparator thresholds ``round_half_up(p * 2^bits)`` for probabilities ``p`` in [0, 1]."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size and (not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1):
        raise ParameterError("probabilities must lie in [0, 1]")
    return np.floor(p * (1 << bits) + 0.5).astype(np.int64)


def padded_table(table, width):
    """``table`` extended to ``2^width`` entries with its last value (codes saturate)."""
    table = np.asarray(table, dtype=np.int64)
    return np.concatenate([table, np.full((1 << width) - table.size, table[-1], dtype=np.int64)])


def check_monotone(name, table):
    """Raise unless ``table`` is monotone (non-decreasing or non-increasing)."""
    d = np.diff(np.asarray(table, dtype=np.int64))
    if not (np.all(d >= 0) or np.all(d <= 0)):
        first = np.sign(d[np.flatnonzero(d)[0]])
        i = int(np.flatnonzero(np.sign(d) == -first)[0])       # first step the other way
        start = max(i - 1, 0)
        raise ParameterError(f"{name} must be monotone (a bias table orders probabilities by "
                             f"bias); entries {start}..{i + 1} are "
                             f"{[int(v) for v in table[start:i + 2]]}")
    return table


def lfsr_randoms(rst, seeds, lfsr_width, bits, *, state=None, key="steps"):
    """Random numbers of per-lane leap-forward LFSRs: low ``bits`` bits, as seen in every cycle.

    Each LFSR leaps ``bits`` steps per cycle and reloads its seed on reset.

    Parameters
    ----------
    rst : ndarray of bool, shape (cycles,)
    seeds : sequence of int, length ``lanes``
    state : dict, optional
        Chunked runs (:mod:`stochhw.models.clocked`): ``state[key]`` carries the leaps made.
    key : str
        The generators' name in ``state``.

    Returns
    -------
    ndarray of uint64, shape (cycles, lanes)
    """
    rst = np.asarray(rst, dtype=bool)
    k = steps_since_reset(np.ones(rst.shape, dtype=bool), rst, state=state, key=key)
    states = lfsr_states(seeds, k, lfsr_width, MAXIMAL_TAPS[lfsr_width], "galois", stride=bits)
    return states & np.uint64(mask(bits))


def compare(rnd, thresholds):
    """Stream bits ``rnd < thresholds`` as ``uint64`` 0/1 (both arrays broadcast)."""
    return (np.asarray(rnd, dtype=np.int64) < np.asarray(thresholds, dtype=np.int64)).astype(np.uint64)
