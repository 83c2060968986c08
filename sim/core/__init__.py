"""What every flow shares: the design spec and registry entry types, comparisons, FPGA
targets, atomic files, the content-addressed cache, the toolchain, the job executor, and the
report kit (:mod:`~stochhw.sim.core.reportkit`: tables, number formats, figures and report
folders for every analysis and campaign).

May import :mod:`stochhw.models`, :mod:`stochhw.hw` and :mod:`stochhw.testbench`.
"""
