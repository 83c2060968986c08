"""Quantized weights through ``faulty_sram`` on Icarus and Verilator.

The int8 weights of a small layer are packed eight to a 64-bit word, written into the RTL and
read back at several levels (cocotb per-cycle co-simulation, :func:`stochhw.sim.flows.cosim.run_cosim` with a
directed stimulus, compared bit for bit with the golden model on every cycle). On the words the
RTL returned, the test then checks what the chip promises: level 0 is exact, the bits in error
are nested across levels, and the measured bit error rate is the configured one within a
binomial bound over the bits read.
"""

import math

import numpy as np
import pytest

from stochhw.models.faulty_sram import FaultySRAMModel
from stochhw.sim.flows.cosim import SIMULATORS, run_cosim

pytestmark = pytest.mark.simulator_required

DEPTH, WIDTH, LEVEL_BITS = 64, 64, 8
#: Levels read back, in order: exact, then rising rates (0.4% .. 25%), then exact again.
LEVELS = (0, 1, 4, 13, 26, 64, 0)
SIGMAS = 5.0


def int8_layer_words(seed=5):
    """A 32 x 16 layer of Gaussian weights, quantized to int8 symmetrically (scale = max|w| /
    127, round to nearest), as 64 words of eight weights (weight i of a word at bits 8i..8i+7,
    two's complement)."""
    w = np.random.default_rng(seed).normal(0.0, 0.1, (32, 16))
    q = np.clip(np.rint(w / (np.abs(w).max() / 127)), -127, 127).astype(np.int8)
    return q.reshape(-1).view(np.uint8).reshape(DEPTH, 8).copy().view("<u8")[:, 0].astype(np.uint64)


def stimulus(words, levels, repeats=1):
    """Write ``words`` to addresses 0.., then read every address at each level (``repeats``
    times in a row). Returns the stimulus and the output cycles of each level's reads."""
    n = len(words)
    reads = [level for level in levels for _ in range(repeats)]
    cycles = n + len(reads) * n + 2
    stim = {k: np.zeros((cycles, 1), np.uint64)
            for k in ("rst", "w_en", "w_addr", "w_data", "r_en", "r_addr", "level")}
    stim["rst"][0] = 1
    t = 1 + np.arange(n)
    stim["w_en"][t, 0], stim["w_addr"][t, 0], stim["w_data"][t, 0] = 1, np.arange(n), words
    outs = []
    for i, level in enumerate(reads):
        t = 1 + n + i * n + np.arange(n)
        stim["r_en"][t, 0], stim["r_addr"][t, 0], stim["level"][t, 0] = 1, np.arange(n), level
        outs.append(t + 1)                                  # latency 1
    return stim, outs


def error_bits(read, words):
    """``(len(words), 64)`` booleans: the bits that differ from what was written."""
    diff = np.bitwise_xor(read, words)
    return ((diff[:, None] >> np.arange(WIDTH, dtype=np.uint64)) & np.uint64(1)).astype(bool)


def stored_bits(words):
    return ((words[:, None] >> np.arange(WIDTH, dtype=np.uint64)) & np.uint64(1)).astype(bool)


def within_binomial(count, probs):
    """``count`` errors against independent per-bit probabilities ``probs``: mean and variance
    of their sum (Poisson binomial), ``SIGMAS`` standard deviations plus one bit of slack."""
    probs = np.asarray(probs, dtype=np.float64).ravel()
    mean, sd = probs.sum(), math.sqrt((probs * (1 - probs)).sum())
    return abs(count - mean) <= SIGMAS * sd + 1, mean, sd


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_flip_faults_on_int8_weights_are_nested_and_at_the_configured_rate(simulator):
    params = {"depth": DEPTH, "width": WIDTH, "level_bits": LEVEL_BITS, "mode": "flip",
              "pattern": "random", "seed": 2026}
    words = int8_layer_words()
    stim, outs = stimulus(words, LEVELS)
    result = run_cosim("faulty_sram", params, simulator, seed=2026, mode="percycle",
                       stimulus=stim)
    r_data = result.actual["r_data"][:, 0]
    errors = [error_bits(r_data[out], words) for out in outs]

    assert not errors[0].any() and not errors[-1].any()          # level 0 is exact
    for low, high in zip(errors[1:-2], errors[2:-1]):            # rising levels: nested
        assert not np.any(low & ~high)
    model = FaultySRAMModel(**params)
    for level, err in zip(LEVELS, errors):
        # Flip faults do not depend on the data: the errors are the chip's faulty cells.
        np.testing.assert_array_equal(err, model.fault_map(level).faulty)
        p = level / (1 << LEVEL_BITS)
        ok, mean, sd = within_binomial(int(err.sum()), np.full(err.shape, p))
        assert ok, f"level {level}: {int(err.sum())} bit errors, expected {mean:.1f} ± {sd:.1f}"
    assert errors[-2].sum() > 0.2 * errors[-2].size                # 25%: the test saw faults


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_intermittent_stuck_faults_on_int8_weights_follow_p01_and_p_err(simulator):
    params = {"depth": DEPTH, "width": WIDTH, "level_bits": LEVEL_BITS, "mode": "stuck",
              "pattern": "random", "p01": 0.75, "p_err": 0.5, "seed": 7}
    words = int8_layer_words()
    levels, repeats = (0, 13, 64), 3
    stim, outs = stimulus(words, levels, repeats)
    result = run_cosim("faulty_sram", params, simulator, seed=7, mode="percycle",
                       stimulus=stim)
    r_data = result.actual["r_data"][:, 0]
    model = FaultySRAMModel(**params)
    ones = stored_bits(words)
    p01, p_err = params["p01"], params["p_err"]      # multiples of 1/256: held exactly
    for i, level in enumerate(levels):
        fmap = model.fault_map(level)
        reads = [error_bits(r_data[out], words) for out in outs[i * repeats:(i + 1) * repeats]]
        for err in reads:
            # An error only where a stuck cell holds the other value.
            assert not np.any(err & ~np.where(ones, fmap.stuck_at_zero, fmap.stuck_at_one))
        if level == 0:
            assert not any(err.any() for err in reads)
            continue
        # The same cells read three times: intermittent faults differ from read to read.
        assert any(np.any(a != b) for a, b in zip(reads, reads[1:]))
        # Each read on its own: a bit errs if its cell is faulty (level / 2^L), stuck at the
        # other value (p01 for a stored 0, 1 - p01 for a stored 1) and the fault shows on this
        # read (p_err), independently from bit to bit.
        p = level / (1 << LEVEL_BITS) * p_err * np.where(ones, 1 - p01, p01)
        for err in reads:
            ok, mean, sd = within_binomial(int(err.sum()), p)
            assert ok, f"level {level}: {int(err.sum())} bit errors, expected {mean:.1f} ± {sd:.1f}"
        # Given the cells that can err, each read shows their fault with probability p_err.
        can_err = np.where(ones, fmap.stuck_at_zero, fmap.stuck_at_one)
        shown = int(sum(err[can_err].sum() for err in reads))
        ok, mean, sd = within_binomial(shown, np.full(repeats * int(can_err.sum()), p_err))
        assert ok, f"level {level}: {shown} of {repeats * int(can_err.sum())} faults shown, expected {mean:.1f} ± {sd:.1f}"
