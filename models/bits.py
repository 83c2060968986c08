"""Raw port bits and the numbers they carry.

Stimulus and result arrays hold raw port bits as ``uint64`` (two's complement for signed
lanes), so that comparison is bit for bit and independent of how a port is interpreted.
"""

import numpy as np

from stochhw.models.checks import ParameterError

__all__ = ["mask", "to_signed", "to_raw", "as_bit_array"]


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


def as_bit_array(values, name):
    """Validate a sequence of bits (parameter ``name``); return a contiguous ``uint8`` 0/1 array."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D array, not {array.ndim}-D")
    if array.size and not (np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_):
        raise ParameterError(f"{name} must hold integers 0/1, not dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise ParameterError(f"{name} must hold only 0 and 1")
    return np.ascontiguousarray(array, dtype=np.uint8)
