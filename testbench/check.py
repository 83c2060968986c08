"""Bit-for-bit comparison of simulated outputs with the golden model."""

import numpy as np

from stochhw.models.bits import to_signed

__all__ = ["VerificationFailure", "Mismatch", "compare_outputs"]


class VerificationFailure(AssertionError):
    """A verification run did not pass; the message starts with the run's label.

    Attributes
    ----------
    label : str
        Design, parameters, simulator and mode (empty if none was given).
    detail : str
        The message without the label.
    run_dir : str or None
        The run folder (set by :func:`stochhw.sim.flows.cosim.run_cosim`).
    replay : str or None
        The command that replays the run per cycle with waveforms (set by ``run_cosim``).
    waves : str or None
        The waveform file of the run, when it recorded one.
    """

    def __init__(self, detail, *, label="", run_dir=None, replay=None, waves=None):
        self.detail, self.label, self.run_dir, self.replay = detail, label, run_dir, replay
        self.waves = waves
        super().__init__(f"{label}: {detail}" if label else detail)

    def __reduce__(self):       # keep the attributes across processes (regress workers)
        return (_rebuild, (type(self), self.detail, self.label, self.run_dir, self.replay, self.waves))


def _rebuild(kind, detail, label, run_dir, replay, waves):
    return kind(detail, label=label, run_dir=run_dir, replay=replay, waves=waves)


class Mismatch(VerificationFailure):
    """RTL and model disagree; the message names cycle, lane, inputs, expected, actual and seed
    (``detail``: how many values differ, over which cycles, the first few in full)."""


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
                    first_cycle=0, stim_first_cycle=0, scope=""):
    """Raise :class:`Mismatch` unless ``actual`` equals ``expected`` on every output port.

    Parameters
    ----------
    ports : list of stochhw.sim.core.design.Port
        Or any objects with ``name``, ``direction``, ``lanes``, ``lane_width``, ``signed``.
    stim : dict of str -> ndarray (cycles, lanes)
        Stimulus of cycles ``stim_first_cycle ..``, reaching back at least ``latency`` cycles
        before ``first_cycle`` when there are such cycles.
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
    stim_first_cycle : int
        Cycle of the first row of ``stim``.
    scope : str
        Appended to the count, saying what it covers (e.g. ``" in cycles 0..4095"``).
    """
    lines = []
    total = 0
    for port in ports:
        if port.direction != "out":
            continue
        exp, act = np.asarray(expected[port.name]), np.asarray(actual[port.name])
        if exp.shape != act.shape:
            raise Mismatch(f"output {port.name} has shape {act.shape}, model {exp.shape}", label=label)
        bad = np.argwhere(exp != act)
        total += len(bad)
        for row, lane in bad[: max(0, limit - len(lines))]:
            cycle = first_cycle + int(row)
            source = max(stim_first_cycle, cycle - latency)
            at = source - stim_first_cycle
            inputs = ", ".join(
                f"{p.name}={_show(stim[p.name][at, lane if p.lanes > 1 else 0], p)}"
                if p.lanes in (1, port.lanes) else f"{p.name}={_show_bus(stim[p.name][at], p)}"
                for p in ports if p.direction == "in")
            lines.append(f"  cycle {cycle}, lane {lane}: {port.name} expected "
                         f"{_show(exp[row, lane], port)}, got {_show(act[row, lane], port)}; "
                         f"inputs in cycle {source}: {inputs}")
    if total:
        raise Mismatch(f"{total} mismatching output values{scope} (seed {seed}); first:\n" +
                       "\n".join(lines), label=label)
