"""Stochastic rounding units: ``sru_free`` (random number on a port) and ``sru_lfsr`` (own LFSR).

Both implement ``y = sat(floor((x + rnd) / 2^k))`` with ``k = in_width - out_width`` and a
registered output; :mod:`models.sru` is the reference.
"""

from amaranth import Module, Mux, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from models.lfsr import check_lfsr
from models.sru import check_lfsr_width, check_widths
from models.checks import check_bool

from .lfsr import LFSR

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


class SRUFree(wiring.Component):
    """Generator-free stochastic rounding unit: the random number arrives on ``rnd``.

    Parameters
    ----------
    in_width : int
        Width of the signed input ``x`` (2..32, default 16).
    out_width : int
        Width of the signed output ``y`` (default 8); ``k = in_width - out_width`` >= 1.
    saturate : bool
        Clamp to the signed ``out_width`` range (default) or wrap.

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

    def __init__(self, in_width=16, out_width=8, saturate=True):
        self.in_width, self.out_width, self.k = check_widths(in_width, out_width)
        self.saturate = check_bool("saturate", saturate)
        super().__init__({
            "x": In(signed(self.in_width)),
            "rnd": In(self.k),
            "y": Out(signed(self.out_width)),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.y.eq(rounded(self.x, self.rnd, self.k, self.out_width, self.saturate))
        return m


class SRULFSR(wiring.Component):
    """Conventional stochastic rounding unit with a private Galois LFSR.

    Parameters
    ----------
    in_width, out_width, saturate
        As for :class:`SRUFree`.
    lfsr_width : int
        LFSR width, >= k (default 16); the unit uses its low k bits.
    seed : int
        LFSR seed, 1..2^lfsr_width-1 (default 1).

    Ports
    -----
    x : In(signed(in_width))
    y : Out(signed(out_width))

    Latency
    -------
    1 cycle. The LFSR advances every cycle; reset reloads ``seed`` and clears ``y``.
    """

    def __init__(self, in_width=16, out_width=8, lfsr_width=16, seed=1, saturate=True):
        self.in_width, self.out_width, self.k = check_widths(in_width, out_width)
        self.lfsr_width = check_lfsr_width(lfsr_width, self.k)
        _, _, self.seed, _ = check_lfsr(self.lfsr_width, "galois", seed, None, width_name="lfsr_width")
        self.saturate = check_bool("saturate", saturate)
        super().__init__({"x": In(signed(self.in_width)), "y": Out(signed(self.out_width))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.lfsr = lfsr = LFSR(self.lfsr_width, "galois", self.seed)
        m.submodules.core = core = SRUFree(self.in_width, self.out_width, self.saturate)
        m.d.comb += [
            lfsr.en.eq(1),
            core.x.eq(self.x),
            core.rnd.eq(lfsr.state[:self.k]),
            self.y.eq(core.y),
        ]
        return m
