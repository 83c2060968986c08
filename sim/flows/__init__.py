"""One tool step each, from a registered design and its parameters to one cached result:
``generate`` (Verilog), ``synth`` (Yosys), ``pnr`` (nextpnr), ``formal`` (sby), ``cosim``
(Icarus/Verilator against the golden model).

May import :mod:`stochhw.sim.core` and :mod:`stochhw.sim.designs` and the layers below.
"""
