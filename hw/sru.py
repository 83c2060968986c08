"""Stochastic rounding units: ``sru_free`` (random number on a port) and ``sru_lfsr`` (own LFSR).

Both implement ``y = sat(floor((x + rnd) / 2^k))`` with ``k = in_width - out_width`` and a
registered output; :mod:`stochhw.models.sru` is the reference.
"""

from amaranth import Module, Mux, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.lfsr import LFSR
from stochhw.models.spec import Specified, spec_from
from stochhw.models.sru import SRUFreeSpec, SRULFSRSpec

__all__ = ["rounded", "SRUFree", "SRULFSR"]


def rounded(x, rnd, k, out_width, saturate):
    """Amaranth expression ``sat(floor((x + rnd) / 2^k))`` (``x`` signed, ``rnd`` unsigned)."""
    total = x + rnd                  # signed, one bit wider than x: cannot overflow
    q = total >> k                   # arithmetic shift of a signed value: floor division
    if saturate:
        top = (1 << (out_width - 1)) - 1
        # rnd >= 0, so q >= x >> k >= -2^(out_width-1): only the upper bound needs logic.
        return Mux(q > top, top, q)[:out_width]
    return q[:out_width]


class SRUFree(Specified, wiring.Component):
    """Generator-free stochastic rounding unit: the random number arrives on ``rnd``.

    Parameters
    ----------
    spec : SRUFreeSpec, optional
        Or its fields as keyword arguments: ``in_width`` (of the signed input ``x``, 2..32,
        default 16), ``out_width`` (of the signed output ``y``, default 8;
        ``k = in_width - out_width`` >= 1) and ``saturate`` (clamp to the signed
        ``out_width`` range, the default, or wrap).

    Ports
    -----
    x : In(signed(in_width))
    rnd : In(k)
        Random number, uniform on ``[0, 2^k)`` for unbiased rounding.
    y : Out(signed(out_width))

    Latency
    -------
    1 cycle (``y`` is registered; reset clears it to 0).
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRUFreeSpec, spec, params)
        super().__init__({
            "x": In(signed(self.in_width)),
            "rnd": In(self.k),
            "y": Out(signed(self.out_width)),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.y.eq(rounded(self.x, self.rnd, self.k, self.out_width, self.saturate))
        return m


class SRULFSR(Specified, wiring.Component):
    """Conventional stochastic rounding unit with a private Galois LFSR.

    Parameters
    ----------
    spec : SRULFSRSpec, optional
        Or its fields as keyword arguments: ``in_width``, ``out_width`` and ``saturate`` as
        for :class:`SRUFree`; ``lfsr_width`` (>= k, default 16; the unit uses the LFSR's low
        k bits) and ``seed`` (1..2^lfsr_width-1, default 1).

    Ports
    -----
    x : In(signed(in_width))
    y : Out(signed(out_width))

    Latency
    -------
    1 cycle. The LFSR advances every cycle; reset reloads ``seed`` and clears ``y``.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SRULFSRSpec, spec, params)
        super().__init__({"x": In(signed(self.in_width)), "y": Out(signed(self.out_width))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.lfsr = lfsr = LFSR(width=self.lfsr_width, form="galois", seed=self.seed)
        m.submodules.core = core = SRUFree(in_width=self.in_width, out_width=self.out_width,
                                           saturate=self.saturate)
        m.d.comb += [
            lfsr.en.eq(1),
            core.x.eq(self.x),
            core.rnd.eq(lfsr.state[:self.k]),
            self.y.eq(core.y),
        ]
        return m
