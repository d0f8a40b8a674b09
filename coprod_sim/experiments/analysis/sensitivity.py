"""Sensitivity indices with SALib: Sobol' indices and Morris screening, the numbers and their
figures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ...report import (
    METRIC_COLOURS,
    SCENARIO_COLOURS,
)
from .common import CONF_LEVEL, Manifest, apply_layout, empty_figure, output_columns, succeeded


# ---------------------------------------------------------------------------- 3-4. SALib
@dataclass(frozen=True)
class Indices:
    """Sensitivity indices: one row per (output, axis); ``notes`` on what was left out."""

    table: pd.DataFrame
    notes: tuple[str, ...] = ()


SOBOL_COLUMNS = ("output", "axis", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("output", "axis", "mu", "mu_star", "sigma", "mu_star_conf")


def index_rows(
    output: str, axes: Sequence[str], result: Mapping[str, Any], columns: Sequence[str]
) -> list[dict[str, Any]]:
    """The table rows of one output's SALib ``result``: one per axis, in axis order, with the
    output, the axis and, as floats, the statistics named by ``columns`` after those two.

    Sobol' and Morris results differ only in the statistics they name, so both tables (and
    any further method) are built here and keep the same layout."""
    stats = [c for c in columns if c not in ("output", "axis")]
    return [
        {"output": output, "axis": axis, **{s: float(result[s][k]) for s in stats}}
        for k, axis in enumerate(axes)
    ]


def salib_problem(manifest: Manifest) -> dict[str, Any]:
    """The SALib problem of the manifest's ranged axes (as :func:`.design.problem`)."""
    axes = manifest["axes"]
    return {
        "num_vars": len(axes),
        "names": [str(a["name"]) for a in axes],
        "bounds": [[float(a["low"]), float(a["high"])] for a in axes],
    }


def point_means(runs: pd.DataFrame, manifest: Manifest) -> tuple[pd.DataFrame, list[str]]:
    """Per design point (index 0..n_points-1, in design order), the mean of every output over
    its successful replicates (NaN where none has a value), and notes on what was dropped."""
    n = int(manifest["n_points"])
    columns = output_columns(manifest)
    ok = succeeded(runs)
    means = ok.groupby("point")[columns].mean().reindex(range(n)) if len(ok) else None
    if means is None:
        means = pd.DataFrame(np.nan, index=range(n), columns=columns)
    notes = []
    bad = len(runs) - len(ok)
    if bad:
        notes.append(
            f"{bad} failed run(s) are left out; a point's value is the mean of its other "
            "replicates."
        )
    return means, notes


def _drop_undefined(means: pd.DataFrame, manifest: Manifest) -> tuple[list[str], list[str]]:
    """The outputs with a value at every point (and not constant), and notes on the others."""
    keep, notes = [], []
    stats = {str(o["column"]): str(o["stat"]) for o in manifest["outputs"]}
    for column in means.columns:
        missing = int(means[column].isna().sum())
        if not missing:
            if means[column].nunique() > 1:
                keep.append(column)
            else:
                notes.append(f"{column} is left out: it has the same value at every point.")
            continue
        why = (
            " (recovery is undefined for runs that never recover; try dip or area_lost)"
            if stats.get(column) == "recovery"
            else ""
        )
        notes.append(
            f"{column} is left out: {missing} of {len(means)} points have no value (failed, "
            f"not run yet, or undefined){why}."
        )
    return keep, notes


def sobol_analysis(
    runs: pd.DataFrame, manifest: Manifest, *, conf_level: float = CONF_LEVEL
) -> Indices:
    """Sobol' indices (SALib) of every output with a value at every point.

    Y is the per-point mean over replicates, in point order (the order of Saltelli's sample).
    The table has columns output, axis, S1, S1_conf, ST, ST_conf (``*_conf``: half-width of
    the ``conf_level`` bootstrap interval). The bootstrap uses the experiment's seed.
    """
    from SALib.analyze import sobol

    if runs.empty:
        return Indices(pd.DataFrame(columns=SOBOL_COLUMNS), ("No runs are stored yet.",))
    problem = salib_problem(manifest)
    means, notes = point_means(runs, manifest)
    keep, more = _drop_undefined(means, manifest)
    rows = []
    for column in keep:
        si = sobol.analyze(
            problem,
            means[column].to_numpy(dtype=np.float64),
            calc_second_order=True,
            conf_level=conf_level,
            seed=int(manifest["seed"]),
        )
        rows += index_rows(column, problem["names"], si, SOBOL_COLUMNS)
    return Indices(pd.DataFrame(rows, columns=SOBOL_COLUMNS), tuple(notes + more))


def morris_analysis(
    runs: pd.DataFrame, manifest: Manifest, *, conf_level: float = CONF_LEVEL
) -> Indices:
    """Morris elementary-effect statistics (SALib) of every output with a value at every point.

    X is the design (axis values per point, in point order: the trajectories), Y the per-point
    mean over replicates. The table has columns output, axis, mu, mu_star, sigma,
    mu_star_conf. The bootstrap uses the experiment's seed.
    """
    from SALib.analyze import morris

    if runs.empty:
        return Indices(pd.DataFrame(columns=MORRIS_COLUMNS), ("No runs are stored yet.",))
    problem = salib_problem(manifest)
    axes = problem["names"]
    n = int(manifest["n_points"])
    means, notes = point_means(runs, manifest)
    keep, more = _drop_undefined(means, manifest)
    design = runs.drop_duplicates("point").set_index("point")[axes].reindex(range(n))
    rows = []
    if keep and design.isna().any(axis=None):
        more.append("The design points are incomplete: no Morris statistics.")
        keep = []
    x = design.to_numpy(dtype=np.float64)
    for column in keep:
        si = morris.analyze(
            problem,
            x,
            means[column].to_numpy(dtype=np.float64),
            num_levels=int(manifest["levels"]),
            conf_level=conf_level,
            seed=int(manifest["seed"]),
        )
        rows += index_rows(column, axes, si, MORRIS_COLUMNS)
    return Indices(pd.DataFrame(rows, columns=MORRIS_COLUMNS), tuple(notes + more))


def sobol_indices(
    runs: pd.DataFrame, manifest: Manifest, *, result: Indices | None = None
) -> go.Figure:
    """First-order (S1) and total (ST) Sobol' indices per axis, one panel per output, with
    the bootstrap confidence intervals as error bars."""
    result = result or sobol_analysis(runs, manifest)
    table = result.table
    outputs = list(dict.fromkeys(table["output"]))
    if not outputs:
        return empty_figure("Sobol' indices", "No output has a value at every point.")
    fig = make_subplots(
        rows=len(outputs),
        cols=1,
        shared_xaxes=True,
        subplot_titles=outputs,
        vertical_spacing=min(0.1, 0.4 / len(outputs)),
    )
    for i, output in enumerate(outputs):
        t = table[table["output"] == output]
        for k, (index, name) in enumerate((("S1", "first order S1"), ("ST", "total ST"))):
            fig.add_trace(
                go.Bar(
                    x=t["axis"],
                    y=t[index],
                    error_y={"type": "data", "array": t[f"{index}_conf"].to_numpy()},
                    marker_color=METRIC_COLOURS[k],
                    name=name,
                    legendgroup=index,
                    showlegend=i == 0,
                    hovertemplate=(
                        f"%{{x}}<br>{index} = %{{y:.3f}} ± %{{error_y.array:.3f}}<extra></extra>"
                    ),
                ),
                row=i + 1,
                col=1,
            )
        fig.update_yaxes(title_text="index", row=i + 1, col=1)
    fig.update_layout(barmode="group")
    conf = f"{CONF_LEVEL:.0%}"
    return apply_layout(
        fig,
        "Sobol' sensitivity indices",
        f"error bars: {conf} bootstrap confidence intervals",
        height=160 + 260 * len(outputs),
    )


def morris_indices(
    runs: pd.DataFrame, manifest: Manifest, *, result: Indices | None = None
) -> go.Figure:
    """Morris screening: mu* (mean absolute elementary effect, with its confidence interval)
    against sigma (their spread) per axis, one panel per output."""
    result = result or morris_analysis(runs, manifest)
    table = result.table
    outputs = list(dict.fromkeys(table["output"]))
    if not outputs:
        return empty_figure("Morris screening", "No output has a value at every point.")
    cols = min(3, len(outputs))
    rows = math.ceil(len(outputs) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=outputs,
        horizontal_spacing=0.09,
        vertical_spacing=min(0.15, 0.5 / rows),
    )
    axes = list(dict.fromkeys(table["axis"]))
    for i, output in enumerate(outputs):
        r, c = divmod(i, cols)
        t = table[table["output"] == output].set_index("axis")
        top = float(np.nanmax([t["mu_star"].max() + t["mu_star_conf"].max(), t["sigma"].max()]))
        fig.add_trace(
            go.Scatter(
                x=[0, top],
                y=[0, top],
                mode="lines",
                line={"color": "#999", "dash": "dot", "width": 1},
                hoverinfo="skip",
                name="sigma = mu*",
                legendgroup="diagonal",
                showlegend=i == 0,
            ),
            row=r + 1,
            col=c + 1,
        )
        for k, axis in enumerate(axes):
            colour = SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)]
            fig.add_trace(
                go.Scatter(
                    x=[t.at[axis, "mu_star"]],
                    y=[t.at[axis, "sigma"]],
                    error_x={"type": "data", "array": [t.at[axis, "mu_star_conf"]]},
                    mode="markers+text",
                    text=[axis],
                    textposition="top center",
                    textfont={"size": 10},
                    marker={"color": colour, "size": 10},
                    name=axis,
                    legendgroup=axis,
                    showlegend=i == 0,
                    hovertemplate=(
                        f"{axis}<br>mu* = %{{x:.4g}} ± {t.at[axis, 'mu_star_conf']:.3g}"
                        f"<br>sigma = %{{y:.4g}}<br>mu = {t.at[axis, 'mu']:.4g}<extra></extra>"
                    ),
                ),
                row=r + 1,
                col=c + 1,
            )
        fig.update_xaxes(title_text="mu* (mean |effect|)", rangemode="tozero", row=r + 1, col=c + 1)
        fig.update_yaxes(title_text="sigma", rangemode="tozero", row=r + 1, col=c + 1)
    conf = f"{CONF_LEVEL:.0%}"
    return apply_layout(
        fig,
        "Morris screening: importance (mu*) against non-linearity and interactions (sigma)",
        f"error bars: {conf} bootstrap confidence interval of mu*",
        height=140 + 380 * rows,
    )
