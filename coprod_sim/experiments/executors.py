"""Executors: where the runs of a sweep are evaluated, all behind ``concurrent.futures``.

- ``inline``: in this process, one batch at a time (for debugging and small sweeps);
- ``processes``: a local process pool (default: one worker per core);
- ``dask``: a Dask distributed cluster, through ``Client(address).get_executor()``.

The results do not depend on the executor: each run's seed comes from its run id.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future, ProcessPoolExecutor
from typing import Any

from .. import parallel
from ..params import ParameterError

CONNECT_TIMEOUT = "20s"
"""How long to try to reach a Dask scheduler before giving up."""


class SchedulerError(ParameterError):
    """The Dask scheduler cannot be reached (bad input: exit code 2)."""


class InlineExecutor(Executor):
    """Runs each task when it is submitted, in the calling process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:
            future.set_exception(err)
            if not isinstance(err, Exception):
                raise
        return future


cores = parallel.cores

WORKERS_PER_CORE = 4
MIN_WORKER_CAP = 16


def max_workers() -> int:
    """The most local worker processes a sweep may start: 4 per core, at least 16.

    A sweep is CPU-bound, so workers beyond the cores add no speed, only memory (each imports
    numpy, scipy, pandas and Mesa: about 150 MB) and load; 4 per core still allows generous
    oversubscription, and 16 lets a small machine try it. ``--workers 100000`` once started
    hundreds of processes and made the machine unusable."""
    return max(MIN_WORKER_CAP, WORKERS_PER_CORE * cores())


def check_workers(workers: int | None) -> None:
    """Refuse a negative worker count or one above :func:`max_workers` (exit code 2)."""
    cap = max_workers()
    if workers is not None and not 0 <= workers <= cap:
        raise ParameterError(
            [
                f"--workers: value {workers} is not allowed; allowed: an integer >= 0 and <= {cap} "
                f"({WORKERS_PER_CORE} per core on this machine's {cores()} cores, at least "
                f"{MIN_WORKER_CAP}; more only adds memory and load)"
            ]
        )


@contextlib.contextmanager
def open_executor(
    workers: int | None = None, scheduler: str | None = None
) -> Iterator[tuple[Executor, int, str]]:
    """Yield (executor, number of workers, description); shut it down afterwards.

    ``scheduler`` (``tcp://host:port``) selects Dask; ``workers = 0`` runs inline; otherwise a
    process pool with ``workers`` processes (default: :func:`cores`).
    """
    if scheduler is not None:
        from distributed import Client

        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except Exception as err:  # OSError, TimeoutError, ValueError for a bad address
            raise SchedulerError(
                [
                    f"--scheduler {scheduler!r}: cannot connect ({type(err).__name__}: {err}); "
                    "allowed: the address of a running Dask scheduler, e.g. tcp://host:8786"
                ]
            ) from None
        with _one_line_logs("distributed"), client:  # its closing logs too
            n = max(
                1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
            )
            yield _scheduler_executor(client), n, f"Dask scheduler {scheduler} ({n} threads)"
        return
    check_workers(workers)
    if workers == 0:
        yield InlineExecutor(), 1, "in this process"
        return
    n = workers or cores()
    # forkserver: workers start clean (no copied locks or threads) and import the package once.
    context = multiprocessing.get_context("forkserver")
    # Each worker's models share the cores with the other workers' (coprod_sim.parallel).
    threads = max(1, cores() // n)
    with ProcessPoolExecutor(
        max_workers=n,
        mp_context=context,
        initializer=_start_worker,
        initargs=(threads, os.getpid()),
    ) as pool:
        # Start every worker and import the model there now, so that start-up does not count
        # against the sweep's rate and ETA.
        for future in [pool.submit(_warm_up) for _ in range(n)]:
            future.result()
        yield pool, n, f"a pool of {n} processes"


CLIENT_GONE = frozenset({"closing", "closed", "failed"})
"""Statuses of a Dask client that will not run another task: it gave up on its scheduler."""


def _scheduler_executor(client: Any) -> Executor:
    """``client``'s executor, which can also tell that the client gave up (:func:`gone`).

    A batch submitted while the client was reconnecting to a lost scheduler is neither
    cancelled nor failed when the client then gives up and closes: its future stays pending
    for ever, and a sweep waiting on it hung instead of saying how to resume (seen in CI:
    `distributed.Client._reconnect` cancels only the futures it already had)."""
    from distributed.cfexecutor import ClientExecutor

    class SchedulerExecutor(ClientExecutor):
        def gone(self) -> BaseException | None:
            status = str(getattr(client, "status", "running"))
            if status not in CLIENT_GONE:
                return None
            return CancelledError(f"the Dask client lost its scheduler and is {status}")

    return SchedulerExecutor(client, pure=False)


def gone(executor: Executor) -> BaseException | None:
    """Why ``executor`` will never finish the batches it holds, or None while it can.

    A process pool says so through its futures (they fail with ``BrokenProcessPool``); only a
    Dask client can silently stop (:func:`_scheduler_executor`)."""
    check = getattr(executor, "gone", None)
    return check() if check is not None else None


def lost_work() -> tuple[type[BaseException], ...]:
    """The errors of a future whose batch the executor lost: a pool broken by a dead worker,
    a batch cancelled with a lost Dask scheduler, Dask workers that kept dying. (A run's own
    failure is no error of the future: :func:`evaluate.evaluate_batch` records it in its row.)
    """
    errors: list[type[BaseException]] = [BrokenExecutor, CancelledError]
    distributed = sys.modules.get("distributed")  # only a Dask sweep imports it
    if distributed is not None:
        errors += [distributed.KilledWorker, distributed.comm.CommClosedError]
    return tuple(errors)


class _OneLine(logging.Filter):
    """Log records without their traceback: the exception's type and text end the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            err = record.exc_info[1]
            why = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            record.msg = f"{record.getMessage()} ({why})".lstrip()
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


@contextlib.contextmanager
def _one_line_logs(prefix: str) -> Iterator[None]:
    """Keep the handlers of the ``prefix`` loggers to one line per record for the block.

    A lost Dask scheduler made the client log a 60-line traceback of its internals before
    the sweep could say what happened and how to resume."""
    loggers = [logging.getLogger(prefix)] + [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(f"{prefix}.")
    ]
    handlers = {handler for logger in loggers for handler in logger.handlers}
    one_line = _OneLine()
    for handler in handlers:
        handler.addFilter(one_line)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(one_line)


WATCH_SECONDS = 1.0
"""How often a worker without a parent sentinel checks that its sweep still runs."""
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _start_worker(threads: int, sweep_pid: int) -> None:
    """Initializer of every worker process: its thread budget, and death with its sweep."""
    _limit_threads(threads)
    _die_with_sweep(sweep_pid)


def _die_with_sweep(sweep_pid: int) -> None:
    """Make this worker end when its sweep ends, however it ends (SIGKILL included).

    A killed sweep cannot shut its pool down, and its idle workers wait on their task queue
    for ever; the forkserver that forked them waits for them in turn (each holds its "alive"
    pipe), so hundreds once outlived a killed sweep. A watchdog thread waits on the sweep's
    end of a pipe (multiprocessing's parent sentinel: it reads end-of-file the moment the
    sweep dies, even before it is reaped) and ends the worker; without a sentinel it polls
    the sweep's pid. On Linux the kernel also kills the worker if the forkserver, its actual
    parent, dies (``PR_SET_PDEATHSIG``). Workers hold no results of their own (the sweep
    writes the store), so ending at once loses nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    threading.Thread(
        target=_watch_sweep, args=(sweep_pid,), name="coprod-watchdog", daemon=True
    ).start()


def _watch_sweep(sweep_pid: int) -> None:
    sweep = multiprocessing.parent_process()
    if sweep is not None and sweep.pid == sweep_pid:
        sweep.join()  # returns when the sweep's end of the sentinel pipe closes
    else:
        while _running(sweep_pid):
            time.sleep(WATCH_SECONDS)
    os._exit(1)  # no clean-up to do: the sweep that would read the results is gone


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or the pid reused by another user
        return False
    return True


def _limit_threads(threads: int) -> None:
    """Cap a worker's threads per model (a lower ``COPROD_THREADS`` of the user's stays)."""
    own = os.environ.get("COPROD_THREADS", "").strip()
    if own.isdigit() and 0 < int(own) < threads:
        return
    os.environ["COPROD_THREADS"] = str(threads)


def _warm_up() -> None:
    from .. import model  # noqa: F401  (the import is the point)
