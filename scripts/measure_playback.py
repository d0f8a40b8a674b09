"""Measure how long the dashboard takes to play the baseline's 120 months at each speed.

Starts ``coprod dashboard`` on a free port, drives headless Chromium (Debian's, at
``$CHROMIUM`` or /usr/bin/chromium) with Playwright as a workshop would: a fresh page, pick
the speed, press Play, and time until the month counter reads 120. Prints one line per speed
and stops the server. The figures in docs/workshop.md come from this script:

    .venv/bin/python scripts/measure_playback.py normal fast fastest
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

MONTHS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the dashboard did not answer at {url}")


def play_seconds(browser, url: str, speed: str) -> float:
    """Seconds from pressing Play to the counter showing month 120, at ``speed``."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.locator(".cs-month").filter(has_text=re.compile(r"^Month 0 of")).wait_for(timeout=90_000)
    page.locator(".cs-speed").get_by_role("button", name=speed, exact=True).click()
    started = time.perf_counter()
    page.locator(".cs-play").click()
    page.locator(".cs-month").filter(has_text=f"Month {MONTHS} of").wait_for(timeout=600_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def main(speeds: list[str]) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "coprod_sim", "dashboard", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(url)
        with sync_playwright() as p:
            chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            for speed in speeds:
                print(f"{speed}: {MONTHS} months in {play_seconds(browser, url, speed):.1f} s")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1:] or ["normal", "fast", "fastest"])
