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

import dataclasses

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.clocked import check_lanes, register
from stochhw.models.sc_stream import (
    Generators,
    bits_param,
    check_lfsr_width,
    compare,
    lanes_param,
    lfsr_randoms,
    lfsr_width_param,
    seed_param,
    source_param,
)
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["ENCODINGS", "SNGSpec", "SNGModel", "sng_thresholds"]

ENCODINGS = ("unipolar", "bipolar")


def sng_thresholds(x_raw, bits, encoding):
    """Comparator thresholds of raw ``bits``-bit codes ``x_raw`` (see the module docstring)."""
    x = np.asarray(x_raw, dtype=np.int64) & mask(bits)
    return x ^ (1 << (bits - 1)) if encoding == "bipolar" else x


@dataclasses.dataclass(frozen=True, kw_only=True)
class SNGSpec(Generators, Spec):
    """Parameters of ``sng`` (:class:`stochhw.hw.sng.SNG`, :class:`SNGModel`)."""
    lanes: int = lanes_param(1, "generators")
    bits: int = bits_param("code and random-number width")
    encoding: str = param("unipolar", "unipolar: P(1)=x/2^bits; bipolar: x signed, "
                                      "P(1)=(1+x/2^(bits-1))/2", choices=ENCODINGS)
    source: str = source_param()
    seed: int = seed_param()
    lfsr_width: int = lfsr_width_param()

    def validate(self):
        check_lfsr_width(self.lfsr_width, self.bits)
        self.seeds                    # refuses more lanes than distinct lfsr_width-bit seeds

    @property
    def generators(self):
        """One LFSR per lane (``source="lfsr"``): lane i's seed is ``seeds[i]``."""
        return self.lanes


class SNGModel(Specified):
    """Model of :class:`stochhw.hw.sng.SNG`.

    Parameters
    ----------
    spec : SNGSpec, optional
        Or its fields as keyword arguments. With ``source="lfsr"`` lane i owns a leap-forward
        Galois LFSR (``bits`` steps per cycle, :mod:`stochhw.models.sc_stream`) seeded with
        ``SNGSpec.seeds[i]``; with ``"port"`` its numbers come on ``entropy``.

    Ports (stimulus / result keys)
    ------------------------------
    x : in, lanes x ``bits``
    entropy : in, lanes x ``bits`` (``source="port"`` only)
    y : out, lanes x 1, registered (latency 1)
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SNGSpec, spec, params)

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
