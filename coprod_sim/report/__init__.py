"""Plotly figures and the self-contained, offline HTML report.

The figures of scenario runs are built here, once, for the HTML report of the ``coprod run``,
``compare`` and ``report`` commands; the dashboard is to call the same functions. The package
has three parts, and every public name is importable from here:

- :mod:`.page`, the HTML page kit (:data:`CSS`, :func:`page_css`, :func:`esc`,
  :func:`html_table`, :func:`html_page`, :func:`figure_div`), which the sweep analysis and the
  studies' figure pages use too;
- :mod:`.figures`, the colours, labels and figure builders;
- :mod:`.run_report`, the page of one or more scenario runs (:func:`render`).

The builders take the tidy frames the command line writes:

- ``timeseries``: one row per (scenario, replication, month) with columns ``scenario`` (label),
  ``replication``, ``seed``, ``month`` (0 = initial state) and every metric in
  :data:`coprod_sim.metrics.METRICS`;
- ``agents``: the final :func:`coprod_sim.metrics.agent_snapshot` of every (scenario,
  replication), with columns ``scenario``, ``replication`` and ``seed`` in front.
"""

from .figures import (
    BAND,
    BURDEN,
    BY_GROUP,
    CO_LABELS,
    DASHES,
    EFFICACY,
    EVENT_LABELS,
    GROUPS,
    LASTING,
    LEVEL_UNIT,
    METRIC_COLOURS,
    RESILIENCE,
    SCENARIO_COLOURS,
    TRUST,
    VALUES,
    add_series,
    band_note,
    event_span,
    final_values,
    inequality,
    mark_events,
    participation_by_co,
    participation_by_group,
    performance_and_value,
    plot_metrics,
    replication_count,
    resilience,
    rgba,
    scenario_order,
    time_layout,
    time_panels,
    trust_and_efficacy,
    willingness_vs_participation,
)
from .page import CSS, FIGURE_CONFIG, PAGE_WIDTH, esc, figure_div, html_page, html_table, page_css
from .run_report import render

__all__ = [
    "BAND",
    "BURDEN",
    "BY_GROUP",
    "CO_LABELS",
    "CSS",
    "DASHES",
    "EFFICACY",
    "EVENT_LABELS",
    "FIGURE_CONFIG",
    "GROUPS",
    "LASTING",
    "LEVEL_UNIT",
    "METRIC_COLOURS",
    "PAGE_WIDTH",
    "RESILIENCE",
    "SCENARIO_COLOURS",
    "TRUST",
    "VALUES",
    "add_series",
    "band_note",
    "esc",
    "event_span",
    "figure_div",
    "final_values",
    "html_page",
    "html_table",
    "inequality",
    "mark_events",
    "page_css",
    "participation_by_co",
    "participation_by_group",
    "performance_and_value",
    "plot_metrics",
    "render",
    "replication_count",
    "resilience",
    "rgba",
    "scenario_order",
    "time_layout",
    "time_panels",
    "trust_and_efficacy",
    "willingness_vs_participation",
]
