"""``sng``: comparator stochastic number generators (unipolar or bipolar), one per lane."""

from amaranth import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.sc_stream import lfsr_randoms
from stochhw.models.sng import SNGSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["SNG"]


class SNG(Specified, wiring.Component):
    """Stochastic number generators: ``y = (r < T(x))`` per lane, registered.

    See :mod:`stochhw.models.sng` for the encodings: unipolar ``P(1) = x / 2^bits``; bipolar, ``x`` a
    signed code of ``v = x / 2^(bits-1)``, ``P(1) = (1 + v) / 2`` (threshold = ``x`` with its
    sign bit inverted: one inverter more than unipolar).

    Parameters
    ----------
    spec : SNGSpec, optional
        Or its fields as keyword arguments (``lanes``, ``bits``, ``encoding``, ``source``,
        ``seed``, ``lfsr_width``; kinds, defaults and ranges are declared once in
        :class:`stochhw.models.sng.SNGSpec`). With ``source="lfsr"`` lane i owns a leap-forward
        LFSR seeded with ``SNGSpec.seeds[i]``.

    Ports
    -----
    x : In(lanes * bits)
        Probability code of lane i at bits ``[i*bits, (i+1)*bits)`` (two's complement if bipolar).
    entropy : In(lanes * bits), only with ``source="port"``
        Random number of lane i, uniform on ``[0, 2^bits)`` for an exact P(1).
    y : Out(lanes)
        Stream bit of lane i at bit i.

    Latency
    -------
    1 cycle. The LFSRs leap ``bits`` steps every cycle; reset reloads their seeds and clears ``y``.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SNGSpec, spec, params)
        ports = {"x": In(self.lanes * self.bits)}
        if self.source == "port":
            ports["entropy"] = In(self.lanes * self.bits)
        ports["y"] = Out(self.lanes)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        if self.source == "lfsr":
            randoms = lfsr_randoms(m, self.seeds, self.lfsr_width, self.bits)
        else:
            randoms = [self.entropy.word_select(i, self.bits) for i in range(self.lanes)]
        bits = []
        for i, rnd in enumerate(randoms):
            code = self.x.word_select(i, self.bits)
            if self.encoding == "bipolar":
                # Offset binary: v = -1 .. +1 maps to 0 .. 2^bits by flipping the sign bit.
                code = code ^ (1 << (self.bits - 1))
            bits.append(rnd < code)
        m.d.sync += self.y.eq(Cat(*bits))
        return m
