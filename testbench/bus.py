"""Packing lane arrays into flat bus integers and back.

Buses are lane-major: lane i of a ``lanes x w`` bus occupies bits ``[i*w, (i+1)*w)``. Arrays
are ``(cycles, lanes)`` of ``uint64`` raw bits. Packing goes through bytes so that buses of any
width (thousands of bits) cost one vectorized NumPy pass plus one ``int.from_bytes`` per cycle.
"""

import numpy as np

__all__ = ["pack", "unpack"]


def _bits(arr, lane_width):
    """(cycles, lanes) uint64 -> (cycles, lanes*lane_width) bits, LSB first within a lane."""
    shifts = np.arange(lane_width, dtype=np.uint64)
    return ((arr[:, :, None] >> shifts) & np.uint64(1)).astype(np.uint8).reshape(arr.shape[0], -1)


def pack(arr, lane_width):
    """Lane array ``(cycles, lanes)`` -> list of Python ints, one flat bus value per cycle."""
    arr = np.asarray(arr, dtype=np.uint64)
    packed = np.packbits(_bits(arr, lane_width), axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def unpack(values, lanes, lane_width):
    """List of flat bus ints -> lane array ``(cycles, lanes)`` of ``uint64``."""
    nbytes = (lanes * lane_width + 7) // 8
    raw = np.frombuffer(b"".join(int(v).to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    bits = np.unpackbits(raw.reshape(len(values), nbytes), axis=1, bitorder="little")
    bits = bits[:, :lanes * lane_width].reshape(len(values), lanes, lane_width).astype(np.uint64)
    return (bits << np.arange(lane_width, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)
