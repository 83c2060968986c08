"""Co-simulation of any registered design: generated Verilog on Icarus or Verilator, driven by
cocotb with seeded stimulus and checked bit for bit against the golden model.

Builds are cached by the content hash of the Verilog (one build directory per simulator and
hash, guarded by a file lock); every run gets a private run directory, so concurrent runs
(pytest-xdist, two terminals) never share one.
"""

import contextlib
import dataclasses
import fcntl
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from testbench.stimuli import make_stimulus

from .check import compare_outputs
from .generate import generate, write_design
from .registry import get_design
from .toolchain import require_simulator, tool_env

__all__ = ["SIMULATORS", "CosimResult", "CosimFailed", "run_cosim"]

SIMULATORS = ("icarus", "verilator")
DEFAULT_CYCLES = 100_000
TIMESCALE = ("1ns", "1ps")
# Amaranth's Verilog widens operands implicitly; Verilator's width lint is advisory for it.
VERILATOR_ARGS = ["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC"]


class CosimFailed(AssertionError):
    """The simulation itself failed (error, X on an output); the message gives the log path."""


@dataclasses.dataclass(frozen=True)
class CosimResult:
    design: str
    params: dict
    simulator: str
    cycles: int
    seed: int
    seconds: float
    run_dir: str

    @property
    def cycles_per_second(self):
        return self.cycles / self.seconds if self.seconds > 0 else float("inf")


@contextlib.contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _runner(simulator):
    # Imported late: cocotb_tools is only needed when a simulator actually runs.
    from cocotb_tools.runner import get_runner
    return get_runner(simulator)


def build(generated, simulator, build_root, waves=False):
    """Compile ``generated`` for ``simulator`` once per content hash; return the build dir."""
    build_dir = Path(build_root).resolve() / "sim" / simulator / f"{generated.top}-{generated.digest}{'-waves' if waves else ''}"
    stamp = build_dir / ".built"
    with _locked(build_dir.with_suffix(".lock")):
        if not stamp.exists():
            source = write_design(generated, build_dir / "src")
            log = build_dir / "build.log"
            try:
                with _tool_env():
                    _runner(simulator).build(
                        sources=[source], hdl_toplevel=generated.top, build_dir=build_dir,
                        timescale=TIMESCALE, waves=waves, log_file=log,
                        build_args=VERILATOR_ARGS if simulator == "verilator" else [])
            except Exception as exc:
                raise CosimFailed(f"{simulator} build of {generated.top} failed; see {log}") from exc
            stamp.touch()
    return build_dir


@contextlib.contextmanager
def _tool_env():
    """Run the cocotb runner with the venv's tools first on PATH (our ``verilator`` wrapper)."""
    import os
    saved = dict(os.environ)
    os.environ.update(tool_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_cosim(design_name, overrides=None, simulator="icarus", cycles=DEFAULT_CYCLES, seed=1,
              waves=False, build_root="build", model=None):
    """Co-simulate one design and parameter set; raise on any difference from the model.

    Parameters
    ----------
    design_name : str
    overrides : dict, optional
        Parameter overrides (text or Python values).
    simulator : str
        ``"icarus"`` or ``"verilator"``.
    cycles : int
        Cycles to simulate (default 100,000).
    seed : int
        Stimulus seed.
    waves : bool
        Dump waveforms into the run directory.
    model : object, optional
        Golden model to compare with (default: the registry's, built from the same parameters).

    Returns
    -------
    CosimResult

    Raises
    ------
    sim.check.Mismatch
        RTL output differs from the model (cycle, lane, inputs, expected, actual, seed).
    CosimFailed
        The simulator failed to build or run.
    """
    from models.checks import check_choice, check_int
    check_choice("sim", simulator, SIMULATORS)
    cycles = check_int("cycles", cycles, 1)
    seed = check_int("seed", seed, 0)
    design = get_design(design_name)
    generated = generate(design_name, overrides)
    require_simulator(simulator)
    build_dir = build(generated, simulator, build_root, waves)

    runs = Path(build_root) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(dir=runs, prefix=f"{generated.top}-{simulator}-")).resolve()
    stim = make_stimulus(generated.ports, cycles, seed, design.stimulus_hints.get("densities"))
    np.savez(run_dir / "stim.npz", **stim)
    (run_dir / "case.json").write_text(json.dumps(
        {"ports": [dataclasses.asdict(p) for p in generated.ports]}, indent=1))

    from cocotb_tools.check_results import get_results
    log = run_dir / "sim.log"
    start = time.perf_counter()
    with _tool_env():
        results = _runner(simulator).test(
            test_module="testbench.cosim", hdl_toplevel=generated.top, hdl_toplevel_lang="verilog",
            build_dir=build_dir,
            test_dir=run_dir, extra_env={"STOCHHW_RUN_DIR": str(run_dir.resolve())},
            timescale=TIMESCALE, waves=waves, log_file=log, results_xml=str(run_dir / "results.xml"))
    seconds = time.perf_counter() - start
    _, failed = get_results(results)
    out = run_dir / "out.npz"
    if failed or not out.exists():
        raise CosimFailed(f"{design_name} on {simulator} failed in simulation; see {log}")
    with np.load(out) as npz:
        actual = {name: npz[name] for name in npz.files}
    expected = (model or design.golden(generated.params)).run(stim)
    label = f"{design_name} {_fmt(generated.params)} on {simulator}"
    compare_outputs(generated.ports, stim, expected, actual, seed=seed,
                    latency=generated.latency, label=label)
    return CosimResult(design_name, generated.params, simulator, cycles, seed, seconds, str(run_dir))


def _fmt(params):
    return " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in params.items())
