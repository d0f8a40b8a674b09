"""The design's level path (the legs of a hysteresis sweep) and the grouping of runs that the
time-series figures draw one line each."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ... import scenario_files
from ..spec import LevelPath
from .common import MAX_GROUPS, Manifest, axis_names, bin_axis, format_value, is_numeric


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
        table = scenario_files.parse_toml(
            scenario_files.read_text(source), str(source), max_nesting=4
        ).get("path")
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


def path_legs(values: Sequence[float]) -> list[str]:
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
            int(p): ", ".join(f"{a} = {format_value(row[a])}" for a in axes)
            for p, row in zip(points["point"], points.to_dict("records"), strict=True)
        }
        labels = runs["point"].map(names)
        order = [names[p] for p in sorted(names)]
    else:
        axis = by or axes[0]
        x = runs[axis]
        if not is_numeric(x) or x.nunique() <= 4:
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
