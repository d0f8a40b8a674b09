"""Calibration and sensitivity of the patterns, on the experiments engine.

An experiment file (``experiments/validation/*.toml``, validated by
:func:`coprod_sim.experiments.spec.load`) names the parameters, their ranges, the sampler
(``lhs`` for the calibration search, ``morris`` for the sensitivity screening), the number of
samples, the replications and the root seed. :func:`screen` takes the engine's design of that
file (:func:`coprod_sim.experiments.design.points`) and scores every point by everything
``coprod validate`` runs, one point per task on a :class:`concurrent.futures.Executor` (the
engine's local process pool or a Dask scheduler). The result is one tidy row per point: the
parameter values, each check's estimate and margin, and the number of checks and patterns
that pass.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import as_completed
from typing import Any

import numpy as np
import pandas as pd

from ..experiments import design
from ..experiments.spec import Experiment
from . import patterns, runner


def score_point(point: int, values: dict[str, Any], replications: int, seed: int) -> dict[str, Any]:
    """Run everything the patterns need at one parameter point; one row of scores."""
    evidence = runner.collect(replications, seed, values)
    checks = evidence.checks()
    row: dict[str, Any] = {"point": point, **values}
    for c in checks:
        row[f"{c.check}_estimate"] = c.estimate
        row[f"{c.check}_margin"] = patterns.margin(c)
    margins = np.array([patterns.margin(c) for c in checks])
    row["checks_passed"] = int(sum(c.passed for c in checks))
    row["patterns_passed"] = int(sum(patterns.verdicts(checks).values()))
    row["shortfall"] = float(np.minimum(margins, 0.0).sum())  # the objective: 0 = all pass
    row["worst_margin"] = float(margins.min())
    base = evidence.series
    at = base[(base["scenario"] == patterns.BASELINE) & (base["month"] == patterns.SURVEY_MONTH)]
    row["participation_any"] = float(at["participation_any"].mean())
    return row


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def screen(
    ex: Experiment,
    executor=None,
    on_done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Score every point of ``ex``'s design (the file's fixed parameters apply to all)."""
    pts = design.points(ex)
    tasks = [
        (i, {**ex.fixed, **{k: _plain(v) for k, v in row.items()}})
        for i, row in enumerate(pts.to_dict("records"))
    ]
    rows = []
    if executor is None:
        for i, values in tasks:
            rows.append(score_point(i, values, ex.replications, ex.seed))
            if on_done:
                on_done(len(rows))
    else:
        futures = [executor.submit(score_point, i, v, ex.replications, ex.seed) for i, v in tasks]
        for future in as_completed(futures):
            rows.append(future.result())
            if on_done:
                on_done(len(rows))
    return pd.DataFrame(rows).sort_values("point").reset_index(drop=True)


def pattern_worst(scores: pd.DataFrame) -> pd.DataFrame:
    """Each pattern's worst check margin at every point (columns P1..P8): > 0 where the
    pattern holds."""
    return pd.DataFrame(
        {
            p: scores[[c for c in scores.columns if c.startswith(p) and c.endswith("_margin")]].min(
                axis=1
            )
            for p in patterns.TITLES
        }
    )


def morris_indices(ex: Experiment, scores: pd.DataFrame, outputs: pd.DataFrame) -> pd.DataFrame:
    """Morris mu* and sigma (SALib) of every column of ``outputs`` (one row per point of
    ``scores``, in point order) for every parameter, tidy: output, parameter, mu_star, sigma.

    The engine's :func:`coprod_sim.experiments.analysis.morris_analysis` reads a stored sweep;
    here the outputs are the patterns' margins, computed per point by :func:`score_point`."""
    from SALib.analyze import morris

    problem = design.problem(ex)
    X = scores[problem["names"]].to_numpy(dtype=float)
    out = []
    for col in outputs.columns:
        y = outputs[col].to_numpy(dtype=float)
        res = morris.analyze(problem, X, y, num_levels=ex.levels, seed=ex.seed)
        for name, mu_star, sigma in zip(res["names"], res["mu_star"], res["sigma"], strict=True):
            out.append(
                {"output": col, "parameter": name, "mu_star": float(mu_star), "sigma": float(sigma)}
            )
    return pd.DataFrame(out)
