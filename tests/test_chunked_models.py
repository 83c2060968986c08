"""Every golden model runs chunk by chunk, carrying its state, with the outputs of a whole run;
and refuses a stimulus whose lane count is not its own.

These are the properties the bulk co-simulation rests on (it streams a run of any length
through the model one block at a time, models/clocked.py); the chunks here are cut at random
places, at resets, at the end of the directed phase and one cycle long.
"""

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_sequence, lfsr_states
from stochhw.sim.campaigns.regress import regression_cases
from stochhw.sim.designs import REGISTRY, get_design
from stochhw.testbench.stimuli import make_stimulus

CASES = [(c.design, c.overrides) for c in regression_cases()]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]


@pytest.mark.parametrize("name,overrides", CASES, ids=IDS)
def test_chunked_runs_equal_the_whole_run(name, overrides):
    design = get_design(name)
    params = design.resolve(overrides)
    ports = design.ports(params)
    cycles = 2500
    stim = make_stimulus(ports, cycles, 17, design.stimulus_hints.get("densities"))
    whole = design.golden(params).run(stim)
    rng = np.random.default_rng(len(IDS))
    cut_sets = [[1, 2, 3, cycles // 4, cycles // 2, cycles // 2 + 1, 3 * cycles // 4 + 1],
                sorted(set(rng.integers(1, cycles, size=12).tolist()))]
    for cuts in cut_sets:
        bounds = [0, *cuts, cycles]
        model, state, parts = design.golden(params), {}, []
        for a, b in zip(bounds, bounds[1:]):
            parts.append(model.run({k: v[a:b] for k, v in stim.items()}, state))
        for port in whole:
            got = np.concatenate([p[port] for p in parts])
            assert got.dtype == whole[port].dtype
            bad = np.flatnonzero((got != whole[port]).any(axis=1))
            assert bad.size == 0, f"{port} differs from cycle {bad[:1]} with chunks {bounds}"


def test_dropping_the_state_is_caught():
    """The comparison above can fail: a chunk started from a fresh state differs."""
    design = get_design("sru_array")
    params = design.resolve({"lanes": 4, "source": "lfsr"})
    stim = make_stimulus(design.ports(params), 2000, 3)
    whole = design.golden(params).run(stim)["y"]
    model = design.golden(params)
    first = model.run({k: v[:1200] for k, v in stim.items()}, {})["y"]
    second = model.run({k: v[1200:] for k, v in stim.items()}, {})["y"]
    assert np.array_equal(first, whole[:1200])
    assert not np.array_equal(second, whole[1200:])


@pytest.mark.parametrize("name", list(REGISTRY))
def test_models_refuse_a_stimulus_with_other_lane_counts(name):
    design = get_design(name)
    params = design.resolve(dict(design.regress_cases[0]))
    ports = design.ports(params)
    stim = make_stimulus(ports, 50, 1, design.stimulus_hints.get("densities"))
    design.golden(params).run(stim)                 # its own lane counts: accepted
    port = max((p for p in ports if p.direction == "in" and p.name != "rst"), key=lambda p: p.lanes)
    wider = dict(stim, **{port.name: np.concatenate([stim[port.name], stim[port.name][:, :1]], axis=1)})
    with pytest.raises(ParameterError, match=rf"{port.lanes} lane\(s\) on {port.name}, but the stimulus has {port.lanes + 1}"):
        design.golden(params).run(wider)


def test_a_four_lane_model_refuses_an_eight_lane_stimulus():
    design = get_design("sru_array")
    eight = design.ports(design.resolve({"lanes": 8, "source": "external"}))
    four = design.golden(design.resolve({"lanes": 4, "source": "external"}))
    with pytest.raises(ParameterError, match="built for 4 lane"):
        four.run(make_stimulus(eight, 100, 1))


@pytest.mark.parametrize("width,form", [(16, "galois"), (7, "fibonacci"), (12, "galois")])
def test_lfsr_states_jump_far_ahead_exactly(width, form):
    """States 10^9 steps (and more) ahead equal plain stepping modulo the period 2^w - 1."""
    taps = MAXIMAL_TAPS[width]
    period = 2 ** width - 1
    seeds = [1, 5, period - 3]
    cycle = lfsr_sequence(seeds, period, width, taps, form)          # one full period
    steps = np.array([0, 1, 10 ** 9, 10 ** 9 + 1, 3 * 10 ** 12 + 17, 10 ** 9 + 2], dtype=np.int64)
    got = lfsr_states(seeds, steps, width, taps, form)
    assert np.array_equal(got, cycle[steps % period])
    strided = lfsr_states(seeds, steps, width, taps, form, stride=3)
    assert np.array_equal(strided, cycle[(3 * steps) % period])
