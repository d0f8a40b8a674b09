"""The overview figures of any design: one-way response curves and two-way heatmaps of the
mean output over the successful runs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ...report import (
    METRIC_COLOURS,
    rgba,
)
from .common import (
    HEAT_BINS,
    MAX_AXES,
    MAX_OUTPUTS,
    MAX_PAIRS,
    MAX_VALUES,
    Binned,
    Manifest,
    apply_layout,
    auto_bins,
    axis_names,
    band_quantiles,
    bin_axis,
    empty_figure,
    is_numeric,
    output_columns,
    succeeded,
)


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
            stats = band_quantiles(ok[column].groupby(binned.codes))
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
            numeric = is_numeric(pd.Series(list(t["x"]), dtype=None))
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
    return apply_layout(
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
        return empty_figure("Two-way response", "The design has a single axis.")
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
    return apply_layout(
        fig,
        "Two-way response: mean of each output over pairs of swept parameters",
        "cells: mean over the successful runs (replicates and the other axes)",
        height=140 + 340 * len(outputs),
    )
