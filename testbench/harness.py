"""Bulk co-simulation: a generated Verilog harness that runs a design for N cycles with no Python
call per cycle, and the matching output signature computed from the golden model.

The harness (top module ``stochhw_bulk``, ports ``clk`` in and ``done`` out) wraps the design:

* it computes the stimulus of every cycle itself, with exactly the counter-based rule of
  :mod:`stochhw.testbench.stimuli` (SplitMix64 of seed, cycle and slot): no stimulus file, so millions
  of cycles cost no I/O;
* it folds the outputs of every cycle into a running 64-bit signature
  ``sum_t sum_o mix64(v[t,o] + (t*O + o + 1) * OUT_GOLDEN)`` (``O`` output lanes, ``o`` the
  output slot, modulo 2^64), written to a file at the end of every chunk of ``chunk`` cycles.
  ``mix64`` is a bijection, so a single wrong output value always changes its chunk's sum;
  the model computes the same sums (:func:`output_signatures`);
* optionally, it dumps the raw outputs of a window of cycles: that is how a chunk whose
  signature disagrees is re-run to name the exact cycle, lane and values.

Run-time settings arrive as plusargs, so one build serves every seed and length:
``+cycles=N +stim_seed=S +chunk=C +sigfile=PATH [+dumpfile=PATH +dump_from=A +dump_to=B]``
(not ``+seed``, which cocotb reads as its own random seed).
The clock comes from cocotb's GPI clock (C++), so nothing in Python runs per cycle.
"""

import numpy as np

from stochhw.models.seeds import GOLDEN, MIX1, MIX2, mix64
from stochhw.testbench.bus import unpack
from stochhw.testbench.stimuli import density_threshold, extremes, input_slots

__all__ = ["HARNESS_TOP", "OUT_GOLDEN", "output_slots", "output_signatures", "make_harness",
           "parse_dump"]

HARNESS_TOP = "stochhw_bulk"
#: Weyl increment of the output hash; any odd constant other than GOLDEN would do.
OUT_GOLDEN = 0xD1B54A32D192ED03
MAX_LANE_WIDTH = 64


def output_slots(ports):
    """``[(port, first_slot)]`` for the outputs, and the total output slot count ``O``."""
    slots, first = [], 0
    for port in ports:
        if port.direction == "out":
            slots.append((port, first))
            first += port.lanes
    return slots, first


def output_signatures(ports, outputs, chunk):
    """Per-chunk signatures of ``outputs`` (dict of ``(cycles, lanes)`` arrays), as the harness
    computes them. Returns a ``uint64`` array with one value per chunk."""
    slots, total = output_slots(ports)
    values = np.concatenate([np.asarray(outputs[p.name], dtype=np.uint64) for p, _ in slots], axis=1)
    cycles = values.shape[0]
    t = np.arange(cycles, dtype=np.uint64)[:, None]
    o = np.arange(total, dtype=np.uint64)[None, :]
    h = mix64(values + (t * np.uint64(total) + o + np.uint64(1)) * np.uint64(OUT_GOLDEN))
    per_cycle = h.sum(axis=1, dtype=np.uint64)          # wraps modulo 2^64, like the harness
    return np.add.reduceat(per_cycle, np.arange(0, cycles, chunk))


def parse_dump(text, ports):
    """Outputs dumped by the harness (one line per cycle, one hex field per output port)."""
    slots, _ = output_slots(ports)
    lines = text.split()
    fields = len(slots)
    rows = [lines[i:i + fields] for i in range(0, len(lines), fields)]
    result = {}
    for k, (port, _) in enumerate(slots):
        try:
            values = [int(row[k], 16) for row in rows]
        except ValueError:
            raise ValueError(f"output {port.name} holds X/Z in the dumped window") from None
        result[port.name] = unpack(values, port.lanes, port.lane_width)
    return result


def _hex(value, width=64):
    return f"{width}'h{value:x}"


def _extremes_function(name, width, signed):
    values = extremes(width, signed)
    cases = "\n".join(f"      {i}: {name} = {_hex(int(v), width)};" for i, v in enumerate(values))
    return (f"  function [{width - 1}:0] {name};\n    input [63:0] index;\n    case (index)\n"
            f"{cases}\n      default: {name} = {width}'h0;\n    endcase\n  endfunction\n"), len(values)


def make_harness(generated, densities=None):
    """Verilog text of the bulk harness around ``generated`` (a :class:`stochhw.sim.flows.generate.Generated`).

    Stimulus and signature are computed procedurally, once per cycle, and the input buses
    change with one non-blocking assignment each. (Continuous assignments per lane would make
    an event-driven simulator re-evaluate the design once per changed lane: quadratic.)
    """
    densities = densities or {}
    ports = generated.ports
    in_slots, n_in = input_slots(ports)
    out_slots, n_out = output_slots(ports)
    for port in ports:
        if port.lane_width > MAX_LANE_WIDTH:
            raise ValueError(f"bulk mode supports lanes of up to {MAX_LANE_WIDTH} bits; "
                             f"port {port.name} has {port.lane_width}")
    functions = {}
    for port, _ in in_slots:
        name = f"extreme_{port.lane_width}{'s' if port.signed else 'u'}"
        if name not in functions:
            functions[name] = _extremes_function(name, port.lane_width, port.signed)

    drive = []
    for port, first in in_slots:
        w = port.lane_width
        name = f"extreme_{w}{'s' if port.signed else 'u'}"
        n_ext = functions[name][1]
        if w == 1:
            threshold = density_threshold(densities.get(port.name, 0.5))
            random_part = f"((w >> 32) < 64'd{threshold})"
        else:
            random_part = f"w[{w - 1}:0]"
        drive += [
            f"      for (i = 0; i < {port.lanes}; i = i + 1) begin",
            f"        w = mix64(seed + (tt * 64'd{n_in} + 64'd{first + 1} + i) * {_hex(GOLDEN)});",
            f"        p_{port.name}_next[i*{w} +: {w}] = directed ? {name}(((w >> 32) * 64'd{n_ext}) >> 32) : {random_part};",
            "      end",
        ]
    sign = []
    for port, first in out_slots:
        w = port.lane_width
        value = f"p_{port.name}[i*{w} +: {w}]"
        if w < 64:
            value = f"{{{64 - w}'d0, {value}}}"
        sign += [
            f"      for (i = 0; i < {port.lanes}; i = i + 1)",
            f"        h = h + mix64({value} + (t * 64'd{n_out} + 64'd{first + 1} + i) * {_hex(OUT_GOLDEN)});",
        ]
    data_in = [p for p, _ in in_slots]
    data_out = [p for p, _ in out_slots]
    conns = ", ".join([".clk(clk)", ".rst(rst)"] + [f".{p.name}(p_{p.name})" for p in ports if p.name != "rst"])
    dump_fmt = " ".join(["%h"] * len(data_out))
    text = f"""// Bulk co-simulation harness for {generated.top}, generated by stochhw (testbench/harness.py).
// Stimulus follows testbench/stimuli.py exactly; outputs are folded into per-chunk signatures.
`timescale 1ns/1ps
module {HARNESS_TOP}(done);
  // Only `done` is public to VPI (cocotb needs nothing else): everything inside stays open
  // to Verilator's optimizer.
  /* verilator public_module */
  output reg done /* verilator public_flat_rd */ = 1'b0;
  // The clock runs inside the simulator: no callback into cocotb per edge.
  reg clk = 1'b0;
  always #5 clk = ~clk;
  reg [63:0] t = 64'd0;
  reg [63:0] cycles = 64'd0;
  reg [63:0] seed = 64'd0;
  reg [63:0] chunk = 64'd4096;
  reg [63:0] dump_from = 64'd0;
  reg [63:0] dump_to = 64'd0;
  reg [63:0] sig = 64'd0;
  reg [63:0] sig_next;
  reg [63:0] h;
  reg [63:0] w;
  reg directed;
  integer i;
  integer sig_fd = 0;
  integer dump_fd = 0;
  reg [8*1024-1:0] sigfile;
  reg [8*1024-1:0] dumpfile;

  // The design's ports are p_<name> here, so that no port name can clash with the
  // harness's own (t, w, h, seed, ...). Inputs start as X (no initializer), so the
  // assignment at time 0 is always a change and every combinational block of the design
  // evaluates once before the first edge.
  reg rst;
  reg rst_next;
{chr(10).join(f"  reg [{p.width - 1}:0] p_{p.name};" + chr(10) + f"  reg [{p.width - 1}:0] p_{p.name}_next;" for p in data_in)}
{chr(10).join(f"  wire [{p.width - 1}:0] p_{p.name};" for p in data_out)}

  {generated.top} dut({conns});

  function [63:0] mix64;
    input [63:0] z0;
    reg [63:0] z;
    begin
      z = (z0 ^ (z0 >> 30)) * {_hex(MIX1)};
      z = (z ^ (z >> 27)) * {_hex(MIX2)};
      mix64 = z ^ (z >> 31);
    end
  endfunction

{"".join(text for text, _ in functions.values())}
  // Inputs of cycle tt, into the *_next registers.
  task stimulus;
    input [63:0] tt;
    begin
      directed = tt < (cycles >> 2);
      rst_next = (tt == 64'd0) || (cycles >= 64'd8 && (tt == (cycles >> 1) ||
                 (tt >= ((64'd3 * cycles) >> 2) && tt < ((64'd3 * cycles) >> 2) + 64'd3)));
{chr(10).join(drive)}
    end
  endtask

  initial begin
    if (!$value$plusargs("cycles=%d", cycles)) begin
      $display("stochhw_bulk: +cycles=N is required");
      $finish;
    end
    if (!$value$plusargs("stim_seed=%d", seed)) seed = 64'd0;
    if (!$value$plusargs("chunk=%d", chunk)) chunk = 64'd4096;
    if ($value$plusargs("sigfile=%s", sigfile)) sig_fd = $fopen(sigfile, "w");
    if ($value$plusargs("dumpfile=%s", dumpfile)) begin
      dump_fd = $fopen(dumpfile, "w");
      if (!$value$plusargs("dump_from=%d", dump_from)) dump_from = 64'd0;
      if (!$value$plusargs("dump_to=%d", dump_to)) dump_to = cycles;
    end
    stimulus(64'd0);
    rst = rst_next;
{chr(10).join(f"    p_{p.name} = p_{p.name}_next;" for p in data_in)}
  end

  // Rising edge t ends cycle t: sign its (settled) outputs, then present the inputs of t + 1.
  always @(posedge clk) begin
    if (!done && cycles != 64'd0) begin
      h = 64'd0;
{chr(10).join(sign)}
      sig_next = sig + h;
      if (dump_fd != 0 && t >= dump_from && t < dump_to)
        $fwrite(dump_fd, "{dump_fmt}\\n", {", ".join("p_" + p.name for p in data_out)});
      if ((t + 64'd1) % chunk == 64'd0 || t + 64'd1 == cycles) begin
        if (sig_fd != 0) begin
          $fwrite(sig_fd, "%h\\n", sig_next);
          $fflush(sig_fd);            // lets the caller follow progress
        end
        sig <= 64'd0;
      end else begin
        sig <= sig_next;
      end
      if (t + 64'd1 == cycles) begin
        if (sig_fd != 0) $fclose(sig_fd);
        if (dump_fd != 0) $fclose(dump_fd);
        done <= 1'b1;
      end
      stimulus(t + 64'd1);
      rst <= rst_next;
{chr(10).join(f"      p_{p.name} <= p_{p.name}_next;" for p in data_in)}
      t <= t + 64'd1;
    end
  end
endmodule
"""
    return text
