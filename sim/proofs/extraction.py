"""Formal properties of the generator-free random-number designs: lsb_extractor,
pixel_extractor, gf_rounding.

The reference side is written from the models' documented rules (the threshold count, the
rounding formula). The one exception is the extractors' wiring table, taken from the model
(``LSBExtractorSpec.static_routing``, which the hardware is built from too): the proof shows that
the hardware realizes exactly that table, and ``tests/test_properties.py`` checks the table
against the assignment rule written out from the documentation.
"""


from amaranth import Array, Cat, Const

from stochhw.models.extractor import GFRoundingSpec, LSBExtractorSpec
from stochhw.models.pixel import PixelExtractorSpec
from stochhw.sim.flows.formal import Proof, popcount, registered, rounding_spec
from stochhw.sim.flows.formal import lanes as _lanes

__all__ = ["PROOFS"]


def _numbers(src, route):
    """Every lane's number before mapping: bit b of lane i is ``src`` bit ``route[i][b]``."""
    return [Cat(*(src[int(bit)] for bit in row)) for row in route]


def _mapped(number, mapping):
    return number if mapping is None else Array(Const(v, len(number)) for v in mapping)[number]


def _extractor_static_routing(bench):
    dut = bench.dut
    spec = LSBExtractorSpec(**bench.params)
    numbers = _numbers(bench.past(dut.src), spec.static_routing.tolist())
    for rnd, number in zip(_lanes(dut.rnd, spec.lanes, spec.bits), numbers):
        registered(bench, rnd, rnd == _mapped(number, spec.mapping))


def _extractor_mapping_permutes(bench):
    a, b = bench.dut, bench.instance()
    spec = LSBExtractorSpec(**bench.params)
    route = spec.static_routing.tolist()
    numbers_a = _numbers(bench.past(a.src), route)
    numbers_b = _numbers(bench.past(b.src), route)
    rnds_a = _lanes(a.rnd, spec.lanes, spec.bits)
    rnds_b = _lanes(b.rnd, spec.lanes, spec.bits)
    for i in range(spec.lanes):
        with bench.m.If(bench.valid & (numbers_a[i] != numbers_b[i])):
            bench.assert_(rnds_a[i] != rnds_b[i])


def _extractor_runtime_distinct(bench):
    dut = bench.dut
    spec = LSBExtractorSpec(**bench.params)
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
    thresholds = PixelExtractorSpec(**p).threshold_table.tolist()
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
    spec = GFRoundingSpec(**p)
    k, out = spec.k, spec.out_width
    x = bench.past(dut.x)
    src = x if spec.source_bus == "x" else bench.past(dut.src)
    numbers = _numbers(src, spec.extractor.static_routing.tolist())
    xs = _lanes(x, spec.lanes, spec.in_width)
    for i, y in enumerate(_lanes(dut.y, spec.lanes, out)):
        rnd = _mapped(numbers[i], spec.mapping)
        registered(bench, y, rounding_spec(y, xs[i], rnd, k, out, spec.saturate))


#: The proofs of this topic.
PROOFS = (
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
)
