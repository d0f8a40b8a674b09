"""Sweeps that end badly and stores that were damaged (issue 14): workers die with their
sweep, however it ends; a worker count above the cap is refused; truncated, empty and
duplicated parts and stale temporary files are named, and ``--resume`` reruns their runs."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.experiments import executors

runner = CliRunner()
BIN = Path(sys.executable).parent


def _experiment(folder: Path, *, points: int = 4, steps: int = 6) -> Path:
    """A grid sweep of ``points`` x 2 replications of a small baseline."""
    values = ", ".join(str(round(i / max(1, points - 1), 3)) for i in range(points))
    path = folder / "ex.toml"
    path.write_text(
        f'scenario = "baseline"\nsampler = "grid"\nreplications = 2\nsteps = {steps}\n'
        f"seed = 5\n[parameters]\nn_citizens = 150\n[axes]\nstaff_feedback = [{values}]\n"
        '[[outputs]]\nmetric = "participation_any"\nstat = "final"\n'
    )
    return path


# ------------------------------------------------------------------------------ workers


def test_a_worker_count_above_the_cap_is_refused_before_any_worker_starts(tmp_path):
    path = _experiment(tmp_path)
    result = runner.invoke(
        app, ["sweep", str(path), "--workers", "100000", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output and "100000" in result.output
    assert f"<= {executors.max_workers()}" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()
    assert psutil.Process().children() == []  # not one process was started


def test_the_cap_is_four_per_core_and_at_least_16():
    assert executors.max_workers() == max(16, 4 * executors.cores())
    too_many = executors.open_executor(workers=executors.max_workers() + 1)
    with pytest.raises(executors.ParameterError, match="--workers"), too_many:
        pass


def _descendants_once_running(proc: subprocess.Popen, out: Path) -> list[psutil.Process]:
    """The sweep's processes (forkserver, workers, resource tracker) once its runs started."""
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "manifest.json").is_file():  # pool warmed up
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    kids = psutil.Process(proc.pid).children(recursive=True)
    assert len(kids) >= 3, kids  # the forkserver and two workers at least
    return kids


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for p in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
    return alive


def test_workers_die_with_a_sweep_killed_by_sigkill(tmp_path):
    path = _experiment(tmp_path, points=40, steps=400)
    out = tmp_path / "out"
    cmd = [BIN / "coprod", "sweep", str(path), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kids: list[psutil.Process] = []
    try:
        kids = _descendants_once_running(proc, out)
        proc.send_signal(signal.SIGKILL)  # no handler runs: the workers must notice
        proc.wait(timeout=30)
        deadline = time.time() + 10
        while _alive(kids) and time.time() < deadline:
            time.sleep(0.1)
        assert _alive(kids) == [], "worker processes outlived their sweep"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        for p in _alive(kids):  # never leave them behind, even when the test fails
            p.kill()
