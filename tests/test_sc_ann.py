"""Tests of stochhw.models.ml.sc_sources and stochhw.models.ml.sc_ann: bit-exact SC counts, count statistics, training."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_sequence
from stochhw.models.ml.digits import load_digits_split
from stochhw.models.ml.sc_ann import SCANN, SCANNConfig, SCConfig, input_levels, train
from stochhw.models.ml.sc_sources import (
    bernoulli_bits,
    binomial_counts,
    encoded_values,
    lfsr_bits,
    lfsr_pair_table,
    lfsr_thresholds,
    p_one,
    sc_dot,
    xnor_count,
)
from stochhw.models.sc_quant import level_values, quantize_index, quantized_sigmoid
from stochhw.models.seeds import lane_seeds
from stochhw.models.smtj import bias_levels, smtj_p_one
from stochhw.models.sobol import direction_numbers, sobol_points


def random_net(layers, levels, seed=0, bias_node=False):
    rng = np.random.default_rng(seed)
    return SCANN(layers, levels, [rng.uniform(-1, 1, (i + bias_node, j))
                                  for i, j in zip(layers[:-1], layers[1:])], bias_node=bias_node)


# ------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------

def test_p_one_of_each_source():
    np.testing.assert_allclose(p_one(5, "ideal"), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(p_one(5, "lfsr"), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(lfsr_thresholds(11), np.floor(
        (1 + np.arange(-5, 6) / 5) / 2 * 65536 + 0.5))
    np.testing.assert_array_equal(p_one(11, "smtj_linear"), smtj_p_one(bias_levels(11)))
    np.testing.assert_array_equal(p_one(11, "smtj"), smtj_p_one(bias_levels(11, "calibrated")))
    np.testing.assert_array_equal(p_one(5, "sobol"), p_one(5, "lfsr"))
    # Calibrated: every state the curve reaches inside +-1 V is exact; the ends stay at +-1 V.
    np.testing.assert_allclose(p_one(11, "smtj")[1:-1], p_one(11, "ideal")[1:-1], atol=1e-12)
    assert p_one(11, "smtj")[-1] == smtj_p_one(1.0)
    for source in ("smtj", "smtj_linear"):
        enc = encoded_values(5, source)
        # The device curve: symmetric, inside (-1, 1), the extremes beyond 0.9 (paper's Fig. 2c).
        np.testing.assert_allclose(enc, -enc[::-1], atol=1e-12)
        assert 0.9 < enc[-1] < 1 and enc[2] == 0
    # Evenly spaced voltages carry the state 0.5 as the curve's value at 0.5 V, far from 0.5.
    assert abs(encoded_values(5, "smtj_linear")[3] - (2 * smtj_p_one(0.5) - 1)) < 1e-12


# ------------------------------------------------------------------------------------------
# Bit-exact SC counts
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source,bias_node,inputs", [
    ("lfsr", True, "bipolar"), ("lfsr", False, "unit"), ("sobol", False, "unit")])
def test_comparator_forward_is_the_documented_bit_level_computation(source, bias_node, inputs):
    """One layer (3 inputs, + bias in the variant, 2 neurons) rebuilt by hand from the
    documented seed layout: node generators first, then weight generators in C order; Sobol
    nodes on dimension 1, weights on dimension 2, each lane shifted by its seed."""
    levels, length, seed = 5, 77, 9
    net = random_net((3, 2), levels, seed=1, bias_node=bias_node)
    x = np.random.default_rng(2).uniform(0, 1, (6, 3))
    x_levels = input_levels(x, levels, inputs)
    z = net.forward(x_levels, SCConfig(source, length, seed=seed)).z[0]
    n = 3 + bias_node
    seeds = lane_seeds(seed, n + n * 2, 16)
    if source == "lfsr":
        r = lfsr_sequence(seeds, length - 1, 16, MAXIMAL_TAPS[16], "galois").astype(np.int64)
    else:
        idx = np.arange(length)
        r = np.concatenate([
            np.stack([sobol_points(idx, direction_numbers(1, 16), int(s)) for s in seeds[:n]], 1),
            np.stack([sobol_points(idx, direction_numbers(2, 16), int(s)) for s in seeds[n:]], 1)],
            axis=1).astype(np.int64)
    t = np.floor((1 + level_values(levels)) / 2 * 65536 + 0.5).astype(np.int64)
    w = quantize_index(net.weights[0], levels)
    for s in range(x.shape[0]):
        a = list(quantize_index(x[s] if inputs == "unit" else 2 * x[s] - 1, levels))
        a += [levels - 1] * bias_node
        for j in range(2):
            count = sum(int(np.sum((r[:, i] < t[a[i]]) == (r[:, n + 2 * i + j] < t[w[i, j]])))
                        for i in range(n))
            assert z[s, j] == 2 * count / length - n, (s, j)


@pytest.mark.parametrize("levels,source", [(5, "lfsr"), (11, "lfsr"), (11, "sobol")])
def test_pair_table_counts_equal_explicit_bits(levels, source):
    net = random_net((64, 12, 10), levels)
    x_levels = input_levels(np.random.default_rng(3).uniform(0, 1, (40, 64)), levels)
    by_table = net.forward(x_levels, SCConfig(source, 150, seed=4))
    by_bits = net.forward(x_levels, SCConfig(source, 150, seed=4, counts="bits"))
    for a, b in zip(by_table.z, by_bits.z):
        np.testing.assert_array_equal(a, b)


def test_pair_table_entries_are_xnor_counts():
    rng = np.random.default_rng(5)
    nodes = rng.integers(0, 1 << 16, (3, 64))
    weights = rng.integers(0, 1 << 16, (3, 64, 4))
    t = lfsr_thresholds(5)
    table = lfsr_pair_table(nodes, weights, t)
    for i, j, a, b in [(0, 0, 0, 4), (1, 3, 2, 2), (2, 1, 4, 1), (2, 2, 3, 0)]:
        assert table[i, j, a, b] == xnor_count(nodes[i] < t[a], weights[i, :, j] < t[b])


def test_sc_dot_is_a_sum_of_xnor_counts():
    rng = np.random.default_rng(6)
    a = rng.integers(0, 2, (5, 7, 33)).astype(np.uint8)
    w = rng.integers(0, 2, (7, 33, 3)).astype(np.uint8)
    want = np.array([[sum(xnor_count(a[s, i], w[i, :, j]) for i in range(7)) for j in range(3)]
                     for s in range(5)])
    np.testing.assert_array_equal(sc_dot(a, w), want)


def test_exact_forward_matches_a_plain_loop():
    levels = 11
    net = random_net((64, 8, 10), levels, seed=7)
    x = np.random.default_rng(8).uniform(0, 1, (5, 64))
    fwd = net.forward(input_levels(x, levels))
    v = level_values(levels)
    for s in range(5):
        a = v[quantize_index(x[s], levels)]
        z0 = [sum(a[i] * v[quantize_index(net.weights[0][i, j], levels)] for i in range(64))
              for j in range(8)]
        h = quantized_sigmoid(np.array(z0), levels)
        z1 = [sum(h[i] * v[quantize_index(net.weights[1][i, j], levels)] for i in range(8))
              for j in range(10)]
        np.testing.assert_allclose(fwd.z[0][s], z0, atol=1e-12)
        np.testing.assert_allclose(fwd.z[1][s], z1, atol=1e-12)


# ------------------------------------------------------------------------------------------
# Independent streams: exact count distribution against explicit bits
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["smtj", "ideal"])
def test_binomial_counts_and_explicit_bits_agree_with_theory(source):
    """Mean and variance of each neuron's count: both methods against E and Var from q.

    n repeated draws of a fixed (1 sample x 20 inputs x 3 neurons) layer; the sample mean is
    within 5 standard errors sqrt(Var/n) of L sum q, the sample variance within 5 standard
    errors Var sqrt(2/(n-1)) (normal counts; the sums of 20 binomials are close to normal).
    """
    levels, length, n = 11, 64, 600
    rng = np.random.default_rng(10)
    a = rng.integers(0, levels, (1, 20))
    w = rng.integers(0, levels, (20, 3))
    p = p_one(levels, source)
    q = p[a[0]][:, None] * p[w] + (1 - p[a[0]][:, None]) * (1 - p[w])
    mean, var = length * q.sum(axis=0), length * (q * (1 - q)).sum(axis=0)
    draw_rng = np.random.default_rng(11)
    binomial = np.concatenate([binomial_counts(p, p, a, w, length, draw_rng) for _ in range(n)])
    bits = np.concatenate([sc_dot(bernoulli_bits(p[a], length, draw_rng),
                                  bernoulli_bits(p[w], length, draw_rng, axis=1)) for _ in range(n)])
    for counts in (binomial, bits):
        assert np.all(np.abs(counts.mean(axis=0) - mean) < 5 * np.sqrt(var / n))
        assert np.all(np.abs(counts.var(axis=0, ddof=1) - var) < 5 * var * math.sqrt(2 / (n - 1)))


def test_independent_sc_forward_is_unbiased_for_encoded_values():
    """E[z_sc] = sum e(a) e(w) with e the encoded values: mean over repeats within 5 SE."""
    levels, length, repeats = 5, 50, 300
    net = random_net((64, 6, 10), levels, seed=12)
    x_levels = input_levels(np.random.default_rng(13).uniform(0, 1, (3, 64)), levels)
    e = encoded_values(levels, "smtj")
    a = x_levels
    w = quantize_index(net.weights[0], levels)
    want = e[a] @ e[w]
    var = ((1 - (e[a][:, :, None] * e[w][None]) ** 2).sum(axis=1)) / length
    z = np.stack([net.forward(x_levels, SCConfig("smtj", length, seed=s)).z[0]
                  for s in range(repeats)])
    assert np.all(np.abs(z.mean(axis=0) - want) < 5 * np.sqrt(var / repeats))


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------

def test_ste_gradient_matches_finite_differences_at_fine_quantization():
    """With 65536 states quantization is nearly the identity, so the STE gradient must match
    the finite-difference gradient of the cost (steps far above the 3e-5 state spacing)."""
    levels = 1 << 16
    layers = (5, 4, 3)
    net = random_net(layers, levels, seed=14)
    for w in net.weights:
        w *= 0.8                                     # away from the clip at +-1
    rng = np.random.default_rng(15)
    x_levels = input_levels(rng.uniform(0, 1, (7, 5)), levels)
    targets = np.eye(3)[rng.integers(0, 3, 7)]

    def cost(network):
        fwd = network.forward(x_levels)
        return network.backward(fwd, targets)[1]

    grads, _ = net.backward(net.forward(x_levels), targets, rule="backprop")
    h = 2e-3
    for layer, (i, j) in [(0, (0, 0)), (0, (4, 3)), (1, (2, 1)), (1, (3, 2))]:
        up, down = [SCANN(layers, levels, net.weights) for _ in range(2)]
        up.weights[layer][i, j] += h
        down.weights[layer][i, j] -= h
        numeric = (cost(up) - cost(down)) / (2 * h)
        assert abs(numeric - grads[layer][i, j]) < 0.02 * max(abs(numeric), 1e-3), (layer, i, j)


def test_paper_rule_is_eq_4_to_7_as_written():
    """Eq. 5-7 by hand for a 2-layer net: e_out = o - t, e_hidden = e_out @ W1^T (no f'),
    dW_l = a_(l-1)^T (e_l f'(z_l)) / batch; the output layer agrees with backprop."""
    levels = 11
    net = random_net((5, 4, 3), levels, seed=16)
    rng = np.random.default_rng(17)
    x_levels = input_levels(rng.uniform(0, 1, (7, 5)), levels)
    targets = np.eye(3)[rng.integers(0, 3, 7)]
    fwd = net.forward(x_levels)
    paper, _ = net.backward(fwd, targets)
    exact, _ = net.backward(fwd, targets, rule="backprop")
    v = level_values(levels)
    sig = lambda z: 1 / (1 + np.exp(-z))                      # noqa: E731
    w1 = v[quantize_index(net.weights[1], levels)]
    o = sig(fwd.z[1])
    e_out = o - targets
    e_hidden = e_out @ w1.T
    s0 = sig(fwd.z[0])
    np.testing.assert_allclose(paper[1], v[fwd.nodes[1]].T @ (e_out * o * (1 - o)) / 7)
    np.testing.assert_allclose(paper[0], v[fwd.nodes[0]].T @ (e_hidden * s0 * (1 - s0)) / 7)
    np.testing.assert_allclose(paper[1], exact[1])
    assert not np.allclose(paper[0], exact[0])


def test_training_learns_the_digits():
    x_train, y_train, x_test, y_test = load_digits_split()
    config = SCANNConfig(layers=(64, 16, 10), levels=5, epochs=4, learning_rate=4.0,
                         init_scale=1.0)
    result = train(config, x_train[:600], y_train[:600])
    assert result.epoch_cost[-1] < result.epoch_cost[0]
    # Chance is 10%; 300 test samples put the standard error near 3%.
    assert result.network.accuracy(input_levels(x_test[:300], 5), y_test[:300]) > 0.6


@pytest.mark.parametrize("source", ["smtj", "lfsr"])
def test_method2_training_is_deterministic(source):
    x_train, y_train, _, _ = load_digits_split()
    config = SCANNConfig(layers=(64, 8, 10), levels=5, epochs=1,
                         train_sc=SCConfig(source, 40, seed=3))
    a = train(config, x_train[:64], y_train[:64])
    b = train(config, x_train[:64], y_train[:64])
    for wa, wb in zip(a.network.weights, b.network.weights):
        np.testing.assert_array_equal(wa, wb)
        assert np.all(np.abs(wa) <= 1.0)


# ------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make,message", [
    (lambda: SCConfig("smtj", 0), r"length \(bitstream length L\) must be in 1\.\."),
    (lambda: SCConfig("smtj", -5), r"length \(bitstream length L\)"),
    (lambda: SCConfig("optical", 10), "source must be one of"),
    (lambda: SCConfig("lfsr", 10, counts="binomial"), "counts='binomial' needs independent"),
    (lambda: SCANNConfig(levels=1), r"levels \(QL"),
    (lambda: SCANNConfig(layers=(64, 0, 10)), "layers must be in 1"),
    (lambda: SCANNConfig(layers=(64,)), "layers must list"),
    (lambda: SCANNConfig(learning_rate=0), "learning_rate"),
    (lambda: SCANN((4, 2), 1), r"levels \(QL"),
    (lambda: bernoulli_bits([0.5], 0, np.random.default_rng()), r"bitstream length L"),
])
def test_bad_parameters(make, message):
    with pytest.raises(ParameterError, match=message):
        make()


def test_bad_shapes():
    net = SCANN((4, 2), 5)
    with pytest.raises(ParameterError, match=r"x must have shape \(samples, 4\)"):
        net.forward(np.zeros((3, 5), dtype=int))
    with pytest.raises(ParameterError, match="x_train must have shape"):
        train(SCANNConfig(layers=(4, 2), epochs=1), np.zeros((3, 5)), np.zeros(3, int))
    with pytest.raises(ParameterError, match="x must be finite"):
        input_levels([np.nan], 5)
    with pytest.raises(ParameterError, match="w_bits must have shape"):
        sc_dot(np.zeros((1, 2, 3), np.uint8), np.zeros((2, 4, 1), np.uint8))
    assert lfsr_bits([1, 5], 3).tolist() == [1, 0]
