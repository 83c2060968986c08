"""Where parallel jobs run: this process, local worker processes, or a Dask distributed cluster.

Every campaign of the project (regressions, comparisons, sweeps, fault-injection chips,
stochastic-computing grids) submits its jobs through one API:

.. code-block:: python

    from stochhw.sim.core.executor import JobFailure, make_executor, run_jobs

    with make_executor(scheduler=None, jobs=2) as executor:        # or "tcp://HOST:PORT"
        for key, outcome in run_jobs(executor, [(key, fn, args), ...], keep_going=True):
            if isinstance(outcome, JobFailure):                    # in completion order
                ...                                                # the job raised or died
            else:
                ...                                                # its result

:func:`make_executor` returns a :class:`concurrent.futures.Executor`:

* ``scheduler=None, jobs=1``: :class:`InlineExecutor`, every job runs in this process as it
  is submitted (debugging, profiling, tests);
* ``scheduler=None, jobs>1``: :class:`ProcessExecutor`, at most ``jobs`` jobs at once, each in
  a worker process of its own, started when the job starts (so never more processes than
  jobs, and none idle);
* ``scheduler="tcp://HOST:PORT"``: :class:`DaskExecutor`, the jobs run on an existing
  ``dask.distributed`` cluster (start one with ``dask scheduler`` and ``dask worker
  tcp://HOST:PORT`` on each machine). The workers need this project importable (same checkout,
  same tool versions: results record the versions); each machine keeps its own cache
  (:func:`stochhw.sim.core.cache.cache_root`) unless ``STOCHHW_CACHE_DIR`` points at a shared one.

Bounds and faults:

* ``jobs`` is at most :func:`max_jobs` (4 per CPU, at least 8): ``-j 100000`` is refused in one
  line, before anything starts.
* A job that raises, or whose worker process dies (a crash, the OOM killer, ``kill -9``), is
  that job's failure, a :class:`JobFailure` naming the job and the signal. With
  ``keep_going=True`` the other jobs run on and every failure is yielded in its place; by
  default the first failure stops the run (the jobs not started are not started) and is
  raised: the job's own exception, or :class:`JobFailed` for a worker that died.
* Workers die with the process that started them, even when it is killed with SIGKILL: each
  worker is the leader of its own process group, asks the kernel for a signal when its parent
  dies (``PR_SET_PDEATHSIG``), and then takes its whole group down, simulators and synthesis
  tools included. A Dask cluster is not this process's to kill: its tasks for a client that
  went away are released by the scheduler.

Jobs must be picklable: a module-level function and plain arguments. A job's result comes
back by value, so nothing depends on where it ran: the same jobs give the same results, and
the reports built from them are byte-identical, whichever executor ran them.
"""

import concurrent.futures
import contextlib
import ctypes
import dataclasses
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import threading
import time
import traceback

from stochhw.models.checks import ParameterError, check_int

__all__ = ["make_executor", "run_jobs", "run_all", "check_scheduler", "check_jobs", "max_jobs",
           "JobFailure", "JobFailed", "JobsFailed", "InlineExecutor", "ProcessExecutor", "DaskExecutor", "SchedulerUnreachable"]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 10

#: Seconds a worker's process group gets to shut down on SIGTERM before SIGKILL (sby, for
#: one, stops the solver processes it started in groups of their own).
GRACE_SECONDS = 1.0

_SCHEDULER = re.compile(r"tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>[0-9]{1,5})")


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler did not answer (the command fails with status 1, not 2)."""


def check_scheduler(address):
    """Return ``address`` after checking it reads ``tcp://HOST:PORT``."""
    m = _SCHEDULER.fullmatch(str(address))
    if m is None or not 1 <= int(m["port"]) <= 65535:
        raise ParameterError(f"scheduler must be tcp://HOST:PORT (port 1..65535), not {address!r}")
    return address


def max_jobs():
    """The most local jobs at once: 4 per CPU of this machine, at least 8.

    More would only queue for the CPUs while each holds its memory; thousands would exhaust
    the machine's memory and process table.
    """
    return max(8, 4 * (os.cpu_count() or 1))


def check_jobs(jobs):
    """Return ``jobs`` after checking ``1 <= jobs <= max_jobs()``.

    Raises
    ------
    ParameterError
        Naming the limit and why.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        return check_int("jobs", jobs, lo=1)
    limit = max_jobs()
    if jobs > limit:
        raise ParameterError(f"jobs must be in 1..{limit} on this machine ({os.cpu_count()} CPUs, "
                             f"at most 4 jobs per CPU), not {jobs}")
    return jobs


# --- failures -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class JobFailure:
    """Why one job gave no result.

    Attributes
    ----------
    key : object
        The job's key, as given to :func:`run_jobs`.
    message : str
        One line: the job's exception (``ValueError: ...``) or how its worker ended
        (``worker process killed by SIGKILL (out of memory?)``).
    error : BaseException or None
        The exception the job raised, when it raised one (re-raised by :func:`run_jobs`
        without ``keep_going``).
    signal : int or None
        The signal that killed the worker process, when one did.
    exitcode : int or None
        The worker's exit status, when it exited without a result.
    traceback : str
        The job's traceback, when it raised (for logs; never printed by default).
    """
    key: object
    message: str
    error: BaseException | None = None
    signal: int | None = None
    exitcode: int | None = None
    traceback: str = ""

    @property
    def signal_name(self):
        """``"SIGKILL"`` and so on, or None."""
        if self.signal is None:
            return None
        try:
            return signal.Signals(self.signal).name
        except ValueError:
            return f"signal {self.signal}"

    @property
    def died(self):
        """True when the worker process died (by a signal or an exit) rather than the job raising."""
        return self.error is None

    def __str__(self):
        return self.message


class JobFailed(RuntimeError):
    """A job's worker process died (``failure`` says how). The CLI prints it as one line."""

    def __init__(self, failure):
        super().__init__(f"job {failure.key!r}: {failure.message}")
        self.failure = failure


class JobsFailed(RuntimeError):
    """Some jobs of a campaign failed (:func:`run_all`); every other job ran. The message names
    the first failure; ``failures`` holds ``(label, JobFailure)`` for all of them."""

    def __init__(self, what, failures, total):
        label, first = failures[0]
        super().__init__(f"{len(failures)} of {total} {what} failed, so no report was written; "
                         f"first: {label}: {first.message}")
        self.failures = failures


def _died(key, exitcode):
    if exitcode is not None and exitcode < 0:
        name = JobFailure(key, "", signal=-exitcode).signal_name
        hint = " (out of memory? the kernel's OOM killer sends it)" if -exitcode == signal.SIGKILL else ""
        return JobFailure(key, f"worker process killed by {name}{hint}", signal=-exitcode)
    return JobFailure(key, f"worker process exited with status {exitcode} without a result",
                      exitcode=exitcode)


def _raised(key, exc, tb=""):
    text = str(exc).strip()
    return JobFailure(key, f"{type(exc).__name__}: {text}" if text else type(exc).__name__, error=exc,
                      traceback=tb)


# --- executors ------------------------------------------------------------------------------------

class InlineExecutor(concurrent.futures.Executor):
    """Runs every job in this process when it is submitted; returns completed futures."""

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:        # delivered through the future, like a pool would
            future.set_exception(exc)
        return future


_PR_SET_PDEATHSIG = 1


def _ask_for_parent_death_signal(sig):
    """``prctl(PR_SET_PDEATHSIG, sig)``: the kernel sends ``sig`` when the parent dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _take_group_down(*_):
    """End this worker's process group: SIGTERM first (tools that clean up after themselves,
    sby, get the chance), then SIGKILL, this process included."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(0, signal.SIGTERM)
        time.sleep(GRACE_SECONDS)
    finally:
        os.killpg(0, signal.SIGKILL)


def _watch_parent(parent):
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            _take_group_down()


def _worker(conn, parent, fn, args):
    """Body of a worker process: run ``fn(*args)`` and send back the outcome."""
    os.setpgid(0, 0)                       # its tools join this group, and go down with it
    signal.signal(signal.SIGTERM, _take_group_down)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent decides what an interrupt stops
    if not _ask_for_parent_death_signal(signal.SIGTERM):     # not Linux: poll for the parent
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:             # the parent died before the request took effect
        _take_group_down()
    try:
        outcome = ("ok", fn(*args))
    except BaseException as exc:
        outcome = ("error", exc, traceback.format_exc())
    try:
        conn.send(outcome)
    except Exception:                      # an unpicklable result or exception
        if outcome[0] == "ok":
            outcome = ("error", TypeError(f"the job's result cannot be pickled: {outcome[1]!r:.200}"), "")
        else:
            outcome = ("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}"), outcome[2])
        conn.send(outcome)
    conn.close()


class ProcessExecutor(concurrent.futures.Executor):
    """At most ``workers`` jobs at once, each in a worker process of its own.

    A worker is forked when its job starts and ends with it, so there are never more
    processes than running jobs, a worker that dies takes only its own job with it (the others
    go on), and no worker outlives this process (see the module docstring). Use it through
    :func:`run_jobs`, which drives it from the calling thread.

    Parameters
    ----------
    workers : int
        1 .. :func:`max_jobs`.
    """

    def __init__(self, workers):
        self.workers = check_jobs(workers)
        self._context = multiprocessing.get_context("fork")
        self._running = {}

    def submit(self, fn, /, *args, **kwargs):
        raise TypeError("ProcessExecutor runs jobs through run_jobs(executor, jobs)")

    def outcomes(self, jobs):
        """Yield ``(key, result or JobFailure)`` for ``jobs`` (``(key, fn, args)``), as each ends."""
        pending = iter(jobs)
        running = self._running
        try:
            while True:
                while len(running) < self.workers:
                    job = next(pending, None)
                    if job is None:
                        break
                    self._start(*job)
                if not running:
                    return
                ready = multiprocessing.connection.wait(list(running))
                for conn in ready:
                    key, process = running.pop(conn)
                    yield key, self._collect(key, process, conn)
        finally:
            self._stop_all()

    def _start(self, key, fn, args):
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_worker, args=(send, os.getpid(), fn, tuple(args)),
                                        daemon=False)
        process.start()
        send.close()                       # the worker holds the only write end: EOF if it dies
        self._running[receive] = (key, process)

    @staticmethod
    def _collect(key, process, conn):
        try:
            outcome = conn.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            conn.close()
        process.join()
        if outcome is None:
            return _died(key, process.exitcode)
        if outcome[0] == "ok":
            return outcome[1]
        return _raised(key, outcome[1], outcome[2])

    def _stop_all(self):
        """Stop every running worker and its tools (an interrupt, or the first failure)."""
        for conn, (_, process) in list(self._running.items()):
            if process.is_alive():
                try:
                    os.kill(process.pid, signal.SIGTERM)   # the worker ends its whole group
                except ProcessLookupError:
                    pass
        for conn, (_, process) in list(self._running.items()):
            process.join(GRACE_SECONDS + 5)
            if process.is_alive():
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.join()
            conn.close()
        self._running.clear()

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._stop_all()


class DaskExecutor(concurrent.futures.Executor):
    """Jobs on a ``dask.distributed`` cluster; owns the client and closes it on shutdown.

    Parameters
    ----------
    scheduler : str
        ``tcp://HOST:PORT`` of a running Dask scheduler.
    """

    def __init__(self, scheduler):
        check_scheduler(scheduler)
        from distributed import Client  # optional heavy dependency, only for a cluster
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
        Local jobs at once, 1 .. :func:`max_jobs` (1: run in this process). Ignored with a
        scheduler, whose workers decide how many jobs run at once.

    Raises
    ------
    ParameterError
        If ``jobs`` is out of range or ``scheduler`` is not ``tcp://HOST:PORT``.
    SchedulerUnreachable
        If no scheduler answers at that address.
    """
    jobs = check_jobs(jobs)
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if jobs == 1:
        return InlineExecutor()
    return ProcessExecutor(jobs)


def _future_outcomes(executor, jobs):
    futures = {}
    try:
        for key, fn, args in jobs:
            future = executor.submit(fn, *args)
            futures[future] = key
            # An inline executor has finished the job already: report it now, not at the end.
            if future.done():
                del futures[future]
                yield key, _outcome(key, future)
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], _outcome(key=futures[future], future=future)
    finally:
        for future in futures:
            future.cancel()


def _outcome(key, future):
    exc = future.exception()
    if exc is None:
        return future.result()
    if not isinstance(exc, Exception):            # an interrupt stops the run, never "a failure"
        raise exc
    if type(exc).__name__ == "KilledWorker":      # Dask: the task's worker died (more than once)
        return JobFailure(key, f"Dask worker died running it ({exc})")
    return _raised(key, exc, "".join(traceback.format_exception(exc)))


def run_jobs(executor, jobs, keep_going=False):
    """Run ``jobs`` on ``executor``; yield ``(key, outcome)`` as each one finishes.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        From :func:`make_executor`.
    jobs : iterable of (key, fn, args)
        ``fn(*args)`` is the job; ``key`` identifies it in the output.
    keep_going : bool
        False (default): ``outcome`` is the job's result, and the first job that fails stops
        the run (jobs not yet started are not started, running ones are stopped); its
        exception is raised, or :class:`JobFailed` when its worker died. True: every job runs,
        and ``outcome`` is the result or, for a job that failed, a :class:`JobFailure`.
    """
    if isinstance(executor, ProcessExecutor):
        outcomes = executor.outcomes(jobs)
    else:
        outcomes = _future_outcomes(executor, jobs)
    # Closed on the way out however the caller leaves the loop: its workers stop at once.
    with contextlib.closing(outcomes):
        for key, outcome in outcomes:
            if isinstance(outcome, JobFailure) and not keep_going:
                if outcome.error is not None:
                    raise outcome.error
                raise JobFailed(outcome)
            yield key, outcome


def run_all(executor, jobs, what, label=str, progress=None):
    """Run every job of a campaign whose report needs them all; yield ``(key, result)``.

    A failed job (:class:`JobFailure`) does not stop the others, which run (and fill the
    caches) all the same: it is printed to ``progress`` as ``[failed] <label(key)>: <why>``,
    and when every job has ended :class:`JobsFailed` is raised, naming the first (``what``
    says what the jobs are, e.g. ``"points of the sweep ..."``).
    """
    jobs = list(jobs)
    failures = []
    for key, outcome in run_jobs(executor, jobs, keep_going=True):
        if isinstance(outcome, JobFailure):
            failures.append((label(key), outcome))
            if progress is not None:
                print(f"[failed] {label(key)}: {outcome.message}", file=progress, flush=True)
            continue
        yield key, outcome
    if failures:
        raise JobsFailed(what, failures, len(jobs))
