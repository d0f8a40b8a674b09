"""The run report of the ``coprod run``, ``compare`` and ``report`` commands: scenarios,
headlines, figures and final values on one self-contained page (:func:`render`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import (
    RESILIENCE,
    SCENARIO_COLOURS,
    band_note,
    final_values,
    inequality,
    mark_events,
    participation_by_co,
    performance_and_value,
    replication_count,
    resilience,
    scenario_order,
    trust_and_efficacy,
    willingness_vs_participation,
)
from .page import esc, figure_div, html_page, html_table


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
    scenarios = scenario_order(ts)
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
        reps = replication_count(ts, scenario)
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
    scenarios = scenario_order(ts)
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
    if band_note(ts):
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
