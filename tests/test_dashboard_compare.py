"""The Compare tab's logic without a browser: the two sides, the seeds, the table of
differences (labels, units, intervals, order) and the figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from coprod_sim import metrics, runs, scenario, scenario_files
from coprod_sim.dashboard import compare, session

PACKAGE = (("staff_training", 0.8), ("feedback_loop_closed", 0.9))


@pytest.fixture(scope="module")
def small() -> scenario.Scenario:
    return scenario_files.load("baseline").replace(n_citizens=200, steps=6)


@pytest.fixture(scope="module")
def package_results(small: scenario.Scenario) -> runs.Results:
    """The small baseline against training and closing the loop, over three seeds."""
    return compare.run(compare.lever_changes(small, PACKAGE, seed=4, seeds=3))


def synthetic(finals: dict[str, tuple[list[float], list[float]]]) -> runs.Results:
    """Results whose last month holds the given values of A and B, one per seed (every other
    metric 0.5 on both sides); month 0 is all zeros."""
    seeds = len(next(iter(finals.values()))[0])
    rows = []
    for side, name in enumerate(("A", "B")):
        for r in range(seeds):
            for month in (0, 1):
                row = {"scenario": name, "replication": r, "seed": r, "month": month}
                for metric in metrics.METRICS:
                    value = finals[metric][side][r] if metric in finals else 0.5
                    row[metric] = value if month == 1 else 0.0
                rows.append(row)
    ran = [scenario_files.load("baseline").replace(name=n) for n in ("A", "B")]
    return runs.Results(pd.DataFrame(rows), pd.DataFrame(), ran)


# ------------------------------------------------------------------------------ the two sides


def test_lever_changes_sets_every_lever_at_once(small: scenario.Scenario) -> None:
    spec = compare.lever_changes(small, PACKAGE, seed=4, seeds=3)
    assert spec.reference is small
    assert spec.changed.staff_training == 0.8 and spec.changed.feedback_loop_closed == 0.9
    others = {k: v for k, v in spec.changed.parameters().items() if k not in dict(PACKAGE)}
    assert others == {k: v for k, v in small.parameters().items() if k not in dict(PACKAGE)}
    assert spec.changed.name == "baseline with staff training = 0.8, feedback loop closed = 0.9"
    assert (spec.seed, spec.seeds, spec.months) == (4, 3, 36)


def test_both_sides_run_on_the_same_seeds(
    small: scenario.Scenario, package_results: runs.Results
) -> None:
    ts = package_results.timeseries
    a, b = compare.side_labels(package_results)
    for side in (a, b):
        sub = ts[ts["scenario"] == side]
        assert sorted(set(zip(sub["replication"], sub["seed"], strict=True))) == [
            (0, 4),
            (1, 5),
            (2, 6),
        ]
        assert sub["month"].max() == small.steps
    # Replication 0 of A is exactly the baseline's own run on seed 4.
    alone, _ = runs.simulate(small, 4)
    first = ts[(ts["scenario"] == a) & (ts["replication"] == 0)]
    assert np.array_equal(first["participation_any"].to_numpy(), alone["participation_any"])


def test_progress_counts_every_month_of_both_sides(small: scenario.Scenario) -> None:
    seen: list[tuple[int, int]] = []
    spec = compare.two_scenarios(small, small.replace(name="other", staff_training=0.9), 0, 2)
    compare.run(spec, on_step=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (24, 24) and len(seen) == 24


@pytest.mark.parametrize(
    ("changes", "seeds", "message"),
    [
        ((("staff_training", 3.0),), 2, r"staff_training.*3\.0.*\[0, 1\]"),
        ((("staff_trainin", 0.5),), 2, r"unknown lever 'staff_trainin'.*staff_training"),
        ((("n_citizens", 500),), 2, r"lever 'n_citizens' is not allowed; allowed: one of"),
        ((("staff_training", 0.5), ("staff_training", 0.6)), 2, r"set twice.*each lever once"),
        ((), 2, r"no lever changed; allowed: one lever or more"),
        ((("staff_training", 0.5),), 0, r"seeds: value '0' is not allowed; allowed: .*\[1, 20\]"),
        ((("staff_training", 0.5),), "five", r"seeds: value 'five' is not allowed"),
        ((("staff_training", 0.5),), 21, r"seeds: value '21'"),
    ],
)
def test_bad_input_names_the_lever_the_value_and_what_is_allowed(
    small: scenario.Scenario, changes, seeds, message: str
) -> None:
    with pytest.raises(session.DashboardError, match=message):
        compare.lever_changes(small, changes, seed=0, seeds=seeds)


def test_too_many_citizens_is_refused_before_running() -> None:
    big = scenario_files.load("baseline").replace(n_citizens=session.MAX_CITIZENS + 1)
    with pytest.raises(session.DashboardError, match="n_citizens"):
        compare.two_scenarios(scenario_files.load("baseline"), big, 0)


# ------------------------------------------------------------------------------ the table


def test_table_has_every_canonical_metric_and_expects_response_with_labels(
    package_results: runs.Results,
) -> None:
    table = compare.difference_table(package_results)
    assert sorted(table["metric"]) == sorted([*metrics.CANONICAL, "expects_response"])
    assert list(table["label"]) == [metrics.label(m) for m in table["metric"]]
    assert list(table["unit"]) == [metrics.unit(m) for m in table["metric"]]
    assert (table["label"] != table["metric"]).all()
    # Closing the feedback loop raises the expectation that a voice is acted on.
    assert table.set_index("metric").loc["expects_response", "difference"] > 0


def test_means_and_difference_are_those_of_the_last_month(
    package_results: runs.Results,
) -> None:
    table = compare.difference_table(package_results).set_index("metric")
    ts = package_results.timeseries
    a, b = compare.side_labels(package_results)
    last = ts[ts["month"] == ts["month"].max()]
    for metric in ("citizen_hours", "participation_any", "expects_response"):
        mean_a = last.loc[last["scenario"] == a, metric].mean()
        mean_b = last.loc[last["scenario"] == b, metric].mean()
        assert table.loc[metric, "mean_a"] == pytest.approx(mean_a)
        assert table.loc[metric, "mean_b"] == pytest.approx(mean_b)
        assert table.loc[metric, "difference"] == pytest.approx(mean_b - mean_a)


def test_sorted_by_relative_size_not_by_absolute_value() -> None:
    # +97 hours on 1,000 is +9.7%; +0.1 on a share of 0.1 is +100%; -0.06 on 0.2 is -30%.
    results = synthetic(
        {
            "citizen_hours": ([1000.0, 1000.0], [1097.0, 1097.0]),
            "participation_any": ([0.1, 0.1], [0.2, 0.2]),
            "willingness": ([0.2, 0.2], [0.14, 0.14]),
        }
    )
    table = compare.difference_table(results)
    assert list(table["metric"][:3]) == ["participation_any", "willingness", "citizen_hours"]
    assert table["relative"][:3].tolist() == pytest.approx([1.0, -0.3, 0.097])
    assert (table["relative"][3:] == 0).all()


def test_relative_difference_of_a_zero_reference_uses_the_floor() -> None:
    results = synthetic({"dark_side_events": ([0.0, 0.0], [0.002, 0.002])})
    row = compare.difference_table(results).set_index("metric").loc["dark_side_events"]
    assert row["relative"] == pytest.approx(0.002 / compare.RELATIVE_FLOOR)


def test_interval_is_the_paired_t_interval() -> None:
    rng = np.random.default_rng(11)
    a = rng.normal(0.4, 0.05, 5)
    b = a + rng.normal(0.03, 0.02, 5)
    row = compare.difference_table(synthetic({"social_value": (list(a), list(b))}))
    row = row.set_index("metric").loc["social_value"]
    expected = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert (row["low"], row["high"]) == pytest.approx((expected.low, expected.high))


def test_interval_narrows_with_more_seeds() -> None:
    # The same spread of paired differences (0.01 and 0.05, alternating) over 2, 4 and 8 seeds.
    widths = []
    for n in (2, 4, 8):
        a = [0.4] * n
        b = [0.41 if k % 2 else 0.45 for k in range(n)]
        row = compare.difference_table(synthetic({"social_value": (a, b)}))
        row = row.set_index("metric").loc["social_value"]
        assert row["difference"] == pytest.approx(0.03)
        assert row["low"] < 0.03 < row["high"]
        widths.append(row["high"] - row["low"])
    assert widths[0] > 4 * widths[1] and widths[1] > 2 * widths[2] > 0


def test_real_intervals_narrow_from_two_to_six_seeds(small: scenario.Scenario) -> None:
    def widths(seeds: int) -> pd.Series:
        results = compare.run(compare.lever_changes(small, PACKAGE, seed=0, seeds=seeds))
        table = compare.difference_table(results).set_index("metric")
        return table["high"] - table["low"]

    two, six = widths(2), widths(6)
    moving = two.index[two > 0]
    assert len(moving) >= 10
    # t = 12.7 with one degree of freedom, 2.57 with five: most intervals shrink a lot.
    assert (six[moving] < two[moving]).mean() >= 0.8
    assert np.median(six[moving] / two[moving]) < 0.5


def test_one_seed_has_no_interval() -> None:
    table = compare.difference_table(synthetic({"social_value": ([0.4], [0.5])}))
    assert table["low"].isna().all() and table["high"].isna().all()
    assert "n/a (one seed)" in compare.table_rows(table)[0]


def test_table_html_shows_every_row_with_labels_and_no_metric_names(
    package_results: runs.Results,
) -> None:
    table = compare.difference_table(package_results)
    html = compare.table_html(table)
    assert html.count("<tr>") == len(compare.TABLE_METRICS) + 1  # the heading and every metric
    assert "95% interval of the difference" in html
    assert "Citizens expecting their voice to be acted on" in html
    for metric in compare.TABLE_METRICS:
        assert f">{metric}<" not in html, metric
    first = compare.table_rows(table)[0]
    assert first[0] == table["label"][0] and first[-1].endswith("%")
    assert first[5].startswith("[") and first[5].endswith("]")


# ------------------------------------------------------------------------------ figures


def test_band_figures_draw_both_sides_with_bands(package_results: runs.Results) -> None:
    a, b = compare.side_labels(package_results)
    figures = compare.band_figures(package_results)
    assert len(figures) == 5 and all(len(row) == 1 for row in figures)
    for (fig,) in figures:
        bands = [t for t in fig.data if t.fill == "toself"]
        lines = [t for t in fig.data if t.meta]
        assert {t.legendgroup for t in bands} == {a, b}
        assert len(bands) == len(lines)  # a band under every mean line
        assert "5th-95th percentile" in fig.layout.title.text
        assert fig.layout.legend.orientation == "h"  # below: long side names squeeze the plot
    per_side = compare.band_figures(package_results, per_side=True)
    assert [len(row) for row in per_side] == [2] * 5
    for row in per_side:
        assert [{t.legendgroup for t in fig.data if t.meta} for fig in row] != [{a, b}] * 2


def test_interval_figure_shows_labels_and_intervals(package_results: runs.Results) -> None:
    table = compare.difference_table(package_results)
    fig = compare.interval_figure(table, seeds=3, top=8)
    (dots,) = fig.data
    assert list(dots.y) == list(table["label"][:8][::-1])
    assert list(dots.customdata) == list(table["metric"][:8][::-1])
    assert list(dots.x) == pytest.approx(list(100 * table["relative"][:8][::-1]))
    assert sum(dots.error_x.array) + sum(dots.error_x.arrayminus) > 0
    assert "95% t-intervals over 3 paired seeds" in fig.layout.title.text


def test_a_row_rounds_all_its_numbers_alike() -> None:
    assert compare.row_digits(908.0, 1496.0) == 0 and compare.row_digits(18.3, 25.8) == 1
    assert compare.row_digits(0.5, float("nan")) == 3
    results = synthetic(
        {
            "staff_hours": ([18.3, 18.3], [21.0, 30.6]),
            "trust_citizens_in_staff": ([0.5, 0.5], [0.5, 0.5004]),
            "resilience_provider": ([1.0, 1.0], [0.99999, 0.99999]),
        }
    )
    rows = {row[0]: row for row in compare.table_rows(compare.difference_table(results))}
    hours = rows[metrics.label("staff_hours")]
    assert hours[2:6] == ("18.3", "25.8", "+7.5", "[-53.5, +68.5]")
    trust = rows[metrics.label("trust_citizens_in_staff")]
    assert trust[4] == "+0.000"  # never "-0.000"
    assert rows[metrics.label("resilience_provider")][4:] == ("+0.000", "[+0.000, +0.000]", "+0.0%")


# ------------------------------------------------------------------------------ the page's form


def test_results_belong_to_the_form_and_the_settings_they_were_run_for() -> None:
    from coprod_sim.dashboard import compare_tab

    sess = session.Session(scenario_files.load("baseline").replace(n_citizens=200))
    defaults = {
        reactive: reactive.value
        for reactive in (compare_tab.mode, compare_tab.lever_rows, compare_tab.seeds)
    }
    compare_tab.mode.value = compare_tab.LEVERS
    try:
        before = compare_tab.form_of(sess)
        assert compare_tab.form_of(sess) == before
        sess.set_value("staff_feedback", 0.5)  # the sidebar: the base of both sides
        after_setting = compare_tab.form_of(sess)
        assert after_setting != before
        compare_tab.lever_rows.value = (("staff_training", 0.7),)
        assert compare_tab.form_of(sess) != after_setting
        spec = compare_tab.spec_of(sess, {})
        assert spec.reference.staff_feedback == 0.5 and spec.changed.staff_training == 0.7
        compare_tab.seeds.value = 0
        with pytest.raises(session.DashboardError, match=r"seeds: value '0'"):
            compare_tab.spec_of(sess, {})
    finally:
        for reactive, value in defaults.items():
            reactive.value = value  # other tests see the page's defaults
