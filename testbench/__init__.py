"""Stimulus generation and the cocotb co-simulation testbench shared by every design."""
