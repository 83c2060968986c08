"""``parallel_counter``: the number of ones among n bits, by an adder tree or approximately."""

from amaranth import Cat, Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.models.parallel_counter import ParallelCounterSpec, pair_ops
from stochhw.models.spec import Specified, spec_from

__all__ = ["adder_tree", "approx_popcount", "popcount", "ParallelCounter"]


def adder_tree(values):
    """Sum of Amaranth values by a balanced binary tree of adders (depth ceil(log2 n))."""
    level = list(values)
    if not level:
        return Const(0, 1)
    while len(level) > 1:
        # Each addition is one bit wider than its wider operand, so no sum can overflow.
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def popcount(bits):
    """Exact number of ones of the 1-bit values ``bits``."""
    return adder_tree(bits)


def approx_popcount(bits):
    """Approximate count of :mod:`stochhw.models.parallel_counter`: AND/OR pairs, then an adder tree
    over the pairs, times two (a free shift), plus the unpaired bit when n is odd."""
    bits = list(bits)
    gates = [bits[2 * j] & bits[2 * j + 1] if op == "and" else bits[2 * j] | bits[2 * j + 1]
             for j, op in enumerate(pair_ops(len(bits)))]
    low = bits[-1] if len(bits) % 2 else Const(0, 1)
    return Cat(low, adder_tree(gates)) if gates else low


class ParallelCounter(Specified, wiring.Component):
    """Parallel counter; :mod:`stochhw.models.parallel_counter` states the approximate counter's error model.

    Parameters
    ----------
    spec : ParallelCounterSpec, optional
        Or its fields as keyword arguments (declared in
        :class:`stochhw.models.parallel_counter.ParallelCounterSpec`): ``n`` input bits and the
        ``method``, ``"exact"`` (adder tree) or ``"approx"`` (AND/OR first layer).

    Ports
    -----
    x : In(n)
        The bits to count (bit i = lane i).
    count : Out(n.bit_length())

    Latency
    -------
    1 cycle (registered; reset clears ``count``).
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(ParallelCounterSpec, spec, params)
        super().__init__({"x": In(self.n), "count": Out(self.count_width)})

    def elaborate(self, platform):
        m = Module()
        bits = [self.x[i] for i in range(self.n)]
        total = popcount(bits) if self.method == "exact" else approx_popcount(bits)
        m.d.sync += self.count.eq(total)
        return m
