"""The plotly figures and the offline HTML report (coprod_sim.report)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest

from coprod_sim import CANONICAL, Scenario, __version__, metrics, report, runs
from coprod_sim.state import MODES
from tests.payloads import HOSTILE, escaped, made_elements

N, STEPS = 300, 24
SHOCK = {"unavailability_share": 0.3, "unavailability_start": 12}


def _runs(label: str, seeds: list[int], **params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy frames the CLI writes (consecutive seeds): time series and agent snapshots."""
    scenario = Scenario(name=label, n_citizens=N, steps=STEPS, **params)
    results = runs.run_all([scenario], seeds[0], len(seeds))
    assert results.timeseries["seed"].unique().tolist() == seeds
    return results.timeseries, results.agents


def _info(label: str, seeds: list[int], **extra) -> dict:
    info = {
        "label": label,
        "title": f"Scenario {label}",
        "description": "A small test run.",
        "question": "What happens?",
        "sources": ["000@49502"],
        "seeds": seeds,
        "replications": len(seeds),
        "steps": STEPS,
        "version": __version__,
        "changed": {},
        "events": [],
    }
    info.update(extra)
    return info


@pytest.fixture(scope="module")
def frames() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """one: 1 scenario x 1 rep; reps: 1 x 3; two: 2 x 1 (a shock in B); two3: 2 x 3."""
    a3 = _runs("A", [1, 2, 3])
    b3 = _runs("B", [1, 2, 3], **SHOCK)

    def first(pair):
        return tuple(f[f["replication"] == 0].reset_index(drop=True) for f in pair)

    def both(x, y):
        return tuple(pd.concat([p, q], ignore_index=True) for p, q in zip(x, y, strict=True))

    return {
        "one": first(a3),
        "reps": a3,
        "two": both(first(a3), first(b3)),
        "two3": both(a3, b3),
    }


# Time-series metrics drawn per scenario by each builder: panels, lines per scenario.
SERIES = {
    "participation_by_co": (report.participation_by_co, 4, 8),
    "willingness_vs_participation": (report.willingness_vs_participation, 1, 2),
    "trust_and_efficacy": (report.trust_and_efficacy, 2, 10),
    "performance_and_value": (report.performance_and_value, 2, 5),
    "resilience": (report.resilience, 1, 5),
}


def _build(name: str, ts: pd.DataFrame, agents: pd.DataFrame) -> go.Figure:
    if name == "inequality":
        return report.inequality(agents, ts)
    return SERIES[name][0](ts)


def _panels(fig: go.Figure) -> int:
    return sum(1 for key in fig.layout.to_plotly_json() if re.fullmatch(r"xaxis\d*", key))


def _lines(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "scatter" and t.fill != "toself"]


def _bands(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "scatter" and t.fill == "toself"]


@pytest.mark.parametrize("name", list(SERIES))
def test_time_series_figures_one_scenario_one_rep(frames, name):
    ts, ag = frames["one"]
    _, panels, lines = SERIES[name]
    fig = _build(name, ts, ag)
    assert isinstance(fig, go.Figure)
    assert _panels(fig) == panels
    assert len(fig.data) == lines
    assert not _bands(fig)
    # one scenario: colour tells the metrics apart (within a panel) and the legend group is
    # the metric, so a click hides it in every panel
    assert len({t.line.color for t in fig.data}) == lines // (4 if panels == 4 else 1)
    assert all(t.legendgroup == t.name for t in fig.data)
    assert "month" in {axis.title.text for axis in fig.select_xaxes()}


@pytest.mark.parametrize("name", list(SERIES))
def test_time_series_figures_three_reps_draw_mean_and_band(frames, name):
    ts, ag = frames["reps"]
    _, panels, lines = SERIES[name]
    fig = _build(name, ts, ag)
    assert _panels(fig) == panels
    assert len(fig.data) == 2 * lines
    assert len(_bands(fig)) == lines
    assert all(b.showlegend is False and b.hoverinfo == "skip" for b in _bands(fig))
    assert "5th-95th percentile" in fig.layout.title.text
    assert "mean of 3 replications" in fig.layout.title.text


@pytest.mark.parametrize("name", list(SERIES))
def test_time_series_figures_two_scenarios_colour_per_scenario(frames, name):
    ts, ag = frames["two"]
    _, panels, lines = SERIES[name]
    fig = _build(name, ts, ag)
    assert _panels(fig) == panels
    assert len(fig.data) == 2 * lines
    colours = {}
    for trace in fig.data:
        colours.setdefault(trace.legendgroup, set()).add(trace.line.color)
    assert colours == {"A": {report.SCENARIO_COLOURS[0]}, "B": {report.SCENARIO_COLOURS[1]}}
    # the metrics of a panel differ by line style instead
    first = [t for t in fig.data if t.legendgroup == "A" and t.xaxis in (None, "x")]
    assert len({t.line.dash for t in first}) == len(first) > 0
    # each legend entry appears once per figure
    entries = [(t.legendgroup, t.name) for t in fig.data if t.showlegend]
    assert len(entries) == len(set(entries)) == 2 * len({t.name for t in fig.data})


def test_mean_line_is_the_mean_and_band_the_spread(frames):
    ts, _ = frames["reps"]
    fig = report.willingness_vs_participation(ts)
    willing = metrics.label("willingness")  # one scenario: the metric is the legend group
    line = next(t for t in _lines(fig) if t.legendgroup == willing)
    band = next(t for t in _bands(fig) if t.legendgroup == willing)
    by_month = ts.groupby("month")["willingness"]
    np.testing.assert_allclose(line.y, by_month.mean().to_numpy(), atol=1e-5)
    np.testing.assert_array_equal(line.x, np.arange(STEPS + 1))
    upper = np.asarray(band.y[: STEPS + 1])
    lower = np.asarray(band.y[STEPS + 1 :])[::-1]
    np.testing.assert_allclose(upper, by_month.quantile(0.95).to_numpy(), atol=1e-5)
    np.testing.assert_allclose(lower, by_month.quantile(0.05).to_numpy(), atol=1e-5)
    assert (upper > lower).any()
    assert np.all(upper >= lower)


def test_single_replication_line_is_the_series(frames):
    ts, _ = frames["one"]
    fig = report.resilience(ts)
    chain = next(t for t in fig.data if t.meta == "resilience_chain")
    np.testing.assert_allclose(chain.y, ts["resilience_chain"].to_numpy(), atol=1e-5)
    assert chain.line.width > max(t.line.width for t in fig.data if t is not chain)


def test_scenario_colours_are_consistent_across_figures(frames):
    ts, ag = frames["two"]
    for name in [*SERIES, "inequality"]:
        fig = _build(name, ts, ag)
        for trace in fig.data:
            colour = trace.marker.color if trace.type == "bar" else trace.line.color
            index = ["A", "B"].index(trace.legendgroup)
            assert colour == report.SCENARIO_COLOURS[index], (name, trace.name)


@pytest.mark.parametrize(
    ("key", "scenarios", "reps"), [("one", 1, 1), ("reps", 1, 3), ("two", 2, 1)]
)
def test_inequality_panels_and_traces(frames, key, scenarios, reps):
    ts, ag = frames[key]
    fig = report.inequality(ag, ts)
    assert _panels(fig) == 3
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == scenarios
    assert len(_lines(fig)) == 4 * scenarios  # education gap; usual suspects, burnout, exploited
    assert len(_bands(fig)) == (4 * scenarios if reps > 1 else 0)
    for bar in bars:
        assert len(bar.y) == 3 + 4 + 2 + 2 + 2
        assert (bar.error_y.array is not None) == (reps > 1)
    assert fig.layout.barmode == "group"


def test_participation_by_group_matches_the_snapshot(frames):
    _, ag = frames["one"]
    table = report.participation_by_group(ag)
    cit = ag[ag["role"] == "citizen"]
    active = cit[[f"active_{m}" for m in MODES]].astype(bool).any(axis=1)
    for attribute, column, level, mask in [
        ("education", "education", "high", cit["education"] == "high"),
        ("age band", "age_band", "75+", cit["age_band"] == "75+"),
        ("employed", "employed", "no", ~cit["employed"].astype(bool)),
        ("vulnerable", "vulnerable", "yes", cit["vulnerable"].astype(bool)),
    ]:
        row = table[(table["attribute"] == attribute) & (table["level"] == level)]
        assert len(row) == 1, column
        assert row["share"].iloc[0] == pytest.approx(active[mask].mean())
    assert active.any()
    assert list(table["level"][table["attribute"] == "education"]) == ["low", "mid", "high"]


def test_participation_by_group_survives_a_parquet_round_trip(frames, tmp_path):
    _, ag = frames["two"]
    path = tmp_path / "agents.parquet"
    ag.to_parquet(path)
    back = pd.read_parquet(path)
    assert back["active_co_delivery"].dtype == object  # bools with NaN for the other roles
    pd.testing.assert_frame_equal(
        report.participation_by_group(back), report.participation_by_group(ag)
    )
    # float columns with a missing value for a citizen count it as not active (NaN is truthy)
    floats = back.copy()
    citizen = floats.index[(floats["role"] == "citizen") & ~floats["active_co_design"].eq(True)]
    floats["active_co_design"] = floats["active_co_design"].astype(float)
    floats.loc[citizen[:50], "active_co_design"] = np.nan
    pd.testing.assert_frame_equal(
        report.participation_by_group(floats), report.participation_by_group(ag)
    )


def test_final_values_one_scenario(frames):
    ts, _ = frames["one"]
    table = report.final_values(ts)
    assert list(table["metric"]) == list(CANONICAL)
    assert list(table.columns) == ["metric", "unit", "A: mean"]
    last = ts[ts["month"] == STEPS].iloc[0]
    np.testing.assert_allclose(table["A: mean"], last[list(CANONICAL)].astype(float))
    assert (
        table.set_index("metric").loc["staff_hours", "unit"] == "hours a month per 1,000 citizens"
    )


def test_final_values_means_sd_and_differences(frames):
    ts, _ = frames["two3"]
    table = report.final_values(ts).set_index("metric")
    assert len(table) == len(CANONICAL)
    assert list(table.columns) == ["unit", "A: mean", "A: sd", "B: mean", "B: sd", "B - A"]
    last = ts[ts["month"] == STEPS]
    means = last.groupby("scenario")[list(CANONICAL)].mean()
    sds = last.groupby("scenario")[list(CANONICAL)].std(ddof=1)
    np.testing.assert_allclose(table["A: mean"], means.loc["A"])
    np.testing.assert_allclose(table["B: mean"], means.loc["B"])
    np.testing.assert_allclose(table["A: sd"], sds.loc["A"])
    np.testing.assert_allclose(table["B - A"], means.loc["B"] - means.loc["A"])
    # the staff shock hit B: its provider link fell by about the share away; A's only wobbled
    # with co-production's month-to-month contribution
    assert ts[ts["scenario"] == "B"]["resilience_provider"].min() < 0.85
    assert ts[ts["scenario"] == "A"]["resilience_provider"].min() > 0.97


def test_final_values_uses_each_runs_last_month(frames):
    ts, _ = frames["two"]
    shorter = ts[(ts["scenario"] == "A") | (ts["month"] <= 10)]
    table = report.final_values(shorter).set_index("metric")
    b_month_10 = ts[(ts["scenario"] == "B") & (ts["month"] == 10)].iloc[0]
    assert table.loc["willingness", "B: mean"] == pytest.approx(b_month_10["willingness"])


@pytest.fixture(scope="module")
def compare_html(frames) -> str:
    ts, ag = frames["two3"]
    infos = [
        _info("A", [1, 2, 3], title="<script>alert('x')</script> & co"),
        _info(
            "B",
            [1, 2, 3],
            sources=["<img src=x onerror=alert(1)>"],
            changed={"unavailability_share": (0.3, 0.0)},
            events=[{"kind": "unavailability", "start": 12, "duration": 0, "share": 0.3}],
        ),
    ]
    return report.render(ts, ag, infos)


def test_render_has_six_figures_and_inline_plotly(compare_html):
    js = plotly.offline.get_plotlyjs()
    assert compare_html.count(js) == 1
    assert compare_html.index(js) < compare_html.index("</head>")
    assert compare_html.count("Plotly.newPlot(") == 6
    assert js.count("Plotly.newPlot(") == 0
    for k in range(1, 7):
        assert f'id="figure-{k}"' in compare_html
    assert compare_html.startswith("<!DOCTYPE html>")
    assert compare_html.rstrip().endswith("</html>")


def test_render_is_offline(compare_html):
    assert not re.search(r"<script[^>]*\bsrc\s*=", compare_html, re.IGNORECASE)
    assert not re.search(r"<link\b", compare_html, re.IGNORECASE)
    assert "MathJax.js" not in compare_html
    # plotly.js itself names its topojson CDN (used by map traces only); nothing else may
    outside = compare_html.replace(plotly.offline.get_plotlyjs(), "")
    assert "cdn.plot.ly" not in outside
    assert "http://" not in outside
    assert "https://" not in outside


def test_render_escapes_user_text(compare_html):
    assert "<script>alert('x')</script>" not in compare_html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in compare_html
    assert "<img src=x" not in compare_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in compare_html


def test_render_compare_content(compare_html):
    assert "unavailability_share" in compare_html
    assert "<td>unavailability</td>" in compare_html
    assert "<th>B - A</th>" in compare_html
    assert "differs from A by" in compare_html
    assert compare_html.count("<figcaption") == 6
    assert "5th to 95th percentile" in compare_html
    assert compare_html.count('<article class="scenario"') == 2


def test_render_shades_the_scheduled_shock_on_every_time_chart(compare_html):
    """The report's charts carry the same shock bands as the dashboard's (B's shock at month
    12): one band per time panel - participation by Co (4 panels), willingness (1), trust and
    self-efficacy (2), performance and value (2), resilience (1), and inequality's two panels
    by month (none on its bars)."""
    figures = compare_html.split('id="figure-')[1:]
    bands = [
        f.split("</figure>")[0].count('"name":"event-unavailability","type":"rect"')
        for f in figures
    ]
    assert bands == [4, 1, 2, 2, 1, 2], bands


def test_render_without_events_shades_nothing(frames):
    ts, ag = frames["one"]
    assert '"name":"event-' not in report.render(ts, ag, [_info("A", [1])])


def test_render_single_scenario(frames):
    ts, ag = frames["one"]
    doc = report.render(ts, ag, [_info("A", [1])])
    assert doc.count("Plotly.newPlot(") == 6
    assert "times as many willing as taking part" in doc
    assert "5th to 95th percentile" not in doc
    assert " - A</th>" not in doc
    assert doc == report.render(ts, ag, [_info("A", [1])])  # deterministic


def test_render_follows_the_order_of_infos(frames):
    ts, ag = frames["two"]
    doc = report.render(ts, ag, [_info("B", [1]), _info("A", [1])])
    assert "<th>A - B</th>" in doc
    assert doc.index("Scenario B") < doc.index("Scenario A")


def test_render_rejects_mismatched_labels(frames):
    ts, ag = frames["two"]
    with pytest.raises(ValueError, match="scenario labels differ"):
        report.render(ts, ag, [_info("A", [1])])


def test_render_keeps_every_text_from_files_inert(frames):
    """Every field of a scenario that comes from a file, and the labels (legend names, hover
    text) in the charts: shown literally, no element made."""
    ts, ag = frames["two"]
    labels = {"A": f"{HOSTILE} A", "B": f"{HOSTILE} B"}
    ts = ts.assign(scenario=ts["scenario"].astype(str).map(labels))
    ag = ag.assign(scenario=ag["scenario"].astype(str).map(labels))
    event = {"kind": "unavailability", "start": 12, "duration": 0, "share": 0.3, "note": HOSTILE}
    text = {"title": HOSTILE, "description": HOSTILE, "question": HOSTILE, "sources": [HOSTILE]}
    infos = [
        _info(labels["A"], [1], **text, run_changes=HOSTILE),
        _info(labels["B"], [1], **text, events=[event]),
    ]
    page = report.render(ts, ag, infos)
    assert made_elements(page) == []
    assert page.count(escaped(HOSTILE)) >= 6  # title, question, description, source, note
