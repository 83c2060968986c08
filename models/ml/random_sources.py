"""Streams of random numbers for the rounding of low-precision training.

:func:`stochhw.models.ml.training.quantize` rounds each element with one ``bits``-bit number
from a :class:`RandomSource`: :class:`PCGSource` (NumPy's PCG64), :class:`LFSRSource` (the low
bits of successive states of one Galois LFSR, as the ``sru_lfsr`` design uses them) or
:class:`ArraySource` (given numbers, e.g. bits extracted from recorded tensors). Sources that
take their numbers from the network being trained (:mod:`stochhw.models.ml.closed_loop`)
subclass :class:`RandomSource` and use its hooks.
"""

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.lfsr import check_lfsr, lfsr_sequence
from stochhw.models.seeds import lane_seeds

__all__ = ["MAX_RND_BITS", "RandomSource", "PCGSource", "LFSRSource", "ArraySource", "make_source"]

#: The widest random number a source hands out (the SRU's dropped bits).
MAX_RND_BITS = 16


class RandomSource:
    """A stream of ``bits``-bit unsigned random numbers; subclasses implement :meth:`_next`.

    Attributes
    ----------
    bits : int
        Width of every number.
    drawn : int
        Numbers handed out so far.
    """

    kind = "abstract"

    def __init__(self, bits):
        self.bits = check_int("bits", bits, 1, MAX_RND_BITS)
        self.drawn = 0

    def draw(self, n):
        """The next ``n`` numbers, as an ``int64`` array with values in ``[0, 2^bits)``."""
        n = check_int("n", n, 0)
        self.drawn += n
        return self._next(n)

    def numbers_for(self, wide):
        """The numbers that round the wide integers ``wide`` (one per element, C order).

        :func:`stochhw.models.ml.training.quantize` calls this with the values it is about to round. A generator ignores
        them and returns the next ``wide.size`` numbers; a source that extracts its numbers
        from the values being rounded (the ``gf_rounding`` design on its own ``x`` bus,
        :mod:`stochhw.models.ml.closed_loop`) overrides it.
        """
        return self.draw(np.asarray(wide).size)

    def start_step(self, step):
        """Called by :func:`stochhw.models.ml.training.train` before training step ``step`` (0, 1, ...); a no-op here.

        Sources that take their numbers from the network being trained latch, here, the
        tensors that step ``step`` may read.
        """

    def observe(self, kind, layer, codes):
        """Called by :func:`stochhw.models.ml.training.train` with every tensor it stores (after rounding); a no-op here.

        ``codes`` is the int8 array of ``kind`` codes of ``layer`` (see :data:`TENSOR_KINDS`);
        the initial weights are observed before step 0. Do not keep a reference without
        copying: the array is the caller's.
        """

    def _next(self, n):
        raise NotImplementedError

    def describe(self):
        """A short human-readable description."""
        return self.kind


class PCGSource(RandomSource):
    """Uniform numbers from NumPy's PCG64, ``np.random.default_rng(seed)``.

    Parameters
    ----------
    bits : int
        Width of the numbers, 1..16.
    seed : int or numpy.random.SeedSequence
    """

    kind = "pcg"

    def __init__(self, bits, seed=1):
        super().__init__(bits)
        if not isinstance(seed, np.random.SeedSequence):
            seed = check_int("seed", seed, 0)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _next(self, n):
        return self._rng.integers(0, 1 << self.bits, size=n, dtype=np.int64)

    def describe(self):
        seed = self.seed if isinstance(self.seed, int) else "derived"
        return f"PCG64 (seed {seed})"


class LFSRSource(RandomSource):
    """The low ``bits`` bits of successive states of one Galois LFSR with the table's taps.

    Number t is ``state_t & (2^bits - 1)``, state 0 being the seed: what the ``sru_lfsr``
    design feeds its rounding unit on cycle t. The states repeat with period
    ``2^width - 1`` and never include zero, so when ``bits == width`` the number 0 never
    occurs (the "missing zero"). Consecutive numbers are near-copies of each other shifted
    right by one bit (only the feedback taps inside the low bits differ), a correlation the
    NIST tests see.

    Parameters
    ----------
    bits : int
        Width of the numbers, 1..min(16, width).
    width : int
        LFSR width, 2..32.
    seed : int
        Nonzero ``width``-bit start state.
    """

    kind = "lfsr"
    #: States generated per refill: large enough to amortize the jump-ahead set-up.
    CHUNK = 1 << 18

    def __init__(self, bits, width=16, seed=1):
        super().__init__(bits)
        self.width, _, self.seed, self.taps = check_lfsr(width, "galois", seed, None)
        if self.bits > self.width:
            raise ParameterError(f"bits must be <= the LFSR width {self.width}, not {self.bits}")
        self._state = self.seed
        self._buffer = np.empty(0, dtype=np.int64)

    def _next(self, n):
        parts, need = [], n
        while need:
            if self._buffer.size == 0:
                states = lfsr_sequence([self._state], self.CHUNK, self.width, self.taps, "galois")
                self._state = int(states[-1, 0])
                self._buffer = (states[:-1, 0] & np.uint64(mask(self.bits))).astype(np.int64)
            take = min(need, self._buffer.size)
            parts.append(self._buffer[:take])
            self._buffer = self._buffer[take:]
            need -= take
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def describe(self):
        return f"LFSR width {self.width} (Galois, taps {self.taps}), seed {self.seed}, low {self.bits} bits"


class ArraySource(RandomSource):
    """Given numbers, handed out in order and cycled from the start when exhausted.

    Cycling repeats numbers, which a real source would not: :attr:`wraps` says how often it
    happened, so that a report can show the reuse.

    Parameters
    ----------
    numbers : array_like of int
        At least one number, each in ``[0, 2^bits)``.
    bits : int
        Width of the numbers, 1..16.
    label : str
        What the numbers are, for :meth:`describe`.
    """

    kind = "array"

    def __init__(self, numbers, bits, label="given numbers"):
        super().__init__(bits)
        numbers = np.asarray(numbers)
        if numbers.ndim != 1 or numbers.size == 0:
            raise ParameterError("numbers must be a non-empty 1-D array")
        if not np.issubdtype(numbers.dtype, np.integer):
            raise ParameterError(f"numbers must be integers, not dtype {numbers.dtype}")
        if int(numbers.min()) < 0 or int(numbers.max()) >= 1 << self.bits:
            raise ParameterError(f"numbers must lie in [0, 2**{self.bits})")
        self.numbers = numbers.astype(np.int64)
        self.label = label
        self._position = 0

    @property
    def wraps(self):
        """How many times the stream restarted from its first number."""
        return max(0, (self.drawn - 1) // self.numbers.size) if self.drawn else 0

    def _next(self, n):
        index = (self._position + np.arange(n, dtype=np.int64)) % self.numbers.size
        self._position = (self._position + n) % self.numbers.size
        return self.numbers[index]

    def describe(self):
        return f"{self.label} ({self.numbers.size} numbers, cycled)"


def make_source(name, bits, seed):
    """The default source ``name`` (``"pcg"`` or ``"lfsr"``) for a training ``seed``.

    PCG64 is seeded with a child of ``numpy.random.SeedSequence(seed)`` that initialization and
    shuffling do not use; the LFSR (width 16) gets the first SplitMix64 lane seed of ``seed``
    (:func:`stochhw.models.seeds.lane_seeds`), as an ``sru_array`` lane would.
    """
    name = check_choice("source", name, ("pcg", "lfsr"))
    seed = check_int("seed", seed, 0)
    if name == "pcg":
        return PCGSource(bits, np.random.SeedSequence(seed).spawn(2)[1])
    return LFSRSource(bits, 16, lane_seeds(seed, 1, 16)[0])
