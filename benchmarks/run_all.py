"""The whole benchmark suite in one run: prints the table, writes RESULTS.md.

Run from the repository root::

    python benchmarks/run_all.py                 # everything; writes benchmarks/RESULTS.md
    python benchmarks/run_all.py --quick         # smoke run (about a minute): prints only
    python benchmarks/run_all.py --no-million --no-dashboard --no-sweep

It reuses the measurements of ``engine.py``, ``peer.py``, ``dashboard.py``, ``sweep.py`` and
``startup.py``.
The table goes to stdout, progress to stderr. RESULTS.md is written atomically (a temporary
file, then ``os.replace``) with the machine, versions, date, command, the table, what each row
measures and a 'Missed targets' section: for each MISS the measured value, the target, the
factor by which it was missed and the explanation recorded in :data:`WHY_MISSED`.

``--quick`` uses fewer steps and repeats and tiny versions of the 1M, dashboard and sweep
measurements; its figures are not valid results, so it writes a file only when ``--out`` is
given, and marks it as a smoke run. Like the other scripts, it asserts nothing and exits 0
whether or not a target is met.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import dashboard
import engine
import peer
import sessions
import startup
import sweep
import targets as T
from _harness import Row, environment, progress, table, write_atomic
from targets import Target

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "RESULTS.md"
PACKAGES = ("numpy", "scipy", "mesa", "networkx", "coprod-sim")
NO_EXPLANATION = "no explanation recorded"

# Why a target was missed, keyed by target name (targets.py): filled in after the final
# measurement. An empty text means none is recorded yet; a missed target without one gets a
# warning on stderr and 'no explanation recorded' in RESULTS.md.
WHY_MISSED: dict[str, str] = {
    "engine_rate": (
        "A step is bound by passes over memory, not by arithmetic. At 100,000 citizens each "
        "state array is 0.8 MB and a step makes a few hundred whole-array numpy passes (every "
        "citizen's levels relax each month, the willingness indices are recomputed for all, "
        "the metrics average over all), so its working set is far larger than the caches and "
        "the cost is about 80 ns a citizen-step beyond a fixed 0.9 ms a step (the fixed + "
        "linear fit in docs/performance.md), against 10 ns for the limit kernel. The profile "
        "of a 120-month run (pyinstrument) splits it: participation about a third, learning "
        "over a quarter (mostly the neighbourhood signals; the citizens' levels learn beside "
        "them on the second core), outcomes, performance and offers 7-9% each, metrics 6%. "
        "The cost also rises with participation over the horizon (7% of citizens at month "
        "20, 15% at month 120): months 1-60 alone run at about 10 M/s, and 1,000,000 "
        "citizens, where the fixed part weighs less, above 10 M/s. The work of issue 7 took "
        "the figure from 5.3 M/s to this (docs/performance.md lists each change) with "
        "results unchanged to the bit; closing the rest would need fusing each submodel's "
        "updates into compiled loops (numba or C) or float32 state (half the memory traffic, "
        "but different results), both left out."
    ),
    "limit_ratio": (
        "The limit kernel makes 13 passes over 6 arrays that stay in cache at 100,000 (it "
        "runs at about 90-100 M/s there, 45-55 M/s at 1,000,000 where it too is "
        "memory-bound: there the ratio is about 5x). A model step touches some 40 state "
        "arrays plus the initiatives and the membership table, in a few hundred passes; see "
        "'engine_rate'. The ratio is the same gap seen from the other side: about 10 ns a "
        "citizen-step for the kernel against about 100 ns for the step."
    ),
    "peer_ratio": (
        "Mesa's virus_on_network does little per agent. With its default parameters the "
        "outbreak starts from one infected agent and has burnt out well within the 120 steps "
        "(the counts above); from then on an agent's step is two checks of its state, and "
        "over the run the peer averages about 1 microsecond an agent-step (shuffle, step and "
        "data collection). Our step has a fixed cost of about 0.9 ms, a few hundred numpy "
        "calls of 1-2 microseconds each whatever N, plus about 80 ns a citizen, so at 10,000 "
        "citizens it costs about 0.17 microseconds a citizen. The ratio grows with N (below 1x "
        "at 1,000, about 5x at 10,000; at 100,000 the peer would take minutes just to build). "
        "50x at 10,000 would need a whole step in 0.2 ms, less than the interpreter spends "
        "calling numpy that often: only a step compiled into a few calls could reach it."
    ),
    "million_time": "",
    "million_memory": "",
    "build_time": "",
    "dashboard_step": "",
    "sweep_rate": "",
    "sessions_memory": "",
    "sweep_scaling": "",
    "startup_help": "",
    "startup_params": "",
    "startup_imports": "",
}


@dataclass(frozen=True)
class Plan:
    """What to measure, and how hard. A size of 0 skips that part."""

    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)  # in-process throughput and limit
    warmup: int = 5  # steps before timing the limit kernel (ours and the peer start fresh)
    steps: int = 120  # steps per timed repeat: the default horizon, from a fresh model
    repeats: int = 5  # timed repeats; every throughput figure is their median
    build_n: int = 100_000
    million_n: int = 1_000_000  # citizens of the child-process run (0: skipped)
    million_steps: int = 120
    million_repeats: int = 5
    peer_sizes: tuple[int, ...] = (1_000, 10_000)
    peer_too_slow: int = 100_000  # named in the table as not measured
    dashboard: dashboard.Plan | None = dashboard.FULL  # None: skipped
    sessions: sessions.Plan | None = sessions.FULL  # None: skipped
    sweep_runs: int = 100  # runs per sweep (0: skipped)
    sweep_citizens: int = 1_000
    sweep_steps: int = 120
    sweep_repeats: int = 5
    startup_repeats: int = 3  # runs of each command (0: skipped)
    quick: bool = False  # a smoke run: its figures are not results

    def engine_plan(self) -> engine.Plan:
        return engine.Plan(warmup=self.warmup, steps=self.steps, repeats=self.repeats)


FULL = Plan()
QUICK = Plan(
    steps=12,
    repeats=2,
    million_n=100_000,
    million_steps=12,
    million_repeats=1,
    dashboard=dashboard.Plan(warm_loads=0, warmup_steps=1, steps=5),
    sessions=sessions.QUICK,
    sweep_runs=16,
    sweep_citizens=200,
    sweep_steps=12,
    sweep_repeats=1,
    quick=True,
)


# ---------------------------------------------------------------------------- helpers
def fmt_rate(rate: float) -> str:
    return f"{rate / 1e6:,.2f} M/s"


def judged_if(applies: bool, figure: str, value: str, target: Target, number: float) -> Row:
    """Judged against ``target`` if the measurement is the one the target is about (not a
    smaller quick-run stand-in); otherwise a row for information."""
    return Row.judged(figure, value, target, number) if applies else Row(figure, value)


def short(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:80] if text else type(err).__name__


@dataclass
class Section:
    """A titled part of the table, and the targets it would report."""

    title: str
    measure: Callable[[Plan, dict], list[Row]]
    targets: tuple[Target, ...] = ()


# ---------------------------------------------------------------------------- sections
def engine_section(plan: Plan, ours: dict) -> list[Row]:
    """Throughput at each size (kept in ``ours`` for the peer and limit ratios), build time."""
    rows = []
    eplan = plan.engine_plan()
    for n in plan.sizes:
        progress(f"engine: citizen-steps/s at {n:,} citizens")
        ours[n] = engine.citizen_steps_per_second(n, eplan)
        figure = f"citizen-steps/s, {n:,} citizens"
        rows.append(judged_if(n == 100_000, figure, fmt_rate(ours[n]), T.ENGINE_RATE, ours[n]))
    progress(f"engine: build time at {plan.build_n:,} citizens")
    seconds = engine.build_seconds(plan.build_n, plan.repeats)
    figure = f"build time, {plan.build_n:,} citizens"
    rows.append(
        judged_if(plan.build_n == 100_000, figure, f"{seconds:.2f} s", T.BUILD_TIME, seconds)
    )
    if not plan.million_n:
        rows.append(Row("1,000,000 citizens x 120 steps", "skipped (--no-million)"))
    return rows


def million_section(plan: Plan, ours: dict) -> list[Row]:
    """The big run in a fresh child process, ``million_repeats`` times (medians)."""
    n, steps = plan.million_n, plan.million_steps
    label = f"{n:,} citizens x {steps} steps"
    runs = []
    for k in range(plan.million_repeats):
        progress(f"engine: {label} in a fresh child process ({k + 1} of {plan.million_repeats})")
        runs.append(engine.big_run(n, steps))
    run = statistics.median(r["run"] for r in runs)
    build = statistics.median(r["build"] for r in runs)
    total = statistics.median(r["build"] + r["run"] for r in runs)
    wall = statistics.median(r["wall"] for r in runs)
    peak = max(r["peak_gb"] for r in runs) * 1e9
    ours[n] = n * steps / run
    applies = n == 1_000_000 and steps == 120
    return [
        Row(f"citizen-steps/s, {n:,} citizens ({steps} steps, child)", fmt_rate(ours[n])),
        judged_if(applies, f"{label}: build + run", f"{total:.1f} s", T.MILLION_TIME, total),
        Row("  of which build / run", f"{build:.1f} s / {run:.1f} s"),
        Row("  child wall incl. start-up, imports", f"{wall:.1f} s"),
        judged_if(
            applies, f"{label}: peak memory (RSS)", f"{peak / 1e9:.2f} GB", T.MILLION_MEMORY, peak
        ),
        Row("  peak memory per citizen (peak RSS / N)", f"{peak / n:,.0f} bytes"),
    ]


def peer_section(plan: Plan, ours: dict) -> list[Row]:
    rows = []
    build_s = {}
    for n in plan.peer_sizes:
        progress(f"peer: Mesa virus_on_network at {n:,} agents")
        result = peer.measure(n, plan.steps, plan.repeats)
        build_s[n] = result.build_s
        rows.extend(peer.rows(result))
        if n not in ours:
            progress(f"peer: our citizen-steps/s at {n:,} citizens, for the ratio")
            ours[n] = engine.citizen_steps_per_second(n, plan.engine_plan())
        ratio = ours[n] / result.rate
        figure = f"  ours / peer, {n:,}"
        rows.append(judged_if(n == 10_000, figure, f"{ratio:.1f}x", T.PEER_RATIO, ratio))
    if plan.peer_too_slow:
        rows.append(Row(f"Mesa virus_on_network, {plan.peer_too_slow:,} agents", "not measured"))
        if build_s:  # the example's G(n, p) generator tries all N(N-1)/2 pairs
            n = max(build_s)
            minutes = build_s[n] * (plan.peer_too_slow / n) ** 2 / 60
            why = f"  too slow: its O(N^2) G(n,p) build, scaled from {n:,}"
            rows.append(Row(why, f"~{minutes:.0f} min"))
    return rows


LIMIT_CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import engine
    plan = engine.Plan(warmup=int(sys.argv[3]), steps=int(sys.argv[4]), repeats=int(sys.argv[5]))
    print(json.dumps(engine.numpy_limit_rate(int(sys.argv[2]), plan)))
    """
)


def limit_in_child(n: int, plan: Plan) -> float:
    """The limit kernel at ``n`` in a fresh process, so the parent never holds that model."""
    args = [str(HERE), str(n), str(plan.warmup), str(plan.steps), str(plan.repeats)]
    done = subprocess.run(
        [sys.executable, "-c", LIMIT_CHILD, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {n:,}-citizen limit child failed:\n{done.stderr[-2000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def limit_section(plan: Plan, ours: dict) -> list[Row]:
    rows = []
    sizes = [*plan.sizes, *([plan.million_n] if plan.million_n in ours else [])]
    for n in dict.fromkeys(sizes):
        progress(f"limit: numpy kernel at {n:,} citizens")
        if n in plan.sizes:
            rate = engine.numpy_limit_rate(n, plan.engine_plan())
        else:
            try:
                rate = limit_in_child(n, plan)
            except RuntimeError as err:  # the smaller sizes still count
                print(err, file=sys.stderr)
                rows.append(Row(f"numpy limit kernel, {n:,} citizens", f"failed: {short(err)}"))
                continue
        ratio = rate / ours[n]
        rows.append(Row(f"numpy limit kernel, {n:,} citizens", fmt_rate(rate)))
        figure = f"  limit / ours, {n:,}"
        rows.append(judged_if(n == 100_000, figure, f"{ratio:.1f}x", T.LIMIT_RATIO, ratio))
    return rows


def dashboard_section(plan: Plan, ours: dict) -> list[Row]:
    progress("dashboard: server and headless chromium, step + redraw at 1,000 citizens")
    rows, browser = dashboard.browser_rows(plan.dashboard, dashboard.CHROMIUM, only_steps=True)
    if not any(r.key == T.DASHBOARD_STEP.key for r in rows):
        failed = next((r.value for r in rows if r.value.startswith("failed")), "failed")
        rows.append(Row.judged("step + redraw of all 7 views", failed, T.DASHBOARD_STEP, None))
    return [*rows, Row("  browser", browser)]


def sessions_section(plan: Plan, ours: dict) -> list[Row]:
    progress("sessions: 1, 5 and 20 browser sessions at once, memory after they close")
    return sessions.measure(plan.sessions, dashboard.CHROMIUM)


def sweep_section(plan: Plan, ours: dict) -> list[Row]:
    runs, citizens, steps = plan.sweep_runs, plan.sweep_citizens, plan.sweep_steps
    one, two, wall1, wall2 = [], [], [], []
    for k in range(plan.sweep_repeats):
        progress(
            f"sweep: {runs} runs of {citizens:,} citizens x {steps} steps on 1, then 2 workers "
            f"({k + 1} of {plan.sweep_repeats})"
        )
        for workers, rates, walls in ((1, one, wall1), (2, two, wall2)):
            with tempfile.TemporaryDirectory() as tmp:
                rate, _, wall = sweep.sweep(Path(tmp), runs, workers, citizens, steps)
            rates.append(rate)
            walls.append(wall)
    r1, r2 = statistics.median(one), statistics.median(two)
    scaling = r2 / (2 * r1)
    applies = citizens == 1_000 and steps == 120
    size = f"{citizens:,} citizens x {steps} steps"
    return [
        Row(f"runs/s, {size}, 1 worker", f"{r1:.1f} runs/s"),
        judged_if(applies, f"runs/s, {size}, 2 workers", f"{r2:.1f} runs/s", T.SWEEP_RATE, r2),
        judged_if(
            applies,
            "  scaling efficiency 1 -> 2 workers",
            f"{scaling:.0%}",
            T.SWEEP_SCALING,
            scaling,
        ),
        Row(
            "  wall time per sweep incl. start-up, 1 / 2 workers",
            f"{statistics.median(wall1):.1f} s / {statistics.median(wall2):.1f} s",
        ),
    ]


def startup_section(plan: Plan, ours: dict) -> list[Row]:
    return startup.rows(plan.startup_repeats)


def sections(plan: Plan) -> list[Section]:
    out = [Section("engine", engine_section, (T.ENGINE_RATE, T.BUILD_TIME))]
    if plan.million_n:
        big = (T.MILLION_TIME, T.MILLION_MEMORY) if plan.million_n == 1_000_000 else ()
        out.append(Section(f"engine, {plan.million_n:,} citizens", million_section, big))
    out += [
        Section("peer", peer_section, (T.PEER_RATIO,)),
        Section("limit", limit_section, (T.LIMIT_RATIO,)),
    ]
    if plan.dashboard is not None:
        out.append(Section("dashboard", dashboard_section, (T.DASHBOARD_STEP,)))
    if plan.sessions is not None:
        out.append(Section("sessions", sessions_section, (T.SESSIONS_MEMORY,)))
    if plan.sweep_runs:
        out.append(Section("sweep", sweep_section, (T.SWEEP_RATE, T.SWEEP_SCALING)))
    if plan.startup_repeats:
        started = (T.STARTUP_HELP, T.STARTUP_PARAMS, T.STARTUP_IMPORTS)
        out.append(Section("start-up", startup_section, started))
    return out


def measure(plan: Plan) -> list[tuple[str, list[Row]]]:
    """Every section's rows, in order. A section that fails reports its targets as failed
    (a MISS without a number) and the run goes on."""
    ours: dict[int, float] = {}
    out = []
    for section in sections(plan):
        try:
            rows = section.measure(plan, ours)
        except Exception as err:
            traceback.print_exc()
            rows = [Row(f"{section.title} failed", short(err))]
            rows += [Row.judged(t.what, "failed", t, None) for t in section.targets]
        out.append((section.title, rows))
    return out


# ---------------------------------------------------------------------------- report
def missed_section(rows: Sequence[Row], why: dict[str, str] | None = None) -> list[str]:
    """Markdown lines: each MISS with its value, target, factor and explanation."""
    why = WHY_MISSED if why is None else why
    missed = [r for r in rows if r.ok is False]
    lines = ["## Missed targets", ""]
    if not missed:
        return [*lines, "None: every target was met.", ""]
    for row in missed:
        target = T.BY_KEY.get(row.key)
        name = row.key or row.figure.strip()
        title = f"{name}: {target.what}" if target else name
        if row.number is None or target is None:
            verdict = (
                f"Measured: {row.value}, against a target of {row.target}. "
                "No factor: the measurement did not give a number."
            )
        else:
            factor = target.factor(row.number)
            direction = "too low" if target.higher_is_better else "too high"
            verdict = (
                f"Measured **{row.value.strip()}** against a target of **{row.target}**: "
                f"missed by a factor of **{factor:.2f}** ({direction})."
            )
        explanation = why.get(row.key, "").strip()
        if not explanation:
            print(f"warning: no explanation recorded for missed target {name!r}", file=sys.stderr)
            explanation = NO_EXPLANATION
        lines += [f"### {title}", "", verdict, "", explanation, ""]
    return lines


MEASURES = """\
- **engine**: `CoproductionModel(rng=1, n_citizens=N)` with the default parameters;
  {repeats} repeats, each on a freshly built model, of its first {steps} steps (the default
  horizon; `model.run_for`), build not timed; the figure is N x steps / seconds, median of
  the repeats. A model of 25,000 citizens or more uses a second thread for some parts of a
  step (`coprod_sim/parallel.py`), so the 100,000 and 1,000,000 rows use both cores. Build
  time: the construction of a model, median of {repeats}. The 1,000,000-citizen rows build
  and run the model in a fresh child process ({million_repeats} times, medians; its
  citizen-steps/s is N x steps / run seconds, build excluded); peak memory is the child's own
  high-water resident set (`VmHWM`, the largest of the repeats; it includes the interpreter
  and imports, about 0.1-0.2 GB), and per citizen it is that peak / N.
- **peer**: Mesa's own `virus_on_network` example from the installed mesa package, with our
  realised mean degree as `avg_node_degree` (both realised degrees are shown) and the same N,
  steps and repeats (each on a freshly built model), in this process; its network is built
  with `layout=None` (no spring layout) and a seeded graph. One peer step is
  `agents.shuffle_do("step")` (infected agents try to infect each susceptible neighbour, then
  may recover or become resistant) and a data collection (five passes over all cells). The
  default parameters are kept; the infected / resistant counts at the start and end of the
  (last) timed run show whether the epidemic was still running. "ours / peer" is our
  citizen-steps/s divided by its agent-steps/s.
- **limit**: the least work a vectorised step of our shape could do: one sparse
  matrix-vector product with the model's own network (`state.network.mean_of_neighbours`)
  and twelve in-place elementwise updates on float64 arrays of length N, on one thread, after
  {warmup} warm-up iterations, {repeats} repeats of {steps} iterations (median). "limit /
  ours" is how many times faster that kernel runs than our step (1,000,000: in a child
  process).
- **dashboard**: `coprod dashboard` (baseline scenario, 1,000 citizens) in headless chromium
  driven by Playwright; from the click on Step to the last of the month label and the seven
  charts' redraw events, median of the timed steps (see benchmarks/README.md).
- **sweep**: `coprod sweep` of an LHS design in a fresh child process, runs/s as the sweep
  reports it (from the first submission), median of {sweep_repeats} sweeps of {sweep_runs} runs
  per worker count; the scaling efficiency is rate(2) / (2 x rate(1)).
- **start-up**: `coprod --help` and `coprod params` in fresh child processes, output to a
  pipe; the CPU time is the child's user + system time (`getrusage` of the children), median
  of {startup_repeats} runs each; and the heavy libraries (mesa, plotly, solara, dask) a fresh
  interpreter holds after `import coprod_sim.cli` (a lazy placeholder does not count).
"""


def results_markdown(
    plan: Plan, parts: list[tuple[str, list[Row]]], env: dict[str, str], command: str, quick: bool
) -> str:
    def cell(text: str) -> str:
        text = str(text).replace("|", "\\|").rstrip()
        stripped = text.lstrip()
        return ("&emsp;" + stripped) if stripped != text else text  # a sub-row

    lines = ["# Benchmark results (issue 7)", ""]
    if quick:
        lines += ["> **QUICK SMOKE RUN: fewer repeats and tiny sizes. Not valid results.**", ""]
    lines += [
        f"- date: {env['date']}",
        f"- machine: {env['machine']}",
        f"- python: {env['python']}",
        f"- packages: {env['packages']}",
        f"- load average (1 min): {env['load']}",
        f"- command: `{command}`",
        f"- repeats: every throughput figure is the median of {plan.repeats} repeats "
        f"({plan.million_repeats} for the child-process run, {plan.sweep_repeats} sweeps per "
        f"worker count); {plan.steps} timed steps per repeat",
        "",
        "## Results",
        "",
    ]
    for title, rows in parts:
        lines += [
            f"### {title}",
            "",
            "| figure | measured | target | status |",
            "| --- | ---: | ---: | --- |",
        ]
        lines += [
            f"| {cell(r.figure)} | {cell(r.value)} | {cell(r.target)} | {r.status} |" for r in rows
        ]
        lines.append("")
    lines += ["## What each row measures", ""]
    lines += [
        MEASURES.format(
            warmup=plan.warmup,
            repeats=plan.repeats,
            steps=plan.steps,
            million_repeats=plan.million_repeats,
            sweep_repeats=plan.sweep_repeats,
            sweep_runs=plan.sweep_runs,
            startup_repeats=plan.startup_repeats,
        )
    ]
    lines += missed_section([r for _, rows in parts for r in rows])
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run (about a minute): fewer repeats, tiny 1M/dashboard/sweep parts; "
        "writes a file only with --out",
    )
    parser.add_argument("--no-million", action="store_true", help="skip the 1,000,000 rows")
    parser.add_argument(
        "--no-dashboard", action="store_true", help="skip the dashboard and sessions rows"
    )
    parser.add_argument("--no-sessions", action="store_true", help="skip the sessions rows")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweep rows")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up rows")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default benchmarks/RESULTS.md; with --quick, none)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    plan = QUICK if args.quick else FULL
    if args.no_million:
        plan = replace(plan, million_n=0)
    if args.no_dashboard:
        plan = replace(plan, dashboard=None, sessions=None)
    if args.no_sessions:
        plan = replace(plan, sessions=None)
    if args.no_sweep:
        plan = replace(plan, sweep_runs=0)
    if args.no_startup:
        plan = replace(plan, startup_repeats=0)
    quick = plan.quick
    out = args.out if args.out is not None else (None if quick else DEFAULT_OUT)

    load_start = os.getloadavg()[0]
    parts = measure(plan)
    env = environment(PACKAGES)
    env["load"] = f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    script = os.path.relpath(__file__, Path.cwd())
    command = shlex.join(["python", script, *argv])

    mode = (
        "QUICK SMOKE RUN: not valid for RESULTS.md"
        if quick
        else f"full: medians of {plan.repeats} repeats"
    )
    lines = ["coprod_sim benchmark suite (issue 7)"]
    lines += [f"{k:<9} {v}" for k, v in env.items()]
    lines += [f"{'mode':<9} {mode}", f"{'command':<9} {command}"]
    for title, rows in parts:
        lines += ["", f"[{title}]", *table(rows)]
    if out is not None:  # first: a closed stdout must not lose the results
        write_atomic(out, results_markdown(plan, parts, env, command, quick))
    print("\n".join(lines), flush=True)
    if out is not None:
        progress(f"wrote {out}")
    else:
        progress("quick run: no results file written (give --out to write one)")


if __name__ == "__main__":
    main()
