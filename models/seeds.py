"""Deterministic derivation of per-lane seeds from one user seed.

Lane ``i`` of an array gets the ``i``-th output of SplitMix64 seeded with the user's seed,
reduced to a nonzero ``width``-bit value:

    lane_seed(seed, i, width) = 1 + splitmix64_output(seed, i) mod (2^width - 1)

SplitMix64 (Steele, Lea & Flood, 2014) is the standard seeder for exactly this purpose: it
spreads consecutive integers over the whole 64-bit range, so neighbouring lanes start far apart
in the LFSR sequence. It is a handful of integer operations; no library exposes it.
"""

__all__ = ["splitmix64", "lane_seed", "lane_seeds"]

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(seed, index):
    """The ``index``-th (0-based) 64-bit output of SplitMix64 started at ``seed``."""
    z = (seed + (index + 1) * _GOLDEN) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def lane_seed(seed, lane, width):
    """Nonzero ``width``-bit seed of lane ``lane`` derived from ``seed``."""
    return 1 + splitmix64(seed, lane) % ((1 << width) - 1)


def lane_seeds(seed, lanes, width):
    """Seeds of lanes ``0 .. lanes-1``."""
    return [lane_seed(seed, i, width) for i in range(lanes)]
