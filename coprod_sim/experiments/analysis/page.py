"""The analysis page: which figures the sweep supports, their captions, and the offline HTML
page that :func:`render` returns."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq

from ... import scenario_files
from ...report import (
    CSS,
    RESILIENCE,
    esc,
    figure_div,
    html_page,
    html_table,
)
from .. import store
from ..spec import LevelPath
from .common import (
    BINS,
    HEAT_BINS,
    MAX_AXES,
    MAX_FAILED_ROWS,
    MAX_GROUPS,
    MAX_OUTPUTS,
    MAX_PAIRS,
    Manifest,
    axis_names,
    format_value,
    output_columns,
    succeeded,
)
from .dynamics import hysteresis, path_metrics, resilience_triangles, shock_start
from .groups import level_path
from .responses import heatmaps, response_curves
from .sensitivity import morris_analysis, morris_indices, sobol_analysis, sobol_indices
from .tables import failed_runs, summary


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
            values=", ".join(format_value(v) for v in path.values),
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
        rows = [[format_value(v) for v in row] for row in shown.itertuples(index=False)]
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
            f"{esc(scenario_files.read_text(source))}</pre></details>"
        )
    css = f"{CSS}\npre {{ background: #f5f7fa; padding: .8rem; overflow-x: auto; }}"
    return html_page(f"{title} - coprod-sim sweep analysis", parts, css=css)
