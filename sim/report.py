"""``stochhw report`` (``make demo``), the main job.

1. generate every registered design into ``build/generated/<design>/`` (Verilog + manifest);
2. co-simulate each design (defaults) on Icarus and Verilator against its golden model;
3. run every LUT comparison of :data:`sim.compare.COMPARISONS` into ``synth_reports/``;
4. measure the stochastic-rounding bias of LFSR-fed and ideal sources into ``synth_reports/``;
5. write ``synth_reports/README.md``, the index, with the regenerating command.

The reports are written into a staging copy of ``synth_reports/`` that replaces the folder
only when everything has been written: an interrupted run leaves the previous reports as they
were. Synthesis results and Verilog are cached by content hash, so a second run with nothing
changed does no synthesis.
"""

import contextlib
import fcntl
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .analyze import rounding_bias
from .compare import COMPARISONS, run_comparison
from .cosim import SIMULATORS
from .generate import generate, write_atomic, write_design
from .registry import REGISTRY
from .regress import run_cases
from .toolchain import require_simulator, tool_versions, yosys_command

__all__ = ["run_report", "REPORT_DIR"]

REPORT_DIR = Path("synth_reports")


def _bias_markdown(result):
    lines = [
        "# Stochastic rounding bias",
        "",
        "Regenerate with `stochhw report` (or `make demo`); source: `sim/analyze.py`.",
        "",
        f"Mean of `y * 2^k - x` in LSBs of x, k = {result['k']}, over exactly one LFSR period "
        "per fractional part f = x mod 2^k (no saturation). An LFSR never outputs zero, so its "
        "low k bits are 0 once less often per period than any other value; the exact bias is "
        "f / (2^w - 1).",
        "",
        "| LFSR width w | period | max bias (LSB) | mean bias (LSB) | max deviation from f/(2^w-1) |",
        "|--:|--:|--:|--:|--:|",
    ]
    for row in result["lfsr"]:
        lines.append(f"| {row['lfsr_width']} | {row['period']} | {row['max_bias_lsb']:.5f} | "
                     f"{row['mean_bias_lsb']:.5f} | {row['max_abs_deviation_from_theory']:.1e} |")
    ideal = result["ideal_uniform"]
    lines += ["", f"Ideal uniform source (PCG64, {ideal['samples']} samples): mean bias "
                  f"{ideal['mean_bias_lsb']:+.4f} LSB, standard error {ideal['standard_error_lsb']:.4f}.", ""]
    return "\n".join(lines)


def _index(comparisons):
    versions = tool_versions()
    lines = [
        "# synth_reports",
        "",
        "Committed, regenerable reports. Regenerate all of them with",
        "",
        "    make demo        # = stochhw report",
        "",
        "or only the LUT comparisons with `stochhw compare [NAME...]`.",
        "",
        "| file | what |",
        "|---|---|",
    ]
    for comp in comparisons:
        lines.append(f"| `{comp.name}.md` / `.csv` / `.json` / `.png` | {comp.title} |")
    lines += ["| `rounding_bias.md` / `.json` | stochastic rounding bias of LFSR-fed and ideal sources |",
              "", "Tools: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()) if v), ""]
    return "\n".join(lines)


@contextlib.contextmanager
def staged(folder):
    """Yield a private copy of ``folder`` to write into; swap it in only if the block succeeds.

    Every run gets its own stage (``mkdtemp``: unique even for two runs in one process), and
    the two renames of the swap happen under an exclusive lock on the parent folder, so two
    runs that finish together never interleave them: each swaps in a complete folder, and the
    last one wins. An interrupted run leaves ``folder`` as it was.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    try:
        os.chmod(stage, 0o755)            # mkdtemp makes 0700; the reports are for everyone
        if folder.exists():
            shutil.copytree(folder, stage, dirs_exist_ok=True)
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = stage.with_name(stage.name + ".old")
    lock = os.open(folder.parent, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if folder.exists():
            os.rename(folder, old)
        os.rename(stage, folder)
    finally:
        os.close(lock)                    # closing releases the lock
    shutil.rmtree(old, ignore_errors=True)


def run_report(cycles=20_000, jobs=2, out=sys.stdout, report_dir=REPORT_DIR, build_root="build"):
    """Run the main job; return the exit status (0 when every co-simulation passed)."""
    for simulator in SIMULATORS:          # a missing tool fails before any work, not midway
        require_simulator(simulator)
    yosys_command()
    with staged(report_dir) as stage:
        status = _run_report(cycles, jobs, out, stage, build_root)
    print(f"== reports in {report_dir}/", file=out)
    return status


def _run_report(cycles, jobs, out, report_dir, build_root):
    print("== generate", file=out, flush=True)
    for name in REGISTRY:
        generated = generate(name)
        path = write_design(generated, Path(build_root) / "generated" / name)
        print(f"  {path}", file=out, flush=True)

    print("== co-simulate (bulk, defaults, both simulators)", file=out, flush=True)
    failures = run_cases([(name, {}) for name in REGISTRY], SIMULATORS, cycles=cycles,
                         seed=1, jobs=jobs, out=out)

    print("== synthesize and compare", file=out, flush=True)
    for comp in COMPARISONS.values():
        run_comparison(comp, report_dir, jobs=jobs, progress=out)
        print(f"  wrote {comp.name}.{{md,csv,json,png}}", file=out, flush=True)

    print("== rounding bias", file=out, flush=True)
    bias = rounding_bias()
    write_atomic(report_dir / "rounding_bias.json", json.dumps(bias, indent=2, sort_keys=True) + "\n")
    write_atomic(report_dir / "rounding_bias.md", _bias_markdown(bias))
    write_atomic(report_dir / "README.md", _index(COMPARISONS.values()))
    print("  wrote rounding_bias.{md,json} and README.md",
          file=out, flush=True)
    if failures:
        print(f"report: {len(failures)} co-simulation(s) failed", file=out)
        return 1
    return 0
