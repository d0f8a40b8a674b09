"""Executors: where the runs of a sweep are evaluated, all behind ``concurrent.futures``.

- ``inline``: in this process, one batch at a time (for debugging and small sweeps);
- ``processes``: a local process pool (default: one worker per core);
- ``dask``: a Dask distributed cluster, through ``Client(address).get_executor()``.

The results do not depend on the executor: each run's seed comes from its run id.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
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
        with client:
            n = max(
                1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
            )
            yield client.get_executor(pure=False), n, f"Dask scheduler {scheduler} ({n} threads)"
        return
    if workers == 0:
        yield InlineExecutor(), 1, "in this process"
        return
    n = workers or cores()
    # forkserver: workers start clean (no copied locks or threads) and import the package once.
    context = multiprocessing.get_context("forkserver")
    # Each worker's models share the cores with the other workers' (coprod_sim.parallel).
    threads = max(1, cores() // n)
    with ProcessPoolExecutor(
        max_workers=n, mp_context=context, initializer=_limit_threads, initargs=(threads,)
    ) as pool:
        # Start every worker and import the model there now, so that start-up does not count
        # against the sweep's rate and ETA.
        for future in [pool.submit(_warm_up) for _ in range(n)]:
            future.result()
        yield pool, n, f"a pool of {n} processes"


def _limit_threads(threads: int) -> None:
    """Cap a worker's threads per model (a lower ``COPROD_THREADS`` of the user's stays)."""
    own = os.environ.get("COPROD_THREADS", "").strip()
    if own.isdigit() and 0 < int(own) < threads:
        return
    os.environ["COPROD_THREADS"] = str(threads)


def _warm_up() -> None:
    from .. import model  # noqa: F401  (the import is the point)
