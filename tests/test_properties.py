"""Property-based tests: the golden models against brute-force references written plainly here.

Each reference is the documented rule spelled out as a Python loop over cycles, lanes and bits,
with Python integers (no NumPy tricks), so that a vectorization or masking mistake in a model
shows up as a counterexample, which Hypothesis shrinks to a minimal one. The examples are
derandomized (``tests/conftest.py``): every run checks the same ones.
"""

import math
from fractions import Fraction

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stochhw.models.checks import ParameterError
from stochhw.models.extractor import (
    LSBExtractorModel,
    LSBExtractorSpec,
    extract_numbers,
    runtime_selects,
    seeded_permutation,
)
from stochhw.models.faulty_sram import FaultySRAMModel
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import FORMS, LFSRModel, lfsr_sequence, lfsr_step
from stochhw.models.lut_sigmoid import plan_index
from stochhw.models.ml.bit_errors import Chips, FaultModel, MemoryLayout, apply_masks, inject, weight_masks
from stochhw.models.ml.quantization import BITS, ENCODINGS, decode, encode, quantize_tensor
from stochhw.models.ml.sc_sources import lfsr_pair_table, sobol_numbers, table_counts, xnor_count
from stochhw.models.parallel_counter import ParallelCounterModel, approx_count, approx_error_bounds
from stochhw.models.pixel import pixel_numbers
from stochhw.models.sc_mul import AndMulModel, XnorMulModel
from stochhw.models.sc_quant import quantize_index
from stochhw.models.seeds import splitmix64
from stochhw.models.sobol import MAX_DIMENSION
from stochhw.models.sru import SRUArrayModel, SRUFreeModel, SRULFSRModel, stochastic_round


def _mask(n):
    return (1 << n) - 1


def _signed(raw, width):
    return raw - (1 << width) if raw >> (width - 1) & 1 else raw


def _column(values):
    return np.array(values, dtype=np.uint64).reshape(-1, 1)


# --- rounding ------------------------------------------------------------------------------

def ref_round(x, rnd, in_width, out_width, saturate):
    """floor((x + rnd) / 2^k) with Python's exact floor division, then clamp or wrap."""
    q = (x + rnd) // (1 << (in_width - out_width))
    top, bottom = (1 << (out_width - 1)) - 1, -(1 << (out_width - 1))
    if saturate:
        return max(bottom, min(top, q))
    return (q - bottom) % (1 << out_width) + bottom


@st.composite
def widths(draw, max_in=32):
    in_width = draw(st.integers(2, max_in))
    return in_width, draw(st.integers(1, in_width - 1))


@given(widths(), st.booleans(), st.data())
def test_stochastic_round_matches_floor_division(w, saturate, data):
    in_width, out_width = w
    k = in_width - out_width
    n = data.draw(st.integers(1, 20))
    xs = data.draw(st.lists(st.integers(-(1 << (in_width - 1)), _mask(in_width - 1)),
                            min_size=n, max_size=n))
    rnds = data.draw(st.lists(st.integers(0, _mask(k)), min_size=n, max_size=n))
    got = stochastic_round(np.array(xs), np.array(rnds), in_width, out_width, saturate)
    assert got.tolist() == [ref_round(x, r, in_width, out_width, saturate) for x, r in zip(xs, rnds)]


@given(widths(max_in=12), st.data())
def test_rounding_over_every_rnd_is_exactly_unbiased(w, data):
    """Hermite's identity: sum over rnd in [0, 2^k) of floor((x + rnd) / 2^k) = x, so with
    uniform rnd E[y * 2^k] = x exactly, wherever no saturation happens."""
    in_width, out_width = w
    k = in_width - out_width
    x = data.draw(st.integers(-(1 << (in_width - 1)), _mask(in_width - 1)))
    top = (1 << (out_width - 1)) - 1
    assume(x + _mask(k) < (top + 1) << k)
    rnds = np.arange(1 << k)
    ys = stochastic_round(np.full(rnds.size, x), rnds, in_width, out_width, True)
    assert int(ys.sum()) == x


def _rounding_stimulus(data, lanes, in_width, k, max_cycles=30):
    cycles = data.draw(st.integers(1, max_cycles))
    grid = st.lists(st.lists(st.integers(0, _mask(in_width)), min_size=lanes, max_size=lanes),
                    min_size=cycles, max_size=cycles)
    x = data.draw(grid)
    rnd = data.draw(st.lists(st.lists(st.integers(0, _mask(k)), min_size=lanes, max_size=lanes),
                             min_size=cycles, max_size=cycles))
    rst = data.draw(st.lists(st.booleans(), min_size=cycles, max_size=cycles))
    return x, rnd, rst


def _ref_registered(x, rnd_of, rst, in_width, out_width, saturate):
    """y[0] = 0; y[t+1] = 0 after a reset edge, else the rounding of cycle t (raw bits)."""
    lanes = len(x[0])
    y = [[0] * lanes]
    for t in range(len(x) - 1):
        y.append([0 if rst[t] else
                  ref_round(_signed(x[t][i], in_width), rnd_of(t, i), in_width, out_width,
                            saturate) & _mask(out_width)
                  for i in range(lanes)])
    return y


@given(widths(max_in=20), st.booleans(), st.integers(1, 4), st.data())
def test_rounding_models_register_and_reset_like_the_loop(w, saturate, lanes, data):
    in_width, out_width = w
    k = in_width - out_width
    x, rnd, rst = _rounding_stimulus(data, lanes, in_width, k)
    stim = {"x": np.array(x, dtype=np.uint64), "rnd": np.array(rnd, dtype=np.uint64),
            "rst": _column(rst)}
    expected = _ref_registered(x, lambda t, i: rnd[t][i], rst, in_width, out_width, saturate)
    array = SRUArrayModel(lanes=lanes, source="external", in_width=in_width,
                          out_width=out_width, saturate=saturate)
    assert array.run(stim)["y"].tolist() == expected
    if lanes == 1:
        single = SRUFreeModel(in_width=in_width, out_width=out_width, saturate=saturate)
        assert single.run(stim)["y"].tolist() == expected


def ref_galois(state, taps):
    """stochhw.models.lfsr's Galois rule: out = s & 1; s = (s >> 1) ^ (mask if out)."""
    out = state & 1
    state >>= 1
    if out:
        for t in taps:
            state ^= 1 << (t - 1)
    return state


def ref_fibonacci(state, width, taps):
    """stochhw.models.lfsr's Fibonacci rule: fb = XOR of bits (w - t); s = (s >> 1) | (fb << (w - 1))."""
    feedback = 0
    for t in taps:
        feedback ^= state >> (width - t) & 1
    return state >> 1 | feedback << (width - 1)


@given(st.integers(4, 16), st.data())
def test_sru_lfsr_rounds_with_the_low_bits_of_its_lfsr(lfsr_width, data):
    in_width = data.draw(st.integers(2, 20))
    out_width = data.draw(st.integers(max(1, in_width - lfsr_width), in_width - 1))
    k = in_width - out_width
    seed = data.draw(st.integers(1, _mask(lfsr_width)))
    saturate = data.draw(st.booleans())
    x, _, rst = _rounding_stimulus(data, 1, in_width, k, max_cycles=60)
    states, state = [], seed
    for t in range(len(x)):                  # the LFSR of cycle t; reset edges reload the seed
        states.append(state)
        state = seed if rst[t] else ref_galois(state, MAXIMAL_TAPS[lfsr_width])
    expected = _ref_registered(x, lambda t, i: states[t] & _mask(k), rst, in_width, out_width,
                               saturate)
    model = SRULFSRModel(in_width=in_width, out_width=out_width, lfsr_width=lfsr_width, seed=seed,
                         saturate=saturate)
    got = model.run({"x": np.array(x, dtype=np.uint64), "rst": _column(rst)})["y"]
    assert got.tolist() == expected


# --- LFSR ----------------------------------------------------------------------------------

@given(st.integers(2, 32), st.sampled_from(FORMS), st.data())
def test_lfsr_step_matches_the_documented_rule(width, form, data):
    state = data.draw(st.integers(0, _mask(width)))
    taps = MAXIMAL_TAPS[width]
    expected = ref_galois(state, taps) if form == "galois" else ref_fibonacci(state, width, taps)
    assert lfsr_step(state, width, taps, form) == expected
    assert lfsr_step(np.array([state], dtype=np.uint64), width, taps, form).tolist() == [expected]
    if state:
        assert expected != 0


@settings(max_examples=25)
@given(st.integers(2, 32), st.sampled_from(FORMS), st.integers(0, 3000), st.data())
def test_jumped_lfsr_sequence_equals_plain_stepping(width, form, steps, data):
    seeds = data.draw(st.lists(st.integers(1, _mask(width)), min_size=1, max_size=3))
    taps = MAXIMAL_TAPS[width]
    seq = lfsr_sequence(seeds, steps, width, taps, form)
    for lane, state in enumerate(seeds):
        column = []
        for _ in range(steps + 1):
            column.append(state)
            state = ref_galois(state, taps) if form == "galois" else \
                ref_fibonacci(state, width, taps)
        assert seq[:, lane].tolist() == column


@given(st.integers(2, 24), st.sampled_from(FORMS), st.data())
def test_lfsr_model_enable_and_reset(width, form, data):
    seed = data.draw(st.integers(1, _mask(width)))
    cycles = data.draw(st.integers(1, 80))
    en = data.draw(st.lists(st.booleans(), min_size=cycles, max_size=cycles))
    rst = data.draw(st.lists(st.booleans(), min_size=cycles, max_size=cycles))
    taps = MAXIMAL_TAPS[width]
    expected, state = [], seed
    for t in range(cycles):
        expected.append([state])
        if rst[t]:
            state = seed
        elif en[t]:
            state = ref_galois(state, taps) if form == "galois" else ref_fibonacci(state, width, taps)
    got = LFSRModel(width=width, form=form, seed=seed).run({"en": _column(en), "rst": _column(rst)})["state"]
    assert got.tolist() == expected


# --- extraction ----------------------------------------------------------------------------

def ref_splitmix64_outputs(seed, count):
    """SplitMix64 as a sequential generator (Steele, Lea and Flood; Vigna's splitmix64.c)."""
    state, out = seed, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & _mask(64)
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _mask(64)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _mask(64)
        out.append(z ^ (z >> 31))
    return out


def test_splitmix64_known_answer():
    # The first output for seed 0 published with the reference implementation.
    assert splitmix64(0, 0) == 0xE220A8397B1DCDAF


@given(st.integers(0, _mask(64)), st.integers(1, 40))
def test_splitmix64_is_the_sequential_generator(seed, count):
    assert [splitmix64(seed, j) for j in range(count)] == ref_splitmix64_outputs(seed, count)


@given(st.integers(1, 64), st.integers(0, _mask(64)))
def test_seeded_permutation_is_the_documented_fisher_yates(n, seed):
    draws = ref_splitmix64_outputs(seed, n)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = draws[n - 1 - i] % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    got = seeded_permutation(n, seed).tolist()
    assert got == perm and sorted(got) == list(range(n))


@st.composite
def extractor_params(draw, routing="static"):
    method = draw(st.sampled_from(["multi_lsb", "direct"]))
    sources = draw(st.integers(1, 12))
    src_width = draw(st.integers(1, 16))
    lanes = draw(st.integers(1, 5))
    bits = draw(st.integers(1, 6))
    reuse = draw(st.booleans())
    if method == "direct":
        assume(bits <= src_width)
    if not reuse:
        assume((lanes * bits if method == "multi_lsb" else lanes) <= sources)
    mapping = None
    if bits <= 4 and draw(st.booleans()):
        mapping = tuple(draw(st.permutations(range(1 << bits))))
    return dict(sources=sources, src_width=src_width, lanes=lanes, bits=bits, method=method,
                routing=routing, mapping=mapping, seed=draw(st.integers(0, _mask(64))),
                reuse=reuse)


def ref_numbers(words_row, selects, p):
    """Every lane's number for one cycle, from the selects, bit by bit (module docstring)."""
    k, out = p["bits"], []
    for i in range(p["lanes"]):
        if p["method"] == "direct":
            number = words_row[selects[i]] & _mask(p["src_width"]) & _mask(k)
        else:
            number = 0
            for b in range(k):
                number |= (words_row[selects[i * k + b]] & 1) << b
        out.append(number if p["mapping"] is None else p["mapping"][number])
    return out


def ref_static_selects(p):
    perm = seeded_permutation(p["sources"], p["seed"]).tolist()
    count = p["lanes"] * p["bits"] if p["method"] == "multi_lsb" else p["lanes"]
    return [perm[s % p["sources"]] for s in range(count)]


@given(extractor_params(), st.data())
def test_static_extraction_matches_bit_by_bit_reference(p, data):
    samples = data.draw(st.integers(1, 6))
    words = data.draw(st.lists(st.lists(st.integers(-(1 << 20), 1 << 20), min_size=p["sources"],
                                        max_size=p["sources"]), min_size=samples, max_size=samples))
    got = extract_numbers(np.array(words, dtype=np.int64), LSBExtractorSpec(**p))
    selects = ref_static_selects(p)
    assert got.tolist() == [ref_numbers(row, selects, p) for row in words]


@given(extractor_params())
def test_static_wiring_shares_no_source_bit_without_reuse(p):
    route = LSBExtractorSpec(**p).static_routing.ravel().tolist()
    if not p["reuse"]:
        assert len(set(route)) == len(route)
    else:
        # Reuse wraps around the permutation: every word is used once before any twice.
        uses = [ref_static_selects(p).count(w) for w in range(p["sources"])]
        assert max(uses) - min(uses) <= 1


def ref_runtime_selects(p, rst, en, addr, data_):
    """Select registers per cycle: a write in cycle t shows from t+1; swaps without reuse."""
    init = ref_static_selects(p)
    sel, rows = list(init), []
    for t in range(len(rst)):
        rows.append(list(sel))
        if rst[t]:
            sel = list(init)
        elif en[t] and addr[t] < len(sel) and data_[t] < p["sources"]:
            a, d = addr[t], data_[t]
            if not p["reuse"] and d in sel:
                sel[sel.index(d)] = sel[a]
            sel[a] = d
    return rows


@settings(max_examples=40)
@given(extractor_params(routing="runtime"), st.data())
def test_runtime_extractor_matches_write_by_write_reference(p, data):
    model = LSBExtractorModel(**p)
    spec = model.spec
    cycles = data.draw(st.integers(1, 40))
    ints = lambda hi: st.lists(st.integers(0, hi), min_size=cycles, max_size=cycles)  # noqa: E731
    rst, en = data.draw(ints(1)), data.draw(ints(1))
    addr, data_ = data.draw(ints(_mask(spec.addr_width))), data.draw(ints(_mask(spec.data_width)))
    src = data.draw(st.lists(st.lists(st.integers(0, _mask(p["src_width"])), min_size=p["sources"],
                                      max_size=p["sources"]), min_size=cycles, max_size=cycles))
    rows = ref_runtime_selects(p, rst, en, addr, data_)
    got = runtime_selects(spec, np.array(rst), np.array(en), np.array(addr), np.array(data_))
    assert got.tolist() == rows
    if not p["reuse"]:
        assert all(len(set(r)) == len(r) for r in rows)
    stim = {"rst": _column(rst), "cfg_en": _column(en), "cfg_addr": _column(addr),
            "cfg_data": _column(data_), "src": np.array(src, dtype=np.uint64)}
    expected = [[0] * p["lanes"]] + [[0] * p["lanes"] if rst[t] else ref_numbers(src[t], rows[t], p)
                                     for t in range(cycles - 1)]
    assert model.run(stim)["rnd"].tolist() == expected


@given(st.integers(1, 8), st.integers(1, 4), st.data())
def test_pixel_numbers_count_thresholds_and_are_monotone(pixel_width, bits, data):
    lanes = data.draw(st.integers(1, 4))
    rows = [sorted(data.draw(st.lists(st.integers(0, 1 << pixel_width), min_size=(1 << bits) - 1,
                                      max_size=(1 << bits) - 1))) for _ in range(lanes)]
    pixels = data.draw(st.lists(st.lists(st.integers(0, _mask(pixel_width)), min_size=lanes,
                                         max_size=lanes), min_size=1, max_size=10))
    got = pixel_numbers(np.array(pixels), np.array(rows)).tolist()
    assert got == [[sum(p >= t for t in rows[i]) for i, p in enumerate(row)] for row in pixels]
    everything = pixel_numbers(np.arange(1 << pixel_width)[:, None].repeat(lanes, 1),
                               np.array(rows))
    assert np.all(np.diff(everything.astype(np.int64), axis=0) >= 0)


# --- quantization (models/ml/quantization.py) ---------------------------------------------------

@given(st.sampled_from(BITS), st.data())
def test_code_patterns_round_trip_and_offset_binary_is_inverted_msb(m, data):
    codes = data.draw(st.lists(st.integers(-(1 << (m - 1)), _mask(m - 1)), min_size=1, max_size=20))
    signed, unsigned = encode(codes, m, "signed"), encode(codes, m, "unsigned")
    assert signed.tolist() == [c & _mask(m) for c in codes]                 # two's complement
    assert unsigned.tolist() == [(c + (1 << (m - 1))) & _mask(m) for c in codes]
    assert (unsigned ^ signed).tolist() == [1 << (m - 1)] * len(codes)
    for encoding in ENCODINGS:
        assert decode(encode(codes, m, encoding), m, encoding).tolist() == codes


@given(st.sampled_from(BITS), st.sampled_from(["floor", "round"]), st.sampled_from(ENCODINGS),
       st.floats(-100, 100), st.floats(1e-3, 100), st.data())
def test_quantization_error_is_within_one_step(m, rounding, encoding, lo, width, data):
    hi = lo + width
    ws = data.draw(st.lists(st.floats(lo, hi), min_size=1, max_size=20))
    q = quantize_tensor(np.array(ws), m, lo, hi, encoding, rounding)
    top = (1 << (m - 1)) - 1
    assert all(-top <= c <= top for c in q.codes.tolist())
    # Exact reference in rationals: Δ = (hi - lo) / (2^m - 2), z = (hi + lo) / 2.
    delta = (Fraction(hi) - Fraction(lo)) / ((1 << m) - 2)
    zero = (Fraction(hi) + Fraction(lo)) / 2
    slack = delta * Fraction(1, 10 ** 6)          # the model's float tolerance
    for w, c in zip(ws, q.codes.tolist()):
        error = Fraction(w) - (zero + c * delta)
        if rounding == "floor":
            assert -slack <= error < delta + slack
        else:
            assert -delta / 2 - slack <= error < delta / 2 + slack


# --- fault injection (models/ml/bit_errors.py, models/faulty_sram.py) ---------------------------

def ref_read(stored, m, mask01, mask10):
    """Bit by bit: a stored 0 reads 1 where mask01 is set, a stored 1 reads 0 where mask10 is."""
    out = 0
    for j in range(m):
        b = stored >> j & 1
        if b == 0 and mask01 >> j & 1:
            b = 1
        elif b == 1 and mask10 >> j & 1:
            b = 0
        out |= b << j
    return out


@given(st.sampled_from(BITS), st.data())
def test_apply_masks_reads_bit_by_bit(m, data):
    n = data.draw(st.integers(1, 20))
    values = lambda: data.draw(st.lists(st.integers(0, _mask(m)), min_size=n, max_size=n))  # noqa: E731
    bits, m01, m10 = values(), values(), values()
    got = apply_masks(np.array(bits, np.uint8), np.array(m01, np.uint8), np.array(m10, np.uint8), m)
    assert got.tolist() == [ref_read(b, m, a, c) for b, a, c in zip(bits, m01, m10)]


@given(st.sampled_from(BITS), st.integers(1, 40), st.sampled_from([8, 16, 64]), st.data())
def test_weight_masks_gather_the_documented_cells(m, n, row_bits, data):
    layout = MemoryLayout(n, m, row_bits)
    cells = np.array(data.draw(st.lists(st.booleans(), min_size=layout.rows * row_bits,
                                        max_size=layout.rows * row_bits))).reshape(layout.rows, row_bits)
    expected = [sum(int(cells[layout.cell(i, j)]) << j for j in range(m)) for i in range(n)]
    assert weight_masks(cells, layout).tolist() == expected


_FAULT_MODELS = [FaultModel(), FaultModel("column", weak_columns=0.25, concentration=0.8),
                 FaultModel("stuck", p01=0.3)]


@settings(max_examples=30)
@given(st.sampled_from(BITS), st.sampled_from(range(len(_FAULT_MODELS))),
       st.integers(0, 1000), st.floats(0, 1), st.floats(0, 1), st.data())
def test_more_errors_never_clear_a_fault(m, which, seed, p1, p2, data):
    """Faulty cells at a lower bit error rate are a subset of those at a higher one."""
    low, high = sorted((p1, p2))
    chips = Chips([seed, seed + 1], rows=4, row_bits=32)
    model = _FAULT_MODELS[which]
    for a, b in zip(chips.cell_maps(low, model), chips.cell_maps(high, model)):
        assert not np.any(a & ~b)
    bits = np.array(data.draw(st.lists(st.integers(0, _mask(m)), min_size=1, max_size=16)), np.uint8)
    if model.kind != "stuck":       # data-independent flips: the flipped bits are nested too
        flips_low = inject(bits, m, low, chips, model) ^ bits
        flips_high = inject(bits, m, high, chips, model) ^ bits
        assert not np.any(flips_low & ~flips_high)
    assert np.array_equal(inject(bits, m, 0.0, chips, model), np.broadcast_to(bits, (2, bits.size)))


@settings(max_examples=30)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(4, 8), st.sampled_from(["flip", "stuck"]),
       st.sampled_from(["random", "column"]), st.integers(0, 1000), st.data())
def test_faulty_sram_levels_nest_and_reads_follow_fail_levels(depth, width, level_bits, mode,
                                                             pattern, seed, data):
    model = FaultySRAMModel(depth=depth, width=width, level_bits=level_bits, mode=mode,
                            pattern=pattern, p01=0.25, seed=seed)
    levels = sorted(data.draw(st.lists(st.integers(0, _mask(level_bits)), min_size=2, max_size=2)))
    a, b = model.fault_map(levels[0]), model.fault_map(levels[1])
    assert not np.any(a.flip01 & ~b.flip01) and not np.any(a.flip10 & ~b.flip10)
    assert not np.any(model.fault_map(0).faulty)
    n = data.draw(st.integers(1, 10))
    addrs = data.draw(st.lists(st.integers(0, depth - 1), min_size=n, max_size=n))
    stored = data.draw(st.lists(st.integers(0, _mask(width)), min_size=n, max_size=n))
    read_levels = data.draw(st.lists(st.integers(0, _mask(level_bits)), min_size=n, max_size=n))
    f01, f10 = model.fail_levels
    expected = []
    for addr, word, level in zip(addrs, stored, read_levels):
        m01 = sum(1 << j for j in range(width) if f01[addr, j] <= level)
        m10 = sum(1 << j for j in range(width) if f10[addr, j] <= level)
        expected.append(ref_read(word, width, m01, m10))
    got = model.read_faulty(np.array(stored, np.uint64), np.array(addrs), np.array(read_levels))
    assert got.tolist() == expected
    exact = model.read_faulty(np.array(stored, np.uint64), np.array(addrs), np.zeros(n, np.int64))
    assert exact.tolist() == stored


@settings(max_examples=30)
@given(st.integers(1, 20), st.integers(1, 10), st.integers(0, 100), st.data())
def test_faulty_sram_run_matches_a_cycle_loop(depth, width, seed, data):
    level_bits = 4
    model = FaultySRAMModel(depth=depth, width=width, level_bits=level_bits, seed=seed)
    cycles = data.draw(st.integers(1, 40))
    aw = max(1, (depth - 1).bit_length())
    col = lambda hi: data.draw(st.lists(st.integers(0, hi), min_size=cycles, max_size=cycles))  # noqa: E731
    rst, w_en, r_en = col(1), col(1), col(1)
    w_addr, r_addr, w_data, level = col(_mask(aw)), col(_mask(aw)), col(_mask(width)), col(_mask(level_bits))
    f01, f10 = model.fail_levels
    memory, r_data, expected = [0] * depth, 0, []
    for t in range(cycles):
        expected.append([r_data])
        if rst[t]:
            r_data = 0
        elif r_en[t]:
            if r_addr[t] < depth:                         # read before the same cycle's write
                a, lv = r_addr[t], level[t]
                m01 = sum(1 << j for j in range(width) if f01[a, j] <= lv)
                m10 = sum(1 << j for j in range(width) if f10[a, j] <= lv)
                r_data = ref_read(memory[a], width, m01, m10)
            else:
                r_data = 0
        if w_en[t] and w_addr[t] < depth:                 # writes happen even during reset
            memory[w_addr[t]] = w_data[t]
    stim = {k: _column(v) for k, v in dict(rst=rst, w_en=w_en, w_addr=w_addr, w_data=w_data,
                                          r_en=r_en, r_addr=r_addr, level=level).items()}
    assert model.run(stim)["r_data"].tolist() == expected


def test_memories_read_power_up_zeros_in_a_run_without_writes():
    # Found by the test above: a run with reads and no write at all used to raise IndexError.
    from stochhw.models.sram import SRAMModel
    zeros = _column([0, 0, 0])
    stim = {"rst": zeros, "w_en": zeros, "w_addr": zeros, "w_data": zeros, "r_en": _column([1, 1, 0]),
            "r_addr": zeros, "level": zeros}
    assert SRAMModel(depth=4, width=8).run(stim)["r_data"].tolist() == [[0], [0], [0]]
    assert FaultySRAMModel(depth=4, width=8, level_bits=4).run(stim)["r_data"].tolist() == [[0], [0], [0]]


# --- stochastic-computing arithmetic (models/sc_*.py, parallel_counter, lut_sigmoid) ----------

@given(st.sampled_from(["xnor", "and"]), st.integers(1, 6), st.data())
def test_sc_multipliers_are_their_truth_tables_registered(op, lanes, data):
    cycles = data.draw(st.integers(1, 30))
    bits = lambda: data.draw(st.lists(st.lists(st.integers(0, 1), min_size=lanes, max_size=lanes),  # noqa: E731
                                      min_size=cycles, max_size=cycles))
    a, b = bits(), bits()
    rst = data.draw(st.lists(st.booleans(), min_size=cycles, max_size=cycles))
    gate = (lambda u, v: u & v) if op == "and" else (lambda u, v: 1 if u == v else 0)
    expected = [[0] * lanes] + [[0] * lanes if rst[t] else [gate(u, v) for u, v in zip(a[t], b[t])]
                                for t in range(cycles - 1)]
    stim = {"a": np.array(a, np.uint64), "b": np.array(b, np.uint64), "rst": _column(rst)}
    assert {"xnor": XnorMulModel, "and": AndMulModel}[op](lanes=lanes).run(stim)["y"].tolist() == expected


def ref_approx_count(x):
    """Pairs (x[2j], x[2j+1]): AND for even j, OR for odd j, doubled; plus an unpaired last bit."""
    total = 0
    for j in range(len(x) // 2):
        a, b = x[2 * j], x[2 * j + 1]
        total += 2 * ((a & b) if j % 2 == 0 else (a | b))
    return total + (x[-1] if len(x) % 2 else 0)


@given(st.lists(st.integers(0, 1), min_size=1, max_size=70))
def test_parallel_counters_match_brute_force_and_stay_within_their_error_bounds(x):
    n = len(x)
    approx = int(approx_count(np.array([x]))[0])
    assert approx == ref_approx_count(x)
    lowest, highest = approx_error_bounds(n)
    assert lowest <= approx - sum(x) <= highest
    stim = {"x": np.array([x, x], np.uint64), "rst": _column([0, 0])}
    assert ParallelCounterModel(n=n, method="exact").run(stim)["count"].tolist() == [[0], [sum(x)]]
    assert ParallelCounterModel(n=n, method="approx").run(stim)["count"].tolist() == [[0], [approx]]


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=50))
def test_xnor_count_counts_equal_bits(pairs):
    a, b = zip(*pairs)
    assert int(xnor_count(np.array(a), np.array(b))) == sum(u == v for u, v in pairs)


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 24), st.integers(2, 6),
       st.data())
def test_pair_tables_give_the_xnor_counts_of_comparator_streams(inputs, neurons, samples, length,
                                                                states, data):
    """The table path of restarted LFSR/Sobol streams (Method 2's forward pass) against the
    comparators' bits, counted one cycle at a time."""
    number = st.integers(0, _mask(16))
    nodes = data.draw(st.lists(st.lists(number, min_size=length, max_size=length),
                               min_size=inputs, max_size=inputs))
    weights = data.draw(st.lists(st.lists(st.lists(number, min_size=neurons, max_size=neurons),
                                          min_size=length, max_size=length),
                                 min_size=inputs, max_size=inputs))
    thresholds = sorted(data.draw(st.lists(st.integers(0, 1 << 16), min_size=states, max_size=states)))
    a = data.draw(st.lists(st.lists(st.integers(0, states - 1), min_size=inputs, max_size=inputs),
                           min_size=samples, max_size=samples))
    w = data.draw(st.lists(st.lists(st.integers(0, states - 1), min_size=neurons, max_size=neurons),
                           min_size=inputs, max_size=inputs))
    table = lfsr_pair_table(np.array(nodes), np.array(weights), np.array(thresholds))
    got = table_counts(table, np.array(a), np.array(w))
    expected = [[sum((nodes[i][t] < thresholds[a[s][i]]) == (weights[i][t][j] < thresholds[w[i][j]])
                     for i in range(inputs) for t in range(length))
                 for j in range(neurons)] for s in range(samples)]
    assert got.tolist() == expected


@given(st.integers(1, MAX_DIMENSION), st.integers(0, 10), st.integers(0, _mask(16)), st.data())
def test_sobol_streams_hit_their_probability_exactly_over_a_power_of_two_run(dimension, k, shift,
                                                                             data):
    """Every one-dimensional Sobol projection, digitally shifted, puts exactly one of its first
    2^k points in each interval [m 2^-k, (m + 1) 2^-k): a comparator whose threshold is a
    multiple of 2^(16 - k) gives exactly T 2^k / 2^16 ones in 2^k cycles."""
    m = data.draw(st.integers(0, 1 << k))
    threshold = m << (16 - k)
    numbers = sobol_numbers([shift], 1 << k, dimension)[:, 0]
    assert int(np.sum(numbers < threshold)) == m


@given(st.integers(2, 40), st.data())
def test_sc_quantizer_rounds_half_up_exactly(levels, data):
    # Values on and next to the ties (lo + (i + 1/2) delta) as well as anywhere in and beyond [-1, 1].
    i = data.draw(st.integers(-2, levels))
    tie = -1 + (2 * i + 1) / (levels - 1)
    x = data.draw(st.one_of(st.floats(-1.5, 1.5), st.just(tie), st.just(math.nextafter(tie, -2)),
                            st.just(math.nextafter(tie, 2))))
    exact = math.floor((Fraction(min(max(x, -1.0), 1.0)) + 1) * (levels - 1) / 2 + Fraction(1, 2))
    assert int(quantize_index(np.array([x]), levels)[0]) == min(max(exact, 0), levels - 1)


def ref_plan(s):
    """The PLAN sigmoid of stochhw.models.lut_sigmoid, in exact rationals."""
    a = abs(s)
    if a >= 5:
        y = Fraction(1)
    elif a >= Fraction(19, 8):
        y = a / 32 + Fraction(27, 32)
    elif a >= 1:
        y = a / 8 + Fraction(5, 8)
    else:
        y = a / 4 + Fraction(1, 2)
    return 1 - y if s < 0 else y


@given(st.integers(2, 12), st.integers(2, 12), st.data())
def test_plan_sigmoid_index_is_the_exact_piecewise_linear_rule(in_bits, levels, data):
    in_frac = data.draw(st.integers(0, in_bits))
    codes = data.draw(st.lists(st.integers(0, _mask(in_bits)), min_size=1, max_size=20))
    expected = [math.floor((ref_plan(Fraction(_signed(c, in_bits), 1 << in_frac)) + 1)
                           * (levels - 1) / 2 + Fraction(1, 2)) for c in codes]
    assert plan_index(np.array(codes), levels, in_bits, in_frac).tolist() == expected


# --- the parameter doors refuse what the references above never produce ----------------------

@given(st.integers(2, 12), st.integers(0, 5))
def test_widths_without_a_rounded_bit_are_refused(in_width, extra):
    try:
        SRUFreeModel(in_width=in_width, out_width=in_width + extra)
    except ParameterError as exc:
        assert "out_width" in str(exc)
    else:
        raise AssertionError("out_width >= in_width was accepted")
