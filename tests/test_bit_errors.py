"""Tests for stochhw.models.ml.bit_errors: a per-bit reference, the subset property, binomial flip rates."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.ml.bit_errors import (
    CHIP_DOMAIN,
    Chips,
    FaultModel,
    MemoryLayout,
    apply_masks,
    chip_seeds,
    inject,
    weight_masks,
)
from stochhw.models.ml.quantization import BITS, quantize

#: Standard deviations allowed between a measured count and its binomial mean. The tests are
#: seeded, so they either always pass or always fail; a correct model fails one with
#: probability about 6e-7 per check.
Z = 5.0


def binomial_ok(count, n, p):
    return abs(count - n * p) <= Z * math.sqrt(n * p * (1 - p)) + 1e-9


def ref_read(bits, m, p, u, v, rank, model, row_bits):
    """Read every stored pattern of one chip bit by bit, straight from the documented rules."""
    per_row = row_bits // m
    weak_count = round(model.weak_columns * row_bits)
    out = []
    for i, pattern in enumerate(int(b) for b in bits):
        read = 0
        for j in range(m):
            row, col = i // per_row, (i % per_row) * m + j
            bit = (pattern >> j) & 1
            if model.kind == "random":
                new = bit ^ (u[row, col] <= p)
            elif model.kind == "column":
                c = model.concentration
                gain = (1 - c) + c / model.weak_columns if rank[col] < weak_count else 1 - c
                new = bit ^ (u[row, col] <= min(1.0, p * gain))
            else:  # stuck
                new = (1 if v[row, col] <= model.p01 else 0) if u[row, col] <= p else bit
            read |= int(new) << j
        out.append(read)
    return out


@pytest.mark.parametrize("m", BITS)
@pytest.mark.parametrize("model", [FaultModel(), FaultModel("column"),
                                   FaultModel("column", weak_columns=0.25, concentration=0.5),
                                   FaultModel("stuck", p01=0.3)], ids=lambda f: f.label)
def test_inject_matches_per_bit_reference(m, model):
    rng = np.random.default_rng(m)
    n, row_bits = 150, 16
    bits = rng.integers(0, 1 << m, n).astype(np.uint8)
    seeds = [7, 8]
    layout = MemoryLayout(n, m, row_bits)
    chips = Chips.for_layout(seeds, layout)
    for p in (0.0, 0.05, 0.3, 1.0):
        got = inject(bits, m, p, chips, model)
        assert got.shape == (2, n) and got.dtype == np.uint8
        for c in range(2):
            want = ref_read(bits, m, p, chips.u[c], chips.v[c], chips.rank[c], model, row_bits)
            np.testing.assert_array_equal(got[c], want, err_msg=f"chip {seeds[c]}, p={p}")


def test_chip_draws_follow_the_documented_streams_and_do_not_depend_on_size():
    small, large = Chips([5, 6], 3, 64), Chips([5, 6], 40, 64)
    np.testing.assert_array_equal(small.u, large.u[:, :3])
    np.testing.assert_array_equal(small.v, large.v[:, :3])
    np.testing.assert_array_equal(small.rank, large.rank)
    streams = np.random.SeedSequence([CHIP_DOMAIN, 6]).spawn(3)
    np.testing.assert_array_equal(large.u[1], 1.0 - np.random.default_rng(streams[0]).random((40, 64)))
    order = np.random.default_rng(streams[2]).permutation(64)
    np.testing.assert_array_equal(order[large.rank[1]], np.arange(64))
    assert np.all((large.u > 0) & (large.u <= 1))
    assert not np.array_equal(large.u[0], large.u[1])          # chips differ


def test_layout_packs_weights_into_rows():
    layout = MemoryLayout(100, 3, 64)
    assert layout.per_row == 21 and layout.rows == 5
    assert layout.cell(0, 0) == (0, 0) and layout.cell(20, 2) == (0, 62) and layout.cell(21, 0) == (1, 0)
    # weight_masks gathers exactly the cells of each weight.
    cells = np.zeros((layout.rows, 64), bool)
    cells[layout.cell(42, 1)] = True
    masks = weight_masks(cells, layout)
    assert masks[42] == 0b010 and np.count_nonzero(masks) == 1


@pytest.mark.parametrize("model", [FaultModel(), FaultModel("column"), FaultModel("stuck", p01=0.7)],
                         ids=lambda f: f.kind)
def test_errors_at_a_lower_rate_are_a_subset(model):
    chips = Chips(chip_seeds(3, 4), 64, 64)
    ps = [0.0, 1e-3, 0.01, 0.02, 0.1, 0.5, 1.0]
    maps = [chips.cell_maps(p, model) for p in ps]
    for (lo01, lo10), (hi01, hi10) in zip(maps, maps[1:]):
        assert not np.any(lo01 & ~hi01) and not np.any(lo10 & ~hi10)
    # ... and so are the changed bits of any stored data.
    bits = np.random.default_rng(0).integers(0, 256, 64 * 8).astype(np.uint8)
    changed = [inject(bits, 8, p, chips, model) ^ bits for p in ps]
    for lo, hi in zip(changed, changed[1:]):
        assert not np.any(lo & ~hi)


@pytest.mark.parametrize("p", [1e-3, 0.01, 0.1, 0.5])
def test_random_flip_rate_is_binomial(p):
    chips = Chips(chip_seeds(1, 10), 250, 64)
    bits = np.zeros(250 * 8, np.uint8)
    faulty = inject(bits, 8, p, chips)
    n = faulty.size * 8
    count = int(np.unpackbits(faulty).sum())
    assert binomial_ok(count, n, p), (count, n * p)
    # Every bit position and 0 -> 1 / 1 -> 0 alike: all-ones data loses bits at the same rate.
    ones = inject(np.full(250 * 8, 255, np.uint8), 8, p, chips)
    assert int(np.unpackbits(~ones).sum()) == count              # the same cells, mirrored
    per_bit = np.unpackbits(faulty[..., None], axis=-1).sum(axis=(0, 1))
    for c in per_bit:
        assert binomial_ok(int(c), n // 8, p)


def test_column_map_puts_the_faults_in_weak_columns_at_the_mean_rate():
    p, model = 0.01, FaultModel("column")                     # 8 of 64 columns at 8p, others 0
    chips = Chips(chip_seeds(2, 10), 500, 64)
    flips, same = chips.cell_maps(p, model)
    assert flips is same
    weak = chips.rank < 8
    assert not np.any(flips & ~weak[:, None, :])
    n_weak = int(weak.sum()) * 500
    assert binomial_ok(int(flips.sum()), n_weak, 8 * p)
    # Partial concentration: every column errs, weak ones at (1 - c) + c / f times the rate.
    model = FaultModel("column", weak_columns=0.25, concentration=0.5)
    flips, _ = chips.cell_maps(p, model)
    weak = chips.rank < 16
    assert binomial_ok(int(flips[np.broadcast_to(weak[:, None, :], flips.shape)].sum()),
                       int(weak.sum()) * 500, p * 2.5)
    assert binomial_ok(int(flips[np.broadcast_to(~weak[:, None, :], flips.shape)].sum()),
                       int((~weak).sum()) * 500, p * 0.5)


@pytest.mark.parametrize("p01", [0.0, 0.25, 1.0])
def test_stuck_cells_only_change_bits_that_differ_from_their_value(p01):
    p, model = 0.05, FaultModel("stuck", p01=p01)
    chips = Chips(chip_seeds(4, 10), 250, 64)
    n = 10 * 250 * 64
    zeros = inject(np.zeros(2000, np.uint8), 8, p, chips, model)
    ones = inject(np.full(2000, 255, np.uint8), 8, p, chips, model)
    up, down = int(np.unpackbits(zeros).sum()), int(np.unpackbits(~ones).sum())
    # A cell is faulty with probability p and stuck at 1 with probability p01, independently.
    assert binomial_ok(up, n, p * p01) and binomial_ok(down, n, p * (1 - p01))
    if p01 in (0.0, 1.0):
        assert (up if p01 == 0 else down) == 0


def test_rate_zero_reads_back_exactly_and_rate_one_inverts():
    bits = np.random.default_rng(1).integers(0, 16, 300).astype(np.uint8)
    np.testing.assert_array_equal(inject(bits, 4, 0.0, [1, 2])[1], bits)
    np.testing.assert_array_equal(inject(bits, 4, 1.0, [1, 2])[0], bits ^ 0xF)
    np.testing.assert_array_equal(inject(bits, 4, 1.0, [1], FaultModel("stuck", p01=1.0))[0], 0xF)


def test_profiled_map_is_tiled_over_rows():
    flip01 = np.zeros((2, 8), bool)
    flip10 = np.zeros((2, 8), bool)
    flip01[0, 3] = True                                        # row 0, column 3: 0 -> 1
    flip10[1, :] = True                                        # row 1: every 1 -> 0
    model = FaultModel("profiled", flip01=flip01, flip10=flip10)
    bits = np.array([0x00, 0xFF, 0x00, 0xFF], np.uint8)       # one 8-bit weight per row
    got = inject(bits, 8, 0.5, Chips([0], 4, 8), model)[0]
    np.testing.assert_array_equal(got, [0x08, 0x00, 0x08, 0x00])


@pytest.mark.parametrize("mode,pattern", [("flip", "random"), ("stuck", "column")])
def test_a_faulty_sram_chip_as_profiled_map_reads_like_the_sram_model(mode, pattern):
    from stochhw.models.faulty_sram import FaultySRAMModel
    sram = FaultySRAMModel(depth=64, width=64, level_bits=8, mode=mode, pattern=pattern,
                           p01=0.25, seed=3)
    level = 40                                                  # cell fault rate 40/256
    bits = np.random.default_rng(2).integers(0, 256, 64 * 8).astype(np.uint8)
    mine = inject(bits, 8, 0.0, Chips([0], 64, 64), FaultModel.from_fault_map(sram.fault_map(level)))[0]
    # Row r of the memory image is the 64-bit word at address r, weight k of the row in bits 8k..8k+7.
    words = (bits.reshape(64, 8).astype(np.uint64) << (8 * np.arange(8, dtype=np.uint64))).sum(
        axis=1, dtype=np.uint64)
    theirs = sram.read_faulty(words, np.arange(64), np.full(64, level))
    read = ((theirs[:, None] >> (8 * np.arange(8, dtype=np.uint64))) & np.uint64(255)).astype(np.uint8)
    np.testing.assert_array_equal(mine, read.ravel())
    assert np.any(mine != bits)


def test_signed_and_unsigned_encodings_fail_alike_under_random_flips_only():
    w = np.random.default_rng(5).normal(0, 0.1, 640)
    signed, unsigned = quantize(w, 8, "asymmetric"), quantize(w, 8, "asymmetric_unsigned")
    np.testing.assert_array_equal(signed.dequantize(), unsigned.dequantize())
    chips = Chips(chip_seeds(5, 3), 80, 64)
    for model, same in ((FaultModel(), True), (FaultModel("column"), True),
                        (FaultModel("stuck", p01=1.0), False)):
        a = signed.dequantize(inject(signed.bits, 8, 0.05, chips, model))
        b = unsigned.dequantize(inject(unsigned.bits, 8, 0.05, chips, model))
        assert np.array_equal(a, b) == same, model.label


def test_apply_masks_is_the_documented_formula():
    b = np.arange(256, dtype=np.uint8)
    m01, m10 = np.uint8(0b1010_0101), np.uint8(0b0110_0011)
    want = [sum((((x >> j) & 1) ^ ((((x >> j) & 1) == 0 and (m01 >> j) & 1) or
                                     (((x >> j) & 1) == 1 and (m10 >> j) & 1))) << j
                for j in range(8)) for x in range(256)]
    np.testing.assert_array_equal(apply_masks(b, m01, m10, 8), want)


@pytest.mark.parametrize("call,fragment", [
    (lambda: inject(np.zeros(4, np.uint8), 8, -0.1, [1]), "p must be a probability in"),
    (lambda: inject(np.zeros(4, np.uint8), 8, 1.5, [1]), "p must be a probability in"),
    (lambda: inject(np.zeros(4, np.uint8), 8, float("nan"), [1]), "p must be a probability"),
    (lambda: inject(np.zeros(4, np.uint8), 8, True, [1]), "p must be a probability"),
    (lambda: inject(np.zeros(4, np.uint8), 6, 0.1, [1]), "m must be one of"),
    (lambda: inject(np.full(4, 16, np.uint8), 4, 0.1, [1]), "bits must hold 4-bit patterns"),
    (lambda: inject(np.zeros(4, np.uint8), 8, 0.1, []), "seeds must name at least one chip"),
    (lambda: inject(np.zeros(4, np.uint8), 8, 0.1, [-1]), "seed must be >= 0"),
    (lambda: FaultModel("burst"), "kind must be one of"),
    (lambda: FaultModel("stuck", p01=2), "p01 must be a probability"),
    (lambda: FaultModel("column", weak_columns=0), "weak_columns must be in"),
    (lambda: FaultModel("profiled"), "flip01 is required"),
    (lambda: FaultModel("profiled", flip01=np.zeros(8), flip10=np.zeros(8)), "flip01 must be a non-empty 2-D"),
    (lambda: FaultModel("profiled", flip01=np.full((2, 8), 2), flip10=np.zeros((2, 8))), "flip01 must hold only 0 and 1"),
    (lambda: FaultModel("profiled", flip01=np.zeros((2, 8)), flip10=np.zeros((3, 8))), "must have one shape"),
    (lambda: inject(np.zeros(4, np.uint8), 8, 0.1, [1], FaultModel(
        "profiled", flip01=np.zeros((2, 8)), flip10=np.zeros((2, 8)))), "must have 64 columns"),
    (lambda: chip_seeds(1, 0), "chips must be in 1..999"),
])
def test_bad_input_names_the_parameter(call, fragment):
    with pytest.raises(ParameterError, match=fragment):
        call()
