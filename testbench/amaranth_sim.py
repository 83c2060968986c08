"""Run a component in Amaranth's Python simulator on the same stimulus arrays as the HDL flows.

This is the fast-to-start path the pytest suite uses (no HDL simulator needed). It follows
the time convention of :mod:`stochhw.models.clocked`: in cycle t, drive ``in[t]``, let combinational
logic settle, sample ``out[t]``, then tick.
"""

from amaranth import ClockDomain, Module
from amaranth.sim import Simulator

from stochhw.testbench.bus import pack, unpack

__all__ = ["run_amaranth"]


def run_amaranth(component, ports, stim, vcd=None):
    """Simulate ``component`` for ``len(stim["rst"])`` cycles.

    Parameters
    ----------
    component : wiring.Component
    ports : list of stochhw.sim.designs.Port
    stim : dict of str -> ndarray (cycles, lanes)
    vcd : path, optional
        Write waveforms there.

    Returns
    -------
    dict of str -> ndarray (cycles, lanes) of uint64, one entry per output port
    """
    m = Module()
    m.domains.sync = sync = ClockDomain("sync")
    m.submodules.dut = component
    cycles = len(stim["rst"])
    inputs = [(p, pack(stim[p.name], p.lane_width)) for p in ports if p.direction == "in"]
    outputs = [p for p in ports if p.direction == "out"]
    samples = {p.name: [0] * cycles for p in outputs}

    def signal(port):
        return sync.rst if port.name == "rst" else getattr(component, port.name)

    async def testbench(ctx):
        in_sigs = [(signal(p), values) for p, values in inputs]
        out_sigs = [(getattr(component, p.name), samples[p.name]) for p in outputs]
        for t in range(cycles):
            for sig, values in in_sigs:
                ctx.set(sig, values[t])
            for sig, values in out_sigs:
                values[t] = ctx.get(sig)
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    if vcd:
        with sim.write_vcd(str(vcd)):
            sim.run()
    else:
        sim.run()
    # Signed signals come back as negative ints; keep raw bits like every other path.
    return {p.name: unpack([v & ((1 << p.width) - 1) for v in samples[p.name]], p.lanes, p.lane_width)
            for p in outputs}
