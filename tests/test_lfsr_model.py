"""LFSR golden model: exhaustive periods, stepping rule, reset and enable."""

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import FORMS, LFSRModel, lfsr_sequence, lfsr_step


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("width", range(2, 21))
def test_period_is_maximal_exhaustively(width, form):
    """Every nonzero state lies on one cycle of length 2^w - 1: the step is a single cycle."""
    taps = MAXIMAL_TAPS[width]
    states = np.arange(1 << width, dtype=np.uint64)
    successor = lfsr_step(states, width, taps, form).tolist()   # vectorized over all states
    assert successor[0] == 0                                    # zero is the only fixed point
    state, period = 1, 0
    while True:
        state = successor[state]
        period += 1
        assert state != 0
        if state == 1:
            break
    assert period == (1 << width) - 1


@pytest.mark.parametrize("form", FORMS)
def test_sequence_matches_scalar_steps(form):
    width, taps = 13, MAXIMAL_TAPS[13]
    seq = lfsr_sequence([1, 77, 8191], 500, width, taps, form)
    for lane, seed in enumerate([1, 77, 8191]):
        state = seed
        for i in range(501):
            assert int(seq[i, lane]) == state
            state = lfsr_step(state, width, taps, form)


def _reference_run(model, rst, en):
    """Plain loop over cycles, as the hardware does it."""
    state, out = model.seed, []
    for r, e in zip(rst, en):
        out.append(state)
        if r:
            state = model.seed
        elif e:
            state = lfsr_step(state, model.width, model.feedback_taps, model.form)
    return out


@pytest.mark.parametrize("form", FORMS)
def test_model_reset_and_enable_match_loop_reference(form):
    rng = np.random.default_rng(7)
    n = 3000
    rst = (rng.random(n) < 0.02).astype(np.uint64)
    en = (rng.random(n) < 0.7).astype(np.uint64)
    model = LFSRModel(width=9, form=form, seed=5)
    got = model.run({"rst": rst[:, None], "en": en[:, None]})["state"][:, 0]
    assert got.tolist() == _reference_run(model, rst, en)


@pytest.mark.parametrize("kwargs,name", [
    ({"width": 1}, "width"), ({"width": 33}, "width"), ({"seed": 0}, "seed"),
    ({"width": 4, "seed": 16}, "seed"), ({"form": "ring"}, "form"), ({"taps": (16, 8)}, "taps"),
])
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises(ParameterError, match=f"^{name}"):
        LFSRModel(**kwargs)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("width,steps", [(16, 0), (16, 300), (5, 10_000), (16, 70_001), (32, 20_000)])
def test_blocked_sequence_equals_plain_stepping(width, steps, form):
    """The jump-matrix fast path gives exactly the states of one-by-one stepping."""
    seeds = [1, 3, (1 << width) - 1]
    taps = MAXIMAL_TAPS[width]
    fast = lfsr_sequence(seeds, steps, width, taps, form)
    plain = lfsr_sequence(seeds, steps, width, taps, form, blocks=1)
    assert fast.shape == (steps + 1, 3)
    assert np.array_equal(fast, plain)
