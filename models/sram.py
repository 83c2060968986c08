"""Golden model of ``sram``: a plain synchronous memory, and the read/write timing it shares
with ``faulty_sram``.

``depth`` words of ``width`` bits, one write port and one read port (see :mod:`stochhw.models.clocked`
for the time convention):

* a write (``w_en``) in cycle t stores ``w_data`` at ``w_addr`` at edge t; addresses
  ``>= depth`` (possible when ``depth`` is not a power of two) are ignored;
* a read (``r_en``) in cycle t shows the word at ``r_addr`` in ``r_data`` from cycle t+1 until
  the next read or reset (latency 1); a read of an address written in the same cycle returns
  the old word (read-before-write); a read at ``r_addr >= depth`` returns 0;
* ``rst`` clears ``r_data`` to 0 until the next read and wins over a read in the same cycle.
  The array has no reset: it powers up all zeros, and writes during reset still happen.
"""

import dataclasses
import typing

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["MAX_DEPTH", "MAX_WIDTH", "address_width", "depth_param", "width_param", "ReadEvents",
           "read_events", "SRAMSpec", "SRAMModel"]

MAX_DEPTH = 1 << 16
#: The bulk co-simulation harness carries lanes of up to 64 bits; a word is one lane.
MAX_WIDTH = 64


def address_width(depth):
    """Bits of the address ports: ``ceil(log2(depth))``, at least 1."""
    return max(1, (depth - 1).bit_length())


# The array's parameters, declared once for sram and faulty_sram.

def depth_param():
    """The ``depth`` parameter: words in the array."""
    return param(512, "words (need not be a power of two)", lo=1, hi=MAX_DEPTH)


def width_param():
    """The ``width`` parameter: bits per word (one lane of the co-simulation harness)."""
    return param(64, "bits per word", lo=1, hi=MAX_WIDTH)


class ReadEvents(typing.NamedTuple):
    """Which read each output cycle shows (cycles where ``r_data`` is not forced to 0)."""
    cycles: np.ndarray      #: output cycles t, int64
    reads: np.ndarray       #: the cycle of the read shown in cycle t
    addrs: np.ndarray       #: its address (< depth)
    stored: np.ndarray      #: the word stored there when it was read, uint64


def read_events(stim, depth, width):
    """Resolve the memory timing of a whole run at once (rules: module docstring)."""
    rst = stim["rst"][:, 0].astype(bool)
    cycles = rst.size
    w_addr = stim["w_addr"][:, 0].astype(np.int64)
    r_addr = stim["r_addr"][:, 0].astype(np.int64)
    w_data = stim["w_data"][:, 0].astype(np.uint64) & np.uint64(mask(width))
    writes = np.flatnonzero(stim["w_en"][:, 0].astype(bool) & (w_addr < depth))
    r_en = stim["r_en"][:, 0].astype(bool)

    # The read registers load at every read or reset edge, rst winning. The output of cycle t
    # comes from the last such edge e < t, and is 0 unless e was an in-range read.
    last = np.maximum.accumulate(np.where(r_en | rst, np.arange(cycles), -1))
    src = np.empty(cycles, dtype=np.int64)
    src[0] = -1
    src[1:] = last[:-1]
    shown = src >= 0
    shown[shown] = ~rst[src[shown]] & (r_addr[src[shown]] < depth)
    out_cycles = np.flatnonzero(shown)
    reads = src[out_cycles]
    addrs = r_addr[reads]

    # Read-before-write: the last write to the address in a cycle before the read. Writes
    # sorted by (address, cycle) make that one binary search per read.
    key_w = w_addr[writes] * cycles + writes
    order = np.argsort(key_w, kind="stable")
    key_w, writes = key_w[order], writes[order]
    pos = np.searchsorted(key_w, addrs * cycles + reads, side="left") - 1
    hit = pos >= 0
    hit[hit] = key_w[pos[hit]] >= addrs[hit] * cycles
    # No write at all in the run: every read sees the power-up zeros (and writes[0] is no index).
    stored = (np.where(hit, w_data[writes[np.maximum(pos, 0)]], np.uint64(0)) if writes.size
              else np.zeros(addrs.size, dtype=np.uint64))
    return ReadEvents(out_cycles, reads, addrs, stored)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SRAMSpec(Spec):
    """Parameters of ``sram`` (:class:`stochhw.hw.sram.SRAM`, :class:`SRAMModel`)."""
    depth: int = depth_param()
    width: int = width_param()

    @property
    def addr_width(self):
        """Bits of ``w_addr`` and ``r_addr`` (:func:`address_width`)."""
        return address_width(self.depth)


class SRAMModel(Specified):
    """Model of :class:`stochhw.hw.sram.SRAM` (rules: module docstring).

    Parameters
    ----------
    spec : SRAMSpec, optional
        Or its fields as keyword arguments (``depth``, ``width``).

    Ports (stimulus / result keys)
    ------------------------------
    rst, w_en, w_addr, w_data, r_en, r_addr : inputs
    r_data : output, latency 1
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRAMSpec, spec, params)

    def run(self, stim):
        events = read_events(stim, self.depth, self.width)
        r_data = np.zeros((stim["rst"].shape[0], 1), dtype=np.uint64)
        r_data[events.cycles, 0] = events.stored
        return {"r_data": r_data}
