"""Shannon entropy of n-bit numbers, and packing a bit stream into such numbers.

The entropy is the plug-in estimate H = -sum_v p_v log2 p_v over the observed frequencies p_v
of the values, in bits per number: ``bits`` for a uniform source, 0 for a constant one. It is
biased low when the sample holds few numbers per possible value (roughly, fewer than
2^bits * 10); that is the caller's sample size to choose.
"""

import numpy as np

from stochhw.models.bits import as_bit_array
from stochhw.models.checks import ParameterError, check_int

__all__ = ["pack_bits", "shannon_entropy", "counts_entropy"]

MAX_BITS = 64


def _unsigned_dtype(bits):
    """The smallest unsigned integer dtype holding ``bits`` bits."""
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if bits <= np.iinfo(dtype).bits:
            return dtype
    raise AssertionError("bits was checked against MAX_BITS")


def pack_bits(stream, bits):
    """Pack a bit stream into ``bits``-bit numbers, least significant bit first.

    Number k is ``sum_j stream[k*bits + j] << j``: the first bit of each group is the
    number's bit 0. Bits left over after the last complete group are dropped.

    Parameters
    ----------
    stream : array_like of 0/1
        1-D bit stream, first bit first.
    bits : int
        Bits per number, 1..64.

    Returns
    -------
    numpy.ndarray
        ``len(stream) // bits`` numbers, in the smallest unsigned dtype that holds ``bits``
        bits (``uint8`` up to 8 bits, ... ``uint64`` up to 64).

    Examples
    --------
    >>> pack_bits([1, 0, 0, 0, 0, 0, 1, 1, 1], 4)
    array([ 1, 12], dtype=uint8)
    """
    bits = check_int("bits", bits, 1, MAX_BITS)
    stream = as_bit_array(stream, "stream")
    count = stream.size // bits
    groups = stream[:count * bits].reshape(count, bits).astype(np.uint64)
    weights = np.arange(bits, dtype=np.uint64)
    values = np.bitwise_or.reduce(groups << weights, axis=1)
    return values.astype(_unsigned_dtype(bits))


def shannon_entropy(values, bits):
    """Shannon entropy of samples of ``bits``-bit numbers, in bits per number.

    Parameters
    ----------
    values : array_like of int
        Samples, any shape (flattened), each in ``[0, 2**bits)``. At least one.
    bits : int
        Width of the numbers, 1..64; it sets the range check, not the estimate.

    Returns
    -------
    float
        H = -sum_v p_v log2 p_v, between 0 and ``bits``.

    Examples
    --------
    >>> shannon_entropy([0, 0, 1, 2], bits=2)
    1.5
    """
    bits = check_int("bits", bits, 1, MAX_BITS)
    values = np.asarray(values)
    if values.size == 0:
        raise ParameterError("values must hold at least one sample")
    if not (np.issubdtype(values.dtype, np.integer) or values.dtype == np.bool_):
        raise ParameterError(f"values must be integers, not dtype {values.dtype}")
    # Compare as Python ints: 2**64 does not fit any NumPy integer dtype.
    low, high = int(values.min()), int(values.max())
    if low < 0 or high >= 1 << bits:
        raise ParameterError(f"values must lie in [0, 2**{bits}), found {low if low < 0 else high}")
    _, counts = np.unique(values.ravel(), return_counts=True)
    return counts_entropy(counts)


def counts_entropy(counts):
    """Shannon entropy, in bits, of the observed frequencies in a histogram.

    Parameters
    ----------
    counts : array_like of int
        How often each value occurred (zeros allowed); not all zero.

    Returns
    -------
    float
        ``-sum p log2 p`` over the nonzero ``p = counts / counts.sum()``; the same as
        :func:`shannon_entropy` of the samples the histogram counts.

    Examples
    --------
    >>> counts_entropy([2, 1, 1, 0])
    1.5
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or not np.issubdtype(counts.dtype, np.integer):
        raise ParameterError(f"counts must be a 1-D array of integers, not {counts.dtype} of "
                             f"shape {counts.shape}")
    if np.any(counts < 0) or counts.sum() <= 0:
        raise ParameterError("counts must be >= 0 and not all zero")
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log2(p))) + 0.0  # + 0.0 turns -0.0 into 0.0
