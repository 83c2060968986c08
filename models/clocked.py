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

__all__ = ["register", "steps_since_reset"]


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
