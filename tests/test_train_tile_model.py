# amaranth: UnusedElaboratable=no
# (components built with bad parameters to check they are refused are never elaborated)
"""train_tile: the model against a cycle-by-cycle reference and NumPy matrix products written
here, the statistics of its rounding stage, parameter checks, and the component in Amaranth's
simulator."""

import numpy as np
import pytest

from stochhw.hw.train_tile import TrainTile
from stochhw.models.bits import to_raw, to_signed
from stochhw.models.checks import ParameterError
from stochhw.models.extractor import GFRoundingSpec
from stochhw.models.sru import SRUArraySpec
from stochhw.models.train_tile import TrainTileModel, TrainTileSpec
from stochhw.sim.cli import main
from stochhw.sim.designs import get_design
from stochhw.testbench.amaranth_sim import run_amaranth
from stochhw.testbench.check import compare_outputs
from stochhw.testbench.stimuli import make_stimulus

DESIGN = get_design("train_tile")


# --- plain references -------------------------------------------------------------------------

def ref_accumulators(stim, rows, cols):
    """acc(i, j) in every cycle, stepping every register of the documented dataflow once a cycle:
    a moves right, b moves down, (clr, en) enters a shift register whose stage i + j drives
    PE(i, j), and acc <= (clr ? 0 : acc) + (en ? a * b : 0), wrapping at 16 bits."""
    a_reg = [[0] * cols for _ in range(rows)]
    b_reg = [[0] * cols for _ in range(rows)]
    ctrl = [(0, 0)] * (rows + cols - 1)
    acc = [[0] * cols for _ in range(rows)]
    out = []
    for t in range(len(stim["rst"])):
        out.append([acc[i][j] for i in range(rows) for j in range(cols)])
        if stim["rst"][t, 0]:
            a_reg = [[0] * cols for _ in range(rows)]
            b_reg = [[0] * cols for _ in range(rows)]
            ctrl = [(0, 0)] * (rows + cols - 1)
            acc = [[0] * cols for _ in range(rows)]
            continue
        a_in = [int(to_signed(v, 8)) for v in stim["a"][t]]
        b_in = [int(to_signed(v, 8)) for v in stim["b"][t]]
        new_acc = [[0] * cols for _ in range(rows)]
        for i in range(rows):
            for j in range(cols):
                clr, en = ctrl[i + j]
                total = (0 if clr else acc[i][j]) + (a_reg[i][j] * b_reg[i][j] if en else 0)
                new_acc[i][j] = int(to_signed(total & 0xFFFF, 16))
        a_reg = [[a_in[i]] + a_reg[i][:-1] for i in range(rows)]
        b_reg = [b_in] + b_reg[:-1]
        ctrl = [(int(stim["clr"][t, 0]), int(stim["en"][t, 0]))] + ctrl[:-1]
        acc = new_acc
    return np.array(out, dtype=np.int64)


def skewed_jobs(jobs, tail):
    """Stimulus for matrix products ``A @ B`` fed back to back, skewed as documented.

    ``jobs``: list of (A, B), A of shape (rows, K), B of shape (K, cols), int8 values. Cycle 0
    is a reset; step k of the whole stream enters in cycle 1 + k: its clr/en unskewed, row i's
    activation in cycle 1 + k + i, column j's weight in cycle 1 + k + j.
    Returns the stimulus and, for every job, the cycle in which its last step entered.
    """
    rows, cols = jobs[0][0].shape[0], jobs[0][1].shape[1]
    a_all = np.concatenate([a for a, _ in jobs], axis=1)        # (rows, steps)
    b_all = np.concatenate([b for _, b in jobs], axis=0)        # (steps, cols)
    steps = a_all.shape[1]
    cycles = 1 + steps + rows + cols + tail
    stim = {name: np.zeros((cycles, n), dtype=np.uint64)
            for name, n in (("rst", 1), ("a", rows), ("b", cols), ("clr", 1), ("en", 1))}
    stim["rst"][0] = 1
    for k in range(steps):
        for i in range(rows):
            stim["a"][1 + k + i, i] = to_raw(a_all[i, k], 8)
        for j in range(cols):
            stim["b"][1 + k + j, j] = to_raw(b_all[k, j], 8)
        stim["en"][1 + k] = 1
    last, start = [], 1
    for a, _ in jobs:
        stim["clr"][start] = 1
        start += a.shape[1]
        last.append(start - 1)
    return stim, last


def random_jobs(rng, rows, cols, lengths, even=False):
    jobs = []
    for k in lengths:
        a = rng.integers(-128, 128, (rows, k))
        if even:
            a = a & ~1
        jobs.append((a, rng.integers(-128, 128, (k, cols))))
    return jobs


def wrapped(values):
    return to_signed(np.asarray(values) & 0xFFFF, 16)


# --- the MAC array ----------------------------------------------------------------------------

@pytest.mark.parametrize("rows,cols", [(1, 1), (1, 5), (5, 1), (3, 4), (4, 4)])
def test_accumulators_match_the_cycle_by_cycle_reference(rows, cols, monkeypatch):
    params = DESIGN.resolve({"rows": rows, "cols": cols})
    stim = make_stimulus(DESIGN.ports(params), 900, seed=rows * 10 + cols, **DESIGN.stimulus_hints)
    expected = ref_accumulators(stim, rows, cols)
    model = TrainTileModel(rows=rows, cols=cols)
    np.testing.assert_array_equal(to_signed(model.accumulators(stim), 16), expected)
    # Tiny blocks: every block boundary must carry the running sums over exactly.
    monkeypatch.setattr(TrainTileModel, "BLOCK", 3)
    np.testing.assert_array_equal(to_signed(model.accumulators(stim), 16), expected)


def test_stimulus_hints_make_sums_build_up_over_many_cycles():
    params = DESIGN.resolve({"rows": 3, "cols": 4})
    stim = make_stimulus(DESIGN.ports(params), 20_000, seed=1, **DESIGN.stimulus_hints)
    random_part = stim["clr"][5000:, 0]
    assert 1 / 64 < random_part.mean() < 1 / 16
    acc = to_signed(TrainTileModel(rows=3, cols=4).accumulators(stim), 16)
    # Sums of dozens of products spread over the whole 16-bit range (and wrap).
    assert np.abs(acc[5000:]).max() > 30_000 and np.abs(acc[5000:]).mean() > 8000


@pytest.mark.parametrize("rows,cols,lengths", [
    (3, 4, [5, 7, 1]), (1, 1, [3, 4]), (4, 2, [1, 1, 6]), (2, 5, [9]),
])
def test_tile_computes_matrix_products_back_to_back(rows, cols, lengths):
    rng = np.random.default_rng(rows * 100 + cols)
    jobs = random_jobs(rng, rows, cols, lengths)
    stim, last = skewed_jobs(jobs, tail=3)
    acc = to_signed(TrainTileModel(rows=rows, cols=cols).accumulators(stim), 16)
    for (a, b), end in zip(jobs, last):
        product = wrapped(a @ b)                          # the reference: a matrix product
        for i in range(rows):
            for j in range(cols):
                # Documented: the job's sum is in acc(i, j) in cycle (last step) + i + j + 2.
                assert acc[end + i + j + 2, i * cols + j] == product[i, j], (i, j, end)


# --- the rounding stage -----------------------------------------------------------------------

@pytest.mark.parametrize("rows,cols,routing", [(3, 4, "static"), (2, 2, "static"), (3, 3, "runtime")])
def test_an_all_zero_random_source_rounds_down(rows, cols, routing):
    """Even activations make every accumulator even, so every LSB the generator-free stage
    draws is 0: rnd = 0 and each result is floor(A @ B / 2^8) exactly."""
    rng = np.random.default_rng(7)
    jobs = random_jobs(rng, rows, cols, [6, 3, 8], even=True)
    stim, last = skewed_jobs(jobs, tail=4)
    if routing == "runtime":
        for port in ("cfg_en", "cfg_addr", "cfg_data"):
            stim[port] = np.zeros_like(stim["rst"])
    model = TrainTileModel(rows=rows, cols=cols, rounding="generator_free", routing=routing)
    acc = to_signed(model.accumulators(stim), 16)
    y = to_signed(model.run(stim)["y"], 8)
    np.testing.assert_array_equal(y[1:], acc[:-1] >> 8)           # floor, every cycle
    for (a, b), end in zip(jobs, last):
        floor = wrapped(a @ b) // 256
        for i in range(rows):
            for j in range(cols):
                assert y[end + i + j + 3, i * cols + j] == floor[i, j]


def test_lfsr_rounding_gives_floor_or_ceiling_and_is_exact_on_multiples_of_256():
    params = DESIGN.resolve({"rows": 4, "cols": 3})
    stim = make_stimulus(DESIGN.ports(params), 5000, seed=3, **DESIGN.stimulus_hints)
    model = TrainTileModel(rows=4, cols=3, rounding="lfsr")
    x = to_signed(model.accumulators(stim), 16)[:-1]
    y = to_signed(model.run(stim)["y"], 8)[1:]
    after_reset = stim["rst"][:-1, 0].astype(bool)
    up = y - (x >> 8)
    top = x > 127 * 256                                           # saturates at 127
    assert np.all(y[top] == 127)
    ok = ~top & ~after_reset[:, None]
    assert set(np.unique(up[ok]).tolist()) == {0, 1}
    assert np.all(up[ok & (x % 256 == 0)] == 0)


def rounding_error(rounding, size, clr_density, cycles=50_000, seed=1, batches=40):
    """Mean of y * 2^8 - acc (units: LSBs of the accumulator) and its standard error.

    Uniform int8 operands on every lane every cycle, a product added every step, a clear with
    probability ``clr_density`` per step. Rounding decisions of nearby cycles are correlated
    (a sum changes by one product a step; the LFSR shifts), so the standard error comes from
    ``batches`` means of consecutive stretches, not from the sample count as if independent.
    Saturating values (acc > 127 * 2^8) are left out.
    """
    rng = np.random.default_rng(seed)
    stim = {"rst": np.zeros((cycles, 1), dtype=np.uint64),
            "a": rng.integers(0, 256, (cycles, size)).astype(np.uint64),
            "b": rng.integers(0, 256, (cycles, size)).astype(np.uint64),
            "clr": (rng.random((cycles, 1)) < clr_density).astype(np.uint64),
            "en": np.ones((cycles, 1), dtype=np.uint64)}
    stim["rst"][0] = 1
    model = TrainTileModel(rows=size, cols=size, rounding=rounding)
    x = to_signed(model.accumulators(stim), 16)[:-1]
    y = to_signed(model.run(stim)["y"], 8)[1:]
    keep = x <= 127 * 256
    keep[:4 * size] = False                                       # pipeline fill after reset
    err = np.where(keep, y * 256 - x, 0)
    parts = np.array_split(np.arange(cycles - 1), batches)
    means = np.array([err[p].sum() / keep[p].sum() for p in parts])
    return err.sum() / keep.sum(), means.std(ddof=1) / np.sqrt(batches), x[keep]


def test_lfsr_rounding_is_unbiased_and_the_test_would_see_a_bias():
    mean, se, x = rounding_error("lfsr", 4, clr_density=1 / 8)
    assert abs(mean) < 5 * se, (mean, se)
    # Its exact bias, (acc mod 2^8) / (2^16 - 1) per decision, is far below what we resolve.
    assert 5 * se > 255 / 65535
    # The same test catches rounding down (an all-zero source), biased by -(acc mod 2^8).
    assert abs(-(x % 256).mean()) > 100 * se


def test_generator_free_rounding_is_unbiased_on_long_accumulations():
    """With no clear, every accumulator is a sum of thousands of products: its LSB is a fair
    coin, and the numbers extracted from LSBs are uniform."""
    mean, se, _ = rounding_error("generator_free", 4, clr_density=0.0)
    assert abs(mean) < 5 * se, (mean, se)


@pytest.mark.parametrize("clr_density", [1 / 8, 1 / 32])
def test_generator_free_bias_follows_the_lsb_balance_of_fresh_sums(clr_density):
    """Right after a clear an accumulator's LSB is biased to 0: a product of uniform int8 values
    is odd with probability 1/4, so a sum of n is odd with probability (1 - 2^-n) / 2. With a
    clear every step with probability q, n is geometric and E[2^-n] = q / (1 + q); the bits
    then average p = (1 - q / (1 + q)) / 2, and to first order the rounding is biased by
    E[rnd] - (2^8 - 1) / 2 = 255 (p - 1/2) LSBs of acc. The LFSR array shows no such bias."""
    mean, se, _ = rounding_error("generator_free", 4, clr_density)
    q = clr_density
    predicted = 255 * ((1 - q / (1 + q)) / 2 - 0.5)
    assert predicted < -5 * se                  # the effect is resolved by this sample ...
    assert abs(mean - predicted) < 5 * se, (mean, predicted, se)   # ... and it is the predicted one
    lfsr_mean, lfsr_se, _ = rounding_error("lfsr", 4, clr_density)
    assert abs(lfsr_mean) < 5 * lfsr_se


# --- parameters and errors --------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ({"rows": 0}, "rows must be in 1..16"),
    ({"rows": 17}, "rows must be in 1..16, not 17"),
    ({"rows": 2.5}, "rows must be an integer"),
    ({"cols": 17}, "cols must be in 0..16, not 17"),
    ({"cols": -1}, "cols must be in 0..16, not -1"),
    ({"rounding": "stochastic"}, "rounding must be one of lfsr, generator_free"),
    ({"rounding": "generator_free", "routing": "dynamic"}, "routing must be one of static, runtime"),
    ({"rounding": "lfsr", "routing": "runtime"}, "routing must be static with rounding=lfsr"),
    ({"rows": 1, "cols": 1, "rounding": "generator_free"}, "rows x cols must give at least 2 PEs"),
    ({"seed": -1}, "seed must be in 0..18446744073709551615"),
])
@pytest.mark.parametrize("cls", [TrainTileModel, TrainTile])
def test_bad_parameters_name_the_parameter(cls, kwargs, message):
    with pytest.raises(ParameterError) as info:
        cls(**kwargs)
    assert str(info.value).startswith(message)


def test_the_spec_derives_the_shape_and_the_rounding_stage():
    square = TrainTileSpec(rows=3)
    assert (square.cols, square.columns, square.lanes, square.diagonals) == (0, 3, 9, 5)
    lfsr = TrainTileSpec(rows=2, cols=3, seed=7).stage
    assert isinstance(lfsr, SRUArraySpec)
    assert (lfsr.lanes, lfsr.source, lfsr.seed, lfsr.in_width, lfsr.out_width) == (6, "lfsr", 7, 16, 8)
    free = TrainTileSpec(rows=2, cols=3, rounding="generator_free", routing="runtime").stage
    assert isinstance(free, GFRoundingSpec) and free.extractor.avoid_own
    assert (free.lanes, free.method, free.reuse, free.routing, free.k) == (6, "multi_lsb", True, "runtime", 8)
    assert TrainTileModel(TrainTileSpec(rows=2)).spec == TrainTileSpec(rows=2, cols=0)


def test_cols_zero_is_a_square_tile_and_ports_follow_the_size():
    params = DESIGN.resolve({"rows": 3})
    ports = {p.name: p for p in DESIGN.ports(params)}
    assert (ports["a"].lanes, ports["b"].lanes, ports["y"].lanes) == (3, 3, 9)
    assert all(ports[n].lane_width == 8 and ports[n].signed for n in ("a", "b", "y"))
    params = DESIGN.resolve({"rows": 2, "cols": 5, "rounding": "generator_free", "routing": "runtime"})
    ports = {p.name: p for p in DESIGN.ports(params)}
    assert (ports["a"].lanes, ports["b"].lanes, ports["y"].lanes) == (2, 5, 10)
    assert ports["cfg_addr"].width == (2 * 5 * 8 - 1).bit_length()


@pytest.mark.parametrize("argv,message", [
    (["generate", "train_tile", "-p", "rows=32"], "rows must be in 1..16, not 32"),
    (["generate", "train_tile", "-p", "cols=20"], "cols must be in 0..16, not 20"),
    (["generate", "train_tile", "-p", "rounding=pcg"], "rounding must be one of lfsr, generator_free"),
    (["generate", "train_tile", "-p", "routing=runtime"], "routing must be static with rounding=lfsr"),
])
def test_cli_errors_are_one_line(capsys, tmp_path, argv, message):
    assert main([*argv, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"stochhw: error: {message}"), err


# --- the component in Amaranth's simulator ----------------------------------------------------

@pytest.mark.parametrize("case", [
    {"rows": 2, "cols": 3, "rounding": "lfsr", "seed": 5},
    {"rows": 3, "cols": 2, "rounding": "generator_free", "routing": "runtime"},
])
def test_component_matches_model_with_the_registry_stimulus_hints(case):
    params = DESIGN.resolve(case)
    component = DESIGN.build(params)
    ports = DESIGN.ports(params, component)
    stim = make_stimulus(ports, 1200, seed=21, **DESIGN.stimulus_hints)
    compare_outputs(ports, stim, DESIGN.golden(params).run(stim), run_amaranth(component, ports, stim),
                    seed=21, latency=DESIGN.latency(params), label=f"train_tile {case}")


def test_component_computes_matrix_products_in_amaranth_simulator():
    rows, cols = 3, 2
    rng = np.random.default_rng(5)
    jobs = random_jobs(rng, rows, cols, [4, 2], even=True)
    stim, last = skewed_jobs(jobs, tail=4)
    params = DESIGN.resolve({"rows": rows, "cols": cols, "rounding": "generator_free"})
    component = DESIGN.build(params)
    y = to_signed(run_amaranth(component, DESIGN.ports(params, component), stim)["y"], 8)
    for (a, b), end in zip(jobs, last):
        floor = wrapped(a @ b) // 256
        for i in range(rows):
            for j in range(cols):
                assert y[end + i + j + 3, i * cols + j] == floor[i, j]
