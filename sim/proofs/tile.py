"""Formal properties of the training tile (train_tile).

:data:`PROOFS` joins :data:`stochhw.sim.proofs.PROOFS` (run by ``stochhw prove`` and ``make prove``).
Add one :class:`stochhw.sim.flows.formal.Proof` per property of a design registered in
:mod:`stochhw.sim.designs.tile`: the design name, a claim in words, small parameter ``cases`` and a
``check(bench)`` function that states the property with ``bench.assert_`` on
``bench.dut`` (whose inputs are free) and ``bench.past``/``bench.valid`` for registered
outputs; :mod:`stochhw.sim.proofs` holds examples, :mod:`stochhw.sim.flows.formal` the helpers (``registered``,
``rounding_spec``, ``popcount``, ``lanes``). Import from ``stochhw.sim.flows.formal`` and ``models`` only
(not from ``stochhw.sim.proofs``, which imports this module).

The reference side is a tile written out in the bench from the *documented* rules of
:mod:`stochhw.models.train_tile` (not from the hardware's shared systolic registers): for every PE on
its own, ``a`` of row i delayed ``j + 1`` cycles, ``b`` of column j delayed ``i + 1`` cycles,
``clr``/``en`` delayed ``i + j + 1`` cycles (each a private chain of ``bench.past``
registers), and a 16-bit wrapping accumulator ``acc <= (clr ? 0 : acc) + (en ? a * b : 0)``.
Every property asserts, as its inductive strengthening, that the tile's accumulators (the
``x`` bus of its rounding stage, ``bench.dut_module.submodules.rounding.x``) equal the
reference ones. The delay chains have no feedback, so after ``rows + cols - 1`` steps of any
trace the tile's and the reference's pipeline registers hold the same inputs; an induction
depth of ``rows + cols`` therefore makes the accumulator equality inductive without naming
the tile's pipeline registers (:data:`_DEPTH` covers every case here: rows + cols <= 4).

The LFSR proof states the per-PE LFSRs' states, which are not ports, by opening the rounding
stage and its lanes with :func:`_opened`. As in :mod:`stochhw.sim.proofs`, the one rule taken from
the model rather than written out is the generator-free wiring table (``static_routing``);
``train_tile/even_neighbours_truncate`` states what a user relies on without that table: no
PE rounds with bits of its own accumulator.
"""

from amaranth import Cat, Const, Mux, Signal, signed

from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import galois_mask
from stochhw.models.seeds import lane_seeds
from stochhw.models.train_tile import ACC_WIDTH, LFSR_WIDTH, OPERAND_WIDTH, OUT_WIDTH, TrainTileSpec
from stochhw.sim.flows.formal import Proof, lanes, registered, rounding_spec

__all__ = ["PROOFS"]

#: Bits dropped by the rounding stage (16-bit accumulator to 8-bit y).
_K = ACC_WIDTH - OUT_WIDTH

#: Induction depth: rows + cols (longest delay chain + 1) of the largest case, 2 x 2 (a depth
#: of rows + cols - 1 leaves the accumulator equality not inductive: sby says UNKNOWN).
_DEPTH = 4


# --- the reference tile ----------------------------------------------------------------------

def _delayed(bench, value, cycles):
    """``value`` of ``cycles`` cycles ago (0 while fewer cycles have passed since reset)."""
    for _ in range(cycles):
        value = bench.past(value)
    return value


def _reference_accumulators(bench):
    """Lane-major list of reference accumulators (signed 16-bit), one per PE, following the
    documented skew, clear/enable and wrapping rules; reset clears them like the tile."""
    spec = TrainTileSpec(**bench.params)
    dut = bench.dut
    accs = []
    for i in range(spec.rows):
        for j in range(spec.columns):
            a = _delayed(bench, dut.a.word_select(i, OPERAND_WIDTH).as_signed(), j + 1)
            b = _delayed(bench, dut.b.word_select(j, OPERAND_WIDTH).as_signed(), i + 1)
            clr = _delayed(bench, dut.clr, i + j + 1)
            en = _delayed(bench, dut.en, i + j + 1)
            acc = Signal(signed(ACC_WIDTH), name=f"ref_acc_{i}_{j}")
            # The 17-bit sum assigned to 16 bits keeps its low bits: wraps modulo 2^16.
            bench.m.d.sync += acc.eq(Mux(clr, 0, acc) + Mux(en, a * b, 0))
            accs.append(acc)
    return accs


def _tile_accumulators(bench):
    """The tile's accumulators as its rounding stage sees them (lane-major, signed)."""
    x = bench.dut_module.submodules.rounding.x
    return [word.as_signed() for word in lanes(x, len(x) // ACC_WIDTH, ACC_WIDTH)]


def _accumulators_match(bench):
    """Assert tile accumulator == reference accumulator in every cycle; return the
    reference accumulators."""
    refs = _reference_accumulators(bench)
    for tile_acc, ref in zip(_tile_accumulators(bench), refs):
        bench.assert_(tile_acc == ref)
    return refs


def _outputs(bench):
    return [y.as_signed() for y in lanes(bench.dut.y, len(bench.dut.y) // OUT_WIDTH, OUT_WIDTH)]


def _opened(component):
    """Elaborate ``component`` now and make its later elaboration return that same module.

    The parent keeps ``component`` as its submodule; Amaranth elaborates it through
    ``component.elaborate``, which now returns the module built here, so the proof can name
    that module's submodules (state that is not a port, such as an LFSR in a rounding lane).
    :class:`stochhw.sim.flows.formal.Bench` opens only the top level (``open_dut``), hence this helper.
    """
    module = component.elaborate("formal")
    component.elaborate = lambda platform: module
    return module


def _galois_next(state, mask):
    """The Galois step as :mod:`stochhw.models.lfsr` documents it: ``(s >> 1) ^ (mask if s & 1)``."""
    return Mux(state[0], (state >> 1) ^ mask, state >> 1)


# --- properties ------------------------------------------------------------------------------

def _accumulates(bench):
    _accumulators_match(bench)


def _rounds_to_a_neighbour(bench):
    accs = _accumulators_match(bench)
    for y, acc in zip(_outputs(bench), accs):
        before = bench.past(acc)
        down = rounding_spec(y, before, Const(0, _K), _K, OUT_WIDTH, True)
        up = rounding_spec(y, before, Const((1 << _K) - 1, _K), _K, OUT_WIDTH, True)
        registered(bench, y, down | up)


def _rounds_with_own_lfsr(bench):
    accs = _accumulators_match(bench)
    array = _opened(bench.dut_module.submodules.rounding)
    mask = galois_mask(MAXIMAL_TAPS[LFSR_WIDTH])
    seeds = lane_seeds(bench.params["seed"], len(accs), LFSR_WIDTH)
    for lane, (y, acc, seed) in enumerate(zip(_outputs(bench), accs, seeds)):
        ref = Signal(LFSR_WIDTH, init=seed, name=f"ref_lfsr{lane}")
        bench.m.d.sync += ref.eq(_galois_next(ref, mask))
        # Invariant: the lane's private LFSR is the reference one (reset reloads both).
        bench.assert_(_opened(array.submodules[f"lane{lane}"]).submodules.lfsr.state == ref)
        registered(bench, y, rounding_spec(y, bench.past(acc), bench.past(ref[:_K]), _K,
                                           OUT_WIDTH, True))


def _rounds_with_extracted_lsbs(bench):
    accs = _accumulators_match(bench)
    route = TrainTileSpec(**bench.params).stage.extractor.static_routing.tolist()
    bus = bench.past(Cat(*accs))
    for y, acc, row in zip(_outputs(bench), accs, route):
        rnd = Cat(*(bus[bit] for bit in row))
        registered(bench, y, rounding_spec(y, bench.past(acc), rnd, _K, OUT_WIDTH, True))


def _even_neighbours_truncate(bench):
    accs = _accumulators_match(bench)
    lsbs = bench.past(Cat(*(acc[0] for acc in accs)))
    for lane, (y, acc) in enumerate(zip(_outputs(bench), accs)):
        others = Cat(*(lsbs[other] for other in range(len(accs)) if other != lane))
        truncated = rounding_spec(y, bench.past(acc), Const(0, _K), _K, OUT_WIDTH, True)
        # (bench.past outside the If: a register added inside it would update only then)
        with bench.m.If(bench.valid & (others == 0)):
            bench.assert_(truncated)


#: :class:`stochhw.sim.flows.formal.Proof` entries of this topic.
PROOFS = (
    Proof("train_tile", "accumulates",
          "every PE's 16-bit accumulator equals a reference PE fed the documented wavefront: "
          "a of row i delayed j + 1 cycles, b of column j delayed i + 1, clr/en delayed "
          "i + j + 1, acc <= (clr ? 0 : acc) + (en ? a * b : 0) wrapping modulo 2^16, cleared "
          "by reset; for all inputs (k-induction, depth rows + cols)",
          _accumulates, open_dut=True, depth=_DEPTH,
          cases=({"rows": 1, "cols": 1}, {"rows": 2, "cols": 1},
                 {"rows": 2, "cols": 2, "rounding": "generator_free"})),
    Proof("train_tile", "rounds_to_a_neighbour",
          "whatever the random source (LFSRs, or extracted bits with any runtime routing), "
          "y(i, j) is the previous cycle's accumulator acc divided by 2^8 and rounded down or "
          "up, saturated to [-128, 127]: sat(floor(acc / 256)) or sat(ceil(acc / 256)), so "
          "exact when acc is a multiple of 256; 0 after reset (acc: the reference PE of "
          "train_tile/accumulates, whose equality is part of the invariant)",
          _rounds_to_a_neighbour, open_dut=True, depth=_DEPTH,
          cases=({"rows": 1, "cols": 1}, {"rows": 2, "cols": 2},
                 {"rows": 1, "cols": 2, "rounding": "generator_free", "routing": "runtime"})),
    Proof("train_tile", "rounds_with_own_lfsr",
          "rounding=lfsr: PE lane l's private 16-bit LFSR follows the stochhw.models.lfsr Galois "
          "sequence from stochhw.models.seeds.lane_seeds(seed, lanes, 16)[l] (reloaded by reset), and "
          "y = sat(floor((acc + rnd) / 256)) of the previous cycle with rnd its low 8 bits, so "
          "y is the floor whenever those bits are 0",
          _rounds_with_own_lfsr, open_dut=True, depth=_DEPTH,
          cases=({"rows": 1, "cols": 1}, {"rows": 2, "cols": 2, "seed": 5})),
    Proof("train_tile", "rounds_with_extracted_lsbs",
          "rounding=generator_free, static routing: y = sat(floor((acc + rnd) / 256)) of the "
          "previous cycle, bit b of lane l's rnd being the LSB of the accumulator the model's "
          "documented circulant assignment names (static_routing of the rounding stage)",
          _rounds_with_extracted_lsbs, open_dut=True, depth=_DEPTH,
          cases=({"rows": 1, "cols": 2, "rounding": "generator_free"},
                 {"rows": 3, "cols": 1, "rounding": "generator_free", "seed": 4},
                 {"rows": 2, "cols": 2, "rounding": "generator_free", "seed": 3})),
    Proof("train_tile", "even_neighbours_truncate",
          "rounding=generator_free, static routing: when every other PE's accumulator is even, "
          "a PE's y is sat(floor(acc / 256)) of its own accumulator: its random bits never "
          "come from its own accumulator, and a zero random number truncates",
          _even_neighbours_truncate, open_dut=True, depth=_DEPTH,
          cases=({"rows": 2, "cols": 1, "rounding": "generator_free"},
                 {"rows": 1, "cols": 3, "rounding": "generator_free", "seed": 2},
                 {"rows": 2, "cols": 2, "rounding": "generator_free", "seed": 9})),
)
