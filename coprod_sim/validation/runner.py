"""Running what the patterns need: the baseline and the contrasting presets, with replications.

Replication ``i`` of every preset runs on seed ``seed + i`` (common random numbers: the presets
extend the baseline, so each contrast is paired), and the baseline's replication ``i`` is
surveyed at month 60. Runs go to a :class:`concurrent.futures.Executor` (local processes or a
Dask scheduler, as for sweeps), one task per run.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import scenario_files
from ..model import CoproductionModel
from . import patterns, survey

HORIZON: dict[str, int] = {
    patterns.BASELINE: patterns.P8_AFTER,  # the survey at 60, and P8's comparison at 72
    patterns.NO_FEEDBACK: patterns.P6_AFTER,
    patterns.FEEDBACK: patterns.P6_AFTER,
    patterns.CRISIS: patterns.P7_CALL + patterns.P7_CRISIS_MONTHS,
    patterns.AUSTERITY: patterns.P8_AFTER,
}
"""How many months each preset runs: as long as its pattern needs, no longer."""
SURVEY_SIZE = 1000
"""Respondents per replication (about one national sample of the EU survey; all citizens
when there are fewer)."""


@dataclass(frozen=True)
class Job:
    """One run: a preset on one seed, optionally surveyed."""

    preset: str
    replication: int
    seed: int
    months: int
    parameters: dict = field(default_factory=dict)
    survey_month: int | None = None
    survey_size: int = SURVEY_SIZE


def run_job(job: Job) -> tuple[Job, pd.DataFrame, pd.DataFrame | None]:
    """Run one job: (job, its time series, its survey or None)."""
    model = CoproductionModel(
        scenario=scenario_files.load(job.preset), rng=job.seed, **job.parameters
    )
    answers = None
    for _ in range(job.months):
        model.step()
        if model.state.month == job.survey_month:
            # The survey's own random stream: drawing it never changes the run.
            rng = np.random.default_rng(np.random.SeedSequence([job.seed, 0x5E7]))
            answers = survey.draw(model.state, rng, job.survey_size)
            answers.insert(0, "replication", job.replication)
    series = model.metrics_frame().reset_index()
    series.insert(0, "seed", job.seed)
    series.insert(0, "replication", job.replication)
    series.insert(0, "scenario", job.preset)
    return job, series, answers


@dataclass
class Evidence:
    """What the runs produced: the pooled survey and the stacked time series."""

    survey: pd.DataFrame
    series: pd.DataFrame
    replications: int
    seed: int
    parameters: dict

    def checks(self) -> list[patterns.Check]:
        return patterns.evaluate(self.survey, self.series)


def jobs(replications: int, seed: int, parameters: dict | None = None) -> list[Job]:
    """Every run the eight patterns need."""
    params = dict(parameters or {})
    return [
        Job(
            preset,
            r,
            seed + r,
            months,
            params,
            survey_month=patterns.SURVEY_MONTH if preset == patterns.BASELINE else None,
        )
        for preset, months in HORIZON.items()
        for r in range(replications)
    ]


def collect(
    replications: int,
    seed: int = 0,
    parameters: dict | None = None,
    executor=None,
    on_done: Callable[[Job], None] | None = None,
) -> Evidence:
    """Run every job (on ``executor``, or here when None) and gather the evidence.

    ``parameters`` override the presets' values (e.g. ``n_citizens``) in every run.
    """
    todo = jobs(replications, seed, parameters)
    results = []
    if executor is None:
        for job in todo:
            results.append(run_job(job))
            if on_done:
                on_done(job)
    else:
        futures = [executor.submit(run_job, job) for job in todo]
        for future in as_completed(futures):
            results.append(future.result())
            if on_done:
                on_done(results[-1][0])
    results.sort(key=lambda r: (r[0].preset, r[0].replication))
    series = pd.concat([r[1] for r in results], ignore_index=True)
    answers = [r[2] for r in results if r[2] is not None]
    return Evidence(
        survey=pd.concat(answers, ignore_index=True),
        series=series,
        replications=replications,
        seed=seed,
        parameters=dict(parameters or {}),
    )
