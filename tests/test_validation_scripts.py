"""The calibration and sensitivity scripts refuse bad input with one line and exit code 2,
before running anything (experiments/validation/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "experiments" / "validation"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--workers", "-2"], "--workers: value -2 is not allowed"),
        (["--workers", "1", "--scheduler", "tcp://x:1"], "both given"),
        (["--experiment", "no_such_experiment"], "no_such_experiment"),
    ],
)
@pytest.mark.parametrize("script", ["calibrate.py", "refine.py", "sensitivity.py"])
def test_bad_options_exit_2(script: str, args: list[str], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_experiment_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (SCRIPTS / "sensitivity.toml")
        .read_text()
        .replace(
            "interest_decay = { low = 0.1, high = 0.25 }",
            "interest_decay = { low = 0.1, high = 2.5 }",
        )
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "sensitivity.py"), "--experiment", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "interest_decay" in result.stderr and "2.5" in result.stderr
    assert "Traceback" not in result.stderr
