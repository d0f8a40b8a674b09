"""scripts/setup.sh reuses .venv when run again, whichever extras, until pyproject.toml changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A stand-in for .venv/bin/python: it answers the version check and logs every pip install.
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$*" >> "$(dirname "$0")/../pip.log"; fi
exit 0
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def _setup(project: Path, *extras: str) -> None:
    subprocess.run(
        ["bash", "scripts/setup.sh", *extras], cwd=project, check=True, capture_output=True
    )


def _installs(project: Path) -> list[str]:
    log = project / ".venv" / "pip.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if "-e" in line.split()]


def test_alternating_start_and_ci_installs_once(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for extras in (("test",), (), ("test",), (), ("test",)):
        _setup(project, *extras)
    assert _installs(project) == ["-m pip install --quiet -e .[test]"]


def test_start_first_then_ci_installs_the_test_extras_once(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for extras in ((), ("test",), (), ("test",)):
        _setup(project, *extras)
    assert _installs(project) == [
        "-m pip install --quiet -e .",
        "-m pip install --quiet -e .[test]",
    ]


def test_a_changed_pyproject_reinstalls(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _setup(project, "test")
    (project / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    _setup(project)
    _setup(project, "test")
    assert len(_installs(project)) == 3
