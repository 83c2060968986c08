"""Regression runs: the registry's cases on each simulator, in parallel processes."""

import sys
import time
from pathlib import Path

from stochhw.sim.core.design import params_text
from stochhw.sim.core.executor import JobFailure, check_jobs, make_executor, run_jobs
from stochhw.sim.core.toolchain import require_simulator
from stochhw.sim.designs import REGISTRY, get_design
from stochhw.sim.flows.cosim import CosimFailed, new_run_dir, run_cosim
from stochhw.testbench.check import Mismatch

__all__ = ["regression_cases", "run_cases"]

#: Runs of at least this many cycles report their progress while they run.
LONG_RUN = 1_000_000


def regression_cases(designs=(), overrides=None):
    """``(design, overrides)`` pairs to run.

    With ``overrides`` every named design runs once with them; without, every named design
    (default: all) runs its registry ``regress_cases``.
    """
    names = list(designs) or list(REGISTRY)
    cases = []
    for name in names:
        design = get_design(name)
        if overrides:
            design.resolve(overrides)        # refuse a bad parameter before anything runs
            cases.append((name, dict(overrides)))
        else:
            cases.extend((name, dict(case)) for case in design.regress_cases)
    return cases


def _one(case, simulator, cycles, seed, mode, waves, run_dir):
    name, overrides = case
    params = params_text(overrides, "(defaults)")
    try:
        result = run_cosim(name, overrides, simulator, cycles, seed, mode=mode, waves=waves,
                           progress=sys.stderr if cycles >= LONG_RUN else None, run_dir=run_dir)
        return True, (f"PASS {name} {params} on {simulator} ({mode}): {cycles} cycles in "
                      f"{result.seconds:.1f} s ({result.cycles_per_second / 1e3:.1f} k cycles/s) "
                      f"[{result.run_dir}]")
    except (Mismatch, CosimFailed) as exc:
        return False, f"FAIL {name} {params} on {simulator} ({mode}): {exc}"


def run_cases(cases, simulators, cycles, seed=1, mode="bulk", waves=False, jobs=2, out=sys.stdout,
              build_root="build"):
    """Run every case on every simulator; print one line per run; return the failures.

    Cases run through :mod:`stochhw.sim.core.executor`, each in a worker process of its own
    (``jobs`` at once, never more than there are runs). A case whose simulator or worker dies
    (a crash, ``kill -9``, the OOM killer) is that case's failure, named with its run folder,
    log and signal; the other cases still run and report.
    """
    check_jobs(jobs)
    for simulator in simulators:          # a missing simulator fails now, not in a worker
        require_simulator(simulator)
    work = [(case, sim) for case in cases for sim in simulators]
    failures = []
    start = time.perf_counter()
    # The run folders are made here, so that a worker that dies can still be named by its folder.
    jobs_to_run = [((case, sim, run_dir), _one, (case, sim, cycles, seed, mode, waves, run_dir))
                   for case, sim in work
                   for run_dir in [new_run_dir(build_root, f"{case[0]}-{sim}-{mode}")]]
    with make_executor(None, min(jobs, max(len(work), 1))) as executor:
        for done, ((case, sim, run_dir), outcome) in enumerate(run_jobs(executor, jobs_to_run, keep_going=True), 1):
            if isinstance(outcome, JobFailure):
                ok, line = False, _died(case, sim, mode, run_dir, outcome)
            else:
                ok, line = outcome
            print(f"[{done}/{len(work)}] {line}", file=out, flush=True)
            if not ok:
                failures.append(line)
    print(f"{len(work) - len(failures)} passed, {len(failures)} failed "
          f"in {time.perf_counter() - start:.0f} s", file=out)
    return failures


def _died(case, simulator, mode, run_dir, failure):
    """The FAIL line of a case whose worker gave no result (it died, or raised unexpectedly)."""
    name, overrides = case
    logs = sorted(Path(run_dir).glob("*.log"))
    log = f"log: {logs[-1]}" if logs else "no log written yet"
    return (f"FAIL {name} {params_text(overrides, '(defaults)')} on {simulator} ({mode}): {failure.message}; "
            f"run folder: {run_dir}; {log}")
