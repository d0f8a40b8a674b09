"""The package as users get it: a wheel built from the repository, installed outside the checkout.

The presets, the studies' experiment files and the validation notes are package data, read
through importlib.resources; this test fails if any of them is missing from the wheel or is
looked up relative to a source checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SMALL_STUDY = "vc_hysteresis_feedback_fast"
"""The smallest study (8 runs); its scenario extends the baseline through a relative path."""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh virtualenv holding only the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COPROD_SCENARIOS")}
    # `python -m build` makes the sdist and then the wheel from the sdist, so both are checked.
    _run([sys.executable, "-m", "build", "--outdir", str(root / "dist"), str(REPO)], root, env)
    (wheel,) = (root / "dist").glob("coprod_sim-*.whl")
    # No pip of its own (ensurepip costs 15-30 s on a loaded CI machine): the test
    # environment's pip installs into it (``pip --python``).
    venv.create(root / "venv", with_pip=False)
    bin_dir = root / "venv" / "bin"
    pip = [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install"]
    _run([*pip, "-q", "--no-deps", str(wheel)], root, env)
    # The dependencies come from the test environment's site-packages: resolving a hundred
    # of them again takes minutes. A plain path in a .pth file adds the folder without
    # running its own .pth files, so the checkout's editable install stays out.
    purelib = Path(sysconfig.get_paths()["purelib"])
    (root / "venv" / "lib" / purelib.parent.name / "site-packages" / "deps.pth").write_text(
        f"{purelib}\n", encoding="utf-8"
    )
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return bin_dir, env | {"HOME": str(elsewhere), "COLUMNS": "200"}


@pytest.mark.slow
def test_the_installed_package_is_the_wheel(installed: tuple[Path, dict[str, str]]) -> None:
    bin_dir, env = installed
    code = "import coprod_sim; print(coprod_sim.__file__)"
    where = _run([str(bin_dir / "python"), "-c", code], bin_dir.parent.parent / "elsewhere", env)
    assert Path(where.strip()).is_relative_to(bin_dir.parent), where


@pytest.mark.slow
def test_presets_run_by_name_from_the_wheel(installed: tuple[Path, dict[str, str]]) -> None:
    bin_dir, env = installed
    cwd = bin_dir.parent.parent / "elsewhere"
    listing = _run([str(bin_dir / "coprod"), "scenarios"], cwd, env)
    for name in ("baseline", "pandemic", "workshop_virtuous_circle"):
        assert name in listing
    _run([str(bin_dir / "coprod"), "run", "baseline", "--steps", "3", "--out", "b"], cwd, env)
    assert (cwd / "b" / "report.html").is_file()


@pytest.mark.slow
def test_studies_sweep_by_name_from_the_wheel(installed: tuple[Path, dict[str, str]]) -> None:
    bin_dir, env = installed
    cwd = bin_dir.parent.parent / "elsewhere"
    args = [str(bin_dir / "coprod"), "sweep", SMALL_STUDY, "--workers", "0", "--out", "s"]
    _run(args, cwd, env)
    assert (cwd / "s" / "manifest.json").is_file()


@pytest.mark.slow
def test_dashboard_and_validation_notes_from_the_wheel(
    installed: tuple[Path, dict[str, str]],
) -> None:
    bin_dir, env = installed
    code = (
        "import coprod_sim.dashboard.app as A, coprod_sim.dashboard.session as SS\n"
        "from coprod_sim.validation import document as D\n"
        "print(A.presets()[SS.BASELINE].name, sorted(A.presets())[-1])\n"
        "print((D.NOTES / 'calibration.md').is_file(), (D.NOTES / 'sensitivity.md').is_file())"
    )
    out = _run([str(bin_dir / "python"), "-c", code], bin_dir.parent.parent / "elsewhere", env)
    assert out.split() == ["baseline", "workshop_virtuous_circle", "True", "True"]
