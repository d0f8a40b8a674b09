"""The time-series figures: the hysteresis loop of a level path and the resilience triangles
after a shock."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ...report import (
    RESILIENCE,
    SCENARIO_COLOURS,
    esc,
    rgba,
)
from ..spec import LevelPath
from .common import PRE_SHOCK, Manifest, apply_layout, band_quantiles, succeeded
from .groups import path_legs, run_groups


# ---------------------------------------------------------------------------- 5. hysteresis
def path_metrics(manifest: Manifest, limit: int = 4) -> list[str]:
    """The metrics of the outputs (each once), at most ``limit``."""
    return list(dict.fromkeys(str(o["metric"]) for o in manifest["outputs"]))[:limit]


def hysteresis_table(
    timeseries: pd.DataFrame,
    runs: pd.DataFrame,
    manifest: Manifest,
    path: LevelPath,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per successful run and level ``k`` of the path: the level's ``value``, its direction
    (``leg``: up or down), the run's ``group`` (:func:`run_groups`), and the mean of each metric
    over the last ``min(12, months)`` months of the level (months ``k*months + 1`` to
    ``(k+1)*months`` hold level ``k``)."""
    metrics = list(metrics or path_metrics(manifest))
    window = min(12, path.months)
    ok = succeeded(runs)
    ts = timeseries.loc[timeseries["run_id"].isin(ok["run_id"]), ["run_id", "month", *metrics]]
    month = ts["month"].to_numpy()
    level = (month - 1) // path.months
    keep = (
        (month >= 1)
        & (level < len(path.values))
        & ((month - 1) % path.months >= path.months - window)
    )
    ts = ts.loc[keep].assign(level=level[keep])
    table = ts.groupby(["run_id", "level"], as_index=False)[metrics].mean()
    legs = path_legs(path.values)
    table.insert(2, "value", [path.values[k] for k in table["level"]])
    table.insert(3, "leg", [legs[k] for k in table["level"]])
    groups = run_groups(ok, manifest)
    table.insert(1, "group", pd.Categorical(table["run_id"].map(groups), dtype=groups.dtype))
    return table


def _segments(legs: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Maximal runs of levels in one direction, each starting at the level before it."""
    out: list[tuple[str, list[int]]] = []
    for k, leg in enumerate(legs):
        if out and out[-1][0] == leg:
            out[-1][1].append(k)
        else:
            out.append((leg, [k - 1, k] if k else [k]))
    return out


def hysteresis(
    timeseries: pd.DataFrame,
    runs: pd.DataFrame,
    manifest: Manifest,
    path: LevelPath,
    metrics: Sequence[str] | None = None,
) -> go.Figure:
    """The hysteresis loop: each metric at the end of every level of the path against the
    path's parameter, the way up (solid, triangles up) and down (dashed, triangles down), one
    line per group of runs (mean, with 5th-95th percentile error bars across its runs)."""
    metrics = list(metrics or path_metrics(manifest))
    table = hysteresis_table(timeseries, runs, manifest, path, metrics)
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=metrics, horizontal_spacing=0.08)
    legs = path_legs(path.values)
    segments = _segments(legs)
    groups = list(table["group"].cat.categories) if len(table) else []
    for j, metric in enumerate(metrics):
        for g, group in enumerate(groups):
            colour = SCENARIO_COLOURS[g % len(SCENARIO_COLOURS)]
            stats = band_quantiles(table.loc[table["group"] == group].groupby("level")[metric])
            stats = stats.reindex(range(len(path.values)))
            for s, (leg, levels) in enumerate(segments):
                part = stats.loc[levels]
                several = bool((part["n"] > 1).any())
                fig.add_trace(
                    go.Scatter(
                        x=[path.values[k] for k in levels],
                        y=part["mean"].to_numpy(),
                        error_y={
                            "type": "data",
                            "symmetric": False,
                            "array": (part["high"] - part["mean"]).to_numpy(),
                            "arrayminus": (part["mean"] - part["low"]).to_numpy(),
                            "color": rgba(colour, 0.5),
                            "thickness": 1,
                        }
                        if several
                        else None,
                        mode="lines+markers",
                        line={"color": colour, "dash": "solid" if leg == "up" else "dash"},
                        marker={
                            "symbol": "triangle-up" if leg == "up" else "triangle-down",
                            # the first level of a later leg is the last of the one before
                            "size": [0 if s and i == 0 else 9 for i in range(len(levels))],
                            "color": colour,
                        },
                        customdata=np.array(levels),
                        name=str(group),
                        legendgroup=str(group),
                        showlegend=j == 0 and s == 0,
                        hovertemplate=(
                            f"{esc(group)} ({leg})<br>level %{{customdata}}: {path.parameter} "
                            f"= %{{x:.3g}}<br>{metric}: %{{y:.4g}}<extra></extra>"
                        ),
                    ),
                    row=1,
                    col=j + 1,
                )
        fig.update_xaxes(title_text=path.parameter, row=1, col=j + 1)
    window = min(12, path.months)
    return apply_layout(
        fig,
        f"Hysteresis: {path.parameter} stepped up, then down",
        f"mean over the last {window} months of each level ({path.months} months a level); "
        "solid ▲ up, dashed ▼ down; error bars: 5th-95th percentile of runs",
        height=480,
    )


# ---------------------------------------------------------------------------- 6. resilience
def shock_start(manifest: Manifest) -> int | None:
    """The shock month of the outputs (the earliest, if they differ), or None."""
    starts = [int(o["shock_start"]) for o in manifest["outputs"] if o.get("shock_start")]
    return min(starts) if starts else None


def resilience_table(
    timeseries: pd.DataFrame,
    runs: pd.DataFrame,
    manifest: Manifest,
    *,
    shock: int | None = None,
    before: int = 6,
    metrics: Sequence[str] = tuple(RESILIENCE),
) -> pd.DataFrame:
    """Each resilience metric of each group of runs (:func:`run_groups`) relative to the
    group's pre-shock level, from ``before`` months before the shock to the end.

    One row per (group, metric, month): ``pre_shock``, the group's mean level over the 12
    months before the shock (as :func:`coprod_sim.metrics.shock_response`); ``mean``, the mean
    over the group's runs divided by ``pre_shock`` (a ratio of means, which stays readable when
    a run's own pre-shock level is near zero); ``low`` and ``high``, the 5th and 95th
    percentiles across its runs on the same scale; and ``n``, the runs. NaN where the pre-shock
    level is zero."""
    shock = shock or shock_start(manifest)
    if shock is None:
        raise ValueError("the sweep has no shock")
    metrics = list(metrics)
    ok = succeeded(runs)
    groups = run_groups(ok, manifest)
    ts = timeseries.loc[timeseries["run_id"].isin(ok["run_id"]), ["run_id", "month", *metrics]]
    ts = ts.assign(group=pd.Categorical(ts["run_id"].map(groups), dtype=groups.dtype))
    pre = ts[(ts["month"] >= max(0, shock - PRE_SHOCK)) & (ts["month"] < shock)]
    level = pre.groupby("group", observed=True)[metrics].mean().stack()
    after = ts[ts["month"] >= max(0, shock - before)]
    long = after.melt(
        id_vars=["group", "month"], value_vars=metrics, var_name="metric", value_name="value"
    )
    stats = band_quantiles(long.groupby(["group", "metric", "month"], observed=True)["value"])
    stats = stats.reset_index()
    keys = pd.MultiIndex.from_arrays([stats["group"].astype(str), stats["metric"]])
    level.index = pd.MultiIndex.from_arrays(
        [level.index.get_level_values(0).astype(str), level.index.get_level_values(1)]
    )
    pre_shock = level.reindex(keys).to_numpy(dtype=np.float64)
    stats.insert(3, "pre_shock", pre_shock)
    scale = np.where(pre_shock > 0, pre_shock, np.nan)
    for column in ("mean", "low", "high"):
        stats[column] = stats[column].to_numpy(dtype=np.float64) / scale
    return stats


def area_lost(table: pd.DataFrame, shock: int) -> pd.Series:
    """The resilience triangle of each (group, metric) of :func:`resilience_table`: the area
    between 1 and the mean relative series from the shock on, in months (a share of the
    pre-shock level times months)."""
    after = table[table["month"] >= shock]
    short = (1.0 - after["mean"]).clip(lower=0.0)
    return short.groupby([after["group"], after["metric"]], observed=True).sum()


def resilience_triangles(
    timeseries: pd.DataFrame,
    runs: pd.DataFrame,
    manifest: Manifest,
    *,
    shock: int | None = None,
    before: int = 6,
) -> go.Figure:
    """The resilience chain and its four links relative to their pre-shock levels around the
    shock, one panel each, one line per group of runs, with the area lost (the resilience
    triangle) shaded."""
    shock = shock or shock_start(manifest)
    if shock is None:
        raise ValueError("the sweep has no shock")
    table = resilience_table(timeseries, runs, manifest, shock=shock, before=before)
    areas = area_lost(table, shock)
    names = list(RESILIENCE)
    fig = make_subplots(
        rows=2,
        cols=3,
        subplot_titles=[RESILIENCE[m] for m in names],
        shared_xaxes=True,
        horizontal_spacing=0.07,
        vertical_spacing=0.12,
    )
    groups = list(table["group"].cat.categories) if len(table) else []
    for m, metric in enumerate(names):
        r, c = divmod(m, 3)
        where = {"row": r + 1, "col": c + 1}
        for g, group in enumerate(groups):
            colour = SCENARIO_COLOURS[g % len(SCENARIO_COLOURS)]
            t = table[(table["group"] == group) & (table["metric"] == metric)]
            if t.empty:
                continue
            post = t[(t["month"] >= shock) & t["mean"].notna()]
            fig.add_trace(
                go.Scatter(
                    x=post["month"],
                    y=np.ones(len(post)),
                    mode="lines",
                    line={"width": 0, "color": colour},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=str(group),
                ),
                **where,
            )
            fig.add_trace(
                go.Scatter(
                    x=post["month"],
                    y=np.minimum(post["mean"].to_numpy(), 1.0),
                    mode="lines",
                    fill="tonexty",
                    fillcolor=rgba(colour, 0.15),
                    line={"width": 0, "color": colour},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=str(group),
                ),
                **where,
            )
            area = float(areas.get((group, metric), 0.0))
            fig.add_trace(
                go.Scatter(
                    x=t["month"],
                    y=t["mean"],
                    mode="lines",
                    line={"color": colour, "width": 2},
                    name=str(group),
                    legendgroup=str(group),
                    showlegend=m == 0,
                    customdata=t["n"],
                    hovertemplate=(
                        f"{esc(group)}<br>month %{{x}}: %{{y:.3f}} of the pre-shock level"
                        f"<br>area lost {area:.2f}<br>runs: %{{customdata}}<extra></extra>"
                    ),
                ),
                **where,
            )
    fig.add_vline(x=shock, line={"color": "#888", "dash": "dot", "width": 1}, row="all", col="all")
    fig.add_hline(y=1.0, line={"color": "#bbb", "width": 1}, row="all", col="all")
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(title_text="relative to pre-shock", col=1)
    fig.update_xaxes(title_text="month", row=2)
    fig.update_xaxes(title_text="month", row=1, col=3)
    return apply_layout(
        fig,
        f"Resilience triangles: the shock at month {shock}",
        "lines: the group's mean of each measure divided by its mean over the 12 months before "
        "the shock; shaded: the area lost",
        height=620,
    )
