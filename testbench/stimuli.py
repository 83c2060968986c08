"""Seeded stimulus for any registered design: directed extremes, then random, with resets.

One generator serves every design and every simulation path. It is *counter-based*: the value
of every input lane in every cycle is a pure function of ``(seed, cycle, slot)``, so the same
numbers come out of this NumPy code (for the model, the Amaranth simulator and the per-cycle
cocotb loop) and out of the Verilog bulk harness (:mod:`stochhw.testbench.harness`), which computes them
inside the simulator with no stimulus file at all.

Definition (all arithmetic modulo 2^64):

* input lanes are numbered into *slots*: ports in signature order (``rst`` excluded), lanes
  in order; ``S`` slots in all;
* ``word(t, s) = mix64(seed + (t*S + s + 1) * GOLDEN)`` (SplitMix64: :mod:`stochhw.models.seeds`),
  ``hi = word >> 32``;
* **directed** cycles ``t < cycles // 4``: the lane takes ``extremes[(hi * n) >> 32]``, one
  of its ``n`` extreme values: 0, 1, 2, all ones, all ones - 1 and, for signed lanes, the
  signed minimum, minimum + 1, maximum and maximum - 1. Drawing extremes independently per
  lane and cycle covers their combinations (x at its maximum while ``rnd`` is all ones:
  overflow; ``rnd`` = 0; ...) without a hand-written table per design;
* **random** cycles: a multi-bit lane takes ``word & (2^w - 1)``; a 1-bit lane is high iff
  ``hi < threshold`` with ``threshold = floor(density * 2^32)`` (density 1/2 by default,
  per port through ``densities``);
* **reset** is asserted in cycle 0, for one cycle in the middle and for three cycles at three
  quarters of the run (reset mid-stream): :func:`reset_cycles`.
"""

import numpy as np

from stochhw.models.seeds import GOLDEN, mix64

__all__ = ["extremes", "reset_cycles", "input_slots", "density_threshold", "make_stimulus"]


def extremes(width, signed):
    """Directed values for a lane of ``width`` bits, as raw bits (sorted)."""
    top = (1 << width) - 1
    values = {0, 1 & top, 2 & top, top, top - 1}
    if signed and width >= 2:
        half = 1 << (width - 1)
        values |= {half, half + 1, half - 1, half - 2}
    return np.array(sorted(v for v in values if 0 <= v <= top), dtype=np.uint64)


def reset_cycles(cycles):
    """Cycles in which ``rst`` is asserted."""
    marks = {0}
    if cycles >= 8:
        marks.add(cycles // 2)
        marks.update(range(3 * cycles // 4, 3 * cycles // 4 + 3))
    return sorted(c for c in marks if c < cycles)


def input_slots(ports):
    """``[(port, first_slot)]`` for the data inputs, and the total slot count ``S``."""
    slots, first = [], 0
    for port in ports:
        if port.direction == "in" and port.name != "rst":
            slots.append((port, first))
            first += port.lanes
    return slots, first


def density_threshold(density):
    """32-bit threshold below which a 1-bit lane is high."""
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density must be in [0, 1], not {density}")
    return min(int(density * 2 ** 32), 2 ** 32)


def make_stimulus(ports, cycles, seed, densities=None):
    """Stimulus arrays for every input port.

    Parameters
    ----------
    ports : list of stochhw.sim.designs.Port
    cycles : int
    seed : int
        0..2^64-1; same seed, same stimulus, on every path.
    densities : dict of str -> float, optional
        Probability that a 1-bit input is high in the random part (default 0.5).

    Returns
    -------
    dict of str -> ndarray of uint64, shape (cycles, lanes)
    """
    if cycles < 1:
        raise ValueError(f"cycles must be >= 1, not {cycles}")
    densities = densities or {}
    slots, total = input_slots(ports)
    t = np.arange(cycles, dtype=np.uint64)[:, None]
    directed = cycles // 4
    stim = {}
    for port, first in slots:
        s = np.arange(first, first + port.lanes, dtype=np.uint64)[None, :]
        word = mix64(np.uint64(seed) + (t * np.uint64(total) + s + np.uint64(1)) * np.uint64(GOLDEN))
        hi = word >> np.uint64(32)
        if port.lane_width == 1:
            values = (hi < np.uint64(density_threshold(densities.get(port.name, 0.5)))).astype(np.uint64)
        else:
            values = word & np.uint64((1 << port.lane_width) - 1)
        special = extremes(port.lane_width, port.signed)
        pick = (hi[:directed] * np.uint64(special.size)) >> np.uint64(32)
        values[:directed] = special[pick.astype(np.intp)]
        stim[port.name] = values
    rst = np.zeros((cycles, 1), dtype=np.uint64)
    rst[reset_cycles(cycles)] = 1
    stim["rst"] = rst
    return stim
