"""The plotly figures of scenario runs, their colours and labels, and the final-values table.

The builders take the tidy frames the command line writes (see :mod:`coprod_sim.report`).
Conventions shared by every time-series figure: x is the month. With one replication a metric is
a plain line. With several, the line is the mean across replications and a shaded band spans the
5th to 95th percentile across replications (:func:`add_series` is the one place that draws
them). With one scenario, colour tells the metrics apart; with several, colour tells the
scenarios apart (the same colour in every figure) and the line style tells the metrics apart.
Traces share a ``legendgroup`` (the scenario, or with one scenario the metric), so one click in
the legend shows or hides them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb
from plotly.subplots import make_subplots

from .. import metrics
from ..state import AGE_BANDS, EDUCATION, MODES
from .page import esc

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
def scenario_order(frame: pd.DataFrame) -> list[str]:
    """Scenario labels in display order: the categories' order, else first appearance."""
    col = frame["scenario"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.astype(str).unique())
        return [str(c) for c in col.cat.categories if str(c) in present]
    return [str(s) for s in pd.unique(col.astype(str))]


def replication_count(frame: pd.DataFrame, scenario: str) -> int:
    """How many replications of ``scenario`` the frame holds."""
    return int(frame.loc[frame["scenario"].astype(str) == scenario, "replication"].nunique())


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns: {', '.join(missing)}")


def rgba(colour: str, alpha: float) -> str:
    """The hex ``colour`` as a CSS ``rgba(...)`` with opacity ``alpha`` (for bands and fills)."""
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


def add_series(
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
    if replication_count(ts, scenario) > 1:
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


def plot_metrics(
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
    scenarios = scenario_order(ts)
    shown = {(t.legendgroup, t.name) for t in fig.data if t.showlegend}
    for i, scenario in enumerate(scenarios):
        for j, (metric, name) in enumerate(names.items()):
            colour, dash, group, title = _style(scenarios, i, j, name, offset=offset)
            add_series(
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


def band_note(frame: pd.DataFrame) -> str:
    """'' for one replication each, else what the lines and bands mean."""
    reps = sorted({replication_count(frame, s) for s in scenario_order(frame)})
    if reps[-1] <= 1:
        return ""
    r = "/".join(str(x) for x in reps)
    return f"lines: mean of {r} replications; shaded bands: 5th-95th percentile across replications"


def time_layout(
    fig: go.Figure, title: str, ts: pd.DataFrame, *, height: int = _HEIGHT
) -> go.Figure:
    """Shared layout: title (with the band note), template, and a height that fits the legend."""
    note = band_note(ts)
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
        plot_metrics(fig, ts, names, row=row + 1, col=col + 1)
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(title_text="share of citizens", col=1)
    fig.update_xaxes(title_text="month", row=2)
    return time_layout(
        fig, "Participation in the Four Co's: individual and collective", ts, height=560
    )


def willingness_vs_participation(ts: pd.DataFrame) -> go.Figure:
    """Willingness to co-produce against actual participation.

    Mean willingness (the probability of being willing in the best-fitting Co) and the share of
    citizens holding any co-production place, on one 0-1 axis. The distance between the lines is
    pattern P1: willingness far exceeds participation when opportunities are scarce.
    """
    fig = go.Figure()
    plot_metrics(fig, ts, _labelled("willingness", "participation_any"))
    fig.update_yaxes(title_text="share of citizens (0-1)", range=[0, 1.02])
    fig.update_xaxes(title_text="month")
    return time_layout(fig, "Willing to co-produce, and taking part", ts)


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
    plot_metrics(fig, ts, TRUST, row=1, col=1)
    plot_metrics(fig, ts, EFFICACY, row=1, col=2, offset=len(TRUST))
    fig.update_yaxes(range=[0, 1.02])
    fig.update_yaxes(title_text="level (0-1)", col=1)
    fig.update_xaxes(title_text="month")
    return time_layout(fig, "Trust and self-efficacy by role", ts)


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
    plot_metrics(fig, ts, _labelled("service_performance"), row=1, col=1)
    plot_metrics(fig, ts, VALUES, row=1, col=2, offset=1)
    fig.update_yaxes(title_text="share of need met (0-1)", range=[0, 1.02], row=1, col=1)
    # The economic value's unit is in its legend name: a long axis title here ran into the
    # left panel.
    fig.update_yaxes(title_text="level (0-1)", row=1, col=2)
    fig.update_xaxes(title_text="month")
    return time_layout(fig, "Service performance and public value", ts)


def resilience(ts: pd.DataFrame) -> go.Figure:
    """The resilience chain and its four links.

    The chain (thick line) is the weakest of the user, community, provider and commissioner
    links; drawing the links with it shows which one holds the system back, and how each dips
    and recovers after a shock.
    """
    fig = go.Figure()
    plot_metrics(fig, ts, RESILIENCE, thick=("resilience_chain",))
    fig.update_yaxes(title_text="level (0-1)", range=[0, 1.02])
    fig.update_xaxes(title_text="month")
    return time_layout(fig, "The resilience chain: as strong as its weakest link", ts)


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
    scenarios = scenario_order(ts)
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
    plot_metrics(fig, ts, _labelled("participation_gap_education"), row=2, col=1, offset=1)
    plot_metrics(fig, ts, BURDEN, row=2, col=2, offset=2)
    fig.update_yaxes(title_text="share of citizens", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=metrics.UNITS["participation_gap_education"], row=2, col=1)
    fig.update_yaxes(title_text="share", rangemode="tozero", row=2, col=2)
    fig.update_xaxes(title_text="month", row=2)
    fig = time_layout(fig, "Who takes part", ts, height=640)
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
    scenarios = scenario_order(ts)
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
