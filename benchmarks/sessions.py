"""Many dashboard sessions at once: the server's memory and step latency, and memory after.

Run from the repository root::

    python benchmarks/sessions.py            # 1, 5 and 20 sessions (a few minutes)
    python benchmarks/sessions.py --quick    # 1 and 3 sessions: a smoke run

It starts ``coprod dashboard`` like ``dashboard.py`` (same server start and page scripts) and
opens one headless chromium with one browser context (so one dashboard session) per page. For
each count N, N-1 pages play at 'normal' speed while the last one clicks Step; the step
latency is its click-to-month-label time (in the page's clock). Then every page runs a
comparison (a few at a time: the server's cap on comparisons in flight) and every page is
closed as a user closes a tab (``beforeunload`` fires, Solara closes the session). The
server's resident memory (``VmRSS``) is read before, at the peak and after the sessions
closed; the server collects garbage and returns freed memory when a session closes (the
dashboard's close hook), so "after" is after gc. Like the other scripts, it asserts nothing
and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter, sleep

from _harness import Row, progress, table  # benchmarks/ is on sys.path when run as a script
from dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CLICK_JS,
    MONTH_JS,
    PAUSE_JS,
    READY_JS,
    TIMEOUT_MS,
    VIEWS,
    dashboard_server,
    ms_stats,
    short,
)
from targets import SESSIONS_MEMORY

from coprod_sim.dashboard.session import MAX_RUNS_IN_FLIGHT


@dataclass(frozen=True)
class Plan:
    counts: tuple[int, ...] = (1, 5, 20)  # sessions open at once
    steps: int = 10  # timed Step clicks of the probe page per count
    play_seconds: float = 5.0  # playing before the Step clicks start
    compare_seeds: int = 2  # seeds per side of each session's comparison
    settle_seconds: float = 10.0  # after the last page closed, before memory is read


FULL = Plan()
QUICK = Plan(counts=(1, 3), steps=3, play_seconds=2.0)

# Done when the label shows a month other than the one before the click; returns that time.
STEP_SEEN_JS = """
(before) => {
  const text = ((document.querySelector('.cs-month') || {}).textContent || '').trim();
  return text && text !== before ? performance.now() : false;
}
"""

COMPARE_STATE_JS = """
() => document.querySelector('.cs-compare-results') ? 'done'
  : document.querySelector('.cs-compare-error') ? 'refused' : ''
"""


def click(page, selector: str) -> None:
    """Click in the page's own script: a busy page (charts redrawing) never times it out."""
    page.wait_for_selector(selector, timeout=TIMEOUT_MS)
    page.evaluate(CLICK_JS, selector)


def rss_mb(pid: int) -> float:
    """Resident memory (``VmRSS``) of a live process, in MB (1e6 bytes)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def open_page(browser, url: str):
    """A fresh context (a new session) on the dashboard, once its month 0 and charts show."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_function(READY_JS, arg=[list(VIEWS), 0], timeout=TIMEOUT_MS)
    return page


def close_page(page) -> None:
    """Close like a user closing the tab: ``beforeunload`` sends Solara's close beacon."""
    page.close(run_before_unload=True)
    sleep(0.5)  # the beacon is sent while the page unloads
    page.context.close()


def step_latencies(page, steps: int) -> list[float]:
    """Milliseconds from each Step click to the month label changing, in the page's clock."""
    out = []
    for _ in range(steps):
        before = page.evaluate(MONTH_JS)
        clicked = page.evaluate(CLICK_JS, ".cs-step")
        seen = page.wait_for_function(STEP_SEEN_JS, arg=before, timeout=TIMEOUT_MS).json_value()
        out.append(seen - clicked)
    return out


def compare_all(pages: list, seeds: int) -> int:
    """Every page runs a two-scenario comparison over ``seeds`` seeds, at most
    :data:`MAX_RUNS_IN_FLIGHT` at a time; the number refused by the cap (then retried)."""
    refused = 0
    for page in pages:
        click(page, ".cs-tab-compare")
        field = page.locator(".cs-compare-seeds input")
        # With 20 sessions the server answers slowly just after they stop playing: wait for
        # the field as long as for a comparison (a 60 s limit lost the 20-session round).
        field.fill(str(seeds), timeout=10 * TIMEOUT_MS)
        field.press("Enter", timeout=10 * TIMEOUT_MS)
    for k in range(0, len(pages), MAX_RUNS_IN_FLIGHT):
        batch = pages[k : k + MAX_RUNS_IN_FLIGHT]
        for page in batch:
            click(page, ".cs-compare-run")
        for page in batch:
            while True:
                page.wait_for_function(COMPARE_STATE_JS, timeout=10 * TIMEOUT_MS)
                if page.evaluate(COMPARE_STATE_JS) == "done":
                    break
                refused += 1  # another session's run was still in flight: try again
                sleep(1.0)
                click(page, ".cs-compare-run")
    return refused


def round_rows(browser, server, n: int, plan: Plan) -> list[Row]:
    """N sessions: N-1 playing, one stepping; then all compare and close."""
    progress(f"{n} session(s): opening")
    pages = [open_page(browser, server.url) for _ in range(n)]
    try:
        for page in pages[:-1]:
            click(page, ".cs-play")
        sleep(plan.play_seconds)
        progress(f"{n} session(s): {n - 1} playing, {plan.steps} timed steps in the last")
        latencies = step_latencies(pages[-1], plan.steps)
        playing_mb = rss_mb(server.proc.pid)
        months = [month for month in (p.evaluate(MONTH_JS) for p in pages[:-1])]
        for page in pages[:-1]:
            page.evaluate(PAUSE_JS)  # no click if it stopped at the horizon
        progress(f"{n} session(s): a comparison in each ({plan.compare_seeds} seeds a side)")
        started = perf_counter()
        refused = compare_all(pages, plan.compare_seeds)
        compare_s = perf_counter() - started
        compared_mb = rss_mb(server.proc.pid)
    finally:
        for page in pages:
            close_page(page)
    median, p90, top = ms_stats(latencies)
    rows = [
        Row(
            f"{n} session(s): step latency, {n - 1} others playing (median of {plan.steps})",
            f"{median:.0f} ms (p90 {p90:.0f}, max {top:.0f})",
        ),
        Row(f"  server memory while {n - 1} play", f"{playing_mb:.0f} MB"),
        Row(f"  server memory after {n} comparisons", f"{compared_mb:.0f} MB"),
        Row(
            f"  {n} comparisons, wall (refused by the cap, retried)",
            f"{compare_s:.1f} s ({refused})",
        ),
    ]
    if months:
        rows.append(
            Row("  months reached by the playing pages", " ".join(m.split()[1] for m in months))
        )
    return rows


def settled_rss(pid: int, seconds: float) -> float:
    """The server's memory once the closed sessions are gone: the lowest reading over
    ``seconds`` (the close hook collects garbage a moment after each close)."""
    low = rss_mb(pid)
    end = perf_counter() + seconds
    while perf_counter() < end:
        sleep(0.5)
        low = min(low, rss_mb(pid))
    return low


def measure(plan: Plan, chromium: str) -> list[Row]:
    from playwright.sync_api import sync_playwright

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            with dashboard_server(Path(tmp)) as server:
                cold = settled_rss(server.proc.pid, 2.0)
                progress("one warm-up session (the first page loads Solara's lazy parts)")
                close_page(open_page(browser, server.url))
                start = settled_rss(server.proc.pid, plan.settle_seconds)
                rows += [
                    Row("server memory at start, before any page", f"{cold:.0f} MB"),
                    Row("server memory after one session opened and closed", f"{start:.0f} MB"),
                ]
                for n in plan.counts:
                    try:
                        rows += round_rows(browser, server, n, plan)
                    except Exception as err:  # a round that fails says so; the rest goes on
                        rows.append(Row(f"{n} session(s)", f"failed: {short(err)}"))
                    after = settled_rss(server.proc.pid, plan.settle_seconds)
                    ratio = after / start
                    figure = f"  server memory after the {n} closed / after one"
                    value = f"{after:.0f} MB ({ratio:.2f}x)"
                    if n == max(plan.counts) and n >= 20:
                        rows.append(Row.judged(figure, value, SESSIONS_MEMORY, ratio))
                    else:
                        rows.append(Row(figure, value))
        finally:
            browser.close()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 3 sessions: a smoke run")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"browser binary (default {CHROMIUM})")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    try:
        rows = measure(plan, args.chromium)
    except Exception as err:  # no browser or no server: say so, still exit 0
        print(err, file=sys.stderr)
        rows = [Row("sessions benchmark", f"failed: {short(err)}")]
    print("\n".join(["coprod_sim dashboard sessions benchmark", *table(rows)]))


if __name__ == "__main__":
    main()
