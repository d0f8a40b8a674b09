"""Fixtures for the dashboard's real-browser tests (Playwright driving headless Chromium).

- ``dashboard_url`` (session): the dashboard started with the real command,
  ``python -m coprod_sim dashboard --port P``, on a free port of 127.0.0.1; stopped at the end.
  Its output goes to ``test-artifacts/dashboard-server.log`` (``dashboard-server-gw0.log`` and
  so on under pytest-xdist: each worker runs its own server). The server runs in a process
  group of its own, ended as a whole at the end.
- ``browser`` (session): Debian's Chromium (``$CHROMIUM`` or ``chromium`` on the PATH); the
  tests never download a browser. Missing, it fails the run in CI (``CI=true``) and skips the
  tests elsewhere.
- ``page`` (function): a fresh browser context (so a fresh dashboard session: Solara keeps one
  per tab) on the dashboard, once it shows month 0 and its seven charts. Afterwards, pass or
  fail, a full-page screenshot goes to ``test-artifacts/screenshots/<test>.png`` and the
  browser console to ``test-artifacts/console/<test>.log``; a Content-Security-Policy violation
  in it fails the test.
- ``running_dashboard(command, port, log)``: the same start and stop for a module's own server
  (override ``dashboard_url`` in the module to point ``page`` at it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import end_group, start_group

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CONSOLE = ARTIFACTS / "console"
# One server per xdist worker, so one log each.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
SERVER_LOG = ARTIFACTS / (f"dashboard-server-{_WORKER}.log" if _WORKER else "dashboard-server.log")

START_TIMEOUT = 60.0  # seconds for the server to answer GET /
PAGE_TIMEOUT = 60_000  # ms for the first render (the first page also loads plotly's bundle)
EXPECT_TIMEOUT = 30_000  # ms for each expect(): headless, WebGL runs in software, slowly,
# and on a shared 2-core machine 12 months took longer than 15 s (an expect() returns as
# soon as it holds, so a longer limit costs nothing when all is well)
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu"]
VIEWPORT = {"width": 1600, "height": 1000}
N_CHARTS = 7  # six live views and the network


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: real-browser tests of the dashboard (Playwright + headless Chromium)"
    )


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(reason: str) -> None:
    """Fail in CI (the browser tests must run there), skip elsewhere."""
    if _in_ci():
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(path: Path = SERVER_LOG, limit: int = 4000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return text[-limit:] or "(empty server log)"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_dashboard(command: list[str], port: int, log_path: Path = SERVER_LOG) -> Iterator[str]:
    """The dashboard started with ``command`` (listening on 127.0.0.1:``port``), once it
    answers; its URL. Its output goes to ``log_path``; it is stopped at the end."""
    url = f"http://127.0.0.1:{port}/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # A file, not a pipe: nobody reads a pipe while the tests run, and a full one would block
    # the server.
    with log_path.open("w", encoding="utf-8") as log:
        # The test hook of app.SLOW_CHECK_ENV: files named slow-check* take 4 s to check.
        env = {**os.environ, "COPROD_DASHBOARD_TEST_SLOW_CHECK": "4"}
        server = start_group(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(url):
            if server.poll() is not None:
                pytest.fail(
                    f"the dashboard exited with code {server.returncode} before answering "
                    f"{url} ({' '.join(command)}); its output:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the dashboard did not answer {url} within {START_TIMEOUT:.0f} s; its "
                    f"output:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield url
    finally:
        end_group(server, grace=15)


def dashboard_command(port: int) -> list[str]:
    """The real command: ``coprod dashboard`` on 127.0.0.1:``port``."""
    command = [sys.executable, "-m", "coprod_sim", "dashboard", "--port", str(port)]
    return [*command, "--host", "127.0.0.1"]


@pytest.fixture(scope="session")
def dashboard_url() -> Iterator[str]:
    """The dashboard, started with the real ``coprod dashboard`` command; its URL."""
    port = free_port()
    with running_dashboard(dashboard_command(port), port) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (never downloaded)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        configured = os.environ.get("CHROMIUM")
        _unavailable(
            f"CHROMIUM={configured!r} is not a file"
            if configured
            else "no Chromium: set CHROMIUM=/path/to/chromium or install it "
            "(apt-get install chromium); the tests never download a browser"
        )
    expect.set_options(timeout=EXPECT_TIMEOUT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _full_page_screenshot(page, path: Path) -> None:
    """The whole page: the dashboard scrolls inside its sidebar and main panel rather than
    the document, so first grow the viewport to fit the tallest of them."""
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...[...document.querySelectorAll('*')]
                .filter((e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)
                               && e.scrollHeight > e.clientHeight)
                .map((e) => e.getBoundingClientRect().top + e.scrollHeight))"""
    )
    if height > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height), 12_000)})
    page.screenshot(path=str(path), full_page=True)


def _artifact_name(node_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name).strip("_") or "test"


@pytest.fixture
def page(browser, dashboard_url: str, request: pytest.FixtureRequest):
    """A fresh tab on the dashboard, at month 0 with its seven charts drawn."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"[pageerror] {err}"))
    page.on(
        "response",
        lambda r: console.append(f"[http {r.status}] {r.url}") if r.status >= 400 else None,
    )
    try:
        page.goto(dashboard_url)
        # Month 0, or the Python traceback Solara puts in the page when the app fails (then
        # fail at once with it, instead of waiting out the timeout).
        shown = page.wait_for_function(
            """() => {
                const month = document.querySelector('.cs-month');
                if (month && /^Month 0 of \\d+$/.test(month.textContent.trim())) {
                    return 'ready';
                }
                const text = document.body ? document.body.innerText : '';
                const at = text.indexOf('Traceback (most recent call last)');
                return at >= 0 ? text.slice(at, at + 4000) : false;
            }""",
            timeout=PAGE_TIMEOUT,
        ).json_value()
        if shown != "ready":
            pytest.fail(f"the dashboard shows an error instead of month 0:\n{shown}")
        expect(page.locator(".cs-month")).to_have_text(re.compile(r"^Month 0 of \d+$"))
        page.wait_for_function(
            """(n) => {
                const plots = document.querySelectorAll('.js-plotly-plot');
                return plots.length === n && [...plots].every((p) => (p.data || []).length > 0);
            }""",
            arg=N_CHARTS,
            timeout=PAGE_TIMEOUT,
        )
        yield page
    finally:
        name = _artifact_name(request.node.name)
        try:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            _full_page_screenshot(page, SCREENSHOTS / f"{name}.png")
        except Exception as err:  # a screenshot must never hide the test's own result
            warnings.warn(f"no screenshot for {name}: {err}", stacklevel=1)
        CONSOLE.mkdir(parents=True, exist_ok=True)
        (CONSOLE / f"{name}.log").write_text("\n".join(console) + "\n", encoding="utf-8")
        context.close()
    # The server's Content-Security-Policy must let the page do all it does (offline).
    blocked = [line for line in console if "Content Security Policy" in line]
    assert not blocked, "the page broke its Content-Security-Policy:\n" + "\n".join(blocked)
