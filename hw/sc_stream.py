"""Building blocks of comparator bitstream generators, shared by ``sng``, ``smtj`` and ``sc_neuron``.

:mod:`stochhw.models.sc_stream` is the reference: bit = ``rnd < threshold``, random numbers from
per-lane leap-forward Galois LFSRs (low ``bits`` bits, ``bits`` steps per cycle), from Sobol
generators sharing one index counter, or from a port, thresholds from a table indexed by a code
that saturates beyond the table.
"""

from amaranth import Cat, Const, Mux, Signal

from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_step
from stochhw.models.sc_stream import padded_table

__all__ = ["leap_matrix", "leap", "lfsr_randoms", "sobol_randoms", "table_threshold"]


def leap_matrix(width, steps):
    """Rows of the GF(2) matrix of ``steps`` Galois steps (table taps): bit j of the next state
    is the XOR of the state bits set in row j."""
    taps = MAXIMAL_TAPS[width]
    columns = []
    for i in range(width):                    # the image of each unit vector is a column
        v = 1 << i
        for _ in range(steps):
            v = lfsr_step(v, width, taps, "galois")
        columns.append(v)
    return [sum(((columns[i] >> j) & 1) << i for i in range(width)) for j in range(width)]


def leap(state, width, steps):
    """Amaranth expression of ``steps`` Galois steps of ``state``: one flat XOR per bit.

    (Applying the one-step rule ``steps`` times to an expression would nest slices of
    concatenations, which the Verilog back end expands exponentially.)
    """
    bits = []
    for row in leap_matrix(width, steps):
        terms = [state[i] for i in range(width) if row >> i & 1]
        bit = terms[0]
        for term in terms[1:]:
            bit = bit ^ term
        bits.append(bit)
    return Cat(*bits)


def lfsr_randoms(m, seeds, lfsr_width, bits, prefix="lfsr"):
    """Add one free-running leap-forward Galois LFSR per seed to ``m`` (``bits`` steps per
    cycle, seed reloaded on reset); return their low ``bits`` bits."""
    randoms = []
    for i, seed in enumerate(seeds):
        state = Signal(lfsr_width, init=seed, name=f"{prefix}{i}")
        m.d.sync += state.eq(leap(state, lfsr_width, bits))
        randoms.append(state[:bits])
    return randoms


def sobol_randoms(m, directions, shifts, bits, prefix="sobol"):
    """Add Sobol generators to ``m``; return their current points (``bits`` bits each).

    One ``bits``-bit index counter ``n`` serves every generator; generator i holds its point in
    a register that reset loads with ``shifts[i]`` and that each cycle XORs in the direction
    number ``directions[i][c]``, ``c`` the trailing ones of ``n`` capped at ``bits - 1``
    (:mod:`stochhw.models.sobol`). The selection is one-hot: ``sel_c`` is true when bits
    ``0 .. c-1`` of ``n`` are ones and bit ``c`` is zero (``c = bits - 1``: all the lower bits
    are ones), so a lane costs ``bits`` register bits and, per bit, an OR of the selects whose
    direction number has that bit set.
    """
    index = Signal(bits, name=f"{prefix}_index")
    m.d.sync += index.eq(index + 1)
    selects, run = [], Const(1, 1)
    for c in range(bits):
        selects.append(run & ~index[c] if c < bits - 1 else run)
        run = run & index[c]
    randoms = []
    for i, (row, shift) in enumerate(zip(directions, shifts)):
        point = Signal(bits, init=shift, name=f"{prefix}{i}")
        step = Const(0, bits)
        for select, v in zip(selects, row):
            step = step | Mux(select, Const(v, bits), 0)
        m.d.sync += point.eq(point ^ step)
        randoms.append(point)
    return randoms


def table_threshold(m, code, table, bits, name="threshold"):
    """A ``bits + 1``-bit signal holding ``table[code]`` (codes beyond the table saturate).

    The table is a constant case statement: synthesis folds it into the comparator logic.
    """
    entries = padded_table(table, len(code))
    threshold = Signal(bits + 1, name=name)
    with m.Switch(code):
        for value, entry in enumerate(entries):
            with m.Case(value):
                m.d.comb += threshold.eq(int(entry))
    return threshold
