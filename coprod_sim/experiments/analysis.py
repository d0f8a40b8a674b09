"""Analysis of a sweep folder: plotly figures and one self-contained, offline HTML page.

The figure builders are small pure functions of the frames :mod:`.store` reads (``runs``: one
row per run with the design columns, the outputs and ``error``; ``timeseries``: one row per
run and month with the metrics) and of the manifest. Each returns a plotly ``go.Figure``;
the ``*html_table`` and ``*_analysis`` functions return the numbers behind them, so that they can
be checked and reused. :func:`render` reads a sweep folder, draws the figures its design
supports, says which it skipped and why, and returns the HTML page.

Conventions: failed runs (``error`` set) are left out of every figure and listed in a table;
an output that is undefined for a run (``recovery`` of a run that never recovers) is left out
of the means of that output only. Bands and error bars span the 5th to 95th percentile of the
runs they summarise (:data:`coprod_sim.report.BAND`).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq
from pandas.api.typing import SeriesGroupBy
from plotly.subplots import make_subplots

from .. import scenario
from ..report import (
    BAND,
    CSS,
    METRIC_COLOURS,
    RESILIENCE,
    SCENARIO_COLOURS,
    esc,
    figure_div,
    html_page,
    html_table,
    rgba,
)
from . import store
from .spec import LevelPath

Manifest = Mapping[str, Any]

BINS = 10
"""Most quantile bins of a continuous axis in the response curves (about 10 runs a bin)."""
HEAT_BINS = 5
"""Most quantile bins of a continuous axis in the heatmaps (about 4 runs a cell)."""
MAX_VALUES = 25
"""An axis with at most this many distinct values (a grid) is shown value by value."""
MAX_OUTPUTS = 6
MAX_AXES = 6
MAX_PAIRS = 3
MAX_GROUPS = 6
"""Runs are grouped point by point when the design has at most this many points."""
PRE_SHOCK = 12
"""Months before the shock whose mean is the pre-shock level (as in metrics.shock_response)."""
MAX_FAILED_ROWS = 200
CONF_LEVEL = 0.95

_TEMPLATE = "plotly_white"


# ---------------------------------------------------------------------------- small helpers
def axis_names(manifest: Manifest) -> list[str]:
    """The swept parameters, in the experiment's order."""
    return [str(a["name"]) for a in manifest["axes"]]


def output_columns(manifest: Manifest) -> list[str]:
    """The output columns of the runs frame, in the experiment's order."""
    return [str(o["column"]) for o in manifest["outputs"]]


def _ok(runs: pd.DataFrame) -> pd.Series:
    if runs.empty or "error" not in runs:
        return pd.Series(True, index=runs.index)
    return runs["error"].isna()


def succeeded(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished without an error."""
    return runs.loc[_ok(runs)]


def failed(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs recorded with an error."""
    return runs.loc[~_ok(runs)]


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else f"{float(value):.3g}"
    return str(value)


def _numeric(x: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)


@dataclass(frozen=True)
class Binned:
    """An axis cut into bins: ``codes`` (one per run, -1 where missing), and per bin its
    ``labels`` and ``positions`` (the mean axis value in the bin, or the value itself);
    ``edges`` (one more than the bins) for quantile bins, None for values."""

    codes: pd.Series
    labels: tuple[str, ...]
    positions: tuple[Any, ...]
    numeric: bool
    edges: tuple[float, ...] | None = None


def auto_bins(n_runs: int, *, most: int = BINS, per_bin: int = 10) -> int:
    """Quantile bins for ``n_runs`` runs: about ``per_bin`` runs a bin, 2 to ``most``."""
    return min(most, max(2, n_runs // per_bin))


def bin_axis(x: pd.Series, *, bins: int = BINS, max_values: int = MAX_VALUES) -> Binned:
    """Bin an axis: value by value when it has at most ``max_values`` distinct values (or is not
    numeric), else into ``bins`` quantile bins (fewer when values repeat)."""
    numeric = _numeric(x)
    distinct = pd.unique(x.dropna())
    if not numeric or len(distinct) <= max_values:
        try:
            ordered = sorted(distinct)
        except TypeError:  # mixed types: first appearance
            ordered = list(distinct)
        index = {v: k for k, v in enumerate(ordered)}
        codes = x.map(index).fillna(-1).astype(np.int64)
        return Binned(codes, tuple(_fmt(v) for v in ordered), tuple(ordered), numeric)
    cut = pd.qcut(x.astype(np.float64), q=bins, duplicates="drop")
    codes = pd.Series(cut.cat.codes.astype(np.int64), index=x.index)
    means = x.groupby(codes).mean()
    categories = cut.cat.categories
    # qcut's first edge sits just below the minimum: show the range of the values
    edges = [float(x.min()), *(float(iv.right) for iv in categories[:-1]), float(x.max())]
    labels = tuple(f"{_fmt(a)}–{_fmt(b)}" for a, b in itertools.pairwise(edges))
    positions = tuple(float(means.get(k, np.nan)) for k in range(len(categories)))
    return Binned(codes, labels, positions, True, tuple(edges))


def _layout(fig: go.Figure, title: str, subtitle: str = "", *, height: int = 460) -> go.Figure:
    text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    fig.update_layout(
        title={"text": text, "x": 0.01, "xanchor": "left"},
        template=_TEMPLATE,
        height=height,
        margin={"l": 80, "r": 30, "t": 100 if subtitle else 80, "b": 60},
    )
    return fig


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=240)


def _quantiles(values: SeriesGroupBy) -> pd.DataFrame:
    """Mean, 5th (low) and 95th (high) percentile and count of each group."""
    return pd.DataFrame(
        {
            "mean": values.mean(),
            "low": values.quantile(BAND[0]),
            "high": values.quantile(BAND[1]),
            "n": values.count(),
        }
    )


# ---------------------------------------------------------------------------- the path
def level_path(folder: str | os.PathLike, manifest: Manifest | None = None) -> LevelPath | None:
    """The experiment's ``[path]`` (hysteresis levels), or None.

    Taken from the manifest when it records one (``path``: parameter, values, months), else
    from the ``[path]`` table of ``folder/experiment.toml``, computed as :mod:`.spec` does:
    ``values``, or ``low``, ``high`` and ``levels`` (default 5) stepped up and back down;
    ``months`` (default 24) at each level. The table was validated when the sweep ran.
    """
    folder = Path(folder)
    recorded = (manifest or {}).get("path")
    if isinstance(recorded, Mapping):
        table: Any = recorded
    else:
        source = folder / "experiment.toml"
        if not source.is_file():
            return None
        # The loaders' reader: a damaged copy is a message naming it, not a traceback.
        table = scenario.parse_toml(scenario.read_text(source), str(source), max_nesting=4).get(
            "path"
        )
    if not isinstance(table, Mapping):
        return None
    if "values" in table:
        values = list(table["values"])
    else:
        low, high, levels = table["low"], table["high"], table.get("levels", 5)
        up = [low + (high - low) * i / (levels - 1) for i in range(levels)]
        values = up + up[-2::-1]
    return LevelPath(
        str(table["parameter"]), tuple(float(v) for v in values), table.get("months", 24)
    )


def _legs(values: Sequence[float]) -> list[str]:
    """The direction of each level of a path, 'up' or 'down': the levels before the first
    change (a spin-up at the starting level) go with that change, and a level equal to the one
    before keeps its direction."""
    changes = [k for k in range(1, len(values)) if values[k] != values[k - 1]]
    if not changes:
        return ["up"] * len(values)
    first = changes[0]
    legs = ["up" if values[first] > values[first - 1] else "down"] * len(values)
    for k in range(first + 1, len(values)):
        if values[k] != values[k - 1]:
            legs[k] = "up" if values[k] > values[k - 1] else "down"
        else:
            legs[k] = legs[k - 1]
    return legs


# ---------------------------------------------------------------------------- grouping runs
def run_groups(
    runs: pd.DataFrame, manifest: Manifest, *, by: str | None = None, max_groups: int = MAX_GROUPS
) -> pd.Series:
    """A group label per run (index: ``run_id``), an ordered categorical.

    With at most ``max_groups`` design points (and no ``by``), each point is a group, labelled
    by its axis values. Otherwise runs are grouped by one axis (``by``, default the first): by
    value when it has at most four values, else into low, middle and high terciles.
    """
    axes = axis_names(manifest)
    if runs.empty:
        return pd.Series([], dtype="category", name="group")
    if by is None and runs["point"].nunique() <= max_groups:
        points = runs.drop_duplicates("point").sort_values("point")
        names = {
            int(p): ", ".join(f"{a} = {_fmt(row[a])}" for a in axes)
            for p, row in zip(points["point"], points.to_dict("records"), strict=True)
        }
        labels = runs["point"].map(names)
        order = [names[p] for p in sorted(names)]
    else:
        axis = by or axes[0]
        x = runs[axis]
        if not _numeric(x) or x.nunique() <= 4:
            binned = bin_axis(x, max_values=4)
            names = {k: f"{axis} = {lab}" for k, lab in enumerate(binned.labels)}
        else:
            binned = bin_axis(x, bins=3, max_values=0)
            words = ["low", "middle", "high"] if len(binned.labels) == 3 else ["low", "high"]
            names = {
                k: f"{w} {axis} ({lab})"
                for k, (w, lab) in enumerate(zip(words, binned.labels, strict=False))
            }
        labels = binned.codes.map(names)
        order = [names[k] for k in sorted(names)]
    out = pd.Series(
        pd.Categorical(labels.to_numpy(), categories=order, ordered=True),
        index=runs["run_id"].to_numpy(),
        name="group",
    )
    out.index.name = "run_id"
    return out


# ---------------------------------------------------------------------------- 1. response
def response_table(
    runs: pd.DataFrame,
    manifest: Manifest,
    *,
    bins: int | None = None,
    max_values: int | None = None,
) -> pd.DataFrame:
    """The 1-D response of every output to every axis.

    One row per (output, axis, bin): the bin's ``label`` and position ``x``, and over the
    successful runs in the bin (all replicates, every value of the other axes) the ``mean``,
    the 5th (``low``) and 95th (``high``) percentiles and ``n``, the runs with a value.
    A grid axis is taken value by value; a sampled one in ``bins`` quantile bins (default:
    about 10 runs a bin, at most :data:`BINS`), or value by value if it has no more values.
    """
    ok = succeeded(runs)
    bins = bins or auto_bins(len(ok))
    if max_values is None:
        max_values = MAX_VALUES if manifest["sampler"] == "grid" else bins
    frames = []
    for axis in axis_names(manifest):
        if ok.empty:
            break
        binned = bin_axis(ok[axis], bins=bins, max_values=max_values)
        for column in output_columns(manifest):
            stats = _quantiles(ok[column].groupby(binned.codes))
            stats = stats.loc[stats.index >= 0].reindex(range(len(binned.labels)))
            stats.insert(0, "x", list(binned.positions))
            stats.insert(0, "label", list(binned.labels))
            stats.insert(0, "bin", range(len(binned.labels)))
            stats.insert(0, "axis", axis)
            stats.insert(0, "output", column)
            stats["n"] = stats["n"].fillna(0).astype(np.int64)
            frames.append(stats)
    columns = ["output", "axis", "bin", "label", "x", "mean", "low", "high", "n"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def response_curves(
    runs: pd.DataFrame,
    manifest: Manifest,
    *,
    bins: int | None = None,
    max_outputs: int = MAX_OUTPUTS,
    max_axes: int = MAX_AXES,
) -> go.Figure:
    """One panel per output (rows) and axis (columns): the output's mean against the axis
    value, over a shaded 5th-95th percentile band across replicates and the other axes."""
    outputs = output_columns(manifest)[:max_outputs]
    axes = axis_names(manifest)[:max_axes]
    table = response_table(runs, manifest, bins=bins)
    fig = make_subplots(
        rows=len(outputs),
        cols=len(axes),
        shared_yaxes=True,
        column_titles=axes,
        horizontal_spacing=min(0.04, 0.3 / max(1, len(axes))),
        vertical_spacing=min(0.08, 0.4 / max(1, len(outputs))),
    )
    for i, output in enumerate(outputs):
        colour = METRIC_COLOURS[i % len(METRIC_COLOURS)]
        for j, axis in enumerate(axes):
            t = table[(table["output"] == output) & (table["axis"] == axis)]
            t = t[t["n"] > 0]
            where = {"row": i + 1, "col": j + 1}
            numeric = _numeric(pd.Series(list(t["x"]), dtype=None))
            x = t["x"].to_numpy() if numeric else t["label"].to_numpy()
            hover = (
                f"{axis}: %{{customdata[0]}}<br>{output}: %{{y:.4g}}"
                "<br>5th-95th: %{customdata[1]:.4g} to %{customdata[2]:.4g}"
                "<br>runs: %{customdata[3]}<extra></extra>"
            )
            custom = [
                [label, float(lo), float(hi), int(n)]
                for label, lo, hi, n in zip(t["label"], t["low"], t["high"], t["n"], strict=True)
            ]
            if numeric and len(t):
                fig.add_trace(
                    go.Scatter(
                        x=np.concatenate([x, x[::-1]]),
                        y=np.concatenate([t["high"].to_numpy(), t["low"].to_numpy()[::-1]]),
                        fill="toself",
                        fillcolor=rgba(colour, 0.18),
                        line={"width": 0, "color": colour},
                        mode="lines",
                        hoverinfo="skip",
                        showlegend=False,
                    ),
                    **where,
                )
                error = None
            else:
                error = {
                    "type": "data",
                    "symmetric": False,
                    "array": (t["high"] - t["mean"]).to_numpy(),
                    "arrayminus": (t["mean"] - t["low"]).to_numpy(),
                    "color": colour,
                }
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=t["mean"].to_numpy(),
                    mode="lines+markers",
                    line={"color": colour, "width": 2},
                    marker={"size": 5},
                    error_y=error,
                    customdata=custom,
                    hovertemplate=hover,
                    name=output,
                    showlegend=False,
                ),
                **where,
            )
        fig.update_yaxes(title_text=output, title_font={"size": 11}, row=i + 1, col=1)
    ok = succeeded(runs)
    subtitle = f"{len(ok)} successful runs; lines: mean per bin; band: 5th-95th percentile"
    return _layout(
        fig,
        "Response of each output to each swept parameter",
        subtitle,
        height=140 + 230 * len(outputs),
    )


# ---------------------------------------------------------------------------- 2. heatmaps
def axis_pairs(manifest: Manifest, max_pairs: int = MAX_PAIRS) -> list[tuple[str, str]]:
    """The first ``max_pairs`` pairs of axes (in the experiment's order)."""
    return list(itertools.combinations(axis_names(manifest), 2))[:max_pairs]


def _cells(
    ok: pd.DataFrame,
    manifest: Manifest,
    output: str,
    x: str,
    y: str,
    bins: int | None,
    max_values: int | None,
) -> tuple[pd.DataFrame, pd.DataFrame, Binned, Binned]:
    bins = bins or int(min(HEAT_BINS, max(2, math.sqrt(len(ok) / 4))))  # ~4 runs a cell
    if max_values is None:
        max_values = MAX_VALUES if manifest["sampler"] == "grid" else bins
    bx = bin_axis(ok[x], bins=bins, max_values=max_values)
    by = bin_axis(ok[y], bins=bins, max_values=max_values)
    grouped = ok[output].groupby([by.codes, bx.codes])
    shape = pd.MultiIndex.from_product([range(len(by.labels)), range(len(bx.labels))])
    mean = grouped.mean().reindex(shape).unstack()
    count = grouped.count().reindex(shape).fillna(0).astype(np.int64).unstack()
    for frame in (mean, count):
        frame.index = list(by.labels)
        frame.columns = list(bx.labels)
        frame.index.name, frame.columns.name = y, x
    return mean, count, bx, by


def heatmap_table(
    runs: pd.DataFrame,
    manifest: Manifest,
    output: str,
    x: str,
    y: str,
    *,
    bins: int | None = None,
    max_values: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mean of ``output`` over the successful runs in each cell of axes ``x`` by ``y``
    (rows: y bins; columns: x bins; bin labels as index and columns), and the runs per cell.
    Grid axes go value by value; sampled ones into ``bins`` quantile bins (default: about 4
    runs a cell, at most :data:`HEAT_BINS` a side)."""
    mean, count, _, _ = _cells(succeeded(runs), manifest, output, x, y, bins, max_values)
    return mean, count


def heatmaps(
    runs: pd.DataFrame,
    manifest: Manifest,
    *,
    bins: int | None = None,
    max_pairs: int = MAX_PAIRS,
    max_outputs: int = 4,
) -> go.Figure:
    """Heatmaps of each output's mean over pairs of axes: one row per output (one colour scale
    per row), one column per pair of axes. Quantile bins are drawn between their edges."""
    pairs = axis_pairs(manifest, max_pairs)
    outputs = output_columns(manifest)[:max_outputs]
    if not pairs:
        return _empty("Two-way response", "The design has a single axis.")
    ok = succeeded(runs)
    fig = make_subplots(
        rows=len(outputs),
        cols=len(pairs),
        subplot_titles=[f"{o}: {x} × {y}" for o in outputs for x, y in pairs],
        horizontal_spacing=0.1,
        vertical_spacing=min(0.16, 0.6 / max(1, len(outputs))),
    )
    for i, output in enumerate(outputs):
        key = f"coloraxis{i + 1}" if i else "coloraxis"
        for j, (x, y) in enumerate(pairs):
            mean, count, bx, by = _cells(ok, manifest, output, x, y, bins, None)
            labels = np.empty((*mean.shape, 3), dtype=object)
            labels[..., 0] = count.to_numpy()
            labels[..., 1] = np.array(bx.labels, dtype=object)[None, :]
            labels[..., 2] = np.array(by.labels, dtype=object)[:, None]
            fig.add_trace(
                go.Heatmap(
                    z=mean.to_numpy(),
                    x=list(bx.edges) if bx.edges else list(bx.labels),
                    y=list(by.edges) if by.edges else list(by.labels),
                    customdata=labels,
                    coloraxis=key,
                    texttemplate="%{z:.3g}" if mean.size <= 49 else None,
                    hovertemplate=(
                        f"{x}: %{{customdata[1]}}<br>{y}: %{{customdata[2]}}<br>mean {output}: "
                        "%{z:.4g}<br>runs: %{customdata[0]}<extra></extra>"
                    ),
                ),
                row=i + 1,
                col=j + 1,
            )
            where = {"row": i + 1, "col": j + 1}
            fig.update_xaxes(title_text=x, type="linear" if bx.edges else "category", **where)
            fig.update_yaxes(title_text=y, type="linear" if by.edges else "category", **where)
        domain = fig.get_subplot(i + 1, 1).yaxis.domain
        fig.update_layout(
            {
                key: {
                    "colorscale": "Viridis",
                    "colorbar": {
                        "title": {"text": output, "side": "right"},
                        "y": (domain[0] + domain[1]) / 2,
                        "len": (domain[1] - domain[0]) * 1.05,
                        "thickness": 14,
                    },
                }
            }
        )
    fig.update_annotations(font_size=11)
    return _layout(
        fig,
        "Two-way response: mean of each output over pairs of swept parameters",
        "cells: mean over the successful runs (replicates and the other axes)",
        height=140 + 340 * len(outputs),
    )


# ---------------------------------------------------------------------------- 3-4. SALib
@dataclass(frozen=True)
class Indices:
    """Sensitivity indices: one row per (output, axis); ``notes`` on what was left out."""

    table: pd.DataFrame
    notes: tuple[str, ...] = ()


SOBOL_COLUMNS = ("output", "axis", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("output", "axis", "mu", "mu_star", "sigma", "mu_star_conf")


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
        for k, name in enumerate(problem["names"]):
            rows.append(
                {
                    "output": column,
                    "axis": name,
                    "S1": float(si["S1"][k]),
                    "S1_conf": float(si["S1_conf"][k]),
                    "ST": float(si["ST"][k]),
                    "ST_conf": float(si["ST_conf"][k]),
                }
            )
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
        for k, name in enumerate(axes):
            rows.append(
                {
                    "output": column,
                    "axis": name,
                    "mu": float(si["mu"][k]),
                    "mu_star": float(si["mu_star"][k]),
                    "sigma": float(si["sigma"][k]),
                    "mu_star_conf": float(si["mu_star_conf"][k]),
                }
            )
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
        return _empty("Sobol' indices", "No output has a value at every point.")
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
    return _layout(
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
        return _empty("Morris screening", "No output has a value at every point.")
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
    return _layout(
        fig,
        "Morris screening: importance (mu*) against non-linearity and interactions (sigma)",
        f"error bars: {conf} bootstrap confidence interval of mu*",
        height=140 + 380 * rows,
    )


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
    legs = _legs(path.values)
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
    legs = _legs(path.values)
    segments = _segments(legs)
    groups = list(table["group"].cat.categories) if len(table) else []
    for j, metric in enumerate(metrics):
        for g, group in enumerate(groups):
            colour = SCENARIO_COLOURS[g % len(SCENARIO_COLOURS)]
            stats = _quantiles(table.loc[table["group"] == group].groupby("level")[metric])
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
    return _layout(
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
    stats = _quantiles(long.groupby(["group", "metric", "month"], observed=True)["value"])
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
    return _layout(
        fig,
        f"Resilience triangles: the shock at month {shock}",
        "lines: the group's mean of each measure divided by its mean over the 12 months before "
        "the shock; shaded: the area lost",
        height=620,
    )


# ---------------------------------------------------------------------------- 7. tables
def failed_runs(runs: pd.DataFrame, manifest: Manifest) -> pd.DataFrame:
    """The failed runs: run id, point, replicate, seed, the axis values and the error."""
    columns = ["run_id", "point", "replicate", "seed", *axis_names(manifest), "error"]
    bad = failed(runs)
    return bad[columns].reset_index(drop=True) if len(bad) else pd.DataFrame(columns=columns)


def summary(
    runs: pd.DataFrame, manifest: Manifest, path: LevelPath | None = None
) -> list[tuple[str, str]]:
    """(item, value) rows describing the sweep."""

    def axis(a: Mapping[str, Any]) -> str:
        if a.get("values"):
            return f"{a['name']}: " + ", ".join(_fmt(v) for v in a["values"])
        return f"{a['name']}: {_fmt(a['low'])} to {_fmt(a['high'])}"

    def output(o: Mapping[str, Any]) -> str:
        shock = f" (shock at month {o['shock_start']})" if o.get("shock_start") else ""
        return f"{o['column']}{shock}"

    sampler = str(manifest["sampler"])
    if sampler == "morris":
        sampler += f" ({manifest['samples']} trajectories, {manifest['levels']} levels)"
    elif sampler == "sobol":
        sampler += f" (N = {manifest['samples']}, Saltelli's scheme)"
    rows = [
        ("scenario", str(manifest.get("scenario", ""))),
        ("sampler", sampler),
        ("axes", "; ".join(axis(a) for a in manifest["axes"])),
        ("outputs", "; ".join(output(o) for o in manifest["outputs"])),
        (
            "fixed parameters",
            ", ".join(f"{k} = {_fmt(v)}" for k, v in manifest.get("fixed", {}).items()) or "none",
        ),
        ("points", str(manifest["n_points"])),
        ("replications", str(manifest["replications"])),
        ("runs stored", f"{len(runs)} of {manifest['n_runs']}"),
        ("failed runs", str(len(failed(runs)))),
        ("months per run", str(manifest["steps"])),
        ("root seed", str(manifest["seed"])),
        ("time series", "yes" if manifest.get("timeseries") else "no"),
    ]
    if path is not None:
        values = ", ".join(_fmt(v) for v in path.values)
        rows.append(("path", f"{path.parameter}: {values}; {path.months} months a level"))
    rows += [
        ("coprod-sim version", str(manifest.get("version", ""))),
        ("content hash", str(manifest.get("hash", ""))[:16]),
    ]
    return rows


# ---------------------------------------------------------------------------- the page
def _read_series(folder: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The stored time series, only ``columns`` (plus run_id and month)."""
    parts = sorted((folder / "timeseries").glob("part-*.parquet"))
    wanted = list(dict.fromkeys(["run_id", "month", *columns]))
    if not parts:
        return pd.DataFrame(columns=wanted)
    frames = []
    for part in parts:
        present = set(pq.read_schema(part).names)
        frames.append(pd.read_parquet(part, columns=[c for c in wanted if c in present]))
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["run_id", "month"], ignore_index=True)


@dataclass(frozen=True)
class Section:
    """A figure of the page: title, figure and caption (plain text, escaped on output)."""

    title: str
    figure: go.Figure
    caption: str


_CAPTIONS = {
    "response": (
        "How each output moves with each swept parameter on its own. Each panel bins the "
        "parameter ({binning}) and shows the mean of the output over every successful run in "
        "the bin: all replicates and all values of the other parameters. The shaded band "
        "(or error bars, for parameters without an order) spans the 5th to 95th percentile of "
        "those runs, so it mixes chance and the effect of the other parameters: a narrow band "
        "around a steep line marks a parameter that dominates; a flat line inside a wide band "
        "one whose effect, if any, is hidden by the others. Panels in a row share the y axis."
    ),
    "heatmaps": (
        "How pairs of swept parameters act together on each output. Each cell is the mean of "
        "the output over the successful runs whose two parameters fall in the cell "
        "({binning}), over replicates and the other parameters; hover for the number of runs. "
        "Colour contours that run diagonally point to parameters that substitute for each "
        "other; a gradient along one side only to a parameter that acts alone. Empty cells "
        "hold no run. Each row (output) has its own colour scale."
    ),
    "sobol": (
        "Variance-based global sensitivity (Sobol', estimated with SALib from Saltelli's "
        "sample). S1 is the share of the output's variance explained by a parameter alone; "
        "ST adds every interaction it takes part in, so ST - S1 measures its interactions, and "
        "a parameter with ST near zero can be fixed anywhere in its range. The output of a "
        "point is the mean over its {reps} replicate(s); noise between replicates that the mean "
        "does not remove shows up as spread in the indices. Error bars are 95% bootstrap "
        "confidence intervals: with few samples they are wide, and small or slightly negative "
        "indices are noise."
    ),
    "morris": (
        "Morris elementary-effects screening (SALib). Each parameter is stepped one at a time "
        "along {samples} random trajectories on a {levels}-level grid; mu* is the mean absolute "
        "change of the output for a step, expressed per full range of the parameter, and ranks "
        "importance; sigma is the spread of those changes and grows with non-linear effects and "
        "interactions. Parameters near the origin can be fixed; above the dotted line "
        "(sigma = mu*) a parameter's effect depends strongly on where the others are. Error "
        "bars: 95% bootstrap confidence intervals of mu*. The output of a point is the mean "
        "over its {reps} replicate(s)."
    ),
    "hysteresis": (
        "Path dependence. In every run {parameter} is stepped through {values}, {months} months "
        "at each level, without resetting the state. Each marker is the mean of the metric over "
        "the last {window} months of a level, on the way up (solid line, triangles up) and on "
        "the way back down (dashed, triangles down). Where the two legs part, the system "
        "remembers: the same setting gives a different outcome depending on where it came "
        "from (for example, trust and participation lost while a barrier was high that do not "
        "return when it is lowered again). Lines are {grouping}; error bars span the 5th to 95th "
        "percentile of their runs."
    ),
    "resilience": (
        "Resilience triangles. Each line is the mean, over a group of runs ({grouping}), of a "
        "resilience measure divided by the group's pre-shock level (its mean over the 12 months "
        "before the shock at month {shock}), so 1 is the level before the shock. The shaded area "
        "between 1 and the line after the shock is the resilience triangle: the deeper the dip "
        "and the slower the recovery, the larger the area lost (given, in months, in the hover "
        "text). The chain is only as strong as its weakest link; comparing the link panels "
        "shows which one gives way."
    ),
}


def _grouping(runs: pd.DataFrame, manifest: Manifest) -> str:
    if runs["point"].nunique() <= MAX_GROUPS:
        return "one per design point, the mean over its replicates"
    axis = axis_names(manifest)[0]
    return f"by the first swept parameter, {axis}: by value, or in low, middle and high thirds"


def _shown(what: str, names: Sequence[str], limit: int) -> str:
    """' Only the first N ... are shown.' when ``names`` exceed ``limit``, else ''."""
    if len(names) <= limit:
        return ""
    return f" Only the first {limit} of the {len(names)} {what} are shown."


def _undefined(runs: pd.DataFrame, manifest: Manifest) -> str:
    """A note on outputs without a value in some successful runs ('' if none)."""
    ok = succeeded(runs)
    notes = []
    for o in manifest["outputs"]:
        missing = int(ok[o["column"]].isna().sum())
        if missing:
            why = " (runs that never recover within the run)" if o["stat"] == "recovery" else ""
            notes.append(
                f" {o['column']} is undefined in {missing} of {len(ok)} successful runs{why}; "
                "they are left out of its means and bands."
            )
    return "".join(notes)


def _overview(runs: pd.DataFrame, manifest: Manifest) -> tuple[list[Section], list[tuple]]:
    """Response curves and heatmaps (any design with successful runs)."""
    if succeeded(runs).empty:
        reason = "no successful run is stored yet"
        return [], [("Response curves", reason), ("Two-way heatmaps", reason)]
    grid = manifest["sampler"] == "grid"
    axes, outputs = axis_names(manifest), output_columns(manifest)
    binning = "grid values as given" if grid else f"quantile bins of about 10 runs, at most {BINS}"
    caption = _CAPTIONS["response"].format(binning=binning)
    caption += _shown("outputs", outputs, MAX_OUTPUTS) + _shown("axes", axes, MAX_AXES)
    caption += _undefined(runs, manifest)
    out = [Section("Response curves", response_curves(runs, manifest), caption)]
    if len(axes) < 2:
        return out, [("Two-way heatmaps", "the design has a single axis")]
    binning = (
        "grid values as given"
        if grid
        else f"quantile bins of about 4 runs a cell, at most {HEAT_BINS} a side"
    )
    caption = _CAPTIONS["heatmaps"].format(binning=binning)
    pairs = list(itertools.combinations(axes, 2))
    caption += _shown("outputs", outputs, 4) + _shown("pairs of axes", pairs, MAX_PAIRS)
    out.append(Section("Two-way heatmaps", heatmaps(runs, manifest), caption))
    return out, []


def _sensitivity(runs: pd.DataFrame, manifest: Manifest) -> tuple[list[Section], list[tuple]]:
    """Sobol' indices or Morris screening, when the sampler is one of them."""
    sampler = str(manifest["sampler"])
    out, skipped = [], []
    for name, kind in (("Sobol' indices", "sobol"), ("Morris screening", "morris")):
        if sampler != kind:
            skipped.append((name, f"the sampler is {sampler}, not {kind}"))
            continue
        analysis = sobol_analysis if kind == "sobol" else morris_analysis
        result = analysis(runs, manifest)
        notes = " ".join(result.notes)
        if result.table.empty:
            skipped.append((name, notes or "no output could be analysed"))
            continue
        builder = sobol_indices if kind == "sobol" else morris_indices
        caption = _CAPTIONS[kind].format(
            reps=manifest["replications"], samples=manifest["samples"], levels=manifest["levels"]
        )
        figure = builder(runs, manifest, result=result)
        out.append(Section(name, figure, f"{caption} {notes}".strip()))
    return out, skipped


def _dynamics(
    folder: Path, runs: pd.DataFrame, manifest: Manifest, path: LevelPath | None
) -> tuple[list[Section], list[tuple]]:
    """The hysteresis loop and the resilience triangles, from the time series."""
    shock = shock_start(manifest)
    wanted = []
    if path is None:
        skipped = [("Hysteresis loop", "the experiment has no [path]")]
    else:
        wanted.append("Hysteresis loop")
        skipped = []
    if shock is None:
        skipped.append(("Resilience triangles", "the scenario has no shock"))
    else:
        wanted.append("Resilience triangles")
    if not wanted:
        return [], skipped
    if not manifest.get("timeseries"):
        reason = "the sweep kept no time series (timeseries = false)"
        return [], skipped + [(name, reason) for name in wanted]
    ok = succeeded(runs)
    columns = [*path_metrics(manifest), *(RESILIENCE if shock is not None else ())]
    series = _read_series(folder, columns)
    if ok.empty or not series["run_id"].isin(ok["run_id"]).any():
        reason = "no time series of a successful run is stored yet"
        return [], skipped + [(name, reason) for name in wanted]
    out = []
    grouping = _grouping(ok, manifest)
    if path is not None:
        caption = _CAPTIONS["hysteresis"].format(
            parameter=path.parameter,
            values=", ".join(_fmt(v) for v in path.values),
            months=path.months,
            window=min(12, path.months),
            grouping=grouping,
        )
        metrics = list(dict.fromkeys(str(o["metric"]) for o in manifest["outputs"]))
        caption += _shown("output metrics", metrics, 4)
        figure = hysteresis(series, runs, manifest, path)
        out.append(Section("Hysteresis loop", figure, caption))
    if shock is not None:
        caption = _CAPTIONS["resilience"].format(grouping=grouping, shock=shock)
        figure = resilience_triangles(series, runs, manifest, shock=shock)
        out.append(Section("Resilience triangles", figure, caption))
    return out, skipped


def sections(
    folder: Path,
    runs: pd.DataFrame,
    manifest: Manifest,
    path: LevelPath | None,
) -> tuple[list[Section], list[tuple[str, str]]]:
    """The figures the sweep supports, in page order, and the skipped ones with the reason."""
    shown: list[Section] = []
    skipped: list[tuple[str, str]] = []
    for part, why in (
        _overview(runs, manifest),
        _sensitivity(runs, manifest),
        _dynamics(folder, runs, manifest, path),
    ):
        shown += part
        skipped += why
    return shown, skipped


def render(folder: str | os.PathLike) -> str:
    """The analysis of the sweep in ``folder`` as one self-contained HTML page.

    plotly.js is inlined once in the head; there is no external script or stylesheet. All
    text from the experiment (title, question, description, errors) is escaped.
    """
    folder = Path(folder)
    manifest = store.read_manifest(folder)
    runs = store.read_runs(folder)
    path = level_path(folder, manifest)
    shown, skipped = sections(folder, runs, manifest, path)
    title = str(manifest.get("title") or manifest.get("name") or folder.name)
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">coprod-sim {esc(manifest.get("version", ""))} sweep analysis of '
        f"experiment {esc(manifest.get('name', ''))}: agent-based simulation of the "
        "co-production of public services. Illustrative model output, not a forecast.</p>",
    ]
    if manifest.get("question"):
        parts.append(f'<p class="question">{esc(manifest["question"])}</p>')
    if manifest.get("description"):
        parts.append(f"<p>{esc(manifest['description'])}</p>")
    parts.append("<h2>Summary</h2>")
    parts.append(html_table(("item", "value"), summary(runs, manifest, path), numeric=()))
    parts.append("<h2>Figures</h2>")
    if not shown:
        parts.append('<p class="none">No figure: see below.</p>')
    for k, section in enumerate(shown):
        div = figure_div(section.figure, f"figure-{k + 1}")
        parts.append(
            f"<figure><h3>{k + 1}. {esc(section.title)}</h3>{div}"
            f'<figcaption class="caption">{esc(section.caption)}</figcaption></figure>'
        )
    if skipped:
        parts.append("<h3>Not shown</h3><ul>")
        parts += [f"<li>{esc(name)}: {esc(why)}.</li>" for name, why in skipped]
        parts.append("</ul>")
    parts.append("<h2>Failed runs</h2>")
    bad = failed_runs(runs, manifest)
    if bad.empty:
        parts.append('<p class="none">None: every stored run finished.</p>')
    else:
        shown = bad.head(MAX_FAILED_ROWS)
        rows = [[_fmt(v) for v in row] for row in shown.itertuples(index=False)]
        parts.append(
            f"<p>{len(bad)} run(s) failed and are left out of every figure"
            + (f"; the first {MAX_FAILED_ROWS} are listed" if len(bad) > MAX_FAILED_ROWS else "")
            + ". Each can be rerun alone from its seed and parameters.</p>"
        )
        parts.append(html_table(list(bad.columns), rows, numeric=range(len(bad.columns) - 1)))
    source = folder / "experiment.toml"
    if source.is_file():
        parts.append("<h2>Experiment file</h2>")
        parts.append(
            f"<details><summary>experiment.toml</summary><pre>"
            f"{esc(scenario.read_text(source))}</pre></details>"
        )
    css = f"{CSS}\npre {{ background: #f5f7fa; padding: .8rem; overflow-x: auto; }}"
    return html_page(f"{title} - coprod-sim sweep analysis", parts, css=css)


__all__ = [
    "Binned",
    "Indices",
    "Section",
    "area_lost",
    "auto_bins",
    "axis_names",
    "axis_pairs",
    "bin_axis",
    "failed",
    "failed_runs",
    "heatmap_table",
    "heatmaps",
    "hysteresis",
    "hysteresis_table",
    "level_path",
    "morris_analysis",
    "morris_indices",
    "output_columns",
    "point_means",
    "render",
    "resilience_table",
    "resilience_triangles",
    "response_curves",
    "response_table",
    "run_groups",
    "salib_problem",
    "sections",
    "shock_start",
    "sobol_analysis",
    "sobol_indices",
    "succeeded",
    "summary",
]
