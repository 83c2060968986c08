"""How clocked behaviour maps onto whole-run arrays: the time convention of every model.

Cycle ``t`` is the clock period that ends with rising edge ``t``. Inputs ``in[t]`` are held
during cycle ``t``; outputs ``out[t]`` are sampled at the end of cycle ``t``, just before edge
``t``, once combinational logic has settled. So a combinational output has latency 0
(``y[t] = f(x[t])``) and a registered one latency 1 (``y[t] = f(x[t-1])``). Before the first
edge every register holds its init value. ``rst`` is synchronous: when ``rst[t]`` is high, edge
``t`` loads every register with its init value.

The helpers here turn those rules into vectorized NumPy so that models never loop over
cycles in Python.
"""

import numpy as np

__all__ = ["register", "steps_since_reset", "register_enabled"]


def register(next_value, rst, init=0):
    """Output of a register whose D input is ``next_value[t]`` in cycle ``t``.

    Parameters
    ----------
    next_value : ndarray, shape (cycles, ...)
        The value presented to the register in each cycle.
    rst : ndarray of bool, shape (cycles,)
        Synchronous reset, per cycle.
    init : int
        Reset and power-up value.

    Returns
    -------
    ndarray, same shape and dtype as ``next_value``
        ``q[0] = init``; ``q[t] = init if rst[t-1] else next_value[t-1]``.
    """
    q = np.empty_like(next_value)
    q[0] = init
    rst = np.asarray(rst, dtype=bool).reshape((-1,) + (1,) * (next_value.ndim - 1))
    q[1:] = np.where(rst[:-1], init, next_value[:-1])
    return q


def steps_since_reset(advance, rst):
    """How many times a counter-like register has advanced, as seen in each cycle.

    A register that loads its init value at edge ``t`` when ``rst[t]`` and otherwise advances
    one step when ``advance[t]`` is seen, in cycle ``t``, at step ``k[t]`` of its sequence.

    Parameters
    ----------
    advance : ndarray of bool, shape (cycles,) or (cycles, lanes)
    rst : ndarray of bool, shape (cycles,)

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
    k = np.zeros_like(steps)
    k[1:] = (steps - at_reset)[:-1]
    return k


def register_enabled(enable, next_value, rst, init=0):
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

    Returns
    -------
    ndarray, same shape and dtype as ``next_value``
        ``q[0] = init``; ``q[t+1] = init if rst[t] else next_value[t] if enable[t] else q[t]``.
    """
    next_value = np.asarray(next_value)
    shape = next_value.shape
    rst = np.broadcast_to(np.asarray(rst, dtype=bool).reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    enable = np.broadcast_to(np.asarray(enable, dtype=bool).reshape(
        np.shape(enable) + (1,) * (len(shape) - np.ndim(enable))), shape)
    # q[t+1] is the value loaded at the latest edge <= t that loads anything (reset or enable):
    # a running maximum of the indices of those edges finds it for every cycle and lane at once.
    cycle = np.arange(shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
    last = np.maximum.accumulate(np.where(rst | enable, cycle, -1), axis=0)
    loaded = np.where(rst, next_value.dtype.type(init), next_value)
    q = np.empty_like(next_value)
    q[0] = init
    src = last[:-1]
    q[1:] = np.where(src >= 0, np.take_along_axis(loaded, np.maximum(src, 0), axis=0), init)
    return q
