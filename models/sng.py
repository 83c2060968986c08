"""Golden model of ``sng``: comparator stochastic number generators on lane-major buses.

Each lane compares its probability code ``x`` with a random number ``r`` uniform on
``[0, 2^bits)`` (see :mod:`stochhw.models.sc_stream` for the sources) and emits the bit ``r < T``:

* **unipolar**: ``x`` is unsigned, ``T = x``: ``P(1) = x / 2^bits`` (0 .. 1 - 2^-bits);
* **bipolar**: ``x`` is a signed (two's-complement) code ``c`` for the value ``v = c / 2^(bits-1)``
  in ``[-1, 1 - 2^(1-bits)]``, and ``T = c + 2^(bits-1)`` (the code with its sign bit inverted),
  so ``P(1) = (1 + v) / 2``: the usual bipolar encoding, where ``v = 2 P(1) - 1``.
  ``v = -1`` (all zeros) is exact; ``v = +1`` would need ``T = 2^bits`` and is one LSB out of
  reach, as in every bipolar SNG with a ``bits``-bit code.

The output bit is registered: latency 1; reset clears it and reloads the LFSRs.
"""

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import check_choice, check_int
from stochhw.models.clocked import check_lanes, register
from stochhw.models.sc_stream import (
    MAX_LANES,
    check_bits,
    check_lfsr_width,
    check_source,
    compare,
    generator_seeds,
    lfsr_randoms,
)

__all__ = ["ENCODINGS", "SNGModel", "sng_thresholds"]

ENCODINGS = ("unipolar", "bipolar")


def sng_thresholds(x_raw, bits, encoding):
    """Comparator thresholds of raw ``bits``-bit codes ``x_raw`` (see the module docstring)."""
    x = np.asarray(x_raw, dtype=np.int64) & mask(bits)
    return x ^ (1 << (bits - 1)) if encoding == "bipolar" else x


class SNGModel:
    """Model of :class:`stochhw.hw.sng.SNG`.

    Parameters
    ----------
    lanes : int
        Generators, 1..4096 (default 1).
    bits : int
        Code and random-number width, 1..16 (default 8).
    encoding : str
        ``"unipolar"`` (default) or ``"bipolar"``.
    source : str
        ``"lfsr"`` (default): lane i owns a leap-forward Galois LFSR (``bits`` steps per
        cycle, :mod:`stochhw.models.sc_stream`) seeded with
        ``lane_seeds(seed, lanes, lfsr_width)[i]``; ``"port"``: numbers on ``entropy``.
    seed : int
        Master seed, 0..2^64-1 (default 1).
    lfsr_width : int
        LFSR width, ``bits``..32 (default 16).

    Ports (stimulus / result keys)
    ------------------------------
    x : in, lanes x ``bits``
    entropy : in, lanes x ``bits`` (``source="port"`` only)
    y : out, lanes x 1, registered (latency 1)
    """

    def __init__(self, lanes=1, bits=8, encoding="unipolar", source="lfsr", seed=1, lfsr_width=16):
        self.lanes = check_int("lanes", lanes, 1, MAX_LANES)
        self.bits = check_bits(bits)
        self.encoding = check_choice("encoding", encoding, ENCODINGS)
        self.source = check_source(source)
        self.lfsr_width = check_lfsr_width(lfsr_width, self.bits)
        self.seed = check_int("seed", seed, 0, mask(64))
        self.seeds = (generator_seeds(self.seed, self.lanes, self.lfsr_width)
                      if self.source == "lfsr" else None)

    def randoms(self, stim, state=None):
        """Random number of every lane in every cycle."""
        if self.source == "port":
            return stim["entropy"]
        return lfsr_randoms(stim["rst"][:, 0], self.seeds, self.lfsr_width, self.bits, state=state)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"x": self.lanes, **({"entropy": self.lanes} if self.source == "port" else {})},
                    "sng")
        bits = compare(self.randoms(stim, state), sng_thresholds(stim["x"], self.bits, self.encoding))
        return {"y": register(bits, stim["rst"][:, 0], state=state, key="y")}
