"""The faulty_sram golden model, its plain-SRAM twin, the voltage model and bad input.

References are written plainly here (Python integers, loops over cells) from the rules in the
docstrings of :mod:`stochhw.models.faulty_sram` and :mod:`stochhw.models.voltage`; statistical checks derive
their bounds from the sample size (5 standard deviations) and use fixed seeds.
"""

import json
import math
import re

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.faulty_sram import (
    CHAR_BITS,
    COLUMN_BITS,
    RNG_LEAP,
    FaultySRAMModel,
    FaultySRAMSpec,
    load_profile,
    save_profile,
)
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_step
from stochhw.models.seeds import lane_seeds, splitmix64
from stochhw.models.sram import SRAMModel
from stochhw.models.voltage import VoltageModel, level_to_p, p_to_level
from stochhw.sim.cli import main


def binomial_ok(count, n, p, sigmas=5.0):
    """``count`` successes in ``n`` trials is within ``sigmas`` standard deviations of ``n p``."""
    sd = math.sqrt(n * p * (1 - p))
    return abs(count - n * p) <= sigmas * sd + 1


def random_stim(cycles, depth, width, level_bits, seed, level=None, r_density=0.5):
    rng = np.random.default_rng(seed)
    aw = max(1, (depth - 1).bit_length())
    col = lambda hi: rng.integers(0, hi + 1, (cycles, 1), dtype=np.uint64)  # noqa: E731
    stim = {"rst": (rng.random((cycles, 1)) < 0.01).astype(np.uint64),
            "w_en": col(1), "w_addr": col((1 << aw) - 1), "w_data": col((1 << width) - 1),
            "r_en": (rng.random((cycles, 1)) < r_density).astype(np.uint64),
            "r_addr": col((1 << aw) - 1),
            "level": col((1 << level_bits) - 1) if level is None
            else np.full((cycles, 1), level, np.uint64)}
    stim["rst"][0] = 1
    return stim


def write_then_read(words, levels):
    """Stimulus: write ``words`` to addresses 0.., then read them all back at each level.

    Returns the stimulus and, per level, the output cycles of the reads (latency 1)."""
    n = len(words)
    cycles = n + len(levels) * n + 1
    stim = {k: np.zeros((cycles, 1), np.uint64) for k in
            ("rst", "w_en", "w_addr", "w_data", "r_en", "r_addr", "level")}
    stim["w_en"][:n, 0] = 1
    stim["w_addr"][:n, 0] = np.arange(n)
    stim["w_data"][:n, 0] = words
    out = []
    for i, level in enumerate(levels):
        t = n + i * n + np.arange(n)
        stim["r_en"][t, 0] = 1
        stim["r_addr"][t, 0] = np.arange(n)
        stim["level"][t, 0] = level
        out.append(t + 1)
    return stim, out


# --- the seeded map, from its documented definition ------------------------------------------

def ref_vulnerability(seed, depth, width, level_bits, pattern):
    """Tabulation hash spelled out: word i of stream s is splitmix64(splitmix64(seed, s), i)."""
    aw = max(1, (depth - 1).bit_length())
    cell_bits = level_bits - (COLUMN_BITS if pattern == "column" else 0)
    start = splitmix64(seed, 0)
    offsets, used = [], 0
    for lo in range(0, aw, CHAR_BITS):
        offsets.append(used)
        used += (1 << min(CHAR_BITS, aw - lo)) * width
    column = [splitmix64(splitmix64(seed, 2), j) & 7 for j in range(width)]
    v = np.zeros((depth, width), np.int64)
    for a in range(depth):
        for j in range(width):
            u = 0
            for k, off in enumerate(offsets):
                entry = (a >> (CHAR_BITS * k)) & ((1 << min(CHAR_BITS, aw - CHAR_BITS * k)) - 1)
                u ^= splitmix64(start, off + entry * width + j) & ((1 << cell_bits) - 1)
            v[a, j] = u | (column[j] << cell_bits if pattern == "column" else 0)
    return v


@pytest.mark.parametrize("depth,width,level_bits,pattern", [
    (5, 3, 4, "random"), (100, 7, 9, "random"), (70, 4, 6, "column")])
def test_vulnerability_is_the_documented_tabulation_hash(depth, width, level_bits, pattern):
    model = FaultySRAMModel(depth=depth, width=width, level_bits=level_bits, pattern=pattern,
                            seed=99)
    ref = ref_vulnerability(99, depth, width, level_bits, pattern)
    np.testing.assert_array_equal(model.vulnerability(), ref)
    f01, f10 = model.fail_levels
    np.testing.assert_array_equal(f01, ref + 1)
    np.testing.assert_array_equal(f10, ref + 1)


def test_level_zero_reads_back_exactly_what_was_written():
    for kwargs in ({}, {"mode": "stuck", "pattern": "column", "p01": 0.3125, "p_err": 0.5},
                   {"depth": 37, "width": 13, "level_bits": 5}):
        model = FaultySRAMModel(seed=4, **kwargs)
        stim = random_stim(3000, model.depth, model.width, model.level_bits, 1, level=0)
        plain = SRAMModel(depth=model.depth, width=model.width).run(stim)["r_data"]
        np.testing.assert_array_equal(model.run(stim)["r_data"], plain)
        assert np.count_nonzero(plain) > 1000          # the reads did show data


def test_plain_sram_follows_a_cycle_loop():
    depth, width = 11, 9
    stim = random_stim(4000, depth, width, 4, 3)
    memory, r_data, expected = [0] * depth, 0, []
    for t in range(4000):
        expected.append(r_data)
        if stim["rst"][t, 0]:
            r_data = 0
        elif stim["r_en"][t, 0]:
            a = int(stim["r_addr"][t, 0])
            r_data = memory[a] if a < depth else 0
        a = int(stim["w_addr"][t, 0])
        if stim["w_en"][t, 0] and a < depth:
            memory[a] = int(stim["w_data"][t, 0])
    assert SRAMModel(depth=depth, width=width).run(stim)["r_data"][:, 0].tolist() == expected


@pytest.mark.parametrize("mode,pattern", [("flip", "random"), ("stuck", "random"),
                                          ("flip", "column"), ("stuck", "column")])
def test_faulty_sets_are_nested_across_every_level(mode, pattern):
    model = FaultySRAMModel(depth=64, width=16, level_bits=6, mode=mode, pattern=pattern,
                            p01=0.375, seed=8)
    previous = model.fault_map(0)
    assert not previous.faulty.any()
    for level in range(1, 64):
        current = model.fault_map(level)
        assert not np.any(previous.flip01 & ~current.flip01)
        assert not np.any(previous.flip10 & ~current.flip10)
        previous = current
    assert previous.faulty.mean() > 0.9                  # 63/64 of the cells at the top


def test_flip_cells_invert_and_stuck_cells_read_their_value():
    level = 40
    for mode in ("flip", "stuck"):
        model = FaultySRAMModel(depth=32, width=64, level_bits=8, mode=mode, p01=0.5, seed=3)
        fmap = model.fault_map(level)
        ones = np.uint64((1 << 64) - 1)
        words = np.array([0, ones] * 16, dtype=np.uint64)
        stim, (out,) = write_then_read(words, [level])
        got = model.run(stim)["r_data"][out, 0]
        bits = ((got[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).astype(bool)
        stored_one = (np.arange(32) % 2 == 1)[:, None]
        errors = bits != stored_one
        if mode == "flip":
            np.testing.assert_array_equal(fmap.flip01, fmap.flip10)
            np.testing.assert_array_equal(errors, fmap.faulty)
        else:
            assert not np.any(fmap.flip01 & fmap.flip10)  # a stuck cell errs one way only
            # Stored 0 reads 1 exactly at stuck-at-1 cells; stored 1 reads 0 at stuck-at-0 ones.
            np.testing.assert_array_equal(errors, np.where(stored_one, fmap.stuck_at_zero,
                                                           fmap.stuck_at_one))
        assert 0 < errors.mean() < 0.5


def test_fault_rate_and_p01_are_within_binomial_bounds():
    model = FaultySRAMModel(depth=4096, width=64, level_bits=12, mode="stuck", p01=0.3125, seed=11)
    n = 4096 * 64
    for level in (41, 410, 2048):                        # 1%, 10%, 50%
        fmap = model.fault_map(level)
        faulty = int(fmap.faulty.sum())
        assert binomial_ok(faulty, n, level / 4096), (level, faulty)
    fmap = model.fault_map(2048)
    ones = int(fmap.stuck_at_one.sum())
    assert binomial_ok(ones, int(fmap.faulty.sum()), 0.3125)
    # The stuck value does not depend on the vulnerability: same fraction among early cells.
    early = model.fault_map(205)
    assert binomial_ok(int(early.stuck_at_one.sum()), int(early.faulty.sum()), 0.3125)


def test_p01_zero_and_one_give_one_stuck_value():
    for p01, attr in ((0.0, "stuck_at_zero"), (1.0, "stuck_at_one")):
        fmap = FaultySRAMModel(depth=16, width=32, level_bits=4, mode="stuck", p01=p01,
                               seed=2).fault_map(9)
        assert fmap.faulty.any()
        np.testing.assert_array_equal(getattr(fmap, attr), fmap.faulty)


def test_column_pattern_puts_low_level_faults_in_weak_columns():
    level_bits, depth, width = 10, 512, 64
    weak_counts, rates = [], []
    for seed in range(20):
        model = FaultySRAMModel(depth=depth, width=width, level_bits=level_bits,
                                pattern="column", seed=seed)
        weak = model.column_values == 0
        level = 20                                      # below 2^L / 8 = 128
        fmap = model.fault_map(level)
        assert not fmap.faulty[:, ~weak].any()          # nothing outside the weak columns
        if weak.any():
            rate = fmap.faulty[:, weak].mean()
            # Weak columns fail at 8 times the average rate level / 2^L.
            n = depth * int(weak.sum())
            assert binomial_ok(rate * n, n, 8 * level / (1 << level_bits))
        weak_counts.append(int(weak.sum()))
        rates.append(fmap.faulty.mean())
        # Above 2^L / 8 every weak column is entirely faulty.
        assert model.fault_map(130).faulty[:, weak].all()
    # One column in eight is weak: 20 chips x 64 columns.
    assert binomial_ok(sum(weak_counts), 20 * width, 1 / 8)
    # Averaged over chips the rate is still level / 2^L (the column count dominates the spread).
    assert abs(np.mean(rates) - 20 / 1024) < 5 * math.sqrt(1 / 8 * 7 / 8 / (20 * width)) * 8 * 20 / 1024


def test_intermittent_faults_follow_p_err():
    depth, width, level = 8, 64, 1 << 11            # level = half the range: half the cells
    model = FaultySRAMModel(depth=depth, width=width, level_bits=12, p_err=0.25, seed=6)
    words = np.zeros(depth, np.uint64)
    reads = 400
    stim, outs = write_then_read(words, [level] * reads)
    r_data = model.run(stim)["r_data"][:, 0]
    errors = np.stack([((r_data[t][:, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1))
                       .astype(bool) for t in outs])          # (reads, depth, width)
    faulty = model.fault_map(level).faulty
    assert not errors[:, ~faulty].any()                  # healthy cells never err
    n = reads * int(faulty.sum())
    e = 0.25
    hits = errors[:, faulty]
    assert binomial_ok(int(hits.sum()), n, e)
    # Independent from read to read: errors on two successive reads of the same cell.
    both = int((hits[1:] & hits[:-1]).sum())
    assert binomial_ok(both, (reads - 1) * int(faulty.sum()), e * e)


def test_access_randomness_is_the_documented_lfsr():
    model = FaultySRAMModel(depth=4, width=5, level_bits=4, p_err=0.5, seed=77)
    seeds = lane_seeds(splitmix64(77, 3), 5, 16)
    assert list(model.rng_seeds) == seeds
    states, expected = list(seeds), []
    for _ in range(30):
        expected.append([s & 0xFF for s in states])
        for j in range(5):
            for _ in range(RNG_LEAP):
                states[j] = lfsr_step(states[j], 16, MAXIMAL_TAPS[16], "galois")
    np.testing.assert_array_equal(model.random_bytes(np.arange(30)), expected)


def test_persistent_faults_need_no_random_source():
    assert FaultySRAMModel(p_err=1.0).rng_seeds is None
    assert FaultySRAMModel(p_err=255 / 256).rng_seeds is not None


@pytest.mark.parametrize("name,value,low,high", [
    ("p_err", 0.001, "0.0", "0.00390625"),          # silently 0 in hardware before
    ("p_err", 0.999, "0.99609375", "1.0"),
    ("p01", 0.3, "0.296875", "0.30078125"),
])
def test_a_probability_between_hardware_steps_is_refused_naming_its_neighbours(name, value, low, high):
    message = (f"{name} is held in steps of 1/256 in hardware; {value} is not a multiple "
               f"(nearest allowed: {low} or {high})")
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        FaultySRAMModel(**{name: value})
    # Either neighbour, pasted back, is accepted as it is.
    for text in (low, high):
        assert getattr(FaultySRAMSpec(**{name: float(text)}), name) == float(text)
    # stochhw list shows the step with the range.
    assert FaultySRAMSpec.param(name).describe() == "0..1 step 1/256"


def test_a_probability_off_a_step_by_rounding_noise_is_held_exactly():
    # 0.7 - 0.45 is 0.24999999999999994: the spec (and so the manifest) holds 0.25, what the
    # hardware compares with.
    spec = FaultySRAMSpec(p_err=0.7 - 0.45)
    assert spec.p_err == 0.25 and spec.p_err_threshold == 64


# --- profiled maps ----------------------------------------------------------------------------

def test_profiled_map_loads_from_npz_and_json_and_sets_the_fail_levels(tmp_path):
    rng = np.random.default_rng(0)
    f01 = rng.integers(0, 16, (12, 8)) * (rng.random((12, 8)) < 0.3)
    f10 = rng.random((12, 8)) < 0.2                       # booleans: fail at every level >= 1
    save_profile(tmp_path / "chip.npz", f01, f10)
    (tmp_path / "chip.json").write_text(json.dumps({"flip01": f01.tolist(), "flip10": f10.tolist()}))
    for name in ("chip.npz", "chip.json"):
        model = FaultySRAMModel(depth=12, width=8, level_bits=4, profile=tmp_path / name)
        g01, g10 = model.fail_levels
        np.testing.assert_array_equal(g01, np.where(f01 == 0, 16, f01))
        np.testing.assert_array_equal(g10, np.where(f10, 1, 16))
        for level in (0, 1, 7, 15):
            fmap = model.fault_map(level)
            np.testing.assert_array_equal(fmap.flip01, (f01 != 0) & (f01 <= level))
            np.testing.assert_array_equal(fmap.flip10, f10 & (level >= 1))


@pytest.mark.parametrize("content,fragment", [
    ({"flip01": np.zeros((4, 3), int)}, "missing flip10"),
    ({"flip01": np.zeros((4, 3), int), "flip10": np.zeros((4, 3), int), "x": np.zeros(1)},
     "unexpected x"),
    ({"flip01": np.zeros((4, 2), int), "flip10": np.zeros((4, 3), int)},
     r"flip01 must have shape \(4, 3\)( \(depth, width\))?, not \(4, 2\)"),
    ({"flip01": np.zeros((4, 3)), "flip10": np.zeros((4, 3), int)}, "must hold bools or integers"),
    ({"flip01": np.full((4, 3), 16), "flip10": np.zeros((4, 3), int)},
     r"values must be in 0\.\.15 .* found 16"),
    ({"flip01": np.full((4, 3), -1), "flip10": np.zeros((4, 3), int)}, "found -1"),
])
def test_malformed_or_missized_profiles_are_refused(tmp_path, content, fragment):
    path = tmp_path / "bad.npz"
    np.savez(path, **content)
    with pytest.raises(ParameterError, match=fragment):
        FaultySRAMModel(depth=4, width=3, level_bits=4, profile=path)


@pytest.mark.parametrize("name,text,fragment", [
    ("a.json", "{not json", "is unreadable"),
    ("a.json", "[1, 2]", "must hold a JSON object"),
    ("a.json", '{"flip01": [[1, 2], [3]], "flip10": [[0, 0, 0]]}', "must be 4 lists of 3 values"),
    ("a.npz", "this is no zip file", "is unreadable"),
    ("a.npz", "PK\x03\x04 a zip file cut short", "is unreadable"),
    ("a.txt", "1", "must end in .npz or .json"),
    ("a.npz", "", "is empty"),
])
def test_unreadable_profiles_are_refused(tmp_path, name, text, fragment):
    (tmp_path / name).write_text(text)
    with pytest.raises(ParameterError, match=fragment):
        load_profile(tmp_path / name, 4, 3, 4)
    with pytest.raises(ParameterError, match="does not exist"):
        load_profile(tmp_path / "missing.npz", 4, 3, 4)


# --- bad parameters and inputs ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs,fragment", [
    ({"depth": 0}, r"depth must be in 1\.\.65536, not 0"),
    ({"depth": -3}, r"depth must be in 1\.\.65536"),
    ({"width": 0}, r"width must be in 1\.\.64, not 0"),
    ({"width": 65}, r"width must be in 1\.\.64"),
    ({"level_bits": 3}, r"level_bits must be in 4\.\.16"),
    ({"p_err": 1.5}, r"^p_err must be in 0\.\.1, not 1\.5"),
    ({"p_err": -0.1}, r"^p_err must be in 0\.\.1"),
    ({"p_err": float("nan")}, r"^p_err must be a finite number"),
    ({"p01": 2}, r"^p01 must be in 0\.\.1"),
    ({"p01": "half"}, "^p01 must be a finite number"),
    ({"mode": "melt"}, "mode must be one of flip, stuck"),
    ({"pattern": "rows"}, "pattern must be one of random, column"),
    ({"seed": -1}, "seed must be in"),
    ({"profile": 3}, "profile must be a file path"),
])
def test_bad_parameters_name_the_parameter(kwargs, fragment):
    with pytest.raises(ParameterError, match=fragment):
        FaultySRAMModel(**kwargs)


def test_a_level_beyond_the_port_is_refused():
    model = FaultySRAMModel(depth=8, width=8, level_bits=4)
    with pytest.raises(ParameterError, match=r"level must be in 0\.\.15, not 16"):
        model.fault_map(16)
    with pytest.raises(ParameterError, match="level must be in 0..15"):
        model.fault_map(-1)
    stim = random_stim(50, 8, 8, 4, 0)
    stim["level"][20, 0] = 16
    with pytest.raises(ParameterError, match=r"level must be in 0\.\.15 .*not 16 in cycle 20"):
        model.run(stim)


@pytest.mark.parametrize("argv,fragment", [
    (["generate", "faulty_sram", "-p", "depth=0"], "depth must be in 1..65536, not 0"),
    (["generate", "faulty_sram", "-p", "width=-2"], "width must be in 1..64"),
    (["generate", "sram", "-p", "width=0"], "width must be in 1..64"),
    (["generate", "faulty_sram", "-p", "p_err=1.5"], "p_err must be in 0..1, not 1.5"),
    (["generate", "faulty_sram", "-p", "p01=-0.5"], "p01 must be in 0..1"),
    (["generate", "faulty_sram", "-p", "p_err=0.001"], "p_err is held in steps of 1/256 in "
                                                      "hardware; 0.001 is not a multiple"),
    (["generate", "faulty_sram", "-p", "level_bits=40"], "level_bits must be in 4..16"),
    (["generate", "faulty_sram", "-p", "profile=/nonexistent/map.npz"], "does not exist"),
    (["analyze", "faults", "--level", "4096"], "level must be in 0..4095"),
    (["analyze", "faults", "--p", "1.5"], "p must be in [0, 1]"),
])
def test_cli_reports_bad_input_in_one_line_with_status_2(capsys, tmp_path, argv, fragment):
    assert main([*argv, *(["-o", str(tmp_path)] if argv[0] == "generate" else [])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stochhw: error: ") and fragment in err and err.count("\n") == 1


def test_cli_refuses_a_missized_profile(capsys, tmp_path):
    path = tmp_path / "chip.npz"
    save_profile(path, np.zeros((8, 4), bool), np.zeros((8, 4), bool))
    assert main(["generate", "faulty_sram", "-p", f"profile={path}", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "flip01 must have shape (512, 64)" in err and "not (8, 4)" in err


def test_the_manifest_records_the_probability_the_hardware_holds(tmp_path):
    out = tmp_path / "out"
    assert main(["generate", "faulty_sram", "-p", "depth=8", "-p", "width=4", "-p",
                 "p_err=0.24999999999999994", "-o", str(out)]) == 0
    manifest = json.loads((out / "faulty_sram.json").read_text())
    assert manifest["params"]["p_err"] == 0.25


# --- voltage model ----------------------------------------------------------------------------

def test_voltage_model_is_exponential_below_vmin_and_zero_above():
    vm = VoltageModel(vmin=0.8, p_vmin=1e-6, decade=0.04)
    volts = np.linspace(0.5, 1.0, 501)
    p = vm.p(volts)
    assert np.all(p[volts >= 0.8] == 0)
    below = volts < 0.8
    assert np.all(np.diff(p[below]) <= 0)               # falls as the voltage rises
    assert p.max() == 0.5                                # saturates at p_max
    # One decade per 0.04 V, anchored at p_vmin: log-linear between the ends.
    assert vm.p(0.76) == pytest.approx(1e-5) and vm.p(0.72) == pytest.approx(1e-4)
    assert vm.voltage(1e-4) == pytest.approx(0.72)
    assert vm.voltage(0.0) == 0.8 and vm.voltage(1e-7) == 0.8


def test_energy_is_quadratic_and_one_at_vmin():
    vm = VoltageModel(vmin=0.9)
    assert vm.energy(0.9) == 1.0
    assert vm.energy(0.45) == pytest.approx(0.25)
    assert vm.energy(np.array([0.9, 0.81])).tolist() == pytest.approx([1.0, 0.81])


def test_fit_recovers_the_parameters_of_exact_points():
    truth = VoltageModel(vmin=1.1, p_vmin=3e-6, decade=0.07)
    volts = np.array([0.8, 0.9, 0.95, 1.0, 1.05])
    fitted = VoltageModel.fit(volts, truth.p(volts), vmin=1.1)
    assert fitted.p_vmin == pytest.approx(3e-6, rel=1e-9)
    assert fitted.decade == pytest.approx(0.07, rel=1e-9)
    with pytest.raises(ParameterError, match="at least two points"):
        VoltageModel.fit([0.9], [0.01], vmin=1.0)
    with pytest.raises(ParameterError, match="below vmin"):
        VoltageModel.fit([0.9, 1.2], [0.01, 0.001], vmin=1.0)
    with pytest.raises(ParameterError, match="must fall as the voltage rises"):
        VoltageModel.fit([0.8, 0.9], [0.001, 0.01], vmin=1.0)
    with pytest.raises(ParameterError, match=r"rates must be in \[0, 1\]"):
        VoltageModel.fit([0.8, 0.9], [1.5, 0.01], vmin=1.0)


def test_rate_and_level_map_both_ways():
    assert p_to_level(0.01, 12) == 41 and level_to_p(41, 12) == 41 / 4096
    assert p_to_level(0.0, 8) == 0 and p_to_level(1.0, 8) == 255   # the top of the port
    levels = np.arange(4096)
    np.testing.assert_array_equal(p_to_level(level_to_p(levels, 12), 12), levels)
    with pytest.raises(ParameterError, match=r"p must be in \[0, 1\]"):
        p_to_level(1.01, 8)
    with pytest.raises(ParameterError, match=r"level must be an integer in 0\.\.255"):
        level_to_p(256, 8)
    with pytest.raises(ParameterError, match="p must be <= p_max"):
        VoltageModel().voltage(0.9)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"vmin": 0}, "vmin must be > 0"), ({"p_vmin": 0}, "p_vmin must be > 0"),
    ({"p_vmin": 0.6}, "p_vmin must be below p_max"), ({"decade": -1}, "decade must be > 0"),
    ({"p_max": 1.5}, "p_max must be <= 1"), ({"vmin": float("inf")}, "vmin must be a finite"),
])
def test_voltage_model_refuses_bad_parameters(kwargs, fragment):
    with pytest.raises(ParameterError, match=fragment):
        VoltageModel(**kwargs)


# --- stochhw analyze faults -------------------------------------------------------------------

def test_analyze_faults_writes_the_same_bytes_twice_and_finds_nested_exact_chips(capsys, tmp_path):
    assert main(["analyze", "faults", "--chips", "2", "--out", str(tmp_path / "a"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert main(["analyze", "faults", "--chips", "2", "--out", str(tmp_path / "b")]) == 0
    assert "## Subset property" in capsys.readouterr().out
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["ber_level.png", "fault_maps.png", "faults.json", "faults.md", "voltage.png"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    sub = result["subset_check"]
    assert sub["violations"] == 0 and sub["read_back_violations"] == 0
    assert sub["level0_mismatches"] == 0 and sub["level0_words_read"] > 0
    assert all(r["flip_within_band"] and r["stuck_within_band"] for r in result["ber_vs_level"])
    column = result["fault_maps"]["column"]
    assert column["columns_with_faults"] < result["fault_maps"]["random"]["columns_with_faults"]


def test_regression_cases_exercise_faults_reads_and_writes():
    """The co-simulated cases are only as good as their stimulus: it must write and read, hit
    out-of-range addresses where there are some, and show faults (model vs plain memory)."""
    from stochhw.sim.designs import get_design
    from stochhw.testbench.stimuli import make_stimulus
    design = get_design("faulty_sram")
    for case in design.regress_cases:
        params = design.resolve(case)
        ports = design.ports(params)
        stim = make_stimulus(ports, 20_000, 2026, design.stimulus_hints.get("densities"))
        faulty = design.golden(params).run(stim)["r_data"][:, 0]
        plain = SRAMModel(depth=params["depth"], width=params["width"]).run(stim)["r_data"][:, 0]
        assert 0.3 < stim["w_en"].mean() < 0.7 and 0.3 < stim["r_en"].mean() < 0.7
        assert np.count_nonzero(plain) > 5000                        # data comes back
        differ = np.count_nonzero(faulty != plain) / np.count_nonzero(plain)
        assert 0.05 < differ < 1.0, (case, differ)                    # faults, not noise only


@pytest.mark.parametrize("family,params,blocks,cell", [
    ("ecp5", {"depth": 512, "width": 16}, 1.0, "DP16KD"),        # 512 x 18 fits one block
    ("ice40", {"depth": 256, "width": 16}, 1.0, "SB_RAM40_4K"),  # 256 x 16 fits one block
])
def test_synthesis_counts_the_block_ram_of_the_plain_sram(tmp_path, family, params, blocks, cell):
    from stochhw.sim.flows.generate import generate
    from stochhw.sim.flows.synth import synthesize
    result = synthesize(generate("sram", params), family, tmp_path)
    assert result.cells_by_type[cell] == 1 and result.bram == blocks and result.lutram == 0
    assert result.to_json()["bram"] == blocks
