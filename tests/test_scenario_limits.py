"""Hostile scenario files: any file within the size cap gets its verdict in
well under 2 s, nesting of any depth is a message, and one file has one verdict in the CLI and
the dashboard. Everything runs in-process (no server, no subprocess): the upload path is the
dashboard's reading function, and the CLI is driven by typer's runner."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.dashboard import session
from coprod_sim.scenario import Scenario
from coprod_sim.scenario_files import MAX_FILE_BYTES, MAX_PROBLEMS, ScenarioError, load, loads
from coprod_sim.submodels.events import MAX_EVENTS

runner = CliRunner()
BUDGET = 2.0  # seconds of process time per file; each took 1 to 4 minutes before the fix


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    """``fn()``'s result, or the error it raised, and the process time it took."""
    start = time.process_time()
    try:
        outcome: object = fn()
    except Exception as err:  # the verdict is what the test inspects
        outcome = err
    return outcome, time.process_time() - start


def _upload(text: str) -> Callable[[], object]:
    data = text.encode()
    return lambda: session.read_upload("hostile.toml", len(data), lambda: data)


def _fill(head: str, line: Callable[[int], str], limit: int = MAX_FILE_BYTES) -> str:
    """``head`` followed by ``line(0)``, ``line(1)``... up to ``limit`` bytes."""
    parts, size, i = [head], len(head), 0
    while size + len(line(i)) <= limit:
        parts.append(line(i))
        size += len(line(i))
        i += 1
    return "".join(parts)


def test_a_full_size_file_of_unknown_keys_is_refused_at_once():
    text = _fill("[parameters]\n", lambda i: f"unknown_key_{i:05d} = 1\n")
    assert len(text) > MAX_FILE_BYTES - 100  # the whole 256 KB
    error, seconds = _timed(_upload(text))
    assert isinstance(error, session.DashboardError), error
    assert "[parameters] has 11,915 keys; allowed: at most 1,000 keys" in str(error)
    assert seconds < BUDGET, seconds


def test_a_full_size_file_of_top_level_keys_is_refused_at_once():
    error, seconds = _timed(_upload(_fill("", lambda i: f"k{i} = 1\n")))
    assert "the top level has 24,841 keys" in str(error)
    assert seconds < BUDGET, seconds


def test_a_full_size_file_of_shocks_is_accepted_quickly():
    head = "[parameters]\nn_citizens = 100\nsteps = 12\n"
    shock = '[[shocks]]\nkind = "budget_cut"\nstart = 2\nduration = 2\nshare = 0.01\nnote = "{}"\n'
    pad = (250_000 - len(head)) // MAX_EVENTS - len(shock)
    text = head + shock.format("x" * pad) * MAX_EVENTS
    assert len(text) > 240_000
    scenario, seconds = _timed(_upload(text))
    assert isinstance(scenario, Scenario), scenario
    assert len(scenario.events) == MAX_EVENTS
    assert seconds < BUDGET, seconds


def test_problems_are_cut_at_the_cap_with_a_count_of_the_rest():
    # 999 unknown keys: under the key cap, so each is a problem of its own.
    text = "[parameters]\n" + "".join(f"unknown_{i:03d} = 1\n" for i in range(999))
    error, seconds = _timed(_upload(text))
    lines = str(error).splitlines()
    assert lines[0] == "hostile.toml has 999 problems:"
    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert lines[1].strip().startswith("line 2, [parameters]: unknown key 'unknown_000'")
    assert lines[-1].strip() == "and 949 more problems (fix these first)"
    assert seconds < BUDGET, seconds


def test_unknown_keys_in_every_event_are_cut_at_the_cap():
    bogus = "".join(f"bogus{j} = 1\n" for j in range(60))
    shock = f'[[shocks]]\n{bogus}kind = "budget_cut"\nstart = 2\nshare = 0.01\n'
    text = "[parameters]\nsteps = 12\n" + shock * MAX_EVENTS
    error, seconds = _timed(_upload(text))
    assert str(error).endswith("and 11,950 more problems (fix these first)"), str(error)[-200:]
    assert seconds < BUDGET, seconds


LONG_KEYS = {
    "dotted key": lambda parts: f"[parameters]\n{parts} = 1\n",
    "table header": lambda parts: f"[{parts}]\n",
    "array-of-tables header": lambda parts: f"[[{parts}]]\n",
    "key in an inline table": lambda parts: f"x = {{{parts} = 1}}\n",
}


@pytest.mark.parametrize("case", LONG_KEYS)
def test_a_full_size_dotted_key_is_refused_at_once(case):
    # tomllib's time is quadratic in a key's parts: this file took it minutes.
    text = LONG_KEYS[case](".".join(["a"] * (MAX_FILE_BYTES // 2 - 20)))
    error, seconds = _timed(_upload(text))
    assert "dotted parts; allowed: at most 3 levels of tables and arrays" in str(error), error
    assert seconds < BUDGET, seconds


def test_a_long_dotted_text_inside_a_string_is_only_text():
    text = f'description = "{".".join(["a"] * 50_000)}"\n[parameters]\nsteps = 6\n'
    scenario, seconds = _timed(_upload(text))
    assert isinstance(scenario, Scenario), scenario
    assert seconds < BUDGET, seconds


# ----------------------------------------------------------------------------- deep nesting

DEPTHS = (5_000, 10_000)
NESTING: dict[str, Callable[[int], str]] = {
    "inline arrays": lambda n: f"a = {'[' * n}{']' * n}\n",
    "inline arrays in [parameters]": lambda n: f"[parameters]\nsteps = {'[' * n}{']' * n}\n",
    "inline tables": lambda n: f"a = {'{x=' * n}1{'}' * n}\n",
    "arrays of inline tables": lambda n: f"a = {'[{x=' * n}1{'}]' * n}\n",
    "table header": lambda n: f"[{'.'.join(['a'] * n)}]\nx = 1\n",
    "array-of-tables header": lambda n: f"[[{'.'.join(['a'] * n)}]]\nx = 1\n",
    "dotted key": lambda n: f"[parameters]\n{'.'.join(['a'] * n)} = 1\n",
}


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("case", NESTING)
def test_deep_nesting_is_a_message_in_the_cli(tmp_path, case, depth):
    path = tmp_path / "deep.toml"
    path.write_text(NESTING[case](depth))
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert "deep.toml" in result.output and "at most 3 levels" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("case", NESTING)
def test_deep_nesting_is_a_message_in_an_upload(case, depth):
    error, _ = _timed(_upload(NESTING[case](depth)))
    assert isinstance(error, session.DashboardError), repr(error)  # never RecursionError
    assert "hostile.toml" in str(error) and "at most 3 levels" in str(error)


# ----------------------------------------------------------------- one file, one verdict

ENCODED = {
    "UTF-16 with a byte-order mark": ("utf-16", "it looks like UTF-16"),
    "UTF-16 without one": ("utf-16-le", "it looks like UTF-16"),
    "UTF-32": ("utf-32", "it looks like UTF-32"),
    "Latin-1": ("latin-1", "byte 9 is 0xe9"),
}


@pytest.mark.parametrize("case", ENCODED)
def test_a_file_not_in_utf8_gets_one_verdict_in_cli_and_dashboard(tmp_path, case):
    encoding, why = ENCODED[case]
    data = 'title = "é"\n[parameters]\nsteps = 6\n'.encode(encoding)
    path = tmp_path / "encoded.toml"
    path.write_bytes(data)
    expected = f"the file is not UTF-8 text ({why}); allowed: a TOML file, save it as UTF-8"
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())  # rich may wrap the line
    with pytest.raises(session.DashboardError) as caught:
        session.read_upload("encoded.toml", len(data), lambda: data)
    assert str(caught.value) == f"encoded.toml: {expected}"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_a_byte_order_mark_loads_in_both(tmp_path, bom):
    data = bom + 'title = "café"\n[parameters]\nsteps = 6\n'.encode()
    path = tmp_path / "ok.toml"
    path.write_bytes(data)
    assert load(path).title == "café"
    assert session.read_upload("ok.toml", len(data), lambda: data).title == "café"


def test_the_upload_field_hands_on_the_bytes_it_was_sent():
    import base64

    from coprod_sim.dashboard.widgets import uploaded_bytes

    data = "title = 'x'\n".encode("utf-16")
    assert uploaded_bytes(base64.b64encode(data).decode()) == data
    assert uploaded_bytes(None) is None  # a file over the cap: name and size only
    assert uploaded_bytes("not base64!") is None


# ----------------------------------------------------------------------- --set values


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "staff_training=0.5\nn_citizens=99",
            "--set key 'staff_training': value '0.5\\nn_citizens=99' contains a newline "
            "(U+000A); allowed: one KEY=VALUE",
        ),
        ("\nsteps=3", "--set key '\\nsteps' contains a newline (U+000A)"),
        ("steps=3\r", "value '3\\r' contains a carriage return (U+000D)"),
        ("staff_training=0.5\x1b[2J", "contains the control character (U+001B)"),
    ],
)
def test_set_with_a_control_character_names_the_key_and_the_value(tmp_path, item, expected):
    path = tmp_path / "s.toml"
    path.write_text("[parameters]\nsteps = 6\n")
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--set", item])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split()), result.output
    assert "repeat --set for several values" in " ".join(result.output.split())
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------- messages that were wrong


def _message(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        loads(text, "m.toml")
    return str(caught.value)


def test_a_value_set_as_a_table_names_its_own_line():
    assert "line 3, [parameters]: unknown key 'foo'" in _message("[parameters]\n\nfoo = 1\n")
    assert "line 3, [parameters]: key 'steps': value {'a': 1}" in _message(
        "[parameters]\n\nsteps.a = 1\n"
    )
    assert "line 4, [parameters]: unknown key 'x'" in _message(
        "[parameters]\nsteps = 6\n\n[parameters.x]\nfoo = 1\n"
    )


def test_a_shocks_table_that_is_not_an_array_names_its_line():
    message = _message('[parameters]\nsteps = 6\n\n[shocks]\nkind = "scandal"\nstart = 2\n')
    assert "m.toml: line 4: key 'shocks'" in message
    assert "allowed: an array of tables, written [[shocks]]" in message


def test_a_repeated_key_or_table_is_named_with_both_lines():
    assert _message("[parameters]\nsteps = 6\nn_citizens = 100\nsteps = 7\n") == (
        "m.toml: line 4: TOML syntax error: key 'steps' is given twice in the same table "
        "(first at line 2); allowed: each key once per table"
    )
    # Inside an inline table tomllib names the key itself.
    inline = _message("[parameters]\nsteps = { x = 1, x = 2 }\n")
    assert "Duplicate inline table key 'x' (at line 2" in inline
    assert _message("[parameters]\nsteps = 6\n\n[parameters]\nn_citizens = 100\n") == (
        "m.toml: line 4: TOML syntax error: table [parameters] is declared twice (first at "
        "line 1); allowed: each table once, with all its keys under one header"
    )


def test_an_empty_extends_says_what_extends_must_name():
    message = _message('extends = ""\n[parameters]\nsteps = 6\n')
    assert "line 1: key 'extends': value ''; allowed: extends must name a scenario file or a " in (
        message
    )
    assert "folder" not in message


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "/dev/stdin"])
def test_a_path_that_is_not_a_regular_file_is_named_so(tmp_path, kind):
    import os

    path = Path(kind)
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)  # reading it would wait for a writer for ever
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")], input="")
    assert result.exit_code == 2, result.output
    assert "is not a regular file" in result.output and "not found" not in result.output
