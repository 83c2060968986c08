"""``sru_array``: N stochastic rounding lanes, with per-lane LFSRs or an external random bus."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from models.sru import SRUArrayModel

from .sru import SRUFree, SRULFSR

__all__ = ["SRUArray"]


class SRUArray(wiring.Component):
    """An array of stochastic rounding units on flat, lane-major buses.

    Parameters
    ----------
    lanes : int
        Number of lanes, 1..4096 (default 16).
    source : str
        ``"lfsr"`` (default): every lane owns an :class:`hw.sru.SRULFSR`, like the RNG array of
        a conventional accelerator, lane i seeded with ``models.seeds.lane_seeds(seed, lanes,
        lfsr_width)[i]`` (distinct nonzero seeds, so no two lanes round alike). ``"external"``: lanes are :class:`hw.sru.SRUFree` fed from ``rnd``.
    seed : int
        Master seed for the lane LFSRs (0..2^64-1, default 1).
    in_width, out_width, lfsr_width, saturate
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

    def __init__(self, lanes=16, source="lfsr", seed=1, in_width=16, out_width=8,
                 lfsr_width=16, saturate=True):
        # The model owns the parameter rules; reuse them rather than restate them.
        spec = SRUArrayModel(lanes, source, seed, in_width, out_width, lfsr_width, saturate)
        self.lanes, self.source, self.seed = spec.lanes, spec.source, spec.seed
        self.in_width, self.out_width, self.k = spec.in_width, spec.out_width, spec.k
        self.lfsr_width, self.saturate = spec.lfsr_width, spec.saturate
        self.lane_seeds = spec.seeds() if self.source == "lfsr" else None
        ports = {"x": In(self.lanes * self.in_width)}
        if self.source == "external":
            ports["rnd"] = In(self.lanes * self.k)
        ports["y"] = Out(self.lanes * self.out_width)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        for i in range(self.lanes):
            if self.source == "lfsr":
                lane = SRULFSR(self.in_width, self.out_width, self.lfsr_width,
                               self.lane_seeds[i], self.saturate)
            else:
                lane = SRUFree(self.in_width, self.out_width, self.saturate)
                m.d.comb += lane.rnd.eq(self.rnd.word_select(i, self.k))
            m.submodules[f"lane{i}"] = lane
            m.d.comb += [
                lane.x.eq(self.x.word_select(i, self.in_width)),
                self.y.word_select(i, self.out_width).eq(lane.y),
            ]
        return m
