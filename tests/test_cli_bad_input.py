"""Bad input to ``coprod run``: one message naming file, line, key, value and what is allowed,
exit code 2, no traceback, and nothing written (the "Bad input" rules)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from tests.processes import end_group, start_group

runner = CliRunner()

GOOD = """
title = "Good"
[parameters]
n_citizens = 100
steps = 6
"""

# name -> (scenario text, extra arguments, substrings the message must contain)
CASES: dict[str, tuple[str, list[str], list[str]]] = {
    "syntax error": (
        'title = "x"\n[parameters]\nn_citizens = = 5\n',
        [],
        ["TOML syntax error", "line 3", "column"],
    ),
    "unknown key": (
        "[parameters]\nstaff_trainig = 0.5\n",
        [],
        ["line 2", "staff_trainig", "did you mean 'staff_training'"],
    ),
    "unknown top-level key": (
        "n_citizens = 100\n",
        [],
        ["line 1", "n_citizens", "[parameters]"],
    ),
    "wrong type": (
        '[parameters]\nsteps = 6\nstaff_training = "high"\n',
        [],
        ["line 3", "staff_training", "'high'", "a number in [0, 1]"],
    ),
    "out of range": (
        "[parameters]\nsteps = 6\nstaff_training = 1.5\n",
        [],
        ["line 3", "staff_training", "1.5", "a number in [0, 1]"],
    ),
    "nan": (
        "[parameters]\nsteps = 6\ntime_poverty = nan\n",
        [],
        ["line 3", "time_poverty", "nan", "finite", "[0, 1]"],
    ),
    "inf": (
        "[parameters]\nsteps = 6\nmatching_capacity = inf\n",
        [],
        ["line 3", "matching_capacity", "inf", "finite"],
    ),
    "negative count": (
        "[parameters]\nsteps = 6\nn_citizens = -200\n",
        [],
        ["line 3", "n_citizens", "-200", "an integer in [10, 2000000]"],
    ),
    "negative replications": (
        "replications = -3\n[parameters]\nsteps = 6\n",
        [],
        ["line 1", "replications", "-3", "[1, 10000]"],
    ),
    "shock after the horizon": (
        '[parameters]\nsteps = 6\n[[shocks]]\nkind = "budget_cut"\nstart = 30\nshare = 0.2\n',
        [],
        ["[[shocks]] #1", "start", "30", "after the horizon", "[1, 6]"],
    ),
    "shock after a shorter --steps": (
        '[parameters]\nsteps = 60\n[[shocks]]\nkind = "scandal"\nstart = 30\n',
        ["--steps", "12"],
        ["start", "30", "after the horizon", "[1, 12]", "--steps"],
    ),
    "bad shock kind": (
        '[parameters]\nsteps = 6\n[[shocks]]\nkind = "flood"\nstart = 3\nshare = 0.1\n',
        [],
        ["line 4", "kind", "'flood'", "'unavailability'"],
    ),
    "bad --set value": (
        GOOD,
        ["--set", "staff_training=lots"],
        ["--set", "staff_training", "'lots'", "[0, 1]"],
    ),
    "bad --set key": (
        GOOD,
        ["--set", "staff_trainin=0.5"],
        ["--set", "staff_trainin", "did you mean"],
    ),
    "bad --set form": (GOOD, ["--set", "staff_training"], ["--set", "KEY=VALUE"]),
    "--set out of range": (
        GOOD,
        ["--set", "n_citizens=3"],
        ["command line", "n_citizens", "3", "[10, 2000000]"],
    ),
}


def _invoke(tmp_path: Path, text: str, extra: list[str]):
    (tmp_path / "in").mkdir(exist_ok=True)
    path = tmp_path / "in" / "scenario.toml"
    path.write_text(text)
    out = tmp_path / "out" / "run"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), *extra])
    return result, out


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_names_key_and_writes_nothing(tmp_path, case):
    text, extra, expected = CASES[case]
    result, _ = _invoke(tmp_path, text, extra)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for part in expected:
        assert part in result.output, (part, result.output)
    if "--set" not in extra:
        assert "scenario.toml" in result.output  # names the file
    assert not (tmp_path / "out").exists()  # nothing written, not even the parent


def test_missing_file(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "nope.toml" in result.output and "not found" in result.output
    assert "baseline" in result.output  # lists the presets one could mean
    assert not (tmp_path / "o").exists()


def test_extends_cycle(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    result = runner.invoke(app, ["run", str(tmp_path / "a.toml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "extends" in result.output and "cycle" in result.output
    assert "a.toml -> " in result.output and "b.toml" in result.output
    assert not (tmp_path / "o").exists()


def test_existing_output_needs_force_and_is_kept(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out)])
    assert result.exit_code == 2
    assert "--force" in result.output and "not empty" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]


def test_force_refuses_a_folder_coprod_did_not_write(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out), "--force"])
    assert result.exit_code == 2
    assert "did not write" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


def test_force_refuses_an_output_folder_holding_other_files(tmp_path):
    """A folder with outputs AND other things (another run's folder, notes) is not replaced."""
    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "out"
    _earlier_output(out)
    (out / "baseline").mkdir()
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out), "--force"])
    assert result.exit_code == 2
    assert "baseline, notes.txt" in result.output
    assert (out / "notes.txt").read_text() == "mine"


def test_out_may_not_be_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "s.toml", "--out", ".", "--force"])
    assert result.exit_code == 2 and "working folder" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_out_that_cannot_be_created_exits_2(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    (tmp_path / "afile").write_text("x")
    result = runner.invoke(
        app, ["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "afile" / "sub")]
    )
    assert result.exit_code == 2 and "cannot be written" in result.output
    assert "Traceback" not in result.output


def _earlier_output(out):
    """A folder as an earlier run left it (the marker file plus something else)."""
    out.mkdir()
    (out / "timeseries.parquet").write_text("old")
    (out / "report.html").write_text("old")


def test_force_replaces_output_whole(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "out"
    _earlier_output(out)
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").read_text() != "old"
    assert (out / "scenario.resolved.toml").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_crash_while_writing_leaves_previous_output(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "out"
    _earlier_output(out)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("coprod_sim.report.render", boom)
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out), "--force"])
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "timeseries.parquet"]
    assert (out / "report.html").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_negative_steps_option(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    result = runner.invoke(
        app, ["run", str(tmp_path / "s.toml"), "--steps", "-4", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "steps" in result.output and "-4" in result.output and "[1, 12000]" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [("--seed", "-1", "[0, 4611686018427387904]"), ("--replications", "0", "[1, 10000]")],
)
def test_bad_run_setting_option(tmp_path, option, value, allowed):
    (tmp_path / "s.toml").write_text(GOOD)
    result = runner.invoke(
        app, ["run", str(tmp_path / "s.toml"), option, value, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert option.strip("-") in result.output and value in result.output
    assert allowed in result.output
    assert not (tmp_path / "o").exists()


def test_compare_needs_two(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    result = runner.invoke(app, ["compare", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "two or more" in result.output


def test_ctrl_c_during_a_run_writes_nothing(tmp_path):
    """A real SIGINT to a real process, part-way through a long run."""
    out = tmp_path / "deep" / "out"
    cmd = [sys.executable, "-m", "coprod_sim", "run", "baseline", "--out", str(out)]
    cmd += ["--set", "n_citizens=50000", "--steps", "2000"]
    proc = start_group(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("Running baseline")  # the simulation starts
        time.sleep(1)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:  # a failed check must not leave a 2000-month run going
        end_group(proc)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "deep").exists()


def test_a_label_from_provenance_cannot_leave_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = '[parameters]\nsteps = 2\nn_citizens = 100\n[provenance]\nlabel = "../../evil"\n'
    (tmp_path / "x.resolved.toml").write_text(evil)
    result = runner.invoke(app, ["compare", "x.resolved.toml", "x.resolved.toml", "--out", "c"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "c" / "scenarios").iterdir()) == [
        "x.resolved-2.resolved.toml",
        "x.resolved.resolved.toml",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "x.resolved.toml"]


def test_repeated_labels_stay_unique(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline-2.toml").write_text(GOOD)
    (tmp_path / "baseline.toml").write_text(GOOD)
    args = ["compare", "baseline.toml", "baseline.toml", "baseline-2.toml", "--out", "c"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "c" / "scenarios").iterdir())
    assert names == sorted(f"{n}.resolved.toml" for n in ("baseline", "baseline-2", "baseline-2-2"))


def test_titles_with_markup_and_unicode_are_printed_as_written(tmp_path):
    text = GOOD.replace('title = "Good"', 'title = "Cuts [/b] [phase 2] → ≥"')
    (tmp_path / "s.toml").write_text(text)
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "[phase 2]" in result.output
    assert "→ ≥" in (tmp_path / "o" / "scenario.resolved.toml").read_text(encoding="utf-8")


def test_report_of_damaged_outputs_exits_2(tmp_path):
    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "o"
    assert runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out)]).exit_code == 0
    (out / "report.html").chmod(0o644)
    mode = (out / "report.html").stat().st_mode
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "report.html").stat().st_mode == mode  # permissions kept
    (out / "timeseries.parquet").write_text("garbage")
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2 and "cannot read the saved outputs" in result.output
    assert "Traceback" not in result.output


# ------------------------------------------------------------------------------ dashboard


@pytest.mark.parametrize("port", ["0", "70000", "-5"])
def test_dashboard_refuses_a_port_out_of_range(port):
    result = runner.invoke(app, ["dashboard", "--port", port])
    assert result.exit_code == 2
    assert "--port" in result.output and "1 to 65535" in result.output
    assert "Traceback" not in result.output


def test_dashboard_refuses_a_port_in_use():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["dashboard", "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port {port}" in result.output and "cannot listen there" in result.output
    assert "allowed: a free port" in result.output


def test_dashboard_refuses_an_address_not_on_this_machine():
    result = runner.invoke(app, ["dashboard", "--host", "192.0.2.1", "--port", "8765"])
    assert result.exit_code == 2
    assert "--host '192.0.2.1'" in result.output


# ------------------------------------------------------------------ scenario file limits


def _run_file(path: Path, *extra: str):
    return runner.invoke(app, ["run", str(path), "--out", str(path.parent / "o"), *extra])


def _refused(result, *expected: str) -> None:
    """Exit code 2, one message with every expected part, no traceback, nothing written."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    for part in expected:
        assert part in result.output, (part, result.output)


def _chain(tmp_path: Path, depth: int) -> Path:
    """``f0.toml`` extends ``f1.toml`` ... extends ``f{depth - 1}.toml``."""
    for i in range(depth - 1):
        (tmp_path / f"f{i}.toml").write_text(f'extends = "f{i + 1}.toml"\n')
    (tmp_path / f"f{depth - 1}.toml").write_text(GOOD)
    return tmp_path / "f0.toml"


def test_an_extends_chain_1000_files_deep_is_refused(tmp_path):
    result = _run_file(_chain(tmp_path, 1000))
    _refused(result, "f0.toml", "more than 64 files deep", "f1.toml", "at most 64 files")
    assert len(result.output) < 2000  # the chain is elided, not printed 1,000 times
    assert not (tmp_path / "o").exists()


def test_an_extends_chain_at_the_cap_works(tmp_path):
    from coprod_sim import scenario_files

    assert scenario_files.load(_chain(tmp_path, scenario_files.MAX_EXTENDS_DEPTH)).n_citizens == 100


NESTING = {
    "inline arrays": f"[parameters]\nsteps = {'[' * 5000}{']' * 5000}\n",
    "inline tables": f"[parameters]\nsteps = {'{a = ' * 5000}1{'}' * 5000}\n",
    "table headers": "[parameters.a.b.c]\nx = 1\n",
    "policy set holding an array": "[[policy_changes]]\nstart = 2\nset = { x = [[1]] }\n",
}


@pytest.mark.parametrize("case", NESTING)
def test_deep_nesting_is_refused(tmp_path, case):
    (tmp_path / "deep.toml").write_text(NESTING[case])
    _refused(_run_file(tmp_path / "deep.toml"), "deep.toml", "nested", "at most 3 levels")


@pytest.mark.parametrize("case", NESTING)
def test_deep_nesting_in_an_upload_is_a_dashboard_error(case):
    from coprod_sim.dashboard import session

    data = NESTING[case].encode()
    with pytest.raises(session.DashboardError, match="at most 3 levels"):
        session.read_upload("deep.toml", len(data), lambda: data)


def _shocks(n: int) -> str:
    one = '[[shocks]]\nkind = "budget_cut"\nstart = {}\nduration = 2\nshare = 0.01\n'
    return GOOD + "".join(one.format(1 + i % 5) for i in range(n))


def test_more_than_200_events_are_refused(tmp_path):
    (tmp_path / "many.toml").write_text(_shocks(201))
    _refused(_run_file(tmp_path / "many.toml"), "many.toml", "201 events", "at most 200")


def test_events_inherited_count_towards_the_cap(tmp_path):
    (tmp_path / "parent.toml").write_text(_shocks(150))
    (tmp_path / "child.toml").write_text('extends = "parent.toml"\n' + _shocks(60)[len(GOOD) :])
    _refused(_run_file(tmp_path / "child.toml"), "210 events", "150 from the files it extends")


def test_200_events_load(tmp_path):
    from coprod_sim import scenario_files

    (tmp_path / "many.toml").write_text(_shocks(200))
    assert len(scenario_files.load(tmp_path / "many.toml").events) == 200


@pytest.mark.parametrize(
    "item", ["staff_training=0.5\nn_citizens=99", "staff_training=0.5\x1b[2J", "\nsteps=3"]
)
def test_set_refuses_control_characters(tmp_path, item):
    (tmp_path / "s.toml").write_text(GOOD)
    _refused(
        _run_file(tmp_path / "s.toml", "--set", item), "--set", "(U+00", "allowed: one KEY=VALUE"
    )
    assert not (tmp_path / "o").exists()


def test_coerce_refuses_control_characters():
    from coprod_sim import params

    with pytest.raises(
        params.ParameterError, match=r"'staff_training': value .* a newline \(U\+000A\)"
    ):
        params.coerce("staff_training", "0.5\nn_citizens = 99")
    with pytest.raises(params.ParameterError, match=r"U\+0009"):
        params.coerce("network_kind", "random\t")


def test_text_fields_refuse_escapes_but_keep_line_breaks(tmp_path):
    from coprod_sim import scenario_files

    (tmp_path / "t.toml").write_text('title = "a\\u001b[31mred"\n' + GOOD.split("\n", 2)[2])
    _refused(_run_file(tmp_path / "t.toml"), "t.toml", "'title'", "U+001B")
    note = '[[shocks]]\nkind = "scandal"\nstart = 2\nnote = "x\\u0007"\n'
    (tmp_path / "n.toml").write_text(GOOD + note)
    _refused(_run_file(tmp_path / "n.toml"), "n.toml", "'note'", "U+0007")
    (tmp_path / "ok.toml").write_text('description = "two\\nlines\\tand a tab"\n' + GOOD)
    assert scenario_files.load(tmp_path / "ok.toml").description == "two\nlines\tand a tab"


def test_a_file_above_the_size_cap_is_refused_unread(tmp_path):
    from coprod_sim import scenario_files
    from coprod_sim.dashboard import session

    assert (
        session.MAX_UPLOAD_BYTES == scenario_files.MAX_FILE_BYTES
    )  # one cap for files and uploads
    path = tmp_path / "big.toml"
    path.write_text(GOOD + "# padding\n" * (scenario_files.MAX_FILE_BYTES // 10))
    _refused(_run_file(path), "big.toml", "larger than 262,144 bytes", "at most 262,144")


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_file_that_is_not_regular_is_refused(tmp_path, kind):
    import os

    path = Path(kind)
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)  # reading it would wait for a writer for ever
    _refused(_run_file(path), str(path), "is not a regular file")


def test_an_experiment_file_that_is_not_regular_is_refused(tmp_path):
    result = runner.invoke(app, ["sweep", "/dev/zero", "--out", str(tmp_path / "o")])
    _refused(result, "/dev/zero", "is not a regular file")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda ts: ts.drop(columns=["scenario"]), ["timeseries.parquet", "scenario"]),
        (lambda ts: ts.rename(columns={"month": "mois"}), ["timeseries.parquet", "month"]),
        (lambda ts: ts.drop(columns=["participation_any"]), ["participation_any"]),
        (lambda ts: ts.assign(month=ts["month"].astype(str) + "m"), ["not as coprod wrote"]),
    ],
)
def test_report_of_outputs_with_the_wrong_columns_exits_2(tmp_path, change, expected):
    import pandas as pd

    (tmp_path / "s.toml").write_text(GOOD)
    out = tmp_path / "o"
    assert runner.invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out)]).exit_code == 0
    before = (out / "report.html").read_bytes()
    ts = pd.read_parquet(out / "timeseries.parquet")
    change(ts).to_parquet(out / "timeseries.parquet", index=False)
    result = runner.invoke(app, ["report", str(out)])
    _refused(result, *expected)
    assert (out / "report.html").read_bytes() == before  # the old report is kept whole
