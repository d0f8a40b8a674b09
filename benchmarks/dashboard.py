"""Performance harness for the dashboard: first page load, one month's step and redraw, play.

Run from the repository root::

    python benchmarks/dashboard.py            # the full set (about 1.5 minutes)
    python benchmarks/dashboard.py --quick    # smoke run: fewer loads and steps

It starts ``coprod dashboard`` on a free port of 127.0.0.1 (and stops it at the end, also
after an error) and drives Debian's headless chromium (``/usr/bin/chromium``, given to
Playwright as ``executable_path``; no browser is downloaded). The page is the baseline
scenario at 1,000 citizens. Like ``engine.py``, it is not a test: it asserts nothing and
exits 0 whether or not a target is met; the ``status`` column says ``ok`` or ``MISS`` for
rows with a target and ``info`` for context.

Browser times are taken in the page (``performance.now()``): from the click to the last of
the events that finish a step (the month label changing, found by a ``MutationObserver``,
and plotly's ``plotly_restyle`` event on each of the seven charts, which plotly emits once
the chart is redrawn). The wall-clock time seen from Python, which adds Playwright's own
round trips, is printed beside it for information.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from time import perf_counter, sleep, thread_time

import numpy as np
from _harness import (  # benchmarks/ is on sys.path when run as a script
    Row,
    cpu_model,
    progress,
    table,
)
from targets import DASHBOARD_LOAD, DASHBOARD_STEP  # every target is defined once

try:  # only for the browser's CPU time; the harness works without it
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]
VIEWPORT = {"width": 1400, "height": 1000}  # wide enough for two charts a row
LINE_VIEWS = ("participation", "gap", "trust", "value", "resilience", "inequality")
VIEWS = (*LINE_VIEWS, "network")
BY_GROUP = "participation_by_group"  # meta of the inequality view's bars (not a line)
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Plan:
    """What to measure, and how hard."""

    warm_loads: int = 5  # page loads after the first, each in a fresh browser context
    warmup_steps: int = 3  # browser steps before timing (the first ones pay for warm-up)
    steps: int = 40  # timed browser steps
    server_warmup: int = 3
    server_steps: int = 100  # timed server-side steps (no browser)
    play_seconds: float = 5.0


FULL = Plan()
QUICK = Plan(warm_loads=2, warmup_steps=2, steps=10, server_steps=20, play_seconds=3.0)


# ---------------------------------------------------------------------------- helpers
def ms_stats(values: list[float]) -> tuple[float, float, float]:
    """Median, 90th percentile and maximum."""
    a = np.asarray(values, dtype=float)
    return float(np.median(a)), float(np.percentile(a, 90)), float(a.max())


def fmt_ms(values: list[float]) -> str:
    median, p90, top = ms_stats(values)
    return f"{median:.0f} ms (p90 {p90:.0f}, max {top:.0f})"


def short(err: BaseException) -> str:
    return str(err).strip().splitlines()[0][:60] if str(err).strip() else type(err).__name__


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, from ``/proc/<pid>/stat``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_gb(pid: int) -> float | None:
    """Peak resident memory (``VmHWM``) of a live process, in GB (1e9 bytes)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return None


def browser_cpu() -> dict[str, float]:
    """CPU seconds of this harness's chromium processes, by kind (renderer, gpu, other).

    Only processes this script started (its children) are read; without psutil, empty.
    """
    if psutil is None:
        return {}
    out = {"renderer": 0.0, "gpu": 0.0, "other": 0.0}
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" not in proc.name():
                continue
            cmd = " ".join(proc.cmdline())
            kind = (
                "gpu"
                if "--type=gpu-process" in cmd
                else "renderer"
                if "--type=renderer" in cmd
                else "other"
            )
            t = proc.cpu_times()
            out[kind] += t.user + t.system
        except psutil.Error:
            continue
    return out


# ---------------------------------------------------------------------------- the server
class ServerError(RuntimeError):
    """The dashboard server did not start."""


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path
    started_s: float  # seconds from launch until it accepted connections

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


@contextmanager
def dashboard_server(folder: Path) -> Iterator[Server]:
    """``coprod dashboard`` on a free port, in its own process group; always stopped."""
    port = free_port()
    log = folder / "server.log"
    cmd = [sys.executable, "-m", "coprod_sim", "dashboard", "--port", str(port)]
    with open(log, "wb") as out:
        start = perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        while True:  # a TCP probe only: no page is requested before the cold load
            if proc.poll() is not None:
                raise ServerError(f"the dashboard server exited:\n{log.read_text()[-2000:]}")
            if perf_counter() - start > 60:
                raise ServerError("the dashboard server did not listen within 60 s")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                sleep(0.05)
        yield Server(proc, port, log, perf_counter() - start)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group of this server only
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# ---------------------------------------------------------------------------- page scripts
READY_JS = """
([views, month]) => {
  const label = document.querySelector('.cs-month');
  if (!label || !label.textContent.trim().startsWith(`Month ${month} of`)) return false;
  return views.every((key) => {
    const p = document.querySelector(`.cs-view-${key} .js-plotly-plot`);
    return p && p.data && p.data.length > 0 && p.querySelector('.main-svg');
  });
}
"""

# Counters for the step and play tests: each chart counts its plotly_restyle events (emitted
# after the redraw) and notes when they came; a MutationObserver notes when the month label
# changes. Installed once per page, after the charts exist (the chart elements stay when a
# reset rebuilds the figures, so the hooks are added only once).
INSTRUMENT_JS = """
(views) => {
  const label = () => ((document.querySelector('.cs-month') || {}).textContent || '').trim();
  window.__cs = {monthAt: {}, log: []};
  for (const key of views) {
    const div = document.querySelector(`.cs-view-${key} .js-plotly-plot`);
    div.__csCount = 0;
    div.__csAt = 0;
    div.__csTimes = [];
    if (!div.__csHooked) {
      div.__csHooked = true;
      div.on('plotly_restyle', () => {
        const t = performance.now();
        div.__csCount += 1;
        div.__csAt = t;
        div.__csTimes.push(t);
      });
    }
  }
  if (window.__csObserver) window.__csObserver.disconnect();
  let last = label();
  window.__csObserver = new MutationObserver(() => {
    const now = label();
    if (now === last) return;
    last = now;
    const t = performance.now();
    window.__cs.monthAt[now] = t;
    window.__cs.log.push([t, now]);
  });
  const row = document.querySelector('.cs-month').parentElement;
  window.__csObserver.observe(row, {subtree: true, childList: true, characterData: true});
}
"""

COUNTS_JS = """
(views) => Object.fromEntries(views.map(
  (key) => [key, document.querySelector(`.cs-view-${key} .js-plotly-plot`).__csCount]))
"""

CLICK_JS = """
(selector) => { const t = performance.now(); document.querySelector(selector).click(); return t; }
"""

PAUSE_JS = """
() => {
  const t = performance.now();
  const button = document.querySelector('.cs-play');
  if (button.textContent.includes('Pause')) button.click();
  return t;
}
"""

# After a reset: the label shows month 0 and every line has a single point again.
POINTS_JS = """
({month, lines, byGroup}) => {
  const text = ((document.querySelector('.cs-month') || {}).textContent || '').trim();
  if (!text.startsWith(`Month ${month} of`)) return false;
  return lines.every((key) => {
    const div = document.querySelector(`.cs-view-${key} .js-plotly-plot`);
    const metric = ((div && div.data) || []).filter(
      (t) => typeof t.meta === 'string' && t.meta !== byGroup);
    return metric.length && metric.every((t) => t.x && t.x.length === month + 1);
  });
}
"""

PLAY_LOG_JS = """
() => ({
  log: window.__cs.log,
  redraws: document.querySelector('.cs-view-network .js-plotly-plot').__csTimes,
})
"""

# Done when the label shows the month, every line chart has been redrawn since the click and
# its metric lines have month + 1 points, and the network chart has been redrawn (its node
# colours restyled). Returns the in-page times of those events.
STEP_DONE_JS = """
({month, before, lines, byGroup}) => {
  const text = ((document.querySelector('.cs-month') || {}).textContent || '').trim();
  if (!text.startsWith(`Month ${month} of`)) return false;
  const at = {};
  for (const key of Object.keys(before)) {
    const div = document.querySelector(`.cs-view-${key} .js-plotly-plot`);
    if (!div || div.__csCount <= before[key]) return false;
    if (lines.includes(key)) {
      const metric = div.data.filter((t) => typeof t.meta === 'string' && t.meta !== byGroup);
      if (!metric.length || metric.some((t) => !t.x || t.x.length !== month + 1)) return false;
    }
    at[key] = div.__csAt;
  }
  return {at, month: window.__cs.monthAt[text] || performance.now()};
}
"""

MONTH_JS = "() => ((document.querySelector('.cs-month') || {}).textContent || '').trim()"


def month_of(text: str) -> int:
    """The month number in 'Month N of H'."""
    return int(text.split()[1])


# ---------------------------------------------------------------------------- browser parts
STATE_JS = """
(views) => [
  ((document.querySelector('.cs-month') || {}).textContent || '').trim(),
  views.filter((key) => {
    const p = document.querySelector(`.cs-view-${key} .js-plotly-plot`);
    return p && p.data && p.data.length > 0;
  }).length,
]
"""

FIRST_CHART_JS = """
(views) => views.some((key) => {
  const p = document.querySelector(`.cs-view-${key} .js-plotly-plot`);
  return p && p.data && p.data.length > 0;
})
"""


class PageError(Exception):
    """A page did not get where it should; the message says what it showed."""


def page_state(page) -> str:
    try:
        label, drawn = page.evaluate(STATE_JS, list(VIEWS))
    except Exception:
        return "page not readable"
    return f"label {label or 'none'!r}, {drawn} of {len(VIEWS)} charts"


def load_seconds(browser, url: str) -> dict[str, float]:
    """Seconds from ``goto`` in a fresh context until month 0 and all seven charts show
    ('ready'), and until the month label and the first chart showed on the way."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        start = perf_counter()
        try:
            page.goto(url, timeout=TIMEOUT_MS, wait_until="commit")
            page.wait_for_selector(".cs-month", timeout=TIMEOUT_MS)
            label = perf_counter() - start
            page.wait_for_function(FIRST_CHART_JS, arg=list(VIEWS), timeout=TIMEOUT_MS)
            first = perf_counter() - start
            page.wait_for_function(READY_JS, arg=[list(VIEWS), 0], timeout=TIMEOUT_MS)
        except Exception as err:
            raise PageError(f"{short(err)} ({page_state(page)})") from err
        return {"ready": perf_counter() - start, "label": label, "first": first}
    finally:
        context.close()


def load_rows(browser, server: Server, plan: Plan) -> list[Row]:
    cold_label = "first load, cold (first page after start)"
    rows = []
    progress("cold first load (the first page since the server started)")
    try:
        cold = load_seconds(browser, server.url)["ready"]
        rows.append(Row.judged(cold_label, f"{cold:.2f} s", DASHBOARD_LOAD, cold))
    except Exception as err:
        rows.append(Row.judged(cold_label, f"failed: {short(err)}", DASHBOARD_LOAD, None))
    progress(f"{plan.warm_loads} warm loads, each in a fresh browser context")
    try:
        cpu = cpu_seconds(server.proc.pid)
        warm = [load_seconds(browser, server.url) for _ in range(plan.warm_loads)]
        cpu = (cpu_seconds(server.proc.pid) - cpu) / plan.warm_loads
    except Exception as err:
        return [
            *rows,
            Row.judged("first load, warm", f"failed: {short(err)}", DASHBOARD_LOAD, None),
        ]
    ready = [w["ready"] for w in warm]
    median = statistics.median(ready)
    return [
        *rows,
        Row.judged(
            f"first load, warm (median of {plan.warm_loads} fresh contexts)",
            f"{median:.2f} s",
            DASHBOARD_LOAD,
            median,
        ),
        Row("  warm loads, min / max", f"{min(ready):.2f} s / {max(ready):.2f} s"),
        Row(
            "  warm: month label / first chart shown at (median)",
            f"{statistics.median(w['label'] for w in warm):.2f} s / "
            f"{statistics.median(w['first'] for w in warm):.2f} s",
        ),
        Row("  server CPU per warm load", f"{cpu:.2f} s"),
    ]


def one_step(page, month: int) -> tuple[float, float, dict[str, float]]:
    """Click Step once and wait for month ``month`` everywhere.

    Returns (in-page ms from the click to the last event, wall ms seen from Python, ms
    from the click to each event: 'month' and each view's key).
    """
    before = page.evaluate(COUNTS_JS, list(VIEWS))
    wall = perf_counter()
    clicked = page.evaluate(CLICK_JS, ".cs-step")
    done = page.wait_for_function(
        STEP_DONE_JS,
        arg={"month": month, "before": before, "lines": list(LINE_VIEWS), "byGroup": BY_GROUP},
        polling=5,
        timeout=TIMEOUT_MS,
    ).json_value()
    wall = (perf_counter() - wall) * 1e3
    events = {"month": done["month"] - clicked, **{k: t - clicked for k, t in done["at"].items()}}
    return max(events.values()), wall, events


def step_rows(browser, server: Server, plan: Plan) -> tuple[list[Row], object]:
    """Steps in the browser; returns the rows and the page (kept for the play test)."""
    label = f"step + redraw of all 7 views, browser (median of {plan.steps})"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(server.url, timeout=TIMEOUT_MS)
        page.wait_for_function(READY_JS, arg=[list(VIEWS), 0], timeout=TIMEOUT_MS)
        page.evaluate(INSTRUMENT_JS, list(VIEWS))
        progress(f"{plan.warmup_steps} warm-up steps in the browser")
        month = 0
        warm = []
        for _ in range(plan.warmup_steps):
            month += 1
            warm.append(one_step(page, month)[0])
        progress(f"{plan.steps} timed steps in the browser")
        totals, walls, events = [], [], []
        cpu0, browser0 = cpu_seconds(server.proc.pid), browser_cpu()
        for _ in range(plan.steps):
            month += 1
            total, wall, ev = one_step(page, month)
            totals.append(total)
            walls.append(wall)
            events.append(ev)
        server_cpu = (cpu_seconds(server.proc.pid) - cpu0) * 1e3 / plan.steps
        browser1 = browser_cpu()
    except Exception as err:
        failed = f"failed: {short(err)} ({page_state(page)})"
        return [Row.judged(label, failed, DASHBOARD_STEP, None)], page

    median, p90, top = ms_stats(totals)
    lines_at = [max(ev[k] for k in LINE_VIEWS) for ev in events]
    per_view = " / ".join(f"{statistics.median(ev[key] for ev in events):.0f}" for key in VIEWS)
    rows = [
        Row.judged(label, f"{median:.0f} ms", DASHBOARD_STEP, median),
        Row("  p90 / max", f"{p90:.0f} ms / {top:.0f} ms"),
        Row("  wall time seen from Python (adds Playwright)", fmt_ms(walls)),
        Row(
            f"  first {plan.warmup_steps} steps (not in the median)",
            " / ".join(f"{t:.0f}" for t in warm) + " ms",
        ),
        Row(
            "  click -> month label changed (median)",
            f"{statistics.median(ev['month'] for ev in events):.0f} ms",
        ),
        Row("  click -> last line chart redrawn (median)", f"{statistics.median(lines_at):.0f} ms"),
        Row(
            "  click -> network view redrawn (median)",
            f"{statistics.median(ev['network'] for ev in events):.0f} ms",
        ),
        Row("  each view redrawn, ms after the click (median; *)", per_view),
        Row("  server CPU per step (process, all threads)", f"{server_cpu:.0f} ms"),
    ]
    if browser0 and browser1:
        per = {k: (browser1[k] - browser0[k]) * 1e3 / plan.steps for k in browser0}
        rows.append(
            Row(
                "  chromium CPU per step: page / gpu (swiftshader) / other",
                f"{per['renderer']:.0f} / {per['gpu']:.0f} / {per['other']:.0f} ms",
            )
        )
    else:
        rows.append(Row("  chromium CPU per step", "not measured (no psutil)"))
    return rows, page


def play_rows(page, plan: Plan) -> list[Row]:
    """Reset, pick 'fastest', play for ``plan.play_seconds`` and count the months shown.

    The months and redraws are read from the page's own log (in-page times), so a busy page
    that answers Playwright late does not skew them.
    """
    label = "playing at 'fastest': months/s shown on the page"
    window = plan.play_seconds
    try:
        page.evaluate(CLICK_JS, ".cs-reset")
        page.wait_for_function(
            POINTS_JS,
            arg={"month": 0, "lines": list(LINE_VIEWS), "byGroup": BY_GROUP},
            timeout=TIMEOUT_MS,
        )
        page.locator(".cs-speed button", has_text="fastest").click()
        page.wait_for_function(
            "() => document.querySelector('.cs-speed .v-btn--active').textContent.trim() "
            "=== 'fastest'",
            timeout=TIMEOUT_MS,
        )
        page.evaluate(INSTRUMENT_JS, list(VIEWS))
        progress(f"playing at 'fastest' for {window:g} s")
        started = page.evaluate(CLICK_JS, ".cs-play")
        sleep(window)
        paused = page.evaluate(PAUSE_JS)  # no click if it stopped at the horizon
        last, waited = page.evaluate(MONTH_JS), perf_counter()
        still = waited
        while perf_counter() - still < 1.0 and perf_counter() - waited < 30:
            sleep(0.1)
            now = page.evaluate(MONTH_JS)
            if now != last:
                last, still = now, perf_counter()
        settled = still - waited
        logged = page.evaluate(PLAY_LOG_JS)
    except Exception as err:
        return [Row(label, f"failed: {short(err)}")]
    end = started + window * 1e3
    shown = [(t, month_of(text)) for t, text in logged["log"] if started <= t <= end]
    months = shown[-1][1] if shown else 0
    horizon = int(last.split()[-1])
    updates = len(shown)
    redraws = sum(1 for t in logged["redraws"] if started <= t <= end)
    late = (paused - end) / 1e3  # the Pause click ran this late: the page was busy
    if months >= horizon:  # the run ended inside the window: the rate up to the end
        seconds = (shown[-1][0] - started) / 1e3
        reached = f"{months} (the end) after {seconds:.1f} s"
    else:
        seconds = window
        reached = f"{months} after {window:g} s"
    return [
        Row(label, f"{months / seconds:.1f} months/s"),
        Row("  month shown after Play", reached),
        Row(
            "  month label updates / network redraws per s",
            f"{updates / seconds:.1f} / {redraws / seconds:.1f}",
        ),
        Row("  after Pause: month shown once settled", f"{month_of(last)} ({settled:.1f} s later)"),
        Row("  Pause click delayed by a busy page", f"{max(late, 0):.1f} s"),
    ]


# ---------------------------------------------------------------------------- server side
def server_rows(plan: Plan) -> list[Row]:
    """One step and every refresh (the restyle patches, encoded as the page sends them) in
    this process, without Solara, websocket or browser."""
    progress("server side: importing, building the seven figures")
    import json

    import pandas as pd

    from coprod_sim import scenario_files
    from coprod_sim.dashboard import session, views
    from coprod_sim.dashboard.widgets import _plain, figure_json

    sess = session.Session(scenario_files.load("baseline"))

    def encode(ops: list) -> str:
        return json.dumps([{"update": _plain(u), "traces": list(t)} for u, t in ops])

    def build() -> tuple[list, object, object]:
        figures = []
        for view in views.VIEWS:
            agents = sess.agents() if view.uses_agents else pd.DataFrame()
            fig = views.live_figure(view, sess.timeseries(), agents, sess.horizon)
            figure_json(fig)
            figures.append((view, fig))
        layout = views.network_layout(sess.model)
        network = views.network_figure(sess.model, layout, "participation")
        figure_json(network)
        return figures, layout, network

    start = perf_counter()
    build()  # the first time also pays for plotly's lazy imports
    first_build = perf_counter() - start
    start = perf_counter()
    figures, layout, network = build()
    build_again = perf_counter() - start

    parts: dict[str, list[float]] = {"step": [], "lines": [], "inequality": [], "network": []}
    totals, cpu = [], []
    progress(f"server side: {plan.server_steps} steps with every refresh")
    for k in range(plan.server_warmup + plan.server_steps):
        c0 = thread_time()
        t0 = perf_counter()
        sess.step()
        t1 = perf_counter()
        lines = 0.0
        for view, fig in figures:
            a = perf_counter()
            state = sess.model.state if view.uses_agents else None
            encode(views.refresh(fig, sess.series(), state))
            if view.uses_agents:
                inequality = perf_counter() - a
            else:
                lines += perf_counter() - a
        t2 = perf_counter()
        encode(views.refresh_network(network, sess.model, layout, "participation"))
        t3 = perf_counter()
        if k >= plan.server_warmup:
            totals.append((t3 - t0) * 1e3)
            cpu.append((thread_time() - c0) * 1e3)
            parts["step"].append((t1 - t0) * 1e3)
            parts["lines"].append(lines * 1e3)
            parts["inequality"].append(inequality * 1e3)
            parts["network"].append((t3 - t2) * 1e3)
    n = sess.model.params.n_citizens
    median, p90, _ = ms_stats(totals)

    def med(name: str) -> str:
        return f"{statistics.median(parts[name]):.1f} ms"

    return [
        Row(
            f"server: step + 7 refreshes, {n:,} citizens (median of {plan.server_steps})",
            f"{median:.1f} ms (p90 {p90:.1f})",
        ),
        Row("  the same, CPU time of this thread (median)", f"{statistics.median(cpu):.1f} ms"),
        Row("  model step", med("step")),
        Row("  5 line views (refresh)", med("lines")),
        Row("  inequality view (refresh; bars from the arrays)", med("inequality")),
        Row("  network view (recolour)", med("network")),
        Row(
            "server: build the 7 figures, first time / again (each new page)",
            f"{first_build:.2f} s / {build_again:.2f} s",
        ),
    ]


# ---------------------------------------------------------------------------- report
def header(plan: Plan, quick: bool, browser_version: str, load_start: float) -> list[str]:
    from coprod_sim import scenario_files

    names = ("coprod-sim", "solara", "plotly", "ipywidgets", "anywidget", "playwright")
    versions = ", ".join(f"{name} {version(name)}" for name in names)
    mode = "quick (smoke run)" if quick else "full"
    citizens = scenario_files.load("baseline").parameters()["n_citizens"]
    return [
        "coprod_sim dashboard benchmark",
        f"date      {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine   {platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()})",
        f"load      {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-min load "
        "average; other work on the machine slows every figure)",
        f"python    {platform.python_version()} ({platform.python_implementation()})",
        f"packages  {versions}",
        f"browser   {browser_version} headless, {' '.join(CHROMIUM_ARGS)}",
        f"mode      {mode}: {plan.warm_loads} warm loads, {plan.warmup_steps} + {plan.steps} "
        f"browser steps, {plan.server_steps} server steps, play {plan.play_seconds:g} s; "
        f"baseline scenario, {citizens:,} citizens",
    ]


NOTES = """\
(*) in page order: participation, gap, trust, value, resilience, inequality, network.
Browser step times run from the click to the last of: the month label changing and each chart's
plotly_restyle event (emitted once it is redrawn), in the page's own clock; the final paint adds
up to a frame. CPU per step is summed over the server process and over this harness's chromium
processes (the gpu process rasterises WebGL and composites in software here: no GPU). The
server-side rows run the same refresh code and JSON encoding in this process, without Solara,
websocket or browser."""


def browser_rows(plan: Plan, chromium: str, only_steps: bool = False) -> tuple[list[Row], str]:
    """Every figure that needs the server and the browser; the browser's version.

    With ``only_steps``, only the server start and the step + redraw rows (no page-load
    timings, no play test): what ``run_all.py`` reports.
    """
    from playwright.sync_api import sync_playwright

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        progress("starting chromium")
        try:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except Exception as err:  # no browser: say so, still exit 0
            print(err, file=sys.stderr)
            return [Row("chromium", f"failed to start: {short(err)}")], f"{chromium} (not started)"
        try:
            warm = browser.new_context()  # the browser's own start-up is not a page load
            warm.new_page().goto("about:blank")
            warm.close()
            progress("starting the dashboard server")
            try:
                with dashboard_server(Path(tmp)) as server:
                    rows.append(
                        Row(
                            "server start until it accepts connections", f"{server.started_s:.1f} s"
                        )
                    )
                    if not only_steps:
                        rows.extend(load_rows(browser, server, plan))
                    more, page = step_rows(browser, server, plan)
                    rows.extend(more)
                    if not only_steps:
                        rows.extend(play_rows(page, plan))
                    peak = peak_rss_gb(server.proc.pid)
                    rows.append(
                        Row(
                            "server peak memory (VmHWM) after all pages",
                            f"{peak:.2f} GB" if peak is not None else "not available",
                        )
                    )
            except ServerError as err:  # the server did not start: say so, still exit 0
                print(err, file=sys.stderr)
                rows.append(Row("dashboard server", f"failed to start: {short(err)}"))
            return rows, f"Chromium {browser.version}"
        finally:
            browser.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: fewer page loads and steps"
    )
    parser.add_argument("--chromium", default=CHROMIUM, help=f"browser binary (default {CHROMIUM})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    load_start = os.getloadavg()[0]
    rows = server_rows(plan)  # first, while nothing else of ours runs
    more, browser_version = browser_rows(plan, args.chromium)
    lines = header(plan, args.quick, browser_version, load_start)
    print("\n".join([*lines, *table([*more, *rows]), NOTES]))


if __name__ == "__main__":
    main()
