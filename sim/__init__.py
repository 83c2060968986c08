"""The tool: everything that turns designs into Verilog, runs, reports and a command line.

==============  ===============================================================================
``core``        what an entry is (design spec, comparison), FPGA targets, atomic files, the
                content cache, toolchain, executor
``designs``     the registry: one module per topic (rounding, extraction, faults, sc, tile)
``flows``       one tool step -> one cached result: generate, synth, pnr, formal, cosim
``proofs``      formal properties, one module per topic
``analyses``    one module per ``stochhw analyze`` topic, one shape, one report kit
``campaigns``   many flow runs -> a report: regress, compare, sweep, bench, prove, report, demo
``cli``         argparse wiring only
==============  ===============================================================================

Imports run down that table's reverse: ``cli`` may use everything, ``core`` only
:mod:`stochhw.models`, :mod:`stochhw.hw` and :mod:`stochhw.testbench`.
"""
