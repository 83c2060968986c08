"""Resource limits checked before the work starts, not discovered by running out.

A run whose memory grows with what the user asked for (``--cycles``, ``--length``, the arrays a
file declares) is estimated first and refused in one line when the estimate exceeds what the
machine has, with the estimate and what to do instead, rather than ending minutes later in
``MemoryError``, the OOM killer or a swap storm.
"""

import os
from pathlib import Path

from stochhw.models.checks import ParameterError

__all__ = ["memory_available", "check_memory", "format_bytes", "USABLE_FRACTION"]

#: The share of the machine's memory one command may plan to use.
USABLE_FRACTION = 0.8


def _cgroup_limit():
    """The memory limit of this process's cgroup (containers, CI runners), or None."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def memory_available():
    """Bytes of memory this process may use: physical memory, or its cgroup's limit if lower."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 1 << 62                  # unknown: do not refuse on a guess
    limit = _cgroup_limit()
    return min(physical, limit) if limit else physical


def format_bytes(n):
    """``2.6 GB``, ``730 MB``, ``3.0 PB``."""
    for unit, size in (("EB", 1e18), ("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 1e3:.0f} kB"


def check_memory(need, what, remedy):
    """Refuse a run estimated to need ``need`` bytes when that is more than the machine has.

    Parameters
    ----------
    need : int or float
        The estimate, in bytes.
    what : str
        What needs it, e.g. ``"--cycles 1000000000000 of sru_array on 2 jobs"``.
    remedy : str
        What the user can do instead, e.g. ``"use fewer cycles or --mode bulk"``.

    Raises
    ------
    ParameterError
        One line: ``what needs about X of memory; this machine has Y: remedy``.
    """
    have = memory_available()
    if need > USABLE_FRACTION * have:
        raise ParameterError(f"{what} needs about {format_bytes(need)} of memory; this machine has "
                             f"{format_bytes(have)}: {remedy}")
