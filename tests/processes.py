"""Processes that tests start, and how they end them: every one in a process group of its own.

A test that starts a program which starts programs of its own (a sweep's forkserver, resource
tracker and workers; a Dask worker's nannies; a dashboard server) cannot end them all by
ending the program it started: killed, it leaves its children running for good, adopted by
init. Started with :func:`start_group`, the program and everything it starts share one process
group, and :func:`end_group` ends that whole group, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from typing import Any

import psutil

GRACE = 10.0
"""Seconds a group has to exit after SIGTERM before it is killed."""


def start_group(command: Sequence[str | os.PathLike[str]], **popen: Any) -> subprocess.Popen:
    """``subprocess.Popen(command, **popen)`` as the leader of a new session and process group."""
    return subprocess.Popen(command, start_new_session=True, **popen)


def group_members(pgid: int) -> list[psutil.Process]:
    """The live (not zombie) processes of process group ``pgid``."""
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
    return members


def _signal_group(pgid: int, signum: int) -> None:
    # ProcessLookupError: nobody is left in the group; that is the goal.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _wait_for_group(pgid: int, timeout: float) -> bool:
    """Whether the group emptied within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def end_group(leader: subprocess.Popen, grace: float = GRACE, signum: int = signal.SIGTERM) -> None:
    """End ``leader``'s process group: ``signum`` (SIGTERM lets programs clean up), then
    SIGKILL for whatever is still there after ``grace`` seconds; reap the leader."""
    pgid = leader.pid  # the leader of a new session: its pid is the group's id
    if leader.poll() is None or group_members(pgid):
        _signal_group(pgid, signum)
        if not _wait_for_group(pgid, grace):
            _signal_group(pgid, signal.SIGKILL)
            _wait_for_group(pgid, grace)
    with contextlib.suppress(subprocess.TimeoutExpired):
        leader.wait(timeout=grace)


@contextlib.contextmanager
def running_group(
    command: Sequence[str | os.PathLike[str]], grace: float = GRACE, **popen: Any
) -> Iterator[subprocess.Popen]:
    """A program in its own process group for the ``with`` block; the group is ended after."""
    leader = start_group(command, **popen)
    try:
        yield leader
    finally:
        end_group(leader, grace)
