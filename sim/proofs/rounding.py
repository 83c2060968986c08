"""Formal properties of the stochastic rounding designs: lfsr, sru_free, sru_lfsr, sru_array.

Each :class:`stochhw.sim.flows.formal.Proof` names a registered design, small parameter cases
and a ``check`` function that states the properties on a :class:`stochhw.sim.flows.formal.Bench`.
The reference side of every property is written here from the models' *documented* rules (the
rounding formula, the LFSR step), never by calling the hardware's own helpers.
"""


from amaranth import Array, Const, Mux, Signal

from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import galois_mask, lfsr_step
from stochhw.models.seeds import lane_seeds
from stochhw.sim.flows.formal import Proof, registered, rounding_spec
from stochhw.sim.flows.formal import lanes as _lanes

__all__ = ["PROOFS"]


def _galois_next(state, mask):
    """The Galois step as :mod:`stochhw.models.lfsr` documents it: ``(s >> 1) ^ (mask if s & 1)``."""
    return Mux(state[0], (state >> 1) ^ mask, state >> 1)


# --- lfsr ----------------------------------------------------------------------------------

def _lfsr_never_zero(bench):
    bench.assert_(bench.dut.state != 0)


def _lfsr_injective(bench):
    a, b = bench.dut, bench.instance()
    stepped = bench.past(a.en & b.en)
    differed = bench.past(a.state != b.state)
    with bench.m.If(bench.valid & stepped & differed):
        bench.assert_(a.state != b.state)


def _lfsr_matches_model(bench):
    p, dut = bench.params, bench.dut
    width = p["width"]
    taps = p["taps"] if p["taps"] is not None else MAXIMAL_TAPS[width]
    table = Array(Const(lfsr_step(s, width, taps, p["form"]), width) for s in range(1 << width))
    state, en = bench.past(dut.state), bench.past(dut.en)
    with bench.m.If(bench.valid):
        bench.assert_(dut.state == Mux(en, table[state], state))
    with bench.m.Else():
        bench.assert_(dut.state == p["seed"])


# --- rounding ------------------------------------------------------------------------------

def _sru_free_rounds(bench):
    p, dut = bench.params, bench.dut
    k = p["in_width"] - p["out_width"]
    registered(bench, dut.y, rounding_spec(dut.y, bench.past(dut.x), bench.past(dut.rnd), k,
                                           p["out_width"], p["saturate"]))


def _sru_lfsr_rounds(bench):
    p, dut = bench.params, bench.dut
    k = p["in_width"] - p["out_width"]
    # A reference LFSR stepped by the model's rule; the unit's own LFSR must equal it (the
    # invariant that makes the property inductive), and y rounds with its low k bits.
    ref = Signal(p["lfsr_width"], init=p["seed"], name="ref_lfsr")
    bench.m.d.sync += ref.eq(_galois_next(ref, galois_mask(MAXIMAL_TAPS[p["lfsr_width"]])))
    bench.assert_(bench.dut_module.submodules.lfsr.state == ref)
    registered(bench, dut.y, rounding_spec(dut.y, bench.past(dut.x), bench.past(ref[:k]), k,
                                           p["out_width"], p["saturate"]))


def _sru_array_rounds(bench):
    p, dut = bench.params, bench.dut
    lanes, k, out = p["lanes"], p["in_width"] - p["out_width"], p["out_width"]
    xs = _lanes(bench.past(dut.x), lanes, p["in_width"])
    if p["source"] == "external":
        rnds = _lanes(bench.past(dut.rnd), lanes, k)
    else:
        mask = galois_mask(MAXIMAL_TAPS[p["lfsr_width"]])
        rnds = []
        for i, seed in enumerate(lane_seeds(p["seed"], lanes, p["lfsr_width"])):
            ref = Signal(p["lfsr_width"], init=seed, name=f"ref_lfsr{i}")
            bench.m.d.sync += ref.eq(_galois_next(ref, mask))
            rnds.append(bench.past(ref[:k]))
    for i, y in enumerate(_lanes(dut.y, lanes, out)):
        registered(bench, y, rounding_spec(y, xs[i], rnds[i], k, out, p["saturate"]))


# --- extraction ----------------------------------------------------------------------------


#: The proofs of this topic.
PROOFS = (
    Proof("lfsr", "never_zero",
          "the state is never all-zero: nonzero seed, and a nonzero state steps to a nonzero "
          "state (k-induction over every state, with en and rst free)",
          _lfsr_never_zero,
          cases=({}, {"form": "fibonacci"}, {"width": 32, "seed": 0xDEADBEEF},
                 {"width": 5, "form": "fibonacci", "seed": 7}, {"width": 12, "taps": (12, 11, 10, 4)})),
    Proof("lfsr", "injective",
          "the next-state function is injective: two copies in distinct states (arbitrary in the "
          "induction step) step to distinct states; with never_zero, a bijection of the nonzero "
          "states",
          _lfsr_injective,
          cases=({}, {"form": "fibonacci"}, {"width": 32, "form": "fibonacci", "seed": 3},
                 {"width": 12, "taps": (12, 11, 10, 4)})),
    Proof("lfsr", "matches_model",
          "for every state, the next state is stochhw.models.lfsr.lfsr_step's (held when en is low, "
          "seed after reset)",
          _lfsr_matches_model,
          cases=({"width": 8}, {"width": 7, "form": "fibonacci", "seed": 5})),
    Proof("sru_free", "rounds",
          "y = floor((x + rnd) / 2^k) of the previous cycle, saturated or wrapped, for all x "
          "and rnd; 0 after reset",
          _sru_free_rounds,
          cases=({}, {"saturate": False}, {"in_width": 24, "out_width": 9},
                 {"in_width": 5, "out_width": 4, "saturate": False})),
    Proof("sru_lfsr", "rounds",
          "the private LFSR follows the stochhw.models.lfsr Galois sequence from the seed, and y = "
          "floor((x + rnd) / 2^k) with rnd its low k bits, saturated or wrapped, for all x",
          _sru_lfsr_rounds, open_dut=True,
          cases=({}, {"lfsr_width": 8, "seed": 0x5A},
                 {"in_width": 12, "out_width": 4, "lfsr_width": 9, "saturate": False})),
    Proof("sru_array", "rounds_external",
          "source=external: every lane's y = floor((x + rnd) / 2^k) of its own lane of x and "
          "rnd, saturated or wrapped, for all inputs",
          _sru_array_rounds,
          cases=({"lanes": 4, "source": "external"},
                 {"lanes": 3, "source": "external", "in_width": 10, "out_width": 4,
                  "saturate": False})),
    Proof("sru_array", "rounds_lfsr",
          "source=lfsr: every lane rounds with the low k bits of its own LFSR, seeded with "
          "stochhw.models.seeds.lane_seeds. Bounded check of 10 cycles: the lanes' 3-bit LFSRs step "
          "together (period 7) and every other register holds last cycle's inputs, so every "
          "reachable state is reached within 8 cycles of reset and the bound is complete",
          _sru_array_rounds, mode="bmc", depth=10,
          cases=({"lanes": 2, "source": "lfsr", "in_width": 5, "out_width": 2, "lfsr_width": 3,
                  "seed": 9},)),
)
