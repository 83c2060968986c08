"""Verilog generation for registered designs: deterministic bytes, written atomically.

:func:`write_design` writes a self-contained package per design, ready for a vendor flow
(Vivado, Quartus, Yosys/nextpnr): the Verilog-2005 module ``<top>.v``, its manifest
``<top>.json`` (parameters, ports with direction, width, lanes and signedness, clock, reset,
latency, tool versions), an instantiation template ``<top>_inst.vh`` (named port connections,
one comment per port) and ``<top>.vlt``, the Verilator lint waivers of the generated file,
each with its reason (:data:`VERILATOR_WAIVERS`). ``verilator --lint-only -Wall <top>.vlt
<top>.v`` is clean, and ``iverilog -g2005`` compiles the module and the template.
"""

import dataclasses
import functools
import hashlib
import json
from pathlib import Path

from amaranth.back import verilog

from stochhw.sim.core.files import write_atomic
from stochhw.sim.core.toolchain import tool_versions
from stochhw.sim.designs import get_design

__all__ = ["Generated", "generate", "write_atomic", "write_design", "instantiation_template", "template_signal",
           "verilator_waivers", "VERILATOR_WAIVERS"]

#: Verilator ``-Wall`` warnings waived for generated files, each with why it is safe. They
#: are about how Amaranth 0.5 writes Verilog, not about the designs; each waiver applies to
#: the generated file only, and every other warning still fails the lint (tests/test_packages.py).
VERILATOR_WAIVERS = (
    ("DECLFILENAME", "submodules are written into the same file, named \"<top>.<submodule>\""),
    ("PROCASSINIT", "registers are declared with their reset value as initial value (the FPGA "
                    "power-up state, e.g. `reg [7:0] y = 8'h00;`) and assigned in an always block"),
    ("UNUSEDSIGNAL", "intermediate signals with bits the design drops on purpose (the discarded "
                     "fraction of a rounding sum), submodule ports tied off by the parent (an "
                     "always-enabled LFSR's `en`), and input bits a configuration does not read "
                     "(the upper bits of lsb_extractor's `src` words with method=multi_lsb)"),
    ("WIDTHEXPAND", "operands narrower than the result are extended inside expressions as "
                    "Amaranth's semantics specify (signed ones wrapped in $signed); co-simulation "
                    "checks every cycle against the golden model"),
    ("WIDTHTRUNC", "Amaranth writes a variable bit or word select as a shift assigned to a "
                   "narrower wire (`assign w = {...} >> sel;`) and a test for zero as `!` of a "
                   "wide value: the truncation is the select itself (runtime crossbars)"),
)


@dataclasses.dataclass(frozen=True)
class Generated:
    """Generated Verilog for one design and parameter set."""
    design: str
    top: str
    params: dict
    ports: list
    latency: int
    verilog: str

    @property
    def digest(self):
        """Content hash of the Verilog: the key of every downstream cache."""
        return hashlib.sha256(self.verilog.encode()).hexdigest()[:16]

    def port_list(self):
        """Every top-level port, ``clk`` first, as dicts (``lane_width`` = width / lanes)."""
        ports = [{"name": "clk", "direction": "in", "width": 1, "lanes": 1, "signed": False}]
        ports += [dataclasses.asdict(p) for p in self.ports]
        return [{**p, "lane_width": p["width"] // p["lanes"]} for p in ports]

    def manifest(self):
        """What a user of the package needs to know, as a JSON-ready dict."""
        return {
            "design": self.design,
            "top": self.top,
            "summary": get_design(self.design).summary,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            "latency": self.latency,
            "latency_doc": "cycles from an input to the output it affects",
            "clock": {"port": "clk", "edge": "rising"},
            "reset": {"port": "rst", "kind": "synchronous", "active": "high"},
            "lane_layout": "lane-major: lane i of a port occupies bits [i*lane_width +: lane_width]",
            "ports": self.port_list(),
            "language": "Verilog-2005",
            "files": _package_files(self.top),
            "tools": dict(tool_versions()),
            "sha256_16": self.digest,
        }


#: Folder of the Verilog cache (see :func:`generate`).
CACHE_DIR = Path("build/cache/verilog")


@functools.lru_cache(maxsize=1)
def _source_digest():
    """Hash of the code and tools that shape generated Verilog: ``hw/``, ``models/``, versions."""
    h = hashlib.sha256(json.dumps(tool_versions(), sort_keys=True).encode())
    root = Path(__file__).resolve().parent.parent
    for folder in ("hw", "models"):
        for path in sorted((root / folder).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def generate(design_name, overrides=None, top=None, cache_dir=CACHE_DIR):
    """Elaborate ``design_name`` with parameter ``overrides`` and convert it to Verilog.

    ``emit_src=False`` keeps source paths out of the file, so the bytes depend only on the
    design, its parameters, the code in ``hw/`` and ``models/`` and the tool versions. The
    Verilog is cached under ``cache_dir`` by the hash of exactly those (elaborating a
    256-lane array takes seconds; ``None`` disables the cache).
    """
    design = get_design(design_name)
    params = design.resolve(overrides)
    component = design.build(params)
    ports = design.ports(params, component)
    top = top or design.name
    # A file parameter (thresholds, a profiled fault map) shapes the Verilog by its contents,
    # which the key must see: editing the file in place must not serve stale Verilog.
    files = [hashlib.sha256(Path(params[p.name]).read_bytes()).hexdigest()
             for p in design.params if p.kind == "path" and params.get(p.name) is not None]
    # The key holds a file parameter's contents (above), not its path: the same file gives the
    # same key on every machine and from every working folder.
    keyed = {k: ("<file>" if design.param(k).kind == "path" and v is not None else v) for k, v in params.items()}
    key = hashlib.sha256(json.dumps([_source_digest(), design.name, top, repr(sorted(keyed.items())),
                                     *files]).encode()).hexdigest()[:32]
    cached = Path(cache_dir) / f"{key}.v" if cache_dir is not None else None
    if cached is not None and cached.exists():
        text = cached.read_text()
    else:
        text = verilog.convert(component, name=top, emit_src=False)
        if cached is not None:
            write_atomic(cached, text)
    return Generated(design.name, top, params, ports, design.latency(params), text)


def _package_files(top):
    return {
        "verilog": f"{top}.v",
        "manifest": f"{top}.json",
        "instantiation_template": f"{top}_inst.vh",
        "verilator_waivers": f"{top}.vlt",
    }


def _port_comment(port):
    direction = f"{'input' if port['direction'] == 'in' else 'output'},"
    direction = f"{direction:<8}"
    if port["name"] == "clk":
        return f"{direction}1 bit: clock, rising edge"
    if port["name"] == "rst":
        return f"{direction}1 bit: synchronous reset, active high"
    bits = "bit" if port["width"] == 1 else "bits"
    shape = (f"{port['lanes']} lanes x {port['lane_width']} bits" if port["lanes"] > 1
             else f"{port['width']} {bits}")
    return f"{direction}{shape}{', signed' if port['signed'] else ''}"


def template_signal(generated, port_name):
    """The signal the instantiation template connects to ``port_name``."""
    return port_name if port_name in ("clk", "rst") else f"{generated.top}_{port_name}"


def instantiation_template(generated):
    """Verilog instantiation snippet of ``generated`` with named connections and comments.

    It connects ``clk`` and ``rst`` to signals of those names and every other port ``p`` to
    ``<top>_p``, whose declarations are listed in the header comment.
    """
    ports = generated.port_list()
    top = generated.top
    declarations = []
    for port in ports:
        if port["name"] in ("clk", "rst"):
            continue
        width = f"[{port['width'] - 1}:0] " if port["width"] > 1 else ""
        declarations.append(f"//   wire {width}{template_signal(generated, port['name'])};")
    name_width = max(len(p["name"]) for p in ports)
    texts = [f"    .{p['name']:<{name_width}} ({template_signal(generated, p['name'])})" + ("," if i < len(ports) - 1 else "")
             for i, p in enumerate(ports)]
    column = max(len(t) for t in texts) + 2
    connections = [f"{t:<{column}}// {_port_comment(p)}" for t, p in zip(texts, ports)]
    params = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                      for k, v in generated.params.items())
    lines = [
        f"// Instantiation template for {top} (design {generated.design}), written by stochhw; do not edit.",
        f"// Parameters: {params}",
        f"// Latency: {generated.latency} cycle(s) from an input to the output it affects.",
        "// Lanes are lane-major: lane i of a port occupies bits [i*lane_width +: lane_width].",
        "// Paste the instance into your module (or `include this file there) with clk, rst and:",
        *declarations,
        f"{top} u_{top} (",
        *connections,
        ");",
        "",
    ]
    return "\n".join(lines)


def verilator_waivers(generated):
    """Verilator configuration file waiving :data:`VERILATOR_WAIVERS` for ``<top>.v`` only."""
    verilog_file = f"{generated.top}.v"
    lines = [
        "`verilator_config",
        # (A comment must not start with the word "verilator": that makes it a metacomment.)
        f"// Lint waivers for {verilog_file}, written by stochhw generate; do not edit.",
        f"// Use: verilator --lint-only -Wall {generated.top}.vlt {verilog_file}",
        "// The Verilog is generated by Amaranth; each warning waived below is about how Amaranth",
        f"// writes Verilog, not about the design, and is waived for {verilog_file} only.",
    ]
    for rule, reason in VERILATOR_WAIVERS:
        lines += [f"// {rule}: {reason}.", f'lint_off -rule {rule} -file "*{verilog_file}"']
    return "\n".join(lines) + "\n"


def write_design(generated, out_dir):
    """Write the package of ``generated`` into ``out_dir``; return the Verilog path.

    ``<top>.v`` (the module), ``<top>.json`` (manifest), ``<top>_inst.vh`` (instantiation
    template) and ``<top>.vlt`` (Verilator lint waivers): the folder is self-contained.
    """
    out_dir = Path(out_dir)
    files = _package_files(generated.top)
    v_path = out_dir / files["verilog"]
    write_atomic(v_path, generated.verilog)
    write_atomic(out_dir / files["manifest"], json.dumps(generated.manifest(), indent=2, sort_keys=True) + "\n")
    write_atomic(out_dir / files["instantiation_template"], instantiation_template(generated))
    write_atomic(out_dir / files["verilator_waivers"], verilator_waivers(generated))
    return v_path
