"""A run with ``--set`` changes says so in its title, question and headline."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
from typer.testing import CliRunner

from coprod_sim import runs, scenario_files
from coprod_sim.cli import app

runner = CliRunner()
SMALL = ["--set", "n_citizens=150", "--steps", "6"]  # cheap; also part of the title
CHANGED = "staff training = 0.8, n citizens = 150 and steps = 6"


@pytest.fixture(scope="module")
def changed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("titles") / "training"
    args = ["run", "baseline", "--set", "staff_training=0.8", *SMALL, "--out", str(out)]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_describe_changes_uses_the_schema_labels():
    assert runs.describe_changes({"staff_training": 0.8}) == "staff training = 0.8"
    assert runs.describe_changes({"scandal": True, "steps": 60}) == "scandal = true and steps = 60"


def test_report_title_question_and_headline_name_the_change(changed_run):
    out, _ = changed_run
    html = (out / "report.html").read_text()
    baseline = scenario_files.load("baseline")
    assert f"<h1>{baseline.title}, with {CHANGED}</h1>" in html
    assert f"<h1>{baseline.title}</h1>" not in html
    assert f"What changes with {CHANGED}?" in html  # the question is not the preset's alone
    assert f"With {CHANGED} set for this run, at month 6" in html


def test_terminal_summary_is_titled_with_the_change(changed_run):
    _, output = changed_run
    assert f"with {CHANGED}: final values" in " ".join(output.split())


def test_resolved_scenario_keeps_the_title_and_reproduces_the_run(changed_run, tmp_path):
    out, _ = changed_run
    with (out / "scenario.resolved.toml").open("rb") as handle:
        doc = tomllib.load(handle)
    assert doc["title"].endswith(f", with {CHANGED}")
    assert doc["parameters"]["staff_training"] == 0.8
    assert doc["provenance"]["changes"]["staff_training"] == 0.8
    again = tmp_path / "again"
    result = runner.invoke(app, ["run", str(out / "scenario.resolved.toml"), "--out", str(again)])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "timeseries.parquet"), pd.read_parquet(again / "timeseries.parquet")
    )
    assert f"with {CHANGED}</h1>" in (again / "report.html").read_text()


def test_coprod_report_keeps_the_changed_title_and_headline(changed_run, tmp_path):
    out, _ = changed_run
    (out / "report.html").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert f"with {CHANGED}</h1>" in html
    assert f"With {CHANGED} set for this run" in html


def test_compare_with_set_names_the_change(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", "baseline", "community_development", "--set", "staff_training=0.8", *SMALL]
    result = runner.invoke(app, [*args, "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"Final values and differences, with {CHANGED}" in " ".join(result.output.split())
    html = (out / "report.html").read_text()
    assert html.count(f", with {CHANGED}</h3>") == 2  # each scenario's own heading
    assert f"baseline: with {CHANGED} set for this run, at month 6" in html


def test_a_run_without_changes_keeps_the_scenario_title(tmp_path):
    (tmp_path / "small.toml").write_text(
        'title = "Small"\nquestion = "Q?"\n[parameters]\nn_citizens = 150\nsteps = 3\n'
    )
    out = tmp_path / "plain"
    result = runner.invoke(app, ["run", str(tmp_path / "small.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "<h1>Small</h1>" in html and "Q?" in html
    assert "set for this run" not in html
