"""``gf_rounding``: generator-free stochastic rounding, an ``lsb_extractor`` feeding an
``sru_array`` with ``source="external"``; :class:`stochhw.models.extractor.GFRoundingModel` is the
reference."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.lsb_extractor import LSBExtractorCore
from stochhw.hw.sru_array import SRUArray
from stochhw.models.extractor import GFRoundingSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["GFRounding"]


class GFRounding(Specified, wiring.Component):
    """Stochastic rounding whose random numbers are extracted from data, with no generator.

    Parameters
    ----------
    spec : GFRoundingSpec, optional
        Or its fields as keyword arguments (kinds, ranges and defaults are declared there):

        ``lanes``, ``in_width``, ``out_width``, ``saturate``
            As for ``sru_array``; ``k = in_width - out_width`` is the extracted number's width.
        ``method``, ``routing``, ``mapping``, ``seed``
            As for :class:`stochhw.hw.lsb_extractor.LSBExtractor`, with ``bits = k``.
        ``reuse``
            As for :class:`stochhw.hw.lsb_extractor.LSBExtractor`, but on by default: on its
            own x bus ``multi_lsb`` has ``lanes`` LSBs for ``lanes * k`` bits, so every LSB
            feeds k bits (of k different lanes while ``lanes > k``; below that a lane repeats
            words). Off is refused there when ``k > 1`` (``ParameterError`` naming ``reuse``).
        ``source_bus``
            ``"x"``: the source words are the ``x`` lanes themselves (``sources = lanes``,
            ``src_width = in_width``; the two parameters below are unused). ``"port"``: they
            arrive on a separate ``src`` input.
        ``sources``, ``src_width``
            Size of ``src`` with ``source_bus="port"``.

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

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(GFRoundingSpec, spec, params)
        extractor = self.extractor
        ports = {"x": In(self.lanes * self.in_width)}
        if self.source_bus == "port":
            ports["src"] = In(extractor.sources * extractor.src_width)
        if self.routing == "runtime":
            ports["cfg_en"] = In(1)
            ports["cfg_addr"] = In(extractor.addr_width)
            ports["cfg_data"] = In(extractor.data_width)
        ports["y"] = Out(self.lanes * self.out_width)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        m.submodules.extractor = extractor = LSBExtractorCore(self.extractor)
        m.submodules.array = array = SRUArray(self.array)
        m.d.comb += [
            extractor.src.eq(self.x if self.source_bus == "x" else self.src),
            array.x.eq(self.x),
            array.rnd.eq(extractor.rnd),
            self.y.eq(array.y),
        ]
        if self.routing == "runtime":
            m.d.comb += [extractor.cfg_en.eq(self.cfg_en), extractor.cfg_addr.eq(self.cfg_addr),
                         extractor.cfg_data.eq(self.cfg_data)]
        return m
