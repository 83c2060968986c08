"""Synthesizable Amaranth 0.5 components. Each states its ports, parameters and latency;
:mod:`sim.registry` lists them with their golden models."""
