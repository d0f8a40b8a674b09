"""The sweep's time-left column for Rich progress bars (``coprod sweep``).

Runs finish in bursts (one batch per worker at a time), so Rich's own estimate, a rate over
the samples of the last 30 s, swings from burst to burst (0:23, 0:03, 0:09). Here the finish
time is estimated from the whole session's average rate, smoothed exponentially from burst
to burst, and the clock counts down between bursts.
"""

from __future__ import annotations

from rich.progress import ProgressColumn, Task
from rich.text import Text

SMOOTHING = 0.25
"""Weight of the newest estimate of the finish time at each burst (the rest: the previous
smoothed estimate). A quarter evens out a run of uneven batches within a few bursts."""


def finish_estimate(
    previous: float | None, done: int, todo: int, elapsed: float, smoothing: float = SMOOTHING
) -> float:
    """Seconds from the start at which the sweep should finish, after a burst.

    ``done`` runs finished in this session's first ``elapsed`` seconds and ``todo`` are left;
    at the average rate so far they take ``todo * elapsed / done`` seconds more. ``previous``
    is the smoothed estimate before this burst (None at the first).
    """
    newest = elapsed + todo * elapsed / done
    return newest if previous is None else previous + smoothing * (newest - previous)


class SweepTimeRemainingColumn(ProgressColumn):
    """Time left in a sweep, from the task's ``done`` field (the runs finished in this
    session: runs resumed from disk took no time here) and its elapsed time."""

    max_refresh = 0.5

    def __init__(self) -> None:
        super().__init__()
        self._finish: dict[int, tuple[int, float]] = {}  # task id -> (done, finish estimate)

    def seconds_left(self, task: Task) -> float | None:
        """The estimate for ``task`` now, or None before its first run has finished."""
        done, elapsed = int(task.fields.get("done", task.completed)), task.elapsed or 0.0
        if done <= 0 or task.total is None:
            return None
        if task.completed >= task.total:  # a smoothed finish may lag the real one: done is 0
            return 0.0
        seen, finish = self._finish.get(task.id, (0, None))
        if done != seen:
            todo = int(task.total - task.completed)
            finish = finish_estimate(finish, done, todo, elapsed)
            self._finish[task.id] = (done, finish)
        return max(0.0, finish - elapsed)

    def render(self, task: Task) -> Text:
        left = self.seconds_left(task)
        if left is None:
            return Text("-:--:--", style="progress.remaining")
        minutes, seconds = divmod(round(left), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"{hours:d}:{minutes:02d}:{seconds:02d}", style="progress.remaining")
