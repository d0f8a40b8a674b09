"""SIGTERM and SIGHUP as Ctrl-C, and signals held over a few renames.

Light on purpose (the standard library only): the command line enters
:func:`terminate_as_interrupt` before it imports the model, so a `kill` or a closed terminal
during the seconds of start-up ends a command as Ctrl-C does, with its message and exit code
130, instead of silently (exit code -15 or -1).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

TERMINATING = (signal.SIGTERM, signal.SIGHUP)
"""The signals that unwind like Ctrl-C inside :func:`terminate_as_interrupt`."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _main_thread() -> bool:
    """Whether handlers may be set here (Python runs them on the main thread only)."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Let SIGTERM and SIGHUP unwind like Ctrl-C (KeyboardInterrupt), so that what is being
    written is cleaned up; the previous handlers are put back afterwards."""
    if not _main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in TERMINATING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is done (a few renames)."""
    if not _main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, *TERMINATING})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
