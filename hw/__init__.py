"""Synthesizable Amaranth 0.5 components, one file per design. Each states its ports,
parameters and latency; :mod:`stochhw.sim.designs` lists them with their golden models.

May import :mod:`stochhw.models` (shared rules and parameter checks); nothing above it.
"""
