"""One tool step each, from a registered design and its parameters to one cached result:
``generate`` (Verilog), ``synth`` (Yosys), ``pnr`` (nextpnr), ``formal`` (sby), ``cosim``
(Icarus/Verilator against the golden model), with ``user_rtl`` (the user's own Verilog,
checked against a design's ports) and ``utilization`` (any tool's utilisation report).

May import :mod:`stochhw.sim.core` and :mod:`stochhw.sim.designs` and the layers below.
"""
