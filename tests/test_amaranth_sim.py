"""Every registered regression case, in Amaranth's simulator, against the golden model.

The same stimulus, comparison and port list as the cocotb flow, without an HDL simulator.
"""

import pytest

from stochhw.sim.designs import REGISTRY, get_design
from stochhw.testbench.amaranth_sim import run_amaranth
from stochhw.testbench.check import Mismatch, compare_outputs
from stochhw.testbench.stimuli import make_stimulus

CASES = [(name, case) for name, design in REGISTRY.items() for case in design.regress_cases]


def _run(name, case, cycles, seed, model_overrides=None):
    design = get_design(name)
    params = design.resolve(case)
    component = design.build(params)
    ports = design.ports(params, component)
    stim = make_stimulus(ports, cycles, seed)
    actual = run_amaranth(component, ports, stim)
    expected = design.golden(dict(params, **(model_overrides or {}))).run(stim)
    compare_outputs(ports, stim, expected, actual, seed=seed, latency=design.latency(params),
                    label=f"{name} {case} on amaranth")


@pytest.mark.parametrize("name,case", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_rtl_matches_model_in_amaranth_simulator(name, case):
    _run(name, case, cycles=2000, seed=11)


def test_a_wrong_model_is_caught_with_cycle_lane_inputs_and_seed():
    with pytest.raises(Mismatch) as info:
        _run("sru_array", {"lanes": 4, "source": "lfsr"}, cycles=300, seed=5,
             model_overrides={"seed": 2})
    message = str(info.value)
    for fragment in ("cycle ", "lane ", "expected", "got", "inputs in cycle", "x=", "seed 5"):
        assert fragment in message
