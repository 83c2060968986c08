"""Raw port bits and the numbers they carry.

Stimulus and result arrays hold raw port bits as ``uint64`` (two's complement for signed
lanes), so that comparison is bit for bit and independent of how a port is interpreted.
"""

import numpy as np

__all__ = ["mask", "to_signed", "to_raw"]


def mask(width):
    """``2**width - 1`` as a Python int."""
    return (1 << width) - 1


def to_signed(raw, width):
    """Interpret ``width``-bit raw values as two's complement; returns ``int64``."""
    raw = np.asarray(raw).astype(np.int64) & mask(width)
    return raw - ((raw >> (width - 1)) & 1) * (1 << width)


def to_raw(values, width):
    """Two's-complement bits of ``values`` (any integer dtype) in ``width`` bits, as ``uint64``."""
    return (np.asarray(values).astype(np.int64) & mask(width)).astype(np.uint64)
