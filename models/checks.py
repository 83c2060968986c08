"""Parameter validation shared by the hardware, the golden models and the CLI.

Every design validates its parameters before it builds anything, with one exception type,
:class:`ParameterError`, whose message starts with the parameter's name. The CLI turns it into
a one-line error and exit status 2.
"""

import numbers

__all__ = ["ParameterError", "check_int", "check_choice", "check_bool"]


class ParameterError(ValueError):
    """A parameter is outside its domain. The message names the parameter."""


def check_int(name, value, lo=None, hi=None):
    """Return ``value`` as an ``int`` after checking ``lo <= value <= hi``.

    Raises
    ------
    ParameterError
        If ``value`` is not an integer (bools are refused too) or is out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer, not {value!r}")
    value = int(value)
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise ParameterError(f"{name} must be in {lo}..{hi}, not {value}")
    if lo is not None and value < lo:
        raise ParameterError(f"{name} must be >= {lo}, not {value}")
    if hi is not None and value > hi:
        raise ParameterError(f"{name} must be <= {hi}, not {value}")
    return value


def check_choice(name, value, choices):
    """Return ``value`` after checking it is one of ``choices``."""
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(map(str, choices))}; not {value!r}")
    return value


def check_bool(name, value):
    """Return ``value`` as a ``bool``; accepts bools and the integers 0 and 1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise ParameterError(f"{name} must be a boolean (0/1), not {value!r}")
