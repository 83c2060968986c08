"""``faulty_sram``: an SRAM run below Vmin, with a seeded bit-fault injector on its read port.

The fault rules (fail levels, modes, patterns, profiled maps, ``p_err``) are stated in
:mod:`stochhw.models.faulty_sram`; this module builds them in hardware.
"""

from amaranth import C, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from stochhw.hw.sram import build_array
from stochhw.models.faulty_sram import CHAR_BITS, COLUMN_BITS, PROB_BITS, RNG_LEAP, RNG_WIDTH, FaultySRAMSpec
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_step
from stochhw.models.spec import Specified, spec_from

__all__ = ["FaultySRAM"]


def _planes_init(values, bits):
    """Per-bit values (length ``width``) -> one integer holding ``bits`` bit planes.

    Plane b (bits ``[b*width, (b+1)*width)``) holds bit b of every value, bit j of the plane
    coming from value j. The fault logic works on whole planes ("bit-sliced"): comparing
    ``width`` numbers is then a handful of ``width``-bit operations, which is the same logic
    after synthesis but far fewer nets for an event-driven simulator than ``width`` separate
    comparators.
    """
    width = len(values)
    word = 0
    for b in range(bits):
        for j, value in enumerate(values):
            word |= (int(value) >> b & 1) << (b * width + j)
    return word


def _less_than(m, a, b, width):
    """Bit-sliced ``a < b`` for ``width`` pairs of numbers given as bit planes (LSB first).

    Either operand may have fewer planes (missing high planes are 0). Returns a ``width``-bit
    signal whose bit j is ``a_j < b_j``: the usual MSB-first scan, one ``lt``/``eq`` signal
    pair per plane so that every simulator sees a chain, not a re-expanded tree.
    """
    zero = C(0, width)
    lt, eq = zero, C(-1, width)
    for k in reversed(range(max(len(a), len(b)))):
        a_k = a[k] if k < len(a) else zero
        b_k = b[k] if k < len(b) else zero
        lt_k, eq_k = Signal(width), Signal(width)
        m.d.comb += [lt_k.eq(lt | (eq & ~a_k & b_k)), eq_k.eq(eq & ~(a_k ^ b_k))]
        lt, eq = lt_k, eq_k
    return lt


def _const_planes(value, bits, width):
    """Bit planes of the same number ``value`` in every lane."""
    return [C(-(value >> k & 1), width) for k in range(bits)]


class FaultySRAM(Specified, wiring.Component):
    """A ``depth`` x ``width`` SRAM whose reads show the bit errors of a low-voltage chip.

    A cell is faulty iff its fixed vulnerability is below ``level``, so the faulty cells at a
    level are a subset of those at every higher level, and level 0 reads back exactly what was
    written. The vulnerability comes from a tabulation hash of the read address (seeded random
    tables of 6-bit address characters, XORed), computed per read word from the registered
    address. Its logic grows with ``width * level_bits`` and the number of address characters,
    not with the depth (``stochhw compare faulty_sram_cost``: about 1600, 2100 and 2800 LUTs on
    7-series at depth 64, 512 and 4096, 64-bit words, L = 12), where a stored map would cost
    ``depth * width * level_bits`` bits of ROM (384 kbit, eleven RAMB36, at the defaults).
    A profiled map, which has no such shortcut, is stored: a second memory read in step with
    the data. Details: :mod:`stochhw.models.faulty_sram`.

    Parameters
    ----------
    spec : FaultySRAMSpec, optional
        Or its fields as keyword arguments (``depth``, ``width``, ``level_bits``, ``mode``,
        ``pattern``, ``p01``, ``p_err``, ``seed``, ``profile``), declared once, with their
        ranges, in :class:`stochhw.models.faulty_sram.FaultySRAMSpec`; the spec also holds the
        chip's constants (hash tables, column and stuck values, LFSR seeds, profiled map) that
        this component builds. ``mode="flip"``: a faulty cell inverts the stored bit;
        ``"stuck"``: it reads a fixed value, 1 for a fraction ``p01`` of the faulty cells.
        ``pattern="column"`` gathers faults in weak columns (bit lines), like chip 2 of the
        paper. With ``p_err < 1`` every bit gets a 16-bit LFSR that advances 8 steps per read.

    Ports
    -----
    w_en : In(1)
        Write ``w_data`` to ``w_addr`` at the next edge. Ignored when ``w_addr >= depth``.
    w_addr : In(ceil(log2(depth)))
    w_data : In(width)
    r_en : In(1)
        Read ``r_addr`` at the next edge.
    r_addr : In(ceil(log2(depth)))
    level : In(level_bits)
        Fault level of the read, sampled with ``r_en``. 0 = no faults.
    r_data : Out(width)
        The word read, with its faults; 0 for ``r_addr >= depth`` and after reset.

    Latency
    -------
    1 cycle: a read in cycle t shows in ``r_data`` from cycle t+1 and holds until the next
    read. Read-before-write: reading an address written in the same cycle returns the old
    word. ``rst`` clears ``r_data`` to 0 and reloads the LFSRs (it wins over a read); the
    array has no reset (powers up all zeros) and writes during reset still happen.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(FaultySRAMSpec, spec, params)
        aw = self.spec.addr_width
        super().__init__({
            "w_en": In(1), "w_addr": In(aw), "w_data": In(self.spec.width),
            "r_en": In(1), "r_addr": In(aw), "level": In(self.spec.level_bits),
            "r_data": Out(self.spec.width),
        })

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        width, aw = spec.width, spec.addr_width

        read, r_ok = build_array(m, spec, self.w_en, self.w_addr, self.w_data, self.r_en,
                                 self.r_addr)

        # The read's address and level, registered with the data; zero_q masks r_data after
        # reset and for out-of-range reads (the memory's own data register is not reset).
        addr_q = Signal(aw)
        level_q = Signal(spec.level_bits)
        zero_q = Signal(init=1)
        with m.If(self.r_en):
            m.d.sync += [addr_q.eq(self.r_addr), level_q.eq(self.level), zero_q.eq(~r_ok)]

        level_planes = [level_q[k].replicate(width) for k in range(spec.level_bits)]
        if spec.profile_maps is not None:
            e01, e10 = self._profiled_errors(m, read.addr, level_planes)
        else:
            e01, e10 = self._seeded_errors(m, addr_q, level_planes)

        if spec.intermittent:
            active = self._access_randomness(m)
            e01, e10 = e01 & active, e10 & active

        stored = read.data
        errors = (~stored & e01) | (stored & e10)
        m.d.comb += self.r_data.eq(Mux(zero_q, 0, stored ^ errors))
        return m

    def _seeded_errors(self, m, addr_q, level_planes):
        """``width``-bit masks of the bits that err 0->1 and 1->0, from the tabulation hash of
        the registered read address."""
        spec = self.spec
        width = spec.width

        def tabulation(name, tables, bits):
            value = 0
            for k, table in enumerate(tables):
                rom = Memory(shape=width * bits, depth=table.shape[0],
                             init=[_planes_init(row, bits) for row in table.tolist()])
                m.submodules[f"{name}{k}"] = rom
                port = rom.read_port(domain="comb")
                lo = k * CHAR_BITS
                m.d.comb += port.addr.eq(addr_q[lo:lo + CHAR_BITS])
                value = value ^ port.data
            hashed = Signal(width * bits, name=name)
            m.d.comb += hashed.eq(value)
            return [hashed.word_select(k, width) for k in range(bits)]

        cell_bits = spec.level_bits - (COLUMN_BITS if spec.pattern == "column" else 0)
        planes = tabulation("vuln", spec.vuln_tables, cell_bits)
        if spec.column_values is not None:
            # The column value is the top of v: constant planes, one bit per column.
            planes += [C(_planes_init(spec.column_values, COLUMN_BITS) >> (k * width), width)
                       for k in range(COLUMN_BITS)]
        faulty = Signal(width)
        m.d.comb += faulty.eq(_less_than(m, planes, level_planes, width))
        if spec.mode == "flip":
            return faulty, faulty
        if spec.stuck_tables is None:
            ones = C(-int(spec.p01_threshold > 0), width)
        else:
            stuck = tabulation("stuck", spec.stuck_tables, PROB_BITS)
            ones = _less_than(m, stuck, _const_planes(spec.p01_threshold, PROB_BITS + 1, width), width)
        return faulty & ones, faulty & ~ones

    def _profiled_errors(self, m, addr, level_planes):
        """Error masks from the profiled map, a ROM read in step with the data."""
        spec = self.spec
        width = spec.width
        f01, f10 = spec.profile_maps
        # A map of booleans (fail level 0 or 1) needs one bit per cell, not level_bits.
        bits = 1 if max(int(f01.max()), int(f10.max())) <= 1 else spec.level_bits
        rows = [_planes_init(a, bits) | _planes_init(b, bits) << (bits * width)
                for a, b in zip(f01.tolist(), f10.tolist())]
        m.submodules.profile = rom = Memory(shape=2 * bits * width, depth=spec.depth, init=rows)
        port = rom.read_port(transparent_for=())
        m.d.comb += [port.en.eq(self.r_en), port.addr.eq(addr)]
        planes = [port.data.word_select(k, width) for k in range(2 * bits)]
        masks = []
        for fail in (planes[:bits], planes[bits:]):
            nonzero = 0
            for plane in fail:
                nonzero = nonzero | plane
            # errs iff 0 < f <= level, i.e. f != 0 and not level < f
            masks.append(nonzero & ~_less_than(m, level_planes, fail, width))
        return masks[0], masks[1]

    def _access_randomness(self, m):
        """Per-bit 16-bit LFSRs, 8 steps per read (bit planes: plane b holds bit b of every
        bit's LFSR); returns the mask of bits whose low byte is below ``E``."""
        spec = self.spec
        width = spec.width
        init = _planes_init(spec.rng_seeds, RNG_WIDTH)
        planes = [Signal(width, init=init >> (b * width) & ((1 << width) - 1), name=f"rng{b}")
                  for b in range(RNG_WIDTH)]
        with m.If(self.r_en):
            for plane, row in zip(planes, _leap_matrix()):
                m.d.sync += plane.eq(_xor(planes[i] for i in row))
        threshold = _const_planes(spec.p_err_threshold, PROB_BITS + 1, width)
        active = Signal(width)
        m.d.comb += active.eq(_less_than(m, planes[:PROB_BITS], threshold, width))
        return active


def _leap_matrix():
    """Rows of the GF(2) matrix of ``RNG_LEAP`` LFSR steps: new bit b = XOR of old bits row[b]."""
    taps = MAXIMAL_TAPS[RNG_WIDTH]
    columns = []
    for i in range(RNG_WIDTH):
        state = 1 << i
        for _ in range(RNG_LEAP):
            state = lfsr_step(state, RNG_WIDTH, taps, "galois")
        columns.append(state)
    return [[i for i in range(RNG_WIDTH) if columns[i] >> b & 1] for b in range(RNG_WIDTH)]


def _xor(values):
    result = 0
    for value in values:
        result = result ^ value
    return result
