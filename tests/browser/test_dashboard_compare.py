"""The Compare tab in a real browser: a policy package of several levers over several seeds,
two scenarios side by side, and old results cleared when the form changes.

Same fixtures (``conftest.py``) and helpers (``test_dashboard.py``) as the other browser tests,
and the same rule: the page must show exactly the numbers that the same comparison gives
without a browser (:mod:`coprod_sim.dashboard.compare` on the same seeds). A small uploaded
scenario (200 citizens, 24 months) and two or three seeds keep the runs short.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from coprod_sim import metrics, scenario_files
from coprod_sim.dashboard import compare, session
from tests.browser.test_dashboard import PLOT, Page, assert_drawn, expect, expect_month, tab, upload

pytestmark = pytest.mark.browser

COMPARE_TIMEOUT = 120_000  # ms: every run of both sides, on a CPU that may be shared
SMALL = b'extends = "baseline"\n\n[parameters]\nn_citizens = 200\nsteps = 24\n'
PACKAGE = (("staff_training", 0.8), ("feedback_loop_closed", 1.0))


def results_of(page: Page):
    results = page.locator(".cs-compare-results")
    expect(results).to_be_visible(timeout=COMPARE_TIMEOUT)
    return results


def plots(page: Page, selector: str, count: int) -> list[list[dict]]:
    """The traces of the ``count`` charts under ``selector``, once all are drawn."""
    expect(page.locator(f"{selector} {PLOT}")).to_have_count(count)
    page.wait_for_function(
        """([selector, n]) => {
            const plots = document.querySelectorAll(selector + ' .js-plotly-plot');
            return plots.length === n && [...plots].every((p) => (p.data || []).length > 0);
        }""",
        arg=[selector, count],
    )
    return page.locator(f"{selector} {PLOT}").evaluate_all(
        """(plots) => plots.map((p) => p.data.map((t) => ({
            group: t.legendgroup, meta: t.meta || null, fill: t.fill || null,
            x: Array.from(t.x || [], Number), y: Array.from(t.y || [], Number),
            labels: Array.from(t.y || [], String),
            errors: t.error_x ? Array.from(t.error_x.array || [], Number) : []})))"""
    )


def table_text(page: Page) -> tuple[list[str], list[list[str]]]:
    table = page.locator(".cs-compare-table table")
    header = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    rows = table.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim()))"
    )
    return header, rows


def choose_lever(page: Page, row: int, name: str) -> None:
    page.locator(".cs-lever-row").nth(row).locator(".cs-lever-name").click()
    menu = page.locator(".menuable__content__active .v-list-item")
    menu.filter(has_text=compare.lever_label(name)).first.click()
    expect(page.locator(".cs-lever-row").nth(row).locator(".v-select__selection")).to_have_text(
        compare.lever_label(name)
    )


def scenario_field(page: Page, label: str):
    """The scenario field labelled exactly ``label`` in the Compare tab."""
    panel = page.locator(".cs-compare")
    return panel.locator(".v-select").filter(has=page.get_by_text(label, exact=True))


def lever_slider(page: Page, row: int):
    return page.locator(".cs-lever-row").nth(row).locator("[role=slider]")


def test_compare_a_package_of_levers_over_seeds(page: Page) -> None:
    upload(page, "small.toml", SMALL)
    expect(page.locator(".cs-notice")).to_contain_text("Loaded small.toml.")
    expect_month(page, 0, 24)
    tab(page, "Compare")
    page.locator(".cs-mode").get_by_role("button", name="changed levers", exact=True).click()

    rows = page.locator(".cs-lever-row")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".cs-lever-shown")).to_have_text("0.8 (now 0.1)")
    page.locator(".cs-lever-add").click()
    expect(rows).to_have_count(2)
    choose_lever(page, 1, "feedback_loop_closed")
    lever_slider(page, 1).press("End")
    expect(rows.nth(1).locator(".cs-lever-shown")).to_have_text("1 (now 0.3)")
    seeds = page.locator(".cs-compare-seeds input")
    expect(seeds).to_have_value(str(compare.DEFAULT_SEEDS))
    seeds.fill("3")
    seeds.press("Enter")
    page.locator(".cs-compare-run").click()
    results = results_of(page)

    # The same comparison without a browser: the uploaded scenario's settings, both levers.
    base = session.Session(session.read_upload("small.toml", len(SMALL), lambda: SMALL)).current
    spec = compare.lever_changes(base, PACKAGE, seed=0, seeds=3)
    expected = compare.run(spec)
    table = compare.difference_table(expected)
    a, b = compare.side_labels(expected)
    expect(results).to_contain_text(f"A (reference): {a}. B: {b}. Both over seeds 0-2, 24 months.")
    expect(results).to_contain_text("95% t-interval of the mean difference over the 3 paired")

    header, shown = table_text(page)
    assert header == list(compare.TABLE_HEADER)
    assert shown == [list(row) for row in compare.table_rows(table)]  # every row, in its order
    assert len(shown) == len(compare.TABLE_METRICS) == len(metrics.CANONICAL) + 1
    labels = [row[0] for row in shown]
    assert metrics.label("expects_response") in labels
    assert not set(labels) & set(compare.TABLE_METRICS), "raw metric names in the table"
    assert all(row[5].startswith("[") for row in shown), "an interval in every row"
    relative = [abs(float(row[6].rstrip("%"))) for row in shown]
    assert relative == sorted(relative, reverse=True)
    expect(page.get_by_text("Rows per page")).to_have_count(0)

    (dots,) = plots(page, ".cs-compare-intervals", 1)[0]
    assert dots["labels"] == list(table["label"][:12][::-1])
    assert len(dots["errors"]) == 12 and max(dots["errors"]) > 0

    bands = plots(page, ".cs-compare-bands", 5)
    for traces in bands:
        assert {t["group"] for t in traces if t["fill"] == "toself"} == {a, b}
    lines = [t for traces in bands for t in traces if t["meta"] == "participation_any"]
    assert sorted(t["group"] for t in lines) == sorted([a, b])
    ts = expected.timeseries
    for line in lines:  # the mean over the three seeds, month by month
        mean = ts[ts["scenario"] == line["group"]].groupby("month")["participation_any"].mean()
        assert line["x"] == list(range(25))
        assert_drawn(np.asarray(line["y"]), mean.to_numpy(), f"{line['group']}: mean")

    # Any change of the form clears the results: here the first lever's value.
    lever_slider(page, 0).press("ArrowLeft")
    expect(rows.nth(0).locator(".cs-lever-shown")).to_have_text("0.79 (now 0.1)")
    expect(page.locator(".cs-compare-results")).to_have_count(0)
    expect(page.locator(".cs-compare-cleared")).to_be_visible()
    # Removing a row is a change too; running again shows the new comparison only.
    rows.nth(1).locator(".cs-lever-remove").click()
    expect(rows).to_have_count(1)
    page.locator(".cs-compare-run").click()
    expect(results_of(page)).to_contain_text("B: small with staff training = 0.79. Both over")


def test_compare_two_scenarios_overlaid_and_side_by_side(page: Page) -> None:
    tab(page, "Compare")
    panel = page.locator(".cs-compare")
    expect(panel.locator(".cs-mode .v-btn--active")).to_have_text("two scenarios")
    for label, value in (("A (reference)", "baseline"), ("B", "feedback_loop_closed")):
        title = scenario_files.load(
            value
        ).title  # presets are shown by their titles, as in the sidebar
        expect(scenario_field(page, label).locator(".v-select__selection")).to_have_text(title)
    seeds = page.locator(".cs-compare-seeds input")
    seeds.fill("2")
    seeds.press("Enter")
    run = page.locator(".cs-compare-run")
    run.click()
    # Four runs of 120 months in the background: progress shows, Run both waits for them.
    expect(page.locator(".cs-compare-progress")).to_contain_text(re.compile(r"Running… \d+%"))
    expect(run).to_be_disabled()
    results = results_of(page)
    expect(run).to_be_enabled()
    expect(results).to_contain_text(
        "A (reference): baseline. B: feedback_loop_closed. Both over seeds 0-1, 120 months."
    )
    groups = ["baseline", "feedback_loop_closed"]
    horizon = scenario_files.load("baseline").steps + 1
    overlaid = plots(page, ".cs-compare-bands", 5)
    for traces in overlaid:
        for metric in {t["meta"] for t in traces if t["meta"]}:
            of_metric = [t for t in traces if t["meta"] == metric]
            assert sorted(t["group"] for t in of_metric) == groups
            assert all(len(t["x"]) == horizon for t in of_metric)
        assert {t["group"] for t in traces if t["fill"] == "toself"} == set(groups)
    _, shown = table_text(page)
    assert len(shown) == len(compare.TABLE_METRICS)

    panel.get_by_role("button", name="side by side", exact=True).click()
    side = plots(page, ".cs-compare-bands", 10)  # a view's A, then its B
    for k, traces in enumerate(side):  # the lines of one side, as drawn overlaid
        lines = {t["meta"]: t["y"] for t in traces if t["meta"]}
        drawn = {t["meta"]: t["y"] for t in overlaid[k // 2] if t["group"] == groups[k % 2]}
        assert lines == {m: y for m, y in drawn.items() if m}, f"chart {k}"
        assert any(t["fill"] == "toself" for t in traces), f"chart {k}: no bands"
    boxes = [p.bounding_box() for p in page.locator(f".cs-compare-bands {PLOT}").all()]
    for left, right in zip(boxes[0::2], boxes[1::2], strict=True):  # a view's pair, in a row
        assert abs(left["y"] - right["y"]) < 2 and left["x"] < right["x"], (left, right)
    # Changing B clears the results.
    scenario_field(page, "B").click()
    page.locator(".menuable__content__active .v-list-item").filter(has_text="austerity").click()
    expect(page.locator(".cs-compare-results")).to_have_count(0)
    expect(page.locator(".cs-compare-cleared")).to_be_visible()
