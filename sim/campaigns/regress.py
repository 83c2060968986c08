"""Regressions: cases x simulators co-simulated against the golden models, on local processes or
a Dask cluster, with one line per run and, optionally, one JUnit XML file for CI.

A case is a design with parameters (the registry's ``regress_cases``, or the user's ``-p``),
optionally the user's own Verilog for it. Every case is checked before the first one runs:
parameters, the files they name, the user's top module against the design's ports, the memory
a run needs, the simulators, the number of jobs. Then each case runs on each simulator through
:mod:`stochhw.sim.core.executor`, the executor the sweeps use (``scheduler=None``: local
worker processes, ``jobs`` at once; ``"tcp://HOST:PORT"``: an existing Dask cluster), with
identical results either way.

Every PASS/FAIL line names the run folder; a failure gives its message (cycle, lane, inputs,
expected, actual, seed) and the command that replays it per cycle with waveforms. A case whose
worker dies (a crash, ``kill -9``, the OOM killer) is that case's failure, named with its run
folder (made here, before the worker starts), its log and the signal; the other cases still
run and report. With
``junit``, one xunit2 file (as pytest writes) holds one test case per design x parameters x
simulator x mode; it is written before the first run with every case marked "not finished",
then rewritten as results come, so no file left behind ever says passed for a run that did
not pass.
"""

import dataclasses
import datetime
import platform
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from stochhw.models.checks import ParameterError
from stochhw.sim.core.executor import JobFailure, check_jobs, make_executor, run_jobs
from stochhw.sim.core.files import write_atomic
from stochhw.sim.core.resources import package_file
from stochhw.sim.core.toolchain import require_simulator
from stochhw.sim.designs import REGISTRY, get_design
from stochhw.sim.flows.cosim import (
    check_cases_memory,
    new_run_dir,
    replay_command,
    run_cosim,
    run_label,
    shown_params_text,
)
from stochhw.sim.flows.user_rtl import check_user_top
from stochhw.testbench.check import Mismatch, VerificationFailure

__all__ = ["Case", "Outcome", "regression_cases", "validate_cases", "run_cases", "write_junit"]

#: Runs of at least this many cycles report their progress while they run.
LONG_RUN = 1_000_000


@dataclasses.dataclass(frozen=True)
class Case:
    """One design and parameter set of a regression.

    Attributes
    ----------
    design : str
    overrides : dict
        The parameters as they run (a package file's name resolved to its path).
    verilog : tuple of str
        The user's Verilog files (absolute paths), or empty for the generated module.
    top : str or None
        The user's top module.
    """
    design: str
    overrides: dict
    verilog: tuple = ()
    top: str | None = None

    @property
    def params_text(self):
        """``k=v ...`` as typed, package files by their package-relative name."""
        return shown_params_text(self.overrides)

    def name(self, simulator, mode):
        """The JUnit test name: design, parameters, simulator and mode."""
        own = f" verilog={','.join(Path(f).name for f in self.verilog)}" if self.verilog else ""
        return f"{self.design}[{self.params_text}{own}][{simulator}][{mode}]"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one run of a case on one simulator gave (picklable; built in the worker)."""
    case: Case
    simulator: str
    mode: str
    cycles: int
    seed: int
    ok: bool
    seconds: float
    run_dir: str | None
    label: str
    message: str = ""           # the failure, without the label
    replay: str = ""
    waves: str | None = None
    kind: str = "failure"       # "failure" (the model disagrees) or "error" (the run broke)

    def line(self):
        """The PASS/FAIL line (a failure adds its message and replay command)."""
        if self.ok:
            rate = self.cycles / self.seconds / 1e3 if self.seconds > 0 else float("inf")
            waves = f" waves: {self.waves}" if self.waves else ""
            return (f"PASS {self.label}: {self.cycles} cycles in {self.seconds:.1f} s "
                    f"({rate:.1f} k cycles/s) [{self.run_dir}]{waves}")
        text = self.message.replace("\n", "\n    ")
        waves = f"\n    waves: {self.waves}" if self.waves else ""
        return (f"FAIL {self.label} [{self.run_dir or 'no run folder'}]:\n    {text}{waves}\n"
                f"    replay: {self.replay}")


def _resolve_files(design, case):
    """A built-in case's file parameters, resolved against the package (not the working folder)."""
    resolved = dict(case)
    for name, value in case.items():
        if isinstance(value, str) and design.param(name).kind == "path" and not Path(value).is_absolute():
            try:
                resolved[name] = package_file(value)
            except FileNotFoundError as exc:
                raise ParameterError(f"{design.name} regression case {name}={value}: {exc}") from None
    return resolved


def regression_cases(designs=(), overrides=None, verilog=None, top=None):
    """The cases to run, each checked (parameters, files, models) before any runs.

    With ``overrides`` (or ``verilog``) every named design runs once with them; without,
    every named design (default: all) runs its registry ``regress_cases``, whose file
    parameters name files of the package.

    Raises
    ------
    ParameterError
        Naming the case and what is wrong with it.
    """
    names = list(designs) or list(REGISTRY)
    if verilog and len(names) != 1:
        raise ParameterError(f"--verilog co-simulates your Verilog as one design; name exactly one "
                             f"DESIGN, not {len(names)}")
    if top is not None and not verilog:
        raise ParameterError("--top names a module of your own Verilog; give --verilog FILE")
    files = tuple(str(Path(f).resolve()) for f in verilog or ())
    cases = []
    for name in names:
        design = get_design(name)
        if overrides or verilog:
            cases.append(Case(name, dict(overrides or {}), files, top))
        else:
            cases.extend(Case(name, _resolve_files(design, c)) for c in design.regress_cases)
    for case in cases:
        design = get_design(case.design)
        try:
            design.golden(design.resolve(case.overrides))   # parameters, and the files they name
        except ParameterError as exc:
            raise ParameterError(f"{case.design} {case.params_text}: {exc}") from None
    return cases


def validate_cases(cases, simulators, cycles, mode, jobs=1, build_root="build"):
    """Everything a regression needs, checked before the first run: the number of jobs, the
    simulators, the user's top module against the design's ports, and the memory of ``jobs``
    runs at once."""
    check_jobs(jobs)
    for simulator in simulators:
        require_simulator(simulator)
    for case in cases:
        if case.verilog:
            check_user_top(case.design, case.overrides, case.verilog, case.top, build_root)
    check_cases_memory([(case.design, case.overrides) for case in cases], simulators, cycles, mode, jobs)


def _one(case, simulator, cycles, seed, mode, waves, build_root, run_dir):
    """One run in a worker: an :class:`Outcome`, whatever the verdict."""
    start = time.perf_counter()
    try:
        result = run_cosim(case.design, case.overrides, simulator, cycles, seed, mode=mode,
                           waves=waves, build_root=build_root,
                           progress=sys.stderr if cycles >= LONG_RUN else None,
                           verilog=list(case.verilog) or None, top=case.top, run_dir=run_dir)
        return Outcome(case, simulator, mode, cycles, seed, True, result.seconds, result.run_dir,
                       result.label, waves=result.waves)
    except VerificationFailure as exc:
        return Outcome(case, simulator, mode, cycles, seed, False, time.perf_counter() - start,
                       exc.run_dir, exc.label or _label(case, simulator, mode), exc.detail,
                       exc.replay or _replay(case, simulator, cycles, seed), exc.waves,
                       kind="failure" if isinstance(exc, Mismatch) else "error")


def _label(case, simulator, mode):
    return run_label(case.design, case.overrides, simulator, mode, case.verilog, case.top)


def _replay(case, simulator, cycles, seed):
    return replay_command(case.design, case.overrides, simulator, cycles, seed, case.verilog, case.top)


def run_cases(cases, simulators, cycles, seed=1, mode="bulk", waves=False, jobs=2, out=None,
              scheduler=None, junit=None, build_root="build"):
    """Run every case on every simulator; print one line per run; return the failed outcomes.

    Parameters
    ----------
    cases : list of Case
        From :func:`regression_cases` (or ``(design, overrides)`` pairs).
    simulators : sequence of str
    cycles, seed, mode, waves
        As for :func:`stochhw.sim.flows.cosim.run_cosim`.
    jobs : int
        Local worker processes at once, 1 .. :func:`stochhw.sim.core.executor.max_jobs`
        (never more than there are runs; ignored with ``scheduler``).
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler: the runs go to its workers.
    junit : path, optional
        Write one JUnit XML (xunit2) file for the whole regression.
    build_root : path
        Builds, caches and run folders (relative paths are the workers' own on a cluster).
    out : file-like, optional
        Where the lines go (default: ``sys.stdout`` at the time of the call).

    Returns
    -------
    list of Outcome
        The runs that did not pass: the model disagreed, the run broke, or its worker died
        (an ``"error"`` naming the signal, the run folder and the log).
    """
    out = sys.stdout if out is None else out
    cases = [c if isinstance(c, Case) else Case(c[0], dict(c[1])) for c in cases]
    validate_cases(cases, simulators, cycles, mode, 1 if scheduler else jobs, build_root)
    work = [(case, sim) for case in cases for sim in simulators]
    outcomes = {}               # index in work -> Outcome
    started = time.perf_counter()
    when = datetime.datetime.now(datetime.timezone.utc)
    if junit:
        write_junit(junit, work, outcomes, mode, cycles, seed, 0.0, when)
    # Local runs get their folders here, so that a worker that dies is still named by its
    # folder; a cluster's workers make their own (this machine's folders are not theirs).
    folders = [None if scheduler else new_run_dir(build_root, f"{case.design}-{sim}-{mode}")
               for case, sim in work]
    try:
        with make_executor(scheduler, min(jobs, max(len(work), 1))) as executor:
            # One place submits the runs: the executor's API is the sweeps' (and its hardening).
            jobs_ = [(i, _one, (case, sim, cycles, seed, mode, waves, build_root, folders[i]))
                     for i, (case, sim) in enumerate(work)]
            for done, (key, outcome) in enumerate(run_jobs(executor, jobs_, keep_going=True), 1):
                if isinstance(outcome, JobFailure):
                    outcome = _died(*work[key], cycles, seed, mode, folders[key], outcome)
                outcomes[key] = outcome
                print(f"[{done}/{len(work)}] {outcome.line()}", file=out, flush=True)
                if junit:
                    write_junit(junit, work, outcomes, mode, cycles, seed,
                                time.perf_counter() - started, when)
    finally:
        if junit:
            write_junit(junit, work, outcomes, mode, cycles, seed, time.perf_counter() - started, when)
    failures = [o for o in outcomes.values() if not o.ok]
    print(f"{len(outcomes) - len(failures)} passed, {len(failures)} failed "
          f"in {time.perf_counter() - started:.0f} s" + (f"; JUnit: {junit}" if junit else ""), file=out)
    return failures


def _died(case, simulator, cycles, seed, mode, run_dir, failure):
    """The :class:`Outcome` of a run whose worker gave no result: it died (``worker process
    killed by SIGKILL``) or raised what a run never raises (a bug: its message)."""
    logs = sorted(Path(run_dir).glob("*.log")) if run_dir else []
    log = f"log: {logs[-1]}" if logs else "no log written yet"
    return Outcome(case, simulator, mode, cycles, seed, False, 0.0, run_dir and str(run_dir),
                   _label(case, simulator, mode), f"{failure.message}; {log}",
                   _replay(case, simulator, cycles, seed), kind="error")


def write_junit(path, work, outcomes, mode, cycles, seed, seconds, when):
    """Write the regression's JUnit XML (xunit2): one test case per case x simulator x mode.

    Runs not finished (still running, interrupted, never started) are errors, so the file
    never says passed for a run that did not pass.
    """
    suite = ET.Element("testsuite", name="stochhw regress")
    props = ET.SubElement(suite, "properties")
    for name, value in (("mode", mode), ("cycles", cycles), ("seed", seed)):
        ET.SubElement(props, "property", name=name, value=str(value))
    failures = errors = 0
    for i, (case, sim) in enumerate(work):
        outcome = outcomes.get(i)
        test = ET.SubElement(suite, "testcase", classname=f"stochhw.regress.{case.design}",
                             name=case.name(sim, mode),
                             time=f"{outcome.seconds:.3f}" if outcome else "0.000")
        if outcome is None:
            errors += 1
            ET.SubElement(test, "error", message="not finished: the regression stopped before "
                                                 "this run completed")
            continue
        if not outcome.ok:
            first = outcome.message.splitlines()[0] if outcome.message else "failed"
            body = f"{outcome.label}: {outcome.message}\nrun folder: {outcome.run_dir}\nreplay: {outcome.replay}"
            if outcome.kind == "failure":
                failures += 1
            else:
                errors += 1
            ET.SubElement(test, outcome.kind, message=first).text = body
        out = ET.SubElement(test, "system-out")
        out.text = (f"cycles={outcome.cycles} seed={outcome.seed} run_dir={outcome.run_dir}"
                    + (f" waves={outcome.waves}" if outcome.waves else ""))
    suite.set("tests", str(len(work)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    suite.set("time", f"{seconds:.3f}")
    suite.set("timestamp", when.isoformat(timespec="seconds"))
    suite.set("hostname", platform.node())
    root = ET.Element("testsuites", name="stochhw regress")
    root.append(suite)
    ET.indent(root)
    write_atomic(path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
