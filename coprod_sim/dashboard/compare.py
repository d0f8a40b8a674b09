"""The Compare tab's logic, without any user interface: what is compared, the runs, the table
of differences and the figures.

A comparison has two sides: A, the reference, and B. Either two scenarios, or the current
settings against the same settings with several levers changed at once (a policy package,
such as more staff training *and* closing the feedback loop). Both sides run over the same
``seeds`` seeds (``seed, seed + 1, ...``), so replication ``i`` of A and of B share their random
draws and each seed gives one paired difference. The table reports, for every canonical metric
and ``expects_response``, the two means over seeds, their difference, a 95% t-interval of the
difference over the paired seeds, and the difference relative to the size of A (the table is
sorted by it: a unit-free measure, so hours and shares can be ranked together).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from .. import metrics, params, report, runs
from ..scenario import Scenario
from . import controls, session, views

DEFAULT_SEEDS = 5
"""Seeds per side unless the user asks otherwise: enough for a first interval, and 10 runs of
the baseline take seconds."""

MAX_SEEDS = 20
"""Most seeds per side from the page (40 runs); sweeps belong to ``coprod sweep``."""

CONFIDENCE = 0.95
"""Coverage of the interval of each difference."""

RELATIVE_FLOOR = 0.01
"""Smallest denominator of a relative difference: a metric that is 0 in A (no dark-side events)
would otherwise rank first for any change at all. 0.01 is one percentage point of a share."""

TABLE_METRICS: tuple[str, ...] = (*metrics.CANONICAL, "expects_response")
"""The metrics of the table: every canonical one, and whether citizens expect their voice to be
acted on (what closing the feedback loop moves first)."""

LEVERS: tuple[str, ...] = tuple(
    p.name
    for p in sorted(params.PARAMETERS, key=lambda p: p.group != "levers")  # stable: schema order
    if p.changeable and p.type is float
)
"""The levers a comparison may change: the numeric parameters a policy can set during a run,
the policy levers first."""


@dataclass(frozen=True)
class CompareSpec:
    """What to compare: ``reference`` (A) and ``changed`` (B), each over ``seeds`` seeds from
    ``seed``."""

    reference: Scenario
    changed: Scenario
    seed: int
    seeds: int = DEFAULT_SEEDS

    @property
    def months(self) -> int:
        """Months simulated in all (for progress)."""
        return (self.reference.steps + self.changed.steps) * self.seeds


def check_seeds(value: Any) -> int:
    """The number of seeds per side as an ``int`` in ``[1, MAX_SEEDS]``."""
    return session.check_integer(value, "compare: seeds", 1, MAX_SEEDS)


def two_scenarios(
    reference: Scenario, other: Scenario, seed: int, seeds: Any = DEFAULT_SEEDS
) -> CompareSpec:
    """Scenario A against scenario B on the same seeds."""
    for sc in (reference, other):
        session.check_size(sc.parameters(), sc.name or "compare")
    return CompareSpec(reference, other, session.check_seed(seed), check_seeds(seeds))


def lever_label(name: str) -> str:
    """A lever as people read it: its name in words, with its unit unless it is a level."""
    spec = params.PARAMS_BY_NAME[name]
    unit = "" if spec.unit in ("level", "switch") else f" ({spec.unit})"
    return name.replace("_", " ") + unit


def lever_step(name: str) -> float:
    """A lever's slider step: the sidebar's rule (:func:`.controls.slider_step`)."""
    return controls.slider_step(params.PARAMS_BY_NAME[name])


def _check_levers(base: Scenario, changes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """The changes as a dict, refused with the lever, the value and what is allowed."""
    out: dict[str, Any] = {}
    for name, value in changes:
        if name not in params.PARAMS_BY_NAME:
            raise session.DashboardError(f"compare: unknown lever {name!r}{params.suggest(name)}")
        if name not in LEVERS:
            raise session.DashboardError(
                f"compare: lever {name!r} is not allowed; allowed: one of {', '.join(LEVERS)}"
            )
        if name in out:
            raise session.DashboardError(
                f"compare: lever {name!r} is set twice ({out[name]} and {value}); allowed: "
                "each lever once"
            )
        out[name] = value
    if not out:
        raise session.DashboardError("compare: no lever changed; allowed: one lever or more")
    try:
        params.validate({**base.parameters(), **out}, source="compare")
    except params.ParameterError as err:
        raise session.DashboardError("; ".join(err.problems)) from err
    return out


def package_name(base: Scenario, changes: dict[str, Any]) -> str:
    """The changed side's name: the base and each lever with its new value."""
    levers = ", ".join(f"{lever_label(n)} = {v:g}" for n, v in changes.items())
    return f"{base.name or 'scenario'} with {levers}"


def lever_changes(
    base: Scenario, changes: Sequence[tuple[str, Any]], seed: int, seeds: Any = DEFAULT_SEEDS
) -> CompareSpec:
    """``base`` (A) against ``base`` with every lever of ``changes`` set at once (B)."""
    values = _check_levers(base, changes)
    session.check_size(base.parameters(), base.name or "compare")
    changed = base.replace(name=package_name(base, values), **values)
    return CompareSpec(base, changed, session.check_seed(seed), check_seeds(seeds))


def run(spec: CompareSpec, on_step: Callable[[int, int], None] | None = None) -> runs.Results:
    """Run both sides over the spec's seeds through :func:`coprod_sim.runs.run_all`.

    ``on_step(done, total)`` reports progress in months.
    """
    total, done = spec.months, 0

    def tick(_label: str, _replication: int) -> None:
        nonlocal done
        done += 1
        if on_step is not None:
            on_step(done, total)

    return runs.run_all(
        [spec.reference, spec.changed], seed=spec.seed, replications=spec.seeds, on_step=tick
    )


def side_labels(results: runs.Results) -> tuple[str, str]:
    """The labels of A and B in ``results`` (two scenarios of one name get ``-2``)."""
    first, second = results.scenarios
    return first.name, second.name


def final_values(ts: pd.DataFrame, scenario: str, names: Sequence[str]) -> pd.DataFrame:
    """Each replication's last month of ``scenario``: one row per replication, in order."""
    sub = ts.loc[ts["scenario"].astype(str) == scenario]
    last = sub.loc[sub["month"] == sub["month"].max()]
    return last.set_index("replication").sort_index()[list(names)]


def t_half_width(differences: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """Half the width of the t-interval of the mean of ``differences`` (one row per seed, one
    column per metric); NaN with fewer than two seeds."""
    n = differences.shape[0]
    if n < 2:
        return np.full(differences.shape[1], np.nan)
    t = stats.t.ppf(0.5 + confidence / 2, df=n - 1)
    return t * differences.std(axis=0, ddof=1) / math.sqrt(n)


def difference_table(results: runs.Results) -> pd.DataFrame:
    """The table of differences, largest relative difference first.

    One row per metric of :data:`TABLE_METRICS`: ``metric``, ``label``, ``unit``, ``mean_a``
    and ``mean_b`` (means over seeds of the last month), ``difference`` (B - A), ``low`` and
    ``high`` (the 95% t-interval of the mean paired difference over the seeds), and
    ``relative`` (difference / max(|mean A|, :data:`RELATIVE_FLOOR`)).
    """
    names = list(TABLE_METRICS)
    a_label, b_label = side_labels(results)
    a = final_values(results.timeseries, a_label, names)
    b = final_values(results.timeseries, b_label, names)
    if not a.index.equals(b.index):
        raise ValueError(f"the two sides ran different seeds: {list(a.index)}, {list(b.index)}")
    paired = (b - a).to_numpy(dtype=float)  # seed i of B minus seed i of A
    mean_a = a.mean().to_numpy(dtype=float)
    difference = paired.mean(axis=0)
    half = t_half_width(paired)
    table = pd.DataFrame(
        {
            "metric": names,
            "label": [metrics.label(m) for m in names],
            "unit": [metrics.unit(m) for m in names],
            "mean_a": mean_a,
            "mean_b": b.mean().to_numpy(dtype=float),
            "difference": difference,
            "low": difference - half,
            "high": difference + half,
            "relative": difference / np.maximum(np.abs(mean_a), RELATIVE_FLOOR),
        }
    )
    order = table["relative"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


TABLE_HEADER: tuple[str, ...] = (
    "Metric",
    "Unit",
    "Mean A",
    "Mean B",
    "Difference B − A",
    "95% interval of the difference",
    "Relative difference",
)
"""Column headings of the table as shown."""


def row_digits(*values: float) -> int:
    """Decimals for one row of the table, from its largest mean: three below 10, one below
    100, none above (the report's rounding), so that a row's numbers line up."""
    size = max((abs(v) for v in values if np.isfinite(v)), default=0.0)
    return 0 if size >= 100 else 1 if size >= 10 else 3


def _number(value: float, digits: int, *, sign: bool = False) -> str:
    if not np.isfinite(value):
        return "n/a"
    rounded = round(float(value), digits) + 0.0  # + 0.0: no "-0.000"
    return f"{rounded:+,.{digits}f}" if sign else f"{rounded:,.{digits}f}"


def table_rows(table: pd.DataFrame) -> list[tuple[str, ...]]:
    """The table's rows as text, in :data:`TABLE_HEADER`'s order."""
    rows = []
    for r in table.itertuples(index=False):
        d = row_digits(r.mean_a, r.mean_b)
        interval = (
            f"[{_number(r.low, d, sign=True)}, {_number(r.high, d, sign=True)}]"
            if np.isfinite(r.low)
            else "n/a (one seed)"
        )
        rows.append(
            (
                r.label,
                r.unit,
                _number(r.mean_a, d),
                _number(r.mean_b, d),
                _number(r.difference, d, sign=True),
                interval,
                f"{round(100 * r.relative, 1) + 0.0:+.1f}%",
            )
        )
    return rows


def table_html(table: pd.DataFrame) -> str:
    """The whole table (every row, no pages) as HTML."""
    return report.html_table(TABLE_HEADER, table_rows(table), numeric=range(2, 7))


def interval_note(seeds: int) -> str:
    """What the interval is, in words."""
    if seeds < 2:
        return "One seed per side: no interval (it needs two seeds or more)."
    return (
        f"The interval is a {CONFIDENCE:.0%} t-interval of the mean difference over the "
        f"{seeds} paired seeds (seed i of A against seed i of B, t with {seeds - 1} degrees of "
        "freedom). The relative difference is the difference divided by |mean A| (at least "
        f"{RELATIVE_FLOOR}); the table is sorted by its size."
    )


BAND_VIEWS: tuple[views.View, ...] = tuple(view for view in views.VIEWS if not view.uses_agents)
"""The live views drawn for a comparison: the five without agents."""

BAND_NOTE = (
    "lines are the means over the seeds; the shaded bands span the 5th-95th percentile across "
    "the seeds (the report's bands; with five seeds nearly the lowest to the highest)."
)
"""What the figures' lines and bands are (:data:`coprod_sim.report.BAND`)."""


def band_figures(results: runs.Results, *, per_side: bool = False) -> list[list[go.Figure]]:
    """The :data:`BAND_VIEWS` of a comparison, one list per view: both sides in one figure,
    or with ``per_side`` one figure per side (A, then B). Each draws :data:`BAND_NOTE`; the
    layout is the live views' (legend below: the sides' long names would squeeze the plot)."""
    ts = results.timeseries
    horizon = int(ts["month"].max())
    sides = side_labels(results)
    parts = [ts[ts["scenario"] == s] for s in sides] if per_side else [ts]
    return [
        [views.live_figure(view, part, pd.DataFrame(), horizon) for part in parts]
        for view in BAND_VIEWS
    ]


def interval_figure(table: pd.DataFrame, seeds: int, top: int = 12) -> go.Figure:
    """The ``top`` largest relative differences as dots with their intervals (as a share of
    |mean A|, like the dots), so that metrics in different units sit on one axis."""
    shown = table.head(top).iloc[::-1]  # the largest at the top
    scale = np.maximum(np.abs(shown["mean_a"]), RELATIVE_FLOOR)
    relative = 100 * shown["relative"]
    fig = go.Figure(
        go.Scatter(
            x=relative,
            y=shown["label"],
            mode="markers",
            marker={"size": 9, "color": report.SCENARIO_COLOURS[1]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (100 * (shown["high"] - shown["difference"]) / scale).fillna(0),
                "arrayminus": (100 * (shown["difference"] - shown["low"]) / scale).fillna(0),
                "thickness": 1.5,
            },
            customdata=shown["metric"],
            meta="relative_difference",
            hovertemplate="%{y}: %{x:+.1f}%<extra></extra>",
            name="B − A, relative to |A|",
        )
    )
    fig.add_vline(x=0, line={"color": "#888", "width": 1})
    note = f"{CONFIDENCE:.0%} t-intervals over {seeds} paired seeds" if seeds > 1 else "one seed"
    fig.update_layout(
        title={
            "text": f"The largest differences, relative to A<br><sup>dots: (B − A) / |A|; "
            f"bars: {note}</sup>",
            "x": 0.01,
        },
        template="plotly_white",
        height=140 + 28 * len(shown),
        margin={"l": 20, "r": 20, "t": 80, "b": 50},
        xaxis={"title": {"text": "difference, % of |mean A|"}, "zeroline": False},
        yaxis={"automargin": True},
        showlegend=False,
    )
    return fig


__all__ = [
    "BAND_NOTE",
    "BAND_VIEWS",
    "DEFAULT_SEEDS",
    "LEVERS",
    "MAX_SEEDS",
    "RELATIVE_FLOOR",
    "TABLE_HEADER",
    "TABLE_METRICS",
    "CompareSpec",
    "band_figures",
    "check_seeds",
    "difference_table",
    "interval_figure",
    "interval_note",
    "lever_changes",
    "lever_label",
    "lever_step",
    "run",
    "side_labels",
    "table_html",
    "table_rows",
    "two_scenarios",
]
