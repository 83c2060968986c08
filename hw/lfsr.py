"""``lfsr``: a maximal-length linear-feedback shift register (Galois or Fibonacci form)."""

from amaranth import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.models.lfsr import LFSRSpec, galois_mask
from stochhw.models.spec import Specified, spec_from

__all__ = ["LFSR", "lfsr_next"]


def lfsr_next(state, width, taps, form):
    """Amaranth expression for the next state of ``state`` (same rule as :func:`stochhw.models.lfsr.lfsr_step`)."""
    if form == "galois":
        gmask = galois_mask(taps)
        out = state[0]
        # (s >> 1) ^ (out ? mask : 0), bit by bit: taps become single XOR gates.
        bits = [state[i + 1] if i + 1 < width else 0 for i in range(width)]
        bits = [(b ^ out) if gmask >> i & 1 else b for i, b in enumerate(bits)]
    else:
        feedback = 0
        for t in taps:
            feedback = feedback ^ state[width - t]
        bits = [state[i + 1] for i in range(width - 1)] + [feedback]
    return Cat(*bits)


class LFSR(Specified, wiring.Component):
    """Maximal-length LFSR; see :mod:`stochhw.models.lfsr` for the exact step rule.

    Parameters
    ----------
    spec : LFSRSpec, optional
        Or its fields as keyword arguments: ``width`` (2..32, default 16), ``form``
        (``"galois"`` or ``"fibonacci"``), ``seed`` (the reset and power-up state,
        1..2^width-1) and ``taps`` (an XAPP052-style tap list; ``None`` takes the
        maximal-length table; a given list must be primitive, so the period is always
        2^width - 1).

    Ports
    -----
    en : In(1)
        Advance the state at the next rising edge.
    state : Out(width)
        The register itself.

    Latency
    -------
    1 cycle: ``en`` high in cycle t makes ``state`` show the next value in cycle t+1.
    Synchronous ``rst`` reloads ``seed``.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LFSRSpec, spec, params)
        super().__init__({"en": In(1), "state": Out(self.width, init=self.seed)})

    def elaborate(self, platform):
        m = Module()
        with m.If(self.en):
            m.d.sync += self.state.eq(lfsr_next(self.state, self.width, self.feedback_taps, self.form))
        return m
