"""sc_neuron model: frame timing against a per-cycle reference, sigmoid thresholds == table,
generator encoding, the SC estimate of sum(x w), bad input."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_step
from stochhw.models.lut_sigmoid import apply_threshold_form
from stochhw.models.parallel_counter import approx_count
from stochhw.models.sc_neuron import SCNeuronModel, level_thresholds, neuron_sigmoid, sigmoid_thresholds
from stochhw.models.sc_quant import level_values, quantized_sigmoid
from stochhw.models.seeds import lane_seeds
from stochhw.sim.designs import get_design


def _reference(xs, ws, rst, n, length, levels, counter):
    """The neuron, one cycle at a time, straight from the docstring (no NumPy tricks)."""
    position, acc, y, valid = 0, 0, 0, 0
    ys, valids = [], []
    for t in range(len(rst)):
        ys.append(y)
        valids.append(valid)
        products = [1 - (int(a) ^ int(b)) for a, b in zip(xs[t], ws[t])]
        count = sum(products) if counter == "exact" else int(approx_count(np.array(products)))
        if rst[t]:
            position, acc, y, valid = 0, 0, 0, 0
        elif position == length - 1:
            s = (2 * (acc + count) - n * length) / length
            value = float(quantized_sigmoid(np.array([s]), levels)[0])
            y, valid = round((value + 1) * (levels - 1) / 2), 1
            position, acc = 0, 0
        else:
            position, acc, valid = position + 1, acc + count, 0
    return ys, valids


@pytest.mark.parametrize("n,length,levels,counter", [(5, 7, 5, "exact"), (9, 4, 11, "approx"), (3, 1, 5, "exact"), (1, 3, 2, "exact")])
def test_port_streams_match_the_per_cycle_reference_with_resets(n, length, levels, counter):
    rng = np.random.default_rng(n * 100 + length)
    cycles = 400
    xs = (rng.random((cycles, n)) < 0.6).astype(np.uint64)
    ws = (rng.random((cycles, n)) < 0.4).astype(np.uint64)
    rst = np.zeros((cycles, 1), dtype=np.uint64)
    rst[[0, 37, 38, 211]] = 1
    model = SCNeuronModel(n=n, levels=levels, length=length, source="port", counter=counter)
    out = model.run({"xs": xs, "ws": ws, "rst": rst})
    ys, valids = _reference(xs, ws, rst[:, 0], n, length, levels, counter)
    assert out["y"][:, 0].tolist() == ys
    assert out["valid"][:, 0].tolist() == valids
    assert sum(valids) > 0


@pytest.mark.parametrize("n,length,levels", [(64, 100, 5), (64, 100, 11), (784, 500, 5), (784, 500, 11), (8, 1, 11), (1, 1, 2), (256, 300, 21)])
def test_sigmoid_thresholds_equal_the_table_over_every_count(n, length, levels):
    base, steps = sigmoid_thresholds(n, length, levels)
    acc = np.arange(n * length + 1)
    table = neuron_sigmoid(acc, n, length, levels)
    np.testing.assert_array_equal(apply_threshold_form(acc, base, steps), table)
    assert len(steps) <= levels // 2 + 1                  # a handful of comparators, not a table


def test_generators_encode_states_as_bipolar_probabilities():
    levels, bits = 5, 8
    assert level_thresholds(levels, bits).tolist() == [0, 64, 128, 192, 256]
    np.testing.assert_allclose(level_thresholds(11, 8) / 256, (level_values(11) + 1) / 2, atol=0.5 / 256)
    n, cycles = 5, 4000
    model = SCNeuronModel(n=n, levels=levels, length=10, seed=3)
    codes = np.tile(np.arange(n, dtype=np.uint64), (cycles, 1))      # input i holds state i
    stim = {"xq": codes, "wq": codes[:, ::-1].copy(), "rst": np.zeros((cycles, 1), dtype=np.uint64)}
    xs, ws = model.streams(stim)
    assert xs[:, 0].max() == 0 and xs[:, 4].min() == 1                # -1 and +1 are exact
    p = xs.mean(axis=0)
    assert np.all(np.abs(p - np.arange(n) / 4) < 5 * np.sqrt(0.25 / cycles))
    # Generator i of x uses seed i of lane_seeds(seed, 2N, w), leaping 8 steps per cycle.
    seed = lane_seeds(3, 2 * n, 16)[2]
    state, bits = seed, []
    for _ in range(50):
        bits.append(int((state & 0xFF) < 128))
        for _ in range(8):
            state = lfsr_step(state, 16, MAXIMAL_TAPS[16], "galois")
    assert xs[:50, 2].tolist() == bits
    assert len(set(lane_seeds(3, 2 * n, 16))) == 2 * n


def test_codes_beyond_the_states_saturate():
    n, cycles = 2, 300
    model = SCNeuronModel(n=n, levels=5, length=10)
    stim = {"xq": np.tile(np.array([[4, 7]], dtype=np.uint64), (cycles, 1)),
            "wq": np.zeros((cycles, n), dtype=np.uint64), "rst": np.zeros((cycles, 1), dtype=np.uint64)}
    xs, _ = model.streams(stim)
    assert xs.min() == 1


def test_the_count_estimates_the_dot_product():
    """Independent streams: E[s] = sum x_i w_i, with the variance of N independent XNOR products."""
    n, length, levels, frames = 16, 64, 5, 300
    rng = np.random.default_rng(21)
    xq = rng.integers(0, levels, n)
    wq = rng.integers(0, levels, n)
    v = level_values(levels)
    z = v[xq] * v[wq]
    model = SCNeuronModel(n=n, levels=levels, length=length, seed=9)
    cycles = frames * length
    stim = {"xq": np.tile(xq.astype(np.uint64), (cycles, 1)), "wq": np.tile(wq.astype(np.uint64), (cycles, 1)),
            "rst": np.zeros((cycles, 1), dtype=np.uint64)}
    xs, ws = model.streams(stim)
    products = (~(xs ^ ws) & np.uint64(1)).astype(np.int64)
    acc = products.reshape(frames, length, n).sum(axis=(1, 2))
    s = (2 * acc - n * length) / length
    var = np.sum(1 - z ** 2) / length                                  # per frame
    assert abs(s.mean() - z.sum()) < 5 * math.sqrt(var / frames)


@pytest.mark.parametrize("override,pattern", [
    ({"n": 0}, r"^n must be in 1\.\.4096"),
    ({"length": 0}, r"^length must be in 1\.\.65535"),
    ({"levels": 1}, r"^levels must be in 2\.\.256, not 1"),
    ({"counter": "fuzzy"}, r"^counter must be one of exact, approx"),
    ({"source": "smtj"}, r"^source must be one of lfsr, port"),
    ({"bits": 10, "lfsr_width": 9}, r"^lfsr_width must be >= bits = 10"),
])
def test_bad_parameters_name_themselves(override, pattern):
    with pytest.raises(ParameterError, match=pattern):
        get_design("sc_neuron").resolve(override)
