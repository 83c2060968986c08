"""Co-simulation of every registered regression case on Icarus and Verilator.

Each case runs ``STOCHHW_CYCLES`` cycles (default 100,000) on Verilator and a quarter of that
(``STOCHHW_ICARUS_CYCLES``) on Icarus, which evaluates the design itself and is 100x slower on
the wide cases; either way the run holds the directed extremes (its first quarter) and the
resets (its middle and three quarters). The run is compared with the golden model on every
cycle (through per-chunk signatures, the model streamed chunk by chunk; a differing chunk is
dumped and compared value by value). Per-cycle mode is checked against bulk mode, and both
are shown to catch a wrong model, down to a single value late in a long run.
"""

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns.regress import regression_cases
from stochhw.sim.designs import get_design
from stochhw.sim.flows.cosim import DEFAULT_CYCLES, SIMULATORS, run_cosim
from stochhw.testbench.check import Mismatch

pytestmark = pytest.mark.simulator_required

CYCLES = int(os.environ.get("STOCHHW_CYCLES", DEFAULT_CYCLES))
RUN_CYCLES = {"verilator": CYCLES, "icarus": int(os.environ.get("STOCHHW_ICARUS_CYCLES", CYCLES // 4))}
CASES = [(c.design, c.overrides) for c in regression_cases()]
IDS = [f"{c.design}-{c.params_text}".replace(" ", "-") for c in regression_cases()]


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("name,case", CASES, ids=IDS)
def test_rtl_matches_model(name, case, simulator):
    result = run_cosim(name, case, simulator, cycles=RUN_CYCLES[simulator], seed=2026)
    assert result.mode == "bulk" and result.cycles == RUN_CYCLES[simulator]


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("name,case", [
    ("lfsr", {"width": 7, "form": "fibonacci"}),
    ("sru_array", {"lanes": 3, "source": "lfsr"}),
    ("sru_array", {"lanes": 5, "source": "external", "saturate": False}),
    ("lsb_extractor", {"sources": 8, "lanes": 2, "bits": 3, "routing": "runtime", "seed": 5}),
])
def test_bulk_and_percycle_modes_give_identical_outputs(name, case, simulator):
    bulk = run_cosim(name, case, simulator, cycles=3000, seed=99, mode="bulk", dump=True)
    percycle = run_cosim(name, case, simulator, cycles=3000, seed=99, mode="percycle")
    assert bulk.actual.keys() == percycle.actual.keys()
    for port in bulk.actual:
        np.testing.assert_array_equal(bulk.actual[port], percycle.actual[port])


@pytest.mark.parametrize("mode", ["bulk", "percycle"])
@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_wrong_model_is_reported_with_cycle_lane_and_values(simulator, mode):
    """The flow must catch a model that disagrees: same design, model with another LFSR seed.
    The count says which cycles it covers; the error names the run folder and the replay."""
    design = get_design("sru_lfsr")
    wrong = design.golden(design.resolve({"seed": 2}))
    with pytest.raises(Mismatch, match=r"(?s)\(seed 7\).*cycle \d+, lane 0: y expected -?\d+ .*, got -?\d+") as info:
        run_cosim("sru_lfsr", {}, simulator, cycles=10_000, seed=7, mode=mode, model=wrong, chunk=1024)
    error = info.value
    scope = ("in cycles 0..1023 (the first of 10 differing 1024-cycle chunks; 10 chunks in all)"
             if mode == "bulk" else "in cycles 0..9999")
    assert scope in str(error)
    assert str(error).count("sru_lfsr (defaults)") == 1 and error.label.startswith("sru_lfsr")
    assert Path(error.run_dir).is_dir()
    assert error.replay == (f"stochhw regress sru_lfsr --sim {simulator} --mode percycle --waves "
                            "--cycles 10000 --seed 7")
    if mode == "percycle":
        # cocotb's own result file in the run folder says failed, with the message.
        suite = ET.parse(Path(error.run_dir) / "results.xml").getroot().find("testsuite")
        assert suite.get("failures") == "1"
        assert "mismatching output values" in suite.find("testcase/failure").get("message")


class _OneWrongValue:
    """The registry's model, but lane 0 of ``y`` flipped in one cycle of the run."""

    def __init__(self, model, cycle):
        self.model, self.cycle = model, cycle

    def run(self, stim, state=None):
        out = self.model.run(stim, state.setdefault("inner", {}))
        start = state.get("at", 0)
        state["at"] = start + len(stim["rst"])
        if start <= self.cycle < state["at"]:
            out["y"] = out["y"].copy()
            out["y"][self.cycle - start, 0] ^= np.uint64(1)
        return out


def test_one_wrong_value_late_in_a_long_run_is_found_exactly():
    """300,000 cycles streamed through the model in blocks; one value differs in cycle 250,001:
    the chunk around it is re-run and the value named, with nothing else counted."""
    design = get_design("sru_free")
    model = _OneWrongValue(design.golden(design.resolve({})), 250_001)
    with pytest.raises(Mismatch) as info:
        run_cosim("sru_free", {}, "verilator", cycles=300_000, seed=3, model=model)
    message = str(info.value)
    assert ("1 mismatching output values in cycles 249856..253951 (the first of 1 differing "
            "4096-cycle chunks; 74 chunks in all) (seed 3)") in message
    assert "cycle 250001, lane 0: y expected" in message


def test_long_bulk_runs_carry_every_model_state_across_blocks():
    """Many blocks and resets: LFSR lanes, carried steps and registers, checked every cycle."""
    result = run_cosim("sru_array", {"lanes": 3, "source": "lfsr", "seed": 9}, "verilator",
                       cycles=400_000, seed=5, chunk=1000)
    assert result.cycles == 400_000 and result.seconds > 0


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_waves_go_into_the_run_folder_and_are_never_overwritten(simulator):
    runs = [run_cosim("sru_free", {}, simulator, cycles=300, seed=s, mode="percycle", waves=True)
            for s in (1, 2)]
    paths = [Path(r.waves) for r in runs]
    assert paths[0] != paths[1]
    for result, path in zip(runs, paths):
        assert path.parent == Path(result.run_dir) and path.stat().st_size > 0


def test_a_run_that_would_not_fit_in_memory_is_refused_up_front():
    with pytest.raises(ParameterError, match=r"--mode percycle with --cycles 10000000000 needs about "
                                             r"[\d.]+ [GT]B .* use --mode bulk \(constant memory\)"):
        run_cosim("sru_array", {"lanes": 64, "source": "external"}, "icarus", cycles=10 ** 10,
                  mode="percycle")
