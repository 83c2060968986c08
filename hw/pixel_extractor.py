"""``pixel_extractor``: n-bit random numbers from input pixels, by per-location thresholds.

The thresholds, their dataset and the pixel locations are defined in :mod:`stochhw.models.pixel`.
"""

import functools
import operator

from amaranth import C, Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.models.pixel import PixelExtractorSpec
from stochhw.models.spec import Specified, spec_from

__all__ = ["PixelExtractor", "at_least", "thermometer_to_binary"]


class PixelExtractor(Specified, wiring.Component):
    """Threshold comparators turning each lane's pixel into an n-bit number.

    Lane i compares its pixel ``p`` with its ``2^n - 1`` sorted constant thresholds and outputs
    ``#{j : p >= t_j}``. The thresholds are computed offline (:mod:`stochhw.models.pixel`) so that, over
    the 8x8 digits, each lane's number follows the target distribution. They are constants in
    the logic, so each lane is a fixed function of its pixel: in effect a ROM of
    ``2^pixel_width`` n-bit entries, built as constant comparators (plain gates, which map to
    LUTs; a ``>=`` operator would become a carry chain per threshold) and a
    thermometer-to-binary encoder.

    Parameters
    ----------
    spec : PixelExtractorSpec, optional
        Or its fields as keyword arguments (kinds, ranges and defaults are declared there):
        ``lanes`` (lane i watches ``stochhw.models.pixel.eligible_locations(pixel_width)[i]``
        with dataset thresholds), ``bits`` (n: ``2^n - 1`` thresholds per lane),
        ``pixel_width``, the target ``distribution`` with its shape (``sigma`` for ``gauss``,
        ``alpha`` and ``beta`` for ``beta``) or a ``thresholds`` file instead of the dataset.
        The comparators are built from ``spec.threshold_table``.

    Ports
    -----
    px : In(lanes * pixel_width)
        Lane i's pixel at bits ``[i*pixel_width, (i+1)*pixel_width)``.
    rnd : Out(lanes * bits)
        Lane i's number at bits ``[i*bits, (i+1)*bits)``.

    Latency
    -------
    1 cycle (``rnd`` is registered; reset clears it to 0).
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(PixelExtractorSpec, spec, params)
        super().__init__({
            "px": In(self.lanes * self.pixel_width),
            "rnd": Out(self.lanes * self.bits),
        })

    def elaborate(self, platform):
        m = Module()
        for i, row in enumerate(self.threshold_table.tolist()):
            p = self.px.word_select(i, self.pixel_width)
            # Sorted thresholds: reached[j] = (p >= t_{j+1}) is a thermometer code (all ones,
            # then all zeros) and the number is how many ones it has.
            reached = [at_least(p, t, self.pixel_width) for t in row]
            m.d.sync += self.rnd.word_select(i, self.bits).eq(thermometer_to_binary(reached, self.bits))
        return m


def at_least(p, t, width):
    """``p >= t`` for a constant ``t`` as plain gates, so that synthesis makes LUTs of it (a
    ``>=`` operator becomes a carry chain). Scanning from the LSB, ``r`` is ``p[:i] >= t[:i]``:
    a 1 in t needs ``p[i] & r``, a 0 in t takes ``p[i] | r``. ``t = 2^width`` is never reached."""
    if t >= 1 << width:
        return C(0, 1)
    r = True
    for i in range(width):
        if t >> i & 1:
            r = p[i] if r is True else p[i] & r
        elif r is not True:
            r = p[i] | r
    return C(1, 1) if r is True else r


def thermometer_to_binary(reached, bits):
    """The count of ones of a thermometer code, as plain gates: bit b of the count n is 1 iff
    ``n mod 2^(b+1) >= 2^b``, i.e. n lies in one of the ranges ``[m*2^(b+1) + 2^b,
    (m+1)*2^(b+1) - 1]``; ``n >= L`` is ``reached[L-1]`` and ``n <= U`` is ``~reached[U]``."""
    top = len(reached)                               # 2^bits - 1

    def at_least_n(n):
        return reached[n - 1] if n <= top else C(0, 1)

    out = []
    for b in range(bits):
        terms = []
        for low in range(1 << b, top + 1, 1 << (b + 1)):
            terms.append(at_least_n(low) & ~at_least_n(low + (1 << b)))
        out.append(functools.reduce(operator.or_, terms))
    return Cat(*out)
