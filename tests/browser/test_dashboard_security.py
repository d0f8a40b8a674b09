"""The dashboard's security in a real browser and over raw HTTP.

- File text never becomes markup: an upload with payloads in every text field and in its
  file name makes no element, fires no dialog and shows literally, in the sidebar and the
  Run, Compare and Workshop tabs.
- No exception reaches the page: a planted fault in an event handler and one in a render show
  one short message; the traceback goes to the server log.
- Origin and Host: a foreign ``Host`` gets 403, a WebSocket from a foreign or ``null``
  origin is refused before the handshake, one from the page's origin gets 101; the security
  headers and the session cookie's flags.

One server for the module: the real ``coprod dashboard`` command with the faults of
:mod:`tests.browser.faulty_dashboard` planted (they fire on their own file names only).
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import socket
import sys
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from coprod_sim.dashboard.failsafe import FAILURE_MESSAGE
from tests.browser import faulty_dashboard
from tests.browser.conftest import ARTIFACTS, free_port, running_dashboard
from tests.browser.test_dashboard import Page, expect, tab, upload
from tests.payloads import HOSTILE

pytestmark = pytest.mark.browser

_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
LOG = ARTIFACTS / f"dashboard-security-server{'-' + _WORKER if _WORKER else ''}.log"
COMPARE_TIMEOUT = 120_000  # ms

FILE_NAME = "<img src=x onerror=alert(5)>[x](javascript:alert(6)) ![y](x) <b>bold.toml"
"""Payloads in the uploaded file's name (a name holds no '/')."""


def _toml_text(text: str) -> str:
    return "'" + text + "'"  # a literal string: the payloads hold '"' but no "'"


HOSTILE_FILE = f"""extends = "baseline"
title = {_toml_text(HOSTILE)}
description = {_toml_text(HOSTILE)}
question = {_toml_text(HOSTILE)}
sources = [{_toml_text(HOSTILE)}]

[parameters]
n_citizens = 200
steps = 12

[[shocks]]
kind = "unavailability"
start = 3
duration = 2
share = 0.3
note = {_toml_text(HOSTILE)}
""".encode()

MADE_ELEMENTS = """() => {
    const made = [];
    const add = (e) => made.push(e.outerHTML.slice(0, 200));
    for (const img of document.querySelectorAll('img')) {
        const src = img.getAttribute('src') || '';
        if (src === 'x' || src.includes('127.0.0.1:1')) { add(img); }
    }
    for (const s of document.querySelectorAll('script')) {
        if (/alert\\([0-9]\\)/.test(s.textContent)) { add(s); }
    }
    for (const a of document.querySelectorAll('a')) {  // HTML links and plotly's SVG links
        const href = a.getAttribute('href') || a.getAttribute('xlink:href') || '';
        if (/^\\s*javascript:/i.test(href)) { add(a); }
    }
    for (const e of document.querySelectorAll('[onerror]')) { add(e); }
    for (const b of document.querySelectorAll('b, strong, tspan')) {  // plotly draws <b> bold
        const bold = b.tagName !== 'tspan' || /bold/.test(b.getAttribute('style') || '');
        if (bold && b.textContent === 'bold') { add(b); }
    }
    return made;
}"""
"""Every element the payloads could make (none of the page's own matches)."""


@pytest.fixture(scope="module")
def dashboard_url() -> Iterator[str]:
    """This module's server (it replaces the session's for the ``page`` fixture)."""
    port = free_port()
    command = [sys.executable, "-m", "tests.browser.faulty_dashboard", "--port", str(port)]
    with running_dashboard([*command, "--host", "127.0.0.1"], port, LOG) as url:
        yield url


def _watch(page: Page) -> tuple[list[str], list[str]]:
    """Dialogs opened and requests to the payloads' image address, from now on."""
    dialogs: list[str] = []
    requests: list[str] = []

    def dialog(d) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("request", lambda r: requests.append(r.url) if "127.0.0.1:1/" in r.url else None)
    return dialogs, requests


def _assert_inert(page: Page, where: str) -> None:
    assert page.evaluate(MADE_ELEMENTS) == [], f"elements made from file text ({where})"


def test_file_text_never_becomes_markup(page: Page) -> None:
    dialogs, requests = _watch(page)
    upload(page, FILE_NAME, HOSTILE_FILE)
    expect(page.locator(".cs-notice")).to_have_text(f"Loaded {FILE_NAME}.")
    info = page.locator(".cs-scenario-info")
    expect(info).to_contain_text(HOSTILE)
    expect(info).to_contain_text(f"Question: {HOSTILE}")
    stem = FILE_NAME.removesuffix(".toml")
    expect(page.locator(".cs-run-label")).to_have_text(stem)
    _assert_inert(page, "sidebar and Run tab")

    tab(page, "Compare")
    page.locator(".cs-mode").get_by_role("button", name="changed levers", exact=True).click()
    expect(page.locator(".cs-compare")).to_contain_text(f"A: the current settings ({stem})")
    seeds = page.locator(".cs-compare-seeds input")
    seeds.fill("1")
    seeds.press("Enter")
    page.locator(".cs-compare-run").click()
    results = page.locator(".cs-compare-results")
    expect(results).to_contain_text(
        f"A (reference): {stem}. B: {stem} with", timeout=COMPARE_TIMEOUT
    )
    page.locator(".cs-compare").get_by_role("button", name="side by side", exact=True).click()
    expect(page.locator(".cs-compare-bands")).to_contain_text(stem)
    _assert_inert(page, "Compare tab")

    tab(page, "Workshop")
    expect(page.locator(".cs-workshop")).to_be_visible()
    _assert_inert(page, "Workshop tab")
    tab(page, "Run")
    _assert_inert(page, "Run tab again")
    assert dialogs == []
    assert requests == []


def _page_text(page: Page) -> str:
    return page.evaluate("() => document.body.innerText")


def test_no_exception_reaches_the_page(page: Page) -> None:
    upload(page, faulty_dashboard.HANDLER_FAULT, b'extends = "baseline"\n')
    expect(page.locator(".cs-error")).to_have_text(FAILURE_MESSAGE)
    expect(page.locator(".cs-month")).to_be_visible()  # the page stays as it was

    render_fault = f'extends = "baseline"\ntitle = "{faulty_dashboard.RENDER_FAULT}"\n'.encode()
    upload(page, "render.toml", render_fault)
    expect(page.locator(".cs-failure-message")).to_contain_text(FAILURE_MESSAGE)
    text = _page_text(page)
    assert (
        "Traceback" not in text
        and faulty_dashboard.SECRET not in text
        and "RuntimeError" not in text
    )
    log = LOG.read_text(encoding="utf-8", errors="replace")
    assert (
        log.count(f"RuntimeError: planted fault in {faulty_dashboard.SECRET}") >= 2
    )  # both, logged
    assert "Traceback (most recent call last)" in log


# ----------------------------------------------------------------------------- raw HTTP


def _request(url: str, host: str, method: str = "GET", **headers: str):
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.request(method, "/", headers={"Host": host, **headers})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def _own_host(url: str) -> str:
    return urlsplit(url).netloc


def test_http_refuses_a_foreign_host(dashboard_url: str) -> None:
    for host in ("evil.example", f"evil.example:{urlsplit(dashboard_url).port}", ""):
        assert _request(dashboard_url, host).status == 403, host
    assert _request(dashboard_url, _own_host(dashboard_url)).status == 200


def test_http_headers_and_cookie(dashboard_url: str) -> None:
    response = _request(dashboard_url, _own_host(dashboard_url))
    policy = response.getheader("Content-Security-Policy") or ""
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    cookie = response.getheader("Set-Cookie") or ""
    assert cookie.startswith("solara-session-id=")
    flags = [flag.strip().lower() for flag in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags


def _handshake(url: str, origin: str | None, host: str | None = None) -> str:
    """The status line the server answers a WebSocket upgrade of a session's channel with."""
    where = urlsplit(url)
    kernel, session = uuid.uuid4(), uuid.uuid4()
    lines = [
        f"GET /jupyter/api/kernels/{kernel}/channels?session_id={session} HTTP/1.1",
        f"Host: {host or where.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection((where.hostname, where.port), timeout=30) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return connection.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_websocket_refuses_foreign_origins(dashboard_url: str) -> None:
    own = f"http://{_own_host(dashboard_url)}"
    assert re.match(r"HTTP/1\.1 101\b", _handshake(dashboard_url, own))
    for origin in ("http://evil.example", "null"):
        assert re.match(r"HTTP/1\.1 403\b", _handshake(dashboard_url, origin)), origin
    assert re.match(r"HTTP/1\.1 403\b", _handshake(dashboard_url, own, host="evil.example"))
