"""Bit-for-bit comparison of simulated outputs with the golden model."""

import numpy as np

from stochhw.models.bits import to_signed

__all__ = ["Mismatch", "compare_outputs"]


class Mismatch(AssertionError):
    """RTL and model disagree; the message names cycle, lane, inputs, expected, actual and seed."""


def _show(value, port):
    value = int(value)
    if port.signed:
        return f"{int(to_signed(value, port.lane_width))} (0x{value:x})"
    return f"{value} (0x{value:x})"


def _show_bus(values, port, limit=16):
    """Every lane of an input bus whose lane count is not the output's (the lanes do not pair
    up one to one: a whole bus feeds each output), the first ``limit`` of them."""
    shown = [str(int(to_signed(int(v), port.lane_width))) if port.signed else str(int(v))
             for v in values[:limit]]
    return "[" + ", ".join(shown) + (", ..." if len(values) > limit else "") + "]"


def compare_outputs(ports, stim, expected, actual, *, seed, latency=0, label="", limit=5,
                    first_cycle=0):
    """Raise :class:`Mismatch` unless ``actual`` equals ``expected`` on every output port.

    Parameters
    ----------
    ports : list of stochhw.sim.designs.Port
    stim : dict of str -> ndarray (cycles, lanes)
        The whole run's stimulus.
    expected, actual : dict of str -> ndarray (window, lanes)
        Outputs of cycles ``first_cycle ..``; by default the whole run.
    seed : int
        Stimulus seed, reported so the failure can be replayed.
    latency : int
        The design's latency: the inputs shown are those of cycle ``t - latency``, the ones
        that produced the output of cycle ``t``.
    label : str
        Design, parameters and simulator, for the message.
    limit : int
        Number of mismatches described in full.
    first_cycle : int
        Cycle of the first row of ``expected`` and ``actual``.
    """
    lines = []
    total = 0
    for port in ports:
        if port.direction != "out":
            continue
        exp, act = np.asarray(expected[port.name]), np.asarray(actual[port.name])
        if exp.shape != act.shape:
            raise Mismatch(f"{label}: output {port.name} has shape {act.shape}, model {exp.shape}")
        bad = np.argwhere(exp != act)
        total += len(bad)
        for row, lane in bad[: max(0, limit - len(lines))]:
            cycle = first_cycle + int(row)
            source = max(0, cycle - latency)
            inputs = ", ".join(
                f"{p.name}={_show(stim[p.name][source, lane if p.lanes > 1 else 0], p)}"
                if p.lanes in (1, port.lanes) else f"{p.name}={_show_bus(stim[p.name][source], p)}"
                for p in ports if p.direction == "in")
            lines.append(f"  cycle {cycle}, lane {lane}: {port.name} expected "
                         f"{_show(exp[row, lane], port)}, got {_show(act[row, lane], port)}; "
                         f"inputs in cycle {source}: {inputs}")
    if total:
        raise Mismatch(f"{label}: {total} mismatching output values (seed {seed}); first:\n" +
                       "\n".join(lines))
