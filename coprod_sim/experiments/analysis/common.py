"""What every figure family shares: the manifest's names, the runs that succeeded, binning
an axis, and the look of a figure (layout, empty figure, percentile bands)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pandas.api.typing import SeriesGroupBy

from ...report import (
    BAND,
)

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


def format_value(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else f"{float(value):.3g}"
    return str(value)


def is_numeric(x: pd.Series) -> bool:
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
    numeric = is_numeric(x)
    distinct = pd.unique(x.dropna())
    if not numeric or len(distinct) <= max_values:
        try:
            ordered = sorted(distinct)
        except TypeError:  # mixed types: first appearance
            ordered = list(distinct)
        index = {v: k for k, v in enumerate(ordered)}
        codes = x.map(index).fillna(-1).astype(np.int64)
        return Binned(codes, tuple(format_value(v) for v in ordered), tuple(ordered), numeric)
    cut = pd.qcut(x.astype(np.float64), q=bins, duplicates="drop")
    codes = pd.Series(cut.cat.codes.astype(np.int64), index=x.index)
    means = x.groupby(codes).mean()
    categories = cut.cat.categories
    # qcut's first edge sits just below the minimum: show the range of the values
    edges = [float(x.min()), *(float(iv.right) for iv in categories[:-1]), float(x.max())]
    labels = tuple(f"{format_value(a)}–{format_value(b)}" for a, b in itertools.pairwise(edges))
    positions = tuple(float(means.get(k, np.nan)) for k in range(len(categories)))
    return Binned(codes, labels, positions, True, tuple(edges))


def apply_layout(fig: go.Figure, title: str, subtitle: str = "", *, height: int = 460) -> go.Figure:
    text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    fig.update_layout(
        title={"text": text, "x": 0.01, "xanchor": "left"},
        template=_TEMPLATE,
        height=height,
        margin={"l": 80, "r": 30, "t": 100 if subtitle else 80, "b": 60},
    )
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_layout(fig, title, height=240)


def band_quantiles(values: SeriesGroupBy) -> pd.DataFrame:
    """Mean, 5th (low) and 95th (high) percentile and count of each group."""
    return pd.DataFrame(
        {
            "mean": values.mean(),
            "low": values.quantile(BAND[0]),
            "high": values.quantile(BAND[1]),
            "n": values.count(),
        }
    )
