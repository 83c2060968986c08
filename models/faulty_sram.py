"""Golden model of ``faulty_sram``: an SRAM run below Vmin, with seeded, nested bit faults.

The memory holds ``depth`` words of ``width`` bits. Faults act on reads: the array stores what
was written, and a read returns the stored word with some of its bits in error. That is how
low-voltage SRAM fails in the profiling studies (the faulty cells of a chip are fixed, and the
errors show when the word is read), and it keeps level 0 an exact memory.

Fail levels
-----------
Every cell ``(addr, bit)`` has two *fail levels*, ``f01`` and ``f10`` in ``1 .. 2^L``
(``L = level_bits``; ``2^L`` means never, since ``level`` is an L-bit port). At fault level
``level`` the cell

* reads 1 when it stores 0 iff ``f01 <= level`` (a 0->1 error),
* reads 0 when it stores 1 iff ``f10 <= level`` (a 1->0 error),

on every access (``p_err = 1``) or on a random fraction ``p_err`` of accesses. The faulty set
at a level is therefore contained in the faulty set at every higher level, by construction,
and level 0 (no fail level is 0) reads back exactly what was written.

Seeded chips (no ``profile``): each cell has a vulnerability ``v`` uniform on ``0 .. 2^L - 1``,
so a cell is faulty iff ``v < level`` with probability ``level / 2^L``
(:func:`stochhw.models.voltage.level_to_p`).

* ``mode="flip"``: ``f01 = f10 = v + 1``: a faulty cell inverts the stored bit.
* ``mode="stuck"``: a faulty cell reads a fixed value ``s``: ``f01 = v + 1`` if ``s = 1``
  (stuck at 1: only a stored 0 is read wrong) and ``f10 = v + 1`` if ``s = 0``; the other is
  ``2^L``. ``s = 1`` with probability ``p01`` (the 0->1 vs 1->0 bias), a multiple of 1/256
  (other values are refused); ``s`` is independent of ``v``.
* ``pattern="random"``: ``v`` is independent from cell to cell.
* ``pattern="column"``: faults aligned along columns (bit lines), like chip 2 of the paper:
  ``v = (c[bit] << (L - 3)) | u`` with a per-column value ``c`` uniform on ``0..7`` and a per-cell
  ``u`` of ``L - 3`` bits. ``v`` is still uniform, so the rate is the same on average, but at
  ``level < 2^L / 8`` every fault sits in the weak columns (``c = 0``, one column in eight on
  average), each failing at 8 times the average rate.

Where ``v``, ``u``, ``s`` and ``c`` come from: *simple tabulation hashing* of the address
(Zobrist; Patrascu and Thorup, "The power of simple tabulation hashing", 2012). The address
is cut into 6-bit characters ``a_0, a_1, ...`` (from the LSB) and
``u(addr, bit) = T_0[a_0, bit] ^ T_1[a_1, bit] ^ ...``, where the tables ``T_k`` hold
seeded random numbers (:func:`hash_tables`). With random tables the values of one word are
independent and uniform, and those of different addresses are 3-wise independent, so fault
counts have exactly the binomial variance of independent cells. Why a hash and not a stored
map: a stored map costs ``depth * width * L`` bits of ROM (eight times the data memory at
``L = 8``, twelve times at the default ``L = 12``). The tables cost
``2^6 * width * L`` bits per character, whatever the depth, and a 6-input table is one LUT6
per output bit: the vulnerability of a read word is a few LUT levels, computed from the
registered read address. The tables, column values and stuck values are constants of the
chip: the hardware is built from the same arrays (:class:`FaultySRAMModel` owns them).

Profiled chips (``profile`` = a file): the fail levels come from a measured map instead, with
per-cell 0->1 and 1->0 maps (``mode``, ``pattern`` and ``p01`` are then unused). File format
(:func:`load_profile`): ``.npz`` with arrays ``flip01`` and ``flip10``, or ``.json`` with an
object holding those two keys (lists of ``depth`` lists of ``width`` values); shape
``(depth, width)``, row = address, column = bit; bool or integer values in ``0 .. 2^L - 1``:
0 = the cell never errs in that direction, ``k >= 1`` = it errs at every ``level >= k``
(True = 1: errs at every nonzero level). A map measured at several voltages is encoded by
writing, for each cell, the level of the highest voltage at which it failed.

Intermittent faults (``p_err < 1``): a faulty cell errs on a given read with probability
``p_err = E / 256`` (a multiple of 1/256; other values are refused; ``E = 256``: persistent,
no random source). Bit ``j`` of the word owns a 16-bit Galois LFSR (table taps) seeded with
``lane_seeds(splitmix64(seed, 3), width, 16)[j]`` (:mod:`stochhw.models.seeds`); every read advances
all of them by 8 steps and bit ``j`` errs, if faulty, iff the low 8 bits of its new state are
``< E``. (An LFSR never outputs 0, so the low 8 bits are 0 once less often per period of
65535 states: ``P(error) = (256 E - 1) / 65535``, not ``E / 256``, a difference below 2^-16.)

Timing (see :mod:`stochhw.models.clocked`)
----------------------------------
Latency 1. A read (``r_en``) in cycle t returns in cycles t+1.. (until the next read or reset)
the word at ``r_addr`` as written by writes in cycles before t, with the faults of ``level``
in cycle t. A read and a write of the same address in one cycle return the old word
(read-before-write, i.e. not transparent). ``r_data`` holds between reads. Addresses
``>= depth`` (possible when ``depth`` is not a power of two): writes are ignored, reads return
0. ``rst`` clears ``r_data`` to 0 (until the next read) and reloads the LFSRs; it wins over a
read in the same cycle. The array itself has no reset: it powers up all zeros and a write in a
reset cycle still happens.
"""

import dataclasses
import functools
import json
import typing
import zipfile
from pathlib import Path

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_array_file, check_int
from stochhw.models.clocked import check_lanes, steps_since_reset
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_sequence
from stochhw.models.seeds import GOLDEN, lane_seeds, mix64, splitmix64
from stochhw.models.spec import Spec, Specified, param, spec_from
from stochhw.models.sram import (
    MAX_DEPTH,
    MAX_WIDTH,
    PORT_LANES,
    address_width,
    depth_param,
    read_events,
    read_register,
    width_param,
)

__all__ = [
    "MODES", "PATTERNS", "MAX_DEPTH", "MAX_WIDTH", "MIN_LEVEL_BITS", "MAX_LEVEL_BITS",
    "CHAR_BITS", "COLUMN_BITS", "PROB_BITS", "RNG_WIDTH", "RNG_LEAP",
    "quantize_probability", "hash_tables", "tabulate", "load_profile", "save_profile",
    "FaultMap", "FaultySRAMSpec", "FaultySRAMModel",
]

MODES = ("flip", "stuck")
PATTERNS = ("random", "column")
MIN_LEVEL_BITS = 4
MAX_LEVEL_BITS = 16
#: Address bits per tabulation character: a 6-input table is one LUT6 per output bit.
CHAR_BITS = 6
#: Bits of the per-column value of ``pattern="column"``: one column in 2^3 is weak.
COLUMN_BITS = 3
#: Resolution of ``p01`` and ``p_err``: multiples of 1/256.
PROB_BITS = 8
#: Per-bit LFSRs of ``p_err < 1``: width, and steps per read (one fresh 8-bit number).
RNG_WIDTH = 16
RNG_LEAP = PROB_BITS

# Seed streams (splitmix64(seed, purpose)): one per kind of chip constant.
_VULN, _STUCK, _COLUMN, _RNG = 0, 1, 2, 3


def quantize_probability(p):
    """``round(p * 2^PROB_BITS)``: the integer threshold the hardware compares with (exact for
    a ``p01`` or ``p_err`` that :class:`FaultySRAMSpec` accepted: a multiple of 1/256)."""
    return int(round(p * (1 << PROB_BITS)))


def _stream(seed, purpose, n):
    """``n`` 64-bit words of the SplitMix64 stream started at ``splitmix64(seed, purpose)``."""
    start = np.uint64(splitmix64(seed, purpose))
    k = np.arange(1, n + 1, dtype=np.uint64)
    return mix64(start + k * np.uint64(GOLDEN))


def hash_tables(seed, purpose, addr_width, width, bits):
    """Tabulation tables: one ``(2^c, width)`` array of ``bits``-bit values per character.

    Character ``k`` covers address bits ``[6k, min(6k + 6, addr_width))``, ``c`` bits. The
    values are the low ``bits`` bits of consecutive words of the seed stream ``purpose``:
    table 0 entry 0 bit 0, bit 1, ..., then entry 1, ..., then table 1.
    """
    tables, used = [], 0
    for lo in range(0, addr_width, CHAR_BITS):
        c = min(CHAR_BITS, addr_width - lo)
        n = (1 << c) * width
        words = _stream(seed, purpose, used + n)[used:]
        used += n
        tables.append((words & np.uint64(mask(bits))).reshape(1 << c, width))
    return tables


def tabulate(tables, addrs):
    """``T_0[a_0] ^ T_1[a_1] ^ ...`` for every address in ``addrs``: ``(len(addrs), width)``."""
    addrs = np.asarray(addrs, dtype=np.int64)
    out = np.zeros((addrs.size, tables[0].shape[1]), dtype=np.uint64)
    for k, table in enumerate(tables):
        chars = (addrs >> (CHAR_BITS * k)) & (table.shape[0] - 1)
        out ^= table[chars]
    return out


# ------------------------------------------------------------------------------------------
# Profiled maps
# ------------------------------------------------------------------------------------------

_PROFILE_KEYS = ("flip01", "flip10")


def load_profile(path, depth, width, level_bits):
    """Read and check a profiled fault map (format: module docstring).

    Returns
    -------
    (flip01, flip10) : ndarrays of int64, shape (depth, width)
        Fail levels as in the file: 0 = never, ``k`` = errs at every ``level >= k``.
    """
    if not isinstance(path, (str, Path)):
        raise ParameterError(f"profile must be a file path or None, not {path!r}")
    path = Path(path)
    where = f"profile file {str(path)!r}"
    if not path.is_file():
        raise ParameterError(f"{where} does not exist")
    if path.stat().st_size == 0:
        raise ParameterError(f"{where} is empty")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            check_array_file(path, where, {key: (depth, width) for key in _PROFILE_KEYS})
            with np.load(path, allow_pickle=False) as npz:
                data = {name: npz[name] for name in npz.files}
        elif suffix == ".json":
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise ParameterError(f"{where} must hold a JSON object with keys flip01 and flip10")
        else:
            raise ParameterError(f"{where} must end in .npz or .json")
    except ParameterError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:   # zip, pickle, JSON
        raise ParameterError(f"{where} is unreadable: {exc}") from None
    except RecursionError:
        raise ParameterError(f"{where} is unreadable: nested too deeply") from None
    missing = [k for k in _PROFILE_KEYS if k not in data]
    extra = sorted(set(data) - set(_PROFILE_KEYS))
    if missing or extra:
        raise ParameterError(f"{where} must hold exactly flip01 and flip10; "
                             + (f"missing {', '.join(missing)}" if missing else
                                f"unexpected {', '.join(extra)}"))
    maps = []
    for key in _PROFILE_KEYS:
        maps.append(_check_profile_array(data[key], key, where, depth, width, level_bits))
    return tuple(maps)


def _check_profile_array(raw, key, where, depth, width, level_bits):
    if isinstance(raw, np.ndarray):
        array = raw
    else:                                   # JSON: lists of lists of ints or bools
        try:
            array = np.array(raw)
        except ValueError:
            raise ParameterError(f"{where}: {key} must be {depth} lists of {width} values "
                                 f"(depth, width)") from None
        if array.dtype == object:
            raise ParameterError(f"{where}: {key} must be {depth} lists of {width} values "
                                 f"(depth, width)")
    if array.shape != (depth, width):
        raise ParameterError(f"{where}: {key} must have shape ({depth}, {width}) (depth, "
                             f"width), not {array.shape}")
    if not (array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer)):
        raise ParameterError(f"{where}: {key} must hold bools or integers, not {array.dtype}")
    array = array.astype(np.int64)
    top = mask(level_bits)
    if array.size and (array.min() < 0 or array.max() > top):
        bad = array[(array < 0) | (array > top)][0]
        raise ParameterError(f"{where}: {key} values must be in 0..{top} (fail levels for "
                             f"level_bits={level_bits}; 0 = never), found {int(bad)}")
    return array


def save_profile(path, flip01, flip10):
    """Write a profiled fault map (``.npz``, compressed) that :func:`load_profile` reads."""
    flip01, flip10 = np.asarray(flip01), np.asarray(flip10)
    np.savez_compressed(path, flip01=flip01, flip10=flip10)


# ------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------

class FaultMap(typing.NamedTuple):
    """Faulty cells of a chip at one level, ``(depth, width)`` booleans (row = address)."""
    flip01: np.ndarray      #: reads 1 when it stores 0
    flip10: np.ndarray      #: reads 0 when it stores 1

    @property
    def faulty(self):
        """Cells that err in either direction."""
        return self.flip01 | self.flip10

    @property
    def stuck_at_one(self):
        """Faulty cells that only err 0->1 (stuck at 1)."""
        return self.flip01 & ~self.flip10

    @property
    def stuck_at_zero(self):
        """Faulty cells that only err 1->0 (stuck at 0)."""
        return self.flip10 & ~self.flip01


@dataclasses.dataclass(frozen=True, kw_only=True)
class FaultySRAMSpec(Spec):
    """Parameters of ``faulty_sram`` (:class:`stochhw.hw.faulty_sram.FaultySRAM`,
    :class:`FaultySRAMModel`), and the chip they make (rules: module docstring).

    The chip's constants are derived here, once: hash tables, column and stuck values, LFSR
    seeds, a profiled map, and the fail levels of every cell (:attr:`fail_levels`).
    ``p01`` and ``p_err`` are held in hardware as multiples of 1/256 (8-bit thresholds): a
    value between two steps is refused, naming both neighbours, so that what a manifest says
    is what the hardware does.
    """
    depth: int = depth_param()
    width: int = width_param()
    level_bits: int = param(12, "width L of level: P(faulty) = level/2^L",
                            lo=MIN_LEVEL_BITS, hi=MAX_LEVEL_BITS)
    mode: str = param("flip", "faulty cell inverts (flip) or reads a fixed value (stuck)",
                      choices=MODES)
    pattern: str = param("random", "independent cells or weak columns", choices=PATTERNS)
    p01: float = param(0.5, "stuck: fraction of faulty cells stuck at 1",
                       lo=0, hi=1, resolution=1 / (1 << PROB_BITS))
    p_err: float = param(1.0, "probability a faulty cell errs per read (1: persistent)",
                         lo=0, hi=1, resolution=1 / (1 << PROB_BITS))
    seed: int = param(1, "the chip", lo=0, hi=mask(64))
    profile: str = param(None, ".npz/.json flip01/flip10 fail-level maps (depth, width) "
                               "instead of the seeded map", kind="path")

    def validate(self):
        self.profile_maps             # a bad profile file is refused now, naming the file

    @property
    def addr_width(self):
        """Bits of ``w_addr`` and ``r_addr``."""
        return address_width(self.depth)

    @property
    def never(self):
        """The fail level that means never: ``2^level_bits``."""
        return 1 << self.level_bits

    @property
    def p01_threshold(self):
        """``p01 * 256``: stuck values are 1 where the stuck hash is below it."""
        return quantize_probability(self.p01)

    @property
    def p_err_threshold(self):
        """``p_err * 256``: a faulty bit errs where its LFSR's low byte is below it."""
        return quantize_probability(self.p_err)

    @property
    def intermittent(self):
        """``p_err < 1``: faults show on a random fraction of reads (per-bit LFSRs exist)."""
        return self.p_err_threshold < 1 << PROB_BITS

    @functools.cached_property
    def profile_maps(self):
        """``(flip01, flip10)`` of the profile file (:func:`load_profile`), or None."""
        if self.profile is None:
            return None
        return load_profile(self.profile, self.depth, self.width, self.level_bits)

    @functools.cached_property
    def vuln_tables(self):
        """Seeded chips: tabulation tables of the per-cell part of the vulnerability (None for
        a profile)."""
        if self.profile is not None:
            return None
        cell_bits = self.level_bits - (COLUMN_BITS if self.pattern == "column" else 0)
        return hash_tables(self.seed, _VULN, self.addr_width, self.width, cell_bits)

    @functools.cached_property
    def column_values(self):
        """Seeded ``pattern="column"`` chips: the value ``c`` of every column (else None)."""
        if self.profile is not None or self.pattern != "column":
            return None
        return (_stream(self.seed, _COLUMN, self.width) & np.uint64(mask(COLUMN_BITS))).astype(np.int64)

    @functools.cached_property
    def stuck_tables(self):
        """Seeded ``mode="stuck"`` chips: tabulation tables of the stuck values. None when
        ``p01`` is 0 or 1 (every stuck value a constant: no table, no hardware)."""
        if self.profile is not None or self.mode != "stuck" or not 0 < self.p01_threshold < 1 << PROB_BITS:
            return None
        return hash_tables(self.seed, _STUCK, self.addr_width, self.width, PROB_BITS)

    @functools.cached_property
    def rng_seeds(self):
        """``p_err < 1``: the seed of bit j's LFSR, ``lane_seeds(splitmix64(seed, 3), width, 16)``
        (else None)."""
        if not self.intermittent:
            return None
        return tuple(lane_seeds(splitmix64(self.seed, _RNG), self.width, RNG_WIDTH))

    def vulnerability(self, addrs=None):
        """Seeded chips: ``v`` of every cell of ``addrs`` (default: all), ``(n, width)`` int64."""
        if self.vuln_tables is None:
            raise ParameterError("vulnerability is defined for seeded chips, not a profile")
        addrs = np.arange(self.depth) if addrs is None else np.asarray(addrs)
        v = tabulate(self.vuln_tables, addrs).astype(np.int64)
        if self.column_values is not None:
            v |= self.column_values[None, :] << (self.level_bits - COLUMN_BITS)
        return v

    def stuck_values(self, addrs=None):
        """Seeded ``mode="stuck"`` chips: the stuck value ``s`` of every cell, ``(n, width)``."""
        addrs = np.arange(self.depth) if addrs is None else np.asarray(addrs)
        if self.stuck_tables is None:
            return np.full((addrs.size, self.width), int(self.p01_threshold > 0), dtype=np.int64)
        return (tabulate(self.stuck_tables, addrs) < np.uint64(self.p01_threshold)).astype(np.int64)

    @functools.cached_property
    def fail_levels(self):
        """``(f01, f10)``: fail levels of every cell, ``(depth, width)`` read-only int64 in 1..2^L.

        The cell errs 0->1 at ``level`` iff ``f01 <= level`` (likewise 1->0); ``2^L`` = never.
        """
        if self.profile_maps is not None:
            f01, f10 = (np.where(m == 0, self.never, m) for m in self.profile_maps)
        else:
            f = self.vulnerability() + 1
            if self.mode == "flip":
                f01 = f10 = f
            else:
                s = self.stuck_values().astype(bool)
                f01, f10 = np.where(s, f, self.never), np.where(s, self.never, f)
        f01, f10 = np.array(f01), np.array(f10)
        f01.flags.writeable = f10.flags.writeable = False
        return f01, f10


class FaultySRAMModel(Specified):
    """Model of :class:`stochhw.hw.faulty_sram.FaultySRAM` (rules: module docstring).

    Parameters
    ----------
    spec : FaultySRAMSpec, optional
        Or its fields as keyword arguments (``depth``, ``width``, ``level_bits``, ``mode``,
        ``pattern``, ``p01``, ``p_err``, ``seed``, ``profile``). The chip's constants
        (``vulnerability``, ``fail_levels``, ``rng_seeds``, ...) are the spec's, read through
        the model.

    Ports (stimulus / result keys)
    ------------------------------
    rst, w_en, w_addr, w_data, r_en, r_addr, level : inputs
    r_data : output, latency 1
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(FaultySRAMSpec, spec, params)

    def check_level(self, level, name="level"):
        """Return ``level`` as an int after checking it fits the L-bit ``level`` port."""
        return check_int(name, level, 0, mask(self.level_bits))

    def fault_map(self, level):
        """The cells that err (when ``p_err = 1``) at ``level``: a :class:`FaultMap`."""
        level = self.check_level(level)
        f01, f10 = self.fail_levels
        return FaultMap(f01 <= level, f10 <= level)

    def read_faulty(self, stored, addrs, levels, active=None):
        """Words ``stored`` (``uint64``) at ``addrs`` read at ``levels``, with their faults.

        ``active`` (``(n, width)`` bool, optional) marks the bits whose fault shows on this
        access (``p_err``); default all.
        """
        stored = np.asarray(stored, dtype=np.uint64)
        levels = np.asarray(levels, dtype=np.int64)[:, None]
        f01, f10 = self.fail_levels
        addrs = np.asarray(addrs, dtype=np.int64)
        e01, e10 = f01[addrs] <= levels, f10[addrs] <= levels
        if active is not None:
            e01 &= active
            e10 &= active
        weights = np.uint64(1) << np.arange(self.width, dtype=np.uint64)
        bits = ((stored[:, None] >> np.arange(self.width, dtype=np.uint64)) & np.uint64(1)).astype(bool)
        err = np.where(bits, e10, e01)
        return stored ^ (err.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)

    def random_bytes(self, steps):
        """Low 8 bits of every bit's LFSR after ``steps`` reads since reset, ``(n, width)``."""
        period = (1 << RNG_WIDTH) - 1
        seq, phase = _lfsr_cycle()
        start = phase[np.asarray(self.rng_seeds, dtype=np.int64)]
        index = (start[None, :] + RNG_LEAP * np.asarray(steps, dtype=np.int64)[:, None]) % period
        return seq[index] & 0xFF

    # --- cycle-accurate run --------------------------------------------------------------

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {**PORT_LANES, "level": 1}, "faulty_sram")
        level = stim["level"][:, 0].astype(np.int64)
        if level.size and level.max() > mask(self.level_bits):
            t = int(np.argmax(level > mask(self.level_bits)))
            raise ParameterError(f"level must be in 0..{mask(self.level_bits)} (level_bits="
                                 f"{self.level_bits}), not {int(level[t])} in cycle {t}")
        cycles = stim["rst"].shape[0]
        events = read_events(stim, self.depth, self.width, state)
        active = None
        if self.intermittent:
            rst = stim["rst"][:, 0].astype(bool)
            # The LFSRs advance at every read edge and hold between reads, so the state in
            # output cycle t is the one the shown read left behind. Output cycle `cycles`
            # (after the last edge) sees the count the chunk hands on.
            counter = {} if state is None else state
            k = steps_since_reset(stim["r_en"][:, 0].astype(bool), rst, state=counter, key="r_steps")
            k = np.append(k, counter["r_steps"])[events.cycles]
            active = self.random_bytes(k) < self.p_err_threshold
        values = (self.read_faulty(events.stored, events.addrs, level[events.reads], active)
                  if events.cycles.size else np.zeros(0, dtype=np.uint64))
        return {"r_data": read_register(events, values, cycles, state)}


_CYCLE = None


def _lfsr_cycle():
    """The full cycle of the 16-bit Galois LFSR from state 1, and each state's position."""
    global _CYCLE
    if _CYCLE is None:
        period = (1 << RNG_WIDTH) - 1
        seq = lfsr_sequence([1], period - 1, RNG_WIDTH, MAXIMAL_TAPS[RNG_WIDTH], "galois")[:, 0]
        seq = seq.astype(np.int64)
        phase = np.zeros(1 << RNG_WIDTH, dtype=np.int64)
        phase[seq] = np.arange(period)
        seq.flags.writeable = phase.flags.writeable = False
        _CYCLE = (seq, phase)
    return _CYCLE
