"""The sweep's time-left estimate does not jump when runs finish in bursts."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from rich.console import Console
from rich.progress import Progress

from coprod_sim.progress import SweepTimeRemainingColumn, finish_estimate

TOTAL = 200
# Two workers hand back batches of uneven size at uneven times (a fixed seed): 1 to 11 runs
# every 2 to 8 seconds, 6 runs per 5 s on average.
_rng = np.random.default_rng(14)
_times = np.cumsum(_rng.integers(2, 9, size=80))
BURSTS = {int(t): int(n) for t, n in zip(_times, _rng.integers(1, 12, size=80), strict=True)}


def _estimates() -> tuple[list[float], list[float]]:
    """(Rich's default estimate, ours) once a second through the bursty sweep."""
    clock = [0.0]
    progress = Progress(console=Console(file=io.StringIO()), get_time=lambda: clock[0])
    task_id = progress.add_task("runs", total=TOTAL, done=0)
    column = SweepTimeRemainingColumn()
    old, new, done = [], [], 0
    for second in range(1, 160):
        clock[0] = float(second)
        if second in BURSTS:
            done = min(TOTAL, done + BURSTS[second])
            progress.update(task_id, completed=done, done=done)
        task = progress.tasks[0]
        ours = column.seconds_left(task)
        if done >= 30 and not task.finished:  # past the first few bursts
            old.append(task.time_remaining)
            new.append(ours)
    return old, new


def _largest_jump(estimates: list[float]) -> float:
    """The largest change of the estimate from one second to the next, in seconds."""
    return max(abs(b - a) for a, b in itertools.pairwise(estimates))


def test_rich_default_jumps_and_ours_counts_down_smoothly():
    old, new = _estimates()
    assert _largest_jump(old) > 30  # the windowed rate swings with each burst
    assert _largest_jump(new) <= 6  # ours: a second passes, and a fraction of a burst
    assert _largest_jump(old) > 5 * _largest_jump(new)


def test_finish_estimate_is_the_average_rate_smoothed():
    assert finish_estimate(None, done=50, todo=150, elapsed=25.0) == 100.0
    assert finish_estimate(100.0, done=60, todo=140, elapsed=40.0, smoothing=0.5) == pytest.approx(
        100 + 0.5 * (40 + 140 * 40 / 60 - 100)
    )
    assert finish_estimate(100.0, done=60, todo=140, elapsed=40.0, smoothing=0.0) == 100.0


def test_runs_resumed_from_disk_do_not_count_as_speed():
    clock = [0.0]
    progress = Progress(console=Console(file=io.StringIO()), get_time=lambda: clock[0])
    task_id = progress.add_task("runs", total=100, done=0)
    column = SweepTimeRemainingColumn()
    progress.update(task_id, completed=90, done=0)  # 90 done before --resume
    assert column.seconds_left(progress.tasks[0]) is None
    clock[0] = 10.0
    progress.update(task_id, completed=95, done=5)
    assert column.seconds_left(progress.tasks[0]) == 10.0  # 5 left at 0.5 runs/s
    clock[0] = 14.0
    assert column.seconds_left(progress.tasks[0]) == 6.0  # counting down between bursts
    progress.update(task_id, completed=100, done=15)
    assert (
        column.seconds_left(progress.tasks[0]) == 0.0
    )  # finished: nothing left, whatever the smoothing
