"""Seeded stimulus for any registered design: directed extremes, then random, with resets.

One generator serves every design, driven by the port list (:class:`sim.registry.Port`):

* **directed** (first quarter of the run): every lane of every data input draws from its
  extreme values: 0, 1, 2, all ones, all ones - 1, and for signed lanes also the signed
  minimum, minimum + 1, maximum and maximum - 1. Drawing the extremes independently per lane
  and cycle covers their combinations (x at its maximum while ``rnd`` is all ones: overflow;
  ``rnd`` = 0; ...) without a hand-written table per design.
* **random** (the rest): uniform over each lane's range; 1-bit controls are high with a
  per-port probability (default 1/2, see ``densities``).
* **reset**: asserted in cycle 0, for one cycle in the middle and for three cycles at
  three quarters of the run (reset mid-stream).
"""

import numpy as np

__all__ = ["extremes", "make_stimulus"]


def extremes(width, signed):
    """Directed values for a lane of ``width`` bits, as raw bits."""
    top = (1 << width) - 1
    values = {0, 1 & top, 2 & top, top, top - 1}
    if signed and width >= 2:
        half = 1 << (width - 1)
        values |= {half, half + 1, half - 1, half - 2}
    return np.array(sorted(v for v in values if 0 <= v <= top), dtype=np.uint64)


def _uniform(rng, shape, width):
    if width == 64:
        return rng.integers(0, 1 << 63, size=shape, dtype=np.uint64) * np.uint64(2) + \
            rng.integers(0, 2, size=shape, dtype=np.uint64)
    return rng.integers(0, 1 << width, size=shape, dtype=np.uint64)


def reset_cycles(cycles):
    """Cycles in which ``rst`` is asserted."""
    marks = {0}
    if cycles >= 8:
        marks.add(cycles // 2)
        marks.update(range(3 * cycles // 4, 3 * cycles // 4 + 3))
    return sorted(c for c in marks if c < cycles)


def make_stimulus(ports, cycles, seed, densities=None):
    """Stimulus arrays for every input port.

    Parameters
    ----------
    ports : list of sim.registry.Port
    cycles : int
    seed : int
        Seed of ``np.random.default_rng``; same seed, same stimulus.
    densities : dict of str -> float, optional
        Probability that a 1-bit input is high in the random part (default 0.5).

    Returns
    -------
    dict of str -> ndarray of uint64, shape (cycles, lanes)
    """
    if cycles < 1:
        raise ValueError(f"cycles must be >= 1, not {cycles}")
    rng = np.random.default_rng(seed)
    densities = densities or {}
    directed = cycles // 4
    stim = {}
    for port in ports:
        if port.direction != "in" or port.name == "rst":
            continue
        shape = (cycles, port.lanes)
        if port.lane_width == 1:
            values = (rng.random(shape) < densities.get(port.name, 0.5)).astype(np.uint64)
        else:
            values = _uniform(rng, shape, port.lane_width)
        special = extremes(port.lane_width, port.signed)
        values[:directed] = special[rng.integers(0, special.size, size=(directed, port.lanes))]
        stim[port.name] = values
    rst = np.zeros((cycles, 1), dtype=np.uint64)
    rst[reset_cycles(cycles)] = 1
    stim["rst"] = rst
    return stim
