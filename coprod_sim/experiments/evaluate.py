"""The evaluator: run one design row and reduce its time series to the requested outputs.

:func:`evaluate_batch` is what executors run. It takes plain data (the base scenario, the
outputs and a list of design rows) and returns plain data, so it pickles to any worker. A
run that raises is returned with its error, and the other runs of the batch go on.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import shock_response
from ..model import CoproductionModel
from ..scenario import Scenario
from .spec import Output


@dataclass(frozen=True)
class Task:
    """A batch of runs of one experiment, sent to one worker."""

    scenario: Scenario
    outputs: tuple[Output, ...]
    default_shock: int | None
    axes: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]  # run_id, point, replicate, seed and the axis values
    timeseries: bool = False


def reduce(frame: pd.DataFrame, out: Output, default_shock: int | None) -> float:
    """One reduced output of a run's metrics frame (index = month, 0..steps)."""
    y = frame[out.metric].to_numpy(dtype=np.float64)
    if out.stat == "final":
        return float(y[-1])
    if out.stat == "mean_last":
        return float(y[-out.last :].mean())
    start = out.shock_start or default_shock
    assert start is not None  # the spec checks that a shock stat has a shock
    if out.stat == "min":
        return float(y[start:].min())
    response = shock_response(y, start)
    key = {"recovery": "recovery_months", "dip": "depth", "area_lost": "area_lost"}[out.stat]
    return float(response[key])


def evaluate(task: Task, row: dict[str, Any]) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one design row: (result row, time series or None)."""
    result = dict(row)
    try:
        values = {name: _plain(row[name]) for name in task.axes}
        model = CoproductionModel(scenario=task.scenario, rng=int(row["seed"]), **values)
        for _ in range(task.scenario.steps):
            model.step()
        frame = model.metrics_frame()
        for out in task.outputs:
            result[out.column] = reduce(frame, out, task.default_shock)
        result["error"] = None
    except Exception as err:  # isolate the failure: record it, and the sweep goes on
        for out in task.outputs:
            result[out.column] = math.nan
        last = traceback.extract_tb(err.__traceback__)[-1]
        result["error"] = f"{type(err).__name__}: {err} ({last.filename}:{last.lineno})"
        return result, None
    if not task.timeseries:
        return result, None
    series = frame.reset_index()
    series.insert(0, "run_id", row["run_id"])
    return result, series


def evaluate_batch(task: Task) -> tuple[list[dict[str, Any]], pd.DataFrame | None]:
    """Run every row of ``task``: (result rows, stacked time series or None)."""
    rows, series = [], []
    for row in task.rows:
        result, frame = evaluate(task, row)
        rows.append(result)
        if frame is not None:
            series.append(frame)
    return rows, (pd.concat(series, ignore_index=True) if series else None)


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars (the schema wants plain ints for integers)."""
    return value.item() if hasattr(value, "item") else value
