"""Independent parts of a step on several threads, with the same results to the bit.

numpy and scipy release the GIL inside their loops, so parts of a step that touch different
arrays (the self-efficacy and the trust of every citizen, say) can run at the same time on a
machine with several cores. Each part performs the same operations in the same order as it
would alone, so results do not depend on the number of threads.

Threads are used only for large models (from :data:`PARALLEL_MIN_CITIZENS`): below that,
handing work to a thread costs more than it saves. ``COPROD_THREADS`` caps the threads, e.g.
``COPROD_THREADS=1`` when a sweep already runs one model per core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

PARALLEL_MIN_CITIZENS = 25_000
"""Citizens from which :func:`concurrently` uses threads."""


def threads() -> int:
    """Threads a model may use: ``$COPROD_THREADS``, else the usable cores (at most 4)."""
    env = os.environ.get("COPROD_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, cores()))


def cores() -> int:
    """CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process's thread pool (one per process: a pool inherited through ``fork`` has no
    threads behind it). Models in several threads (dashboard sessions) share it."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            workers = max(3, threads() - 1)
            _pool = (os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix="coprod"))
        return _pool[1]


def concurrently(n_citizens: int, *tasks: Callable[[], Any]) -> list[Any]:
    """Run ``tasks`` (which must not write what another reads or writes) and return their
    results in order: on threads for a large model, else one after the other."""
    if len(tasks) < 2 or n_citizens < PARALLEL_MIN_CITIZENS or threads() < 2:
        return [task() for task in tasks]
    futures = [executor().submit(task) for task in tasks[1:]]
    try:
        first = tasks[0]()
    finally:
        wait(futures)  # never leave a task running on the state, whatever fails
    # The first task's error (above) comes first, then the others' in order.
    return [first, *(future.result() for future in futures)]
