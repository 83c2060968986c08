"""The ``stochhw`` command line.

Errors in what the user typed (unknown design, bad parameter, unknown family, malformed
``-p``, a missing tool, a file or folder that cannot be read or written) print one line,
``stochhw: error: ...``, and exit with status 2.
A design that fails verification or a tool run that fails exits with status 1.
"""

import argparse
import json
import sys
from pathlib import Path

from stochhw.models.checks import ParameterError
from stochhw.sim.analyses.topic import nonnegative_int, positive_int
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


def _params_text(params):
    return " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                    for k, v in params.items())


# --- commands -------------------------------------------------------------------------------

def cmd_list(args):
    from stochhw.sim.designs import REGISTRY
    entries = []
    for design in REGISTRY.values():
        params = design.defaults()
        ports = design.ports(params)
        entries.append({
            "name": design.name,
            "summary": design.summary,
            "latency": design.latency(params),
            "params": [{"name": p.name, "kind": p.kind, "default": list(p.default) if isinstance(p.default, tuple) else p.default,
                        "domain": p.describe(), "doc": p.doc} for p in design.params],
            "ports": [{"name": "clk", "direction": "in", "width": 1, "lanes": 1, "signed": False}] +
                     [{"name": p.name, "direction": p.direction, "width": p.width, "lanes": p.lanes,
                       "signed": p.signed} for p in ports],
        })
    if args.json:
        print(json.dumps({"designs": entries}, indent=2))
        return 0
    for e in entries:
        print(f"{e['name']}: {e['summary']} (latency {e['latency']})")
        for p in e["params"]:
            default = ",".join(map(str, p["default"])) if isinstance(p["default"], list) else p["default"]
            print(f"    -p {p['name']}={default!s:<10} {p['domain']:<16} {p['doc']}")
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
        print(f"{path}  ({generated.top}, {_params_text(generated.params)}, latency {generated.latency})")
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


def _run_sweep(args, pnr):
    from stochhw.sim.campaigns.sweep import make_sweep, run_sweep
    sweep = make_sweep(args.design, args.sweep, _parse_overrides(args.param), args.family, pnr,
                       args.device, args.package, args.seed if args.seed is not None else 1)
    out_dir = Path(args.output or "build/sweeps")
    doc = run_sweep(sweep, out_dir, jobs=args.jobs or 2, scheduler=args.scheduler, progress=sys.stderr)
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        for row in doc["rows"]:
            print("  ".join(f"{k}={v}" for k, v in row.items()))
        print(f"wrote {out_dir / sweep.stem}.{{md,csv,json,png}}")
    return 0


def cmd_synth(args):
    from stochhw.sim.flows.generate import generate
    from stochhw.sim.flows.synth import synthesize
    if args.sweep is not None:
        return _run_sweep(args, args.pnr)
    _sweep_only(args, [("-o", "output"), ("-j", "jobs"), ("--scheduler", "scheduler"), ("--pnr", "pnr"),
                       ("--device", "device"), ("--package", "package"), ("--seed", "seed")])
    generated = generate(args.design, _parse_overrides(args.param))
    result = synthesize(generated, args.family)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        print(f"{result.design} ({_params_text(generated.params)}) on {result.family}: "
              f"{result.luts} LUTs, {result.ffs} FFs, {result.carry} carry, {result.srl} SRL"
              f"{' (cached)' if result.cached else ''}")
    return 0


def cmd_pnr(args):
    from stochhw.sim.core.targets import check_target
    from stochhw.sim.flows.generate import generate
    from stochhw.sim.flows.pnr import place_and_route
    from stochhw.sim.flows.synth import synthesize
    if args.sweep is not None:
        return _run_sweep(args, True)
    _sweep_only(args, [("-o", "output"), ("-j", "jobs"), ("--scheduler", "scheduler")])
    # Check the target before any tool runs: a typo in --device fails in a second.
    device, package = check_target(args.family, args.device, args.package)
    generated = generate(args.design, _parse_overrides(args.param))
    synth = synthesize(generated, args.family, netlist=True)
    result = place_and_route(synth, device, package, seed=args.seed if args.seed is not None else 1)
    if args.json:
        print(json.dumps({"synthesis": synth.to_json(), "place_and_route": result.to_json()},
                         indent=2, sort_keys=True))
    else:
        print(f"{result.design} ({_params_text(generated.params)}) on {result.family}: synthesis "
              f"{synth.luts} LUTs, {synth.ffs} FFs, {synth.carry} carry; placed and routed: "
              f"{result.summary()}{' (cached)' if result.cached else ''}")
    return 0


def cmd_compare(args):
    from stochhw.sim.campaigns.compare import run_comparison
    from stochhw.sim.designs import COMPARISONS
    names = args.names or list(COMPARISONS)
    for name in names:
        if name not in COMPARISONS:
            raise UsageError(f"unknown comparison {name!r} (known: {', '.join(COMPARISONS)})")
    for name in names:
        run_comparison(COMPARISONS[name], Path(args.output), jobs=args.jobs, scheduler=args.scheduler)
        print(f"wrote {Path(args.output) / name}.{{md,csv,json,png}}")
    return 0


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
    return run_report(cycles=args.cycles, jobs=args.jobs, out=sys.stdout)


def cmd_demo(args):
    from stochhw.sim.campaigns.demo import run_demo
    return run_demo(Path(args.output), cycles=args.cycles, jobs=args.jobs, out=sys.stdout)


def cmd_analyze(args):
    from stochhw.sim.analyses import TOPICS
    # The documented run has every topic option at its default; the others are partial runs,
    # which write into a scratch folder unless --out is given (stochhw.sim.analyses.topic.report_folder).
    args.partial = [f"--{dest.replace('_', '-')}" + ("" if isinstance(default, bool) else f" {getattr(args, dest)}")
                    for dest, default in args.topic_defaults.items() if getattr(args, dest) != default]
    return TOPICS[args.topic].run(args)


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


def build_parser():
    from stochhw.sim.analyses import TOPICS
    from stochhw.sim.campaigns.demo import DEMO_CYCLES, DEMO_DIR
    from stochhw.sim.core.targets import FAMILIES, PNR_FAMILIES
    from stochhw.sim.flows.cosim import DEFAULT_CYCLES, MODES, SIMULATORS

    parser = _Parser(prog="stochhw", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="designs, parameters, defaults, ports, latency")
    p.add_argument("--json", action="store_true")
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
    p.add_argument("--family", choices=FAMILIES, default="xilinx")
    p.add_argument("--json", action="store_true")
    _add_sweep_options(p)
    p.add_argument("--pnr", action="store_true", help="sweep: also place and route (ice40, ecp5)")
    _add_target_options(p)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("pnr", help="place and route (nextpnr) of one design: LUT/FF/carry and Fmax")
    p.add_argument("design")
    _add_params(p)
    p.add_argument("--family", choices=PNR_FAMILIES, default="ice40")
    _add_target_options(p)
    p.add_argument("--json", action="store_true")
    _add_sweep_options(p)
    p.set_defaults(func=cmd_pnr)

    p = sub.add_parser("compare", help="LUT comparisons -> synth_reports/")
    p.add_argument("names", nargs="*", metavar="NAME", help="comparison names (default: all)")
    p.add_argument("-o", "--output", default="synth_reports")
    p.add_argument("-j", "--jobs", type=_positive, default=2)
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the jobs on this Dask distributed scheduler")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("analyze", help="analyses: " + ", ".join(TOPICS))
    topics = p.add_subparsers(dest="topic", required=True, metavar="TOPIC", parser_class=_Parser)
    for topic in TOPICS.values():
        t = topics.add_parser(topic.name, help=topic.help)
        t.add_argument("--json", action="store_true", help="print the result as JSON")
        t.add_argument("--seed", type=_nonnegative, default=1, help="seed of the analysis")
        topic.configure(t)
        defaults = vars(t.parse_args([]))     # every topic option at its default
        t.set_defaults(func=cmd_analyze, topic_defaults={
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
    p.add_argument("-o", "--output", default=str(DEMO_DIR), help=f"output folder (default: {DEMO_DIR})")
    p.add_argument("--cycles", type=_positive, default=DEMO_CYCLES, help="cycles per smoke co-simulation")
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


def _check_output_folders(args):
    """Refuse an output folder that is an existing file before any work starts (a report run
    would otherwise compute for minutes and then fail to write)."""
    for flag, attr in (("-o/--output", "output"), ("--out", "out")):
        value = getattr(args, attr, None)
        if isinstance(value, str) and Path(value).exists() and not Path(value).is_dir():
            raise UsageError(f"{flag} {value!r} is a file; give a folder")


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        _check_output_folders(args)
        return args.func(args)
    except (UsageError, ParameterError, ToolMissing) as exc:
        print(f"stochhw: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``stochhw list | head``): nothing left to say to it.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
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
