"""Running a sweep: batches of runs to an executor, results to the store as they come.

At most a few batches per worker are in flight and finished rows are flushed to the store in
parts, so memory stays flat however many runs the sweep has.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import design as D
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


def run(
    ex: Experiment,
    folder: str | os.PathLike,
    *,
    source: str,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> Summary:
    """Run (or resume) the sweep of ``ex`` into ``folder``.

    ``on_progress(done, failed, todo)`` is called as results arrive.
    """
    folder = Path(folder)
    design = D.runs(ex)
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
    todo = design[~design["run_id"].isin(done_before)]
    done = failed = 0
    if on_progress:
        on_progress(0, 0, len(todo))
    if todo.empty:  # a finished sweep: nothing to start workers for
        return Summary(len(design), len(done_before), 0, 0, 0.0, "nothing left to run", repairs)
    # The executor first: a scheduler that cannot be reached leaves no folder behind.
    with open_executor(workers, scheduler) as (executor, n_workers, description):
        if not resume:
            store = Store.create(folder, ex, design, source)
        started = time.perf_counter()
        tasks = _tasks(ex, todo, batch_size(len(todo), n_workers))
        pending: set[Future] = set()
        buffer: list[dict] = []
        series: list[pd.DataFrame] = []
        last_flush = time.perf_counter()
        part_rows = flush_rows(len(todo))

        def flush() -> None:
            nonlocal buffer, series, last_flush
            store.write(buffer, pd.concat(series, ignore_index=True) if series else None)
            buffer, series, last_flush = [], [], time.perf_counter()

        try:
            while True:
                while len(pending) < 2 * n_workers:
                    task = next(tasks, None)
                    if task is None:
                        break
                    pending.add(executor.submit(evaluate_batch, task))
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    rows, frame = future.result()
                    buffer.extend(rows)
                    if frame is not None:
                        series.append(frame)
                    done += len(rows)
                    failed += sum(r["error"] is not None for r in rows)
                if on_progress:
                    on_progress(done, failed, len(todo))
                if len(buffer) >= part_rows or time.perf_counter() - last_flush > FLUSH_SECONDS:
                    flush()
        finally:
            for future in pending:
                future.cancel()
            flush()  # keep what finished, even when interrupted
    return Summary(
        total=len(design),
        skipped=len(done_before),
        done=done,
        failed=failed,
        seconds=time.perf_counter() - started,
        executor=description,
        repairs=repairs,
    )
