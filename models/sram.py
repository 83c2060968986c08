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
from stochhw.models.clocked import check_lanes
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["MAX_DEPTH", "MAX_WIDTH", "PORT_LANES", "address_width", "depth_param", "width_param", "ReadEvents",
           "read_events", "read_register", "SRAMSpec", "SRAMModel"]

MAX_DEPTH = 1 << 16
#: The bulk co-simulation harness carries lanes of up to 64 bits; a word is one lane.
MAX_WIDTH = 64
#: Every input port of the memory carries one lane.
PORT_LANES = {"w_en": 1, "w_addr": 1, "w_data": 1, "r_en": 1, "r_addr": 1}


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
    """Which read each output cycle shows (cycles where ``r_data`` is not forced to 0).

    Output cycles run ``0 .. n`` for a stimulus of ``n`` cycles: cycle ``n`` is the one after
    the stimulus, whose ``r_data`` is what the read register holds after the last edge (the
    content a chunked run hands to its next chunk).
    """
    cycles: np.ndarray      #: output cycles t, int64
    reads: np.ndarray       #: the cycle of the read shown in cycle t
    addrs: np.ndarray       #: its address (< depth)
    stored: np.ndarray      #: the word stored there when it was read, uint64
    held: np.ndarray        #: output cycles before any read or reset edge: they show the
                            #: register's content from before the stimulus (0 at power-up)


def read_events(stim, depth, width, state=None):
    """Resolve the memory timing of a whole run, or of one chunk of it, at once (rules: module
    docstring).

    ``state`` (chunked runs, :mod:`stochhw.models.clocked`): ``state["memory"]`` holds the
    array's words when the chunk starts (absent: power-up zeros) and is replaced by its words
    after the chunk's last edge.
    """
    rst = stim["rst"][:, 0].astype(bool)
    cycles = rst.size
    w_addr = stim["w_addr"][:, 0].astype(np.int64)
    r_addr = stim["r_addr"][:, 0].astype(np.int64)
    w_data = stim["w_data"][:, 0].astype(np.uint64) & np.uint64(mask(width))
    writes = np.flatnonzero(stim["w_en"][:, 0].astype(bool) & (w_addr < depth))
    r_en = stim["r_en"][:, 0].astype(bool)
    memory = None if state is None else state.get("memory")

    # The read registers load at every read or reset edge, rst winning. The output of cycle t
    # comes from the last such edge e < t, and is 0 unless e was an in-range read.
    last = np.maximum.accumulate(np.where(r_en | rst, np.arange(cycles), -1))
    src = np.empty(cycles + 1, dtype=np.int64)
    src[0] = -1
    src[1:] = last
    held = np.flatnonzero(src < 0)
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
    # Not written before the read in this stimulus: the word from before it (power-up zeros).
    before = (memory[addrs] if memory is not None else np.zeros(addrs.size, dtype=np.uint64))
    stored = (np.where(hit, w_data[writes[np.maximum(pos, 0)]], before) if writes.size else before)
    if state is not None:
        memory = np.zeros(depth, dtype=np.uint64) if memory is None else memory.copy()
        if writes.size:
            # writes are sorted by (address, cycle): the last of each address is what stays.
            final = np.flatnonzero(np.append(w_addr[writes[1:]] != w_addr[writes[:-1]], True))
            memory[w_addr[writes[final]]] = w_data[writes[final]]
        state["memory"] = memory
    return ReadEvents(out_cycles, reads, addrs, stored, held)


def read_register(events, values, cycles, state=None, key="r_data"):
    """``r_data`` of ``cycles`` output cycles: ``values`` (one per event) where a read shows,
    the carried register content before the first read or reset edge, 0 elsewhere.

    ``state[key]`` (chunked runs) holds the register's content when the chunk starts and is
    replaced by its content after the last edge (the value of output cycle ``cycles``).
    """
    r_data = np.zeros((cycles + 1, 1), dtype=np.uint64)
    r_data[events.held, 0] = 0 if state is None else state.get(key, 0)
    r_data[events.cycles, 0] = values
    if state is not None:
        state[key] = r_data[cycles, 0]
    return r_data[:cycles]


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

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, PORT_LANES, "sram")
        events = read_events(stim, self.depth, self.width, state)
        return {"r_data": read_register(events, events.stored, stim["rst"].shape[0], state)}
