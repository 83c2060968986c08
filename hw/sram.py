"""``sram``: a plain synchronous memory, the baseline that ``faulty_sram`` is compared with."""

from amaranth import C, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from stochhw.models.spec import Specified, spec_from
from stochhw.models.sram import SRAMSpec

__all__ = ["SRAM", "build_array"]


def build_array(m, spec, w_en, w_addr, w_data, r_en, r_addr):
    """The memory array, its write port and its registered read port, into module ``m``.

    ``spec`` is a :class:`stochhw.models.sram.SRAMSpec` or any spec with ``depth``, ``width``
    and ``addr_width``. Returns ``(read, r_ok)``: the read port (``read.data`` is the registered word,
    ``read.addr`` the address presented to the array) and ``r_ok``, high when ``r_addr`` is
    below ``depth``. Shared by :class:`SRAM` and :class:`stochhw.hw.faulty_sram.FaultySRAM`, so the
    two have exactly the same memory.
    """
    depth, aw = spec.depth, spec.addr_width

    def in_range(addr):
        # With a power-of-two depth every address is in range: no comparator at all.
        return addr < depth if depth < 1 << aw else C(1)

    m.submodules.array = array = Memory(shape=spec.width, depth=depth, init=[])
    write = array.write_port()
    read = array.read_port(transparent_for=())          # read-before-write
    r_ok = Signal()
    m.d.comb += [
        write.en.eq(w_en & in_range(w_addr)),
        write.addr.eq(w_addr),
        write.data.eq(w_data),
        r_ok.eq(in_range(r_addr)),
        read.en.eq(r_en),
        # Never present an address past the end: simulators read X there.
        read.addr.eq(Mux(r_ok, r_addr, 0)),
    ]
    return read, r_ok


class SRAM(Specified, wiring.Component):
    """A ``depth`` x ``width`` synchronous memory: one write port, one registered read port.

    Parameters
    ----------
    spec : SRAMSpec, optional
        Or its fields as keyword arguments (declared in :class:`stochhw.models.sram.SRAMSpec`):
        ``depth`` words (need not be a power of two) of ``width`` bits.

    Ports
    -----
    w_en : In(1)
        Write ``w_data`` to ``w_addr`` at the next edge. Ignored when ``w_addr >= depth``.
    w_addr : In(ceil(log2(depth)))
    w_data : In(width)
    r_en : In(1)
        Read ``r_addr`` at the next edge.
    r_addr : In(ceil(log2(depth)))
    r_data : Out(width)
        The word read; 0 for ``r_addr >= depth`` and after reset.

    Latency
    -------
    1 cycle: a read in cycle t shows from cycle t+1 and holds until the next read.
    Read-before-write. ``rst`` clears ``r_data`` to 0 (it wins over a read); the array has no
    reset (powers up all zeros) and writes during reset still happen.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRAMSpec, spec, params)
        aw = self.addr_width
        super().__init__({
            "w_en": In(1), "w_addr": In(aw), "w_data": In(self.width),
            "r_en": In(1), "r_addr": In(aw), "r_data": Out(self.width),
        })

    def elaborate(self, platform):
        m = Module()
        read, r_ok = build_array(m, self.spec, self.w_en, self.w_addr, self.w_data, self.r_en,
                                 self.r_addr)
        # The memory's own data register has no reset: zero_q masks it after reset and for
        # out-of-range reads.
        zero_q = Signal(init=1)
        with m.If(self.r_en):
            m.d.sync += zero_q.eq(~r_ok)
        m.d.comb += self.r_data.eq(Mux(zero_q, 0, read.data))
        return m
