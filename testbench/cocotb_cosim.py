"""The cocotb 2.x test that :mod:`stochhw.sim.flows.cosim` runs for per-cycle co-simulation.

``cosim_percycle`` (toplevel: the design, generated or the user's own): the parent process
writes ``case.json`` (ports, seed, latency, label), ``stim.npz`` (stimulus arrays) and
``expected.npz`` (the golden model's outputs) into ``$STOCHHW_RUN_DIR``. The test drives and
samples every cycle, writes ``out.npz`` and compares it with ``expected.npz`` bit for bit, so
that a mismatch fails the test itself and reaches cocotb's ``results.xml`` as a failure.

Timing follows :mod:`stochhw.models.clocked`: the clock starts low with a 10 ns period; the
inputs of cycle t are driven at the falling edge that ends cycle t-1 (at time 0 for cycle 0),
and the outputs are sampled in the ReadOnly phase of that same time step (settled, before
rising edge t).

The module holds no design knowledge and no model. (Bulk runs need no cocotb: the harness of
:mod:`stochhw.testbench.harness` runs on its own.)
"""

import json
import os
import types
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from stochhw.testbench.bus import pack, unpack
from stochhw.testbench.check import compare_outputs


def _load(run_dir, name):
    with np.load(run_dir / name) as npz:
        return {key: npz[key] for key in npz.files}


@cocotb.test()
async def cosim_percycle(dut):
    """Per-cycle co-simulation: one write per input and one read per output, every cycle."""
    run_dir = Path(os.environ["STOCHHW_RUN_DIR"])
    case = json.loads((run_dir / "case.json").read_text())
    ports = [types.SimpleNamespace(**p, lane_width=p["width"] // p["lanes"]) for p in case["ports"]]
    stim = _load(run_dir, "stim.npz")
    cycles = len(stim["rst"])
    inputs = [(getattr(dut, p.name), pack(stim[p.name], p.lane_width))
              for p in ports if p.direction == "in"]
    outputs = [(p, getattr(dut, p.name), [0] * cycles) for p in ports if p.direction == "out"]

    for handle, values in inputs:
        handle.value = values[0]
    Clock(dut.clk, 10, unit="ns", impl="gpi").start(start_high=False)
    for t in range(cycles):
        await ReadOnly()
        for port, handle, samples in outputs:
            value = handle.value
            if not value.is_resolvable:
                raise AssertionError(f"output {port.name} is {value} (X/Z) in cycle {t}")
            # cocotb 2 reads a 1-bit port as a Logic (int() only), wider ones as a LogicArray.
            samples[t] = value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)
        await FallingEdge(dut.clk)
        if t + 1 < cycles:
            for handle, values in inputs:
                handle.value = values[t + 1]

    actual = {port.name: unpack(samples, port.lanes, port.lane_width) for port, _, samples in outputs}
    np.savez(run_dir / "out.npz", **actual)
    compare_outputs(ports, stim, _load(run_dir, "expected.npz"), actual, seed=case["seed"],
                    latency=case["latency"], label=case["label"])
