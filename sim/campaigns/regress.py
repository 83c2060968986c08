"""Regression runs: the registry's cases on each simulator, in parallel processes."""

import concurrent.futures
import sys
import time

from stochhw.sim.core.design import params_text
from stochhw.sim.core.toolchain import require_simulator
from stochhw.sim.designs import REGISTRY, get_design
from stochhw.sim.flows.cosim import CosimFailed, run_cosim
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


def _one(case, simulator, cycles, seed, mode, waves):
    name, overrides = case
    params = params_text(overrides, "(defaults)")
    try:
        result = run_cosim(name, overrides, simulator, cycles, seed, mode=mode, waves=waves,
                           progress=sys.stderr if cycles >= LONG_RUN else None)
        return True, (f"PASS {name} {params} on {simulator} ({mode}): {cycles} cycles in "
                      f"{result.seconds:.1f} s ({result.cycles_per_second / 1e3:.1f} k cycles/s) "
                      f"[{result.run_dir}]")
    except (Mismatch, CosimFailed) as exc:
        return False, f"FAIL {name} {params} on {simulator} ({mode}): {exc}"


def run_cases(cases, simulators, cycles, seed=1, mode="bulk", waves=False, jobs=2, out=sys.stdout):
    """Run every case on every simulator; print one line per run; return the failures."""
    for simulator in simulators:          # a missing simulator fails now, not in a worker
        require_simulator(simulator)
    work = [(case, sim) for case in cases for sim in simulators]
    failures = []
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_one, case, sim, cycles, seed, mode, waves) for case, sim in work]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            ok, line = future.result()
            print(f"[{done}/{len(work)}] {line}", file=out, flush=True)
            if not ok:
                failures.append(line)
    print(f"{len(work) - len(failures)} passed, {len(failures)} failed "
          f"in {time.perf_counter() - start:.0f} s", file=out)
    return failures
