"""The shared stimulus generator."""

import numpy as np

from stochhw.sim.designs import get_design
from stochhw.testbench.stimuli import extremes, make_stimulus, reset_cycles


def _ports(name, **overrides):
    design = get_design(name)
    return design.ports(design.resolve(overrides))


def test_same_seed_same_stimulus_and_different_seed_differs():
    ports = _ports("sru_array", lanes=4, source="external")
    a, b, c = (make_stimulus(ports, 1000, s) for s in (5, 5, 6))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["x"], c["x"])


def test_directed_part_covers_extremes_and_overflow_combination():
    ports = _ports("sru_free")
    stim = make_stimulus(ports, 40_000, 1)
    directed = slice(0, 10_000)
    x, rnd = stim["x"][directed, 0], stim["rnd"][directed, 0]
    assert set(extremes(16, True).tolist()) == set(x.tolist())
    assert {0, 255} <= set(rnd.tolist())
    assert np.any((x == 0x7FFF) & (rnd == 255)), "x at max with rnd all ones (overflow) never drawn"


def test_resets_at_start_middle_and_burst():
    ports = _ports("lfsr")
    rst = make_stimulus(ports, 1000, 1)["rst"][:, 0]
    assert np.flatnonzero(rst).tolist() == reset_cycles(1000) == [0, 500, 750, 751, 752]


def test_random_part_spans_full_range():
    ports = _ports("sru_array", lanes=8, source="external")
    x = make_stimulus(ports, 20_000, 3)["x"][5000:]
    assert x.min() < 2 ** 10 and x.max() > 2 ** 16 - 2 ** 10
