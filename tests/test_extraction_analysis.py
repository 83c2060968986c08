"""Tests for stochhw analyze extraction: stream extraction, gf_rounding self-correlation, report."""

import json

import numpy as np
import pytest

from stochhw.models.bits import to_signed
from stochhw.models.checks import ParameterError
from stochhw.models.extractor import GFRoundingModel, LSBExtractorSpec, extract_stream, seeded_permutation
from stochhw.models.ml.training import TrainingConfig, direct_lsbs, tensor_codes, tensor_numbers, train
from stochhw.models.stats.entropy import shannon_entropy
from stochhw.sim.analyses.extraction import REPORT_FILES, nist_stream
from stochhw.sim.analyses.extraction.gf_correlation import (
    exact_conditional_bias,
    exact_number_correlation,
    first_self_fed_naive_direct_seed,
    half_way_direct_selects,
    naive_wrap_selects,
    self_correlation,
)

# ------------------------------------------------------------------------------------------
# Extraction from a stream of words
# ------------------------------------------------------------------------------------------

def test_multi_lsb_stream_takes_one_lsb_per_word():
    lanes, k, seed = 3, 4, 9
    sources = lanes * k
    words = np.random.default_rng(1).integers(-128, 128, sources * 5 + 7)   # 7 left over
    numbers = extract_stream(words, bits=k, method="multi_lsb", lanes=lanes, seed=seed,
                             src_width=8).reshape(5, lanes)
    perm = seeded_permutation(sources, seed)
    for cycle in range(5):
        row = words[cycle * sources:(cycle + 1) * sources]
        for lane in range(lanes):
            expected = sum(int(row[perm[lane * k + b]] & 1) << b for b in range(k))
            assert numbers[cycle, lane] == expected


def test_direct_stream_takes_the_low_bits_of_one_word():
    words = np.arange(-40, 40)                                              # 80 words, 16 per cycle
    numbers = extract_stream(words, bits=3, method="direct", lanes=16, seed=2, src_width=8,
                             mapping=(7, 6, 5, 4, 3, 2, 1, 0))
    perm = seeded_permutation(16, 2)
    expected = [7 - (int(words[c * 16 + perm[i]]) & 7) for c in range(5) for i in range(16)]
    assert numbers.tolist() == expected


@pytest.mark.parametrize("words, fragment", [(np.zeros((4, 4), int), "words"),
                                             (np.zeros(8, float), "words")])
def test_extract_stream_refuses_bad_words(words, fragment):
    with pytest.raises(ParameterError, match=rf"^{fragment}\b"):
        extract_stream(words, bits=2, method="direct", lanes=2, seed=1, src_width=8)


def test_tensor_codes_feed_direct_lsbs():
    result = train(TrainingConfig(epochs=1, hidden=(8,)))
    for layer in (None, 0, 1):
        np.testing.assert_array_equal(direct_lsbs(tensor_codes(result, "gradient", layer), 5),
                                      tensor_numbers(result, "gradient", layer, 5))


def test_nist_stream_spreads_over_the_snapshots():
    snapshots = np.arange(1000)

    def numbers_at(stride):                     # 10 four-bit numbers per snapshot
        return np.repeat(snapshots[::stride] % 16, 10)

    stream, stride = nist_stream(numbers_at, 4, 4000)
    assert stride == 10 and stream.size == 4000                  # 40,000 bits available
    stream, stride = nist_stream(numbers_at, 4, 10 ** 6)
    assert stride == 1 and stream.size == 40_000                 # fewer than asked: all of it


# ------------------------------------------------------------------------------------------
# gf_rounding self-correlation
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("b", range(8))
def test_own_lsb_at_bit_b_biases_by_up_to_2_to_the_b(b):
    """Lane 0 takes its own LSB as bit b and seven fair coins elsewhere (k = 8)."""
    others = [w for w in range(1, 8)]
    words = others[:b] + [0] + others[b:]
    route = np.array([words]) * 16                                 # bit 0 of each word
    bias = exact_conditional_bias(route, 16, 8)[0]
    assert np.abs(bias).max() == 2 ** b
    # Averaged over uniform f it nearly cancels. At b = 0 an odd f has rnd = 2R + 1 and rounds
    # up with probability (f + 1) / 256 (bias +1), an even f with f / 256 (bias 0): mean 1/2.
    assert abs(bias.mean()) <= 0.5
    if b == 0:
        assert bias.mean() == 0.5 and set(bias[1::2]) == {1} and set(bias[::2]) == {0}


def test_a_lane_reading_its_own_word_rounds_to_nearest():
    route = np.array([[0 * 16 + b for b in range(4)]])              # direct: number = own f
    f = np.arange(16)
    nearest = np.where(f >= 8, 16 - f, -f)                           # ties (f = 8) round up
    np.testing.assert_array_equal(exact_conditional_bias(route, 16, 4)[0], nearest)


@pytest.mark.parametrize("assignment", ["circulant", "naive"])
def test_exact_bias_matches_the_golden_model_exhaustively(assignment):
    """A small gf_rounding (5 lanes, 8 -> 4 bits, multi_lsb on its x bus): every fractional
    part of lane i with every combination of the other lanes' LSBs, run through the model.
    ``naive``: the old wrap-around selects, written at runtime."""
    lanes, k = 5, 4
    model = GFRoundingModel(lanes=lanes, in_width=8, out_width=4, seed=3,
                            routing="static" if assignment == "circulant" else "runtime")
    if assignment == "circulant":
        writes = np.zeros(0, dtype=np.int64)
        route = model.spec.extractor.static_routing
    else:
        writes = naive_wrap_selects("multi_lsb", 3, lanes=lanes, k=k)
        route = writes.reshape(lanes, k) * model.spec.extractor.src_width
    src_width = model.spec.extractor.src_width
    exact = exact_conditional_bias(route, src_width, k)
    own = (route // src_width) == np.arange(lanes)[:, None]
    if assignment == "circulant":
        # No own bits, and k distinct fair coins per lane (lanes > k): exactly unbiased.
        assert not own.any() and not np.abs(exact).max() > 1e-12
    else:
        assert own.any() and np.abs(exact).max() >= 1
    f = np.arange(1 << k)
    combos = np.arange(1 << (lanes - 1))[:, None] >> np.arange(lanes - 1) & 1   # other LSBs
    prefix = writes.size                                            # cycles of cfg writes
    for lane in range(lanes):
        x = np.zeros((f.size * combos.shape[0], lanes), dtype=np.int64)
        others = [j for j in range(lanes) if j != lane]
        x[:, lane] = np.repeat(f, combos.shape[0]) + 16              # positive, room to round
        for column, j in enumerate(others):
            x[:, j] = np.tile(combos[:, column], f.size) + 32
        rows = np.concatenate([np.zeros((prefix, lanes), np.int64), x, x[:1]])
        stim = {"rst": np.zeros((rows.shape[0], 1), np.uint64), "x": rows.astype(np.uint64)}
        if assignment == "naive":
            en = np.zeros((rows.shape[0], 1), np.uint64)
            en[:prefix] = 1
            addr = np.zeros_like(en)
            addr[:prefix, 0] = np.arange(prefix)
            data = np.zeros_like(en)
            data[:prefix, 0] = writes
            stim.update(cfg_en=en, cfg_addr=addr, cfg_data=data)
        y = model.run(stim)["y"][prefix + 1:, lane].astype(np.int64)
        error = (y << k) - x[:, lane]
        np.testing.assert_allclose(error.reshape(f.size, -1).mean(axis=1), exact[lane], atol=1e-12)


def test_naive_wrap_around_is_the_generic_assignment():
    """The 'before' rows use lsb_extractor's own formula, sel[s] = perm[s mod sources]."""
    for method in ("multi_lsb", "direct"):
        for seed in (1, 2, 77):
            generic = LSBExtractorSpec(sources=16, src_width=16, lanes=16, bits=8, method=method,
                                       seed=seed, reuse=True)
            np.testing.assert_array_equal(naive_wrap_selects(method, seed), generic.static_selects)
    perm = seeded_permutation(16, 1)
    assert naive_wrap_selects("multi_lsb", 1).tolist() == [perm[s % 16] for s in range(128)]
    seed = first_self_fed_naive_direct_seed()
    assert all(not np.any(seeded_permutation(16, s) == np.arange(16)) for s in range(1, seed))
    assert np.any(seeded_permutation(16, seed) == np.arange(16))


def test_exact_number_correlation_of_one_shared_bit():
    """Two 8-bit numbers of fair coins sharing one coin, as bit 7 of one and bit 6 of the
    other: cov = 2^7 2^6 / 4, var = sum 4^b / 4, so corr = 2^13 / 21845."""
    route = np.array([[0, 1, 2, 3, 4, 5, 6, 7], [10, 11, 12, 13, 14, 15, 7, 17]])
    corr = exact_number_correlation(route)
    assert corr[0, 1] == pytest.approx(8192 / 21845) and corr[0, 0] == pytest.approx(1)
    assert exact_number_correlation(np.array([[0, 1], [0, 1]]))[0, 1] == pytest.approx(1)
    assert exact_number_correlation(np.array([[0, 1], [2, 3]]))[0, 1] == 0


def test_paired_direct_lanes_make_one_decision():
    """At an offset of lanes / 2 (written at runtime), lanes i and i + 8 read each other's
    words and round up together, in every cycle, on the golden model; the static circulant
    rule never picks that offset."""
    words = half_way_direct_selects()
    assert np.array_equal(words, (np.arange(16) + 8) % 16)
    for seed in range(1, 101):
        static = GFRoundingModel(lanes=16, method="direct", seed=seed).spec.extractor.static_selects
        assert not np.array_equal(static, words), seed
    model = GFRoundingModel(lanes=16, in_width=16, out_width=8, method="direct", routing="runtime")
    cycles, warmup = 2000, 16
    x = np.random.default_rng(2).integers(-2 ** 14, 2 ** 14, size=(cycles, 16))
    en = np.zeros((cycles, 1), np.uint64)
    addr, data = np.zeros_like(en), np.zeros_like(en)
    en[:16, 0], addr[:16, 0], data[:16, 0] = 1, np.arange(16), words
    stim = {"rst": np.zeros((cycles, 1), np.uint64), "x": (x & 0xFFFF).astype(np.uint64),
            "cfg_en": en, "cfg_addr": addr, "cfg_data": data}
    up = (to_signed(model.run(stim)["y"], 8)[1:] << 8) > x[:-1]
    assert np.array_equal(up[warmup:, :8], up[warmup:, 8:])
    assert 0.2 < up[warmup:].mean() < 0.8


@pytest.fixture(scope="module")
def correlation():
    return self_correlation(cycles=3000, seed=5)


X_BUS_ROWS = ("multi_lsb", "direct", "direct_paired", "naive_multi_lsb", "naive_direct_self")


def test_measured_bias_agrees_with_the_enumeration(correlation):
    rows = {r["name"]: r for r in correlation["configurations"]}
    for name in X_BUS_ROWS:
        row, exact = rows[name], rows[name]["exact_conditional_bias"]
        assert row["deterministic_bins_off_exact"] == 0
        # Squared deviations in exact standard errors average 1 per random bin (mean of a
        # chi-square); with ~4000 bins the average is within 0.15 of 1 by far more than 5 sd.
        q = (exact + np.arange(256)) / 256
        counts = row["samples_per_fraction"]
        random_bins = (q > 0) & (q < 1)
        variance = 256 ** 2 * q * (1 - q) / counts
        ratio = np.mean((row["conditional_bias"] - exact)[random_bins] ** 2 / variance[random_bins])
        assert 0.85 < ratio < 1.15, (name, ratio)


def test_self_correlation_findings(correlation):
    rows = {r["name"]: r for r in correlation["configurations"]}
    n = rows["lfsr"]["cycles_measured"]
    noise = 6 / np.sqrt(n)
    # Before the fix: 16 x-bus LSBs for 128 number bits, wrapping after 2 lanes: lanes i and
    # i+2 share their number, and some lanes read their own LSB as bit 7 (half a step).
    before = rows["naive_multi_lsb"]
    assert before["lanes_sharing_one_number"] == [8, 8]
    assert before["distinct_numbers_per_cycle"] <= 2
    assert before["exact_max_abs_conditional_bias_lsb"] == 128 and before["lanes_with_own_bits"] > 0
    assert before["max_abs_corr_between_lanes_numbers"] == pytest.approx(1.0)
    assert rows["naive_direct_self"]["max_abs_corr_rnd_f"] == pytest.approx(1.0)
    assert rows["naive_direct_self"]["lanes_with_own_bits"] == 1
    # After: the circulant assignment; nothing depends on the lane's own x.
    for name in ("multi_lsb", "direct", "direct_paired"):
        row = rows[name]
        assert row["lanes_with_own_bits"] == 0 and row["lanes_sharing_one_number"] == [1] * 16
        assert row["exact_max_abs_conditional_bias_lsb"] == 0
    # ... but multi_lsb lanes share coins at different bits, and paired direct lanes decide
    # together (errors correlate at about 1/2, numbers do not).
    after = rows["multi_lsb"]
    assert 0 < after["exact_max_abs_corr_between_lanes_numbers"] < 1
    assert abs(after["max_abs_corr_between_lanes_numbers"]
               - after["exact_max_abs_corr_between_lanes_numbers"]) < noise
    assert rows["direct_paired"]["max_abs_corr_between_lanes_errors"] > 0.4
    assert rows["direct_paired"]["max_abs_corr_between_lanes_numbers"] < noise
    for name in ("multi_lsb", "direct", "direct_paired", "port", "lfsr"):
        assert rows[name]["max_abs_corr_rnd_f"] < noise, name
        assert rows[name]["max_abs_corr_rnd_own_lsb"] < noise, name
        assert abs(rows[name]["mean_bias_lsb"]) < 6 * rows[name]["mean_bias_standard_error"]
    for name in ("direct", "port", "lfsr"):
        assert rows[name]["max_abs_corr_between_lanes_errors"] < noise, name
    seeds = correlation["config"]["seeds_with_a_self_fed_lane_of_100"]
    assert seeds["multi_lsb"]["circulant"] == seeds["direct"]["circulant"] == 0
    assert seeds["direct"]["naive_wrap_around"] > 0
    for row in rows.values():                           # pixel-free: every row has all keys
        assert json.dumps({k: v for k, v in row.items() if not isinstance(v, np.ndarray)})


# ------------------------------------------------------------------------------------------
# stochhw analyze extraction
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_reports(tmp_path_factory):
    """Two quick runs of the topic into two folders, with their JSON outputs."""
    import contextlib
    import io

    from stochhw.sim.cli import main

    base = tmp_path_factory.mktemp("extraction")
    outputs = []
    for folder in ("a", "b"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["analyze", "extraction", "--quick", "--json", "--out",
                         str(base / folder)]) == 0
        outputs.append(out.getvalue())
    return base, outputs


def test_quick_reports_are_reproducible(quick_reports):
    base, outputs = quick_reports
    assert outputs[0] == outputs[1]
    for name in REPORT_FILES:
        assert (base / "a" / name).read_bytes() == (base / "b" / name).read_bytes(), name
        if name.endswith(".png"):
            data = (base / "a" / name).read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in data
    assert json.loads(outputs[0]) == json.loads((base / "a" / "extraction.json").read_text())
    text = (base / "a" / "extraction.md").read_text()
    assert "Quick run" in text and "paper Table 6" in text and "![NIST pass counts](nist.png)" in text


def test_quick_report_contents(quick_reports):
    result = json.loads(quick_reports[1][0])
    config = result["config"]
    assert config["quick"] and config["code_widths"] == [6] and config["seeds"] == [1]
    rows = result["entropy"]
    assert {(r["kind"], r["method"], r["layer"]) for r in rows} == {
        (k, m, l) for k in ("weight", "activation", "error", "gradient")
        for m in ("direct", "multi_lsb") for l in ("all", 0, 1)}
    assert all(0 <= r["entropy_mean"] <= 6 for r in rows)
    # Direct extraction keeps every code's low bits: the histogram of tensor_numbers (up to the
    # dropped last partial cycle, < 16 numbers).
    run = train(TrainingConfig(seed=1, bits=6, epochs=3))
    direct = next(r for r in rows if (r["kind"], r["method"], r["layer"]) == ("error", "direct", "all"))
    assert direct["entropy_mean"] == pytest.approx(
        shannon_entropy(tensor_numbers(run, "error", None, 6), 6), abs=1e-3)
    # A permutation never changes entropy; no mapping beats the bound.
    study = result["mapping_study"]
    for key in {(r["kind"], r["method"]) for r in study}:
        same = [r for r in study if (r["kind"], r["method"]) == key]
        assert len(same) == 3 and len({round(r["entropy"], 12) for r in same}) == 1
        assert all(r["max_abs_bias_lsb"] >= r["lower_bound_lsb"] - 1e-9 for r in same)
    for row in result["nist"]:
        assert row["pass"] + row["fail"] + row["not_applicable"] == 15
        # 20,000-bit streams: the tests that need 10^6 bits are not applicable, not passed.
        assert {"universal", "overlapping_template", "linear_complexity"} <= set(
            row["not_applicable_tests"])
    assert [r["name"] for r in result["references"]][0] == "PCG64"
    assert result["references"][0]["nist"]["fail"] == 0
    assert [p["distribution"] for p in result["pixel"]] == ["uniform", "gauss", "beta"]
    for p in result["pixel"]:
        assert sum(p["pmf"]) == pytest.approx(1) and sum(p["target_pmf"]) == pytest.approx(1)


def test_cli_extraction_refuses_other_options(capsys):
    from stochhw.sim.cli import main

    assert main(["analyze", "extraction", "--source", "pcg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stochhw: error: unrecognized arguments: --source") and err.count("\n") == 1
