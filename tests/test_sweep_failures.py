"""Sweeps whose executor fails mid-way (issue 19): a killed pool worker is survived by
restarting the pool once; a pool that breaks again, or a killed Dask scheduler, ends the
sweep with one message (what failed, how many runs are kept, the command that finishes it),
exit code 1 and no traceback, and that command's ``--resume`` completes the store as an
uninterrupted sweep would have."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.experiments import spec, store, sweep
from tests.dask_cluster import Cluster
from tests.processes import end_group, running_group, start_group

runner = CliRunner()
BIN = Path(sys.executable).parent
RUNS = 24
"""Runs of the sweep: on one pool worker, 4 batches of 6 runs with 2 in flight; on Dask's 2
threads, 12 batches of 2 with 4 in flight; parts of 8 runs. So a kill after the first batch
or part still finds batches to lose. (One worker: every pool costs a worker's imports.)"""


def _experiment(folder: Path) -> Path:
    values = ", ".join(str(i / RUNS) for i in range(RUNS // 2))
    path = folder / "ex.toml"
    path.write_text(
        'scenario = "baseline"\nsampler = "grid"\nreplications = 2\nsteps = 20\nseed = 5\n'
        f"[parameters]\nn_citizens = 150\n[axes]\nstaff_feedback = [{values}]\n"
        '[[outputs]]\nmetric = "participation_any"\nstat = "final"\n'
    )
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The experiment, and the store of its sweep run through in this process."""
    folder = tmp_path_factory.mktemp("whole")
    path = _experiment(folder)
    sweep.run(spec.load(path), folder / "out", source=path.read_text(), workers=0)
    return path, store.read_runs(folder / "out")


def _pool_workers() -> list[psutil.Process]:
    """The worker processes of this process's pools: the children of its forkserver."""
    forkservers = [
        p
        for p in psutil.Process().children()
        if "multiprocessing.forkserver" in " ".join(p.cmdline())
    ]
    return [worker for server in forkservers for worker in server.children()]


def _killing_workers(times: int) -> Callable[[int, int, int], None]:
    """An ``on_progress`` that SIGKILLs a pool worker once runs have finished, ``times``
    times (the second after the pool's restart)."""
    kills = []

    def on_progress(done: int, failed: int, todo: int) -> None:
        if done and len(kills) < times and done < todo:
            worker = _pool_workers()[0]
            os.kill(worker.pid, signal.SIGKILL)
            kills.append(worker.pid)

    return on_progress


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1].strip()


def test_killed_pool_workers_restart_the_pool_once_then_end_with_the_command_to_resume(
    uninterrupted, tmp_path, monkeypatch
):
    path, expected = uninterrupted
    real_run = sweep.run
    kills = {"times": 2}  # a worker of the first pool, then one of its replacement

    def run_killing_workers(*args, **kwargs):
        kwargs["on_progress"] = _killing_workers(kills["times"])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(sweep, "run", run_killing_workers)
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output and not isinstance(result.exception, sweep.SweepLost)
    stored = len(store.read_runs(out))
    assert 0 < stored < RUNS
    assert "The sweep lost a worker process of a pool of 1 processes (BrokenProcessPool" in (
        result.output
    )
    assert "the sweep stopped: the process pool broke again after its restart" in result.output
    assert f"{stored:,} of {RUNS} runs are finished and kept in {out}/" in result.output
    again = _last_line(result.output)
    assert again == shlex.join(
        ["coprod", "sweep", str(path), "--out", str(out), "--resume", "--workers", "1"]
    )

    kills["times"] = 1  # the pool is restarted once, and the sweep goes on
    result = runner.invoke(app, shlex.split(again)[1:])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "restarted the pool, running its" in result.output
    assert f"({stored:,} were already done)" in result.output
    pd.testing.assert_frame_equal(store.read_runs(out), expected)


def test_a_killed_dask_scheduler_ends_with_the_command_to_resume(uninterrupted, tmp_path):
    path, expected = uninterrupted
    cluster = Cluster(workers=1, threads=2, nanny=False)
    address = cluster.address
    out = tmp_path / "out"
    sweep_cmd = [BIN / "coprod", "sweep", str(path), "--out", str(out), "--scheduler", address]
    # Each in a process group of its own, ended as a whole whatever happens.
    scheduler = start_group(cluster.scheduler, **Cluster.quiet())
    try:
        with (
            running_group(cluster.worker, cwd=tmp_path, **Cluster.quiet()),
            running_group(
                sweep_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ) as swept,
        ):
            deadline = time.time() + 120
            while not list((out / "runs").glob("part-*.parquet")):
                assert swept.poll() is None and time.time() < deadline, swept.communicate()
                time.sleep(0.05)
            end_group(scheduler, signum=signal.SIGKILL)  # the scheduler alone dies
            stdout, stderr = swept.communicate(timeout=120)
    finally:
        end_group(scheduler, signum=signal.SIGKILL)
    assert swept.returncode == 1, (stdout, stderr)
    assert "Traceback" not in stderr, stderr
    stored = len(store.read_runs(out))
    assert 0 < stored < RUNS
    assert f"the sweep stopped: the Dask scheduler {address} (2 threads) lost the runs" in stderr
    assert "(CancelledError" in stderr
    assert f"{stored:,} of {RUNS} runs are finished and kept in {out}/" in stderr
    assert _last_line(stderr) == shlex.join(
        ["coprod", "sweep", str(path), "--out", str(out), "--resume", "--scheduler", address]
    )
    # The scheduler is gone: finish in this process instead.
    result = runner.invoke(
        app, ["sweep", str(path), "--out", str(out), "--resume", "--workers", "0"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    pd.testing.assert_frame_equal(store.read_runs(out), expected)
