"""Deterministic derivation of distinct per-lane seeds from one user seed.

Lane seeds are the SplitMix64 outputs started at the user's seed, reduced to nonzero
``width``-bit values, skipping values already taken:

    candidate_j = 1 + splitmix64_output(seed, j) mod (2^width - 1),   j = 0, 1, 2, ...
    lane i gets the i-th distinct candidate.

Distinct seeds matter: two lanes with the same seed would make identical rounding decisions
(256 random 16-bit seeds collide with probability ~40%). SplitMix64 (Steele, Lea & Flood,
2014) is the standard seeder for this purpose: it spreads consecutive integers over the whole
64-bit range, so lanes start far apart on the LFSR's sequence. It is a handful of integer
operations; no library exposes it.

All lanes of an array share one polynomial, as in the conventional RNG array; their streams are
therefore shifted copies of one m-sequence, far apart in phase.
"""

import numpy as np

from stochhw.models.checks import ParameterError

__all__ = ["GOLDEN", "MIX1", "MIX2", "splitmix64", "mix64", "lane_seeds"]

_M64 = (1 << 64) - 1
#: SplitMix64 constants: the increment (2^64 / golden ratio) and the two finalizer multipliers.
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def splitmix64(seed, index):
    """The ``index``-th (0-based) 64-bit output of SplitMix64 started at ``seed``."""
    z = (seed + (index + 1) * GOLDEN) & _M64
    z = ((z ^ (z >> 30)) * MIX1) & _M64
    z = ((z ^ (z >> 27)) * MIX2) & _M64
    return z ^ (z >> 31)


def mix64(z):
    """SplitMix64's finalizer on a ``uint64`` array (wrapping arithmetic, a bijection)."""
    z = np.asarray(z, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def lane_seeds(seed, lanes, width):
    """Distinct nonzero ``width``-bit seeds of lanes ``0 .. lanes-1``."""
    states = (1 << width) - 1
    if lanes > states:
        raise ParameterError(f"lanes must be <= 2^lfsr_width - 1 = {states} so that every lane "
                             f"gets its own seed, not {lanes}")
    seeds, taken, j = [], set(), 0
    while len(seeds) < lanes:
        candidate = 1 + splitmix64(seed, j) % states
        j += 1
        if candidate not in taken:
            taken.add(candidate)
            seeds.append(candidate)
    return seeds
