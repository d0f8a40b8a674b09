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

The package is split by figure family; every public name is importable from here:
:mod:`.common` (the manifest's names, binning, figure layout), :mod:`.groups` (the level path
and the grouping of runs), :mod:`.responses` (response curves, heatmaps), :mod:`.sensitivity`
(Sobol' and Morris with SALib), :mod:`.dynamics` (hysteresis, resilience triangles),
:mod:`.tables` (summary, failed runs) and :mod:`.page` (the sections and the HTML page).
"""

from .common import (
    BINS,
    CONF_LEVEL,
    HEAT_BINS,
    MAX_VALUES,
    Binned,
    Manifest,
    auto_bins,
    axis_names,
    bin_axis,
    failed,
    output_columns,
    succeeded,
)
from .dynamics import (
    area_lost,
    hysteresis,
    hysteresis_table,
    path_metrics,
    resilience_table,
    resilience_triangles,
    shock_start,
)
from .groups import level_path, path_legs, run_groups
from .page import Section, render, sections
from .responses import axis_pairs, heatmap_table, heatmaps, response_curves, response_table
from .sensitivity import (
    MORRIS_COLUMNS,
    SOBOL_COLUMNS,
    Indices,
    index_rows,
    morris_analysis,
    morris_indices,
    point_means,
    salib_problem,
    sobol_analysis,
    sobol_indices,
)
from .tables import failed_runs, summary

__all__ = [
    "BINS",
    "CONF_LEVEL",
    "HEAT_BINS",
    "MAX_VALUES",
    "MORRIS_COLUMNS",
    "SOBOL_COLUMNS",
    "Binned",
    "Indices",
    "Manifest",
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
    "index_rows",
    "level_path",
    "morris_analysis",
    "morris_indices",
    "output_columns",
    "path_legs",
    "path_metrics",
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
