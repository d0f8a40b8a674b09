"""Sweeps whose executor fails mid-way: a killed pool worker is survived by
restarting the pool once; a pool that breaks again, or a killed Dask scheduler, ends the
sweep with one message (what failed, how many runs are kept, the command that finishes it),
exit code 1 and no traceback, and that command's ``--resume`` completes the store as an
uninterrupted sweep would have."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.experiments import executors, spec, store, sweep
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


class _Stalling(executors.InlineExecutor):
    """Runs the first ``finish`` batches, then takes batches it never finishes, as a Dask
    client that gave up on its scheduler does (its ``gone`` says so once it stalls)."""

    def __init__(self, finish: int) -> None:
        self.finish, self.stalled = finish, []

    def submit(self, fn, /, *args, **kwargs):
        if self.finish:
            self.finish -= 1
            return super().submit(fn, *args, **kwargs)
        self.stalled.append(Future())
        return self.stalled[-1]

    def gone(self):
        return CancelledError("the client is closed") if self.stalled else None


def test_batches_a_closed_client_will_never_finish_end_the_sweep(
    uninterrupted, tmp_path, monkeypatch
):
    """Seen in CI: a batch submitted while Dask's client was reconnecting stayed pending
    after the client gave up, and the sweep waited on it for ever."""
    path, _ = uninterrupted
    stalling = _Stalling(finish=3)

    @contextlib.contextmanager
    def open_stalling(workers, scheduler):
        yield stalling, 2, "Dask scheduler tcp://127.0.0.1:1 (2 threads)"

    monkeypatch.setattr(sweep, "open_executor", open_stalling)
    monkeypatch.setattr(sweep, "CHECK_SECONDS", 0.05)
    ended: list[BaseException] = []

    def sweep_stalling() -> None:
        try:
            sweep.run(
                spec.load(path), tmp_path / "out", source=path.read_text(), scheduler="tcp://x:1"
            )
        except BaseException as err:
            ended.append(err)

    # In a thread of its own, so that the hang this test is about fails it instead of CI.
    thread = threading.Thread(target=sweep_stalling, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the sweep still waits on batches that never finish"
    assert len(ended) == 1 and isinstance(ended[0], sweep.SweepLost), ended
    lost = pytest.ExceptionInfo.from_exception(ended[0])
    assert stalling.stalled and all(f.cancelled() for f in stalling.stalled)
    assert "lost the runs in flight" in lost.value.what
    assert "CancelledError: the client is closed" in str(lost.value)
    assert lost.value.stored == len(store.read_runs(tmp_path / "out")) > 0


def test_a_dask_executor_is_gone_once_its_client_gave_up():
    class Client:
        status = "running"

    client = Client()
    executor = executors._scheduler_executor(client)
    assert executors.gone(executor) is None
    client.status = "connecting"  # it may yet reconnect
    assert executors.gone(executor) is None
    client.status = "closed"
    assert "lost its scheduler and is closed" in str(executors.gone(executor))
    assert executors.gone(executors.InlineExecutor()) is None
