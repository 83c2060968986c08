"""``sru_array``: N stochastic rounding lanes, with per-lane LFSRs or an external random bus."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.sru import SRULFSR, SRUFree
from stochhw.models.spec import Specified, spec_from
from stochhw.models.sru import SRUArraySpec

__all__ = ["SRUArray"]


class SRUArray(Specified, wiring.Component):
    """An array of stochastic rounding units on flat, lane-major buses.

    Parameters
    ----------
    spec : SRUArraySpec, optional
        Or its fields as keyword arguments:

        ``lanes``
            Number of lanes, 1..4096 (default 16).
        ``source``
            ``"lfsr"`` (default): every lane owns an :class:`stochhw.hw.sru.SRULFSR`, like the
            RNG array of a conventional accelerator, lane i seeded with
            ``SRUArraySpec.lane_seeds[i]`` (distinct nonzero seeds, so no two lanes round
            alike). ``"external"``: lanes are :class:`stochhw.hw.sru.SRUFree` fed from ``rnd``.
        ``seed``
            Master seed of the lane LFSRs (0..2^64-1, default 1).
        ``in_width``, ``out_width``, ``lfsr_width``, ``saturate``
            As for the single units.

    Ports
    -----
    x : In(lanes * in_width)
        Lane i (signed) at bits ``[i*in_width, (i+1)*in_width)``.
    rnd : In(lanes * k), only with ``source="external"``
        Lane i at bits ``[i*k, (i+1)*k)``.
    y : Out(lanes * out_width)
        Lane i (signed) at bits ``[i*out_width, (i+1)*out_width)``.

    Latency
    -------
    1 cycle, every lane.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRUArraySpec, spec, params)
        ports = {"x": In(self.lanes * self.in_width)}
        if self.source == "external":
            ports["rnd"] = In(self.lanes * self.k)
        ports["y"] = Out(self.lanes * self.out_width)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        for i in range(self.lanes):
            if self.source == "lfsr":
                lane = SRULFSR(in_width=self.in_width, out_width=self.out_width,
                               lfsr_width=self.lfsr_width, seed=self.lane_seeds[i], saturate=self.saturate)
            else:
                lane = SRUFree(in_width=self.in_width, out_width=self.out_width, saturate=self.saturate)
                m.d.comb += lane.rnd.eq(self.rnd.word_select(i, self.k))
            m.submodules[f"lane{i}"] = lane
            m.d.comb += [
                lane.x.eq(self.x.word_select(i, self.in_width)),
                self.y.word_select(i, self.out_width).eq(lane.y),
            ]
        return m
