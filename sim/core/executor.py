"""Where parallel jobs run: this process, local worker processes, or a Dask distributed cluster.

Every long campaign of the project (comparisons, sweeps, and later fault-injection chips or
stochastic-computing grids) submits its jobs through one API:

.. code-block:: python

    from stochhw.sim.core.executor import make_executor, run_jobs

    with make_executor(scheduler=None, jobs=2) as executor:        # or "tcp://HOST:PORT"
        for key, result in run_jobs(executor, [(key, fn, args), ...]):
            ...                                                    # in completion order

:func:`make_executor` returns a :class:`concurrent.futures.Executor`:

* ``scheduler=None, jobs=1``: :class:`InlineExecutor`, every job runs in this process as it
  is submitted (debugging, profiling, tests);
* ``scheduler=None, jobs>1``: a :class:`~concurrent.futures.ProcessPoolExecutor` with ``jobs``
  worker processes;
* ``scheduler="tcp://HOST:PORT"``: :class:`DaskExecutor`, the jobs run on an existing
  ``dask.distributed`` cluster (start one with ``dask scheduler`` and ``dask worker
  tcp://HOST:PORT`` on each machine). The workers need this project importable (same checkout,
  same tool versions: results record the versions) and run in their own working directory, so
  relative cache folders (``build/cache/...``) are per worker machine unless it is shared.

Jobs must be picklable: a module-level function and plain arguments. A job's result comes
back by value, so nothing depends on where it ran: the same jobs give the same results, and
the reports built from them are byte-identical, whichever executor ran them.
"""

import concurrent.futures
import re

from stochhw.models.checks import ParameterError, check_int

__all__ = ["make_executor", "run_jobs", "check_scheduler", "InlineExecutor", "DaskExecutor",
           "SchedulerUnreachable"]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 10

_SCHEDULER = re.compile(r"tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>[0-9]{1,5})")


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler did not answer (the command fails with status 1, not 2)."""


def check_scheduler(address):
    """Return ``address`` after checking it reads ``tcp://HOST:PORT``."""
    m = _SCHEDULER.fullmatch(str(address))
    if m is None or not 1 <= int(m["port"]) <= 65535:
        raise ParameterError(f"scheduler must be tcp://HOST:PORT (port 1..65535), not {address!r}")
    return address


class InlineExecutor(concurrent.futures.Executor):
    """Runs every job in this process when it is submitted; returns completed futures."""

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:        # delivered through the future, like a pool would
            future.set_exception(exc)
        return future


class DaskExecutor(concurrent.futures.Executor):
    """Jobs on a ``dask.distributed`` cluster; owns the client and closes it on shutdown.

    Parameters
    ----------
    scheduler : str
        ``tcp://HOST:PORT`` of a running Dask scheduler.
    """

    def __init__(self, scheduler):
        check_scheduler(scheduler)
        from distributed import Client
        try:
            self._client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except OSError as exc:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        self.scheduler = scheduler
        # pure=False: a job is a tool run, so never merge two submissions into one task.
        self._executor = self._client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._executor.shutdown(wait=wait and not cancel_futures)
        self._client.close()


def make_executor(scheduler=None, jobs=2):
    """A :class:`concurrent.futures.Executor` for ``jobs`` local processes or a Dask cluster.

    Parameters
    ----------
    scheduler : str or None
        ``tcp://HOST:PORT`` of a Dask scheduler; None runs locally.
    jobs : int
        Local worker processes (1: run in this process). Ignored with a scheduler, whose
        workers decide how many jobs run at once.

    Raises
    ------
    ParameterError
        If ``jobs`` < 1 or ``scheduler`` is not ``tcp://HOST:PORT``.
    SchedulerUnreachable
        If no scheduler answers at that address.
    """
    jobs = check_int("jobs", jobs, lo=1)
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if jobs == 1:
        return InlineExecutor()
    return concurrent.futures.ProcessPoolExecutor(max_workers=jobs)


def run_jobs(executor, jobs):
    """Submit ``jobs`` to ``executor``; yield ``(key, result)`` as each one finishes.

    Parameters
    ----------
    executor : concurrent.futures.Executor
    jobs : iterable of (key, fn, args)
        ``fn(*args)`` is the job; ``key`` identifies it in the output.

    The first job that raises stops the run: the jobs not yet started are cancelled and the
    exception propagates to the caller.
    """
    futures = {}
    try:
        for key, fn, args in jobs:
            future = executor.submit(fn, *args)
            futures[future] = key
            # An inline executor has finished the job already: report it now, not at the end.
            if future.done():
                del futures[future]
                yield key, future.result()
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
    finally:
        for future in futures:
            future.cancel()
