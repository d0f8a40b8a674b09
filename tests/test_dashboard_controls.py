"""The dashboard's presentation rules without a browser: slider steps that represent every
value exactly, human labels, the scenario dropdown, problem lists and the shock bands."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from coprod_sim import params, report
from coprod_sim.dashboard import controls, session, views

FLOATS = [p for p in params.PARAMETERS if p.type is float]
PRESETS = session.preset_scenarios()


def _multiple(value: float, low: float, step: float) -> bool:
    return (Decimal(repr(value)) - Decimal(repr(low))) % Decimal(repr(step)) == 0


def _snapped(spec: params.ParamSpec, value: float, step: float) -> float:
    """What the browser's slider (Vuetify 2's roundValue) makes of ``value``."""
    digits = len(repr(step).split(".")[1]) if "." in repr(step) else 0
    low = float(spec.low)
    offset = low % step
    snapped = round((value - offset) / step) * step + offset
    return float(f"{min(snapped, float(spec.high)):.{digits}f}")


@pytest.mark.parametrize("spec", FLOATS, ids=lambda s: s.name)
def test_slider_step_puts_the_default_and_the_range_ends_on_the_grid(
    spec: params.ParamSpec,
) -> None:
    step = controls.slider_step(spec)
    for value in (spec.low, spec.high, spec.default):
        assert _multiple(float(value), float(spec.low), step), (spec.name, value, step)
    # About a hundredth of the range or finer, never coarser.
    assert step <= (float(spec.high) - float(spec.low)) / 100 + 1e-12


def test_the_researchers_defaults_that_were_rounded_get_a_fine_enough_step() -> None:
    # The values the old 0.01 step rounded to 0.01, 0.02 and 0 on opening the panel.
    for name in ("performance_efficacy_gain", "relaxation", "misconduct_rate"):
        spec = params.PARAMS_BY_NAME[name]
        assert controls.control(spec, spec.default) == "slider"
        assert _snapped(spec, spec.default, controls.slider_step(spec)) == spec.default


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_value_is_shown_exactly(name: str) -> None:
    """A slider only where the browser's snapping leaves the value as it is; else a field."""
    for key, value in PRESETS[name].parameters().items():
        spec = params.PARAMS_BY_NAME[key]
        kind = controls.control(spec, value)
        if kind == "slider" and spec.type is float:
            assert _snapped(spec, float(value), controls.slider_step(spec)) == value, (
                name,
                key,
                value,
            )
        assert kind in ("checkbox", "select", "slider", "number")


def test_an_off_grid_value_from_a_file_gets_a_number_field_not_a_snapped_slider() -> None:
    spec = params.PARAMS_BY_NAME["staff_training"]
    assert controls.slider_step(spec) == 0.01
    assert controls.control(spec, 0.5) == "slider"
    assert controls.control(spec, 0.123) == "number"
    assert controls.value_text(spec, 0.123) == "0.123 level"


def test_labels_and_values_read_as_words_with_units() -> None:
    assert controls.param_label("feedback_loop_closed") == "Feedback loop closed"
    assert controls.setting_text("feedback_loop_closed", 0.9) == "Feedback loop closed: 0.9 level"
    assert controls.setting_text("star_step_months", 6) == "Star step months: 6 months"
    assert controls.param_item("staff_training") == {
        "text": "Staff training",
        "value": "staff_training",
    }
    assert views.COLOUR_LABELS["self_efficacy"] == "Self-efficacy"


def test_scenario_dropdown_shows_titles_and_keeps_an_uploaded_file() -> None:
    items, value = controls.scenario_choices(PRESETS, PRESETS["pandemic"])
    assert value == "pandemic"
    texts = {item["value"]: item["text"] for item in items}
    assert texts["pandemic"] == PRESETS["pandemic"].title and "_" not in texts["pandemic"]
    uploaded = PRESETS["baseline"].replace(name="mine", title="My council")
    items, value = controls.scenario_choices(PRESETS, uploaded)
    assert value == controls.CURRENT
    assert items[-1] == {"text": "My council (uploaded)", "value": controls.CURRENT}


def test_an_upload_with_several_problems_gives_one_line_each() -> None:
    text = b'title = "Bad"\n[parameters]\nstaff_training = 3\nrelaxation = -1\nnosuch = 2\n'
    with pytest.raises(session.DashboardError) as err:
        session.read_upload("bad.toml", len(text), lambda: text)
    lines = controls.message_lines(str(err.value))
    assert lines[0].startswith("bad.toml has 3 problems")
    assert [line.split(":")[0] for line in lines[1:]] == [
        "line 3, [parameters]",
        "line 4, [parameters]",
        "line 5, [parameters]",
    ]


@pytest.mark.parametrize(
    ("kind", "start", "duration", "span"),
    [
        ("unavailability", 10, 6, (10.0, 16.0)),
        ("budget_cut", 10, 0, (10.0, 120.0)),  # a cut that stays: to the end of the run
        ("volunteer_call", 10, 0, (10.0, 11.0)),
        ("unavailability", 118, 6, (118.0, 120.0)),  # never past the horizon
    ],
)
def test_event_span(kind: str, start: int, duration: int, span: tuple[float, float]) -> None:
    assert report.event_span(kind, start, duration, 120) == span


@pytest.fixture(scope="module")
def pandemic() -> session.Session:
    return session.Session(PRESETS["pandemic"])


def test_scenario_shocks_and_shocks_now_are_bands_on_every_time_panel() -> None:
    sess = session.Session(PRESETS["pandemic"])
    sess.step(2)
    sess.shock_now("budget_cut")
    ts, agents = sess.timeseries(), sess.agents()
    for view in views.VIEWS:
        fig = views.live_figure(view, ts, agents, sess.horizon, sess.model.events)
        panels = report.time_panels(fig)
        bands = [s for s in fig.layout.shapes if (s.name or "").startswith("event-")]
        assert len(bands) == len(sess.model.events) * len(panels) == 3 * len(panels), view.key
        assert {(b.xref, b.yref.split()[0]) for b in bands} == set(panels)
        cut = [b for b in bands if b.name == "event-budget_cut"]
        assert {(b.x0, b.x1) for b in cut} == {(3.0, float(sess.horizon))}
        labels = [a.text for a in fig.layout.annotations if (a.name or "").startswith("event-")]
        assert sorted(labels) == ["Budget cut", "Call for volunteers", "Staff unavailable"]


def test_category_axis_of_the_bars_is_not_given_the_month_range(pandemic) -> None:
    view = next(v for v in views.VIEWS if v.key == "inequality")
    fig = views.live_figure(view, pandemic.timeseries(), pandemic.agents(), pandemic.horizon)
    bars = next(t for t in fig.data if t.meta == report.BY_GROUP)
    assert fig.layout.xaxis.range is None, "the bars' category axis got [0, horizon]"
    assert bars.xaxis == "x"
    months = {x for x, _ in report.time_panels(fig)}
    for x in months:
        assert tuple(fig.layout["xaxis" + x[1:]].range) == (0, pandemic.horizon)


def test_card_titles_wrap_to_the_card() -> None:
    title = "Participation in the Four Co's: individual and collective"
    wrapped = views.wrap(title, views.CARD_CHARS)
    assert all(len(line) <= views.CARD_CHARS for line in wrapped.split("<br>"))
    assert views.wrap("short<br><sup>note</sup>", 10) == "short<br><sup>note</sup>"
    assert np.all([len(x) <= 20 for x in views.wrap("a " * 30, 20).split("<br>")])
