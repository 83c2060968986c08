"""``stochhw bench``: throughput of every way to run a design, measured side by side in one run.

The machines are shared and noisy, so every subject is repeated and the median is quoted;
the subjects are interleaved (round robin over repeats) so that a slow spell hurts all of them
alike, and speeds are reported as ratios to the per-cycle cocotb loop on the same simulator.

Subjects, all on the same design (default: 64-lane ``sru_array``, external random bus):

* golden model (NumPy), in lane-cycles per second;
* Amaranth's Python simulator;
* cocotb per-cycle loop on Icarus and on Verilator;
* cocotb bulk mode on Icarus and on Verilator;
* the same bulk harness with no Python at all (Verilator: a 10-line C++ main; Icarus: plain
  ``vvp``): the ceiling of each simulator;
* Yosys synthesis (xilinx), cold (fresh cache) and cached.

Each subject runs its own number of cycles (a fraction of ``--cycles`` for the slow ones), so
one bench run takes minutes, not hours; rates are per second either way.
"""

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.files import write_atomic
from stochhw.sim.core.toolchain import require_simulator, tool_env, tool_versions, yosys_command
from stochhw.sim.designs import get_design
from stochhw.sim.flows.cosim import VERILATOR_ARGS, run_cosim
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.synth import synthesize
from stochhw.testbench.amaranth_sim import run_amaranth
from stochhw.testbench.harness import HARNESS_TOP, make_harness
from stochhw.testbench.stimuli import make_stimulus

# Runs the harness (which has its own clock) until it raises `done`; plusargs reach
# $value$plusargs. The standard Verilator --timing main loop.
_RAW_MAIN = """#include "Vstochhw_bulk.h"
#include "verilated.h"
int main(int argc, char** argv) {
    VerilatedContext* context = new VerilatedContext;
    context->commandArgs(argc, argv);
    Vstochhw_bulk* top = new Vstochhw_bulk{context};
    while (!context->gotFinish() && !top->done) {
        top->eval();
        if (!top->eventsPending()) break;
        context->time(top->nextTimeSlot());
    }
    top->final();
    delete top;
    delete context;
    return 0;
}
"""


#: A top level for running the harness on Icarus without cocotb.
_RAW_ICARUS_TOP = f"""module raw_top;
  {HARNESS_TOP} harness();
  always @(posedge harness.done) $finish;
endmodule
"""


def _build_raw(generated, simulator, build_root):
    """Build the bulk harness around ``generated`` with no cocotb: the simulator's ceiling.

    Returns the command prefix that runs it (plusargs follow).
    """
    sources = {f"{generated.top}.v": generated.verilog, f"{HARNESS_TOP}.v": make_harness(generated)}
    sources.update({"raw_top.v": _RAW_ICARUS_TOP} if simulator == "icarus" else {"main.cpp": _RAW_MAIN})
    cache = Cache("sim")
    key = cache_key("raw", simulator, [list(item) for item in sorted(sources.items())], tool_versions())
    folder = cache.path(key).resolve()
    if simulator == "icarus":
        product = "raw.vvp"
        command = ["iverilog", "-g2012", "-s", "raw_top", "-o", str(folder / product)]
    else:
        product = "obj/Vstochhw_bulk"
        command = ["verilator", "--cc", "--exe", "--build", "--timing", "-j", "2",
                   "--top-module", HARNESS_TOP, "--Mdir", str(folder / "obj"), *VERILATOR_ARGS]
    run = ["vvp", "-n", str(folder / product)] if simulator == "icarus" else [str(folder / product)]
    with cache.lock(key):
        if cache.lookup(key, (product,)) is None:
            # In place: the commands above name the entry's own folder.
            with cache.building(key, in_place=True):
                for name, text in sources.items():
                    write_atomic(folder / name, text)
                with open(folder / "build.log", "w") as f:
                    if subprocess.run(command + [str(folder / name) for name in sources], stdout=f,
                                      stderr=subprocess.STDOUT, env=tool_env()).returncode:
                        raise RuntimeError(f"raw {simulator} build failed; see "
                                           f"{cache.failed_path(key) / 'build.log'}")
    return run


def _subjects(design_name, overrides, cycles, build_root):
    """``{name: (cycles, callable returning seconds)}``."""
    design = get_design(design_name)
    params = design.resolve(overrides)
    ports = design.ports(params)
    subjects = {}

    def model(n):
        stim = make_stimulus(ports, n, 1)
        golden = design.golden(params)
        start = time.perf_counter()
        golden.run(stim)
        return time.perf_counter() - start

    def amaranth(n):
        stim = make_stimulus(ports, n, 1)
        component = design.build(params)
        start = time.perf_counter()
        run_amaranth(component, ports, stim)
        return time.perf_counter() - start

    def cosim(simulator, mode):
        def run(n):
            return run_cosim(design_name, overrides, simulator, n, seed=1, mode=mode,
                             build_root=build_root).seconds
        return run

    subjects["golden model"] = (cycles, model)
    subjects["amaranth sim"] = (max(200, cycles // 1000), amaranth)
    for simulator, share in (("icarus", 500), ("verilator", 50)):
        subjects[f"{simulator} percycle"] = (max(200, cycles // share), cosim(simulator, "percycle"))
    subjects["icarus bulk"] = (max(200, cycles // 500), cosim("icarus", "bulk"))
    subjects["verilator bulk"] = (cycles, cosim("verilator", "bulk"))
    def raw(simulator):
        command = _build_raw(generate(design_name, overrides), simulator, build_root)

        def run(n):
            start = time.perf_counter()
            subprocess.run(command + [f"+cycles={n}", "+stim_seed=1"], check=True,
                           stdout=subprocess.DEVNULL, env=tool_env())
            return time.perf_counter() - start
        return run

    subjects["verilator raw (no Python)"] = (cycles, raw("verilator"))
    subjects["icarus raw (no Python)"] = (max(200, cycles // 500), raw("icarus"))
    return subjects


def run_bench(design_name="sru_array", overrides=None, repeats=3, cycles=1_000_000, lanes=64,
              progress=None, build_root="build"):
    """Measure every subject ``repeats`` times; return a JSON-ready report with medians."""
    for simulator in ("icarus", "verilator"):     # missing tools fail before any measurement
        require_simulator(simulator)
    yosys_command()
    if overrides is None:
        overrides = {"lanes": lanes, "source": "external"}
    subjects = _subjects(design_name, overrides, cycles, build_root)
    lane_count = overrides.get("lanes", 1)
    # Warm-up: builds, first-use compilation of yowasp, imports; not counted.
    for name, (n, fn) in subjects.items():
        if progress:
            print(f"bench: warming up {name}", file=progress, flush=True)
        fn(min(n, 500))
    times = {name: [] for name in subjects}
    for r in range(repeats):
        for name, (n, fn) in subjects.items():
            times[name].append(fn(n))
            if progress:
                print(f"bench: [{r + 1}/{repeats}] {name}: {n} cycles in {times[name][-1]:.2f} s",
                      file=progress, flush=True)

    rows = {}
    for name, (n, _) in subjects.items():
        median = statistics.median(times[name])
        rows[name] = {"cycles": n, "median_seconds": round(median, 6),
                      "cycles_per_second": round(n / median, 1),
                      "lane_cycles_per_second": round(n * lane_count / median, 1),
                      "seconds": [round(t, 6) for t in times[name]]}
    for simulator in ("icarus", "verilator"):
        base = rows[f"{simulator} percycle"]["cycles_per_second"]
        for mode in ("percycle", "bulk"):
            rows[f"{simulator} {mode}"]["speedup_vs_percycle"] = round(
                rows[f"{simulator} {mode}"]["cycles_per_second"] / base, 2)
    for simulator in ("icarus", "verilator"):
        rows[f"{simulator} bulk"]["fraction_of_raw"] = round(
            rows[f"{simulator} bulk"]["cycles_per_second"]
            / rows[f"{simulator} raw (no Python)"]["cycles_per_second"], 3)

    synth = _bench_synth(design_name, overrides, repeats)
    return {"design": design_name, "params": overrides, "repeats": repeats,
            "tool_versions": tool_versions(), "throughput": rows, "synthesis": synth}


def _bench_synth(design_name, overrides, repeats):
    """Synthesis time, cold (empty cache) and cached, median over ``repeats``."""
    generated = generate(design_name, overrides)
    cold, cached = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            synthesize(generated, "xilinx", cache_dir=Path(cache))
            cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = synthesize(generated, "xilinx", cache_dir=Path(cache))
            cached.append(time.perf_counter() - start)
            assert result.cached
    return {"family": "xilinx", "cold_median_seconds": round(statistics.median(cold), 3),
            "cached_median_seconds": round(statistics.median(cached), 4),
            "cached_fraction_of_cold": round(statistics.median(cached) / statistics.median(cold), 5)}


def format_bench(report):
    """The report as a Markdown table."""
    lines = [f"Throughput on {report['design']} {report['params']} "
             f"(median of {report['repeats']} runs, measured side by side)", "",
             "| subject | cycles | median s | cycles/s | lane-cycles/s | vs per-cycle |",
             "|---|--:|--:|--:|--:|--:|"]
    for name, row in report["throughput"].items():
        ratio = row.get("speedup_vs_percycle")
        lines.append(f"| {name} | {row['cycles']} | {row['median_seconds']:.3f} | "
                     f"{row['cycles_per_second']:,.0f} | {row['lane_cycles_per_second']:,.0f} | "
                     f"{'' if ratio is None else f'{ratio:.1f}x'} |")
    for simulator in ("icarus", "verilator"):
        fraction = report["throughput"][f"{simulator} bulk"]["fraction_of_raw"]
        lines += ["", f"{simulator} bulk reaches {100 * fraction:.0f}% of the raw {simulator} speed."]
    s = report["synthesis"]
    lines += ["", f"Synthesis ({s['family']}): cold {s['cold_median_seconds']:.2f} s, cached "
                  f"{s['cached_median_seconds']:.3f} s ({100 * s['cached_fraction_of_cold']:.2f}% of cold)"]
    return "\n".join(lines)
