"""The SC registry entries and comparisons: every point resolves, ports and latencies are sane."""

import pytest

from stochhw.sim.core.design import Design
from stochhw.sim.designs import get_design
from stochhw.sim.designs.sc import COMPARISONS, DESIGNS

SC_DESIGNS = [d.name for d in DESIGNS]


def test_the_sc_designs_are_registered():
    assert SC_DESIGNS == ["sng", "smtj", "xnor_mul", "and_mul", "parallel_counter", "lut_sigmoid", "sc_neuron"]
    for name in SC_DESIGNS:
        assert isinstance(get_design(name), Design)


@pytest.mark.parametrize("comparison", COMPARISONS, ids=[c.name for c in COMPARISONS])
def test_every_comparison_point_resolves(comparison):
    for side in ("baseline", "candidate"):
        design = get_design(comparison.sides()[side].design)
        for value in comparison.values:
            design.resolve(comparison.overrides(side, value))


@pytest.mark.parametrize("name", SC_DESIGNS)
def test_regress_cases_are_few_and_ports_match_the_lane_layout(name):
    design = get_design(name)
    assert 1 <= len(design.regress_cases) <= 3
    for case in design.regress_cases:
        params = design.resolve(case)
        ports = design.ports(params)
        assert ports[0].name == "rst"
        assert all(p.width % p.lanes == 0 for p in ports)
        assert design.latency(params) >= 1


def test_sc_neuron_latency_is_the_frame_length():
    design = get_design("sc_neuron")
    assert design.latency(design.resolve({"length": 37})) == 37
