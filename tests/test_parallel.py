"""coprod_sim.parallel: independent parts of a step on threads, failing cleanly."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from coprod_sim import parallel
from coprod_sim.submodels._common import logistic


@pytest.fixture
def threads_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPROD_THREADS", "2")


def test_small_models_run_the_parts_in_order_on_this_thread() -> None:
    seen = []
    results = parallel.concurrently(
        100, lambda: seen.append(threading.current_thread()) or 1, lambda: 2
    )
    assert results == [1, 2]
    assert seen == [threading.main_thread()]


def test_large_models_use_another_thread_and_keep_the_order(threads_on) -> None:
    names = parallel.concurrently(
        10**6, lambda: threading.current_thread().name, lambda: threading.current_thread().name
    )
    assert names[0] == threading.main_thread().name
    assert names[1].startswith("coprod")


def test_a_failing_part_waits_for_the_others_and_raises_its_own_error(threads_on) -> None:
    finished = []

    def slow() -> None:
        time.sleep(0.2)
        finished.append(True)

    def bad_first() -> None:
        raise ValueError("first")

    with pytest.raises(ValueError, match="first"):
        parallel.concurrently(10**6, bad_first, slow)
    assert finished == [True]  # nothing is left running on the state

    def bad_other() -> None:
        time.sleep(0.05)
        raise KeyError("other")

    def slower() -> None:
        time.sleep(0.4)
        finished.append("slower")

    with pytest.raises(KeyError, match="other"):
        parallel.concurrently(10**6, lambda: None, bad_other, slower)
    assert finished == [True, "slower"]  # it waited for the slower part before raising


def test_threads_follow_the_environment_and_the_cores(monkeypatch) -> None:
    monkeypatch.setenv("COPROD_THREADS", "3")
    assert parallel.threads() == 3
    monkeypatch.setenv("COPROD_THREADS", "0")
    assert parallel.threads() == max(1, min(4, parallel.cores()))
    monkeypatch.delattr("os.sched_getaffinity", raising=False)  # macOS, Windows
    assert parallel.cores() >= 1


def test_logistic_is_the_same_function_for_arrays_and_scalars() -> None:
    z = np.linspace(-30.0, 30.0, 1001)
    expected = 0.5 * (1.0 + np.tanh(0.5 * z))
    assert (logistic(z).view(np.uint64) == expected.view(np.uint64)).all()
    assert logistic(0.0) == 0.5
    assert logistic(2.0) == 0.5 * (1.0 + np.tanh(1.0))
