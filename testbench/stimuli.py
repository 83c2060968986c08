"""Seeded stimulus for any design: directed extremes, then random, with resets; by the bit.

One generator serves every design and every simulation path. It is *counter-based*: every
input bit of every cycle is a pure function of ``(seed, cycle, bit position)``, so the same
values come out of this NumPy code (for the golden model, the Amaranth simulator and the
per-cycle cocotb loop), out of the Verilog bulk harness (:mod:`stochhw.testbench.harness`),
which computes them inside the simulator with no stimulus file, and out of any *chunk* of a
run computed on its own (:func:`make_stimulus` with ``start``/``stop``): a run of 10^9 cycles
needs no more memory than one chunk.

Definition (all arithmetic modulo 2^64; :class:`StimulusLayout` holds the numbers):

* the data inputs (``rst`` excluded), in signature order, draw *fields* from 64-bit hash
  words: a port of ``L`` lanes takes ``words = ceil(L * f / 64)`` words per cycle, ``f`` its
  widest field below; the words of all ports are numbered ``j = 0 .. S-1`` in port order;
* ``word(t, j) = mix64(seed + (t*S + j + 1) * GOLDEN)`` (SplitMix64: :mod:`stochhw.models.seeds`);
  a port's words, concatenated (word k = bits ``[64k, 64k+64)``), form its bit string ``R``,
  and lane i's field of ``f`` bits is ``R[i*f +: f]``. One hash word thus feeds 64 stimulus
  bits: a 64-lane x 16-bit bus costs 16 words a cycle;
* **random** cycles: a multi-bit lane of ``w`` bits is its ``w``-bit field (the bus *is* the
  first words of ``R``); a 1-bit lane of density 1/2 is its 1-bit field; a 1-bit lane of
  another density is high iff its 16-bit field is below ``floor(density * 2^16)``;
* **directed** cycles ``t < cycles // 4``: a multi-bit lane takes ``extremes[(e * n) >> 8]``,
  ``e`` its 8-bit field, one of its ``n`` extreme values: 0, 1, 2, all ones, all ones - 1
  and, for signed lanes, the signed minimum, minimum + 1, maximum and maximum - 1; a 1-bit
  lane takes its 1-bit field (0 or 1 alike, whatever its density). Drawing extremes
  independently per lane and cycle covers their combinations (x at its maximum while ``rnd``
  is all ones: overflow; ``rnd`` = 0; ...) without a hand-written table per design;
* **reset** is asserted in cycle 0, for one cycle in the middle and for three cycles at three
  quarters of the run (reset mid-stream): :func:`reset_cycles`.
"""

import dataclasses
import functools

import numpy as np

from stochhw.models.seeds import GOLDEN, MIX1, MIX2
from stochhw.testbench.bus import from_words, word_count

__all__ = ["extremes", "reset_cycles", "density_threshold", "directed_cycles", "PortFields",
           "StimulusLayout", "extreme_table", "make_stimulus", "mix64_inplace", "DENSITY_BITS", "DIRECTED_BITS"]

#: Field of a 1-bit lane with a density other than 1/2: its threshold resolution is 2^-16.
DENSITY_BITS = 16
#: Field that picks one of a multi-bit lane's extreme values in the directed cycles.
DIRECTED_BITS = 8


def extremes(width, signed):
    """Directed values for a lane of ``width`` bits, as raw bits (sorted)."""
    top = (1 << width) - 1
    values = {0, 1 & top, 2 & top, top, top - 1}
    if signed and width >= 2:
        half = 1 << (width - 1)
        values |= {half, half + 1, half - 1, half - 2}
    return np.array(sorted(v for v in values if 0 <= v <= top), dtype=np.uint64)


def reset_cycles(cycles):
    """Cycles in which ``rst`` is asserted, in a run of ``cycles`` cycles."""
    marks = {0}
    if cycles >= 8:
        marks.add(cycles // 2)
        marks.update(range(3 * cycles // 4, 3 * cycles // 4 + 3))
    return sorted(c for c in marks if c < cycles)


def directed_cycles(cycles):
    """The directed-extremes phase of a run: cycles ``0 .. directed_cycles(cycles) - 1``."""
    return cycles // 4


def density_threshold(density):
    """The :data:`DENSITY_BITS`-bit threshold below which a 1-bit lane of ``density`` is high."""
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density must be in [0, 1], not {density}")
    return int(density * (1 << DENSITY_BITS))


@dataclasses.dataclass(frozen=True)
class PortFields:
    """How one input port draws its bits.

    Attributes
    ----------
    port : stochhw.sim.core.design.Port
    first_word : int
        Index ``j`` of its first hash word.
    words : int
        Hash words per cycle.
    random_bits : int
        Field per lane in the random cycles (the lane width, or :data:`DENSITY_BITS`).
    directed_bits : int
        Field per lane in the directed cycles (:data:`DIRECTED_BITS`, 1 for 1-bit lanes).
    threshold : int or None
        1-bit lanes with a density other than 1/2: high iff the field is below it.
    """
    port: object
    first_word: int
    words: int
    random_bits: int
    directed_bits: int
    threshold: int | None

    @property
    def random_words(self):
        """Words the random cycles read (the first ones of the port's)."""
        return word_count(self.port.lanes, self.random_bits)

    @property
    def directed_words(self):
        """Words the directed cycles read."""
        return word_count(self.port.lanes, self.directed_bits)


@dataclasses.dataclass(frozen=True)
class StimulusLayout:
    """Which hash words feed which input bits (module docstring); shared by the NumPy side
    and the Verilog harness.

    Parameters
    ----------
    ports : list of stochhw.sim.core.design.Port
    densities : dict of str -> float, optional
        Probability that a 1-bit input is high in the random cycles (default 1/2).
    """
    fields: tuple
    words: int

    @classmethod
    def of(cls, ports, densities=None):
        # A density may name a port that only some configurations have (cfg_en of runtime
        # routing): it applies where the port exists.
        densities = dict(densities or {})
        fields, first = [], 0
        for port in ports:
            if port.direction != "in" or port.name == "rst":
                continue
            density = densities.get(port.name, 0.5)
            threshold = None
            if port.lane_width == 1:
                threshold = density_threshold(density)
                if density == 0.5:
                    threshold = None
            elif port.name in densities:
                raise ValueError(f"a density applies to 1-bit lanes; {port.name} has "
                                 f"{port.lane_width}-bit lanes")
            random_bits = DENSITY_BITS if threshold is not None else port.lane_width
            directed_bits = 1 if port.lane_width == 1 else DIRECTED_BITS
            words = word_count(port.lanes, max(random_bits, directed_bits))
            fields.append(PortFields(port, first, words, random_bits, directed_bits, threshold))
            first += words
        return cls(tuple(fields), first)


def _words(seed, start, stop, total, first, count):
    """Hash words ``first .. first+count-1`` of cycles ``start .. stop-1``: ``(n, count)``."""
    # seed + (t*S + j + 1) * GOLDEN = [seed + (t*S + 1) * GOLDEN] + j * GOLDEN: one addition
    # of a per-cycle column and a per-word row, then SplitMix64's finalizer in place.
    t = np.arange(start, stop, dtype=np.uint64)
    base = np.uint64(seed) + (t * np.uint64(total) + np.uint64(first + 1)) * np.uint64(GOLDEN)
    z = base[:, None] + np.arange(count, dtype=np.uint64)[None, :] * np.uint64(GOLDEN)
    return mix64_inplace(z)


def mix64_inplace(z):
    """:func:`stochhw.models.seeds.mix64` of the ``uint64`` array ``z``, computed in place with
    one scratch array (a third of the memory traffic of ``mix64``); returns ``z``."""
    scratch = np.empty_like(z)
    np.right_shift(z, np.uint64(30), out=scratch)
    z ^= scratch
    z *= np.uint64(MIX1)
    np.right_shift(z, np.uint64(27), out=scratch)
    z ^= scratch
    z *= np.uint64(MIX2)
    np.right_shift(z, np.uint64(31), out=scratch)
    z ^= scratch
    return z


@functools.lru_cache(maxsize=128)
def extreme_table(width, signed):
    """The extreme value each :data:`DIRECTED_BITS`-bit field ``e`` picks:
    ``extremes(width, signed)[(e * n) >> 8]`` for ``e = 0 .. 255`` (read-only)."""
    special = extremes(width, signed)
    pick = (np.arange(1 << DIRECTED_BITS, dtype=np.uint64) * np.uint64(special.size)) >> np.uint64(DIRECTED_BITS)
    table = special[pick.astype(np.intp)]
    table.flags.writeable = False
    return table


def make_stimulus(ports, cycles, seed, densities=None, *, start=0, stop=None, dtype=np.uint64):
    """Stimulus arrays for every input port, for the whole run or for one chunk of it.

    Parameters
    ----------
    ports : list of stochhw.sim.core.design.Port
    cycles : int
        Length of the run (it places the directed phase and the resets).
    seed : int
        0..2^64-1; same seed, same stimulus, on every path.
    densities : dict of str -> float, optional
        Probability that a 1-bit input is high in the random cycles (default 0.5).
    start, stop : int, optional
        Return cycles ``start .. stop-1`` only (default: the whole run). The values are those
        of the whole run's arrays: chunks can be computed one at a time, in any order.
    dtype : numpy dtype or None
        Of the arrays (default ``uint64``, the raw-bits form every model takes). ``None``
        gives each port the narrowest unsigned type that needs no conversion (``uint16`` for
        16-bit lanes, ``uint8`` for 1-bit ones; ``uint64`` for widths that are no whole
        number of bytes): the bulk flow's choice, to spare a copy of every value.

    Returns
    -------
    dict of str -> ndarray, shape (stop - start, lanes)
    """
    if cycles < 1:
        raise ValueError(f"cycles must be >= 1, not {cycles}")
    stop = cycles if stop is None else stop
    if not 0 <= start <= stop <= cycles:
        raise ValueError(f"chunk {start}..{stop} is not within the run of {cycles} cycles")
    layout = _layout(tuple(ports), tuple(sorted((densities or {}).items())))
    n = stop - start
    directed = min(max(directed_cycles(cycles) - start, 0), n)     # directed rows of this chunk
    stim = {}
    for f in layout.fields:
        port = f.port
        w = port.lane_width
        kind = dtype or (np.uint8 if w == 1 else _NARROW.get(w, np.uint64))
        if not directed:                       # one view of the hash words, no copy
            stim[port.name] = _random(f, _words(seed, start, stop, layout.words, f.first_word,
                                                f.random_words), kind)
            continue
        values = np.empty((n, port.lanes), dtype=kind)
        words = _words(seed, start, start + directed, layout.words, f.first_word, f.directed_words)
        if w > 1:
            fields = from_words(words, port.lanes, f.directed_bits, dtype=None)
            np.take(extreme_table(w, port.signed).astype(kind), fields, out=values[:directed],
                    mode="clip")               # (indices < 256; "raise" is 4x slower)
        else:
            values[:directed] = from_words(words, port.lanes, 1, dtype=None)
        if directed < n:
            words = _words(seed, start + directed, stop, layout.words, f.first_word, f.random_words)
            values[directed:] = _random(f, words, None)
        stim[port.name] = values
    rst = np.zeros((n, 1), dtype=dtype or np.uint8)
    marks = [c - start for c in reset_cycles(cycles) if start <= c < stop]
    rst[marks] = 1
    stim["rst"] = rst
    return stim


#: Lane widths whose values are a view of the hash words' bytes.
_NARROW = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def _random(f, words, dtype):
    """The random-cycle values of port field ``f`` from its hash words."""
    fields = from_words(words, f.port.lanes, f.random_bits, dtype=None)
    if f.threshold is not None:
        fields = fields < f.threshold
    return fields if dtype is None else fields.astype(dtype, copy=False)


@functools.lru_cache(maxsize=256)
def _layout(ports, densities):
    return StimulusLayout.of(ports, dict(densities))
