"""The analysis of a sweep folder (coprod_sim.experiments.analysis): numbers, figures, page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.offline
import pytest
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_sobol

from coprod_sim.experiments import analysis, design, spec, store, sweep
from tests.payloads import HOSTILE, escaped, made_elements

HEAD = """
title = "{title}"
question = "What moves participation?"
scenario = "baseline"
sampler = "{sampler}"
samples = {samples}
levels = 4
replications = {reps}
steps = {steps}
seed = 11
timeseries = {timeseries}
[parameters]
n_citizens = 200
{parameters}
"""

GRID = HEAD.format(
    title="Grid <b>&</b> shock",
    sampler="grid",
    samples=1,
    reps=2,
    steps=24,
    timeseries="true",
    parameters="unavailability_share = 0.5\nunavailability_start = 12\nunavailability_duration = 4",
) + (
    "[axes]\nstaff_feedback = [0.0, 1.0]\nlow_self_efficacy = [0.2, 0.8]\n"
    '[[outputs]]\nmetric = "participation_any"\nstat = "final"\n'
    '[[outputs]]\nmetric = "resilience_chain"\nstat = "dip"\n'
)
RANGES = (
    "[axes]\nstaff_feedback = { low = 0.0, high = 1.0 }\n"
    "staff_training = { low = 0.0, high = 1.0 }\n"
    "willingness_intercept = { low = -3.0, high = 1.0 }\n"
    '[[outputs]]\nmetric = "participation_any"\nstat = "final"\n'
    '[[outputs]]\nmetric = "willingness"\nstat = "mean_last"\nlast = 6\n'
)
SOBOL = (
    HEAD.format(
        title="Sobol",
        sampler="sobol",
        samples=8,
        reps=1,
        steps=12,
        timeseries="false",
        parameters="",
    )
    + RANGES
)
MORRIS = (
    HEAD.format(
        title="Morris",
        sampler="morris",
        samples=4,
        reps=2,
        steps=12,
        timeseries="false",
        parameters="",
    )
    + RANGES
)
PATH_MONTHS = 4
PATH = HEAD.format(
    title="Path", sampler="grid", samples=1, reps=2, steps=20, timeseries="true", parameters=""
) + (
    "[axes]\nstaff_feedback = [0.0, 1.0]\n"
    '[[outputs]]\nmetric = "participation_any"\nstat = "final"\n'
    '[[outputs]]\nmetric = "willingness"\nstat = "final"\n'
    '[path]\nparameter = "staff_time_shortage"\nlow = 0.1\nhigh = 0.9\nlevels = 3\n'
    f"months = {PATH_MONTHS}\n"
)
EXPERIMENTS = {"grid": GRID, "sobol": SOBOL, "morris": MORRIS, "path": PATH}
FIGURES = {"grid": 3, "sobol": 3, "morris": 3, "path": 2}


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, tuple[spec.Experiment, Path]]:
    """Four small sweeps, run inline: (experiment, folder) by name."""
    root = tmp_path_factory.mktemp("sweeps")
    out = {}
    for name, text in EXPERIMENTS.items():
        source = root / f"{name}.toml"
        source.write_text(text)
        ex = spec.load(source)
        folder = root / name
        summary = sweep.run(ex, folder, source=text, workers=0)
        assert summary.failed == 0
        out[name] = (ex, folder)
    return out


def _load(sweeps, name: str) -> tuple[spec.Experiment, Path, dict, pd.DataFrame]:
    ex, folder = sweeps[name]
    return ex, folder, store.read_manifest(folder), store.read_runs(folder)


def _fail(runs: pd.DataFrame, ids: list[int]) -> pd.DataFrame:
    """``runs`` with the runs ``ids`` recorded as failed (outputs NaN, an error)."""
    runs = runs.copy()
    hit = runs["run_id"].isin(ids)
    for column in runs.columns:
        if column.endswith(("_final", "_dip", "_mean_last6")):
            runs.loc[hit, column] = np.nan
    runs["error"] = runs["error"].astype(object)
    runs.loc[hit, "error"] = "RuntimeError: <boom> & bust"
    return runs


# ---------------------------------------------------------------------------- the path
def test_level_path_from_the_experiment_file(tmp_path):
    (tmp_path / "experiment.toml").write_text(
        '[path]\nparameter = "staff_time_shortage"\nlow = 0.2\nhigh = 0.8\nlevels = 4\nmonths = 9\n'
    )
    path = analysis.level_path(tmp_path)
    assert path is not None
    assert path.parameter == "staff_time_shortage" and path.months == 9
    np.testing.assert_allclose(path.values, [0.2, 0.4, 0.6, 0.8, 0.6, 0.4, 0.2])
    (tmp_path / "experiment.toml").write_text(
        '[path]\nparameter = "bureaucracy"\nvalues = [0.1, 0.5, 0.3]\n'
    )
    path = analysis.level_path(tmp_path)
    assert path.values == (0.1, 0.5, 0.3) and path.months == 24  # spec's default
    assert analysis.path_legs(path.values) == ["up", "up", "down"]
    recorded = {"path": {"parameter": "bureaucracy", "values": [0.0, 1.0, 0.0], "months": 3}}
    assert analysis.level_path(tmp_path, recorded).values == (0.0, 1.0, 0.0)
    (tmp_path / "experiment.toml").write_text('title = "no path"\n')
    assert analysis.level_path(tmp_path) is None


def test_level_path_matches_the_spec(sweeps):
    ex, folder, manifest, _ = _load(sweeps, "path")
    assert analysis.level_path(folder, manifest) == ex.path
    assert ex.path.values == pytest.approx((0.1, 0.5, 0.9, 0.5, 0.1))


# ---------------------------------------------------------------------------- 1-2. grid
def test_response_table_is_a_groupby(sweeps):
    _, _, manifest, runs = _load(sweeps, "grid")
    table = analysis.response_table(runs, manifest)
    for axis in ("staff_feedback", "low_self_efficacy"):
        for column in ("participation_any_final", "resilience_chain_dip"):
            t = table[(table["output"] == column) & (table["axis"] == axis)]
            by = runs.groupby(axis)[column]
            assert t["x"].tolist() == by.mean().index.tolist()
            np.testing.assert_allclose(t["mean"], by.mean().to_numpy())
            np.testing.assert_allclose(t["low"], by.quantile(0.05).to_numpy())
            np.testing.assert_allclose(t["high"], by.quantile(0.95).to_numpy())
            assert t["n"].tolist() == [4, 4]  # 2 values of the other axis x 2 replicates


def test_response_curves_draw_the_means(sweeps):
    _, _, manifest, runs = _load(sweeps, "grid")
    fig = analysis.response_curves(runs, manifest)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(lines) == 4  # 2 outputs x 2 axes
    table = analysis.response_table(runs, manifest)
    first = table[
        (table["output"] == "participation_any_final") & (table["axis"] == "staff_feedback")
    ]
    np.testing.assert_allclose(lines[0].y, first["mean"])
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 4
    np.testing.assert_allclose(bands[0].y, [*first["high"], *first["low"][::-1]])


def test_response_table_bins_a_continuous_axis():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 200)
    runs = pd.DataFrame(
        {
            "run_id": range(200),
            "point": range(200),
            "a": x,
            "y_final": 2 * x + rng.normal(0, 0.1, 200),
        }
    )
    runs["error"] = None
    manifest = {
        "sampler": "lhs",
        "axes": [{"name": "a", "values": [], "low": 0.0, "high": 1.0}],
        "outputs": [{"column": "y_final", "metric": "y", "stat": "final"}],
    }
    table = analysis.response_table(runs, manifest)
    assert len(table) == analysis.BINS and (table["n"] == 20).all()
    expected = runs.groupby(pd.qcut(runs["a"], analysis.BINS), observed=True)["y_final"].mean()
    np.testing.assert_allclose(table["mean"], expected.to_numpy())
    assert np.all(np.diff(table["x"]) > 0)
    assert len(analysis.response_table(runs.head(40), manifest)) == 4  # about 10 runs a bin


def test_failed_runs_are_left_out(sweeps):
    _, _, manifest, runs = _load(sweeps, "grid")
    broken = _fail(runs, [0, 5])
    table = analysis.response_table(broken, manifest)
    t = table[(table["output"] == "participation_any_final") & (table["axis"] == "staff_feedback")]
    kept = runs[~runs["run_id"].isin([0, 5])]
    np.testing.assert_allclose(
        t["mean"], kept.groupby("staff_feedback")["participation_any_final"].mean()
    )
    assert t["n"].tolist() == [3, 3]
    bad = analysis.failed_runs(broken, manifest)
    assert bad["run_id"].tolist() == [0, 5]
    assert list(bad.columns) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "staff_feedback",
        "low_self_efficacy",
        "error",
    ]


def test_heatmaps_are_pivot_tables(sweeps):
    _, _, manifest, runs = _load(sweeps, "grid")
    column = "resilience_chain_dip"
    mean, count = analysis.heatmap_table(
        runs, manifest, column, "staff_feedback", "low_self_efficacy"
    )
    expected = runs.pivot_table(
        index="low_self_efficacy", columns="staff_feedback", values=column, aggfunc="mean"
    )
    np.testing.assert_allclose(mean.to_numpy(), expected.to_numpy())
    assert (count.to_numpy() == 2).all()
    assert list(mean.columns) == ["0", "1"] and list(mean.index) == ["0.2", "0.8"]
    fig = analysis.heatmaps(runs, manifest)
    assert len(fig.data) == 2  # 2 outputs x 1 pair
    np.testing.assert_allclose(np.asarray(fig.data[1].z, dtype=float), expected.to_numpy())
    assert fig.data[0].coloraxis == "coloraxis" and fig.data[1].coloraxis == "coloraxis2"


def test_heatmaps_bin_continuous_axes(sweeps):
    _, _, manifest, runs = _load(sweeps, "sobol")
    mean, count = analysis.heatmap_table(
        runs, manifest, "willingness_mean_last6", "staff_feedback", "willingness_intercept", bins=3
    )
    assert mean.shape == (3, 3) and count.to_numpy().sum() == len(runs)
    x = pd.qcut(runs["staff_feedback"], 3, labels=False)
    y = pd.qcut(runs["willingness_intercept"], 3, labels=False)
    expected = runs.groupby([y, x])["willingness_mean_last6"].mean().unstack()
    np.testing.assert_allclose(mean.to_numpy(), expected.to_numpy())
    fig = analysis.heatmaps(runs, manifest, bins=3)
    assert len(fig.data[0].x) == 4  # quantile bins are drawn between their edges


# ---------------------------------------------------------------------------- 3. Sobol
def test_sobol_indices_are_salib_on_the_point_means(sweeps):
    ex, _, manifest, runs = _load(sweeps, "sobol")
    assert analysis.salib_problem(manifest) == design.problem(ex)
    result = analysis.sobol_analysis(runs, manifest)
    assert result.notes == ()
    assert len(result.table) == 6  # 2 outputs x 3 axes
    for column in ("participation_any_final", "willingness_mean_last6"):
        y = runs.sort_values("point")[column].to_numpy()
        si = salib_sobol.analyze(design.problem(ex), y, calc_second_order=True, seed=ex.seed)
        t = result.table[result.table["output"] == column]
        assert t["axis"].tolist() == [a.name for a in ex.axes]
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            np.testing.assert_allclose(t[key], si[key])
    # willingness_intercept drives willingness
    t = result.table[result.table["output"] == "willingness_mean_last6"].set_index("axis")
    assert t["ST"].idxmax() == "willingness_intercept"


def test_sobol_figure_has_the_confidence_intervals(sweeps):
    _, _, manifest, runs = _load(sweeps, "sobol")
    result = analysis.sobol_analysis(runs, manifest)
    fig = analysis.sobol_indices(runs, manifest, result=result)
    assert len(fig.data) == 4  # S1 and ST per output
    t = result.table[result.table["output"] == "participation_any_final"]
    np.testing.assert_allclose(fig.data[0].y, t["S1"])
    np.testing.assert_allclose(fig.data[0].error_y.array, t["S1_conf"])
    np.testing.assert_allclose(fig.data[1].y, t["ST"])
    np.testing.assert_allclose(fig.data[1].error_y.array, t["ST_conf"])


def test_sobol_drops_an_output_without_a_value_at_every_point(sweeps):
    _, _, manifest, runs = _load(sweeps, "sobol")
    undefined = runs.copy()
    undefined.loc[undefined["point"] == 3, "participation_any_final"] = np.nan
    result = analysis.sobol_analysis(undefined, manifest)
    assert set(result.table["output"]) == {"willingness_mean_last6"}
    assert any("participation_any_final is left out: 1 of 64 points" in n for n in result.notes)
    failed = analysis.sobol_analysis(_fail(runs, [7]), manifest)
    assert failed.table.empty
    assert any("1 failed run" in n for n in failed.notes)
    assert analysis.sobol_indices(_fail(runs, [7]), manifest).layout.annotations  # an empty figure


# ---------------------------------------------------------------------------- 4. Morris
def test_morris_is_salib_on_the_design_and_point_means(sweeps):
    ex, _, manifest, runs = _load(sweeps, "morris")
    result = analysis.morris_analysis(runs, manifest)
    assert result.notes == ()
    x = design.points(ex).to_numpy(dtype=float)
    for column in ("participation_any_final", "willingness_mean_last6"):
        y = runs.groupby("point")[column].mean().to_numpy()  # 2 replicates a point
        si = salib_morris.analyze(design.problem(ex), x, y, num_levels=4, seed=ex.seed)
        t = result.table[result.table["output"] == column]
        for key in ("mu", "mu_star", "sigma", "mu_star_conf"):
            np.testing.assert_allclose(t[key], si[key])
    fig = analysis.morris_indices(runs, manifest, result=result)
    points = [t for t in fig.data if t.mode == "markers+text"]
    assert len(points) == 6  # 3 axes x 2 outputs
    t = result.table.iloc[0]
    assert points[0].x[0] == pytest.approx(t["mu_star"])
    assert points[0].y[0] == pytest.approx(t["sigma"])
    assert points[0].error_x.array[0] == pytest.approx(t["mu_star_conf"])


def test_morris_uses_the_other_replicate_of_a_failed_run(sweeps):
    _, _, manifest, runs = _load(sweeps, "morris")
    means, notes = analysis.point_means(_fail(runs, [0]), manifest)
    assert means.loc[0, "participation_any_final"] == runs.loc[1, "participation_any_final"]
    assert notes and "1 failed run" in notes[0]
    assert len(analysis.morris_analysis(_fail(runs, [0]), manifest).table) == 6


# ---------------------------------------------------------------------------- 5. hysteresis
def test_hysteresis_table_means_the_end_of_each_level():
    """Synthetic: a metric equal to the month; levels of 15 months, the last 12 averaged."""
    months = np.arange(0, 31)
    ts = pd.DataFrame({"run_id": 0, "month": months, "willingness": months.astype(float)})
    runs = pd.DataFrame(
        {"run_id": [0], "point": [0], "replicate": [0], "a": [1.0], "error": [None]}
    )
    manifest = {
        "axes": [{"name": "a", "values": [1.0]}],
        "outputs": [{"column": "willingness_final", "metric": "willingness"}],
    }
    path = spec.LevelPath("bureaucracy", (0.2, 0.8), 15)
    table = analysis.hysteresis_table(ts, runs, manifest, path)
    assert table["level"].tolist() == [0, 1]
    assert table["willingness"].tolist() == [np.mean(range(4, 16)), np.mean(range(19, 31))]
    assert table["value"].tolist() == [0.2, 0.8]
    assert table["group"].tolist() == ["a = 1", "a = 1"]
    assert table["leg"].tolist() == ["up", "up"]


def test_hysteresis_loop(sweeps):
    _, folder, manifest, runs = _load(sweeps, "path")
    ts = store.read_timeseries(folder)
    path = analysis.level_path(folder, manifest)
    table = analysis.hysteresis_table(ts, runs, manifest, path)
    assert len(table) == len(runs) * 5
    run = ts[ts["run_id"] == 2].set_index("month")["participation_any"]
    for k in range(5):
        months = range(k * PATH_MONTHS + 1, (k + 1) * PATH_MONTHS + 1)
        row = table[(table["run_id"] == 2) & (table["level"] == k)].iloc[0]
        assert row["participation_any"] == pytest.approx(run.loc[months].mean())
    assert table.drop_duplicates("level")["leg"].tolist() == ["up", "up", "up", "down", "down"]
    fig = analysis.hysteresis(ts, runs, manifest, path)
    # 2 metrics x 2 points (groups) x 2 legs
    assert len(fig.data) == 8
    up, down = fig.data[0], fig.data[1]
    assert list(up.x) == pytest.approx([0.1, 0.5, 0.9]) and up.line.dash == "solid"
    assert list(down.x) == pytest.approx([0.9, 0.5, 0.1]) and down.line.dash == "dash"
    group = table[table["group"] == up.name]
    np.testing.assert_allclose(
        up.y, group.groupby("level")["participation_any"].mean().loc[[0, 1, 2]]
    )
    np.testing.assert_allclose(down.y[0], up.y[-1])  # the loop is closed at the turn


# ---------------------------------------------------------------------------- 6. resilience
def test_resilience_table_and_triangles(sweeps):
    _, folder, manifest, runs = _load(sweeps, "grid")
    assert analysis.shock_start(manifest) == 12
    ts = store.read_timeseries(folder)
    table = analysis.resilience_table(ts, runs, manifest)
    groups = analysis.run_groups(runs, manifest)
    assert groups.nunique() == 4  # one group per design point
    group = groups.cat.categories[0]
    ids = groups.index[groups == group]
    mine = ts[ts["run_id"].isin(ids)]
    for metric in ("resilience_chain", "resilience_user", "resilience_provider"):
        pre = mine.loc[mine["month"].between(0, 11), metric].mean()
        t = table[(table["group"] == group) & (table["metric"] == metric)].set_index("month")
        assert t.index.min() == 6 and t.index.max() == 24
        for month in (6, 13, 20):
            expected = mine.loc[mine["month"] == month, metric].mean() / pre
            assert t.loc[month, "mean"] == pytest.approx(expected)
        area = analysis.area_lost(table, 12)[(group, metric)]
        assert area == pytest.approx(np.clip(1 - t.loc[12:, "mean"], 0, None).sum())
    # a group whose pre-shock level is zero has no relative series
    zero = table[table["pre_shock"] == 0]
    assert zero["mean"].isna().all()
    # the provider link loses staff for four months: a dip, then back
    provider = table[table["metric"] == "resilience_provider"].groupby("month")["mean"].mean()
    assert provider.loc[13] < 0.9 and provider.loc[11] == pytest.approx(1.0, abs=0.02)
    fig = analysis.resilience_triangles(ts, runs, manifest)
    means = [t for t in fig.data if t.name]
    assert len(means) == 5 * 4  # 5 measures x 4 groups
    assert sum(t.fill == "tonexty" for t in fig.data) == 5 * 4


def test_run_groups_by_terciles():
    runs = pd.DataFrame({"run_id": range(30), "point": range(30), "a": np.linspace(0, 1, 30)})
    manifest = {"axes": [{"name": "a"}]}
    groups = analysis.run_groups(runs, manifest)
    assert groups.value_counts().tolist() == [10, 10, 10]
    assert [c.split()[0] for c in groups.cat.categories] == ["low", "middle", "high"]
    assert (
        groups.iloc[0] == groups.cat.categories[0] and groups.iloc[-1] == groups.cat.categories[2]
    )


# ---------------------------------------------------------------------------- the page
def _outside_plotly(page: str) -> str:
    js = plotly.offline.get_plotlyjs()
    assert page.count(js) == 1
    return page.replace(js, "")


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_render_draws_what_the_design_supports(sweeps, name):
    _, folder, _, _ = _load(sweeps, name)
    page = analysis.render(folder)
    outside = _outside_plotly(page)
    assert outside.count("Plotly.newPlot(") == FIGURES[name]
    assert "<script src" not in page
    assert "http://" not in outside and "https://" not in outside
    assert "Not shown" in page
    assert "None: every stored run finished." in page


def test_render_says_why_figures_are_skipped(sweeps):
    page = analysis.render(sweeps["path"][1])
    assert "Two-way heatmaps: the design has a single axis." in page
    assert "Resilience triangles: the scenario has no shock." in page
    assert "Sobol&#x27; indices: the sampler is grid, not sobol." in page
    page = analysis.render(sweeps["sobol"][1])
    assert "the experiment has no [path]" in page
    assert "Morris screening: the sampler is sobol, not morris." in page
    assert "Hysteresis loop" in page and "Sobol&#x27; indices</h3>" in page


def test_render_escapes_text_and_lists_failed_runs(sweeps, tmp_path):
    _, folder, _, runs = _load(sweeps, "grid")
    copy = tmp_path / "grid"
    shutil.copytree(folder, copy)
    for part in (copy / "runs").glob("part-*.parquet"):
        part.unlink()
    broken = _fail(runs, [3])
    broken.loc[broken["run_id"] == 4, "resilience_chain_dip"] = np.nan  # undefined, not failed
    broken.to_parquet(copy / "runs" / "part-000000.parquet", index=False)
    page = analysis.render(copy)
    assert "resilience_chain_dip is undefined in 1 of 7 successful runs" in page
    assert "<b>&</b>" not in page and "Grid &lt;b&gt;&amp;&lt;/b&gt; shock" in page
    assert "RuntimeError: &lt;boom&gt; &amp; bust" in page
    assert "1 run(s) failed" in page
    assert _outside_plotly(page).count("Plotly.newPlot(") == 3


def test_render_an_empty_sweep(sweeps, tmp_path):
    copy = tmp_path / "empty"
    shutil.copytree(sweeps["grid"][1], copy)
    for part in [*(copy / "runs").glob("*.parquet"), *(copy / "timeseries").glob("*.parquet")]:
        part.unlink()
    page = analysis.render(copy)
    assert _outside_plotly(page).count("Plotly.newPlot(") == 0
    assert "no successful run is stored yet" in page
    assert "runs stored</td><td>0 of 8" in page


def test_render_keeps_every_text_from_the_experiment_inert(sweeps, tmp_path):
    """Title, name, question, description, the experiment file and the runs' errors: shown
    literally, no element made."""
    _, folder, manifest, runs = _load(sweeps, "grid")
    copy = tmp_path / "grid"
    shutil.copytree(folder, copy)
    for key in ("title", "name", "question", "description"):
        manifest[key] = HOSTILE
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (copy / "experiment.toml").write_text(f"# {HOSTILE}\n", encoding="utf-8")
    for part in (copy / "runs").glob("part-*.parquet"):
        part.unlink()
    broken = _fail(runs, [3])
    broken["error"] = broken["error"].where(broken["error"].isna(), HOSTILE)
    broken.to_parquet(copy / "runs" / "part-000000.parquet", index=False)
    page = analysis.render(copy)
    assert made_elements(page) == []
    assert page.count(escaped(HOSTILE)) >= 5
