"""The dashboard's figures: the report's six views, kept live, and the network view.

The live views are the report's figures (:mod:`coprod_sim.report`), built once when a run
starts. Each month only their data change: every line carries its metric's name as ``meta``,
so :func:`refresh` rewrites the ``y`` values in place instead of building a new figure (a
new figure costs about 40 ms a view in plotly's validation; a refresh well under 1 ms).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import report
from ..agents import Citizen, Commissioner, Politician, Staff
from ..model import CoproductionModel
from ..state import AGE_BANDS, EDUCATION
from ..submodels.events import Event

MAX_NODES = 2_000
"""The network view draws at most this many citizens; beyond it, a stated sample."""


@dataclass(frozen=True)
class View:
    """One live chart: its key (also the CSS class ``cs-view-<key>``), title and builder."""

    key: str
    title: str
    build: Callable[[pd.DataFrame, pd.DataFrame], go.Figure]
    uses_agents: bool = False
    wide: bool = False  # a card the whole width of the page (its bars need the room)


VIEWS: tuple[View, ...] = (
    View(
        "participation",
        "Participation in the Four Co's",
        lambda ts, _: report.participation_by_co(ts),
    ),
    View("gap", "Willing, and taking part", lambda ts, _: report.willingness_vs_participation(ts)),
    View("trust", "Trust and self-efficacy", lambda ts, _: report.trust_and_efficacy(ts)),
    View("value", "Performance and public value", lambda ts, _: report.performance_and_value(ts)),
    View("resilience", "The resilience chain", lambda ts, _: report.resilience(ts)),
    View(
        "inequality",
        "Who takes part",
        lambda ts, ag: report.inequality(ag, ts),
        uses_agents=True,
        wide=True,
    ),
)


CARD_CHARS = 44
"""Characters of a chart title that fit on one line of a half-width card at 1280 px (the
narrowest layout): longer titles wrap instead of running off the card."""

AXIS_TITLE_CHARS = 26
"""Characters of a y axis title that fit along a panel's height; longer ones wrap."""

LEGEND_PER_ROW, LEGEND_ROW = 2, 21
"""Legend entries a row in a half-width card (the labels are long), and a row's height (px)."""

TITLE_SIZE, SUBTITLE_SIZE, AXIS_TITLE_SIZE = 15, 12, 11
"""Font sizes (px) of a card's chart title, subplot titles and axis titles."""


def wrap(text: str, width: int) -> str:
    """Plotly text broken into lines of at most ``width`` characters (``<br>``); a ``<br>``
    already in it (a subtitle) is kept."""
    head, sep, tail = str(text).partition("<br>")
    return "<br>".join(textwrap.wrap(head, width) or [head]) + sep + tail


def _fit_card(fig: go.Figure, wide: bool) -> None:
    """Make the report's figure fit a dashboard card: wrapped, smaller titles (long ones ran
    into each other and off the card), axis titles that wrap and push the margins instead of
    being clipped, room at the top for a wrapped title."""
    chars = 2 * CARD_CHARS if wide else CARD_CHARS
    # Subplot titles (the only annotations before the events are marked): at most a panel's
    # width a line.
    columns = len({trace.xaxis for trace in fig.data}) > 1
    extra = 0  # lines of the tallest subplot title beyond the first, which grow upwards
    for note in fig.layout.annotations:
        note.font.size = SUBTITLE_SIZE
        note.text = wrap(note.text, chars // 2 + 2 if columns else chars)
        extra = max(extra, note.text.count("<br>"))
    title = wrap(fig.layout.title.text or "", chars)
    lines = title.count("<br>") + 1
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_SIZE}},
        # Plotly centres the title in the top margin, above the subplot titles.
        margin={"t": 40 + 22 * lines + (20 + 15 * extra if columns else 0), "l": 60, "r": 16},
    )
    for trace in fig.data:  # a legend entry never wider than half a card
        if trace.name:
            trace.name = wrap(trace.name, chars - 14)
    fig.update_yaxes(automargin=True, title_font_size=AXIS_TITLE_SIZE)
    fig.update_xaxes(automargin=True, title_font_size=AXIS_TITLE_SIZE)
    for name in [n for n in fig.layout if n.startswith("yaxis")]:
        axis = fig.layout[name]
        if axis.title.text:
            axis.title.text = wrap(axis.title.text, AXIS_TITLE_CHARS)


def live_figure(
    view: View,
    ts: pd.DataFrame,
    agents: pd.DataFrame,
    horizon: int,
    events: Sequence[Event] = (),
) -> go.Figure:
    """The view's figure for a live run: the report's, fitted to a dashboard card, with the
    month axes fixed to the whole horizon (the lines grow to the right) and a marked band over
    the months of each of ``events`` (the run's shocks and policy changes)."""
    fig = view.build(ts, agents)
    _fit_card(fig, view.wide)
    end = max(horizon, 1)
    # Only the month axes: a category axis (the 'who takes part' bars) given [0, horizon]
    # squeezes its bars into the first few pixels.
    for xaxis, _ in report.time_panels(fig):
        fig.layout["xaxis" + xaxis[1:]].update(range=[0, end], autorange=False)
    report.mark_events(fig, events, end)
    # y axes without a fixed range follow the data as the run grows (see refresh).
    free = [
        name for name in fig.layout if name.startswith("yaxis") and fig.layout[name].range is None
    ]
    for name in free:  # plotly.js would leave matched axes at autorange false, range [0, 4]
        fig.layout[name].autorange = True
    entries = sum(1 for t in fig.data if t.showlegend is not False)
    rows = -(-entries // (LEGEND_PER_ROW * (2 if view.wide else 1)))
    fig.update_layout(
        height=min(fig.layout.height or 460, 520) + LEGEND_ROW * rows,
        uirevision="live",
        # Legends below the plot, at the foot of the card with room kept for them: a card is
        # too narrow for one at the side, and one placed in the plot's coordinates ran over
        # the axis titles.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        margin={"b": 56 + LEGEND_ROW * rows},
    )
    return fig


def participation_by_group(state) -> np.ndarray:
    """The 'who takes part' bars from the engine's arrays, in the order of
    :func:`coprod_sim.report.participation_by_group` (the same numbers, without pandas: it is
    recomputed every month)."""
    c = state.citizens
    active = (c.initiative_of >= 0).any(axis=0).astype(float)
    shares = []
    for column, _ in report.GROUPS:
        codes = getattr(c, column)
        if codes.dtype == bool:
            # report.participation_by_group orders yes/no levels as ["yes", "no"]
            levels = [codes, ~codes]
            shares += [active[m].mean() if m.any() else np.nan for m in levels]
        else:
            n = len(AGE_BANDS if column == "age_band" else EDUCATION)
            counts = np.bincount(codes, minlength=n)
            sums = np.bincount(codes, weights=active, minlength=n)
            shares += [s / k if k else np.nan for s, k in zip(sums, counts, strict=True)]
    return np.array(shares)


def refresh(fig: go.Figure, series: dict[str, np.ndarray], state=None) -> list:
    """The data that changed since ``fig`` (from :func:`live_figure`) was built, as restyle
    operations ``[(update, trace indices)]``.

    Lines take their metric's series (their ``meta``) and the months ``0..n-1``; the 'who takes
    part' bars are recomputed from ``state`` (skipped when it is None). Levels of a group with
    nobody in it are left out of the bars, as the report leaves them out.
    """
    # One restyle for the whole chart: each restyle call redraws it.
    traces: list[int] = []
    xs: list[Any] = []
    ys: list[np.ndarray] = []
    for i, trace in enumerate(fig.data):
        meta = trace.meta
        if meta == report.BY_GROUP and state is not None:
            bars = participation_by_group(state)
            bars = bars[~np.isnan(bars)]
            if len(bars) == len(trace.y):
                traces.append(i)
                xs.append([list(level) for level in trace.x])  # unchanged categories
                ys.append(np.round(bars, 5))
        elif isinstance(meta, str) and meta in series:
            y = series[meta]
            traces.append(i)
            xs.append(np.arange(len(y)))
            ys.append(np.round(y, 5))
    return [({"x": xs, "y": ys}, traces)] if traces else []


# -------------------------------------------------------------------------------- network

ROLE_STYLE: dict[str, dict[str, Any]] = {
    "citizen": {"symbol": "circle", "size": 6},
    "staff": {"symbol": "diamond", "size": 11},
    "commissioner": {"symbol": "square", "size": 15},
    "politician": {"symbol": "star", "size": 18},
}
"""Marker shape and size of each role in the network view."""

COLOUR_BY: dict[str, str] = {
    "participation": "taking part (citizens: yes/no; others: share of their people taking part)",
    "self_efficacy": "self-efficacy (0-1)",
}
"""What the node colours mean, by colouring (the network's subtitle)."""

COLOUR_LABELS: dict[str, str] = {"participation": "Taking part", "self_efficacy": "Self-efficacy"}
"""The colour toggle's button labels and the colour bar's title, by colouring."""


@dataclass
class NetworkLayout:
    """Node positions computed once per run (seeded), and the sample drawn."""

    citizens: np.ndarray  # indices of the citizens drawn
    xy: np.ndarray  # (len(citizens), 2)
    edges: tuple[np.ndarray, np.ndarray]  # x and y with None gaps, for one line trace
    staff_xy: np.ndarray
    commissioner_xy: np.ndarray
    politician_xy: np.ndarray
    total: int  # citizens in the model

    @property
    def positions(self) -> dict[str, np.ndarray]:
        """Positions by role (NaN for an agent not drawn), in the order of ROLE_STYLE."""
        return {
            "citizen": self.xy,
            "staff": self.staff_xy,
            "commissioner": self.commissioner_xy,
            "politician": self.politician_xy,
        }

    @property
    def note(self) -> str:
        n = len(self.citizens)
        if n == self.total:
            return f"all {self.total:,} citizens"
        return (
            f"a sample of {n:,} of {self.total:,} citizens (whole neighbourhoods, chosen at "
            "random with the run's seed)"
        )


def _sample(neighbourhood: np.ndarray, rng: np.random.Generator, limit: int) -> np.ndarray:
    """Citizens to draw: all if few, else whole neighbourhoods in a seeded random order, so
    that the ties drawn are the ties that exist."""
    n = len(neighbourhood)
    if n <= limit:
        return np.arange(n)
    chosen: list[np.ndarray] = []
    count = 0
    for hood in rng.permutation(np.unique(neighbourhood)):
        members = np.flatnonzero(neighbourhood == hood)
        if count + len(members) > limit:
            if count == 0:  # one neighbourhood bigger than the limit: a random part of it
                chosen.append(np.sort(rng.choice(members, limit, replace=False)))
            break
        chosen.append(members)
        count += len(members)
    return np.sort(np.concatenate(chosen))


def network_layout(model: CoproductionModel, limit: int = MAX_NODES) -> NetworkLayout:
    """A seeded layout: each neighbourhood is a ring (the small-world lattice is drawn as
    rings), the rings on a grid; staff sit at the centre of the citizens they serve,
    commissioners at the centre of their staff and councillors in a row above.

    O(N): a force-directed layout takes seconds at 1,000 nodes, too slow for a live page.
    """
    s = model.state
    # A child stream of the model's seed, so drawing never changes the simulation's RNG.
    rng = np.random.default_rng([int(model.scenario.rng or 0), 0xD1A6])
    hood = s.citizens.neighbourhood
    drawn = _sample(hood, rng, limit)
    hoods = np.unique(hood[drawn])
    cols = int(np.ceil(np.sqrt(len(hoods))))
    xy = np.zeros((len(drawn), 2))
    for k, h in enumerate(hoods):
        members = np.flatnonzero(hood[drawn] == h)
        angle = 2 * np.pi * np.arange(len(members)) / max(len(members), 1)
        radius = 1.0 + rng.normal(0.0, 0.06, len(members))
        cx, cy = 2.6 * (k % cols), -2.6 * (k // cols)
        xy[members, 0] = cx + radius * np.cos(angle)
        xy[members, 1] = cy + radius * np.sin(angle)
    position = np.full(s.citizens.n, -1)
    position[drawn] = np.arange(len(drawn))
    net = s.network
    src = np.repeat(np.arange(s.citizens.n), np.diff(net.indptr))
    dst = net.indices
    keep = (src < dst) & (position[src] >= 0) & (position[dst] >= 0)
    a, b = position[src[keep]], position[dst[keep]]
    ex = np.column_stack([xy[a, 0], xy[b, 0], np.full(len(a), np.nan)]).ravel()
    ey = np.column_stack([xy[a, 1], xy[b, 1], np.full(len(a), np.nan)]).ravel()

    serves = s.citizens.caseload_staff[drawn]  # the staff member whose caseload holds them
    staff_xy = np.full((s.staff.n, 2), np.nan)
    for j in np.unique(serves):
        staff_xy[j] = xy[serves == j].mean(axis=0) * 0.97
    commissioner_xy = np.full((s.commissioners.n, 2), np.nan)
    for c in range(s.commissioners.n):
        mine = (s.staff.commissioner == c) & ~np.isnan(staff_xy[:, 0])
        if mine.any():
            commissioner_xy[c] = staff_xy[mine].mean(axis=0)
    top = xy[:, 1].max() + 1.2 if len(xy) else 1.0
    width = xy[:, 0].max() - xy[:, 0].min() if len(xy) else 1.0
    px = xy[:, 0].min() + width * (np.arange(s.politicians.n) + 0.5) / max(s.politicians.n, 1)
    politician_xy = np.column_stack([px, np.full(s.politicians.n, top)])
    return NetworkLayout(
        drawn, xy, (ex, ey), staff_xy, commissioner_xy, politician_xy, s.citizens.n
    )


def _colours(model: CoproductionModel, layout: NetworkLayout, colour_by: str) -> dict:
    s = model.state
    if colour_by == "self_efficacy":
        return {
            "citizen": s.citizens.self_efficacy[layout.citizens],
            "staff": s.staff.self_efficacy,
            "commissioner": s.commissioners.self_efficacy,
            "politician": s.politicians.self_efficacy,
        }
    active = (s.citizens.initiative_of >= 0).any(axis=0).astype(float)
    serves = s.citizens.caseload_staff
    # Staff and commissioners: the share of the citizens they serve who take part.
    per_staff = np.bincount(serves, weights=active, minlength=s.staff.n) / np.maximum(
        np.bincount(serves, minlength=s.staff.n), 1
    )
    per_comm = np.bincount(s.staff.commissioner, weights=per_staff, minlength=s.commissioners.n)
    per_comm /= np.maximum(np.bincount(s.staff.commissioner, minlength=s.commissioners.n), 1)
    return {
        "citizen": active[layout.citizens],
        "staff": per_staff,
        "commissioner": per_comm,
        "politician": np.full(s.politicians.n, float(active.mean())),
    }


def network_figure(model: CoproductionModel, layout: NetworkLayout, colour_by: str) -> go.Figure:
    """The network view: WebGL markers coloured by ``colour_by``, shaped and sized by role.

    Each point's ``customdata`` is ``[role, index]``, for the agent inspector.
    """
    colours = _colours(model, layout, colour_by)
    fig = go.Figure()
    ex, ey = layout.edges
    fig.add_trace(
        go.Scattergl(
            x=np.round(ex, 3),  # three decimals are finer than a pixel, and half the bytes
            y=np.round(ey, 3),
            mode="lines",
            line={"color": "rgba(120,120,120,0.25)", "width": 0.6},
            hoverinfo="skip",
            name="social ties",
            showlegend=False,
        )
    )
    positions = layout.positions
    drawn = _shown(layout)
    for role, style in ROLE_STYLE.items():
        xy = positions[role]
        shown = drawn[role]
        # citizens: the sample's indices; other roles: all of them, those drawn
        idx = layout.citizens if role == "citizen" else np.flatnonzero(shown)
        fig.add_trace(
            go.Scattergl(
                x=np.round(xy[shown, 0], 3),
                y=np.round(xy[shown, 1], 3),
                mode="markers",
                name=role,
                meta=role,
                customdata=np.column_stack([np.full(len(idx), role, dtype=object), idx]),
                marker={
                    "symbol": style["symbol"],
                    "size": style["size"],
                    "color": np.round(colours[role][shown], 4),
                    "cmin": 0.0,
                    "cmax": 1.0,
                    "colorscale": "Viridis",
                    "line": {"width": 0.5, "color": "#333"},
                    "showscale": role == "citizen",
                    "colorbar": {"title": {"text": COLOUR_LABELS[colour_by]}, "len": 0.6},
                },
                hovertemplate=f"{role} %{{customdata[1]}}: %{{marker.color:.2f}}<extra></extra>",
            )
        )
    fig.update_layout(
        title={"text": _network_title(layout, colour_by), "x": 0.01, "font": {"size": TITLE_SIZE}},
        template="plotly_white",
        height=520,
        margin={"l": 10, "r": 10, "t": 100, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"orientation": "h", "y": -0.02},
        hovermode="closest",
        uirevision="network",
    )
    return fig


def _network_title(layout: NetworkLayout, colour_by: str) -> str:
    """The network's title and its key, in lines that fit a half-width card (one long
    subtitle line was cut off at the card's edge)."""
    key = f"colour: {COLOUR_BY[colour_by]}; shape and size: role (click a node to inspect it)"
    lines = textwrap.wrap(key, CARD_CHARS + 12)  # smaller type: a few more a line
    return "<br>".join(
        [wrap(f"The network: {layout.note}", CARD_CHARS)] + [f"<sup>{x}</sup>" for x in lines]
    )


def refresh_network(
    fig: go.Figure, model: CoproductionModel, layout: NetworkLayout, colour_by: str
) -> list:
    """The nodes' new colours as restyle operations (positions never change)."""
    colours = _colours(model, layout, colour_by)
    shown = _shown(layout)
    traces, values = [], []
    for i, trace in enumerate(fig.data):
        if trace.meta in colours:
            traces.append(i)
            values.append(np.round(colours[trace.meta][shown[trace.meta]], 4))
    return [({"marker.color": values}, traces)] if traces else []


def _shown(layout: NetworkLayout) -> dict[str, np.ndarray]:
    """Which agents of each role are drawn (staff whose citizens are all outside a sample
    are not)."""
    return {role: ~np.isnan(xy[:, 0]) for role, xy in layout.positions.items()}


def drawn_agent(layout: NetworkLayout, customdata: Any) -> tuple[str, int] | None:
    """(role, index) of a clicked network node from its ``customdata``, or None."""
    if not isinstance(customdata, list | tuple) or len(customdata) != 2:
        return None
    role, index = customdata
    if role not in ROLE_STYLE:
        return None
    return str(role), int(index)


# -------------------------------------------------------------------------------- inspector

AGENT_CLASS = {
    "citizen": Citizen,
    "staff": Staff,
    "commissioner": Commissioner,
    "politician": Politician,
}


def inspect(model: CoproductionModel, role: str, index: int) -> pd.DataFrame:
    """One agent's state, read through its Mesa agent object: one row per attribute
    (``attribute``, ``value``, ``meaning``)."""
    cls = AGENT_CLASS[role]
    agent = model.agents_by_type[cls].to_list()[int(index)]
    rows = []
    # Only the coprod-sim classes' attributes (not Mesa's rng, random and scenario).
    for klass in [k for k in reversed(cls.__mro__) if k.__module__ == Citizen.__module__]:
        for name, member in vars(klass).items():
            if isinstance(member, property) and not name.startswith("_"):
                value = getattr(agent, name)
                if isinstance(value, np.ndarray):
                    value = f"{len(value)} ties" if name == "neighbours" else value.tolist()
                elif isinstance(value, float):
                    value = round(value, 3)
                elif isinstance(value, tuple):
                    value = ", ".join(value) or "none"
                doc = (member.__doc__ or "").strip().splitlines()[0] if member.__doc__ else ""
                rows.append({"attribute": name, "value": value, "meaning": doc})
    seen: dict[str, dict] = {}
    for row in rows:  # a subclass's property replaces its parent's
        seen[row["attribute"]] = row
    frame = pd.DataFrame(list(seen.values()))
    return frame


__all__ = [
    "COLOUR_BY",
    "COLOUR_LABELS",
    "MAX_NODES",
    "VIEWS",
    "NetworkLayout",
    "View",
    "drawn_agent",
    "inspect",
    "live_figure",
    "network_figure",
    "network_layout",
    "participation_by_group",
    "refresh",
    "refresh_network",
]
