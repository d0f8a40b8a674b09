"""The suite's leftover-process check (tests/conftest.py) fails a run whose tests leave a
process running, names it and kills it; and it passes a run that ends what it starts.

Each case runs pytest on a tiny test file in a separate process, with the real conftest as a
plugin, and looks at its exit code and output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]

LEAKS_A_CHILD = """
import subprocess
from pathlib import Path

def test_leaks_a_child():
    child = subprocess.Popen(["sleep", "60"])
    Path({pid_file!r}).write_text(str(child.pid))
"""

# The shell exits at once: its sleep is adopted by init and no longer descends from the
# session, as when a test kills a sweep but not the sweep's workers.
LEAKS_AN_ORPHAN = """
import subprocess

def test_leaks_an_orphan():
    subprocess.run(["sh", "-c", "sleep 60 & echo $! > {pid_file}"], check=True)
"""

ENDS_WHAT_IT_STARTS = """
import multiprocessing
import subprocess
from concurrent.futures import ProcessPoolExecutor

def test_ends_its_child():
    child = subprocess.Popen(["sleep", "60"])
    child.kill()
    child.wait()

def test_uses_a_forkserver_pool():
    # The pool's forkserver and resource tracker live on in this process after the pool.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        assert list(pool.map(abs, [-1, -2])) == [1, 2]
"""


def _run_pytest(tmp_path: Path, source: str, *options: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_tiny.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\nleftover_grace = 0.5\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)  # the inner run is a session of its own
    # Without hypothesis's plugin, which takes seconds to import and is not needed here.
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["-p", "no:hypothesispytest"]
    return subprocess.run(
        [*command, *options, "test_tiny.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _gone(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("source", [LEAKS_A_CHILD, LEAKS_AN_ORPHAN], ids=["child", "orphan"])
def test_a_leaked_process_fails_the_run_is_named_and_killed(tmp_path: Path, source: str) -> None:
    pid_file = tmp_path / "leaked.pid"
    result = _run_pytest(tmp_path, source.format(pid_file=str(pid_file)))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed" in output  # the test itself passed: the check failed the run
    assert "processes left running" in output
    assert f"the test session: pid {pid_file.read_text().strip()}: sleep 60" in output
    assert _gone(pid_file)


def test_a_leak_in_an_xdist_worker_fails_the_run(tmp_path: Path) -> None:
    pid_file = tmp_path / "leaked.pid"
    source = LEAKS_A_CHILD.format(pid_file=str(pid_file))
    result = _run_pytest(tmp_path, source, "-n", "2")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"xdist worker gw0: pid {pid_file.read_text().strip()}: sleep 60" in output or (
        f"xdist worker gw1: pid {pid_file.read_text().strip()}: sleep 60" in output
    ), output
    assert _gone(pid_file)


def test_a_run_that_ends_what_it_starts_passes(tmp_path: Path) -> None:
    result = _run_pytest(tmp_path, ENDS_WHAT_IT_STARTS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output and "processes left running" not in output
