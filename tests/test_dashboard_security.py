"""The dashboard's security, without a browser: file text inside the
page's own Markdown stays text, the server's guard (Host, Origin, headers, cookie), the
warning for a non-loopback address, and the error boundary. The real server and browser
are in tests/browser/test_dashboard_security.py."""

from __future__ import annotations

import asyncio
import logging
from html.parser import HTMLParser

import ipyvuetify as v
import markdown
import pytest
import solara

from coprod_sim.dashboard import failsafe, server
from coprod_sim.dashboard.widgets import literal
from tests.payloads import HOSTILE, PAYLOADS, made_elements


class _Text(HTMLParser):
    """The text a browser shows for some HTML, and the tags it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.tags = "", []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text += data


def _shown(markup: str) -> _Text:
    parsed = _Text()
    parsed.feed(markup)
    return parsed


# --------------------------------------------------------------------------- text is not markup


@pytest.mark.parametrize("text", [*PAYLOADS, HOSTILE, "# heading", "- item", "1. item", "*em*"])
def test_literal_text_inside_prose_is_shown_as_is(text):
    # As widgets.Prose renders it.
    page = markdown.markdown(f"**A**: {literal(text)}.", extensions=["sane_lists"])
    shown = _shown(page)
    assert made_elements(page) == []
    assert shown.tags == ["p", "strong"]  # the page's own bold, nothing from the text
    assert shown.text == f"A: {text}."


# ------------------------------------------------------------------------------- the guard

RULES = server.allowed("127.0.0.1", 8765)


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("LOCALHOST", True),
        ("[::1]:8765", True),
        ("evil.example:8765", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_host_header(host, ok):
    assert server.host_allowed(host, RULES) is ok


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765/", True),
        (None, True),  # no web page: a script or curl, which Host already limits
        ("null", False),
        ("http://evil.example", False),
        ("http://127.0.0.1:9999", False),  # another local web app
        ("https://127.0.0.1:8765", False),
    ],
)
def test_origin_header(origin, ok):
    assert server.origin_allowed(origin, RULES) is ok


def test_listed_hosts_and_origins_are_allowed():
    rules = server.allowed("0.0.0.0", 80, ["Workshop.Example."], ["https://proxy.example/"])
    assert server.host_allowed("workshop.example", rules)
    assert not server.host_allowed("0.0.0.0", rules)  # a wildcard is no name
    assert server.origin_allowed("http://workshop.example:80", rules)
    assert server.origin_allowed("https://proxy.example", rules)
    assert not server.origin_allowed("https://evil.example", rules)


def _scope(kind: str, method: str = "GET", **headers: str) -> dict:
    return {
        "type": kind,
        "method": method,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


def test_refusal_checks_origin_on_websockets_and_changes_only():
    host = "127.0.0.1:8765"
    evil = "http://evil.example"
    assert server.refusal(_scope("http", host=host, origin=evil), RULES) is None  # a link
    assert "origin 'http://evil.example'" in server.refusal(
        _scope("http", "POST", host=host, origin=evil), RULES
    )
    assert "origin 'null'" in server.refusal(_scope("websocket", host=host, origin="null"), RULES)
    assert "host 'evil.example'" in server.refusal(_scope("http", host="evil.example"), RULES)


def test_strict_cookie():
    value = "solara-session-id=abc; expires=Fri, 01 Jan 2038 00:00:00 GMT; Path=/; SameSite=none"
    assert server.strict_cookie(f"{value}; Secure") == (
        "solara-session-id=abc; expires=Fri, 01 Jan 2038 00:00:00 GMT; Path=/; Secure; "
        "HttpOnly; SameSite=Lax"
    )


def test_secured_headers_replace_the_apps_own():
    headers = server.secured_headers([(b"X-Frame-Options", b"ALLOWALL"), (b"content-length", b"2")])
    names = [name.decode().lower() for name, _ in headers]
    assert names.count("x-frame-options") == 1
    assert dict(headers)[b"x-frame-options"] == b"DENY"
    assert dict(headers)[b"content-length"] == b"2"
    assert b"frame-ancestors 'none'" in dict(headers)[b"content-security-policy"]


def _through_guard(scope: dict) -> list[dict]:
    """The messages the guard sends for ``scope`` to an app that answers 200 with a cookie."""
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"set-cookie", b"s=1")]}
        )

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(server.Guard(app, RULES)(scope, receive, send))
    return sent


def test_guard_refuses_a_foreign_host_and_secures_the_rest():
    refused = _through_guard(_scope("http", host="evil.example:8765"))
    assert refused[0]["status"] == 403
    assert b"host 'evil.example:8765' is not allowed" in refused[1]["body"]
    passed = dict(_through_guard(_scope("http", host="127.0.0.1:8765"))[0]["headers"])
    assert passed[b"set-cookie"] == b"s=1; HttpOnly; SameSite=Lax"
    assert passed[b"x-content-type-options"] == b"nosniff"


def test_guard_closes_a_foreign_websocket_before_the_handshake():
    sent = _through_guard(_scope("websocket", host="127.0.0.1:8765", origin="null"))
    assert [m["type"] for m in sent] == ["websocket.close"]  # uvicorn answers 403


@pytest.mark.parametrize(
    ("host", "warned"),
    [
        *[("127.0.0.1", False), ("localhost", False), ("::1", False), ("127.0.0.2", False)],
        *[("0.0.0.0", True), ("::", True), ("192.168.1.5", True), ("workshop.example", True)],
    ],
)
def test_no_auth_warning_for_any_non_loopback_address(host, warned):
    warning = server.no_auth_warning(host, 8765)
    assert (warning is not None) is warned
    if warned:
        assert "no authentication" in warning and f"--host {host}" in warning


# ---------------------------------------------------------------------------- the failsafe


def test_failsafe_shows_a_short_message_and_logs_the_traceback(caplog):
    fail = solara.reactive(False)

    @solara.component
    def Fragile():
        if fail.value:
            raise RuntimeError("/srv/secret/path.py exploded")

        def click():
            raise ValueError("/srv/secret/handler.py exploded")

        solara.Button("Press", on_click=click)

    @solara.component
    def Page():
        with failsafe.Failsafe(where="test"):
            Fragile()

    _, rc = solara.render(Page(), handle_error=False)
    with caplog.at_level(logging.ERROR, logger="coprod_sim.dashboard"):
        rc.find(v.Btn, children=["Press"]).widget.click()
        alert = rc.find(v.Alert).widget
        assert alert.children[0] == failsafe.FAILURE_MESSAGE
        assert "handler.py" in caplog.text and "Traceback" in caplog.text
        rc.find(v.Btn, children=["Try again"]).widget.click()
        rc.find(v.Btn, children=["Press"]).assert_single()
        caplog.clear()
        fail.value = True  # now a render fails
        assert rc.find(v.Alert).widget.children[0] == failsafe.FAILURE_MESSAGE
        assert "path.py exploded" in caplog.text
    rc.close()


def test_dashboard_command_warns_beyond_this_machine_and_passes_the_lists(monkeypatch):
    from typer.testing import CliRunner

    from coprod_sim import cli

    served: list[tuple] = []
    monkeypatch.setattr(cli, "_check_port", lambda host, port: None)  # never bind 0.0.0.0
    monkeypatch.setattr(server, "serve", lambda *args: served.append(args))
    argv = ["dashboard", "--host", "0.0.0.0", "--port", "8765", "--allow-host", "w.example"]
    result = CliRunner().invoke(cli.app, [*argv, "--allow-origin", "https://p.example"])
    assert result.exit_code == 0, result.output
    assert "no authentication" in result.output
    ((app_module, host, port, rules),) = served
    assert (app_module, host, port) == (cli.DASHBOARD_APP, "0.0.0.0", 8765)
    assert "w.example" in rules.hosts and "https://p.example" in rules.origins
    served.clear()
    result = CliRunner().invoke(cli.app, ["dashboard", "--port", "8765"])
    assert "no authentication" not in result.output and served


@pytest.mark.parametrize(
    ("argv", "chosen", "restarts"),
    [
        (["/venv/bin/coprod", "dashboard", "--port", "8765"], None, True),
        (["/src/coprod_sim/__main__.py", "dashboard"], None, True),
        (["/venv/bin/coprod", "dashboard"], "debug", False),  # the user's choice stands
        (["/venv/bin/pytest", "tests"], None, False),  # a CLI runner inside another program
        (["/venv/bin/coprod", "run", "x.toml"], None, False),
    ],
)
def test_the_dashboard_restarts_once_under_the_c_allocator(monkeypatch, argv, chosen, restarts):
    execs: list[tuple] = []
    monkeypatch.setattr(server.os, "execve", lambda *args: execs.append(args))
    if chosen is None:
        monkeypatch.delenv("PYTHONMALLOC", raising=False)
    else:
        monkeypatch.setenv("PYTHONMALLOC", chosen)
    server.restart_with_system_allocator(argv)
    assert bool(execs) == restarts
    if restarts:
        ((program, args, env),) = execs
        assert env["PYTHONMALLOC"] == server.SYSTEM_ALLOCATOR == "malloc"
        assert args[0] == program


def test_the_real_dashboard_process_runs_under_the_c_allocator():
    import os
    import socket
    import subprocess
    import sys
    import time

    from tests.processes import running_group

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: value for k, value in os.environ.items() if k != "PYTHONMALLOC"}
    command = [sys.executable, "-m", "coprod_sim", "dashboard", "--port", str(port)]
    with running_group(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as p:
        deadline = time.monotonic() + 60
        while True:  # listening means the restart is over (it happens before the server)
            assert p.poll() is None, p.stdout.read().decode()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the dashboard did not listen within 60 s"
                time.sleep(0.2)
        with open(f"/proc/{p.pid}/environ", "rb") as f:  # the same pid, the new environment
            assert b"PYTHONMALLOC=malloc" in f.read().split(b"\0")
