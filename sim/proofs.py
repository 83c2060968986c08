"""Formal properties of the rounding and extraction designs, and the list of every proof.

Each :class:`sim.formal.Proof` names a registered design, small parameter cases and a
``check`` function that states the properties on a :class:`sim.formal.Bench`. The reference
side of every property is written here from the models' *documented* rules (the rounding
formula, the LFSR step, the threshold count), never by calling the hardware's own helpers.
The one exception is the extractors' wiring table, taken from the model
(``ExtractorSpec.static_routing``, which the hardware is built from too): the proof shows that
the hardware realizes exactly that table, and ``tests/test_properties.py`` checks the table
against the assignment rule written out from the documentation.

:data:`PROOFS` gathers the proofs below with those of the topic modules
(``sim/proofs_faults.py``, ``sim/proofs_sc.py``, ``sim/proofs_tile.py``): a new design adds its
properties to the ``PROOFS`` tuple of its topic module and nowhere else. ``stochhw prove`` and
``make prove`` run them.
"""

import json
import sys

from amaranth import Array, Cat, Const, Mux, Signal

from models.extractor import GFRoundingModel, LSBExtractorModel
from models.gf2 import MAXIMAL_TAPS
from models.lfsr import galois_mask, lfsr_step
from models.pixel import PixelExtractorModel
from models.seeds import lane_seeds

from . import proofs_faults, proofs_sc, proofs_tile
from .formal import Proof, lanes as _lanes, popcount, registered, rounding_spec

__all__ = ["PROOFS", "proofs_for", "prove"]


# --- reference rules, as Amaranth expressions -------------------------------------------------

def _galois_next(state, mask):
    """The Galois step as :mod:`models.lfsr` documents it: ``(s >> 1) ^ (mask if s & 1)``."""
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

def _numbers(src, route):
    """Every lane's number before mapping: bit b of lane i is ``src`` bit ``route[i][b]``."""
    return [Cat(*(src[int(bit)] for bit in row)) for row in route]


def _mapped(number, mapping):
    return number if mapping is None else Array(Const(v, len(number)) for v in mapping)[number]


def _extractor_static_routing(bench):
    dut = bench.dut
    spec = LSBExtractorModel(**bench.params).spec
    numbers = _numbers(bench.past(dut.src), spec.static_routing().tolist())
    for rnd, number in zip(_lanes(dut.rnd, spec.lanes, spec.bits), numbers):
        registered(bench, rnd, rnd == _mapped(number, spec.mapping))


def _extractor_mapping_permutes(bench):
    a, b = bench.dut, bench.instance()
    spec = LSBExtractorModel(**bench.params).spec
    route = spec.static_routing().tolist()
    numbers_a = _numbers(bench.past(a.src), route)
    numbers_b = _numbers(bench.past(b.src), route)
    rnds_a = _lanes(a.rnd, spec.lanes, spec.bits)
    rnds_b = _lanes(b.rnd, spec.lanes, spec.bits)
    for i in range(spec.lanes):
        with bench.m.If(bench.valid & (numbers_a[i] != numbers_b[i])):
            bench.assert_(rnds_a[i] != rnds_b[i])


def _extractor_runtime_distinct(bench):
    dut = bench.dut
    spec = LSBExtractorModel(**bench.params).spec
    words = _lanes(dut.src, spec.sources, spec.src_width)
    # One source word carries a nonzero number, all others zero: a lane (multi_lsb: a bit) can
    # be nonzero only if a select points at that word, so counting them counts the selects
    # that share it.
    if spec.method == "multi_lsb":
        bench.assume(popcount([w[0] for w in words]) == 1)
        seen = [rnd_bit for rnd_bit in dut.rnd]
    else:
        bench.assume(popcount([w[:spec.bits] != 0 for w in words]) == 1)
        seen = [rnd != 0 for rnd in _lanes(dut.rnd, spec.lanes, spec.bits)]
    count = popcount(seen)
    # With as many selects as sources, every word is selected exactly once.
    holds = count == 1 if spec.selects == spec.sources else count <= 1
    registered(bench, dut.rnd, holds)


def _pixel_counts(bench):
    p, dut = bench.params, bench.dut
    thresholds = PixelExtractorModel(**p).thresholds.tolist()
    pixels = _lanes(bench.past(dut.px), p["lanes"], p["pixel_width"])
    for i, rnd in enumerate(_lanes(dut.rnd, p["lanes"], p["bits"])):
        registered(bench, rnd, rnd == popcount([pixels[i] >= t for t in thresholds[i]]))


def _pixel_monotone(bench):
    p = bench.params
    a, b = bench.dut, bench.instance()
    pa = _lanes(bench.past(a.px), p["lanes"], p["pixel_width"])
    pb = _lanes(bench.past(b.px), p["lanes"], p["pixel_width"])
    ra = _lanes(a.rnd, p["lanes"], p["bits"])
    rb = _lanes(b.rnd, p["lanes"], p["bits"])
    for i in range(p["lanes"]):
        with bench.m.If(bench.valid & (pa[i] <= pb[i])):
            bench.assert_(ra[i] <= rb[i])


def _gf_rounding_rounds(bench):
    p, dut = bench.params, bench.dut
    model = GFRoundingModel(**p)
    spec, k, out = model.spec, model.k, model.out_width
    x = bench.past(dut.x)
    src = x if model.source_bus == "x" else bench.past(dut.src)
    numbers = _numbers(src, spec.static_routing().tolist())
    xs = _lanes(x, model.lanes, model.in_width)
    for i, y in enumerate(_lanes(dut.y, model.lanes, out)):
        rnd = _mapped(numbers[i], spec.mapping)
        registered(bench, y, rounding_spec(y, xs[i], rnd, k, out, model.saturate))


_CORE_PROOFS = [
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
          "for every state, the next state is models.lfsr.lfsr_step's (held when en is low, "
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
          "the private LFSR follows the models.lfsr Galois sequence from the seed, and y = "
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
          "models.seeds.lane_seeds. Bounded check of 10 cycles: the lanes' 3-bit LFSRs step "
          "together (period 7) and every other register holds last cycle's inputs, so every "
          "reachable state is reached within 8 cycles of reset and the bound is complete",
          _sru_array_rounds, mode="bmc", depth=10,
          cases=({"lanes": 2, "source": "lfsr", "in_width": 5, "out_width": 2, "lfsr_width": 3,
                  "seed": 9},)),
    Proof("lsb_extractor", "static_routing",
          "static routing: bit b of lane i is exactly src bit route[i, b] of the previous "
          "cycle, route being the model's documented assignment (static_routing), then mapped "
          "by the mapping table, for all src",
          _extractor_static_routing,
          cases=({}, {"sources": 16, "lanes": 4, "bits": 4},
                 {"sources": 10, "src_width": 8, "lanes": 5, "bits": 3, "method": "direct",
                  "seed": 7, "mapping": (3, 1, 2, 7, 4, 6, 5, 0)},
                 {"sources": 6, "src_width": 4, "lanes": 3, "bits": 5, "reuse": True, "seed": 42})),
    Proof("lsb_extractor", "mapping_permutes",
          "with a mapping, two copies whose lanes extract distinct numbers output distinct "
          "numbers: the mapping is a permutation",
          _extractor_mapping_permutes,
          cases=({"sources": 10, "src_width": 8, "lanes": 5, "bits": 3, "method": "direct",
                  "seed": 7, "mapping": (3, 1, 2, 7, 4, 6, 5, 0)},
                 {"sources": 8, "src_width": 2, "lanes": 2, "bits": 4, "seed": 2,
                  "mapping": (9, 2, 14, 0, 7, 11, 4, 15, 1, 12, 6, 3, 10, 13, 8, 5)})),
    Proof("lsb_extractor", "runtime_distinct",
          "runtime routing without reuse: whatever the configuration writes, no source word "
          "feeds two selects (a single nonzero word reaches at most one output, exactly one "
          "when selects = sources). Bounded check of 8 cycles: the reachable select states "
          "(injective assignments of 4 selects or 3 lanes to 4 words) are all reached within "
          "3 writes, and the other registers hold one cycle of history, so the bound is complete",
          _extractor_runtime_distinct, mode="bmc", depth=8,
          cases=({"sources": 4, "src_width": 2, "lanes": 3, "bits": 2, "method": "direct",
                  "routing": "runtime"},
                 {"sources": 4, "src_width": 1, "lanes": 2, "bits": 2, "routing": "runtime"})),
    Proof("pixel_extractor", "counts_thresholds",
          "each lane's number is the count of its thresholds at or below the previous cycle's "
          "pixel, #{j : p >= t_j}, for every pixel value",
          _pixel_counts,
          cases=({}, {"pixel_width": 5, "bits": 1, "lanes": 3, "distribution": "gauss",
                      "sigma": 0.5},
                 {"distribution": "beta", "alpha": 2.0, "beta": 5.0, "bits": 4, "lanes": 12})),
    Proof("pixel_extractor", "monotone",
          "the number is monotone in the pixel: two copies, p_a <= p_b gives rnd_a <= rnd_b "
          "in every lane",
          _pixel_monotone,
          cases=({}, {"distribution": "gauss", "sigma": 0.333, "bits": 2, "lanes": 8})),
    Proof("gf_rounding", "rounds_extracted",
          "static routing: every lane's y = floor((x + rnd) / 2^k), saturated or wrapped, with "
          "rnd the documented static extraction (then mapping) of the previous cycle's x bus "
          "(or src port), for all inputs",
          _gf_rounding_rounds,
          cases=({"lanes": 4, "method": "direct", "reuse": False, "seed": 3}, {"lanes": 8},
                 {"lanes": 4, "in_width": 6, "out_width": 3, "method": "direct", "reuse": False,
                  "saturate": False, "mapping": (5, 0, 3, 6, 1, 7, 2, 4)},
                 {"lanes": 2, "in_width": 8, "out_width": 4, "source_bus": "port", "sources": 8,
                  "src_width": 4, "reuse": False})),
]

#: Every proof: the core designs' above, then each topic module's.
PROOFS = (*_CORE_PROOFS, *proofs_faults.PROOFS, *proofs_sc.PROOFS, *proofs_tile.PROOFS)


def proofs_for(design_name):
    """The proofs of ``design_name`` (empty if it has none); :class:`sim.design.UnknownDesign`
    if no design has that name."""
    from .registry import get_design
    get_design(design_name)                  # UnknownDesign for a name that is not registered
    return [p for p in PROOFS if p.design == design_name]



def prove(designs=(), out=None, fresh=False, listing=False, as_json=False,
          cache_dir=None, build_root="build"):
    """Run the proofs of ``designs`` (default: every registered design); ``stochhw prove``.

    Prints one line per proof case, ``PASS``/``FAIL``/``UNKNOWN``/``ERROR`` with its time and,
    on failure, the failed assertion's source line and the kept log; then the registered
    designs that have no properties yet. Returns the exit status: 0 when every case passed
    and every requested design has properties, 1 otherwise.

    Raises
    ------
    UnknownDesign
        For a name that is not a registered design.
    ToolMissing
        If the yowasp packages are not installed.
    """
    from .formal import CACHE_DIR, case_label, require_formal_tools, run_proof
    from .registry import REGISTRY
    out = sys.stdout if out is None else out
    names = list(designs) or list(REGISTRY)
    selected = [p for name in dict.fromkeys(names) for p in proofs_for(name)]
    missing = [name for name in dict.fromkeys(names) if not proofs_for(name)]
    if listing:
        for p in selected:
            print(f"{p.design}/{p.name} ({p.mode}, depth {p.depth}): {p.claim}", file=out)
            for case in p.cases:
                print(f"    {case_label(case)}", file=out)
        return 0
    require_formal_tools()
    results = []
    for p in selected:
        for case in p.cases:
            r = run_proof(p, case, cache_dir=CACHE_DIR if cache_dir is None else cache_dir,
                          build_root=build_root, fresh=fresh)
            results.append(r)
            if not as_json:
                tail = "" if r.passed else f": {r.detail}; log: {r.log}"
                print(f"{r.status.upper():7s} {p.design}/{p.name} [{case_label(case)}] "
                      f"{r.seconds:.1f} s{' (cached)' if r.cached else ''}{tail}",
                      file=out, flush=True)
    failed = [r for r in results if not r.passed]
    if as_json:
        print(json.dumps({"results": [r.to_json() for r in results],
                          "without_properties": missing}, indent=2, sort_keys=True), file=out)
    else:
        print(f"{len(results) - len(failed)} of {len(results)} proofs passed", file=out)
        if missing:
            print(f"no formal properties yet (add them to sim/proofs*.py): {', '.join(missing)}",
                  file=out)
    return 1 if failed or missing else 0
