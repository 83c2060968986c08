"""What every flow shares: the design spec and registry entry types, comparisons, FPGA
targets, atomic files, the content-addressed cache, the toolchain and the job executor.

May import :mod:`stochhw.models`, :mod:`stochhw.hw` and :mod:`stochhw.testbench`.
"""
