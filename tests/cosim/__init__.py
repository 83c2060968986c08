"""Tests that drive the generated Verilog on Icarus and Verilator (need a simulator)."""
