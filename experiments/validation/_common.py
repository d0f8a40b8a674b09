"""Shared by calibrate.py and sensitivity.py: run a screening experiment with a progress bar,
keep its scores as Parquet, and write markdown tables."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from coprod_sim import params as P
from coprod_sim.experiments import spec
from coprod_sim.experiments.executors import open_executor
from coprod_sim.validation import screening

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parents[1] / "results" / "validation"


def run(default_experiment: str) -> tuple[spec.Experiment, pd.DataFrame, float]:
    """Parse ``--workers``/``--scheduler``/``--rescore``, then score the experiment's points
    (or reread them with ``--rescore``): (experiment, scores, seconds)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--scheduler", default=None, help="a Dask scheduler address")
    ap.add_argument("--experiment", default=str(HERE / default_experiment))
    ap.add_argument("--rescore", action="store_true", help="reuse the stored scores")
    args = ap.parse_args()
    # Bad input gets one line and exit code 2 (argparse's error), before anything runs.
    if args.workers is not None and args.workers < 0:
        ap.error(f"--workers: value {args.workers} is not allowed; allowed: an integer >= 0")
    if args.workers is not None and args.scheduler is not None:
        ap.error("--workers and --scheduler: both given; allowed: one of them")
    try:
        ex = spec.load(args.experiment)
    except P.ParameterError as err:
        ap.error(str(err))
    path = RESULTS / f"{ex.name}.parquet"
    if args.rescore:
        if not path.is_file():
            ap.error(f"--rescore: {path} does not exist; allowed: after a run of this script")
        return ex, pd.read_parquet(path), float("nan")
    RESULTS.mkdir(parents=True, exist_ok=True)
    total = spec.n_points(ex)
    started = time.perf_counter()
    with (
        open_executor(args.workers, args.scheduler) as (executor, _, desc),
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        ) as bar,
    ):
        task = bar.add_task(f"{ex.name} ({desc})", total=total)
        scores = screening.screen(ex, executor, lambda done: bar.update(task, completed=done))
    seconds = time.perf_counter() - started
    scores.to_parquet(path, index=False)
    print(f"{len(scores)} points in {seconds:.0f} s; wrote {path}")
    return ex, scores, seconds


def holds(scores: pd.DataFrame) -> pd.Series:
    """Per pattern: the share of points where it holds (all its checks pass)."""
    return (screening.pattern_worst(scores) > 0).mean().rename("holds")


def md_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)
