"""More of the dashboard in a real browser: reset, seed, the network's colours, the budget-cut
and volunteer-call shocks, loading a workshop step, the 20,000-citizen cap and the About tab
(compare: ``test_dashboard_compare.py``).

Same fixtures (``conftest.py``) and helpers (``test_dashboard.py``) as the first file, and the
same rule: where the page shows numbers, the same run is made here with the dashboard's own
:class:`~coprod_sim.dashboard.session.Session` on the same seed, and the page must show exactly
those numbers; a difference between two runs is the seed's, the shock's or the lever's. Waits
are Playwright's auto-waiting ``expect`` and ``wait_for_function``; no test sleeps.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from coprod_sim.dashboard import controls, session, workshop
from coprod_sim.scenario_files import load
from tests.browser.test_dashboard import (
    BASELINE,
    PLOT,
    Page,
    assert_drawn,
    expect,
    expect_month,
    months_line,
    offline,
    offline_series,
    step,
    tab,
)

pytestmark = pytest.mark.browser


def network_colours(page: Page, role: str, title: str) -> list[float]:
    """The ``marker.color`` of the network's ``role`` trace, once the chart's title says it is
    coloured by ``title`` (the chart is rebuilt when the colouring changes)."""
    selector = f".cs-view-network {PLOT}"
    page.wait_for_function(
        """([selector, title]) => {
            const plot = document.querySelector(selector);
            const text = plot && plot.layout && plot.layout.title && plot.layout.title.text;
            return !!text && text.includes('colour: ' + title);
        }""",
        arg=[selector, title],
    )
    return page.locator(selector).evaluate(
        """(plot, role) => {
            const trace = plot.data.find((t) => t.meta === role);
            return Array.from(trace.marker.color, Number);
        }""",
        role,
    )


# -------------------------------------------------------------------------------------- tests


def test_reset_goes_back_to_month_0(page: Page) -> None:
    months = 3
    step(page, months)
    drawn = months_line(page, "gap", "participation_any", months)
    assert_drawn(drawn, offline_series(months)["participation_any"], "participation_any")

    page.locator(".cs-reset").click()
    expect_month(page, 0, BASELINE.steps)
    expect(page.locator(".cs-notice")).to_contain_text("Reset to month 0.")
    expect(page.locator(".cs-run-label")).to_have_text("baseline")
    again = months_line(page, "gap", "participation_any", 0)
    assert_drawn(again, offline_series(0)["participation_any"], "participation_any at month 0")
    # The same seed: the run replays the same months.
    step(page, 1)
    replay = months_line(page, "gap", "participation_any", 1)
    assert_drawn(replay, offline_series(1)["participation_any"], "participation_any after reset")


def test_a_new_seed_restarts_the_run_with_it(page: Page) -> None:
    seed, months = 7, 3
    step(page, 2)
    field = page.locator(".cs-seed input")
    field.fill(str(seed))
    field.press("Enter")
    expect(page.locator(".cs-notice")).to_contain_text(f"Seed {seed}.")
    expect_month(page, 0, BASELINE.steps)
    expect(field).to_have_value(str(seed))
    expect(page.locator(".cs-run-label")).to_have_text("baseline")  # a seed is not a setting
    months_line(page, "resilience", "resilience_chain", 0)  # the charts restarted

    step(page, months)
    drawn = months_line(page, "resilience", "resilience_chain", months)
    seeded = session.Session(BASELINE)
    seeded.set_seed(seed)
    seeded.step(months)
    assert_drawn(drawn, seeded.series()["resilience_chain"], f"resilience_chain, seed {seed}")
    seed0 = offline_series(months)["resilience_chain"]
    assert not np.allclose(drawn, np.round(seed0, 5), rtol=0, atol=2e-5), (
        f"seed {seed} draws the same resilience_chain as seed 0: {drawn.tolist()}"
    )


def test_network_colour_toggle_shows_self_efficacy(page: Page) -> None:
    toggle = page.locator(".cs-colour")
    participation = toggle.get_by_role("button", name="Taking part", exact=True)
    efficacy = toggle.get_by_role("button", name="Self-efficacy", exact=True)
    expect(toggle.get_by_role("button")).to_have_count(2)
    expect(participation).to_have_class(re.compile(r"\bv-btn--active\b"))

    citizens = offline().model.state.citizens
    taking_part = (citizens.initiative_of >= 0).any(axis=0).astype(float)
    shown = network_colours(page, "citizen", "taking part")
    assert np.array_equal(shown, taking_part), "citizens' colours at month 0 (taking part)"

    efficacy.click()
    expect(efficacy).to_have_class(re.compile(r"\bv-btn--active\b"))
    expect(participation).not_to_have_class(re.compile(r"\bv-btn--active\b"))
    shown = network_colours(page, "citizen", "self-efficacy")
    assert len(shown) == len(citizens.self_efficacy) == BASELINE.parameters()["n_citizens"]
    assert np.array_equal(shown, np.round(citizens.self_efficacy, 4)), (
        "the citizens' colours are not their self-efficacy at month 0"
    )
    assert not np.array_equal(shown, taking_part)

    # A step recolours the nodes by self-efficacy, not by taking part.
    step(page, 1)
    later = np.round(offline(months=1).model.state.citizens.self_efficacy, 4)
    page.wait_for_function(
        """([selector, expected]) => {
            const plot = document.querySelector(selector);
            const trace = plot && (plot.data || []).find((t) => t.meta === 'citizen');
            const colour = trace ? Array.from(trace.marker.color, Number) : [];
            return colour.length === expected.length
                && colour.every((c, i) => Math.abs(c - expected[i]) < 1e-9);
        }""",
        arg=[f".cs-view-network {PLOT}", later.tolist()],
    )


@pytest.mark.parametrize(
    ("kind", "view", "metric"),
    [
        # A 30% cut of the budget: the service's performance drops from the next month.
        ("budget_cut", "value", "service_performance"),
        # Volunteers called: more citizens co-deliver on their own from the next month.
        ("volunteer_call", "participation", "participation_co_delivery_individual"),
    ],
)
def test_shock_buttons_start_the_shock_next_month(
    page: Page, kind: str, view: str, metric: str
) -> None:
    at, after = 4, 2
    step(page, at)
    before = months_line(page, view, metric, at)
    page.locator(f".cs-shock-{kind}").click()
    expect(page.locator(".cs-notice")).to_have_text(
        f"Month {at + 1}: {session.SHOCKS_NOW[kind].note}."
    )
    expect(page.locator(".cs-error")).to_have_count(0)
    expect_month(page, at)  # a shock starts next month: the run has not moved
    step(page, after)
    drawn = months_line(page, view, metric, at + after)
    shocked = offline_series(at + after, shock=(at, kind))
    unshocked = offline_series(at + after)
    assert drawn[: at + 1].tolist() == before.tolist(), "the months before the shock changed"
    assert_drawn(drawn, shocked[metric], f"{metric} with the {kind}")
    assert not np.allclose(drawn[at + 1 :], np.round(unshocked[metric][at + 1 :], 5), atol=2e-5), (
        f"{metric}: the {kind} changed nothing: {drawn.tolist()}"
    )
    # Other charts take the shock too (same run): the resilience chain, as drawn.
    chain = months_line(page, "resilience", "resilience_chain", at + after)
    assert_drawn(chain, shocked["resilience_chain"], f"resilience_chain with the {kind}")


def test_workshop_load_this_step(page: Page) -> None:
    chosen = workshop.STEPS[1]
    scenario = load(chosen.scenario)
    settings = dict(chosen.settings)
    changed = sorted(k for k, v in settings.items() if scenario.parameters()[k] != v)
    assert changed, "step 2 changes no setting of its scenario: pick another step"

    step(page, 2)
    tab(page, "Workshop")
    page.locator(".cs-workshop-next").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Step 2 of "))).to_be_visible()
    page.locator(".cs-workshop-load").click()

    expect(page.get_by_role("tab", name="Run", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    expect_month(page, 0, scenario.steps)
    expect(page.locator(".cs-notice")).to_contain_text(f"Loaded {scenario.title}.")
    expect(page.locator(".cs-run-label")).to_have_text(f"{chosen.scenario} (changed)")
    info = page.locator(".cs-scenario-info")
    expect(info).to_contain_text(scenario.title)
    expect(info).to_contain_text(f"Changed here: {', '.join(map(controls.param_label, changed))}")
    expect(page.locator(".cs-scenario-picker")).to_contain_text(scenario.title)
    expect(page.locator(".cs-seed input")).to_have_value(str(scenario.rng or 0))
    play = page.locator(".cs-play")
    expect(play).to_have_text(re.compile("Play"))  # loaded, not playing
    expect(page.locator(".cs-step")).to_be_enabled()
    # Still paused a redraw later (the month has not moved), and the network has the step's
    # citizens.
    months_line(page, "resilience", "resilience_chain", 0)
    expect_month(page, 0, scenario.steps)
    network = page.locator(f".cs-view-network {PLOT}").evaluate(
        "(plot) => plot.data.find((t) => t.meta === 'citizen').x.length"
    )
    assert network == {**scenario.parameters(), **settings}["n_citizens"]

    step(page, 2)
    drawn = months_line(page, "gap", "participation_any", 2)
    run = session.Session(scenario)
    run.load(scenario, settings)
    run.step(2)
    assert_drawn(drawn, run.series()["participation_any"], "participation_any of step 2")


def test_more_than_20000_citizens_is_refused(page: Page) -> None:
    step(page, 2)
    before = months_line(page, "gap", "participation_any", 2)
    population = page.locator(".cs-sidebar .v-expansion-panel-header").filter(
        has_text=re.compile(r"^Population")
    )
    population.click()
    field = page.locator(".cs-param-n_citizens input")
    expect(field).to_be_visible()
    expect(field).to_have_value(str(BASELINE.parameters()["n_citizens"]))
    too_many = session.MAX_CITIZENS + 1
    field.fill(str(too_many))
    field.press("Enter")

    error = page.locator(".cs-error")
    expect(error).to_contain_text(f"at most {session.MAX_CITIZENS:,}")
    expect(error).to_contain_text("n_citizens")
    expect(error).to_contain_text(f"{too_many:,}")
    # The run goes on as it was: same month, same label, same lines, and Step still works.
    expect_month(page, 2, BASELINE.steps)
    expect(page.locator(".cs-run-label")).to_have_text("baseline")
    expect(page.locator(".cs-scenario-info")).not_to_contain_text("Changed here")
    assert months_line(page, "gap", "participation_any", 2).tolist() == before.tolist()
    step(page, 1)
    drawn = months_line(page, "gap", "participation_any", 3)
    assert_drawn(drawn, offline_series(3)["participation_any"], "participation_any")
    network = page.locator(f".cs-view-network {PLOT}").evaluate(
        "(plot) => plot.data.find((t) => t.meta === 'citizen').x.length"
    )
    assert network == BASELINE.parameters()["n_citizens"]


def test_about_tab(page: Page) -> None:
    tab(page, "About")
    about = page.locator(".v-window-item--active")
    expect(about).to_contain_text("simulates the co-production of public services")
    expect(about).to_contain_text("docs/ODD.md")
    expect(about).to_contain_text(f"limited to {session.MAX_CITIZENS:,} citizens")
    # Rendered Markdown, not its source.
    expect(about.locator("strong").filter(has_text="coprod-sim")).to_have_count(1)
    expect(about.locator("code").filter(has_text="docs/ODD.md")).to_have_count(1)
    expect(about).not_to_contain_text("**")
    expect(about).not_to_contain_text("`")
    # The run tab's charts are not shown meanwhile.
    expect(page.locator(".cs-month")).to_be_hidden()


# ----------------------------------------------------------------------------- a bug, exposed


def test_free_y_axes_follow_the_data(page: Page) -> None:
    """The y axes without a fixed range (autorange in the figure's layout) follow the lines as
    the run grows, tightly. In the participation chart both the x axes (fixed to the horizon)
    and the y axes of its four panels are matched; unless live_figure sets ``autorange=True``
    on them, plotly.js draws them with a range of [0, 4], and the shares of citizens, a few
    percent, lie flat along the bottom of the chart."""
    months = 6
    step(page, months)
    series = offline_series(months)
    metric = "participation_co_delivery_collective"  # the largest share in the chart
    assert_drawn(months_line(page, "participation", metric, months), series[metric], metric)
    for view in ("participation", "value", "inequality"):
        page.wait_for_function(
            """([selector, n]) => {
                const plot = document.querySelector(selector);
                const lines = (plot && plot.data || []).filter((t) => typeof t.meta === 'string'
                    && t.type !== 'bar' && t.mode !== 'markers');
                return lines.length > 0 && lines.every((t) => t.x.length === n);
            }""",
            arg=[f".cs-view-{view} {PLOT}", months + 1],
        )
        axes = page.locator(f".cs-view-{view} {PLOT}").evaluate(
            r"""(plot) => Object.keys(plot.layout).filter(
                (k) => /^yaxis\d*$/.test(k) && plot.layout[k].autorange === true).map((name) => {
                const full = plot._fullLayout;
                const group = (plot.layout[name] || {}).matches || full[name]._id;
                const ids = Object.keys(full).filter((k) => /^yaxis\d*$/.test(k))
                    .filter((k) => ((plot.layout[k] || {}).matches || full[k]._id) === group)
                    .map((k) => full[k]._id);
                const ys = plot.data.filter((t) => ids.includes(t.yaxis || 'y') && t.y)
                    .flatMap((t) => Array.from(t.y).filter((y) => y !== null).map(Number));
                return {name, range: full[name].range.map(Number), ys};
            })"""
        )
        assert axes, f"{view}: no free y axis"
        for axis in axes:
            if not axis["ys"]:
                continue
            low, high = min(axis["ys"]), max(axis["ys"])
            bottom, top = axis["range"]
            assert bottom <= low + 1e-9 and top >= high - 1e-9, (view, axis["name"], axis["range"])
            # tight: autorange pads by a few percent (from 0 where the axis starts at zero)
            span = high - min(low, 0.0)
            assert top <= high + 0.25 * span + 0.02, (view, axis["name"], axis["range"], high)
            span = max(high, 0.0) - min(low, 0.0)
            assert span == 0 or top - bottom <= 1.5 * span, (
                f"{view}: {axis['name']} shows {axis['range']} for lines in [{low}, {high}]"
            )
