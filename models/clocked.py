"""How clocked behaviour maps onto whole-run arrays: the time convention of every model.

Cycle ``t`` is the clock period that ends with rising edge ``t``. Inputs ``in[t]`` are held
during cycle ``t``; outputs ``out[t]`` are sampled at the end of cycle ``t``, just before edge
``t``, once combinational logic has settled. So a combinational output has latency 0
(``y[t] = f(x[t])``) and a registered one latency 1 (``y[t] = f(x[t-1])``). Before the first
edge every register holds its init value. ``rst`` is synchronous: when ``rst[t]`` is high, edge
``t`` loads every register with its init value.

The helpers here turn those rules into vectorized NumPy so that models never loop over
cycles in Python.

Chunked runs
------------
Every golden model runs a whole run at once (``model.run(stim)``) or chunk by chunk, carrying
its state from one chunk to the next::

    state = {}
    for chunk in chunks:                 # consecutive slices of one run's stimulus
        out = model.run(chunk, state)    # the same rows as model.run(whole)[slice]

``state`` is a plain dict that the model fills at the end of each chunk with what its
registers hold (register contents, counter steps, memory words) and reads at the start of the
next. The helpers here take ``state=`` and a ``key`` naming their register, so a model built
from them carries its state with no code of its own. That is how a co-simulation of 10^9
cycles runs in the memory of one chunk (:mod:`stochhw.sim.flows.cosim`).
"""

import numpy as np

from stochhw.models.checks import ParameterError

__all__ = ["register", "steps_since_reset", "register_enabled", "check_lanes"]


def _carried(state, key, default):
    """The value ``state[key]`` a previous chunk left, or ``default`` at the start of a run."""
    if state is None or key not in state:
        return default
    return state[key]


def register(next_value, rst, init=0, *, state=None, key="q"):
    """Output of a register whose D input is ``next_value[t]`` in cycle ``t``.

    Parameters
    ----------
    next_value : ndarray, shape (cycles, ...)
        The value presented to the register in each cycle.
    rst : ndarray of bool, shape (cycles,)
        Synchronous reset, per cycle.
    init : int
        Reset and power-up value.
    state : dict, optional
        Chunked runs: the run's carried state. ``state[key]`` holds the register's content
        when this chunk starts (absent: power-up) and is replaced by its content after the
        chunk's last edge.
    key : str
        The register's name in ``state``.

    Returns
    -------
    ndarray, same shape and dtype as ``next_value``
        ``q[0] = init`` (or the carried content); ``q[t] = init if rst[t-1] else next_value[t-1]``.
    """
    q = np.empty_like(next_value)
    q[0] = _carried(state, key, init)
    rst = np.asarray(rst, dtype=bool).reshape((-1,) + (1,) * (next_value.ndim - 1))
    q[1:] = np.where(rst[:-1], init, next_value[:-1])
    if state is not None:
        state[key] = np.where(rst[-1], init, next_value[-1]).astype(next_value.dtype)
    return q


def steps_since_reset(advance, rst, *, state=None, key="k"):
    """How many times a counter-like register has advanced, as seen in each cycle.

    A register that loads its init value at edge ``t`` when ``rst[t]`` and otherwise advances
    one step when ``advance[t]`` is seen, in cycle ``t``, at step ``k[t]`` of its sequence.

    Parameters
    ----------
    advance : ndarray of bool, shape (cycles,) or (cycles, lanes)
    rst : ndarray of bool, shape (cycles,)
    state : dict, optional
        Chunked runs: ``state[key]`` holds the step count when this chunk starts (absent: 0)
        and is replaced by the count after the chunk's last edge.
    key : str
        The counter's name in ``state``.

    Returns
    -------
    ndarray of int64, same shape as ``advance``
    """
    advance = np.asarray(advance, dtype=bool)
    rst = np.asarray(rst, dtype=bool).reshape((-1,) + (1,) * (advance.ndim - 1))
    steps = np.cumsum(advance & ~rst, axis=0, dtype=np.int64)
    # Steps counted up to the last reset edge: cumsum is non-decreasing, so a running maximum
    # of its value at reset edges is its value at the latest one.
    at_reset = np.maximum.accumulate(np.where(rst, steps, 0), axis=0)
    start = _carried(state, key, 0)
    after = steps - at_reset                     # the count after each edge...
    if not np.all(np.asarray(start) == 0):
        # ...plus the carried count while no reset edge has passed in this chunk.
        after += np.where(np.maximum.accumulate(rst, axis=0), 0, start)
    k = np.empty_like(steps)
    k[0] = start
    k[1:] = after[:-1]
    if state is not None:
        state[key] = after[-1].copy()
    return k


def register_enabled(enable, next_value, rst, init=0, *, state=None, key="q"):
    """Output of a register with a clock enable: ``D = next_value[t]`` is loaded only when
    ``enable[t]``; otherwise the register holds.

    Parameters
    ----------
    enable : ndarray of bool, shape (cycles,) or like ``next_value``
    next_value : ndarray, shape (cycles, ...)
    rst : ndarray of bool, shape (cycles,)
        Synchronous reset, per cycle (it wins over ``enable``).
    init : int
        Reset and power-up value.
    state : dict, optional
        Chunked runs: ``state[key]`` holds the register's content when this chunk starts
        (absent: power-up) and is replaced by its content after the chunk's last edge.
    key : str
        The register's name in ``state``.

    Returns
    -------
    ndarray, same shape and dtype as ``next_value``
        ``q[0] = init`` (or the carried content);
        ``q[t+1] = init if rst[t] else next_value[t] if enable[t] else q[t]``.
    """
    next_value = np.asarray(next_value)
    shape = next_value.shape
    rst = np.broadcast_to(np.asarray(rst, dtype=bool).reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    enable = np.broadcast_to(np.asarray(enable, dtype=bool).reshape(
        np.shape(enable) + (1,) * (len(shape) - np.ndim(enable))), shape)
    q0 = np.broadcast_to(np.asarray(_carried(state, key, init), dtype=next_value.dtype), shape[1:])
    # q[t+1] is the value loaded at the latest edge <= t that loads anything (reset or enable):
    # a running maximum of the indices of those edges finds it for every cycle and lane at once.
    cycle = np.arange(shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
    last = np.maximum.accumulate(np.where(rst | enable, cycle, -1), axis=0)
    loaded = np.where(rst, next_value.dtype.type(init), next_value)
    after = np.where(last >= 0, np.take_along_axis(loaded, np.maximum(last, 0), axis=0), q0)
    q = np.empty_like(next_value)
    q[0] = q0
    q[1:] = after[:-1]
    if state is not None:
        state[key] = after[-1].copy()
    return q


def check_lanes(stim, lanes, model):
    """Refuse a stimulus whose ports do not have the lane counts a model was built for.

    Parameters
    ----------
    stim : dict of str -> ndarray (cycles, lanes)
    lanes : dict of str -> int
        Lane count of each input port the model reads (ports absent from ``stim`` are
        reported as missing).
    model : str
        The model's name, for the message.

    Raises
    ------
    ParameterError
        Naming the port, its lane count and the model's.
    """
    for name, count in lanes.items():
        if name not in stim:
            raise ParameterError(f"{model}: the stimulus has no port {name!r}")
        shape = np.shape(stim[name])
        if len(shape) != 2 or shape[1] != count:
            got = shape[1] if len(shape) == 2 else f"shape {shape}"
            raise ParameterError(f"{model} was built for {count} lane(s) on {name}, but the "
                                 f"stimulus has {got}")
