"""Whole-run register helpers against cycle-by-cycle loops."""

import numpy as np

from stochhw.models.clocked import register, steps_since_reset


def test_register_matches_loop():
    rng = np.random.default_rng(3)
    d = rng.integers(0, 100, size=(500, 3))
    rst = rng.random(500) < 0.05
    q, expected = 7, []
    for t in range(500):
        expected.append([q] * 3 if np.isscalar(q) else list(q))
        q = 7 if rst[t] else d[t]
    assert register(d, rst, init=7).tolist() == np.array(expected).tolist()


def test_steps_since_reset_matches_loop():
    rng = np.random.default_rng(4)
    adv = rng.random(2000) < 0.6
    rst = rng.random(2000) < 0.01
    k, expected = 0, []
    for t in range(2000):
        expected.append(k)
        k = 0 if rst[t] else k + int(adv[t])
    assert steps_since_reset(adv, rst).tolist() == expected
