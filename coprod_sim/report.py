"""Plotly figures and the self-contained, offline HTML report.

The figures of scenario runs are built here, once, for the HTML report of the ``coprod run``,
``compare`` and ``report`` commands; the dashboard is to call the same functions. The page
parts (:data:`CSS`, :func:`esc`, :func:`html_table`, :func:`html_page`, :func:`figure_div`,
:func:`rgba`) serve the sweep analysis and the studies' figure pages too.

The builders take the tidy frames the command line writes:

- ``timeseries``: one row per (scenario, replication, month) with columns ``scenario`` (label),
  ``replication``, ``seed``, ``month`` (0 = initial state) and every metric in
  :data:`coprod_sim.metrics.METRICS`;
- ``agents``: the final :func:`coprod_sim.metrics.agent_snapshot` of every (scenario,
  replication), with columns ``scenario``, ``replication`` and ``seed`` in front.

Conventions shared by every time-series figure: x is the month. With one replication a metric is
a plain line. With several, the line is the mean across replications and a shaded band spans the
5th to 95th percentile across replications (:func:`_add_series` is the one place that draws
them). With one scenario, colour tells the metrics apart; with several, colour tells the
scenarios apart (the same colour in every figure) and the line style tells the metrics apart.
Traces share a ``legendgroup`` (the scenario, or with one scenario the metric), so one click in
the legend shows or hides them together.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
from plotly.colors import hex_to_rgb
from plotly.subplots import make_subplots

from . import metrics
from .state import AGE_BANDS, EDUCATION, MODES

BAND: tuple[float, float] = (0.05, 0.95)
"""Quantiles of the shaded band drawn across replications."""

SCENARIO_COLOURS: tuple[str, ...] = (
    "#1F77B4",
    "#D62728",
    "#2CA02C",
    "#9467BD",
    "#FF7F0E",
    "#8C564B",
    "#E377C2",
    "#17BECF",
    "#7F7F7F",
    "#BCBD22",
)
"""Scenario colours, by position: the first scenario (the reference) is always blue."""

METRIC_COLOURS: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#7F7F7F",
    "#B8A100",
)
"""Metric colours when a figure shows one scenario (Okabe-Ito first, colour-blind safe)."""

DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
"""Line styles that tell the metrics apart when colour marks the scenario."""

LEVEL_UNIT = metrics.LEVEL_UNIT
"""Unit of every metric not in :data:`coprod_sim.metrics.UNITS`."""

CO_LABELS: dict[str, str] = {
    "co_commissioning": "Co-commissioning",
    "co_design": "Co-design",
    "co_delivery": "Co-delivery",
    "co_assessment": "Co-assessment",
}


def _labelled(*names: str) -> dict[str, str]:
    """Metric -> legend name: the metric's label from :data:`coprod_sim.metrics.LABELS`, the
    one label table shared with the dashboard."""
    return {name: metrics.label(name) for name in names}


TRUST = _labelled(
    "trust_citizens_in_staff",
    "generalised_trust",
    "trust_staff_in_citizens",
    "trust_commissioners",
    "trust_politicians_in_commissioners",
    "expects_response",
)
EFFICACY = _labelled(
    "self_efficacy_citizens",
    "self_efficacy_staff",
    "self_efficacy_commissioners",
    "self_efficacy_politicians",
)
VALUES = _labelled("user_value", "social_value", "economic_value", "governance_value")
# Not a level like the others: its unit goes with its name (the panel's axis says "level").
VALUES["economic_value"] += f" ({metrics.unit('economic_value')})"
RESILIENCE = _labelled(
    "resilience_chain",
    "resilience_user",
    "resilience_community",
    "resilience_provider",
    "resilience_commissioner",
)
BURDEN = _labelled("usual_suspects_share", "burnout_share", "exploited_share")
"""Who carries the load: the dark side of co-production (ODD §7.8)."""
GROUPS: tuple[tuple[str, str], ...] = (
    ("education", "education"),
    ("age_band", "age band"),
    ("employed", "employed"),
    ("vulnerable", "vulnerable"),
    ("digital_access", "digital access"),
)
"""Citizen attributes of the 'who takes part' bars: (snapshot column, axis label)."""

_HEIGHT = 460

BY_GROUP = "participation_by_group"
"""``meta`` of the 'who takes part' bars (lines carry their metric's name as ``meta``)."""


# ---------------------------------------------------------------------------- helpers
def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _scenarios(frame: pd.DataFrame) -> list[str]:
    """Scenario labels in display order: the categories' order, else first appearance."""
    col = frame["scenario"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.astype(str).unique())
        return [str(c) for c in col.cat.categories if str(c) in present]
    return [str(s) for s in pd.unique(col.astype(str))]


def _replications(frame: pd.DataFrame, scenario: str) -> int:
    return int(frame.loc[frame["scenario"].astype(str) == scenario, "replication"].nunique())


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns: {', '.join(missing)}")


def rgba(colour: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(colour)
    return f"rgba({r}, {g}, {b}, {alpha})"


def _style(
    scenarios: Sequence[str], i: int, j: int, name: str, *, offset: int = 0
) -> tuple[str, str, str, str | None]:
    """(colour, dash, legend group, group title) of metric ``j`` (legend ``name``) of scenario
    ``i``: with several scenarios, colour and legend group are the scenario's and the dash
    (index ``j + offset``) is the metric's; with one, colour (index ``j + offset``) and legend
    group are the metric's and every line is solid."""
    k = j + offset
    if len(scenarios) > 1:
        label = esc(scenarios[i])
        return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], DASHES[k % len(DASHES)], label, label
    return METRIC_COLOURS[k % len(METRIC_COLOURS)], "solid", name, None


def _add_series(
    fig: go.Figure,
    ts: pd.DataFrame,
    scenario: str,
    metric: str,
    *,
    name: str,
    colour: str,
    dash: str = "solid",
    width: float = 2.0,
    group: str,
    group_title: str | None = None,
    showlegend: bool = True,
    row: int | None = None,
    col: int | None = None,
) -> None:
    """Add one metric of one scenario: a plain line for one replication; for several, the mean
    across replications as a line over a shaded 5th-95th percentile band (one trace each).

    This is the only place that draws bands.
    """
    sub = ts.loc[ts["scenario"].astype(str) == scenario, ["month", metric]]
    by_month = sub.groupby("month")[metric]
    mean = by_month.mean()
    months = mean.index.to_numpy()
    if _replications(ts, scenario) > 1:
        lo = by_month.quantile(BAND[0]).to_numpy()
        hi = by_month.quantile(BAND[1]).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([months, months[::-1]]),
                y=np.round(np.concatenate([hi, lo[::-1]]), 5),
                fill="toself",
                fillcolor=rgba(colour, 0.18),
                line={"width": 0, "color": colour},
                mode="lines",
                hoverinfo="skip",
                name=f"{name} (5th-95th percentile)",
                legendgroup=group,
                showlegend=False,
            ),
            row=row,
            col=col,
        )
    prefix = f"{esc(scenario)} · " if group_title else ""
    fig.add_trace(
        go.Scatter(
            x=months,
            y=np.round(mean.to_numpy(), 5),
            mode="lines",
            line={"color": colour, "dash": dash, "width": width},
            name=name,
            meta=metric,  # lets the dashboard update the line in place, month by month
            legendgroup=group,
            legendgrouptitle_text=group_title,
            showlegend=showlegend,
            hovertemplate=f"{prefix}{name}: %{{y:.3f}}<extra></extra>",
        ),
        row=row,
        col=col,
    )


def _plot_metrics(
    fig: go.Figure,
    ts: pd.DataFrame,
    names: Mapping[str, str],
    *,
    row: int | None = None,
    col: int | None = None,
    offset: int = 0,
    thick: Sequence[str] = (),
) -> None:
    """Draw ``names`` (metric -> legend name) for every scenario into one panel.

    ``offset`` shifts the metric colours and dashes (so that the panels of a figure do not
    reuse them); metrics in ``thick`` get a thick line. A legend entry appears once per figure.
    """
    _require(ts, ["scenario", "replication", "month", *names], "timeseries")
    scenarios = _scenarios(ts)
    shown = {(t.legendgroup, t.name) for t in fig.data if t.showlegend}
    for i, scenario in enumerate(scenarios):
        for j, (metric, name) in enumerate(names.items()):
            colour, dash, group, title = _style(scenarios, i, j, name, offset=offset)
            _add_series(
                fig,
                ts,
                scenario,
                metric,
                name=name,
                colour=colour,
                dash=dash,
                width=4.5 if metric in thick else 2.0,
                group=group,
                group_title=title,
                showlegend=(group, name) not in shown,
                row=row,
                col=col,
            )
            shown.add((group, name))


def _band_note(frame: pd.DataFrame) -> str:
    """'' for one replication each, else what the lines and bands mean."""
    reps = sorted({_replications(frame, s) for s in _scenarios(frame)})
    if reps[-1] <= 1:
        return ""
    r = "/".join(str(x) for x in reps)
    return f"lines: mean of {r} replications; shaded bands: 5th-95th percentile across replications"


def _layout(fig: go.Figure, title: str, ts: pd.DataFrame, *, height: int = _HEIGHT) -> go.Figure:
    """Shared layout: title (with the band note), template, and a height that fits the legend."""
    note = _band_note(ts)
    text = f"{title}<br><sup>{note}</sup>" if note else title
    entries = sum(1 for t in fig.data if t.showlegend)
    groups = len({t.legendgroup for t in fig.data if t.legendgrouptitle.text})
    fig.update_layout(
        title={"text": text, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=max(height, 150 + 20 * entries + 32 * groups),
        margin={"l": 70, "r": 20, "t": 90 if note else 70, "b": 60},
        hovermode="x unified",
        legend={"groupclick": "togglegroup", "tracegroupgap": 8},
    )
    return fig


EVENT_LABELS: dict[str, str] = {
    "unavailability": "Staff unavailable",
    "budget_cut": "Budget cut",
    "volunteer_call": "Call for volunteers",
    "scandal": "Scandal",
    "restructuring": "Restructuring",
    "policy": "Policy change",
}
"""What the marked band of each kind of event says on a time chart."""

LASTING = ("unavailability", "budget_cut", "policy")
"""Event kinds that last ``duration`` months, or to the end of the run when it is 0 (the others
happen in their month)."""


def event_span(kind: str, start: int, duration: int, end: int) -> tuple[float, float]:
    """The months an event covers on a chart: a lasting one from its start for its duration
    (0: to ``end``), any other one its own month; never past ``end``."""
    stop = (end if duration <= 0 else start + duration) if kind in LASTING else start + 1
    return float(min(start, end)), float(min(max(stop, start), end))


def time_panels(fig: go.Figure) -> list[tuple[str, str]]:
    """(x axis, y axis) of every panel that has a metric's line: the panels with months on x."""
    panels: list[tuple[str, str]] = []
    for trace in fig.data:
        if isinstance(trace, go.Scatter) and isinstance(trace.meta, str):
            pair = (trace.xaxis or "x", trace.yaxis or "y")
            if pair not in panels:
                panels.append(pair)
    return panels


def mark_events(fig: go.Figure, events: Sequence[Any], end: int) -> go.Figure:
    """Shade the months of every shock or policy change (``kind``, ``start``, ``duration``
    objects, as :class:`coprod_sim.submodels.events.Event`) on every time panel of ``fig``,
    labelled once per figure above its first panel."""
    panels = time_panels(fig)
    shapes, notes = [], []
    for i, event in enumerate(events):
        x0, x1 = event_span(event.kind, int(event.start), int(event.duration), end)
        colour = "#1F77B4" if event.kind == "policy" else "#D62728"
        for k, (xaxis, yaxis) in enumerate(panels):
            shapes.append(
                {
                    "type": "rect",
                    "xref": xaxis,
                    "yref": f"{yaxis} domain",
                    "x0": x0,
                    "x1": max(x1, x0 + 0.5),  # an event of one month stays visible
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": rgba(colour, 0.12),
                    "line": {"width": 0},
                    "layer": "below",
                    "name": f"event-{event.kind}",
                }
            )
            if k == 0:
                notes.append(
                    {
                        "xref": xaxis,
                        "yref": f"{yaxis} domain",
                        "x": x0,
                        "y": 1 - 0.07 * (i % 4),  # labels of events in one month stack
                        "xanchor": "left",
                        "yanchor": "top",
                        "text": esc(EVENT_LABELS.get(event.kind, event.kind)),
                        "showarrow": False,
                        "font": {"size": 10, "color": colour},
                        "name": f"event-{event.kind}",
                    }
                )
    fig.update_layout(shapes=[*fig.layout.shapes, *shapes])
    fig.update_layout(annotations=[*fig.layout.annotations, *notes])
    return fig


# ---------------------------------------------------------------------------- figures
def participation_by_co(ts: pd.DataFrame) -> go.Figure:
    """Participation in each of the Four Co's, split into individual and collective places.

    Four small panels (co-commissioning, co-design, co-delivery, co-assessment) on one shared
    y axis, each with the share of citizens holding an individual place and the share holding a
    collective one, month by month. The shared axis shows at a glance which Co reaches most
    people (pattern P5: co-delivery) and whether collective forms keep up with individual ones.
    """
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[CO_LABELS[m] for m in MODES],
        shared_xaxes=True,
        shared_yaxes="all",
        vertical_spacing=0.12,
        horizontal_spacing=0.06,
    )
    for k, mode in enumerate(MODES):
        row, col = divmod(k, 2)
        names = {
            f"participation_{mode}_individual": "individual",
            f"participation_{mode}_collective": "collective",
        }
        _plot_metrics(fig, ts, names, row=row + 1, col=col + 1)
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(title_text="share of citizens", col=1)
    fig.update_xaxes(title_text="month", row=2)
    return _layout(fig, "Participation in the Four Co's: individual and collective", ts, height=560)


def willingness_vs_participation(ts: pd.DataFrame) -> go.Figure:
    """Willingness to co-produce against actual participation.

    Mean willingness (the probability of being willing in the best-fitting Co) and the share of
    citizens holding any co-production place, on one 0-1 axis. The distance between the lines is
    pattern P1: willingness far exceeds participation when opportunities are scarce.
    """
    fig = go.Figure()
    _plot_metrics(fig, ts, _labelled("willingness", "participation_any"))
    fig.update_yaxes(title_text="share of citizens (0-1)", range=[0, 1.02])
    fig.update_xaxes(title_text="month")
    return _layout(fig, "Willing to co-produce, and taking part", ts)


def trust_and_efficacy(ts: pd.DataFrame) -> go.Figure:
    """Trust and self-efficacy by role, in two panels.

    Left: citizens' trust in staff and in each other, staff trust in citizens, commissioners'
    trust, politicians' trust in commissioners, and citizens' expectation that their voice is
    acted on (which falls when consultation gets no feedback). Right: the self-efficacy of
    citizens, staff, commissioners and politicians. Both feed willingness (the virtuous
    circle) and both fall after shocks and scandals, so they are the early warnings of a
    stalling ecosystem.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["Trust", "Self-efficacy"],
        shared_yaxes=True,
        horizontal_spacing=0.05,
    )
    _plot_metrics(fig, ts, TRUST, row=1, col=1)
    _plot_metrics(fig, ts, EFFICACY, row=1, col=2, offset=len(TRUST))
    fig.update_yaxes(range=[0, 1.02])
    fig.update_yaxes(title_text="level (0-1)", col=1)
    fig.update_xaxes(title_text="month")
    return _layout(fig, "Trust and self-efficacy by role", ts)


def performance_and_value(ts: pd.DataFrame) -> go.Figure:
    """Service performance and public value, side by side.

    Left: service performance, the share of total need met. Right: the four public values
    (user, social, economic, governance) as a balance, never summed. The chapters' point is that
    the two can diverge: outputs may hold while value falls, or the reverse.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["Service performance", "Public value (a balance, never summed)"],
        horizontal_spacing=0.11,
    )
    _plot_metrics(fig, ts, _labelled("service_performance"), row=1, col=1)
    _plot_metrics(fig, ts, VALUES, row=1, col=2, offset=1)
    fig.update_yaxes(title_text="share of need met (0-1)", range=[0, 1.02], row=1, col=1)
    # The economic value's unit is in its legend name: a long axis title here ran into the
    # left panel.
    fig.update_yaxes(title_text="level (0-1)", row=1, col=2)
    fig.update_xaxes(title_text="month")
    return _layout(fig, "Service performance and public value", ts)


def resilience(ts: pd.DataFrame) -> go.Figure:
    """The resilience chain and its four links.

    The chain (thick line) is the weakest of the user, community, provider and commissioner
    links; drawing the links with it shows which one holds the system back, and how each dips
    and recovers after a shock.
    """
    fig = go.Figure()
    _plot_metrics(fig, ts, RESILIENCE, thick=("resilience_chain",))
    fig.update_yaxes(title_text="level (0-1)", range=[0, 1.02])
    fig.update_xaxes(title_text="month")
    return _layout(fig, "The resilience chain: as strong as its weakest link", ts)


def _as_bool(values: pd.Series) -> pd.Series:
    """Booleans from a column that a parquet round trip may have made object or float."""
    return values.astype("boolean").fillna(False).astype(bool)


def participation_by_group(agents: pd.DataFrame) -> pd.DataFrame:
    """Share of citizens holding any co-production place (self-organised action included) at
    the final snapshot, by education, age band, employment, vulnerability and digital access.

    One row per (scenario, replication, attribute, level), with columns ``scenario``,
    ``replication``, ``attribute`` (axis label), ``level`` and ``share``.
    """
    actives = [f"active_{m}" for m in MODES]
    _require(agents, ["scenario", "replication", "role", *actives, *dict(GROUPS)], "agents")
    cit = agents.loc[agents["role"].astype(str) == "citizen"]
    active = np.zeros(len(cit), dtype=bool)
    for name in actives:
        active |= _as_bool(cit[name]).to_numpy()
    base = pd.DataFrame(
        {
            "scenario": cit["scenario"].astype(str).to_numpy(),
            "replication": cit["replication"].to_numpy(),
            "active": active,
        }
    )
    orders = {"education": EDUCATION, "age_band": AGE_BANDS}
    parts = []
    for column, label in GROUPS:
        if column in orders:
            level = cit[column].astype(str).to_numpy()
            order = list(orders[column])
        else:
            level = np.where(_as_bool(cit[column]).to_numpy(), "yes", "no")
            order = ["yes", "no"]
        share = (
            base.assign(level=level)
            .groupby(["scenario", "replication", "level"], sort=False)["active"]
            .mean()
            .rename("share")
            .reset_index()
        )
        share["attribute"] = label
        share["rank"] = share["level"].map({v: k for k, v in enumerate(order)})
        parts.append(share)
    columns = ["scenario", "replication", "attribute", "level", "share"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    group_rank = {label: k for k, (_, label) in enumerate(GROUPS)}
    out = out.assign(g=out["attribute"].map(group_rank)).sort_values(
        ["g", "rank", "scenario", "replication"], kind="stable"
    )
    return out[columns].reset_index(drop=True)


def inequality(agents: pd.DataFrame, ts: pd.DataFrame) -> go.Figure:
    """Who takes part: the participation share of social groups, and inequality over time.

    Top: grouped bars of the share of citizens holding any co-production place at the final
    month, by education, age band, employment, vulnerability and digital access (one bar per
    scenario; with several replications the bar is the mean and the error bar spans the 5th-95th
    percentile across replications). Bottom: the education gap in participation, and the burden:
    the share of places held by 'usual suspects' (citizens with two or more places), the share
    of citizens burnt out and the share who feel exploited, month by month. They show whether
    co-production reaches beyond those already well served (governance value) and who carries
    its load (the dark side).
    """
    fig = make_subplots(
        rows=2,
        cols=2,
        specs=[[{"colspan": 2}, None], [{}, {}]],
        subplot_titles=[
            "Taking part at the final month, by group",
            "Education gap in participation",
            "The burden on citizens",  # the legend names its three lines
        ],
        row_heights=[0.55, 0.45],
        vertical_spacing=0.16,
        horizontal_spacing=0.09,
    )
    scenarios = _scenarios(ts)
    groups = participation_by_group(agents)
    scenarios += [s for s in pd.unique(groups["scenario"]) if s not in scenarios]
    for i, scenario in enumerate(scenarios):
        sub = groups[groups["scenario"] == scenario]
        if sub.empty:
            continue
        by = sub.groupby(["attribute", "level"], sort=False)["share"]
        mean = by.mean()
        name = "taking part, by group"
        colour, _, group, title = _style(scenarios, i, 0, name)
        error = None
        if sub["replication"].nunique() > 1:
            lo, hi = by.quantile(BAND[0]), by.quantile(BAND[1])
            error = {
                "type": "data",
                "symmetric": False,
                "array": np.round(np.clip(hi - mean, 0, None).to_numpy(), 5),
                "arrayminus": np.round(np.clip(mean - lo, 0, None).to_numpy(), 5),
                "thickness": 1.2,
            }
        prefix = f"{esc(scenario)} · " if title else ""
        fig.add_trace(
            go.Bar(
                x=[
                    mean.index.get_level_values("attribute").tolist(),
                    mean.index.get_level_values("level").tolist(),
                ],
                y=np.round(mean.to_numpy(), 5),
                marker_color=colour,
                error_y=error,
                name=name,
                meta=BY_GROUP,
                legendgroup=group,
                legendgrouptitle_text=title,
                hovertemplate=f"{prefix}%{{x}}: %{{y:.3f}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    _plot_metrics(fig, ts, _labelled("participation_gap_education"), row=2, col=1, offset=1)
    _plot_metrics(fig, ts, BURDEN, row=2, col=2, offset=2)
    fig.update_yaxes(title_text="share of citizens", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=metrics.UNITS["participation_gap_education"], row=2, col=1)
    fig.update_yaxes(title_text="share", rangemode="tozero", row=2, col=2)
    fig.update_xaxes(title_text="month", row=2)
    fig = _layout(fig, "Who takes part", ts, height=640)
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


# ---------------------------------------------------------------------------- table
def final_values(ts: pd.DataFrame) -> pd.DataFrame:
    """Final-month value of every canonical metric, per scenario.

    One row per metric of :data:`coprod_sim.metrics.CANONICAL`, with columns ``metric``,
    ``unit``, then for each scenario in display order ``"<label>: mean"`` (mean over
    replications of each replication's last month) and, when it has more than one replication,
    ``"<label>: sd"`` (sample standard deviation); then, with two or more scenarios, for each
    later scenario ``"<label> - <first label>"``, its mean minus the first scenario's mean (the
    first scenario is the reference).
    """
    names = list(metrics.CANONICAL)
    _require(ts, ["scenario", "replication", "month", *names], "timeseries")
    keys = [ts["scenario"].astype(str), ts["replication"]]
    last = ts.loc[ts["month"] == ts.groupby(keys)["month"].transform("max")]
    scenarios = _scenarios(ts)
    out = pd.DataFrame({"metric": names, "unit": [metrics.unit(m) for m in names]})
    means: dict[str, np.ndarray] = {}
    for scenario in scenarios:
        sub = last.loc[last["scenario"].astype(str) == scenario, names]
        means[scenario] = sub.mean().to_numpy(dtype=float)
        out[f"{scenario}: mean"] = means[scenario]
        if len(sub) > 1:
            out[f"{scenario}: sd"] = sub.std(ddof=1).to_numpy(dtype=float)
    ref = scenarios[0] if scenarios else ""
    for scenario in scenarios[1:]:
        out[f"{scenario} - {ref}"] = means[scenario] - means[ref]
    return out


# ---------------------------------------------------------------------------- HTML
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #222; background: #fff; margin: 0; line-height: 1.5; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; border-bottom: 2px solid #e3e3e3;
  padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .4rem; }
p.meta, dl.meta { color: #555; font-size: .92rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.scenario { border-left: 6px solid #ccc; padding: .2rem 0 .2rem 1rem; margin: 1.2rem 0; }
.question { font-style: italic; }
.headline { font-size: 1.05rem; background: #f5f7fa; border-radius: 6px; padding: .8rem 1rem; }
.caption { max-width: 75ch; color: #333; }
figure { margin: 0 0 1.5rem; }
table { border-collapse: collapse; font-size: .88rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: left;
  vertical-align: top; }
th { background: #f5f7fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pos { color: #1a7f37; }
td.neg { color: #b42318; }
.none { color: #777; }
"""


FIGURE_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""plotly config of every figure on a page."""


def html_page(title: str, parts: Sequence[str], *, css: str = CSS) -> str:
    """A self-contained HTML document that opens offline, around already rendered body parts.

    ``title`` (escaped here) is the window title; ``parts`` are HTML lines placed in
    ``<main>``, and must be escaped already. plotly.js is inlined once in the head; there is no
    external script, stylesheet or MathJax.
    """
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{css}</style>",
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>',
        "</head>",
        "<body>",
        "<main>",
    ]
    return "\n".join([*head, *parts, "</main>", "</body>", "</html>", ""])


def figure_div(fig: go.Figure, div_id: str) -> str:
    """One figure as a ``<div>`` for :func:`html_page` (plotly.js is not repeated)."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        config=FIGURE_CONFIG,
        div_id=div_id,
    )


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int]) -> str:
    """A plain HTML table; cells are escaped, columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for k, value in enumerate(row):
            cls = ' class="num"' if k in numeric else ""
            cells.append(f"<td{cls}>{esc(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _num(value: float, *, sign: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return ""
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 3
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return "" if value is None else str(value)


def _scenario_html(info: Mapping[str, Any], colour: str) -> str:
    label = str(info.get("label", ""))
    title = str(info.get("title") or label)
    parts = [f'<article class="scenario" style="border-left-color: {colour}">']
    parts.append(f"<h3>{esc(title)}</h3>")
    if info.get("question"):
        parts.append(f'<p class="question">{esc(info["question"])}</p>')
    if info.get("description"):
        parts.append(f"<p>{esc(info['description'])}</p>")
    meta = [
        ("label", label),
        ("seeds", _value(list(info.get("seeds", [])))),
        ("replications", info.get("replications", "")),
        ("months", info.get("steps", "")),
        ("coprod-sim version", info.get("version", "")),
    ]
    parts.append('<dl class="meta">')
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta]
    parts.append("</dl>")
    sources = list(info.get("sources") or [])
    if sources:
        items = "".join(f"<li>{esc(s)}</li>" for s in sources)
        parts.append(f"<p><strong>Sources</strong></p><ul>{items}</ul>")
    changed = dict(info.get("changed") or {})
    parts.append("<p><strong>Parameters changed from the defaults</strong></p>")
    if changed:
        rows = [(k, _value(v[0]), _value(v[1])) for k, v in changed.items()]
        parts.append(html_table(("parameter", "value", "default"), rows, numeric=(1, 2)))
    else:
        parts.append('<p class="none">None: every parameter at its default.</p>')
    events = list(info.get("events") or [])
    parts.append("<p><strong>Scheduled events</strong></p>")
    if events:
        header = ("kind", "start", "duration", "share", "set", "note")
        rows = [tuple(_value(e.get(k, "")) for k in header) for e in events]
        parts.append(html_table(header, rows, numeric=(1, 2, 3)))
    else:
        parts.append('<p class="none">None.</p>')
    parts.append("</article>")
    return "\n".join(parts)


def _final_mean(ts: pd.DataFrame, scenario: str, metric: str) -> float:
    sub = ts.loc[ts["scenario"].astype(str) == scenario]
    return float(sub.loc[sub["month"] == sub["month"].max(), metric].mean())


def _headlines(ts: pd.DataFrame, run_changes: Mapping[str, str] | None = None) -> list[str]:
    """One or two plain sentences per scenario on its final month (not escaped).

    ``run_changes`` maps a scenario label to the parameter changes made for this run (e.g.
    "staff training = 0.8"), which the sentence then opens with: the numbers are not the
    scenario's own.
    """
    run_changes = run_changes or {}
    out = []
    scenarios = _scenarios(ts)
    for scenario in scenarios:
        month = int(ts.loc[ts["scenario"].astype(str) == scenario, "month"].max())
        willing = _final_mean(ts, scenario, "willingness")
        taking = _final_mean(ts, scenario, "participation_any")
        links = {
            name.removeprefix("resilience_"): _final_mean(ts, scenario, name)
            for name in RESILIENCE
            if name != "resilience_chain"
        }
        weakest = min(links, key=links.__getitem__)
        reps = _replications(ts, scenario)
        who = f"{scenario}: at" if len(scenarios) > 1 else "At"
        if run_changes.get(scenario):
            changed = f"with {run_changes[scenario]} set for this run, at"
            who = f"{scenario}: {changed}" if len(scenarios) > 1 else changed.capitalize()
        means = f" (means of {reps} replications)" if reps > 1 else ""
        ratio = f", {willing / taking:.1f} times as many willing as taking part" if taking else ""
        out.append(
            f"{who} month {month}{means}, citizens' mean willingness to co-produce is "
            f"{willing:.0%} but {taking:.0%} hold a co-production place{ratio}. Service "
            f"performance is {_final_mean(ts, scenario, 'service_performance'):.2f} and the "
            f"resilience chain {_final_mean(ts, scenario, 'resilience_chain'):.2f}, held back "
            f"by its {weakest} link."
        )
    ref = scenarios[0] if scenarios else ""
    for scenario in scenarios[1:]:

        def diff(metric: str, s: str = scenario) -> float:
            return _final_mean(ts, s, metric) - _final_mean(ts, ref, metric)

        out.append(
            f"At the final month, {scenario} differs from {ref} by "
            f"{100 * diff('participation_any'):+.1f} percentage points in participation, "
            f"{diff('service_performance'):+.3f} in service performance and "
            f"{diff('resilience_chain'):+.3f} in the resilience chain."
        )
    return out


_CAPTIONS: tuple[str, ...] = (
    "The share of citizens holding a co-production place in each of the Four Co's, split into "
    "individual places (a citizen working one to one with a service) and collective ones "
    "(groups). The chapters find co-delivery the commonest form and the 'voice' forms "
    "(co-commissioning, co-design, co-assessment) reaching fewer people; where the collective "
    "lines lag behind, group activity needs more support than individual work.",
    "Citizens' average willingness to co-produce (the chance that a citizen would take part in "
    "the form that suits them best) against the share who actually hold a place. The gap is "
    "unused goodwill: surveys find far more people willing than active (78% against 7% in "
    "Germany), which points to scarce or poorly matched opportunities rather than apathy.",
    "Left: trust between the actors (citizens' trust in frontline staff and in each other, "
    "staff trust in citizens' abilities, commissioners' trust and politicians' trust in "
    "commissioners). Right: self-efficacy, the belief that one can make a difference, for each "
    "role. Co-production that works builds both, and both raise willingness in turn; falling "
    "lines after a shock or a scandal are early warnings.",
    "Left: service performance, the share of total need met each month. Right: public value as "
    "a balance of four measures, side by side and never added up: user value (need met for "
    "vulnerable users), social value (trust and collective activity in neighbourhoods), "
    "economic value (net saving as a share of the monthly budget, negative while support costs "
    "exceed savings) and governance value (how representative the participants are). The two "
    "panels can move apart: a service can keep its outputs while value falls, or the reverse.",
    "The resilience chain (thick line) is only as strong as its weakest link: users (need of "
    "vulnerable citizens still met without professionals), community (collective capacity and "
    "trust in neighbourhoods), provider (output kept relative to before a shock) and "
    "commissioner (alternative providers and retained knowledge). A shock shows as a dip; how "
    "fast the lines recover shows how far co-production cushions it.",
    "Who takes part. Top: the share of citizens holding any co-production place at the final "
    "month (self-organised community action included), by education, age band, employment, "
    "vulnerability and digital access. Bottom: the participation gap between citizens with "
    "high and low education (positive: the better educated take part more); and the burden: "
    "the share of places held by 'usual suspects' with two or more places, and the shares of "
    "citizens burnt out and feeling exploited. Wide or widening gaps mean that co-production "
    "risks serving best those already well served; rising burden is its dark side.",
)

_FIGURE_TITLES: tuple[str, ...] = (
    "1. Participation in the Four Co's",
    "2. Willingness and participation",
    "3. Trust and self-efficacy",
    "4. Service performance and public value",
    "5. Resilience",
    "6. Who takes part",
)


def _figures(ts: pd.DataFrame, agents: pd.DataFrame) -> list[go.Figure]:
    """The report's six figures, in order."""
    return [
        participation_by_co(ts),
        willingness_vs_participation(ts),
        trust_and_efficacy(ts),
        performance_and_value(ts),
        resilience(ts),
        inequality(agents, ts),
    ]


def _scheduled_events(infos: Sequence[Mapping[str, Any]]) -> list[SimpleNamespace]:
    """Every scenario's scheduled events, once each, for :func:`mark_events`: the report's
    charts shade the same shock bands as the dashboard's."""
    seen: dict[tuple[str, int, int], SimpleNamespace] = {}
    for info in infos:
        for e in info.get("events") or []:
            key = (str(e["kind"]), int(e["start"]), int(e.get("duration") or 0))
            seen.setdefault(key, SimpleNamespace(kind=key[0], start=key[1], duration=key[2]))
    return list(seen.values())


def _final_table(ts: pd.DataFrame) -> str:
    table = final_values(ts)
    value_cols = [c for c in table.columns if c not in ("metric", "unit")]
    scenarios = _scenarios(ts)
    diff_cols = {f"{s} - {scenarios[0]}" for s in scenarios[1:]}
    head = "".join(f"<th>{esc(h)}</th>" for h in table.columns)
    body = []
    for _, row in table.iterrows():
        cells = [f"<td>{esc(row['metric'])}</td>", f"<td>{esc(row['unit'])}</td>"]
        for c in value_cols:
            value = float(row[c])
            if c in diff_cols:
                cls = "num pos" if value > 0 else "num neg" if value < 0 else "num"
                cells.append(f'<td class="{cls}">{esc(_num(value, sign=True))}</td>')
            else:
                cells.append(f'<td class="num">{esc(_num(value))}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(
    ts: pd.DataFrame,
    agents: pd.DataFrame,
    infos: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
) -> str:
    """The whole report as one self-contained HTML document that opens offline.

    ``infos`` has one dict per scenario, in display order (the first is the reference of the
    differences); its ``label`` values must be exactly the scenario labels in ``ts``. plotly.js
    is inlined once in the head; there is no external script, stylesheet or MathJax. All text
    from the scenarios is escaped.
    """
    labels = [str(info["label"]) for info in infos]
    if not labels:
        raise ValueError("render needs at least one scenario in infos")
    if len(set(labels)) != len(labels):
        raise ValueError(f"duplicate scenario labels in infos: {labels}")
    present = set(ts["scenario"].astype(str).unique())
    if present != set(labels):
        raise ValueError(
            f"scenario labels differ: timeseries has {sorted(present)}, infos has {labels}"
        )
    order = pd.CategoricalDtype(labels, ordered=True)
    ts = ts.assign(scenario=ts["scenario"].astype(str).astype(order))
    agents = agents.assign(scenario=agents["scenario"].astype(str).astype(order))

    many = len(labels) > 1
    if title is None:
        names = [str(i.get("title") or i["label"]) for i in infos]
        title = "Comparison: " + " vs ".join(names) if many else names[0]
    version = str(infos[0].get("version", ""))

    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">coprod-sim {esc(version)} report: agent-based simulation of the '
        "co-production of public services. Illustrative model output, not a forecast.</p>",
        f"<h2>{'Scenarios' if many else 'Scenario'}</h2>",
    ]
    if many:
        parts.append(
            f"<p>The first scenario, {esc(labels[0])}, is the reference for the differences. "
            "Each scenario keeps its colour in every figure; line styles tell the measures "
            "apart.</p>"
        )
    for i, info in enumerate(infos):
        colour = SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)] if many else "#999999"
        parts.append(_scenario_html(info, colour))
    parts.append("<h2>Headline</h2>")
    run_changes = {str(i["label"]): str(i.get("run_changes") or "") for i in infos}
    parts += [f'<p class="headline">{esc(s)}</p>' for s in _headlines(ts, run_changes)]
    parts.append("<h2>Figures</h2>")
    band = ""
    if _band_note(ts):
        band = (
            " Lines are means over replications; shaded bands (and the error bars of the bar "
            "chart) span the 5th to 95th percentile across replications and show how much the "
            "result depends on chance."
        )
    events = _scheduled_events(infos)
    end = int(ts["month"].max()) if len(ts) else 0
    for k, fig in enumerate(_figures(ts, agents)):
        div = figure_div(mark_events(fig, events, end), f"figure-{k + 1}")
        parts.append(
            f"<figure><h3>{esc(_FIGURE_TITLES[k])}</h3>{div}"
            f'<figcaption class="caption">{esc(_CAPTIONS[k] + band)}</figcaption></figure>'
        )
    parts.append("<h2>Final values</h2>")
    what = (
        "differences of each scenario from the first (the reference) in the last columns"
        if many
        else "mean over replications, with the standard deviation when there are several"
    )
    parts.append(
        f"<p>Every canonical metric at the final month: {what}. Levels and shares lie in "
        "[0, 1]; other units as listed.</p>"
    )
    parts.append(_final_table(ts))
    return html_page(f"{title} - coprod-sim report", parts)


__all__ = [
    "CSS",
    "EVENT_LABELS",
    "FIGURE_CONFIG",
    "esc",
    "figure_div",
    "final_values",
    "html_page",
    "html_table",
    "inequality",
    "mark_events",
    "participation_by_co",
    "participation_by_group",
    "performance_and_value",
    "render",
    "resilience",
    "rgba",
    "time_panels",
    "trust_and_efficacy",
    "willingness_vs_participation",
]
