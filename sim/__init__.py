"""Flows that work on any registered design: generation, co-simulation, synthesis, reports, CLI."""
