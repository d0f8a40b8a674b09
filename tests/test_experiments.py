"""Experiments: designs, seeds, executors (inline, processes, a real Dask cluster), the store,
kill and resume, failure isolation, and bad experiment files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.experiments import design, spec, store, sweep
from tests.dask_cluster import Cluster, free_port
from tests.processes import end_group, running_group, start_group

runner = CliRunner()
BIN = Path(sys.executable).parent

SMALL = """
title = "Small"
question = "Test?"
scenario = "baseline"
sampler = "{sampler}"
samples = {samples}
replications = {replications}
steps = {steps}
seed = 11
[parameters]
n_citizens = 150
[axes]
{axes}
[[outputs]]
metric = "participation_any"
stat = "final"
[[outputs]]
metric = "willingness"
stat = "mean_last"
last = 4
"""
RANGES = """staff_feedback = { low = 0.0, high = 1.0 }
low_self_efficacy = { low = 0.1, high = 0.9 }
mean_degree = { low = 4, high = 12 }"""


def _experiment(
    tmp_path,
    name="ex.toml",
    *,
    sampler="lhs",
    samples=5,
    replications=2,
    steps=6,
    axes=RANGES,
    extra="",
):
    path = tmp_path / name
    path.write_text(
        SMALL.format(
            sampler=sampler, samples=samples, replications=replications, steps=steps, axes=axes
        )
        + extra
    )
    return path


# ------------------------------------------------------------------------------ designs


def test_grid_is_the_full_factorial(tmp_path):
    axes = (
        'staff_feedback = [0.0, 0.5, 1.0]\nnetwork_kind = ["small_world", "random"]\n'
        "low_self_efficacy = { low = 0.2, high = 0.8, levels = 4 }"
    )
    ex = spec.load(_experiment(tmp_path, sampler="grid", axes=axes))
    pts = design.points(ex)
    assert len(pts) == 3 * 2 * 4 == spec.n_points(ex)
    assert len(pts.drop_duplicates()) == len(pts)
    assert sorted(pts["low_self_efficacy"].unique()) == pytest.approx([0.2, 0.4, 0.6, 0.8])


def test_lhs_puts_one_point_in_each_stratum(tmp_path):
    ex = spec.load(_experiment(tmp_path, sampler="lhs", samples=20))
    pts = design.points(ex)
    assert len(pts) == 20
    strata = np.floor((pts["staff_feedback"] - 0.0) / (1.0 / 20)).astype(int)
    assert sorted(strata) == list(range(20))
    assert pts["mean_degree"].between(4, 12).all()
    assert pd.api.types.is_integer_dtype(pts["mean_degree"]) is False  # mean_degree is a float


def test_sobol_design_has_saltelli_size_and_stays_in_bounds(tmp_path):
    ex = spec.load(_experiment(tmp_path, sampler="sobol", samples=8))
    pts = design.points(ex)
    assert len(pts) == 8 * (2 * 3 + 2) == spec.n_points(ex)
    assert pts["staff_feedback"].between(0, 1).all()
    assert pts["low_self_efficacy"].between(0.1, 0.9).all()


def test_morris_design_has_trajectories_on_the_level_grid(tmp_path):
    ex = spec.load(_experiment(tmp_path, sampler="morris", samples=6, extra=""))
    pts = design.points(ex)
    assert len(pts) == 6 * (3 + 1)
    levels = np.linspace(0.0, 1.0, ex.levels)
    assert np.isin(pts["staff_feedback"].round(9), levels.round(9)).all()


def test_run_seeds_are_seedsequence_children_keyed_by_run_id(tmp_path):
    ex = spec.load(_experiment(tmp_path, samples=4, replications=3))
    runs = design.runs(ex)
    assert len(runs) == 12 and runs["run_id"].tolist() == list(range(12))
    children = np.random.SeedSequence(ex.seed).spawn(12)
    expected = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    assert runs["seed"].tolist() == expected
    assert runs.groupby("point")["replicate"].apply(list).tolist() == [[0, 1, 2]] * 4


# ------------------------------------------------------------------------------ executors


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An inline sweep: the table every executor must reproduce."""
    folder = tmp_path_factory.mktemp("ref")
    path = _experiment(folder)
    ex = spec.load(path)
    summary = sweep.run(ex, folder / "out", source=path.read_text(), workers=0)
    assert summary.done == 10 and summary.failed == 0
    return path, store.read_runs(folder / "out")


def test_the_store_holds_every_run_once_with_outputs(reference):
    _, runs = reference
    assert runs["run_id"].tolist() == list(range(10))
    assert {"participation_any_final", "willingness_mean_last4", "error"} <= set(runs.columns)
    assert runs["error"].isna().all()
    assert runs["participation_any_final"].between(0, 1).all()


def test_process_pool_gives_the_identical_table(reference, tmp_path):
    path, expected = reference
    summary = sweep.run(spec.load(path), tmp_path / "p", source="", workers=2)
    assert summary.done == 10
    pd.testing.assert_frame_equal(store.read_runs(tmp_path / "p"), expected)


@pytest.mark.slow
def test_a_real_dask_cluster_gives_the_identical_table(reference, tmp_path):
    path, expected = reference
    cluster = Cluster(workers=2, threads=1)
    # Each in a process group of its own, ended as a whole: the worker command starts nannies
    # and they start the worker processes.
    with (
        running_group(cluster.scheduler, **Cluster.quiet()),
        running_group(cluster.worker, cwd=tmp_path, **Cluster.quiet()),
    ):
        summary = sweep.run(spec.load(path), tmp_path / "d", source="", scheduler=cluster.address)
        assert summary.done == 10 and "Dask" in summary.executor
        pd.testing.assert_frame_equal(store.read_runs(tmp_path / "d"), expected)


# ------------------------------------------------------------------------------ store


def test_kill_and_resume_runs_everything_exactly_once(tmp_path):
    # 32 runs on 2 workers: batches of 4 and parts of 8 rows, so the kill at the first part
    # leaves at least 16 runs (two more parts) to the resume; 30 months make each batch slow
    # enough (about half a second) that the sweep cannot finish before the kill lands.
    n_runs = 32
    path = _experiment(tmp_path, samples=n_runs // 2, replications=2, steps=30)
    out = tmp_path / "out"
    cmd = [BIN / "coprod", "sweep", str(path), "--out", str(out), "--workers", "2"]
    # Its own process group: SIGKILL to the whole group, so that the sweep's forkserver,
    # resource tracker and workers die with it instead of running on, adopted by init.
    sweep_cli = start_group(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list((out / "runs").glob("part-*.parquet")):
            time.sleep(0.05)
    finally:
        end_group(sweep_cli, signum=signal.SIGKILL)
    ex = spec.load(path)
    first = store.read_runs(out)
    assert 0 < len(first) < n_runs, "the kill should land mid-sweep"
    summary = sweep.run(ex, out, source="", resume=True, workers=0)
    assert summary.skipped == len(first) and summary.done == n_runs - len(first)
    runs = store.read_runs(out)
    assert runs["run_id"].tolist() == list(range(n_runs))  # every run, exactly once
    clean = tmp_path / "clean"
    sweep.run(ex, clean, source="", workers=0)
    pd.testing.assert_frame_equal(runs, store.read_runs(clean))


def test_resume_refuses_a_different_experiment(reference, tmp_path):
    path, _ = reference
    out = tmp_path / "out"
    sweep.run(spec.load(path), out, source="", workers=0)
    other = _experiment(tmp_path, "other.toml", samples=6)
    result = runner.invoke(app, ["sweep", str(other), "--out", str(out), "--resume"])
    assert result.exit_code == 2
    assert "different experiment" in result.output


def test_an_existing_folder_needs_resume(reference, tmp_path):
    path, _ = reference
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--resume" in result.output


def test_a_failing_parameter_set_is_recorded_and_the_others_complete(tmp_path):
    # Age shares above 1 in total are refused when the model is built: those runs fail.
    axes = "share_age_18_34 = [0.2, 0.6]\nshare_age_55_74 = [0.2, 0.35]"
    path = _experiment(tmp_path, sampler="grid", replications=1, axes=axes)
    summary = sweep.run(spec.load(path), tmp_path / "out", source="", workers=2)
    runs = store.read_runs(tmp_path / "out")
    assert summary.done == 4 and summary.failed == 1
    failed = runs[runs["error"].notna()]
    assert failed[["share_age_18_34", "share_age_55_74"]].values.tolist() == [[0.6, 0.35]]
    assert "ParameterError" in failed["error"].iloc[0]
    assert np.isnan(failed["participation_any_final"].iloc[0])
    assert runs.loc[runs["error"].isna(), "participation_any_final"].notna().all()


def test_timeseries_are_kept_when_asked(tmp_path):
    path = _experiment(tmp_path, samples=2, replications=1, extra="")
    text = path.read_text().replace("seed = 11", "seed = 11\ntimeseries = true")
    path.write_text(text)
    sweep.run(spec.load(path), tmp_path / "out", source="", workers=0)
    series = store.read_timeseries(tmp_path / "out")
    assert len(series) == 2 * 7 and series.groupby("run_id")["month"].max().tolist() == [6, 6]


def test_manifest_records_the_design_and_hash(reference, tmp_path):
    path, _ = reference
    ex = spec.load(path)
    sweep.run(ex, tmp_path / "out", source=path.read_text(), workers=0)
    manifest = store.read_manifest(tmp_path / "out")
    assert manifest["hash"] == ex.hash and manifest["n_runs"] == 10
    assert [a["name"] for a in manifest["axes"]] == [
        "staff_feedback",
        "low_self_efficacy",
        "mean_degree",
    ]
    assert (tmp_path / "out" / "experiment.toml").read_text() == path.read_text()


# ------------------------------------------------------------------------------ bad files

BAD = {
    "unknown axis": ("staff_fedback = [0.1]", {}, ["staff_fedback", "did you mean"]),
    "axis out of range": (
        "staff_feedback = { low = -1.0, high = 0.5 }",
        {},
        ["low = -1.0", "[0, 1]"],
    ),
    "sobol samples": (RANGES, {"sampler": "sobol", "samples": 6}, ["samples", "power of 2"]),
    "sampler": (RANGES, {"sampler": "halton"}, ["sampler", "'halton'", "'lhs'"]),
    "list on lhs": (
        "staff_feedback = [0.1, 0.2]\nmean_degree = [4.0]",
        {},
        ["a list of values is for the grid sampler"],
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_experiment_files_exit_2_with_the_key(tmp_path, case):
    axes, kw, expected = BAD[case]
    path = _experiment(tmp_path, axes=axes, **kw)
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "ex.toml" in result.output
    for part in expected:
        assert part in result.output, (part, result.output)
    assert not (tmp_path / "o").exists()


def test_shock_outputs_need_a_shock(tmp_path):
    path = _experiment(tmp_path, extra='[[outputs]]\nmetric = "resilience_chain"\nstat = "dip"\n')
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "needs a shock" in result.output


def test_shock_outputs_are_reduced_after_the_shock(tmp_path):
    extra = (
        '[[outputs]]\nmetric = "resilience_chain"\nstat = "dip"\n'
        '[[outputs]]\nmetric = "service_performance"\nstat = "min"\n'
    )
    path = _experiment(tmp_path, samples=2, replications=1, steps=20, extra=extra)
    text = path.read_text().replace(
        "n_citizens = 150",
        "n_citizens = 150\nunavailability_share = 0.5\n"
        "unavailability_start = 8\nunavailability_duration = 4",
    )
    path.write_text(text)
    ex = spec.load(path)
    assert ex.shock_start == 8
    sweep.run(ex, tmp_path / "out", source="", workers=0)
    runs = store.read_runs(tmp_path / "out")
    assert (runs["resilience_chain_dip"] >= 0).all()
    assert (runs["service_performance_min"] < 0.9).all()


def test_analyze_writes_its_figures(reference, tmp_path):
    path, _ = reference
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "0"]).exit_code == 0
    )
    result = runner.invoke(app, ["analyze", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "analysis.html").read_text()
    assert html.count("Plotly.newPlot(") >= 2  # response curves and heatmaps at least
    assert "Small" in html


def test_analyze_needs_a_sweep_folder(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 2 and "manifest.json" in result.output


def test_grid_levels_are_clean_numbers(tmp_path):
    axes = "staff_feedback = { low = 0.1, high = 0.9, levels = 9 }\nmean_degree = [6.0]"
    ex = spec.load(_experiment(tmp_path, sampler="grid", axes=axes))
    assert ex.axes[0].values == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def test_path_spin_up_goes_with_the_first_change():
    from coprod_sim.experiments.analysis import path_legs

    assert path_legs([0.9, 0.9, 0.7, 0.5, 0.7]) == ["down", "down", "down", "down", "up"]
    assert path_legs([0.1, 0.5, 0.9, 0.5, 0.1]) == ["up", "up", "up", "down", "down"]


def test_study_names_find_experiments_only():
    known = spec.known_experiments()
    assert all(len(paths) == 1 for paths in known.values())
    assert all("scenarios" not in p.parts for paths in known.values() for p in paths)
    assert {"vc_map", "br_sobol_all", "rc_grid", "ds_digital_austerity"} <= set(known)


def test_every_study_experiment_loads():
    for name, (path,) in spec.known_experiments().items():
        ex = spec.load(path)
        assert ex.outputs and ex.axes, name


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--workers", "-1"], ["--workers", "-1", "an integer >= 0"]),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], ["both given"]),
        (["--scheduler", "not an address"], ["--scheduler", "'not an address'", "cannot connect"]),
    ],
)
def test_bad_sweep_options_exit_2_and_write_nothing(tmp_path, monkeypatch, options, expected):
    monkeypatch.setattr("coprod_sim.experiments.executors.CONNECT_TIMEOUT", "2s")
    path = _experiment(tmp_path)
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o"), *options])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for part in expected:
        assert part in result.output, (part, result.output)
    assert not (tmp_path / "o").exists()


def test_an_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("coprod_sim.experiments.executors.CONNECT_TIMEOUT", "2s")
    path = _experiment(tmp_path)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    result = runner.invoke(
        app, ["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", address]
    )
    assert result.exit_code == 2, result.output
    assert "cannot connect" in result.output and address in result.output
    assert not (tmp_path / "o").exists()


def test_analyze_a_sweep_without_finished_runs_exits_2(reference, tmp_path):
    path, _ = reference
    ex = spec.load(path)
    store.Store.create(tmp_path / "out", ex, design.runs(ex), path.read_text())
    result = runner.invoke(app, ["analyze", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no finished runs" in result.output
    assert not (tmp_path / "out" / "analysis.html").exists()


def test_process_workers_share_the_cores_between_their_models() -> None:
    """A pool of N workers caps each model's threads at cores // N (coprod_sim.parallel), so
    a sweep does not run more threads than there are cores."""
    from coprod_sim.experiments import executors

    with executors.open_executor(workers=2) as (pool, n, _):
        seen = {pool.submit(os.getenv, "COPROD_THREADS").result() for _ in range(4)}
    assert n == 2
    assert seen == {str(max(1, executors.cores() // 2))}
