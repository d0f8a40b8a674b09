"""What `coprod` prints: whole names in a pipe, `params --format csv|json`, tidy --help pages."""

from __future__ import annotations

import io
import itertools
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from coprod_sim import params
from coprod_sim.cli import app

runner = CliRunner()
COMMANDS = [name for name in (c.name for c in app.registered_commands) if name]


def test_params_to_a_pipe_shows_every_name_whole() -> None:
    # A real pipe: Rich used to lay the table out for 80 columns there and cut the names.
    done = subprocess.run(
        [sys.executable, "-m", "coprod_sim", "params"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb"},
        timeout=120,
    )
    words = set(re.findall(r"[a-z0-9_]+", done.stdout))
    missing = [spec.name for spec in params.PARAMETERS if spec.name not in words]
    assert not missing, missing
    assert "…" not in done.stdout


def test_params_csv_has_one_row_per_parameter() -> None:
    result = runner.invoke(app, ["params", "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame["name"]) == [spec.name for g in params.GROUPS for spec in params.by_group(g)]
    assert list(frame.columns) == [
        "name",
        "group",
        "default",
        "low",
        "high",
        "allowed",
        "unit",
        "help",
    ]
    staff = frame.set_index("name").loc["staff_feedback"]
    assert (staff["group"], staff["low"], staff["high"]) == ("levers", 0.0, 1.0)


def test_params_json_keeps_the_types_and_filters_by_group() -> None:
    result = runner.invoke(app, ["params", "--format", "json", "--group", "levers"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == [s.name for s in params.by_group("levers")]
    first = params.by_group("levers")[0]
    assert records[0]["default"] == first.default
    assert records[0]["allowed"] == first.allowed


def test_params_refuses_an_unknown_format() -> None:
    result = runner.invoke(app, ["params", "--format", "xml"])
    assert result.exit_code == 2
    assert "xml" in result.output and "csv" in result.output


def _broken_sentences(page: str) -> list[str]:
    """Lines that end inside a sentence while the next line goes on with it."""
    # Panel edges (with their titles, "╭─ Options ─╮") are not text.
    lines = [line.strip(" │") for line in page.splitlines() if not line.startswith(("╭", "╰"))]
    lines = [line for line in lines if line]
    return [
        f"{a!r} / {b!r}"
        for a, b in itertools.pairwise(lines)
        if re.search(r"[A-Za-z,]$", a) and re.match(r"[a-z]", b)
    ]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_has_no_hard_line_breaks_and_no_bool_type(command: str | None) -> None:
    # 400 columns: Rich wraps nothing, so any break left is a hard one from a docstring.
    args = ["--help"] if command is None else [command, "--help"]
    result = runner.invoke(app, args, env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert not _broken_sentences(result.output)


def test_flags_are_listed_without_a_value() -> None:
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "400"})
    assert re.search(r"--force\s+Replace", result.output), result.output


def test_version_alone_prints_the_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("coprod-sim ")
