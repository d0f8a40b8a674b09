"""Performance harness for the coprod_sim engine: prints figures against their targets.

Run from the repository root::

    python benchmarks/engine.py            # the full set (a minute or two)
    python benchmarks/engine.py --quick    # smoke run: fewer steps and repeats, no 1M row

This is not a test. It asserts nothing and exits 0 whether or not a target is met; the
``status`` column says ``ok`` or ``MISS`` for rows with a target and ``info`` for context.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import version
from time import perf_counter

import numpy as np
import scipy.sparse as sp
from _harness import (  # benchmarks/ is on sys.path when run as a script
    Row,
    cpu_model,
    progress,
    table,
)
from targets import (  # every target is defined once, in benchmarks/targets.py
    BUILD_TIME,
    ENGINE_RATE,
    LIMIT_RATIO,
    MILLION_MEMORY,
    MILLION_TIME,
    STEP_TIME,
)

from coprod_sim import CoproductionModel

SEED = 1


@dataclass(frozen=True)
class Plan:
    """What to measure, and how hard."""

    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)  # throughput sizes; the last is headline
    warmup: int = 5  # steps run before timing single steps and the limit kernel
    steps: int = 120  # steps per timed throughput repeat: the default horizon, from month 0
    repeats: int = 5  # throughput repeats (median reported), each on a freshly built model
    build_repeats: int = 3
    small_n: int = 1_000  # size for the per-step latency figure
    small_steps: int = 200
    big_n: int = 1_000_000
    big_steps: int = 120
    run_big: bool = True

    @property
    def headline(self) -> int:
        return self.sizes[-1]


FULL = Plan()
QUICK = Plan(steps=12, repeats=1, build_repeats=1, small_steps=50, run_big=False)


# ---------------------------------------------------------------------------- helpers
def timed(func: Callable[[], object]) -> float:
    """Wall-clock seconds taken by ``func()``."""
    start = perf_counter()
    func()
    return perf_counter() - start


def build(n: int) -> CoproductionModel:
    return CoproductionModel(rng=SEED, n_citizens=n)


def fmt_rate(rate: float) -> str:
    return f"{rate / 1e6:,.2f} M/s"


# ---------------------------------------------------------------------------- measurements
def citizen_steps_per_second(n: int, plan: Plan) -> float:
    """Median citizen-steps/s over ``plan.repeats`` runs of months 1 to ``plan.steps``.

    Each repeat builds a fresh model (not timed) and times the run over the horizon from
    month 0, as a sweep or the dashboard runs it: participation grows over the years, and
    with it the cost of a step (by about a third from month 1 to month 120 at 100,000).
    """
    rates = []
    for _ in range(plan.repeats):
        model = build(n)
        rates.append(n * plan.steps / timed(lambda m=model: m.run_for(plan.steps)))
    return statistics.median(rates)


def build_seconds(n: int, repeats: int) -> float:
    """Median wall time to construct a model of ``n`` citizens."""
    return statistics.median(timed(lambda: build(n)) for _ in range(repeats))


def step_milliseconds(n: int, plan: Plan) -> tuple[float, float]:
    """Median and 95th percentile of single-step times (ms) after warm-up."""
    model = build(n)
    model.run_for(plan.warmup)
    times = np.array([timed(model.step) for _ in range(plan.small_steps)]) * 1e3
    return float(np.median(times)), float(np.percentile(times, 95))


def limit_kernel(matrix: sp.csr_matrix, steps: int) -> float:
    """Seconds for ``steps`` iterations of a minimal numpy step on ``matrix``.

    Each iteration does one sparse matrix-vector product and twelve in-place elementwise
    updates on float64 arrays of length N: the least work a vectorised step of this shape
    could do, so a floor on the engine's step time.
    """
    n = matrix.shape[0]
    rng = np.random.default_rng(SEED)
    x, a, b, c, d, e = (rng.random(n) for _ in range(6))
    t = np.empty(n)
    start = perf_counter()
    for _ in range(steps):
        s = matrix @ x  # sparse mat-vec: mean of the neighbours' x
        np.multiply(s, 0.1, out=s)  # 1
        np.multiply(a, 0.9, out=a)  # 2
        np.add(a, s, out=a)  # 3   a relaxes towards the neighbours' mean
        np.subtract(a, b, out=t)  # 4
        np.clip(t, 0.0, 1.0, out=t)  # 5
        np.multiply(c, 0.95, out=c)  # 6
        np.add(c, t, out=c)  # 7
        np.minimum(c, 1.0, out=c)  # 8
        np.multiply(d, c, out=d)  # 9
        np.maximum(d, 0.01, out=d)  # 10
        np.add(x, d, out=e)  # 11
        np.multiply(e, 0.5, out=x)  # 12  feeds the next mat-vec
    return perf_counter() - start


def numpy_limit_rate(n: int, plan: Plan) -> float:
    """Median citizen-steps/s of :func:`limit_kernel` on the model's own network."""
    matrix = build(n).state.network.mean_of_neighbours.tocsr()
    limit_kernel(matrix, plan.warmup)
    return statistics.median(
        n * plan.steps / limit_kernel(matrix, plan.steps) for _ in range(plan.repeats)
    )


CHILD_CODE = textwrap.dedent(
    """
    import json, sys
    from time import perf_counter
    t0 = perf_counter()
    from coprod_sim import CoproductionModel
    t1 = perf_counter()
    model = CoproductionModel(rng=int(sys.argv[1]), n_citizens=int(sys.argv[2]))
    t2 = perf_counter()
    model.run_for(int(sys.argv[3]))
    t3 = perf_counter()
    peak_kb = None
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            peak_kb = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    out = {"import": t1 - t0, "build": t2 - t1, "run": t3 - t2, "peak_kb": peak_kb}
    print(json.dumps(out))
    """
)


def big_run(n: int, steps: int) -> dict[str, float]:
    """Build and run ``n`` citizens for ``steps`` steps in a fresh child process.

    Peak memory is the child's own high-water resident set (``VmHWM`` of its address space,
    read by the child at the end), so neither the parent's arrays nor other children count.
    Where ``/proc`` is missing, the parent's ``RUSAGE_CHILDREN`` maximum (kilobytes on Linux,
    the largest over all children waited for) stands in.
    """
    args = [sys.executable, "-c", CHILD_CODE, str(SEED), str(n), str(steps)]
    start = perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    wall = perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"the {n:,}-citizen child process failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak_kb = result.pop("peak_kb") or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {**result, "wall": wall, "peak_gb": peak_kb * 1024 / 1e9}


# ---------------------------------------------------------------------------- rows
def throughput_rows(plan: Plan) -> tuple[list[Row], float]:
    rows, rate = [], 0.0
    for n in plan.sizes:
        progress(f"citizen-steps/s at {n:,} citizens")
        rate = citizen_steps_per_second(n, plan)
        figure = f"citizen-steps/s, {n:,} citizens"
        if n == plan.headline:
            rows.append(Row.judged(figure, fmt_rate(rate), ENGINE_RATE, rate))
        else:
            rows.append(Row(figure, fmt_rate(rate)))
    return rows, rate


def build_row(plan: Plan) -> Row:
    progress(f"build time at {plan.headline:,} citizens")
    seconds = build_seconds(plan.headline, plan.build_repeats)
    return Row.judged(
        f"build time, {plan.headline:,} citizens", f"{seconds:.2f} s", BUILD_TIME, seconds
    )


def big_rows(plan: Plan) -> list[Row]:
    label = f"{plan.big_n:,} citizens x {plan.big_steps} steps"
    time_target, memory_target = MILLION_TIME.text, MILLION_MEMORY.text
    if not plan.run_big:
        return [
            Row(f"{label}: build + run", "skipped", time_target),
            Row(f"{label}: peak memory", "skipped", memory_target),
        ]
    progress(f"{label} in a child process (may take a minute)")
    r = big_run(plan.big_n, plan.big_steps)
    total = r["build"] + r["run"]
    return [
        Row.judged(f"{label}: build + run", f"{total:.1f} s", MILLION_TIME, total),
        Row("  of which build", f"{r['build']:.1f} s"),
        Row("  child wall incl. start-up, imports", f"{r['wall']:.1f} s"),
        Row.judged(
            f"{label}: peak memory (RSS)",
            f"{r['peak_gb']:.2f} GB",
            MILLION_MEMORY,
            r["peak_gb"] * 1e9,
        ),
    ]


def step_row(plan: Plan) -> Row:
    progress(f"per-step time at {plan.small_n:,} citizens")
    median, p95 = step_milliseconds(plan.small_n, plan)
    return Row.judged(
        f"one step, {plan.small_n:,} citizens (median of {plan.small_steps})",
        f"{median:.2f} ms (p95 {p95:.2f})",
        STEP_TIME,
        median,
    )


def limit_rows(plan: Plan, ours: float) -> list[Row]:
    progress(f"numpy-limit kernel at {plan.headline:,} citizens")
    limit = numpy_limit_rate(plan.headline, plan)
    return [
        Row(f"numpy limit kernel, {plan.headline:,} citizens", fmt_rate(limit)),
        Row.judged("  limit / ours", f"{limit / ours:.1f}x", LIMIT_RATIO, limit / ours),
    ]


# ---------------------------------------------------------------------------- report
def header(plan: Plan, quick: bool) -> list[str]:
    versions = ", ".join(
        f"{name} {version(name)}" for name in ("numpy", "scipy", "mesa", "coprod-sim")
    )
    mode = "quick (smoke run)" if quick else "full"
    return [
        "coprod_sim engine benchmark",
        f"date      {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine   {platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()})",
        f"python    {platform.python_version()} ({platform.python_implementation()})",
        f"packages  {versions}",
        f"mode      {mode}: warm-up {plan.warmup} steps, {plan.steps} timed steps x "
        f"{plan.repeats} repeats (median), seed {SEED}",
    ]


def run(plan: Plan) -> list[Row]:
    rows, ours = throughput_rows(plan)
    rows.append(build_row(plan))
    rows.extend(big_rows(plan))
    rows.append(step_row(plan))
    rows.extend(limit_rows(plan, ours))
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: fewer steps and repeats, and no 1,000,000-citizen row",
    )
    parser.add_argument("--no-million", action="store_true", help="skip the 1,000,000-citizen row")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.no_million:
        plan = replace(plan, run_big=False)
    lines = header(plan, args.quick)
    rows = run(plan)
    print("\n".join([*lines, *table(rows)]))


if __name__ == "__main__":
    main()
