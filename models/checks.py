"""Parameter validation shared by the hardware, the golden models and the CLI.

Every design validates its parameters before it builds anything, with one exception type,
:class:`ParameterError`, whose message starts with the parameter's name. The CLI turns it into
a one-line error and exit status 2.
"""

import numbers
import zipfile

from numpy.lib import format as npy_format

__all__ = ["ParameterError", "check_int", "check_choice", "check_bool", "array_headers",
           "check_array_file"]


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


def _npy_header(fp):
    """``(shape, dtype)`` declared by the header of the ``.npy`` stream ``fp`` (nothing else read)."""
    version = npy_format.read_magic(fp)    # numpy's own header reader: no array is allocated
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(fp)
    else:
        shape, _, dtype = npy_format.read_array_header_2_0(fp)
    return tuple(shape), dtype


def array_headers(path):
    """What a ``.npy`` or ``.npz`` file declares, from its headers only: ``{name: (shape,
    dtype)}`` (name None for a ``.npy``). Raises ``ValueError``/``OSError``/``zipfile.BadZipFile``
    for a file that is not one."""
    if str(path).lower().endswith(".npz"):
        with zipfile.ZipFile(path) as archive:
            found = {}
            for member in archive.namelist():
                with archive.open(member) as fp:
                    found[member.removesuffix(".npy")] = _npy_header(fp)
            return found
    with open(path, "rb") as fp:
        return {None: _npy_header(fp)}


def check_array_file(path, where, shapes):
    """Refuse a ``.npy``/``.npz`` file whose headers declare arrays of other shapes than
    ``shapes`` (``{name: shape}``; name None for a ``.npy``), before loading anything: a header
    that declares 20 GB is refused in one line, not allocated.

    Arrays of names not in ``shapes`` are left to the caller (which names what it expects).

    Raises
    ------
    ParameterError
        Naming the file (``where``), the array and both shapes, or saying it is unreadable.
    """
    try:
        found = array_headers(path)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ParameterError(f"{where} is unreadable: {exc}") from None
    for name, (shape, dtype) in found.items():
        if name not in shapes:
            continue
        if shape != tuple(shapes[name]):
            label = "its array" if name is None else name
            raise ParameterError(f"{where}: {label} must have shape {tuple(shapes[name])}, not {shape} "
                                 f"(about {dtype.itemsize * _product(shape):,} bytes declared)")


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n
