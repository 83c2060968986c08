# amaranth: UnusedElaboratable=no
# (components built with bad parameters to check they are refused are never elaborated)
"""LSB extractor and generator-free rounding models against plain references written here."""

import numpy as np
import pytest

from stochhw.hw.gf_rounding import GFRounding
from stochhw.hw.lsb_extractor import LSBExtractor
from stochhw.models.bits import to_raw, to_signed
from stochhw.models.checks import ParameterError
from stochhw.models.extractor import (
    GFRoundingModel,
    GFRoundingSpec,
    LSBExtractorModel,
    LSBExtractorSpec,
    extract_numbers,
    runtime_selects,
    seeded_permutation,
)
from stochhw.models.seeds import splitmix64
from stochhw.sim.cli import main
from stochhw.sim.designs import get_design
from stochhw.testbench.amaranth_sim import run_amaranth

# --- plain references -------------------------------------------------------------------------

def ref_permutation(n, seed):
    """Fisher-Yates from the top, j = splitmix64(seed, step) mod (i + 1): the documented rule."""
    perm = list(range(n))
    step = 0
    for i in reversed(range(1, n)):
        j = splitmix64(seed, step) % (i + 1)
        step += 1
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def ref_route(sources, src_width, lanes, bits, method, seed):
    """(word, bit) of every output bit, from the documented formula sel[s] = perm[s mod sources]."""
    perm = ref_permutation(sources, seed)
    route = {}
    for i in range(lanes):
        for b in range(bits):
            if method == "multi_lsb":
                route[i, b] = (perm[(i * bits + b) % sources], 0)
            else:
                route[i, b] = (perm[i % sources], b)
    return route


def ref_circulant_route(lanes, bits, method, seed):
    """(word, bit) of every output bit of ``gf_rounding`` on its own x bus (source_bus=x).

    The documented circulant rule: offset = 1 + seeded_permutation(lanes - 1, seed); bit b of
    lane i is the LSB of word (i + offset[b mod (lanes - 1)]) mod lanes (multi_lsb), or bit b of
    word (i + o) mod lanes with o the first offset that is not lanes / 2 (direct).
    """
    offset = [1 + p for p in ref_permutation(lanes - 1, seed)]
    direct_offset = [o for o in offset if 2 * o != lanes or lanes == 2][0]
    route = {}
    for i in range(lanes):
        for b in range(bits):
            if method == "multi_lsb":
                route[i, b] = ((i + offset[b % (lanes - 1)]) % lanes, 0)
            else:
                route[i, b] = ((i + direct_offset) % lanes, b)
    return route


def ref_numbers(words, src_width, lanes, bits, method, seed, mapping=None, circulant=False):
    """One Python integer at a time: bit b of lane i is the documented source bit.

    ``circulant``: the rule of gf_rounding on its x bus (:func:`ref_circulant_route`), else the
    generic one (:func:`ref_route`).
    """
    route = (ref_circulant_route(lanes, bits, method, seed) if circulant else
             ref_route(len(words[0]), src_width, lanes, bits, method, seed))
    out = []
    for row in words:
        lane_values = []
        for i in range(lanes):
            n = 0
            for b in range(bits):
                word, bit = route[i, b]
                raw = int(row[word]) % (1 << src_width)          # two's complement bits
                n |= ((raw >> bit) & 1) << b
            lane_values.append(mapping[n] if mapping is not None else n)
        out.append(lane_values)
    return np.array(out, dtype=np.uint64)


def ref_selects(init, sources, reuse, rst, en, addr, data):
    """The select registers of every cycle, stepped one cycle at a time."""
    sel = list(init)
    rows = []
    for t in range(len(rst)):
        rows.append(list(sel))
        if rst[t]:
            sel = list(init)
        elif en[t] and addr[t] < len(sel) and data[t] < sources:
            a, d = int(addr[t]), int(data[t])
            if reuse:
                sel[a] = d
            else:
                holder = [j for j, v in enumerate(sel) if v == d]
                assert len(holder) <= 1
                old = sel[a]
                sel[a] = d
                for j in holder:
                    if j != a:
                        sel[j] = old
    return np.array(rows)


def ref_round(x, r, in_width, out_width, saturate):
    k = in_width - out_width
    y = (x + r) // (2 ** k)
    lo, hi = -2 ** (out_width - 1), 2 ** (out_width - 1) - 1
    if saturate:
        return max(lo, min(hi, y))
    y %= 2 ** out_width
    return y - 2 ** out_width if y > hi else y


# --- static routing ---------------------------------------------------------------------------

def static_routing(**params):
    """The spec's wiring table for ``params`` (routing="static")."""
    return LSBExtractorSpec(**params).static_routing


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 129])
def test_seeded_permutation_is_the_documented_shuffle(n):
    for seed in (0, 1, 2026, 2 ** 64 - 1):
        perm = seeded_permutation(n, seed)
        assert perm.tolist() == ref_permutation(n, seed)
        assert sorted(perm.tolist()) == list(range(n))


def test_different_seeds_give_different_wiring():
    routes = {tuple(static_routing(sources=64, lanes=8, bits=8, method="multi_lsb", seed=seed).ravel()) for seed in range(20)}
    assert len(routes) == 20


@pytest.mark.parametrize("sources,src_width,lanes,bits,method", [
    (16, 16, 4, 4, "multi_lsb"), (128, 16, 16, 8, "multi_lsb"), (9, 3, 2, 4, "multi_lsb"),
    (8, 8, 8, 8, "direct"), (10, 5, 3, 5, "direct"), (1, 1, 1, 1, "multi_lsb"),
])
def test_every_output_bit_is_driven_by_the_documented_source_bit(sources, src_width, lanes, bits, method):
    for seed in (0, 1, 99):
        route = static_routing(sources=sources, lanes=lanes, bits=bits, method=method, seed=seed,
                               src_width=src_width)
        expected = ref_route(sources, src_width, lanes, bits, method, seed)
        assert route.shape == (lanes, bits)
        for (i, b), (word, bit) in expected.items():
            assert route[i, b] == word * src_width + bit


@pytest.mark.parametrize("sources,lanes,bits,method", [
    (64, 8, 8, "multi_lsb"), (64, 16, 4, "multi_lsb"), (37, 6, 6, "multi_lsb"),
    (64, 64, 8, "direct"), (20, 7, 3, "direct"),
])
def test_no_source_bit_feeds_two_output_bits_without_reuse(sources, lanes, bits, method):
    for seed in range(300):
        route = static_routing(sources=sources, lanes=lanes, bits=bits, method=method, seed=seed,
                               src_width=16)
        assert np.unique(route).size == lanes * bits, f"seed {seed} shares a source bit"
        words = route // 16
        if method == "multi_lsb":
            assert np.all(route % 16 == 0)                        # LSBs only
            assert np.unique(words).size == lanes * bits          # one word per bit
        else:
            assert np.array_equal(route % 16, np.broadcast_to(np.arange(bits), route.shape))
            assert np.unique(words[:, 0]).size == lanes           # one word per lane


@pytest.mark.parametrize("sources,lanes,bits,method", [
    (6, 3, 5, "multi_lsb"), (16, 16, 8, "multi_lsb"), (5, 13, 1, "multi_lsb"),
    (4, 10, 3, "direct"), (3, 2, 5, "multi_lsb"),
])
def test_reuse_wraps_around_the_permutation(sources, lanes, bits, method):
    seed = 5
    perm = ref_permutation(sources, seed)
    route = static_routing(sources=sources, lanes=lanes, bits=bits, method=method, seed=seed,
                           reuse=True, src_width=8)
    words = (route // 8)[:, :: 1 if method == "multi_lsb" else bits].ravel()
    selects = len(words)
    # Every source word is used once before any is used twice: the selects walk the permutation.
    assert words.tolist() == [perm[s % sources] for s in range(selects)]
    counts = np.bincount(words, minlength=sources)
    assert counts.max() - counts.min() <= 1 and counts.max() == -(-selects // sources)
    if method == "multi_lsb" and bits <= sources:
        for i in range(lanes):                                    # k different words per lane
            assert np.unique(route[i] // 8).size == bits


def test_reuse_changes_nothing_when_the_rule_can_be_met():
    for method in ("multi_lsb", "direct"):
        params = dict(sources=64, lanes=4, bits=8, method=method, seed=3)
        assert np.array_equal(static_routing(**params, reuse=True),
                              static_routing(**params, reuse=False))


@pytest.mark.parametrize("kwargs", [
    dict(bits=4, method="multi_lsb", lanes=3, src_width=16, sources=12),
    dict(bits=3, method="direct", lanes=5, src_width=8, sources=9),
    dict(bits=5, method="multi_lsb", lanes=4, src_width=4, sources=7, reuse=True),
    dict(bits=3, method="direct", lanes=6, src_width=3, sources=4, reuse=True),
    dict(bits=3, method="multi_lsb", lanes=2, src_width=16, sources=6,
         mapping=(3, 1, 2, 7, 4, 6, 5, 0)),
])
def test_extract_numbers_matches_the_bit_by_bit_reference(kwargs):
    rng = np.random.default_rng(1)
    width = kwargs["src_width"]
    # Signed words, as a recorded tensor would hold them: only the low src_width bits count.
    words = rng.integers(-2 ** 20, 2 ** 20, size=(300, kwargs["sources"]))
    got = extract_numbers(words, LSBExtractorSpec(seed=11, **kwargs))
    expected = ref_numbers(words, width, kwargs["lanes"], kwargs["bits"], kwargs["method"], 11,
                           kwargs.get("mapping"))
    assert got.shape == (300, kwargs["lanes"]) and got.dtype == np.uint64
    np.testing.assert_array_equal(got, expected)


def test_extract_numbers_refuses_words_of_another_bus():
    with pytest.raises(ParameterError, match="^words must have sources = 12 columns"):
        extract_numbers(np.zeros((3, 11), dtype=np.int64), LSBExtractorSpec(sources=12, lanes=3, bits=4))


def test_mapping_is_a_permutation_applied_to_each_number():
    mapping = (3, 1, 2, 7, 4, 6, 5, 0)
    words = np.arange(4096).reshape(-1, 16) * 7919
    spec = LSBExtractorSpec(sources=16, src_width=16, lanes=16, bits=3, method="direct", seed=4)
    plain = extract_numbers(words, spec)
    mapped = extract_numbers(words, spec.replace(mapping=mapping))
    np.testing.assert_array_equal(mapped, np.array(mapping)[plain.astype(int)])
    assert set(plain.ravel().tolist()) == set(range(8)) == set(mapped.ravel().tolist())


def test_uniform_lsbs_give_uniform_numbers():
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2 ** 16, size=(50_000, 64))
    numbers = extract_numbers(words, LSBExtractorSpec(sources=64, lanes=8, bits=8,
                                                      method="multi_lsb", seed=1))
    counts = np.bincount(numbers.ravel().astype(int), minlength=256)
    expected = numbers.size / 256
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 255 + 6 * np.sqrt(2 * 255)       # 255 degrees of freedom, about 6 sigma


# --- parameters ---------------------------------------------------------------------------------

GOOD = dict(sources=16, src_width=16, lanes=4, bits=4, method="multi_lsb", routing="static",
            mapping=None, seed=1, reuse=False)


@pytest.mark.parametrize("change,name", [
    (dict(sources=0), "sources"), (dict(sources=5000), "sources"), (dict(src_width=0), "src_width"),
    (dict(src_width=65), "src_width"), (dict(lanes=0), "lanes"), (dict(bits=0), "bits"),
    (dict(bits=33), "bits"), (dict(method="lsb"), "method"), (dict(routing="dynamic"), "routing"),
    (dict(seed=-1), "seed"), (dict(seed=2 ** 64), "seed"), (dict(reuse=2), "reuse"),
    (dict(lanes=5), "sources"),                                  # 5 * 4 > 16 bits
    (dict(method="direct", lanes=17), "sources"),
    (dict(method="direct", bits=17, lanes=1), "src_width"),
    (dict(method="direct", bits=17, lanes=1, reuse=True), "src_width"),
    (dict(bits=2, mapping=(0, 1, 2)), "mapping"),
    (dict(bits=2, mapping=(0, 1, 1, 3)), "mapping"),
    (dict(bits=2, mapping=(0, 1, 2, 4)), "mapping"),
    (dict(bits=2, mapping=(0, 1, 2, -1)), "mapping"),
    (dict(bits=2, mapping="0,1,2,3"), "mapping"),
    (dict(bits=13, lanes=1, sources=13, mapping=tuple(range(2 ** 13))), "mapping"),
])
def test_bad_parameters_are_refused_naming_the_parameter(change, name):
    with pytest.raises(ParameterError) as info:
        LSBExtractorSpec(**{**GOOD, **change})
    assert str(info.value).startswith(name + " "), str(info.value)
    with pytest.raises(ParameterError):
        LSBExtractorModel(**{**GOOD, **change})
    with pytest.raises(ParameterError):
        LSBExtractor(**{**GOOD, **change})


def test_refusal_message_explains_the_rule_and_the_ways_out():
    with pytest.raises(ParameterError, match=r"^sources must be >= lanes \* bits = 128 for "
                                             r"method=multi_lsb without reuse .* not 64; .*reuse=1"):
        LSBExtractorSpec(**{**GOOD, "sources": 64, "lanes": 16, "bits": 8})


def test_cli_refuses_in_one_line(capsys):
    assert main(["generate", "lsb_extractor", "-p", "sources=64"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stochhw: error: sources must be >= lanes * bits")


# --- runtime routing ----------------------------------------------------------------------------

@pytest.mark.parametrize("sources,lanes,bits,method,reuse", [
    (12, 2, 5, "multi_lsb", False), (10, 10, 1, "multi_lsb", False), (5, 3, 4, "direct", False),
    (4, 3, 3, "multi_lsb", True), (3, 4, 2, "direct", True),
])
def test_runtime_selects_match_a_cycle_by_cycle_reference(sources, lanes, bits, method, reuse):
    spec = LSBExtractorSpec(sources=sources, src_width=8, lanes=lanes, bits=bits, method=method,
                            routing="runtime", seed=3, reuse=reuse)
    rng = np.random.default_rng(sources)
    cycles = 3000
    rst = rng.random(cycles) < 0.01
    rst[0] = True
    en = rng.random(cycles) < 0.3
    addr = rng.integers(0, 1 << spec.addr_width, cycles)
    data = rng.integers(0, 1 << spec.data_width, cycles)
    got = runtime_selects(spec, rst, en, addr, data)
    expected = ref_selects(spec.static_selects, sources, reuse, rst, en, addr, data)
    np.testing.assert_array_equal(got, expected)
    assert len({tuple(r) for r in got}) > 20, "the writes should change the routing"
    if not reuse:
        # Swap semantics: the selects stay pairwise distinct in every cycle.
        assert all(len(set(r)) == spec.selects for r in got.tolist())
    else:
        assert any(len(set(r)) < min(spec.selects, sources) for r in got.tolist())


def test_a_swap_keeps_the_rule():
    spec = LSBExtractorSpec(sources=4, src_width=8, lanes=1, bits=4, routing="runtime", seed=0)
    init = spec.static_selects.tolist()                         # uses all 4 sources
    # Write select 0 with the source select 3 holds: they trade places.
    sel = runtime_selects(spec, [1, 0, 0], [0, 1, 0], [0, 0, 0], [0, init[3], 0])
    assert sel[0].tolist() == init and sel[1].tolist() == init
    assert sel[2].tolist() == [init[3], init[1], init[2], init[0]]


def test_out_of_range_writes_are_ignored():
    spec = LSBExtractorSpec(sources=5, src_width=8, lanes=1, bits=3, routing="runtime", seed=0)
    sel = runtime_selects(spec, [1, 0, 0, 0], [0, 1, 1, 0], [0, 3, 0, 0], [0, 1, 5, 0])
    assert (sel == sel[0]).all()


def test_extractor_model_registers_and_resets():
    model = LSBExtractorModel(sources=4, src_width=4, lanes=1, bits=4, seed=0)
    perm = ref_permutation(4, 0)
    src = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0], [15, 15, 15, 15], [0, 0, 0, 0]],
                   dtype=np.uint64)
    rst = np.array([[0], [0], [1], [0], [0]], dtype=np.uint64)
    rnd = model.run({"src": src, "rst": rst})["rnd"][:, 0].tolist()
    # rnd[t] = number of src[t-1]; bit b = LSB of word perm[b]; reset at edge 2 clears rnd[3].
    assert rnd == [0, 15, 1 << perm.index(0), 0, 15]


def test_hardware_static_wiring_is_the_documented_routing():
    """One-hot source bits through the generated hardware: each reaches exactly its routed bits."""
    cases = [dict(sources=10, src_width=3, lanes=3, bits=3, method="multi_lsb", seed=8),
             dict(sources=6, src_width=4, lanes=2, bits=3, method="direct", seed=8),
             dict(sources=5, src_width=2, lanes=3, bits=3, method="multi_lsb", seed=8, reuse=True)]
    design = get_design("lsb_extractor")
    for case in cases:
        params = design.resolve(case)
        component = design.build(params)
        ports = design.ports(params, component)
        n = params["sources"] * params["src_width"]
        onehot = np.zeros((n + 1, params["sources"]), dtype=np.uint64)
        for p in range(n):
            onehot[p, p // params["src_width"]] = 1 << (p % params["src_width"])
        stim = {"rst": np.zeros((n + 1, 1), dtype=np.uint64), "src": onehot}
        rnd = run_amaranth(component, ports, stim)["rnd"][1:]        # latency 1
        route = LSBExtractorSpec(**params).static_routing
        for p in range(n):
            driven = {(i, b) for i in range(params["lanes"]) for b in range(params["bits"])
                      if int(rnd[p, i]) >> b & 1}
            assert driven == {(int(i), int(b)) for i, b in zip(*np.nonzero(route == p))}, (case, p)


# --- gf_rounding ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(lanes=8, in_width=16, out_width=8),
    dict(lanes=4, in_width=16, out_width=8, method="direct", reuse=False, seed=3),
    dict(lanes=3, in_width=8, out_width=5, saturate=False, mapping=(5, 0, 3, 6, 1, 7, 2, 4)),
    dict(lanes=6, in_width=9, out_width=4, seed=12, routing="runtime"),   # reset = circulant
    dict(lanes=2, in_width=8, out_width=4, source_bus="port", sources=8, src_width=4, reuse=False),
])
def test_gf_rounding_matches_extractor_plus_rounding_reference(kwargs):
    model = GFRoundingModel(**kwargs)
    spec = model.spec.extractor
    rng = np.random.default_rng(3)
    cycles = 400
    x = rng.integers(-2 ** (model.in_width - 1), 2 ** (model.in_width - 1),
                     size=(cycles, model.lanes))
    stim = {"x": to_raw(x, model.in_width), "rst": np.zeros((cycles, 1), dtype=np.uint64)}
    stim["rst"][[0, 200]] = 1
    if spec.routing == "runtime":                   # no writes: the selects keep their reset
        stim.update({name: np.zeros((cycles, 1), dtype=np.uint64)
                     for name in ("cfg_en", "cfg_addr", "cfg_data")})
    if model.source_bus == "port":
        stim["src"] = rng.integers(0, 2 ** spec.src_width, size=(cycles, spec.sources)).astype(np.uint64)
        words = stim["src"]
    else:
        words = x                                   # the unrounded values themselves
    rnd = ref_numbers(words, spec.src_width, spec.lanes, spec.bits, spec.method, spec.seed,
                      spec.mapping, circulant=model.source_bus == "x")
    y = to_signed(model.run(stim)["y"], model.out_width)
    for t in range(1, cycles):
        for i in range(model.lanes):
            expected = 0 if stim["rst"][t - 1, 0] else ref_round(
                int(x[t - 1, i]), int(rnd[t - 1, i]), model.in_width, model.out_width, model.saturate)
            assert y[t, i] == expected, (t, i)


def test_gf_rounding_on_its_own_x_bus_needs_reuse_for_multi_lsb():
    with pytest.raises(ParameterError, match=r"^reuse must be 1 for method=multi_lsb on source_bus=x"):
        GFRoundingModel(lanes=16, reuse=False)
    GFRoundingModel(lanes=16, reuse=False, method="direct")
    GFRoundingModel(lanes=5, in_width=7, out_width=6, reuse=False)     # k = 1: one LSB per lane


@pytest.mark.parametrize("change,name", [
    (dict(source_bus="y"), "source_bus"), (dict(lanes=0), "lanes"), (dict(out_width=16), "out_width"),
    (dict(lanes=1), "lanes"), (dict(lanes=1, method="direct", reuse=False), "lanes"),
    (dict(source_bus="port", sources=10, reuse=False), "sources"),
    (dict(source_bus="port", method="direct", src_width=4), "src_width"),
    (dict(sources=0), "sources"), (dict(mapping=(0, 1)), "mapping"), (dict(routing="x"), "routing"),
])
def test_gf_rounding_bad_parameters(change, name):
    with pytest.raises(ParameterError) as info:
        GFRoundingModel(**change)
    assert str(info.value).startswith(name + " "), str(info.value)


def _x_bus_words(model):
    """``words[i, b]``: the x lane that drives bit b of lane i's number (static routing)."""
    extractor = model.spec.extractor
    return extractor.static_routing // extractor.src_width


@pytest.mark.parametrize("method", ["multi_lsb", "direct"])
def test_gf_rounding_on_its_x_bus_never_reads_its_own_word(method):
    for lanes in range(2, 21):
        for seed in range(1, 51):
            for routing in ("static", "runtime"):           # runtime: the reset value
                model = GFRoundingModel(lanes=lanes, in_width=16, out_width=8, method=method,
                                        routing=routing, seed=seed)
                route = model.spec.extractor.static_routing
                expected = ref_circulant_route(lanes, 8, method, seed)
                for (i, b), (word, bit) in expected.items():
                    assert route[i, b] == word * 16 + bit, (lanes, seed, i, b)
                words = _x_bus_words(model)
                assert not np.any(words == np.arange(lanes)[:, None]), (lanes, seed, routing)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_gf_rounding_multi_lsb_feeds_every_word_to_k_selects_of_k_lanes(k):
    for lanes in range(k + 1, 21):
        for seed in range(1, 21):
            model = GFRoundingModel(lanes=lanes, in_width=k + 4, out_width=4, seed=seed)
            words = _x_bus_words(model)
            extractor = model.spec.extractor
            assert np.all(extractor.static_routing % extractor.src_width == 0)    # LSBs
            assert np.bincount(words.ravel(), minlength=lanes).tolist() == [k] * lanes
            for w in range(lanes):                    # k different lanes, one bit each
                readers, positions = np.nonzero(words == w)
                assert np.unique(readers).size == k and sorted(positions) == list(range(k))
            for i in range(lanes):                    # k different words per lane
                assert np.unique(words[i]).size == k
            # No two lanes get the same number: bit 0 alone already comes from distinct words.
            assert np.unique(words[:, 0]).size == lanes


def test_gf_rounding_direct_gives_every_lane_another_lanes_word():
    for lanes in range(2, 21):
        for seed in range(1, 21):
            model = GFRoundingModel(lanes=lanes, in_width=12, out_width=8, method="direct",
                                    seed=seed, reuse=False)
            words = _x_bus_words(model)
            assert np.all(words == words[:, :1])                          # one word per lane
            assert sorted(words[:, 0].tolist()) == list(range(lanes))     # a permutation
            shift = (words[:, 0] - np.arange(lanes)) % lanes              # ... that is a rotation
            assert np.all(shift == shift[0]) and shift[0] != 0


def test_a_single_lane_on_its_x_bus_is_refused(capsys):
    for method in ("multi_lsb", "direct"):
        with pytest.raises(ParameterError, match=r"^lanes must be >= 2 .*not 1.*source_bus=port"):
            GFRoundingModel(lanes=1, method=method)
        with pytest.raises(ParameterError, match=r"^lanes "):
            GFRounding(lanes=1, method=method)
    # The same lane with a separate source bus is fine.
    GFRoundingModel(lanes=1, source_bus="port", sources=8, src_width=4)
    assert main(["generate", "gf_rounding", "-p", "lanes=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stochhw: error: lanes must be >= 2")


def test_generic_lsb_extractor_assignment_is_unchanged():
    """Only gf_rounding on its x bus is circulant: lsb_extractor, and gf_rounding with a src
    port, keep sel[s] = perm[s mod sources], even where that sends select i to word i."""
    fixed_points = 0
    for seed in range(1, 21):
        for method, bits in (("multi_lsb", 4), ("direct", 4)):
            params = dict(sources=8, src_width=8, lanes=8, bits=bits, method=method, seed=seed,
                          reuse=True)
            route = static_routing(**params)
            for (i, b), (word, bit) in ref_route(8, 8, 8, bits, method, seed).items():
                assert route[i, b] == word * 8 + bit
            fixed_points += int(np.any(route[:, 0] // 8 == np.arange(8)))
            assert np.array_equal(LSBExtractor(**params).static_routing, route)
        port = GFRoundingModel(lanes=4, in_width=12, out_width=8, seed=seed, source_bus="port",
                               sources=4, src_width=8)
        assert not port.spec.extractor.avoid_own
        route = port.spec.extractor.static_routing
        for (i, b), (word, bit) in ref_route(4, 8, 4, 4, "multi_lsb", seed).items():
            assert route[i, b] == word * 8 + bit
    assert fixed_points > 0, "the generic formula should still map some lane to its own index"


@pytest.mark.parametrize("case", [dict(lanes=5, in_width=7, out_width=4, seed=9),
                                  dict(lanes=4, in_width=7, out_width=4, seed=9, method="direct")])
def test_gf_rounding_hardware_rounds_with_the_circulant_numbers(case):
    """The generated hardware against the plain reference (not the model): y = round(x, rnd)
    with rnd taken from other lanes by the circulant rule."""
    design = get_design("gf_rounding")
    params = design.resolve(case)
    component = design.build(params)
    ports = design.ports(params, component)
    lanes, in_width, out_width = params["lanes"], params["in_width"], params["out_width"]
    k = in_width - out_width
    cycles = 300
    x = np.random.default_rng(4).integers(-2 ** (in_width - 1), 2 ** (in_width - 1),
                                          size=(cycles, lanes))
    stim = {"rst": np.zeros((cycles, 1), dtype=np.uint64), "x": to_raw(x, in_width)}
    y = to_signed(run_amaranth(component, ports, stim)["y"], out_width)
    rnd = ref_numbers(x, in_width, lanes, k, params["method"], params["seed"], circulant=True)
    for t in range(1, cycles):
        for i in range(lanes):
            assert y[t, i] == ref_round(int(x[t - 1, i]), int(rnd[t - 1, i]), in_width,
                                        out_width, True), (t, i)


# --- the specs ----------------------------------------------------------------------------------

def test_models_and_components_take_a_spec_or_keywords_never_positions():
    spec = LSBExtractorSpec(sources=16, lanes=4, bits=4)
    for cls in (LSBExtractorModel, LSBExtractor):
        assert cls(spec).spec is spec and cls(sources=16, lanes=4, bits=4).spec == spec
        with pytest.raises(TypeError):
            cls(16, 16, 4, 4)
        with pytest.raises(ParameterError, match="not both"):
            cls(spec, lanes=2)


def test_derived_tables_are_read_only_and_computed_once():
    spec = LSBExtractorSpec(sources=16, lanes=4, bits=4, seed=9)
    assert spec.static_routing is spec.static_routing
    for table in (spec.static_routing, spec.static_selects):
        with pytest.raises(ValueError):
            table[0] = 1


@pytest.mark.parametrize("source_bus,sources,src_width,avoid_own", [
    ("x", 4, 12, True), ("port", 16, 8, False)])
def test_gf_rounding_derives_its_extractor_and_array(source_bus, sources, src_width, avoid_own):
    spec = GFRoundingSpec(lanes=4, in_width=12, out_width=8, source_bus=source_bus, sources=16,
                          src_width=8, reuse=False, method="direct", seed=5)
    e = spec.extractor
    assert (e.sources, e.src_width, e.lanes, e.bits, e.avoid_own) == (sources, src_width, 4, 4, avoid_own)
    assert (e.method, e.seed, e.reuse, e.routing) == ("direct", 5, False, "static")
    a = spec.array
    assert (a.lanes, a.source, a.in_width, a.out_width, a.k) == (4, "external", 12, 8, 4)
