"""Lane arrays packed into flat buses and back: as Python integers, or as 64-bit words.

A bus of ``lanes`` lanes of ``w`` bits is lane-major: lane i occupies bits ``[i*w, (i+1)*w)``.
Lane arrays are ``(cycles, lanes)`` of ``uint64`` raw bits (two's complement for signed
lanes), the form every golden model takes and returns.

Two packed forms serve two readers:

* :func:`pack` / :func:`unpack`: one Python ``int`` per cycle, the value a cocotb handle takes
  (``dut.x.value = pack(x, 16)[t]``), for buses of any width;
* :func:`to_words` / :func:`from_words`: ``(cycles, ceil(lanes*w / 64))`` ``uint64`` words,
  word k holding bits ``[64k, 64k+64)`` of the bus. The bulk harness draws its stimulus and
  folds its signatures in this form (:mod:`stochhw.testbench.stimuli`,
  :mod:`stochhw.testbench.harness`), one 64-bit word for 64 bits whatever the lane width.

Lane widths of 8, 16, 32 and 64 bits are a reinterpretation of the same bytes (no copy of the
bits); other widths go through one vectorized bit pass.
"""

import sys

import numpy as np

__all__ = ["pack", "unpack", "to_words", "from_words", "word_count"]

_NATIVE = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
_LITTLE = sys.byteorder == "little"


def word_count(lanes, lane_width):
    """64-bit words that hold a bus of ``lanes`` lanes of ``lane_width`` bits."""
    return -(-lanes * lane_width // 64)


def _bits(arr, lane_width):
    """(cycles, lanes) uint64 -> (cycles, lanes*lane_width) bits, LSB first within a lane."""
    shifts = np.arange(lane_width, dtype=np.uint64)
    return ((arr[:, :, None] >> shifts) & np.uint64(1)).astype(np.uint8).reshape(arr.shape[0], -1)


def _packed_bytes(arr, lane_width):
    """(cycles, lanes) -> (cycles, ceil(lanes*w/8)) uint8: the bus, little-endian bytes."""
    arr = np.asarray(arr, dtype=np.uint64)
    if lane_width in _NATIVE and _LITTLE:
        return np.ascontiguousarray(arr.astype(_NATIVE[lane_width])).view(np.uint8).reshape(arr.shape[0], -1)
    return np.packbits(_bits(arr, lane_width), axis=1, bitorder="little")


def pack(arr, lane_width):
    """Lane array ``(cycles, lanes)`` -> list of Python ints, one flat bus value per cycle.

    Parameters
    ----------
    arr : array_like of unsigned integers, shape (cycles, lanes)
        Raw lane bits.
    lane_width : int
        Bits per lane.

    Returns
    -------
    list of int
        Bus values, lane i in bits ``[i*lane_width, (i+1)*lane_width)``.
    """
    packed = _packed_bytes(arr, lane_width)
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def unpack(values, lanes, lane_width):
    """List of flat bus ints -> lane array ``(cycles, lanes)`` of ``uint64`` (inverse of :func:`pack`)."""
    nbytes = (lanes * lane_width + 7) // 8
    raw = np.frombuffer(b"".join(int(v).to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    return _from_bytes(raw.reshape(len(values), nbytes), lanes, lane_width)


def _from_bytes(raw, lanes, lane_width, dtype=np.uint64):
    """(cycles, >= ceil(lanes*w/8)) uint8, little-endian bus bytes -> (cycles, lanes) lanes.

    ``dtype=None`` keeps the narrowest unsigned type that holds a lane when that costs no
    conversion (8/16/32/64-bit lanes: a view of the bytes).
    """
    cycles = raw.shape[0]
    if lane_width in _NATIVE and _LITTLE:
        nbytes = lanes * lane_width // 8
        view = np.ascontiguousarray(raw[:, :nbytes]).view(_NATIVE[lane_width])
        return view if dtype is None else view.astype(dtype, copy=False)
    bits = np.unpackbits(raw, axis=1, bitorder="little", count=lanes * lane_width)
    bits = bits.reshape(cycles, lanes, lane_width).astype(np.uint64)
    values = (bits << np.arange(lane_width, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)
    return values if dtype is None else values.astype(dtype, copy=False)


def to_words(arr, lane_width):
    """Lane array ``(cycles, lanes)`` -> bus words ``(cycles, ceil(lanes*w/64))`` of ``uint64``.

    Bits above the bus in the last word are zero.
    """
    arr = np.asarray(arr, dtype=np.uint64)
    packed = _packed_bytes(arr, lane_width)
    words = word_count(arr.shape[1], lane_width)
    if packed.shape[1] != 8 * words:
        packed = np.pad(packed, ((0, 0), (0, 8 * words - packed.shape[1])))
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def from_words(words, lanes, lane_width, dtype=np.uint64):
    """Bus words ``(cycles, k)`` ``uint64`` -> lane array ``(cycles, lanes)`` (inverse of :func:`to_words`).

    ``words`` may hold more words than the bus needs (the rest is ignored). ``dtype`` is the
    result's type (``None``: the narrowest that needs no conversion, for internal use).
    """
    words = np.ascontiguousarray(words, dtype="<u8")
    return _from_bytes(words.view(np.uint8), lanes, lane_width, dtype)
