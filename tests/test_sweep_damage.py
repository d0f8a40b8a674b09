"""Sweeps that end badly and stores that were damaged: workers die with their
sweep, however it ends; a worker count above the cap is refused; truncated, empty and
duplicated parts and stale temporary files are named, and ``--resume`` reruns their runs."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.experiments import executors, spec, store, sweep

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
    # Children the xdist worker already has (the browser tests' dashboard server and
    # Playwright driver, when they ran first on this worker) are not the sweep's.
    before = set(psutil.Process().children())
    result = runner.invoke(
        app, ["sweep", str(path), "--workers", "100000", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output and "100000" in result.output
    assert f"<= {executors.max_workers()}" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()
    assert set(psutil.Process().children()) - before == set()  # not one process was started


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


# ------------------------------------------------------------------------------ damaged stores


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """A finished inline sweep of 24 runs in 2 parts, with time series: (experiment, folder)."""
    folder = tmp_path_factory.mktemp("whole")
    path = _experiment(folder, points=12)
    path.write_text(path.read_text().replace("seed = 5", "seed = 5\ntimeseries = true"))
    sweep.run(spec.load(path), folder / "out", source=path.read_text(), workers=0)
    assert len(list((folder / "out" / "runs").glob("part-*.parquet"))) == 2
    return path, folder / "out"


def _copy(whole, tmp_path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(whole[1], out)
    return out


def _truncate(part: Path) -> None:
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])


def _empty(part: Path) -> None:
    part.write_bytes(b"")


def _duplicate(part: Path) -> None:
    shutil.copy(part, part.with_name("part-000007.parquet"))


def _stale_partial(part: Path) -> None:
    tmp = part.with_name(".part-000003.parquet.0a1b2c3d.partial")
    tmp.write_bytes(part.read_bytes()[:100])
    os.utime(tmp, (time.time() - 3600, time.time() - 3600))  # left an hour ago


DAMAGE = {
    "truncated runs part": (_truncate, "runs", "runs/part-000001.parquet is damaged"),
    "zero-byte runs part": (_empty, "runs", "runs/part-000001.parquet is damaged"),
    "truncated time-series part": (
        _truncate,
        "timeseries",
        "timeseries/part-000001.parquet is damaged",
    ),
    "duplicated part": (
        _duplicate,
        "runs",
        "runs/part-000007.parquet repeats runs already in runs/part-000001.parquet",
    ),
    "stale temporary file": (
        _stale_partial,
        "runs",
        "runs/.part-000003.parquet.0a1b2c3d.partial is an unfinished write",
    ),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_analyze_names_the_damage_and_resume_repairs_it(whole, tmp_path, case):
    damage, sub, message = DAMAGE[case]
    out = _copy(whole, tmp_path)
    damage(out / sub / "part-000001.parquet")
    result = runner.invoke(app, ["analyze", str(out)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert message in result.output and "--resume" in result.output
    assert "Traceback" not in result.output and not (out / "analysis.html").exists()
    with pytest.raises(store.StoreError, match=re.escape(message)):
        store.read_runs(out)

    result = runner.invoke(app, ["sweep", str(whole[0]), "--out", str(out), "--resume"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Repaired" in result.output and message.split()[0] in result.output
    # Every run exactly once, as the whole sweep had it; the damaged file is kept aside.
    pd.testing.assert_frame_equal(store.read_runs(out), store.read_runs(whole[1]))
    pd.testing.assert_frame_equal(store.read_timeseries(out), store.read_timeseries(whole[1]))
    assert store.inspect(out, stale_seconds=0) == store.Damage()
    if case != "stale temporary file":
        assert list(out.glob("*/part-*.parquet.d*")), "the damaged part is set aside, not lost"


def test_an_unreadable_manifest_is_named(whole, tmp_path):
    out = _copy(whole, tmp_path)
    (out / "manifest.json").write_text("{ not json")
    result = runner.invoke(app, ["analyze", str(out)])
    assert result.exit_code == 2 and "manifest.json cannot be read" in result.output
    result = runner.invoke(app, ["sweep", str(whole[0]), "--out", str(out), "--resume"])
    assert result.exit_code == 2 and "manifest.json cannot be read" in result.output


@pytest.mark.parametrize("left", ["nothing", "setup files"])
def test_resume_of_a_sweep_killed_before_its_manifest_starts_afresh(whole, tmp_path, left):
    out = tmp_path / "out"
    if left == "setup files":  # what Store.create had written when the kill came
        (out / "runs").mkdir(parents=True)
        shutil.copy(whole[1] / "design.parquet", out / "design.parquet")
        (out / "experiment.toml").write_text("half")
    result = runner.invoke(app, ["sweep", str(whole[0]), "--out", str(out), "--resume"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "starts afresh" in result.output
    pd.testing.assert_frame_equal(store.read_runs(out), store.read_runs(whole[1]))


def test_resume_still_refuses_a_folder_that_is_not_a_sweep(whole, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = runner.invoke(app, ["sweep", str(whole[0]), "--out", str(out), "--resume"])
    assert result.exit_code == 2 and "no manifest.json" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


# ------------------------------------------------------------------------------ str paths


def _str_calls(whole, tmp: str) -> dict:
    """Every public function of the package that takes a folder or file, called with a str."""
    from coprod_sim import runs, scenario_files
    from coprod_sim.experiments import analysis

    ex, folder = spec.load(whole[0]), str(whole[1])
    fresh = f"{tmp}/new"

    def staged() -> None:
        with runs.staged_output(f"{tmp}/staged") as staging:
            (staging / "x.txt").write_text("x")

    return {
        "store.read_runs": lambda: store.read_runs(folder),
        "store.read_timeseries": lambda: store.read_timeseries(folder),
        "store.read_manifest": lambda: store.read_manifest(folder),
        "store.inspect": lambda: store.inspect(folder),
        "store.check_whole": lambda: store.check_whole(folder),
        "Store.check_new": lambda: store.Store.check_new(fresh),
        "Store.never_started": lambda: store.Store.never_started(fresh),
        "Store.create": lambda: store.Store.create(fresh, ex, pd.DataFrame({"a": [1]}), ""),
        "Store.reopen": lambda: store.Store.reopen(folder, ex),
        "sweep.run": lambda: sweep.run(ex, folder, source="", resume=True, workers=0),
        "analysis.render": lambda: analysis.render(folder),
        "analysis.level_path": lambda: analysis.level_path(folder),
        "runs.check_output": lambda: runs.check_output(f"{tmp}/out", False),
        "runs.staged_output": staged,
        "runs.write_atomic": lambda: runs.write_atomic(f"{tmp}/a.txt", "a"),
        "scenario_files.find": lambda: scenario_files.find(
            "baseline.toml", relative_to=str(scenario_files.presets_dir())
        ),
        "scenario_files.loads": lambda: scenario_files.loads(
            'extends = "baseline"', base_dir=str(scenario_files.presets_dir())
        ),
        "scenario_files.read_text": lambda: scenario_files.read_text(str(whole[0])),
        "spec.load": lambda: spec.load(str(whole[0])),
    }


CALLS = [
    "store.read_runs",
    "store.read_timeseries",
    "store.read_manifest",
    "store.inspect",
    "store.check_whole",
    "Store.check_new",
    "Store.never_started",
    "Store.create",
    "Store.reopen",
    "sweep.run",
    "analysis.render",
    "analysis.level_path",
    "runs.check_output",
    "runs.staged_output",
    "runs.write_atomic",
    "scenario_files.find",
    "scenario_files.loads",
    "scenario_files.read_text",
    "spec.load",
]


@pytest.mark.parametrize("call", CALLS)
def test_public_functions_taking_a_folder_accept_a_str(whole, tmp_path, call):
    calls = _str_calls(whole, str(tmp_path))
    assert sorted(calls) == sorted(CALLS)
    calls[call]()  # no TypeError ('str' / 'str') nor AttributeError (no .exists on a str)
