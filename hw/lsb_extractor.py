"""``lsb_extractor``: random numbers taken from the low bits of data words already on the chip.

The rules (methods, static assignment, reuse, runtime writes) live in :mod:`stochhw.models.extractor`;
this module builds them in hardware. :class:`LSBExtractorCore` is the combinational extractor
(with its select registers for runtime routing), also used inside ``gf_rounding``;
:class:`LSBExtractor` is the registered top-level design.
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from stochhw.models.extractor import LSBExtractorSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["LSBExtractorCore", "LSBExtractor"]


class LSBExtractorCore(Specified, wiring.Component):
    """Combinational extractor: ``rnd`` follows ``src`` in the same cycle.

    Parameters
    ----------
    spec : LSBExtractorSpec, optional
        Or its fields as keyword arguments, as for :class:`LSBExtractor`. ``gf_rounding``
        passes a :class:`stochhw.models.extractor.GFExtractorSpec` (its circulant assignment
        on its own x bus).

    Ports
    -----
    src : In(sources * src_width)
    cfg_en : In(1), cfg_addr : In(addr_width), cfg_data : In(data_width)
        Runtime routing only.
    rnd : Out(lanes * bits), combinational.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LSBExtractorSpec, spec, params)
        super().__init__(_signature(self.spec))

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        words = [self.src.word_select(j, spec.src_width) for j in range(spec.sources)]
        if spec.routing == "static":
            # Pure wiring: rnd bit b of lane i is src bit route[i][b].
            route = spec.static_routing.tolist()
            numbers = [Cat(*(self.src[p] for p in route[i])) for i in range(spec.lanes)]
        else:
            selects = self._select_registers(m)
            if spec.method == "multi_lsb":
                lsbs = Cat(*(w[0] for w in words))
                numbers = [Cat(*(lsbs.bit_select(selects[i * spec.bits + b], 1)
                                 for b in range(spec.bits)))
                           for i in range(spec.lanes)]
            else:
                lows = Cat(*(w[:spec.bits] for w in words))
                numbers = [lows.word_select(selects[i], spec.bits) for i in range(spec.lanes)]

        if spec.mapping is not None:
            # One ROM, one asynchronous read port per lane: LUTs after synthesis.
            m.submodules.mapping = rom = Memory(shape=spec.bits, depth=1 << spec.bits,
                                                init=spec.mapping)
            for i in range(spec.lanes):
                port = rom.read_port(domain="comb")
                m.d.comb += port.addr.eq(numbers[i])
                numbers[i] = port.data
        for i in range(spec.lanes):
            m.d.comb += self.rnd.word_select(i, spec.bits).eq(numbers[i])
        return m

    def _select_registers(self, m):
        """The select registers and their write logic (swap without reuse, plain with)."""
        spec = self.spec
        init = spec.static_selects.tolist()
        selects = [Signal(spec.data_width, init=init[s], name=f"sel{s}") for s in range(spec.selects)]
        addr, data = self.cfg_addr, self.cfg_data
        # Out-of-range writes are ignored. When the select or source count is a power of two
        # its comparison is always true and folds away.
        write = self.cfg_en & (addr < spec.selects) & (data < spec.sources)
        if not spec.reuse:
            old = Signal(spec.data_width)      # select cfg_addr's value before the write
            m.d.comb += old.eq(Cat(*selects).word_select(addr, spec.data_width))
        with m.If(write):
            for s, sel in enumerate(selects):
                with m.If(addr == s):
                    m.d.sync += sel.eq(data)
                if not spec.reuse:
                    # Swap: the select that held cfg_data gives it up for the old value.
                    with m.Elif(sel == data):
                        m.d.sync += sel.eq(old)
        return selects


class LSBExtractor(Specified, wiring.Component):
    """Generator-free random numbers for ``lanes`` lanes, from the LSBs of ``sources`` words.

    Parameters
    ----------
    spec : LSBExtractorSpec, optional
        Or its fields as keyword arguments (kinds, ranges and defaults are declared there):

        ``sources``, ``src_width``
            Source words on ``src`` and their width.
        ``lanes``, ``bits``
            Output numbers and their width k.
        ``method``
            ``"multi_lsb"``: bit b of lane i is bit 0 of source word ``sel[i*k + b]`` (the
            paper's Method #2). ``"direct"``: lane i is the k low bits of word ``sel[i]``
            (Method #1).
        ``routing``
            ``"static"``: ``sel`` is fixed wiring, the seeded assignment of
            :func:`stochhw.models.extractor.seeded_permutation`, no logic at all
            (``LSBExtractorSpec.static_routing`` lists every wire). ``"runtime"``: ``sel``
            are registers written through the ``cfg_*`` port (reset: the static assignment).
        ``mapping``
            A permutation of ``0 .. 2^k - 1`` applied to every number (``rnd =
            mapping[number]``), or None.
        ``seed``
            Seed of the static assignment.
        ``reuse``
            Off: no source bit feeds two lanes or two bits of one lane; configurations that
            would need it are refused (``ParameterError`` naming ``sources``) and runtime
            writes swap (below). On: the static assignment wraps around the sources (each
            word used once before any is used twice) and runtime writes are plain writes.

    Ports
    -----
    src : In(sources * src_width)
        Source word j at bits ``[j*src_width, (j+1)*src_width)``.
    cfg_en : In(1), runtime routing only
        Write ``cfg_data`` into select ``cfg_addr`` at the next edge. Ignored when
        ``cfg_addr >= selects`` or ``cfg_data >= sources``. Without ``reuse`` the write swaps:
        the select that held ``cfg_data`` takes select ``cfg_addr``'s old value, so selects
        stay distinct and the no-sharing rule holds in every cycle. ``rst`` wins over a write.
    cfg_addr : In(ceil(log2(selects))), runtime routing only
        Select index: ``i*bits + b`` (bit b of lane i) for ``multi_lsb``, ``i`` for ``direct``.
    cfg_data : In(ceil(log2(sources))), runtime routing only
        Source word index.
    rnd : Out(lanes * bits)
        Lane i at bits ``[i*bits, (i+1)*bits)``.

    Latency
    -------
    1 cycle: ``rnd`` is registered (reset clears it to 0); it holds the numbers extracted from
    ``src`` in the previous cycle with the selects of that cycle. A runtime write in cycle t
    changes the selects from cycle t+1, hence ``rnd`` from cycle t+2.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LSBExtractorSpec, spec, params)
        super().__init__(_signature(self.spec))

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = LSBExtractorCore(self.spec)
        m.d.comb += core.src.eq(self.src)
        if self.routing == "runtime":
            m.d.comb += [core.cfg_en.eq(self.cfg_en), core.cfg_addr.eq(self.cfg_addr),
                         core.cfg_data.eq(self.cfg_data)]
        m.d.sync += self.rnd.eq(core.rnd)
        return m


def _signature(spec):
    """Ports of an extractor (the registered one and the combinational core have the same)."""
    ports = {"src": In(spec.sources * spec.src_width)}
    if spec.routing == "runtime":
        ports["cfg_en"] = In(1)
        ports["cfg_addr"] = In(spec.addr_width)
        ports["cfg_data"] = In(spec.data_width)
    ports["rnd"] = Out(spec.lanes * spec.bits)
    return ports
