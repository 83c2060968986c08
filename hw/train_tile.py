"""``train_tile``: a representative training tile, a systolic MAC array with a stochastic
rounding stage; :class:`stochhw.models.train_tile.TrainTileModel` is the reference."""

from amaranth import Cat, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from stochhw.hw.gf_rounding import GFRounding
from stochhw.hw.sru_array import SRUArray
from stochhw.models.spec import Specified, spec_from
from stochhw.models.train_tile import ACC_WIDTH, OPERAND_WIDTH, OUT_WIDTH, TrainTileSpec

__all__ = ["TrainTile"]


class TrainTile(Specified, wiring.Component):
    """Output-stationary systolic array of 8 x 8-bit MAC PEs, rounded to 8 bits stochastically.

    ::

              b[0]      b[1]            b[C-1]       weights enter at the top, move down
               │         │                │
        a[0] ─►PE(0,0) ─►PE(0,1) ─► ... ─►PE(0,C-1)   activations enter at the left, move right
               │         │                │
        a[1] ─►PE(1,0) ─►PE(1,1) ─► ... ─►PE(1,C-1)
               ⋮                          ⋮
        clr, en ─► control shift register, stage d drives every PE with i + j = d

        PE(i, j):  a_reg, b_reg (8 bits) pass right / down;  acc (16 bits, wraps)
                   acc <= (clr ? 0 : acc) + (en ? a_reg * b_reg : 0)
        rounding:  y(i, j) <= sat(floor((acc(i, j) + rnd) / 2^8))   (every cycle, every PE)
                   rnd: per-PE LFSR (rounding=lfsr) or the LSBs of 8 other
                   accumulators of the tile (rounding=generator_free)

    Parameters
    ----------
    spec : TrainTileSpec, optional
        Or its fields as keyword arguments (kinds, ranges and defaults are declared there):

        ``rows``, ``cols``
            PE rows and columns (``cols=0``: a square tile, ``cols = rows``).
        ``rounding``
            ``"lfsr"``: the rounding stage is :class:`stochhw.hw.sru_array.SRUArray` with
            ``source="lfsr"``, one 16-bit LFSR per PE (the conventional RNG array).
            ``"generator_free"``: it is :class:`stochhw.hw.gf_rounding.GFRounding` on the
            accumulator bus (``multi_lsb``, ``reuse``): each PE's 8 random bits are the LSBs of
            other PEs' accumulators (the circulant assignment of ``gf_rounding``; at least 2
            PEs). Either is built from ``spec.stage``.
        ``routing``
            ``"static"`` or ``"runtime"`` (``generator_free`` only; adds the ``cfg_*`` port of
            ``gf_rounding``, whose cost grows as (rows * cols)^2).
        ``seed``
            LFSR lane seeds (``lfsr``) or static assignment (``generator_free``).

    Ports
    -----
    a : In(rows * 8)
        Activation entering row i, signed, at bits ``[8i, 8i+8)``.
    b : In(cols * 8)
        Weight entering column j, signed, at bits ``[8j, 8j+8)``.
    clr : In(1)
        Start a new accumulation: the PEs reached by this step load ``0`` (plus the product
        when ``en``) instead of adding to their old sum.
    en : In(1)
        This step carries a product to accumulate.
    cfg_en, cfg_addr, cfg_data : runtime routing only
        As for :class:`stochhw.hw.gf_rounding.GFRounding` (``rows * cols * 8`` selects).
    y : Out(rows * cols * 8)
        Rounded accumulator of PE(i, j), signed, lane ``i * cols + j``.

    Latency
    -------
    ``a`` reaches column j after j + 1 cycles, ``b`` reaches row i after i + 1 cycles and
    ``clr``/``en`` reach PE(i, j) after i + j + 1 cycles; the accumulator and ``y`` add one
    cycle each: 3 cycles from input to ``y`` for PE(0, 0), ``3 + i + j`` for PE(i, j). With
    the operands skewed as :mod:`stochhw.models.train_tile` says (row i's activation and column j's
    weight of step k in cycles k + i and k + j, ``clr``/``en`` of step k in cycle k), step
    k's product is in ``y(i, j)`` from cycle ``k + i + j + 3``. Reset clears every register
    and reloads the LFSRs or routing selects.

    Notes
    -----
    Generator-free rounding is only as unbiased as the accumulator LSBs are fair coins. Right
    after a clear they are not (a product of uniform int8 values is odd with probability 1/4),
    so frequent clears bias the rounding low; ``tests/test_train_tile_model.py`` measures the
    bias against its prediction. With 8 PEs or fewer a PE's 8 bits repeat words, so its
    number takes fewer than 256 values.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec = spec_from(TrainTileSpec, spec, params)
        ports = {
            "a": In(spec.rows * OPERAND_WIDTH),
            "b": In(spec.columns * OPERAND_WIDTH),
            "clr": In(1),
            "en": In(1),
        }
        if spec.routing == "runtime":
            extractor = spec.stage.extractor
            ports["cfg_en"] = In(1)
            ports["cfg_addr"] = In(extractor.addr_width)
            ports["cfg_data"] = In(extractor.data_width)
        ports["y"] = Out(spec.lanes * OUT_WIDTH)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        rows, cols = spec.rows, spec.columns

        clr = [Signal(name=f"clr_d{d}") for d in range(spec.diagonals)]
        en = [Signal(name=f"en_d{d}") for d in range(spec.diagonals)]
        m.d.sync += [clr[0].eq(self.clr), en[0].eq(self.en)]
        for d in range(1, spec.diagonals):
            m.d.sync += [clr[d].eq(clr[d - 1]), en[d].eq(en[d - 1])]

        a_reg = [[Signal(signed(OPERAND_WIDTH), name=f"a_{i}_{j}") for j in range(cols)]
                 for i in range(rows)]
        b_reg = [[Signal(signed(OPERAND_WIDTH), name=f"b_{i}_{j}") for j in range(cols)]
                 for i in range(rows)]
        acc = [[Signal(signed(ACC_WIDTH), name=f"acc_{i}_{j}") for j in range(cols)]
               for i in range(rows)]
        for i in range(rows):
            for j in range(cols):
                left = (self.a.word_select(i, OPERAND_WIDTH).as_signed() if j == 0
                        else a_reg[i][j - 1])
                top = (self.b.word_select(j, OPERAND_WIDTH).as_signed() if i == 0
                       else b_reg[i - 1][j])
                m.d.sync += [a_reg[i][j].eq(left), b_reg[i][j].eq(top)]
                d = i + j
                base = acc[i][j] & ~clr[d].replicate(ACC_WIDTH)       # clear: start from 0
                product = a_reg[i][j] * b_reg[i][j]
                # Assigning a 17-bit sum to the 16-bit register keeps the low bits: wraps.
                with m.If(en[d]):
                    m.d.sync += acc[i][j].eq(base + product)
                with m.Else():
                    m.d.sync += acc[i][j].eq(base)

        if spec.rounding == "lfsr":
            m.submodules.rounding = rounding = SRUArray(spec.stage)
        else:
            m.submodules.rounding = rounding = GFRounding(spec.stage)
            if spec.routing == "runtime":
                m.d.comb += [rounding.cfg_en.eq(self.cfg_en), rounding.cfg_addr.eq(self.cfg_addr),
                             rounding.cfg_data.eq(self.cfg_data)]
        m.d.comb += [
            rounding.x.eq(Cat(*(acc[i][j] for i in range(rows) for j in range(cols)))),
            self.y.eq(rounding.y),
        ]
        return m
