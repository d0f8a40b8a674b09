"""The command line: the baseline summary and bad input (exit code 2, no traceback)."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.metrics import CANONICAL

runner = CliRunner()


def test_baseline_summary_lists_every_canonical_metric():
    result = runner.invoke(app, ["--steps", "4", "--n-citizens", "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    for name in CANONICAL:
        assert name in result.output
    assert "month 4" in result.output


def test_out_of_range_parameter_exits_2_naming_key_value_and_range():
    result = runner.invoke(app, ["--steps", "2", "--n-citizens", "5"])
    assert result.exit_code == 2
    assert "n_citizens" in result.output
    assert "5" in result.output
    assert "[10, 2000000]" in result.output
    assert "Traceback" not in result.output


def test_bad_option_value_exits_2():
    result = runner.invoke(app, ["--steps", "zero"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_python_dash_m_runs():
    done = subprocess.run(
        [sys.executable, "-m", "coprod_sim", "--steps", "2", "--n-citizens", "100"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "participation_any" in done.stdout
