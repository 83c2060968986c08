"""cocotb 2.x testbench shared by every registered design; :mod:`stochhw.sim.flows.cosim` picks the test.

``cosim_percycle`` (toplevel: the design): the parent process writes ``case.json`` (the port
list) and ``stim.npz`` (stimulus arrays) into ``$STOCHHW_RUN_DIR``; this test drives and samples
every cycle and writes ``out.npz``, which the parent compares with the golden model. Timing
follows :mod:`stochhw.models.clocked`: the clock starts low with a 10 ns period; inputs of cycle t are
driven at the falling edge that ends cycle t-1 (at time 0 for cycle 0), outputs are sampled in
the ReadOnly phase of that same time step (settled, before rising edge t).

``cosim_bulk`` (toplevel: the harness of :mod:`stochhw.testbench.harness`): waits for ``done``.

Neither holds design knowledge or a model.
"""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from stochhw.testbench.bus import pack, unpack


def _load_case():
    run_dir = Path(os.environ["STOCHHW_RUN_DIR"])
    case = json.loads((run_dir / "case.json").read_text())
    with np.load(run_dir / "stim.npz") as stim:
        arrays = {name: stim[name] for name in stim.files}
    return run_dir, case, arrays


@cocotb.test()
async def cosim_percycle(dut):
    """Per-cycle co-simulation: one write and one read per port per cycle."""
    run_dir, case, stim = _load_case()
    ports = case["ports"]
    cycles = len(stim["rst"])
    inputs = [(getattr(dut, p["name"]), pack(stim[p["name"]], p["width"] // p["lanes"]))
              for p in ports if p["direction"] == "in"]
    outputs = [(p, getattr(dut, p["name"]), [0] * cycles) for p in ports if p["direction"] == "out"]

    for handle, values in inputs:
        handle.value = values[0]
    Clock(dut.clk, 10, unit="ns", impl="gpi").start(start_high=False)
    for t in range(cycles):
        await ReadOnly()
        for port, handle, samples in outputs:
            value = handle.value
            if not value.is_resolvable:
                raise AssertionError(f"output {port['name']} is {value} (X/Z) in cycle {t}")
            # cocotb 2 reads a 1-bit port as a Logic (int() only), wider ones as a LogicArray.
            samples[t] = value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)
        await FallingEdge(dut.clk)
        if t + 1 < cycles:
            for handle, values in inputs:
                handle.value = values[t + 1]

    np.savez(run_dir / "out.npz", **{
        port["name"]: unpack(samples, port["lanes"], port["width"] // port["lanes"])
        for port, _, samples in outputs})


@cocotb.test()
async def cosim_bulk(dut):
    """Bulk co-simulation: the harness (testbench/harness.py) runs its own clock, generates the
    stimulus and signs the outputs; Python only waits for ``done``."""
    await RisingEdge(dut.done)
