"""Performance harness for sweeps: runs per second, scaling from 1 to 2 workers, flat memory.

Run from the repository root::

    python benchmarks/sweep.py            # the full set (about a minute on 2 cores)
    python benchmarks/sweep.py --quick    # smoke run: fewer runs

Like ``engine.py``, it prints figures against their targets, asserts nothing and exits 0; the
``status`` column says ``ok``, ``MISS`` or ``info``. Each sweep runs in a fresh child process
(``coprod sweep``), so that the memory figure is that sweep's own peak.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import textwrap
from importlib.metadata import version
from pathlib import Path
from time import perf_counter

from targets import (  # every target is defined once, in benchmarks/targets.py
    SWEEP_MEMORY_GROWTH,
    SWEEP_RATE,
    SWEEP_SCALING,
)

EXPERIMENT = """
title = "Benchmark sweep"
scenario = "baseline"
sampler = "lhs"
samples = {samples}
replications = 1
steps = {steps}
seed = 1
[parameters]
n_citizens = {citizens}
[axes]
staff_feedback = {{ low = 0.0, high = 1.0 }}
time_poverty = {{ low = 0.1, high = 0.9 }}
[[outputs]]
metric = "participation_any"
stat = "final"
[[outputs]]
metric = "user_value"
stat = "mean_last"
last = 12
"""

COPROD = Path(sys.executable).parent / "coprod"


def sweep(folder: Path, samples: int, workers: int, citizens: int = 1000, steps: int = 120):
    """Run one sweep in a child process: (runs/s reported by the sweep, peak child RSS, GB)."""
    path = folder / f"bench-{samples}-{workers}-{citizens}.toml"
    path.write_text(EXPERIMENT.format(samples=samples, steps=steps, citizens=citizens))
    out = folder / path.stem
    cmd = [str(COPROD), "sweep", str(path), "--out", str(out), "--workers", str(workers)]
    script = (
        "import resource, subprocess, sys; "
        f"r = subprocess.run({cmd!r}, "
        "capture_output=True, text=True); "
        "print(r.stdout); print(r.stderr, file=sys.stderr); "
        "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    started = perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    wall = perf_counter() - started
    rate = re.search(r"\(([\d.]+) runs/s", done.stdout)
    rss_kb = re.search(r"MAXRSS (\d+)", done.stdout)
    if rate is None or rss_kb is None:
        raise RuntimeError(f"the sweep ({' '.join(cmd)}) failed:\n{done.stderr[-2000:]}")
    return float(rate.group(1)), int(rss_kb.group(1)) * 1024 / 1e9, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    n = 40 if args.quick else 200
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"sweeps of {n} runs (1,000 citizens x 120 steps)...", file=sys.stderr)
        one, _, wall1 = sweep(folder, n, 1)
        two, _, wall2 = sweep(folder, n, 2)
        scaling = two / (2 * one)
        rows.append(("runs/s, 1 worker", f"{one:.1f}", "", "info"))
        rows.append(
            (
                "runs/s, 2 workers",
                f"{two:.1f}",
                SWEEP_RATE.text,
                "ok" if SWEEP_RATE.met(two) else "MISS",
            )
        )
        rows.append(
            (
                "scaling efficiency 1 -> 2 workers",
                f"{scaling:.0%}",
                SWEEP_SCALING.text,
                "ok" if SWEEP_SCALING.met(scaling) else "MISS",
            )
        )
        rows.append(
            (
                "wall time incl. start-up, 1 / 2 workers",
                f"{wall1:.1f} s / {wall2:.1f} s",
                "",
                "info",
            )
        )
        small = 500 if args.quick else 2000
        print(
            f"memory: {small} and {4 * small} tiny runs (100 citizens x 12 steps)...",
            file=sys.stderr,
        )
        _, rss_small, _ = sweep(folder, small, 2, citizens=100, steps=12)
        _, rss_big, _ = sweep(folder, 4 * small, 2, citizens=100, steps=12)
        growth = rss_big / rss_small
        rows.append((f"peak RSS, {small:,} runs", f"{rss_small:.2f} GB", "", "info"))
        rows.append((f"peak RSS, {4 * small:,} runs", f"{rss_big:.2f} GB", "", "info"))
        rows.append(
            (
                "memory growth for 4x the runs",
                f"{growth:.2f}x",
                SWEEP_MEMORY_GROWTH.text,
                "ok" if SWEEP_MEMORY_GROWTH.met(growth) else "MISS",
            )
        )
    header = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "coprod-sim": version("coprod-sim"),
        "dask": version("distributed"),
    }
    print(json.dumps(header))
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>16}  {'target':>14}  status")
    for name, value, target, status in rows:
        print(f"{name:<{width}}  {value:>16}  {target:>14}  {status}")
    print(
        textwrap.dedent("""
        Rates are as `coprod sweep` reports them (runs finished / seconds from the first
        submission, process start-up excluded); the wall time includes start-up.""")
    )


if __name__ == "__main__":
    main()
