"""sng and the shared comparator-generator rules (stochhw.models.sc_stream): encodings, sources, errors."""

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_step
from stochhw.models.sc_stream import check_monotone, padded_table, probability_thresholds
from stochhw.models.seeds import lane_seeds
from stochhw.models.sng import SNGModel
from stochhw.sim.designs import get_design


def _stim(cycles, **ports):
    stim = {name: np.asarray(v, dtype=np.uint64).reshape(cycles, -1) for name, v in ports.items()}
    stim["rst"] = np.zeros((cycles, 1), dtype=np.uint64)
    return stim


def _all_random_numbers(model, codes, bits):
    """Stream bits of every code (one lane each) for every random number 0 .. 2^bits - 1."""
    size = 1 << bits
    rnd = np.tile(np.append(np.arange(size), 0)[:, None], (1, codes.size))
    stim = _stim(size + 1, x=np.tile(codes, (size + 1, 1)), entropy=rnd)
    return model.run(stim)["y"][1:]                  # row t: the bit made from rnd = t


@pytest.mark.parametrize("bits", [1, 4, 8])
def test_unipolar_probability_is_code_over_2_to_bits_for_uniform_entropy(bits):
    codes = np.arange(1 << bits)
    y = _all_random_numbers(SNGModel(lanes=codes.size, bits=bits, source="port"), codes, bits)
    np.testing.assert_array_equal(y.mean(axis=0), codes / (1 << bits))


@pytest.mark.parametrize("bits", [2, 5, 8])
def test_bipolar_probability_is_one_plus_value_over_two(bits):
    half = 1 << (bits - 1)
    values = np.arange(-half, half)                  # signed codes c, v = c / 2^(bits-1)
    raw = values & ((1 << bits) - 1)
    model = SNGModel(lanes=raw.size, bits=bits, encoding="bipolar", source="port")
    p = _all_random_numbers(model, raw, bits).mean(axis=0)
    np.testing.assert_array_equal(p, (1 + values / half) / 2)
    assert p[0] == 0.0                               # v = -1 exactly: all zeros


def test_lfsr_source_probability_over_one_period_matches_the_closed_form():
    # A 6-bit LFSR with 4-bit numbers: over one full period every nonzero state appears once,
    # so P(1) = (T * 2^(w-b) - 1) / (2^w - 1) for T > 0 (the value 0 misses one state).
    w, b = 6, 4
    period = (1 << w) - 1
    codes = np.arange(1 << b)
    model = SNGModel(lanes=codes.size, bits=b, source="lfsr", seed=3, lfsr_width=w)
    stim = _stim(period + 1, x=np.tile(codes, (period + 1, 1)))
    y = model.run(stim)["y"][1:]
    expected = np.where(codes > 0, (codes * (1 << (w - b)) - 1) / period, 0.0)
    np.testing.assert_allclose(y.mean(axis=0), expected, rtol=0, atol=1e-12)


def test_each_lane_uses_its_own_seeded_lfsr_and_reset_restarts_it():
    w, b, lanes = 16, 8, 3
    model = SNGModel(lanes=lanes, bits=b, source="lfsr", seed=99, lfsr_width=w)
    seeds = lane_seeds(99, lanes, w)
    assert list(model.seeds) == seeds and len(set(seeds)) == lanes
    cycles = 40
    x = np.full((cycles, lanes), 100)
    stim = _stim(cycles, x=x)
    stim["rst"][20] = 1
    y = model.run(stim)["y"]
    # Reference: step each LFSR by hand; the reset edge at 20 reloads the seed.
    for lane, seed in enumerate(seeds):
        state, expected = seed, [0]
        for t in range(cycles - 1):
            bit = int((state & 0xFF) < 100)
            expected.append(0 if t == 20 else bit)
            for _ in range(b):                      # leap-forward: b steps per cycle
                state = lfsr_step(state, w, MAXIMAL_TAPS[w], "galois")
            state = seed if t == 20 else state
        assert y[:, lane].tolist() == expected


def test_thresholds_tables_and_monotone_check():
    assert probability_thresholds([0, 0.5, 1, 0.1], 8).tolist() == [0, 128, 256, 26]
    assert padded_table([3, 5, 9], 3).tolist() == [3, 5, 9, 9, 9, 9, 9, 9]
    check_monotone("table", [9, 9, 4, 0])
    check_monotone("table", [0, 0, 0])
    with pytest.raises(ParameterError, match=r"^table must be monotone.*entries 1\.\.3 are \[5, 7, 6\]"):
        check_monotone("table", [3, 5, 7, 6])
    with pytest.raises(ParameterError, match="probabilities must lie in"):
        probability_thresholds([1.5], 8)


@pytest.mark.parametrize("override,pattern", [
    ({"lanes": 0}, r"^lanes must be"),
    ({"bits": 0}, r"^bits must be"),
    ({"bits": 17}, r"^bits must be"),
    ({"encoding": "tripolar"}, r"^encoding must be one of"),
    ({"source": "noise"}, r"^source must be one of"),
    ({"bits": 12, "lfsr_width": 10}, r"^lfsr_width must be >= bits = 12"),
])
def test_bad_parameters_name_themselves(override, pattern):
    with pytest.raises(ParameterError, match=pattern):
        get_design("sng").resolve(override)
