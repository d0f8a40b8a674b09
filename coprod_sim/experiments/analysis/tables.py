"""The tables of the page: the failed runs and the summary of the design."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..spec import LevelPath
from .common import Manifest, axis_names, failed, format_value


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
            return f"{a['name']}: " + ", ".join(format_value(v) for v in a["values"])
        return f"{a['name']}: {format_value(a['low'])} to {format_value(a['high'])}"

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
            ", ".join(f"{k} = {format_value(v)}" for k, v in manifest.get("fixed", {}).items())
            or "none",
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
        values = ", ".join(format_value(v) for v in path.values)
        rows.append(("path", f"{path.parameter}: {values}; {path.months} months a level"))
    rows += [
        ("coprod-sim version", str(manifest.get("version", ""))),
        ("content hash", str(manifest.get("hash", ""))[:16]),
    ]
    return rows
