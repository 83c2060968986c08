"""Co-simulation of any registered design: generated Verilog on Icarus or Verilator, driven by
cocotb and checked bit for bit against the golden model.

Two modes share one stimulus definition (:mod:`stochhw.testbench.stimuli`) and one comparison
(:func:`stochhw.testbench.check.compare_outputs`):

* ``bulk`` (default): the design runs inside a generated harness (:mod:`stochhw.testbench.harness`) that
  makes its own stimulus and signs its outputs per chunk; cocotb only starts the clock. On a
  signature mismatch the first failing chunk is re-run with its outputs dumped, which names
  the exact cycle, lane, inputs, expected and actual values.
* ``percycle``: cocotb writes the inputs and reads the outputs every cycle
  (:func:`stochhw.testbench.cocotb_cosim.cosim_percycle`); slower, for debugging and waveforms.

Builds are kept in the ``sim`` cache (:mod:`stochhw.sim.core.cache`): one entry per simulator,
sources and tool versions, built once under the entry's lock and checked on every use (a
damaged build, say a cut-short ``sim.vvp``, is reported and rebuilt). Every run gets a private
run directory, so concurrent runs (pytest-xdist, two terminals) never share one.
"""

import contextlib
import dataclasses
import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from stochhw.models.checks import check_choice, check_int
from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.files import write_atomic
from stochhw.sim.core.toolchain import exit_reason, require_simulator, tool_env, tool_versions
from stochhw.sim.designs import get_design
from stochhw.sim.flows.generate import generate
from stochhw.testbench.check import Mismatch, compare_outputs
from stochhw.testbench.harness import HARNESS_TOP, make_harness, output_signatures, parse_dump
from stochhw.testbench.stimuli import make_stimulus

__all__ = ["SIMULATORS", "MODES", "DEFAULT_CYCLES", "CosimResult", "CosimFailed", "run_cosim", "new_run_dir",
           "memory_estimate"]

SIMULATORS = ("icarus", "verilator")
MODES = ("bulk", "percycle")
DEFAULT_CYCLES = 100_000
DEFAULT_CHUNK = 4096
TIMESCALE = ("1ns", "1ps")
# Amaranth's Verilog widens operands implicitly; Verilator's width lint is advisory for it.
VERILATOR_ARGS = ["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC"]


class CosimFailed(AssertionError):
    """The simulation itself failed (build error, crash, X on an output); names the log."""


@dataclasses.dataclass(frozen=True)
class CosimResult:
    """Outcome of a passing co-simulation.

    ``actual`` holds the simulated output arrays when the mode produced them (per-cycle mode,
    or bulk mode with ``dump=True``), else None.
    """
    design: str
    params: dict
    simulator: str
    mode: str
    cycles: int
    seed: int
    seconds: float
    run_dir: str
    actual: dict | None = None

    @property
    def cycles_per_second(self):
        return self.cycles / self.seconds if self.seconds > 0 else float("inf")


@contextlib.contextmanager
def _tool_env():
    """Run the cocotb runner with the venv's tools first on PATH (our ``verilator`` wrapper)."""
    saved = dict(os.environ)
    os.environ.update(tool_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _runner(simulator, all_public=True):
    """cocotb runner for ``simulator``.

    ``all_public=False`` (bulk harness builds) drops cocotb's ``--public-flat-rw`` for
    Verilator: the harness is reached only through its top-level ports (``clk``, ``done``),
    and making every internal signal public makes the model about 3.6 times slower.
    """
    # Imported late: cocotb_tools is only needed when a simulator actually runs.
    from cocotb_tools.runner import Verilator, get_runner
    if simulator == "verilator" and not all_public:
        class PortsOnlyVerilator(Verilator):
            def _build_command(self):
                commands = super()._build_command()
                commands[0] = [arg for arg in commands[0] if arg != "--public-flat-rw"]
                return commands
        return PortsOnlyVerilator()
    return get_runner(simulator)


#: What a build of each simulator must have produced (beside its other files).
_PRODUCT = {"icarus": lambda top: "sim.vvp", "verilator": lambda top: top}


@functools.lru_cache(maxsize=None)
def _simulator_version(simulator):
    """Version text of ``simulator`` (part of a build's cache key)."""
    if simulator == "verilator":
        return f"verilator {tool_versions()['verilator']}"
    exe = shutil.which("iverilog", path=tool_env()["PATH"])
    if exe is None:
        return "iverilog missing"
    proc = subprocess.run([exe, "-V"], capture_output=True, text=True, env=tool_env())
    return (proc.stdout.splitlines() or ["iverilog unknown"])[0]


def build(sources, top, simulator, cache_dir=None, waves=False, all_public=True):
    """Compile Verilog ``sources`` (dict file name -> text) once per content hash.

    Returns the build directory, an entry of the ``sim`` cache. Concurrent callers with the
    same sources wait for one build. The build happens in the entry's own folder
    (``in_place``): cocotb writes that folder's path into what it builds (the waveform dump
    module).
    """
    cache = Cache("sim", cache_dir)
    key = cache_key(simulator, top, [list(item) for item in sorted(sources.items())], all_public, waves,
                    _simulator_version(simulator), tool_versions()["cocotb"])
    product = _PRODUCT[simulator](top)
    entry = cache.lookup(key, (product,))
    if entry is None:
        with cache.lock(key):
            entry = cache.lookup(key, (product,))
            if entry is None:
                log = (cache.failed_path(key) / "build.log").resolve()
                with cache.building(key, in_place=True) as build_dir:
                    build_dir = build_dir.resolve()
                    paths = []
                    for name, text in sorted(sources.items()):
                        write_atomic(build_dir / "src" / name, text)
                        paths.append(build_dir / "src" / name)
                    try:
                        with _tool_env():
                            _runner(simulator, all_public).build(
                                sources=paths, hdl_toplevel=top, build_dir=build_dir,
                                timescale=TIMESCALE, waves=waves, log_file=build_dir / "build.log",
                                build_args=(VERILATOR_ARGS + ([] if all_public else ["--timing"])
                                            if simulator == "verilator" else []))
                    except (Exception, SystemExit) as exc:
                        raise CosimFailed(f"{simulator} build of {top} failed ({_reason(exc)}); "
                                          f"log: {log}") from exc
                entry = cache.lookup(key, (product,))
                if entry is None:
                    raise CosimFailed(f"{simulator} build of {top} left no {product}; log: {log}")
    return entry.path.resolve()


def _reason(exc):
    """What a cocotb runner's failure says, with a signal named (``killed by SIGKILL``)."""
    m = re.search(r"return code: (-?\d+)", str(exc))
    return exit_reason(int(m[1])) if m else (str(exc).strip() or type(exc).__name__)


@contextlib.contextmanager
def _progress(sig_path, cycles, chunk, label, out):
    """While a bulk run is going, print how many cycles it has signed, every few seconds."""
    if out is None:
        yield
        return
    stop = threading.Event()

    def watch():
        while not stop.wait(5.0):
            try:
                done = min(cycles, sig_path.read_text().count("\n") * chunk)
            except OSError:
                done = 0
            print(f"  {label}: {done}/{cycles} cycles ({100 * done / cycles:.0f}%)", file=out, flush=True)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _simulate(simulator, top, build_dir, run_dir, testcase, plusargs=(), waves=False):
    """Run one cocotb test; raise :class:`CosimFailed` naming the run folder and the log if it
    fails, with the signal when the simulator was killed (``killed by SIGKILL``)."""
    from cocotb_tools.check_results import get_results
    log = run_dir / f"{testcase}.log"
    where = f"run folder: {run_dir}; log: {log}"
    try:
        with _tool_env():
            results = _runner(simulator).test(
                test_module="stochhw.testbench.cocotb_cosim", testcase=testcase, hdl_toplevel=top,
                hdl_toplevel_lang="verilog", build_dir=build_dir, test_dir=run_dir,
                extra_env={"STOCHHW_RUN_DIR": str(run_dir)}, plusargs=list(plusargs),
                timescale=TIMESCALE, waves=waves, log_file=log,
                results_xml=str(run_dir / f"{testcase}.xml"))
        _, failed = get_results(results)
    except (Exception, SystemExit) as exc:
        raise CosimFailed(f"{testcase} on {simulator} did not complete ({_reason(exc)}); {where}") from exc
    if failed:
        raise CosimFailed(f"{testcase} on {simulator} failed in simulation; {where}")


#: Bytes a co-simulation holds per lane and cycle at its peak: the stimulus, the model's
#: expected outputs and the signature arrays are ``(cycles, lanes)`` uint64 arrays (measured:
#: 2.5 KB per cycle for a 64-lane ``sru_array``, 129 lanes). Per-cycle mode holds them twice
#: (the arrays and the ``.npz`` files the cocotb test reads and writes).
BYTES_PER_LANE_CYCLE = 24


def memory_estimate(ports, cycles, mode="bulk"):
    """Peak bytes of one co-simulation of ``cycles`` cycles of a design with ``ports``
    (:meth:`stochhw.sim.core.design.Design.ports`), for the up-front check of ``--cycles``."""
    lanes = sum(port.lanes for port in ports)
    return BYTES_PER_LANE_CYCLE * lanes * cycles * (2 if mode == "percycle" else 1)


def new_run_dir(build_root, prefix):
    """A new, private run folder ``build_root/runs/<prefix>-XXXX``."""
    runs = Path(build_root) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=runs, prefix=f"{prefix}-")).resolve()


def run_cosim(design_name, overrides=None, simulator="icarus", cycles=DEFAULT_CYCLES, seed=1,
              mode="bulk", waves=False, build_root="build", model=None, dump=False,
              chunk=DEFAULT_CHUNK, progress=None, stimulus=None, run_dir=None):
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
        Stimulus seed, 0..2^64-1.
    mode : str
        ``"bulk"`` (default) or ``"percycle"``.
    waves : bool
        Dump waveforms (per-cycle mode only: in bulk mode they would dominate the run).
    model : object, optional
        Golden model to compare with (default: the registry's, from the same parameters).
    dump : bool
        Bulk mode: also dump every output value and return them in ``actual``.
    chunk : int
        Bulk mode: cycles per signature.
    progress : file-like, optional
        Bulk mode: receives a line every 5 s with the cycles done so far.
    stimulus : dict, optional
        Per-cycle mode: drive these arrays (port name -> ``(cycles, lanes)`` ``uint64``, with
        ``rst``) instead of the seeded stimulus, e.g. a directed test's; ``cycles`` and
        ``seed`` then only label the run.
    run_dir : path-like, optional
        An empty folder to run in, made by the caller (so that it can name it even if this
        process dies); default: a new folder under ``build_root/runs``.

    Returns
    -------
    CosimResult

    Raises
    ------
    stochhw.testbench.check.Mismatch
        RTL output differs from the model (cycle, lane, inputs, expected, actual, seed).
    CosimFailed
        The simulator failed to build or run.
    """
    check_choice("sim", simulator, SIMULATORS)
    check_choice("mode", mode, MODES)
    cycles = check_int("cycles", cycles, 1)
    seed = check_int("seed", seed, 0, 2 ** 64 - 1)
    chunk = check_int("chunk", chunk, 1)
    if stimulus is not None and mode != "percycle":
        raise ValueError("a given stimulus is driven in percycle mode (the bulk harness makes its own)")
    if waves and mode == "bulk":
        raise ValueError("waves are recorded in percycle mode; add --mode percycle")
    design = get_design(design_name)
    generated = generate(design_name, overrides)
    require_simulator(simulator)
    densities = design.stimulus_hints.get("densities")

    if run_dir is None:
        run_dir = new_run_dir(build_root, f"{generated.top}-{simulator}-{mode}")
    run_dir = Path(run_dir).resolve()
    if stimulus is None:
        stim = make_stimulus(generated.ports, cycles, seed, densities)
    else:
        stim = {name: np.asarray(values, dtype=np.uint64) for name, values in stimulus.items()}
        cycles = len(stim["rst"])
    expected = (model or design.golden(generated.params)).run(stim)
    label = f"{design_name} {_fmt(generated.params)} on {simulator} ({mode})"
    check = dict(seed=seed, latency=generated.latency, label=label)

    if mode == "percycle":
        build_dir = build({f"{generated.top}.v": generated.verilog}, generated.top, simulator,
                          waves=waves)
        start = time.perf_counter()
        np.savez(run_dir / "stim.npz", **stim)
        write_atomic(run_dir / "case.json", json.dumps(
            {"ports": [dataclasses.asdict(p) for p in generated.ports]}, indent=1))
        _simulate(simulator, generated.top, build_dir, run_dir, "cosim_percycle", waves=waves)
        seconds = time.perf_counter() - start
        with np.load(run_dir / "out.npz") as npz:
            actual = {name: npz[name] for name in npz.files}
        compare_outputs(generated.ports, stim, expected, actual, **check)
    else:
        sources = {f"{generated.top}.v": generated.verilog,
                   f"{HARNESS_TOP}.v": make_harness(generated, densities)}
        build_dir = build(sources, HARNESS_TOP, simulator, all_public=False)
        start = time.perf_counter()
        plusargs = [f"+cycles={cycles}", f"+stim_seed={seed}", f"+chunk={chunk}",
                    f"+sigfile={run_dir / 'signatures.txt'}"]
        if dump:
            plusargs += [f"+dumpfile={run_dir / 'dump.txt'}", "+dump_from=0", f"+dump_to={cycles}"]
        with _progress(run_dir / "signatures.txt", cycles, chunk, label, progress):
            _simulate(simulator, HARNESS_TOP, build_dir, run_dir, "cosim_bulk", plusargs)
        seconds = time.perf_counter() - start
        actual = _load_dump(run_dir / "dump.txt", generated.ports, label) if dump else None
        if actual is not None:
            compare_outputs(generated.ports, stim, expected, actual, **check)
        _check_signatures(generated, simulator, build_dir, run_dir, stim, expected, chunk, check)
    return CosimResult(design_name, generated.params, simulator, mode, cycles, seed, seconds,
                       str(run_dir), actual)


def _load_dump(path, ports, label):
    try:
        return parse_dump(path.read_text(), ports)
    except (OSError, ValueError) as exc:
        raise CosimFailed(f"{label}: unreadable output dump {path}: {exc}") from exc


def _check_signatures(generated, simulator, build_dir, run_dir, stim, expected, chunk, check):
    """Compare per-chunk signatures; on a difference, dump the first bad chunk and report it."""
    cycles = len(stim["rst"])
    sig_path = run_dir / "signatures.txt"
    try:
        words = sig_path.read_text().split()
        actual_sigs = np.array([int(w, 16) for w in words], dtype=np.uint64)
    except (OSError, ValueError) as exc:
        raise CosimFailed(f"{check['label']}: unreadable signature file {sig_path} "
                          f"(X on an output?): {exc}") from exc
    expected_sigs = output_signatures(generated.ports, expected, chunk)
    if actual_sigs.shape != expected_sigs.shape:
        raise CosimFailed(f"{check['label']}: {len(actual_sigs)} chunk signatures, expected "
                          f"{len(expected_sigs)}; see {sig_path}")
    bad = np.flatnonzero(actual_sigs != expected_sigs)
    if bad.size == 0:
        return
    first = int(bad[0]) * chunk
    last = min(first + chunk, cycles)
    rerun = run_dir / "rerun"
    rerun.mkdir()
    plusargs = [f"+cycles={cycles}", f"+stim_seed={check['seed']}", f"+chunk={chunk}",
                f"+dumpfile={rerun / 'dump.txt'}", f"+dump_from={first}", f"+dump_to={last}"]
    _simulate(simulator, HARNESS_TOP, build_dir, rerun, "cosim_bulk", plusargs)
    window = _load_dump(rerun / "dump.txt", generated.ports, check["label"])
    compare_outputs(generated.ports, stim, {k: v[first:last] for k, v in expected.items()},
                    window, first_cycle=first, **check)
    raise Mismatch(f"{check['label']}: chunk {bad[0]} signature differs but its dumped outputs "
                   f"match the model (seed {check['seed']}); see {run_dir}")


def _fmt(params):
    return " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in params.items())
