"""The command line when things go wrong or the screen is narrow: whole
metric names in the summary, signals treated as Ctrl-C, stale staging folders removed, and
messages that name the file and the path."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from coprod_sim import cli, metrics, runs
from coprod_sim.cli import app
from tests.processes import running_group
from tests.test_sweep_damage import _experiment

runner = CliRunner()

# ------------------------------------------------------------------------------ summary table


def _timeseries(scenarios: tuple[str, ...], replications: int = 2) -> pd.DataFrame:
    """A made-up time series with every canonical metric (the summary reads only the frame)."""
    rng = np.random.default_rng(3)
    rows = [
        {"scenario": sc, "replication": r, "month": m}
        for sc in scenarios
        for r in range(replications)
        for m in range(3)
    ]
    frame = pd.DataFrame(rows)
    for name in metrics.CANONICAL:
        frame[name] = rng.random(len(frame))
    return frame


def _names_in(rendered: str) -> list[str]:
    """The metric column of a rendered summary, each name's folded pieces joined again: a
    row's first line carries its numbers, the lines that go on with a name carry none."""
    lines = rendered.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("metric"))
    after = lines[header].index("metric") + len("metric")
    width = after + len(lines[header][after:]) - len(lines[header][after:].lstrip())
    names: list[str] = []
    for line in lines[header + 2 :]:  # after the header's rule
        if not line.strip() or "=" in line:  # the end, or the caption (A = ..., B = ...)
            break
        piece, rest = line[:width].strip(), line[width:].strip()
        if rest:
            names.append(piece)
        else:
            names[-1] += piece
    return names


@pytest.mark.parametrize("scenarios", [("baseline",), ("baseline", "other_scenario")])
@pytest.mark.parametrize("where", ["pipe", "narrow terminal"])
def test_the_summary_never_cuts_a_metric_name(monkeypatch, scenarios, where) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    file = io.StringIO()
    if where == "pipe":  # as `coprod run` sets up its console for a pipe
        console = cli._console(file=file)
    else:
        console = Console(file=file, force_terminal=True, color_system=None)
        assert console.width == 60
    console.print(cli._summary(_timeseries(scenarios), "title"))
    rendered = file.getvalue()
    assert "…" not in rendered
    assert _names_in(rendered) == list(metrics.CANONICAL)
    if where == "narrow terminal":
        assert max(len(line) for line in rendered.splitlines()) <= 60


# ------------------------------------------------------------------------------ messages


def test_sweep_out_that_is_a_file_is_called_a_file(tmp_path) -> None:
    path = _experiment(tmp_path)
    out = tmp_path / "results.csv"
    out.write_text("a colleague's table")
    for resume in ([], ["--resume"]):
        result = runner.invoke(app, ["sweep", str(path), "--out", str(out), *resume])
        assert result.exit_code == 2, result.output
        assert f"--out {out}: it is a file, not a folder" in result.output, result.output
        assert "not empty" not in result.output and "Traceback" not in result.output
    assert out.read_text() == "a colleague's table"


def _disk_full_on(monkeypatch, name: str) -> None:
    """Every Parquet write to a file called ``name`` fails as on a full disk: ENOSPC, and, as
    from ``write()``, no file name."""
    real = pd.DataFrame.to_parquet

    def to_parquet(frame, path, *args, **kwargs):
        if Path(path).name == name or Path(path).name.startswith(f".{name}."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)


def test_a_full_disk_during_run_names_the_file_and_keeps_the_old_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("the earlier report")
    monkeypatch.chdir(tmp_path)
    _disk_full_on(monkeypatch, "agents.parquet")
    args = ["run", "baseline", "--steps", "2", "--set", "n_citizens=100", "--out", "out"]
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "cannot write out/agents.parquet: No space left on device" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert (out / "report.html").read_text() == "the earlier report"


def test_a_full_disk_during_a_sweep_names_the_part(tmp_path, monkeypatch) -> None:
    path = _experiment(tmp_path, points=2)
    _disk_full_on(monkeypatch, "part-000000.parquet")
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "0"])
    assert result.exit_code == 2, (result.output, result.exception)
    part = out / "runs" / "part-000000.parquet"
    assert f"cannot write {part}: No space left on device" in result.output, result.output
    assert "Traceback" not in result.output
    assert not list((out / "runs").iterdir())  # no half-written part


# ------------------------------------------------------------------------------ signals

TRAP = """
import os, signal, sys

class SignalOnImport:
    '''Sends {signal} to this process as the command starts importing {module}: the moment a
    `kill` or a closed terminal most often came, while a command started (seconds of imports).'''

    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.{signal})
        return None

sys.meta_path.insert(0, SignalOnImport())
from coprod_sim.cli import app
sys.argv = ["coprod", *{args!r}]
app()
"""


def _ended_like_ctrl_c(done: subprocess.CompletedProcess, out: Path) -> None:
    assert done.returncode == 130, (done.returncode, done.stdout, done.stderr)
    assert "interrupted:" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not out.exists() and not list(out.parent.glob(f".{out.name}*"))  # nothing written


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize(
    ("command", "module"),
    [("run", "coprod_sim.runs"), ("sweep", "coprod_sim.experiments")],
)
def test_a_signal_while_a_command_starts_ends_it_as_ctrl_c(tmp_path, command, module, signame):
    out = tmp_path / "out"
    target = "baseline" if command == "run" else str(_experiment(tmp_path))
    args = [command, target, "--out", str(out)]
    code = TRAP.format(signal=signame, module=module, args=args)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    _ended_like_ctrl_c(done, out)


def test_sigterm_while_run_simulates_ends_it_as_ctrl_c(tmp_path) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "coprod_sim", "run", "baseline", "--steps", "5000"]
    cmd += ["--set", "n_citizens=200", "--out", str(out)]
    with running_group(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().startswith("Running baseline")  # simulating, not writing
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    _ended_like_ctrl_c(subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), out)


# ------------------------------------------------------------------------------ stale staging

KILLED_WHILE_WRITING = """
import sys, time
from coprod_sim import runs
with runs.staged_output(sys.argv[1]) as staging:
    (staging / "timeseries.csv").write_text("half of it")
    print("writing", flush=True)
    time.sleep(120)
"""


def test_a_staging_folder_left_by_sigkill_is_removed_by_the_next_run(tmp_path) -> None:
    cmd = [sys.executable, "-c", KILLED_WHILE_WRITING, str(tmp_path / "a")]
    with running_group(cmd, stdout=subprocess.PIPE, text=True) as killed:
        assert killed.stdout.readline() == "writing\n"
        killed.kill()  # SIGKILL: no handler runs, the staging folder stays
        killed.wait(timeout=30)
    [left] = [p for p in tmp_path.iterdir() if p.name.startswith(".a.")]
    assert (left / "timeseries.csv").is_file() and f"coprod-{killed.pid}-" in left.name
    # Someone else's hidden folder, and a staging folder a live process is still writing.
    foreign = tmp_path / ".notes.partial"
    foreign.mkdir()
    with running_group([sys.executable, "-c", "import time; time.sleep(60)"]) as writer:
        live = tmp_path / f".b.coprod-{writer.pid}-0123456789ab.partial"
        live.mkdir()
        with runs.staged_output(tmp_path / "c") as staging:
            (staging / "report.html").write_text("new")
        assert not left.exists(), "the killed run's staging folder is still there"
        assert live.is_dir() and foreign.is_dir()
    assert (tmp_path / "c" / "report.html").read_text() == "new"
    # A temporary file of a killed write_atomic goes too, from the folder written to.
    stale = tmp_path / "c" / f".report.html.coprod-{killed.pid}-0123456789ab.partial"
    stale.write_text("half")
    runs.write_atomic(tmp_path / "c" / "report.html", "newer")
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["report.html"]
