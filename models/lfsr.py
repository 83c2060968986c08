"""Golden model of the ``lfsr`` design: Galois and Fibonacci linear-feedback shift registers.

Both forms shift right. With tap list ``taps`` (see :mod:`models.gf2`):

* **galois**: ``out = s & 1; s = (s >> 1) ^ (mask if out else 0)`` where ``mask`` has bit
  ``t-1`` set for every tap ``t``. One XOR per tap, no XOR chain: the usual FPGA choice.
* **fibonacci**: ``fb = XOR of bits (w - t) for every tap t; s = (s >> 1) | (fb << (w-1))``.

Both have period ``2^w - 1`` for the table's (primitive) taps and never reach the all-zero
state from a nonzero seed.
"""

import numpy as np

from .bits import mask
from .checks import ParameterError, check_choice, check_int
from .clocked import steps_since_reset
from .gf2 import MAX_WIDTH, MIN_WIDTH, check_taps

__all__ = ["FORMS", "check_lfsr", "galois_mask", "lfsr_step", "lfsr_sequence", "LFSRModel"]

FORMS = ("galois", "fibonacci")


def check_lfsr(width, form, seed, taps, *, width_name="width", seed_name="seed"):
    """Validate LFSR parameters; return ``(width, form, seed, taps)`` normalized."""
    width = check_int(width_name, width, MIN_WIDTH, MAX_WIDTH)
    form = check_choice("form", form, FORMS)
    seed = check_int(seed_name, seed, 0)
    if seed == 0 or seed > mask(width):
        raise ParameterError(f"{seed_name} must be in 1..{mask(width)} (a nonzero {width}-bit state), not {seed}")
    taps = check_taps(width, taps)
    return width, form, seed, taps


def galois_mask(taps):
    """XOR mask of the right-shifting Galois form."""
    return sum(1 << (t - 1) for t in taps)


def lfsr_step(state, width, taps, form):
    """One step of the LFSR; ``state`` may be a Python int or a ``uint64`` array."""
    if form == "galois":
        out = state & 1
        return (state >> 1) ^ (out * galois_mask(taps))
    feedback = 0
    for t in taps:
        feedback ^= (state >> (width - t)) & 1
    return (state >> 1) | (feedback << (width - 1))


def lfsr_sequence(seeds, steps, width, taps, form):
    """States ``0 .. steps`` of LFSRs started at ``seeds``.

    Parameters
    ----------
    seeds : sequence of int, length ``lanes``
    steps : int
        Number of steps; the result has ``steps + 1`` rows (row 0 = the seeds).

    Returns
    -------
    ndarray of uint64, shape (steps + 1, lanes)
    """
    state = np.asarray(seeds, dtype=np.uint64)
    seq = np.empty((steps + 1, state.size), dtype=np.uint64)
    seq[0] = state
    one = np.uint64(1)
    if form == "galois":
        gmask = np.uint64(galois_mask(taps))
        for i in range(1, steps + 1):
            state = (state >> one) ^ ((state & one) * gmask)
            seq[i] = state
    else:
        shifts = [np.uint64(width - t) for t in taps]
        top = np.uint64(width - 1)
        for i in range(1, steps + 1):
            feedback = np.zeros_like(state)
            for s in shifts:
                feedback ^= state >> s
            state = (state >> one) | ((feedback & one) << top)
            seq[i] = state
    return seq


class LFSRModel:
    """Model of :class:`hw.lfsr.LFSR`.

    Parameters
    ----------
    width, form, seed, taps
        As for the component.

    Ports (stimulus / result keys)
    ------------------------------
    rst, en : inputs, 1 bit
    state : output, ``width`` bits: the register; ``en`` in cycle t advances it at edge t
        (latency 1). Reset reloads ``seed``.
    """

    def __init__(self, width=16, form="galois", seed=1, taps=None):
        self.width, self.form, self.seed, self.taps = check_lfsr(width, form, seed, taps)

    def run(self, stim):
        rst = stim["rst"][:, 0].astype(bool)
        k = steps_since_reset(stim["en"][:, 0].astype(bool), rst)
        seq = lfsr_sequence([self.seed], int(k.max(initial=0)), self.width, self.taps, self.form)
        return {"state": seq[k, :]}
