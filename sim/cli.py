"""The ``stochhw`` command line.

Errors in what the user typed (unknown design, bad parameter, unknown family, malformed
``-p``, a missing tool, a file or folder that cannot be read or written) print one line,
``stochhw: error: ...``, and exit with status 2.
A design that fails verification or a tool run that fails exits with status 1.
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from stochhw.models.checks import ParameterError
from stochhw.sim.analyses import TOPICS
from stochhw.sim.analyses.topic import nonnegative_int, positive_int
from stochhw.sim.core.design import params_text, value_text
from stochhw.sim.core.executor import check_jobs
from stochhw.sim.core.files import check_writable
from stochhw.sim.core.toolchain import ToolMissing

__all__ = ["main"]

EXIT_FAIL = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Something the user typed is wrong; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _parse_overrides(pairs):
    """``["K=V", ...]`` -> ``{K: V}`` (values stay text; the registry parses them)."""
    overrides = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-p expects KEY=VALUE, not {pair!r}")
        key = key.strip()
        if key in overrides:
            raise UsageError(f"-p {key} given twice")
        overrides[key] = value
    return overrides


# --- commands -------------------------------------------------------------------------------

def _list_entries():
    """Every design as the JSON-ready dict of ``stochhw list --json`` (stable keys)."""
    from stochhw.sim.designs import REGISTRY
    entries = []
    for design in REGISTRY.values():
        params = design.defaults()
        ports = design.ports(params)
        entries.append({
            "name": design.name,
            "summary": design.summary,
            "latency": design.latency(params),
            "params": [{"name": p.name, "kind": p.kind,
                        "default": list(p.default) if isinstance(p.default, tuple) else p.default,
                        "domain": p.describe(), "doc": p.doc} for p in design.params],
            "ports": [{"name": "clk", "direction": "in", "width": 1, "lanes": 1, "signed": False}] +
                     [{"name": p.name, "direction": p.direction, "width": p.width, "lanes": p.lanes,
                       "signed": p.signed} for p in ports],
        })
    return entries


def _table(headers, rows):
    """A Markdown table; a ``|`` inside a cell is escaped (it would end the cell)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def parameters_markdown(entries):
    """The parameter reference, ``docs/parameters.md``: one section per design with its
    parameters (kind and domain from the spec, default, doc), ports and latency."""
    lines = [
        "# Design parameters",
        "",
        "Generated from the design specs by `stochhw list --markdown`; do not edit by hand",
        "(`tests/test_cli.py` fails when this file differs from what the command prints).",
        "Give a parameter as `-p NAME=VALUE` to `generate`, `regress`, `synth`, `pnr`; a",
        "list parameter as comma-separated integers, or `none`.",
        "",
    ]
    for e in entries:
        cycles = "cycle" if e["latency"] == 1 else "cycles"
        lines += [f"## `{e['name']}`", "",
                  f"{e['summary']}. Latency at the defaults: {e['latency']} {cycles}.", ""]
        lines += _table(["parameter", "kind", "domain", "default", "doc"],
                        [(f"`{p['name']}`", p["kind"], p["domain"], f"`{value_text(p['default'])}`",
                          p["doc"]) for p in e["params"]])
        lines += ["", "Ports at the defaults (lane-major buses: lane i at bits `[i*w, (i+1)*w)`):", ""]
        lines += _table(["port", "direction", "width", "lanes", "signed"],
                        [(f"`{p['name']}`", p["direction"], p["width"], p["lanes"],
                          "yes" if p["signed"] else "no") for p in e["ports"]])
        lines.append("")
    return "\n".join(lines)


def cmd_list(args):
    entries = _list_entries()
    if args.json:
        print(json.dumps({"designs": entries}, indent=2))
        return 0
    if args.markdown:
        print(parameters_markdown(entries), end="")
        return 0
    for e in entries:
        print(f"{e['name']}: {e['summary']} (latency {e['latency']})")
        for p in e["params"]:
            print(f"    -p {p['name']}={value_text(p['default']):<10} {p['domain']:<16} {p['doc']}")
        ports = ", ".join(f"{p['name']}:{p['direction']}[{p['width']}]" for p in e["ports"])
        print(f"    ports (defaults): {ports}")
    return 0


def cmd_generate(args):
    from stochhw.sim.designs import REGISTRY
    from stochhw.sim.flows.generate import generate, write_design
    overrides = _parse_overrides(args.param)
    if args.all and (args.design or overrides):
        raise UsageError("--all generates every design with its defaults; give no DESIGN or -p with it")
    if not args.all and not args.design:
        raise UsageError("generate needs a DESIGN (or --all)")
    names = list(REGISTRY) if args.all else [args.design]
    for name in names:
        generated = generate(name, overrides, top=args.top)
        out_dir = Path(args.output) / name if args.all else Path(args.output)
        path = write_design(generated, out_dir)
        print(f"{path}  ({generated.top}, {params_text(generated.params)}, latency {generated.latency})")
    return 0


def cmd_regress(args):
    from stochhw.sim.campaigns.regress import regression_cases, run_cases
    from stochhw.sim.core.executor import check_scheduler
    from stochhw.sim.flows.cosim import SIMULATORS
    overrides = _parse_overrides(args.param)
    sims = SIMULATORS if args.sim == "all" else (args.sim,)
    if args.waves and args.mode == "bulk":
        raise UsageError("--waves needs --mode percycle (bulk runs record no waveforms)")
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    if args.junit is not None and Path(args.junit).is_dir():
        raise UsageError(f"--junit {args.junit!r} is a folder; give a file name")
    # Every case is checked here, and run_cases checks the rest (simulators, the user's top
    # module, the memory of -j runs at once) before the first run starts.
    cases = regression_cases(args.designs, overrides, args.verilog, args.top)
    failures = run_cases(cases, sims, cycles=args.cycles, seed=args.seed, mode=args.mode,
                         waves=args.waves, jobs=args.jobs, out=sys.stdout,
                         scheduler=args.scheduler, junit=args.junit)
    return EXIT_FAIL if failures else 0


def _sweep_only(args, names):
    """Refuse sweep options given without ``--sweep``."""
    given = [flag for flag, attr in names if getattr(args, attr) not in (None, False)]
    if given:
        raise UsageError(f"{', '.join(given)}: only with --sweep PARAM=V1,V2,... (drop it, or add a sweep)")


def _families(args, pnr, default):
    """The families of ``--family F[,F...]`` (``default`` when it is not given)."""
    from stochhw.sim.core.targets import parse_families
    return parse_families(args.family if args.family is not None else default, pnr=pnr)


def _one_family(args, pnr, default):
    families = _families(args, pnr, default)
    if len(families) > 1:
        raise UsageError(f"--family {args.family}: several families only with --sweep (or run once per family)")
    return families[0]


def _run_sweep(args, pnr, default_family):
    from stochhw.sim.campaigns.sweep import make_sweeps, run_sweeps
    sweeps = make_sweeps(args.design, args.sweep, _parse_overrides(args.param), _families(args, pnr, default_family),
                         pnr, args.device, args.package, args.seed if args.seed is not None else 1)
    out_dir = Path(args.output or "build/sweeps")
    docs = run_sweeps(sweeps, out_dir, jobs=args.jobs or 2, scheduler=args.scheduler, progress=sys.stderr)
    if args.json:
        print(json.dumps({"sweeps": docs}, indent=2, sort_keys=True))
    else:
        for sweep, doc in zip(sweeps, docs):
            for row in doc["rows"]:
                print("  ".join(f"{k}={v}" for k, v in [("family", sweep.family), *row.items()]))
        for sweep in sweeps:
            print(f"wrote {out_dir / sweep.stem}.{{md,csv,json,png}}")
    return 0


def cmd_synth(args):
    from stochhw.sim.flows.generate import generate
    from stochhw.sim.flows.synth import synthesize
    if args.sweep is not None:
        return _run_sweep(args, args.pnr, "xilinx")
    _sweep_only(args, [("-o", "output"), ("-j", "jobs"), ("--scheduler", "scheduler"), ("--pnr", "pnr"),
                       ("--device", "device"), ("--package", "package"), ("--seed", "seed")])
    family = _one_family(args, False, "xilinx")
    generated = generate(args.design, _parse_overrides(args.param))
    result = synthesize(generated, family)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        print(f"{result.design} ({params_text(generated.params)}) on {result.family}: "
              f"{result.luts} LUTs, {result.ffs} FFs, {result.carry} carry, {result.srl} SRL"
              f"{' (cached)' if result.cached else ''}")
    return 0


def cmd_pnr(args):
    from stochhw.sim.core.targets import check_target
    from stochhw.sim.flows.generate import generate
    from stochhw.sim.flows.pnr import place_and_route
    from stochhw.sim.flows.synth import synthesize
    if args.sweep is not None:
        return _run_sweep(args, True, "ice40")
    _sweep_only(args, [("-o", "output"), ("-j", "jobs"), ("--scheduler", "scheduler")])
    family = _one_family(args, True, "ice40")
    # Check the target before any tool runs: a typo in --device fails in a second.
    device, package = check_target(family, args.device, args.package)
    generated = generate(args.design, _parse_overrides(args.param))
    synth = synthesize(generated, family, netlist=True)
    result = place_and_route(synth, device, package, seed=args.seed if args.seed is not None else 1)
    if args.json:
        print(json.dumps({"synthesis": synth.to_json(), "place_and_route": result.to_json()},
                         indent=2, sort_keys=True))
    else:
        print(f"{result.design} ({params_text(generated.params)}) on {result.family}: synthesis "
              f"{synth.luts} LUTs, {synth.ffs} FFs, {synth.carry} carry; placed and routed: "
              f"{result.summary()}{' (cached)' if result.cached else ''}")
    return 0


def cmd_compare(args):
    from stochhw.sim.campaigns.compare import CUSTOM_DIR, plan_comparison, run_comparison
    from stochhw.sim.core.targets import FAMILIES, parse_families
    from stochhw.sim.designs import COMPARISONS
    own = {flag: value for flag, value in (("--baseline", args.baseline), ("--candidate", args.candidate),
                                          ("--sweep", args.sweep)) if value is not None}
    if own:
        missing = [flag for flag in ("--baseline", "--candidate", "--sweep") if flag not in own]
        if missing:
            raise UsageError(f"your own comparison needs --baseline, --candidate and --sweep (missing: "
                             f"{', '.join(missing)})")
        if args.names:
            raise UsageError(f"give comparison names or --baseline/--candidate/--sweep, not both "
                             f"({' '.join(args.names)})")
        families = parse_families(args.family) if args.family is not None else FAMILIES
        comparisons = [plan_comparison(args.baseline, args.candidate, args.sweep, families, args.pnr,
                                       output=args.output)]
        out_dir = Path(args.output) if args.output is not None else CUSTOM_DIR
    else:
        given = [flag for flag, value in (("--family", args.family), ("--pnr", args.pnr)) if value not in (None, False)]
        if given:
            raise UsageError(f"{', '.join(given)}: only with --baseline/--candidate/--sweep (a built-in "
                             f"comparison has its own)")
        names = args.names or list(COMPARISONS)
        for name in names:
            if name not in COMPARISONS:
                raise UsageError(f"unknown comparison {name!r} (known: {', '.join(COMPARISONS)})")
        comparisons = [COMPARISONS[name] for name in names]
        out_dir = Path(args.output) if args.output is not None else Path("synth_reports")
    if args.json and len(comparisons) > 1:
        raise UsageError("--json prints one comparison; name one")
    for comp in comparisons:
        run_comparison(comp, out_dir, jobs=args.jobs, scheduler=args.scheduler)
        if args.json:
            print((out_dir / f"{comp.name}.json").read_text(), end="")
        else:
            print(f"wrote {out_dir / comp.name}.{{md,csv,json,png}}")
    return 0


def cmd_utilization(args):
    from stochhw.sim.flows.utilization import changes, format_table, grown, read_report
    # Every file is read before anything is printed: a bad one is one line and exit status 2.
    rows = [read_report(path) for path in args.reports]
    over = grown(rows, args.fail_on_growth) if args.fail_on_growth is not None else []
    if args.json:
        print(json.dumps({"reports": [{**row.to_json(), "change_pct": delta}
                                      for row, delta in zip(rows, changes(rows))],
                          "fail_on_growth_pct": args.fail_on_growth, "grown": over},
                         indent=2, sort_keys=True))
    else:
        print(format_table(rows), end="")
    for g in over:
        change = "from 0" if g["change_pct"] is None else f"{g['change_pct']:+.1f}%"
        print(f"stochhw: failed: {g['report']}: {g['resource']} grew {g['base']:g} -> {g['value']:g} "
              f"({change}), more than --fail-on-growth {args.fail_on_growth:g}%", file=sys.stderr)
    return EXIT_FAIL if over else 0


def cmd_bench(args):
    from stochhw.sim.campaigns.bench import run_bench
    report = run_bench(repeats=args.repeats, cycles=args.cycles, lanes=args.lanes,
                       progress=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        from stochhw.sim.campaigns.bench import format_bench
        print(format_bench(report))
    return 0


def cmd_report(args):
    from stochhw.sim.campaigns.report import run_report
    from stochhw.sim.designs import REGISTRY
    from stochhw.sim.flows.cosim import SIMULATORS, check_cases_memory
    check_cases_memory([(name, {}) for name in REGISTRY], SIMULATORS, args.cycles, "bulk", args.jobs)
    return run_report(cycles=args.cycles, jobs=args.jobs, out=sys.stdout)


def cmd_demo(args):
    from stochhw.sim.campaigns.demo import DEMO_CYCLES, DEMO_DIR, run_demo
    from stochhw.sim.designs import REGISTRY
    from stochhw.sim.flows.cosim import check_cases_memory
    cycles = args.cycles or DEMO_CYCLES
    check_cases_memory([(name, {}) for name in REGISTRY], ("verilator",), cycles, "bulk", args.jobs)
    return run_demo(Path(args.output or DEMO_DIR), cycles=cycles, jobs=args.jobs, out=sys.stdout)


def cmd_analyze(args):
    # The documented run has every topic option at its default; the others are partial runs,
    # which write into a scratch folder unless --out is given (stochhw.sim.analyses.topic.report_folder).
    args.partial = [f"--{dest.replace('_', '-')}" + ("" if isinstance(default, bool) else f" {getattr(args, dest)}")
                    for dest, default in args.topic_defaults.items() if getattr(args, dest) != default]
    # Only the module of the topic that runs is imported (the analyses import Matplotlib,
    # scikit-learn and SciPy, which the other commands need not wait for).
    module, _, function = TOPICS[args.topic].run.partition(":")
    return getattr(importlib.import_module(module), function)(args)


def cmd_prove(args):
    from stochhw.sim.campaigns.prove import prove
    return prove(args.designs, out=sys.stdout, fresh=args.fresh, listing=args.list,
                 as_json=args.json)


# --- parser ---------------------------------------------------------------------------------

def _add_sweep_options(p):
    p.add_argument("--sweep", metavar="PARAM=V1,V2,...",
                   help="sweep one parameter over these values (in parallel, cached); one table "
                        "(md/csv/json) and one plot (png) go to -o")
    p.add_argument("-o", "--output", help="sweep reports folder (default: build/sweeps)")
    p.add_argument("-j", "--jobs", type=_positive, help="parallel local jobs of a sweep (default: 2)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the sweep's jobs on this Dask distributed scheduler")


def _add_target_options(p):
    p.add_argument("--device", help="nextpnr device (default: ice40 hx8k, ecp5 85k)")
    p.add_argument("--package", help="nextpnr package (default: ice40 ct256, ecp5 CABGA381)")
    p.add_argument("--seed", type=_nonnegative, help="nextpnr placer seed (default: 1)")


def _add_params(p):
    p.add_argument("-p", "--param", action="append", metavar="K=V", default=[],
                   help="set a design parameter (repeatable)")


_positive = positive_int
_nonnegative = nonnegative_int


def _nonnegative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, not {text!r}")
    return value


def build_parser():
    from stochhw.sim.core.targets import FAMILIES, PNR_FAMILIES
    from stochhw.sim.flows.cosim import DEFAULT_CYCLES, MODES, SIMULATORS

    parser = _Parser(prog="stochhw", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="designs, parameters, defaults, ports, latency")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="machine-readable, stable keys")
    form.add_argument("--markdown", action="store_true",
                      help="the parameter reference (docs/parameters.md)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("generate", help="Verilog (+ JSON manifest) for one design; deterministic bytes")
    p.add_argument("design", nargs="?")
    _add_params(p)
    p.add_argument("-o", "--output", default="build/generated", help="output folder")
    p.add_argument("--top", help="Verilog module name (default: the design name)")
    p.add_argument("--all", action="store_true", help="every design with its defaults, one folder each")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("regress", help="co-simulate RTL (generated, or your own) against the golden "
                                       "model, cycle by cycle, bit for bit")
    p.add_argument("designs", nargs="*", metavar="DESIGN", help="default: every design")
    p.add_argument("--sim", choices=SIMULATORS + ("all",), default="all")
    p.add_argument("--cycles", type=_positive, default=DEFAULT_CYCLES)
    p.add_argument("--seed", type=_nonnegative, default=1)
    p.add_argument("--mode", choices=MODES, default="bulk",
                   help="bulk: harness-generated stimulus + signatures (fast, constant memory, "
                        "default); percycle: cocotb drives every cycle (debugging, waveforms)")
    p.add_argument("--waves", action="store_true",
                   help="record waveforms into each run folder (percycle); the line names the file")
    p.add_argument("--verilog", action="append", metavar="FILE",
                   help="co-simulate your own Verilog (repeatable) against DESIGN's golden model "
                        "with the -p parameters; its top module must have DESIGN's ports")
    p.add_argument("--top", metavar="NAME", help="top module of --verilog (default: the one no "
                                                 "other module instantiates)")
    p.add_argument("--junit", metavar="FILE",
                   help="write one JUnit XML file (xunit2) for the whole regression")
    p.add_argument("-j", "--jobs", type=_positive, default=2, help="parallel local runs (default: 2)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the cases on this Dask distributed scheduler (as sweeps do)")
    _add_params(p)
    p.set_defaults(func=cmd_regress)

    p = sub.add_parser("synth", help="Yosys synthesis of one design: LUT/FF/carry counts")
    p.add_argument("design")
    _add_params(p)
    p.add_argument("--family", metavar="F[,F...]",
                   help=f"FPGA family: {', '.join(FAMILIES)} (default: xilinx; several with --sweep)")
    p.add_argument("--json", action="store_true")
    _add_sweep_options(p)
    p.add_argument("--pnr", action="store_true", help="sweep: also place and route (ice40, ecp5)")
    _add_target_options(p)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("pnr", help="place and route (nextpnr) of one design: LUT/FF/carry and Fmax")
    p.add_argument("design")
    _add_params(p)
    p.add_argument("--family", metavar="F[,F...]",
                   help=f"FPGA family: {', '.join(PNR_FAMILIES)} (default: ice40; several with --sweep)")
    _add_target_options(p)
    p.add_argument("--json", action="store_true")
    _add_sweep_options(p)
    p.set_defaults(func=cmd_pnr)

    p = sub.add_parser("compare", help="LUT comparisons: the built-in ones -> synth_reports/, or your own "
                                       "(--baseline/--candidate/--sweep) -> build/comparisons/")
    p.add_argument("names", nargs="*", metavar="NAME", help="built-in comparison names (default: all)")
    p.add_argument("--baseline", metavar='"DESIGN K=V ..."', help="your own comparison: the baseline side")
    p.add_argument("--candidate", metavar='"DESIGN K=V ..."', help="your own comparison: the candidate side")
    p.add_argument("--sweep", metavar="PARAM=V1,V2,...", help="your own comparison: the integer parameter "
                                                             "both sides are swept over")
    p.add_argument("--family", metavar="F[,F...]", help="your own comparison: FPGA families (default: all)")
    p.add_argument("--pnr", action="store_true", help="your own comparison: also place and route (ice40, ecp5)")
    p.add_argument("--json", action="store_true", help="print the comparison's JSON report")
    p.add_argument("-o", "--output", help="output folder (default: synth_reports for built-in comparisons, "
                                          "build/comparisons for your own)")
    p.add_argument("-j", "--jobs", type=_positive, default=2)
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the jobs on this Dask distributed scheduler")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("utilization", help="read utilisation reports (stochhw, Yosys stat -json, nextpnr "
                                           "--report, Vivado report_utilization); compare with the first")
    p.add_argument("reports", nargs="+", metavar="REPORT", help="report files; the first is the baseline")
    p.add_argument("--json", action="store_true")
    p.add_argument("--fail-on-growth", type=_nonnegative_float, metavar="PCT",
                   help="exit with status 1 if a resource (LUTs, FFs, carry, BRAM, DSP) of any report grew "
                        "by more than PCT percent against the first")
    p.set_defaults(func=cmd_utilization)

    p = sub.add_parser("analyze", help="analyses: " + ", ".join(TOPICS))
    topics = p.add_subparsers(dest="topic", required=True, metavar="TOPIC", parser_class=_Parser)
    for topic in TOPICS.values():
        t = topics.add_parser(topic.name, help=topic.help)
        t.add_argument("--json", action="store_true", help="print the result as JSON")
        t.add_argument("--seed", type=_nonnegative, default=1, help="seed of the analysis")
        t.add_argument("--out", metavar="DIR", help=(
            f"report folder (default {topic.folder})" if topic.folder else
            "write the report (.md, .json) into this folder (default: none, print only)"))
        topic.configure(t)
        defaults = vars(t.parse_args([]))     # every topic option at its default
        t.set_defaults(func=cmd_analyze, folder=topic.folder, topic_defaults={
            dest: value for dest, value in defaults.items() if dest not in ("json", "out")})

    p = sub.add_parser("bench", help="throughput of model, simulators and synthesis, side by side")
    p.add_argument("--json", action="store_true")
    p.add_argument("--repeats", type=_positive, default=3)
    p.add_argument("--cycles", type=_positive, default=1_000_000,
                   help="cycles for the fast subjects (slow ones run a fraction)")
    p.add_argument("--lanes", type=_positive, default=64)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="the main job in minutes: generate, smoke co-sim, headline SRU "
                                    "comparison, its LUT/FF savings (make demo)")
    # Defaults named, not imported: the demo module imports the report kit (Matplotlib), which
    # building the parser must not wait for. cmd_demo fills them in from stochhw.sim.campaigns.demo.
    p.add_argument("-o", "--output", help="output folder (default: build/demo)")
    p.add_argument("--cycles", type=_positive, help="cycles per smoke co-simulation (default: 20000)")
    p.add_argument("-j", "--jobs", type=_positive, default=2)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("report", help="regenerate synth_reports/ in full: every comparison, "
                                      "co-simulation of every design (part of make reports)")
    p.add_argument("--cycles", type=_positive, default=20_000, help="cycles per smoke co-simulation")
    p.add_argument("-j", "--jobs", type=_positive, default=2)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("prove", help="formal proofs of the designs' properties (sby + boolector)")
    p.add_argument("designs", nargs="*", metavar="DESIGN", help="default: every design")
    p.add_argument("--list", action="store_true", help="list the properties; prove nothing")
    p.add_argument("--fresh", action="store_true", help="run the tools even on a cache hit")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_prove)
    return parser


#: Folders a command writes into besides its -o/--out (relative to the working directory).
_DEFAULT_OUTPUTS = {"report": ("synth_reports", "build"), "regress": ("build",)}


def _check_before_work(args):
    """Everything about the run that can be refused before any work starts: output folders
    that are files or cannot be written (a report run would otherwise compute for minutes and
    then fail to write), and more parallel jobs than the machine allows."""
    folders = [(flag, getattr(args, attr, None)) for flag, attr in (("-o/--output", "output"), ("--out", "out"))]
    folders += [("output folder", folder) for folder in _DEFAULT_OUTPUTS.get(args.command, ())]
    for flag, value in folders:
        if not isinstance(value, str):
            continue
        if Path(value).exists() and not Path(value).is_dir():
            raise UsageError(f"{flag} {value!r} is a file; give a folder")
        check_writable(value, flag)
    if getattr(args, "jobs", None) is not None:
        check_jobs(args.jobs)


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        _check_before_work(args)
        status = args.func(args)
        sys.stdout.flush()                # a closed pipe shows here, not at interpreter exit
        return status
    except (UsageError, ParameterError, ToolMissing) as exc:
        print(f"stochhw: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``stochhw list | head -1``): it has what it wanted, which is
        # success; nothing is left to say to it, and Python must not complain at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A file or folder the user named cannot be read or written.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"stochhw: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        # Tool runs that failed (synthesis, simulator build): the message names the log.
        print(f"stochhw: failed: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("stochhw: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
