"""``smtj``: an s-MTJ emulator: bias code -> P(1) by a sigmoid table, optional telegraph memory."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.sc_stream import lfsr_randoms, table_threshold
from stochhw.models.smtj import HOLD_BITS, SMTJSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["SMTJ"]


class SMTJ(Specified, wiring.Component):
    """Stochastic magnetic tunnel junctions, emulated; :mod:`stochhw.models.smtj` states the model.

    Each lane reads its bias code, looks up the threshold ``T`` of the bias table and, unless
    the telegraph model keeps the previous state (``k < hold``), loads ``r < T`` into its state
    register ``y``.

    Parameters
    ----------
    spec : SMTJSpec, optional
        Or its fields as keyword arguments (``lanes``, ``levels``, ``bits``, ``v_half``,
        ``v_scale``, ``table``, ``hold``, ``source``, ``seed``, ``lfsr_width``; declared once in
        :class:`stochhw.models.smtj.SMTJSpec`, which also derives the bias table in use,
        ``SMTJSpec.thresholds``, and the LFSR seeds, ``SMTJSpec.seeds``).

    Ports
    -----
    bias : In(lanes * code_width(levels))
        Bias code of lane i; codes >= ``levels`` act as ``levels - 1``.
    entropy : In(lanes * (bits + 8 if hold else bits)), only with ``source="port"``
        Lane i: ``r`` in the low ``bits`` bits, then ``k`` (8 bits) when ``hold > 0``.
    y : Out(lanes)
        Junction state (stream bit) of lane i.

    Latency
    -------
    1 cycle (``y`` is the state register). Reset clears ``y`` and reloads the LFSRs.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = s = spec_from(SMTJSpec, spec, params)
        ports = {"bias": In(s.lanes * s.code_width)}
        if s.source == "port":
            ports["entropy"] = In(s.lanes * s.entropy_width)
        ports["y"] = Out(s.lanes)
        super().__init__(ports)

    def elaborate(self, platform):
        s = self.spec
        m = Module()
        if s.source == "lfsr":
            redraw_rnd = lfsr_randoms(m, s.seeds[:s.lanes], s.lfsr_width, s.bits, "redraw")
            keep_rnd = (lfsr_randoms(m, s.seeds[s.lanes:], s.lfsr_width, HOLD_BITS, "keep")
                        if s.hold else None)
        else:
            lanes = [self.entropy.word_select(i, s.entropy_width) for i in range(s.lanes)]
            redraw_rnd = [e[:s.bits] for e in lanes]
            keep_rnd = [e[s.bits:] for e in lanes] if s.hold else None
        for i in range(s.lanes):
            threshold = table_threshold(m, self.bias.word_select(i, s.code_width), s.thresholds, s.bits,
                                        name=f"threshold{i}")
            fresh = redraw_rnd[i] < threshold
            if s.hold:
                with m.If(keep_rnd[i] >= s.hold):
                    m.d.sync += self.y[i].eq(fresh)
            else:
                m.d.sync += self.y[i].eq(fresh)
        return m
