"""The dashboard's finish in a real browser: showing a control changes nothing,
every slider shows its value, labels instead of identifiers, no overlapping chart titles and
no Solara badge, shocks marked on every time chart, a console free of errors, uploads.

Each test starts from a fresh tab (the ``page`` fixture, or its own context for the console)
and takes screenshots at 1440x900 and 1280x720 into ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

from coprod_sim import params, scenario_files
from coprod_sim.dashboard import controls, views

from .conftest import N_CHARTS, SCREENSHOTS

pytestmark = pytest.mark.browser

SIZES = ({"width": 1440, "height": 900}, {"width": 1280, "height": 720})
BASELINE = scenario_files.load("baseline")
PLOT = ".js-plotly-plot"


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SCREENSHOTS / f"quality_{name}_{size['width']}x{size['height']}.png"))


def open_every_panel(page: Page) -> None:
    """Expand every closed group of parameters, as a user would, one click each."""
    headers = page.locator(".cs-sidebar .v-expansion-panel-header")
    for k in range(headers.count()):
        header = headers.nth(k)
        if "v-expansion-panel-header--active" not in (header.get_attribute("class") or ""):
            header.click()
    expect(page.locator(".cs-sidebar .v-expansion-panel-header--active")).to_have_count(
        headers.count()
    )
    expect(page.locator(".cs-param")).to_have_count(len(params.PARAMETERS))


def test_opening_every_panel_changes_nothing(page: Page) -> None:
    open_every_panel(page)
    page.wait_for_timeout(1500)  # a snapped slider would report back within this
    shoot(page, "panels_open")
    expect(page.locator(".cs-run-label")).to_have_text("baseline")
    expect(page.locator(".cs-sidebar")).not_to_contain_text("changed")
    expect(page.locator(".cs-notice")).to_have_count(0)
    values = BASELINE.parameters()
    shown = page.locator(".cs-control-slider").count()
    assert shown > 40, shown
    for spec in params.PARAMETERS:
        if controls.control(spec, values[spec.name]) != "slider":
            continue
        track = page.locator(f".cs-param-{spec.name} [role=slider]")
        now = float(track.get_attribute("aria-valuenow"))
        assert now == values[spec.name], (spec.name, now, values[spec.name])
        text = page.locator(f".cs-param-{spec.name} .cs-param-value").inner_text()
        assert text == controls.value_text(spec, values[spec.name]), spec.name


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_every_slider_shows_its_value_beside_a_wide_track(page: Page, size: dict) -> None:
    page.set_viewport_size(size)
    open_every_panel(page)
    shoot(page, "sliders")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.cs-control-slider')].map((el) => {
            const value = el.querySelector('.cs-param-value').getBoundingClientRect();
            const label = el.querySelector('.cs-param-label').getBoundingClientRect();
            const track = el.querySelector('.v-slider').getBoundingClientRect();
            const help = el.querySelector('.cs-help').getBoundingClientRect();
            return {name: el.className, value: [value.width, value.height],
                    track: track.width, labelBottom: label.bottom, helpTop: help.top,
                    valueRight: value.right, cardRight: el.getBoundingClientRect().right};
        })"""
    )
    assert len(boxes) > 40
    for box in boxes:
        assert box["value"][0] > 10 and box["value"][1] > 8, box  # the value is shown
        assert box["track"] > 80, box  # not a dot
        assert box["labelBottom"] <= box["helpTop"] + 1, box  # the label is not over the help
        assert box["valueRight"] <= box["cardRight"] + 1, box


def _title_boxes(page: Page) -> list[dict]:
    """Per chart: the boxes of its title, subplot titles and axis titles."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map((plot) => {
            const card = plot.getBoundingClientRect();
            const texts = [...plot.querySelectorAll(
                '.gtitle, .annotation-text, .g-ytitle text, .g-y2title text, .g-xtitle text')];
            return {card: [card.left, card.top, card.right, card.bottom],
                    boxes: texts.map((t) => {
                        const r = t.getBoundingClientRect();
                        return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom]};
                    }).filter((b) => b.box[2] > b.box[0])};
        })"""
    )


def _overlap(a: list[float], b: list[float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(width, 0) * max(height, 0)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_no_badge_and_chart_titles_neither_overlap_nor_leave_the_chart(
    page: Page, size: dict
) -> None:
    page.set_viewport_size(size)
    page.wait_for_timeout(1000)  # the charts follow the new width
    shoot(page, "charts")
    expect(page.get_by_text("This website runs on")).to_have_count(0)
    charts = _title_boxes(page)
    assert len(charts) == N_CHARTS
    for chart in charts:
        boxes = chart["boxes"]
        assert boxes, chart
        for i, first in enumerate(boxes):
            left, top, right, bottom = chart["card"]
            box = first["box"]
            inside = box[0] >= left - 1 and box[1] >= top - 1 and box[2] <= right + 1
            assert inside and box[3] <= bottom + 1, f"{first['text']!r} leaves its chart"
            for second in boxes[i + 1 :]:
                assert _overlap(box, second["box"]) < 4, (first["text"], second["text"])


def test_labels_not_identifiers(page: Page) -> None:
    toggle = page.locator(".cs-colour")
    for label in views.COLOUR_LABELS.values():
        expect(toggle.get_by_role("button", name=label, exact=True)).to_be_visible()
    expect(toggle).not_to_contain_text(re.compile("SELF_EFFICACY|self_efficacy"))
    expect(page.locator(".cs-scenario-picker")).to_contain_text(BASELINE.title)
    page.locator(".cs-scenario-picker .v-input__slot").click()
    menu = page.locator(".v-menu__content.menuable__content__active")
    expect(menu.get_by_role("option", name=scenario_files.load("pandemic").title)).to_be_visible()
    expect(menu).not_to_contain_text("feedback_loop_closed")
    page.keyboard.press("Escape")
    # A changed lever's banner names it in words, with the value and its unit.
    track = page.locator(".cs-param-feedback_loop_closed [role=slider]")
    track.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".cs-notice")).to_have_text("Feedback loop closed: 0.31 level")
    shoot(page, "labels")


def test_shocks_are_marked_on_every_time_chart(page: Page) -> None:
    page.locator(".cs-step").click()
    expect(page.locator(".cs-month")).to_have_text(re.compile(r"^Month 1 of"))
    page.locator(".cs-shock-budget_cut").click()
    expect(page.locator(".cs-notice")).to_contain_text("Month 2:")
    keys = [v.key for v in views.VIEWS]
    marked = page.wait_for_function(
        """(keys) => {
            const found = keys.map((key) => {
                const plot = document.querySelector('.cs-view-' + key + ' .js-plotly-plot');
                const shapes = (plot && plot.layout && plot.layout.shapes) || [];
                return shapes.filter((s) => s.name === 'event-budget_cut').map((s) => [s.x0, s.x1]);
            });
            return found.every((f) => f.length > 0) ? found : false;
        }""",
        arg=keys,
    ).json_value()
    for key, bands in zip(keys, marked, strict=True):
        assert all(band == [2, BASELINE.steps] for band in bands), (key, bands)
    labels = page.locator(".cs-view-resilience .annotation-text", has_text="Budget cut")
    expect(labels).to_have_count(1)
    shoot(page, "shock_band")


def test_console_is_free_of_errors(browser, dashboard_url: str) -> None:
    """A fresh page and every tab: no error, no failed request (KaTeX, require.js)."""
    context = browser.new_context(viewport=SIZES[0])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    try:
        page.goto(dashboard_url)
        page.wait_for_function(
            "(n) => document.querySelectorAll('.js-plotly-plot').length === n",
            arg=N_CHARTS,
            timeout=60_000,
        )
        for name in ("Workshop", "About", "Compare", "Run"):
            page.get_by_role("tab", name=name, exact=True).click()
            page.wait_for_timeout(1500)
        shoot(page, "console")
    finally:
        context.close()
    assert problems == []


def test_upload_lists_each_problem_and_shows_the_uploaded_title(page: Page) -> None:
    bad = b'title = "Bad"\n[parameters]\nstaff_training = 3\nrelaxation = -1\nnosuch = 2\n'
    page.locator("input.cs-upload-input").set_input_files(
        files=[{"name": "bad.toml", "mimeType": "application/toml", "buffer": bad}]
    )
    error = page.locator(".cs-error")
    expect(error).to_contain_text("bad.toml has 3 problems")
    items = error.locator(".cs-error-list li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("staff_training")
    expect(items.nth(2)).to_contain_text("nosuch")
    shoot(page, "upload_problems")
    title = "My council's <b>plan</b>"  # shown as typed: never rendered as markup
    good = f'extends = "baseline"\ntitle = "{title}"\n[parameters]\nstaff_training = 0.5\n'
    page.locator("input.cs-upload-input").set_input_files(
        files=[{"name": "mine.toml", "mimeType": "application/toml", "buffer": good.encode()}]
    )
    expect(page.locator(".cs-error")).to_have_count(0)
    expect(page.locator(".cs-scenario-picker .v-select__selection")).to_have_text(
        f"{title} (uploaded)"
    )
    expect(page.locator(".cs-scenario-info")).to_contain_text(title)
    expect(page.locator(".cs-scenario-info b")).to_have_count(0)
    shoot(page, "upload_title")
