"""What drives and checks a device under test, shared by every design: the seeded stimulus,
the bulk co-simulation harness, lane-major bus packing, the model comparison, the Amaranth
simulator path and the cocotb test module that runs inside Icarus and Verilator.

May import :mod:`stochhw.models` and :mod:`stochhw.hw`; nothing of :mod:`stochhw.sim`.
"""
