"""``stochhw bench``: throughput of every way to run a design, measured side by side in one run.

The machines are shared and noisy, so every subject is repeated and the median is quoted;
the subjects are interleaved (round robin over repeats) so that a slow spell hurts all of them
alike.

Subjects, all on the same design (default: 64-lane ``sru_array``, external random bus):

* the golden model alone (NumPy, chunk by chunk as a bulk run feeds it), and the whole Python
  side of a bulk run (stimulus, model and signatures);
* Amaranth's Python simulator;
* co-simulation on Icarus and on Verilator, per cycle (cocotb) and bulk, each timed **end to
  end** (stimulus, model, simulation and check: what a user waits for; cached builds aside);
  a bulk row also gives the simulator's own time within it;
* the **design-only ceiling** of each simulator: the same design on the same simulator, driven
  by the cheapest stimulus there is (one xorshift word a cycle) with no checking
  (:func:`stochhw.testbench.harness.make_harness` with ``ceiling=True``);
* peak memory of a bulk Verilator run at 0.4 M and 4 M cycles (Python process and simulator),
  each in a fresh process;
* Yosys synthesis (xilinx), cold (fresh cache) and cached.

Every subject's CPU time (this process and the simulators it ran) is reported beside its wall
time: on a shared machine the wall time depends on everything else that runs, and a bulk run
(model and simulator, two processes) and a ceiling run (one) do not suffer alike. The machine's
load average at the start and the end is part of the report.

Targets (issue 17; benchmark targets, not tests): bulk on Verilator end to end >= 50% of the
Verilator ceiling; bulk on Icarus >= 5x the per-cycle loop on Icarus; peak memory at 4 M
cycles <= 1.3x that at 0.4 M.

Each subject runs its own number of cycles (a fraction of ``--cycles`` for the slow ones), so
one bench run takes minutes, not hours; rates are per second either way.
"""

import multiprocessing
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from stochhw.sim.core.toolchain import require_simulator, tool_env, tool_versions, yosys_command
from stochhw.sim.designs import get_design
from stochhw.sim.flows.cosim import (
    DEFAULT_CHUNK,
    VerilogSource,
    block_cycles,
    build_bulk,
    check_run_memory,
    run_cosim,
)
from stochhw.sim.flows.generate import generate
from stochhw.sim.flows.synth import synthesize
from stochhw.testbench.amaranth_sim import run_amaranth
from stochhw.testbench.harness import output_signatures
from stochhw.testbench.stimuli import make_stimulus

__all__ = ["run_bench", "format_bench", "TARGETS", "SUBJECTS"]

#: The issue-17 targets: (what, threshold).
TARGETS = {
    "verilator_bulk_vs_ceiling": 0.5,
    "icarus_bulk_vs_percycle": 5.0,
    "memory_4m_vs_0m4": 1.3,
}

#: The subjects, in the order they run and are shown.
SUBJECTS = ("golden model (chunk by chunk)", "python side of bulk (stimulus, model, signatures)",
            "amaranth sim", "icarus percycle", "icarus bulk", "icarus design-only ceiling",
            "verilator percycle", "verilator bulk", "verilator design-only ceiling")

#: Each subject runs ``--cycles`` divided by its share (the slow ones a fraction of them).
_SHARES = (1, 1, 1000, 500, 50, 50, 50, 1, 1)

#: Cycles of the two memory measurements.
MEMORY_CYCLES = (400_000, 4_000_000)


def _subjects(design_name, overrides, cycles, build_root):
    """``{name: (cycles, callable returning (seconds, simulator seconds or None))}``."""
    design = get_design(design_name)
    params = design.resolve(overrides)
    ports = design.ports(params)
    block = block_cycles(ports, DEFAULT_CHUNK)
    subjects = {}

    def python_side(with_model_only):
        def run(n):
            model = design.golden(params)
            state, spent = {}, 0.0
            start = time.perf_counter()
            for a in range(0, n, block):
                b = min(a + block, n)
                stim = make_stimulus(ports, n, 1, start=a, stop=b, dtype=None)    # as bulk runs do
                t0 = time.perf_counter()
                out = model.run(stim, state)
                spent += time.perf_counter() - t0
                if not with_model_only:
                    output_signatures(ports, out, DEFAULT_CHUNK, first_cycle=a)
            return (spent if with_model_only else time.perf_counter() - start), None
        return run

    def amaranth(n):
        stim = make_stimulus(ports, n, 1)
        component = design.build(params)
        start = time.perf_counter()
        run_amaranth(component, ports, stim)
        return time.perf_counter() - start, None

    def cosim(simulator, mode):
        def run(n):
            result = run_cosim(design_name, overrides, simulator, n, seed=1, mode=mode,
                               build_root=build_root)
            return result.seconds, (result.simulator_seconds if mode == "bulk" else None)
        return run

    def ceiling(simulator):
        generated = generate(design_name, overrides)
        source = VerilogSource(generated.top, generated.ports, {f"{generated.top}.v": generated.verilog})
        command = build_bulk(source, simulator, ceiling=True)

        def run(n):
            start = time.perf_counter()
            subprocess.run(command + [f"+cycles={n}", "+stim_seed=1"], check=True,
                           stdout=subprocess.DEVNULL, env=tool_env())
            return time.perf_counter() - start, None
        return run

    runs = (python_side(True), python_side(False), amaranth, cosim("icarus", "percycle"),
            cosim("icarus", "bulk"), ceiling("icarus"), cosim("verilator", "percycle"),
            cosim("verilator", "bulk"), ceiling("verilator"))
    for name, run, share in zip(SUBJECTS, runs, _SHARES):
        subjects[name] = (max(200, cycles // share), run)
    return subjects


def _check_percycle_memory(design_name, overrides, cycles):
    """Refuse a ``--cycles`` whose per-cycle subjects would not fit in memory, before any
    measurement (bulk runs hold a constant amount; the per-cycle ones hold the whole run)."""
    design = get_design(design_name)
    ports = design.ports(design.resolve(overrides))
    longest = max(200, cycles // min(share for name, share in zip(SUBJECTS, _SHARES) if "percycle" in name))
    check_run_memory(ports, longest, "percycle", name=f"the bench's per-cycle runs of {design_name}")


def _cpu_seconds():
    """CPU time of this process and of its finished children (simulators): what a subject
    costs whatever else the machine is doing (its wall time depends on that)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _peak_child(design_name, overrides, cycles, build_root):
    """In a fresh process: one bulk Verilator run; peak memory of this process and the simulator."""
    result = run_cosim(design_name, overrides, "verilator", cycles, seed=1, build_root=build_root)
    python = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    simulator = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"cycles": cycles, "seconds": round(result.seconds, 3), "python_bytes": python,
            "simulator_bytes": simulator, "total_bytes": python + simulator}


def _peak_memory(design_name, overrides, build_root, memory_cycles):
    context = multiprocessing.get_context("spawn")
    rows = []
    for cycles in memory_cycles:
        with context.Pool(1) as pool:
            rows.append(pool.apply(_peak_child, (design_name, overrides, cycles, build_root)))
    return rows


def run_bench(design_name="sru_array", overrides=None, repeats=3, cycles=1_000_000, lanes=64,
              progress=None, build_root="build", memory_cycles=MEMORY_CYCLES):
    """Measure every subject ``repeats`` times; return a JSON-ready report with medians.

    ``memory_cycles``: the two run lengths whose peak memory is compared (None: skip).
    """
    for simulator in ("icarus", "verilator"):     # missing tools fail before any measurement
        require_simulator(simulator)
    yosys_command()
    if overrides is None:
        overrides = {"lanes": lanes, "source": "external"}
    _check_percycle_memory(design_name, overrides, cycles)
    load = [round(os.getloadavg()[0], 2)]
    subjects = _subjects(design_name, overrides, cycles, build_root)
    lane_count = overrides.get("lanes", 1)
    # Warm-up: builds, first-use compilation of yowasp, imports; not counted.
    for name, (n, fn) in subjects.items():
        if progress:
            print(f"bench: warming up {name}", file=progress, flush=True)
        fn(min(n, 500))
    times = {name: [] for name in subjects}
    sim_times = {name: [] for name in subjects}
    cpu_times = {name: [] for name in subjects}
    for r in range(repeats):
        for name, (n, fn) in subjects.items():
            cpu = _cpu_seconds()
            seconds, sim_seconds = fn(n)
            cpu_times[name].append(_cpu_seconds() - cpu)
            times[name].append(seconds)
            if sim_seconds is not None:
                sim_times[name].append(sim_seconds)
            if progress:
                print(f"bench: [{r + 1}/{repeats}] {name}: {n} cycles in {seconds:.2f} s",
                      file=progress, flush=True)

    rows = {}
    for name, (n, _) in subjects.items():
        median = statistics.median(times[name])
        rows[name] = {"cycles": n, "median_seconds": round(median, 6),
                      "cycles_per_second": round(n / median, 1),
                      "lane_cycles_per_second": round(n * lane_count / median, 1),
                      "seconds": [round(t, 6) for t in times[name]]}
        rows[name]["cpu_median_seconds"] = round(statistics.median(cpu_times[name]), 6)
        if sim_times[name]:
            rows[name]["simulator_median_seconds"] = round(statistics.median(sim_times[name]), 6)
    for simulator in ("icarus", "verilator"):
        base = rows[f"{simulator} percycle"]["cycles_per_second"]
        ceiling = rows[f"{simulator} design-only ceiling"]["cycles_per_second"]
        for mode in ("percycle", "bulk"):
            row = rows[f"{simulator} {mode}"]
            row["speedup_vs_percycle"] = round(row["cycles_per_second"] / base, 2)
            row["fraction_of_ceiling"] = round(row["cycles_per_second"] / ceiling, 3)
    report = {"design": design_name, "params": overrides, "repeats": repeats,
              "tool_versions": tool_versions(), "throughput": rows}
    if memory_cycles:
        if progress:
            print("bench: peak memory at " + " and ".join(f"{c:,}" for c in memory_cycles) + " cycles",
                  file=progress, flush=True)
        report["memory"] = _peak_memory(design_name, overrides, build_root, memory_cycles)
    report["synthesis"] = _bench_synth(design_name, overrides, repeats)
    report["targets"] = _targets(report)
    report["load_average"] = load + [round(os.getloadavg()[0], 2)]
    return report


def _targets(report):
    rows = report["throughput"]
    found = {
        "verilator_bulk_vs_ceiling": rows["verilator bulk"]["fraction_of_ceiling"],
        "icarus_bulk_vs_percycle": rows["icarus bulk"]["speedup_vs_percycle"],
    }
    if "memory" in report:
        small, large = report["memory"]
        found["memory_4m_vs_0m4"] = round(large["total_bytes"] / small["total_bytes"], 3)
    met = {name: (value <= TARGETS[name] if name == "memory_4m_vs_0m4" else value >= TARGETS[name])
           for name, value in found.items()}
    return {name: {"value": value, "target": TARGETS[name], "met": met[name]} for name, value in found.items()}


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
    """The report as Markdown: the throughput table, the targets, memory and synthesis."""
    lines = [f"Throughput on {report['design']} {report['params']} "
             f"(median of {report['repeats']} runs, measured side by side; co-simulation end to end)", "",
             "| subject | cycles | median s | CPU s | cycles/s | lane-cycles/s | vs per-cycle | vs ceiling |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    order = {name: i for i, name in enumerate(SUBJECTS)}
    for name, row in sorted(report["throughput"].items(), key=lambda item: order.get(item[0], len(order))):
        ratio, fraction = row.get("speedup_vs_percycle"), row.get("fraction_of_ceiling")
        sim = row.get("simulator_median_seconds")
        shown = name + (f" (simulator alone {sim:.3f} s)" if sim is not None else "")
        lines.append(f"| {shown} | {row['cycles']} | {row['median_seconds']:.3f} | "
                     f"{row.get('cpu_median_seconds', 0):.3f} | "
                     f"{row['cycles_per_second']:,.0f} | {row['lane_cycles_per_second']:,.0f} | "
                     f"{'' if ratio is None else f'{ratio:.1f}x'} | "
                     f"{'' if fraction is None else f'{100 * fraction:.0f}%'} |")
    if "memory" in report:
        lines += ["", "| bulk verilator run | cycles | s | Python peak | simulator peak | total |",
                  "|---|--:|--:|--:|--:|--:|"]
        for m in report["memory"]:
            lines.append(f"| peak memory | {m['cycles']:,} | {m['seconds']:.1f} | "
                         f"{m['python_bytes'] / 2**20:.0f} MB | {m['simulator_bytes'] / 2**20:.0f} MB | "
                         f"{m['total_bytes'] / 2**20:.0f} MB |")
    names = {"verilator_bulk_vs_ceiling": "Verilator bulk, end to end, vs the design-only ceiling",
             "icarus_bulk_vs_percycle": "Icarus bulk vs the Icarus per-cycle loop",
             "memory_4m_vs_0m4": "peak memory at 4 M cycles vs 0.4 M"}
    lines += [""]
    for name, t in report["targets"].items():
        sign = "<=" if name == "memory_4m_vs_0m4" else ">="
        lines.append(f"- {names[name]}: {t['value']:g} (target {sign} {t['target']:g}): "
                     f"{'met' if t['met'] else 'NOT met'}")
    if "load_average" in report:
        lines += ["", f"Load average (1 min) at the start and the end: "
                      f"{report['load_average'][0]:g}, {report['load_average'][1]:g}"]
    s = report["synthesis"]
    lines += ["", f"Synthesis ({s['family']}): cold {s['cold_median_seconds']:.2f} s, cached "
                  f"{s['cached_median_seconds']:.3f} s ({100 * s['cached_fraction_of_cold']:.2f}% of cold)"]
    return "\n".join(lines)
