"""Running a sweep: batches of runs to an executor, results to the store as they come.

At most a few batches per worker are in flight and finished rows are flushed to the store in
parts, so memory stays flat however many runs the sweep has.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import design, executors
from .evaluate import Task, evaluate_batch
from .executors import open_executor
from .spec import Experiment
from .store import Store

FLUSH_SECONDS = 30.0  # a part is written at least this often while runs finish


def flush_rows(todo: int) -> int:
    """Rows per part: about 20 parts per sweep, between 8 and 256 rows each (small parts lose
    little when a sweep is killed; large ones keep the dataset's file count down)."""
    return max(8, min(256, todo // 20))


@dataclass
class Summary:
    total: int  # runs in the design
    skipped: int  # already done (resumed)
    done: int  # finished in this call
    failed: int  # of those, recorded with an error
    seconds: float
    executor: str
    repairs: tuple[str, ...] = ()  # what resuming repaired in the store (parts set aside)
    restarts: tuple[str, ...] = ()  # executors restarted after a failure, and why

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else float("nan")


def batch_size(todo: int, workers: int) -> int:
    """Rows per task: a few tasks per worker for balance, at most 16 rows for steady progress."""
    return max(1, min(16, todo // (4 * workers) or 1))


def _tasks(ex: Experiment, todo: pd.DataFrame, size: int) -> Iterator[Task]:
    axes = tuple(a.name for a in ex.axes)
    for start in range(0, len(todo), size):
        rows = tuple(todo.iloc[start : start + size].to_dict("records"))
        yield Task(ex.scenario, ex.outputs, ex.shock_start, axes, rows, ex.timeseries)


class SweepLost(Exception):
    """The executor stopped running the sweep's batches (a pool that broke again after its
    restart, a lost Dask scheduler). Every run finished until then is stored, so
    ``--resume`` finishes the sweep: ``stored`` of ``total`` runs are in the folder."""

    def __init__(self, what: str, cause: BaseException, stored: int, total: int) -> None:
        self.what, self.cause, self.stored, self.total = what, cause, stored, total
        super().__init__(f"{what} ({describe_error(cause)}); {stored} of {total} runs are stored")


def describe_error(err: BaseException) -> str:
    """``Type: first line of the message`` (the type alone for an empty message)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


CHECK_SECONDS = 1.0
"""How often a sweep waiting on its batches checks that its executor can still finish them."""


def _abandon(executor: Executor, inflight: Iterable[Future]) -> BaseException | None:
    """Cancel the batches of an executor that will never finish them; why, or None.

    Cancelled, they count as lost work: the sweep keeps what finished and says how to resume
    (:func:`executors.gone`)."""
    why = executors.gone(executor)
    if why is not None:
        for future in inflight:
            future.cancel()
    return why


def _settle(executor: Executor, inflight: list[Future]) -> list[Future]:
    """``inflight``, once each batch has finished, failed or been abandoned (:func:`_abandon`).

    Not ``wait(inflight)``: a future cancelled by the sweep counts as done for ``wait`` only
    once its executor notices, and an executor that is gone never does."""
    pending = [future for future in inflight if not future.done()]
    while pending:
        wait(pending, timeout=CHECK_SECONDS)
        _abandon(executor, pending)
        pending = [future for future in pending if not future.done()]
    return inflight


def _runs_in(tasks: Iterable[Task]) -> int:
    return sum(len(task.rows) for task in tasks)


def run(
    ex: Experiment,
    folder: str | os.PathLike,
    *,
    source: str,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> Summary:
    """Run (or resume) the sweep of ``ex`` into ``folder``.

    ``on_progress(done, failed, todo)`` is called as results arrive, ``on_notice(text)``
    when the sweep recovers from a failure. A local pool that loses a worker (killed, out of
    memory) is restarted once and its lost batches run again; if it breaks again, or a Dask
    cluster loses the batches, :class:`SweepLost` is raised after the finished runs are
    stored.
    """
    folder = Path(folder)
    planned = design.runs(ex)
    repairs: tuple[str, ...] = ()
    if resume and Store.never_started(folder):
        # Killed before its manifest (while the workers started, say): nothing to keep.
        Store.clear_setup(folder)
        resume, repairs = False, ("no run was stored yet: the sweep starts afresh",)
    if resume:
        store = Store.reopen(folder, ex)
        done_before = store.done_ids()
        repairs = tuple(store.repairs)
    else:
        Store.check_new(folder)
        done_before = set()
    todo = planned[~planned["run_id"].isin(done_before)]
    done = failed = 0
    restarts: list[str] = []
    if on_progress:
        on_progress(0, 0, len(todo))
    if todo.empty:  # a finished sweep: nothing to start workers for
        return Summary(len(planned), len(done_before), 0, 0, 0.0, "nothing left to run", repairs)
    # A pool can be restarted (the stack closes the broken one); a Dask cluster is the
    # user's to restart.
    restartable = scheduler is None and workers != 0
    with contextlib.ExitStack() as stack:
        # The executor first: a scheduler that cannot be reached leaves no folder behind.
        executor, n_workers, description = stack.enter_context(open_executor(workers, scheduler))
        if not resume:
            store = Store.create(folder, ex, planned, source)
        started = time.perf_counter()
        tasks = _tasks(ex, todo, batch_size(len(todo), n_workers))
        inflight: dict[Future, Task] = {}
        again: deque[Task] = deque()  # batches an executor lost, to run first
        buffer: list[dict] = []
        series: list[pd.DataFrame] = []
        last_flush = time.perf_counter()
        part_rows = flush_rows(len(todo))
        lost_work = executors.lost_work()

        def flush() -> None:
            nonlocal buffer, series, last_flush
            store.write(buffer, pd.concat(series, ignore_index=True) if series else None)
            buffer, series, last_flush = [], [], time.perf_counter()

        def submit() -> BaseException | None:
            """Keep a few batches per worker in flight; the error if the executor is broken."""
            while len(inflight) < 2 * n_workers:
                task = again.popleft() if again else next(tasks, None)
                if task is None:
                    return None
                try:
                    inflight[executor.submit(evaluate_batch, task)] = task
                except lost_work as err:  # broken before this batch went in
                    again.appendleft(task)
                    return err
            return None

        def collect(futures: Iterable[Future]) -> BaseException | None:
            """Take in finished batches; put lost ones back for a rerun; the first loss."""
            nonlocal done, failed
            loss = None
            for future in futures:
                task = inflight.pop(future)
                try:
                    rows, frame = future.result()
                except lost_work as err:
                    again.append(task)
                    loss = loss or err
                    continue
                buffer.extend(rows)
                if frame is not None:
                    series.append(frame)
                done += len(rows)
                failed += sum(r["error"] is not None for r in rows)
            return loss

        try:
            while True:
                loss = submit()
                if loss is None:
                    if not inflight:
                        break
                    finished, _ = wait(inflight, timeout=CHECK_SECONDS, return_when=FIRST_COMPLETED)
                    loss = collect(finished) or _abandon(executor, inflight)
                if loss is not None:
                    # A broken executor fails every batch in it at once; some may have
                    # finished just before. Keep those, then restart once or give up.
                    collect(_settle(executor, list(inflight)))
                    flush()
                    if not restartable or restarts:
                        what = (
                            "the process pool broke again after its restart"
                            if restartable
                            else f"the {description} lost the runs in flight (is it running?)"
                        )
                        raise SweepLost(what, loss, len(done_before) + done, len(planned))
                    restarts.append(
                        f"The sweep lost a worker process of {description} "
                        f"({describe_error(loss)}); restarted the pool, running its "
                        f"{_runs_in(again):,} unfinished runs again"
                    )
                    if on_notice:
                        on_notice(restarts[-1])
                    stack.close()  # the broken pool
                    executor, n_workers, description = stack.enter_context(
                        open_executor(workers, scheduler)
                    )
                if on_progress:
                    on_progress(done, failed, len(todo))
                if len(buffer) >= part_rows or time.perf_counter() - last_flush > FLUSH_SECONDS:
                    flush()
        finally:
            for future in inflight:
                future.cancel()
            flush()  # keep what finished, even when interrupted
    return Summary(
        total=len(planned),
        skipped=len(done_before),
        done=done,
        failed=failed,
        seconds=time.perf_counter() - started,
        executor=description,
        repairs=repairs,
        restarts=tuple(restarts),
    )
