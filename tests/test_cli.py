"""The ``coprod`` command end to end: run, compare, report, scenarios, params."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from coprod_sim import metrics, runs
from coprod_sim.cli import app

runner = CliRunner()
N_CITIZENS, STEPS, REPS = 200, 12, 2

SCENARIO = f"""
title = "Small test"
question = "Does the CLI work?"
sources = ["000@14357: willing 78% vs 7%"]
seed = 4
[parameters]
n_citizens = {N_CITIZENS}
steps = {STEPS}
[[shocks]]
kind = "unavailability"
start = 6
duration = 3
share = 0.3
"""
OTHER = SCENARIO.replace("Small test", "Loop closed") + (
    "[[policy_changes]]\nstart = 2\n[policy_changes.set]\nfeedback_loop_closed = 0.95\n"
)


def _figures(html: str) -> int:
    return html.count("Plotly.newPlot(")


def _offline(html: str) -> bool:
    """No script or stylesheet fetched from the network (plotly.js is inline)."""
    return not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", html)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    (folder / "small.toml").write_text(SCENARIO)
    out = folder / "out"
    result = runner.invoke(
        app, ["run", str(folder / "small.toml"), "--replications", str(REPS), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_every_output(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert names == {
        "timeseries.parquet",
        "timeseries.csv",
        "agents.parquet",
        "scenario.resolved.toml",
        "report.html",
        "final_values.csv",
    }


def test_timeseries_rows_columns_and_csv_match_parquet(run_dir):
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    assert list(ts.columns[:4]) == [*runs.KEYS, "month"]
    assert set(metrics.CANONICAL) <= set(ts.columns)
    assert len(ts) == REPS * (STEPS + 1)
    assert sorted(ts["seed"].unique()) == [4, 5]  # replication i runs on seed + i
    assert (ts["scenario"] == "small").all()
    csv = pd.read_csv(run_dir / "timeseries.csv")
    pd.testing.assert_frame_equal(csv, ts, check_dtype=False)


def test_agents_snapshot_has_one_row_per_agent_per_replication(run_dir):
    agents = pd.read_parquet(run_dir / "agents.parquet")
    per_rep = agents.groupby("replication")["role"].value_counts().unstack()
    assert (per_rep["citizen"] == N_CITIZENS).all()
    assert set(per_rep.columns) == {"citizen", "staff", "commissioner", "politician"}


def test_report_is_offline_with_six_figures_and_bands(run_dir):
    html = (run_dir / "report.html").read_text()
    assert _figures(html) == 6
    assert _offline(html)
    assert "Small test" in html and "Does the CLI work?" in html
    assert "5th to 95th percentile across replications" in html  # the band is explained


def test_resolved_scenario_reproduces_the_run_bit_for_bit(run_dir, tmp_path):
    again = tmp_path / "again"
    result = runner.invoke(
        app, ["run", str(run_dir / "scenario.resolved.toml"), "--out", str(again)]
    )
    assert result.exit_code == 0, result.output
    first = pd.read_parquet(run_dir / "timeseries.parquet")
    second = pd.read_parquet(again / "timeseries.parquet")
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(
        pd.read_parquet(run_dir / "agents.parquet"), pd.read_parquet(again / "agents.parquet")
    )


def test_set_and_steps_change_the_run(tmp_path, run_dir):
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "run",
            str(run_dir.parent / "small.toml"),
            "--steps",
            "8",
            "--seed",
            "9",
            "--set",
            "staff_training=0.9",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 9 and (ts["seed"] == 9).all()
    assert "staff_training = 0.9" in (out / "scenario.resolved.toml").read_text()


def test_compare_overlays_scenarios_on_the_same_seeds(tmp_path):
    (tmp_path / "a.toml").write_text(SCENARIO)
    (tmp_path / "b.toml").write_text(OTHER)
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(dict.fromkeys(ts["scenario"])) == ["a", "b"]
    assert len(ts) == 2 * (STEPS + 1)
    seeds = ts.groupby("scenario")["seed"].unique()
    assert list(seeds["a"]) == list(seeds["b"]) == [4]
    final = pd.read_csv(out / "final_values.csv")
    assert "b - a" in final.columns
    row = final.set_index("metric").loc["participation_co_assessment"]
    assert row["b - a"] == pytest.approx(row["b: mean"] - row["a: mean"])
    assert {p.name for p in (out / "scenarios").iterdir()} == {
        "a.resolved.toml",
        "b.resolved.toml",
    }
    html = (out / "report.html").read_text()
    assert _figures(html) == 6 and _offline(html)
    assert "Small test" in html and "Loop closed" in html


def test_report_rebuilds_from_saved_outputs(run_dir):
    (run_dir / "report.html").unlink()
    result = runner.invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    html = (run_dir / "report.html").read_text()
    assert _figures(html) == 6 and "Small test" in html


def test_report_of_a_folder_without_outputs_exits_2(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "timeseries.parquet" in result.output


def test_scenarios_lists_presets_with_titles_and_questions():
    result = runner.invoke(app, ["scenarios"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in ("baseline", "pandemic", "feedback_loop_closed", "workshop_virtuous_circle"):
        assert name in result.output
    assert "?" in result.output  # questions
    assert "invalid" not in result.output


def test_params_lists_one_group():
    result = runner.invoke(app, ["params", "--group", "levers"], terminal_width=200)
    assert result.exit_code == 0
    assert "staff_training" in result.output and "n_citizens" not in result.output


def test_help_explains_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("scenarios", "params", "run", "compare", "report"):
        assert command in result.output


def test_python_dash_m_runs_a_preset(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "coprod_sim",
            "run",
            "baseline",
            "--steps",
            "3",
            "--set",
            "n_citizens=100",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "participation_any" in done.stdout
    assert (tmp_path / "o" / "report.html").is_file()
