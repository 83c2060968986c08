"""``stochhw report`` (part of ``make reports``): the full regeneration of ``synth_reports/``.

1. generate every registered design into ``build/generated/<design>/`` (Verilog + manifest);
2. co-simulate each design (defaults) on Icarus and Verilator against its golden model;
3. run every LUT comparison of :data:`stochhw.sim.designs.COMPARISONS` into ``synth_reports/``;
4. measure the stochastic-rounding bias of LFSR-fed and ideal sources into ``synth_reports/``;
5. write ``synth_reports/README.md``, the index, with the regenerating command.

The reports are written into a staging copy of ``synth_reports/`` that replaces the folder
only when everything has been written: an interrupted run leaves the previous reports as they
were. Synthesis results and Verilog are cached by content hash, so a second run with nothing
changed does no synthesis.
"""

import sys
from pathlib import Path

from stochhw.sim.analyses.bias import report_files, rounding_bias
from stochhw.sim.campaigns.compare import run_comparison
from stochhw.sim.campaigns.regress import run_cases
from stochhw.sim.core.files import staged
from stochhw.sim.core.reportkit import table, write_report
from stochhw.sim.core.toolchain import require_simulator, tool_versions, yosys_command
from stochhw.sim.designs import COMPARISONS, REGISTRY
from stochhw.sim.flows.cosim import SIMULATORS
from stochhw.sim.flows.generate import generate, write_design

__all__ = ["run_report", "REPORT_DIR"]

REPORT_DIR = Path("synth_reports")


def _index(comparisons):
    versions = tool_versions()
    lines = [
        "# synth_reports",
        "",
        "Committed, regenerable reports. Regenerate all of them with",
        "",
        "    stochhw report   # part of `make reports`, which also regenerates reports/",
        "",
        "or only the LUT comparisons with `stochhw compare [NAME...]`. `make demo` runs a subset",
        "of `sru_lanes` into `build/demo/` and never writes here.",
        "",
        *table(["file", "what"], "ll", [
            *([f"`{comp.name}.md` / `.csv` / `.json` / `.png`", comp.title] for comp in comparisons),
            ["`rounding_bias.md` / `.json`", "stochastic rounding bias of LFSR-fed and ideal sources"]]),
    ]
    lines += ["", "Tools: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()) if v), ""]
    return "\n".join(lines)


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
                         seed=1, jobs=jobs, out=out, build_root=build_root)

    print("== synthesize and compare", file=out, flush=True)
    for comp in COMPARISONS.values():
        run_comparison(comp, report_dir, jobs=jobs, progress=out)
        print(f"  wrote {comp.name}.{{md,csv,json,png}}", file=out, flush=True)

    print("== rounding bias", file=out, flush=True)
    write_report(report_dir, {**report_files(rounding_bias()),
                              "README.md": _index(COMPARISONS.values())})
    print("  wrote rounding_bias.{md,json} and README.md",
          file=out, flush=True)
    if failures:
        print(f"report: {len(failures)} co-simulation(s) failed", file=out)
        return 1
    return 0
