"""``gf_rounding``: generator-free stochastic rounding, an ``lsb_extractor`` feeding an
``sru_array`` with ``source="external"``; :class:`stochhw.models.extractor.GFRoundingModel` is the
reference."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.lsb_extractor import LSBExtractorCore
from stochhw.hw.sru_array import SRUArray
from stochhw.models.extractor import GFRoundingModel

__all__ = ["GFRounding"]


class GFRounding(wiring.Component):
    """Stochastic rounding whose random numbers are extracted from data, with no generator.

    Parameters
    ----------
    lanes : int
        Number of rounding lanes, 1..4096 (default 16).
    in_width, out_width, saturate
        As for ``sru_array``; ``k = in_width - out_width`` is the extracted number's width.
    method, routing, mapping, seed
        As for :class:`stochhw.hw.lsb_extractor.LSBExtractor`, with ``bits = k``.
    reuse : bool
        As for :class:`stochhw.hw.lsb_extractor.LSBExtractor`, but on by default: on its own x bus
        ``multi_lsb`` has ``lanes`` LSBs for ``lanes * k`` bits, so every LSB feeds k bits (of
        k different lanes while ``lanes > k``; below that a lane repeats words). Off is
        refused there when ``k > 1`` (``ParameterError`` naming ``reuse``).
    source_bus : str
        ``"x"`` (default): the source words are the ``x`` lanes themselves (``sources =
        lanes``, ``src_width = in_width``; the two parameters below are unused). ``"port"``:
        they arrive on a separate ``src`` input.
    sources, src_width : int
        Size of ``src`` with ``source_bus="port"`` (defaults 64 and 16).

    Ports
    -----
    x : In(lanes * in_width)
        Lane i (signed) at bits ``[i*in_width, (i+1)*in_width)``.
    src : In(sources * src_width), ``source_bus="port"`` only
    cfg_en, cfg_addr, cfg_data : runtime routing only
        As for :class:`stochhw.hw.lsb_extractor.LSBExtractor` (selects: ``lanes * k`` or ``lanes``).
    y : Out(lanes * out_width)
        Lane i (signed) at bits ``[i*out_width, (i+1)*out_width)``.

    Latency
    -------
    1 cycle: ``y[t+1]`` rounds ``x[t]`` with the number extracted in cycle t (from ``x[t]`` or
    ``src[t]``, with the selects of cycle t). A runtime write in cycle t is used from cycle
    t+1, so it shows in ``y`` from cycle t+2. Reset clears ``y`` and reloads the selects.

    Notes
    -----
    With ``source_bus="x"`` the static assignment (and the reset value of runtime selects) is
    circulant, so that no lane rounds with bits of its own value, which would correlate its
    number with the fraction being rounded (:class:`stochhw.models.extractor.GFRoundingModel`
    documents the rule). Runtime writes may route a lane to itself: that is the user's call.
    """

    def __init__(self, lanes=16, in_width=16, out_width=8, saturate=True, method="multi_lsb",
                 routing="static", mapping=None, seed=1, reuse=True, source_bus="x",
                 sources=64, src_width=16):
        # The model owns the parameter rules; reuse them rather than restate them.
        self.model = GFRoundingModel(lanes, in_width, out_width, saturate, method, routing,
                                     mapping, seed, reuse, source_bus, sources, src_width)
        self.spec = spec = self.model.spec
        ports = {"x": In(self.model.lanes * self.model.in_width)}
        if self.model.source_bus == "port":
            ports["src"] = In(spec.sources * spec.src_width)
        if spec.routing == "runtime":
            ports["cfg_en"] = In(1)
            ports["cfg_addr"] = In(spec.addr_width)
            ports["cfg_data"] = In(spec.data_width)
        ports["y"] = Out(self.model.lanes * self.model.out_width)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        spec, model = self.spec, self.model
        m.submodules.extractor = extractor = LSBExtractorCore(
            spec.sources, spec.src_width, spec.lanes, spec.bits, spec.method, spec.routing,
            spec.mapping, spec.seed, spec.reuse, bits_label="k", avoid_own=spec.avoid_own)
        m.submodules.array = array = SRUArray(lanes=model.lanes, source="external",
                                              in_width=model.in_width, out_width=model.out_width,
                                              saturate=model.saturate)
        m.d.comb += [
            extractor.src.eq(self.x if model.source_bus == "x" else self.src),
            array.x.eq(self.x),
            array.rnd.eq(extractor.rnd),
            self.y.eq(array.y),
        ]
        if spec.routing == "runtime":
            m.d.comb += [extractor.cfg_en.eq(self.cfg_en), extractor.cfg_addr.eq(self.cfg_addr),
                         extractor.cfg_data.eq(self.cfg_data)]
        return m
