"""The Solara dashboard: scenarios, levers, a live run, compare and a guided workshop.

Run it with ``coprod dashboard`` or ``solara run app.py``. Each browser tab gets its own
:class:`~coprod_sim.dashboard.session.Session` (Solara's reactive variables are per tab).
CSS classes ``cs-*`` name the parts of the page for users' style sheets and for the browser
tests.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import solara
import solara.lab
from solara.alias import rv as v

from .. import params
from ..scenario import Scenario
from ..validation import CALIBRATION
from . import compare_tab, controls, views, workshop
from .failsafe import Failsafe, failure_message
from .session import (
    BASELINE,
    MAX_CITIZENS,
    MAX_UPLOAD_BYTES,
    PLAY_PACER,
    SHOCKS_NOW,
    DashboardError,
    Session,
    check_count,
    check_seed,
    preset_scenarios,
    read_upload,
    release_memory,
)
from .widgets import Figure, FrameClock, LiveFigure, Prose, UploadField

TITLE = "coprod-sim: co-production of public services"

GROUP_TITLES: dict[str, str] = {
    "population": "Population",
    "barriers": "Barriers",
    "risk": "Risk appetites",
    "levers": "Policy levers",
    "shocks": "Shocks (scheduled)",
    "network": "Social network",
    "run": "Run length and cycles",
    "behaviour": "Behaviour (researchers)",
}
"""Titles of the schema's parameter groups, in the schema's order."""

SPEEDS: dict[str, float] = {"slow": 0.8, "normal": 0.3, "fast": 0.15, "fastest": 0.25}
"""Seconds per redraw while playing: one month each, except at 'fastest', where as many months
as fit run between redraws. A redraw never comes sooner than the browser can draw it, so the
page never falls behind the model."""

MONTHS_PER_REDRAW: dict[str, int] = {"fastest": 6}
"""Most months between two redraws at a speed (default 1)."""


@functools.cache
def presets() -> dict[str, Scenario]:
    """The preset scenarios, read once per server."""
    return preset_scenarios()


def _warm_up() -> None:
    """Build the baseline's charts once when the server starts: plotly's validators are
    slow the first time (about a second), and the first visitor should not wait for them."""
    sess = Session(presets()[BASELINE])
    ts, agents = sess.timeseries(), sess.agents()
    for view in views.VIEWS:
        views.live_figure(view, ts, agents, sess.horizon)
    views.network_figure(sess.model, views.network_layout(sess.model), "participation")
    workshop.causal_loop_figure()


_warm_up()


# ----------------------------------------------------------------------------- page state
# Reactive variables are per browser tab in a Solara server.
session: solara.Reactive[Session | None] = solara.reactive(None)
run_id = solara.reactive(0)  # a new model: rebuild every chart
tick = solara.reactive(0)  # a new month: refresh every chart
shocks_started = solara.reactive(0)  # a shock started now: mark it on every time chart
drawn = solara.reactive(0)  # the last tick the browser has painted
playing = solara.reactive(False)
loop_generation = solara.reactive(0)  # the playing loop that may run (no component reads it)
speed = solara.reactive("normal")
message = solara.reactive("")  # the last problem with the user's input
notice = solara.reactive("")  # the last thing that happened (loaded, shock started, ...)
pace_note = solara.reactive("")  # why playing is slower than the speed asked (many sessions)
colour_by = solara.reactive("participation")
selected: solara.Reactive[tuple[str, int] | None] = solara.reactive(None)
tab = solara.reactive(0)
step_index = solara.reactive(0)


CLOSE_GRACE_S = 2.0
"""Seconds between a tab closing and the memory of its session being collected: Solara drops
the session's state only after its close callbacks have run."""


def _on_session_start() -> Callable[[], None]:
    """Solara calls this for every new browser tab; the callable it returns, when the tab
    closes (the page's close beacon, or the kernel culled after a lost connection)."""

    def close() -> None:
        # Runs inside the closing kernel's context, so these are that tab's values. Stop its
        # playing loop and its comparison (they hold the model and the runs), without
        # setting any reactive value (that would re-render a page being torn down).
        sess = session.peek()
        if sess is not None:
            sess.closed.set()
        collect = threading.Timer(CLOSE_GRACE_S, release_memory)
        collect.daemon = True  # never holds up the server's exit
        # Solara's threads carry the kernel context they were made in; this one must not,
        # or it would keep the closed session (model, runs, figures) alive while it collects.
        collect.current_context = None
        collect.start()

    return close


solara.lab.on_kernel_start(_on_session_start)


def _session() -> Session:
    if session.value is None:
        session.value = Session(presets()[BASELINE])
    return session.value


def _changed(what: str = "") -> None:
    """After a new model: redraw everything and forget the inspected agent."""
    selected.value = None
    message.value = ""
    notice.value = what
    run_id.value += 1
    tick.value += 1


def _attempt(action: Callable[[], Any], done: str = "") -> bool:
    """Run an action on the session; show a :class:`DashboardError` instead of raising."""
    try:
        action()
    except DashboardError as err:
        message.value = str(err)
        return False
    except Exception as err:  # a bug, not bad input: logged, and the page stays as it was
        message.value = failure_message(err, "an action")
        return False
    _changed(done)
    return True


def load_scenario(name: str, settings: dict[str, Any] | None = None) -> bool:
    """Switch the page to a preset (with optional settings), stopped at month 0."""
    playing.value = False
    scenario = presets()[name]
    return _attempt(
        lambda: _session().load(scenario, settings), f"Loaded {controls.scenario_title(scenario)}."
    )


# ----------------------------------------------------------------------------- sidebar


def _step(spec: params.ParamSpec) -> float:
    """A float slider's step (see :func:`controls.slider_step`)."""
    return controls.slider_step(spec)


HELP_STYLE = {"font-size": "0.75rem", "color": "#666", "line-height": "1.2"}


@solara.component
def ParameterSlider(spec: params.ParamSpec, value: float, label: str, on_value: Callable) -> None:
    """A slider with its label and its value (with the unit) always shown on a line above the
    track: a label inside Vuetify's slider takes the track's width and hides the value until
    the thumb is focused."""
    is_int = spec.type is int
    high = min(spec.high, MAX_CITIZENS) if spec.name == "n_citizens" else spec.high
    with solara.Column(gap="0px", style={"width": "100%"}):
        with solara.Row(justify="space-between", style={"align-items": "baseline", "gap": "8px"}):
            solara.Text(label, classes=["cs-param-label"], style={"font-size": "0.9rem"})
            solara.Text(
                controls.value_text(spec, value),
                classes=["cs-param-value"],
                style={"font-size": "0.85rem", "font-weight": "600", "white-space": "nowrap"},
            )
        v.Slider(
            v_model=value,
            on_v_model=lambda new: on_value(int(new) if is_int else float(new)),
            min=spec.low,
            max=high,
            step=1 if is_int else _step(spec),
            hide_details=True,
            dense=True,
            class_="cs-slider",
            style_="width: 100%; margin: 0;",
        )


@solara.component
def IntegerField(
    label: str,
    in_force: int,
    check: Callable[[str], int],
    apply: Callable[[int], bool | None],
    classes: list[str] | None = None,
) -> None:
    """A field for a whole number, checked as typed text (never a silent conversion).

    ``check`` turns the text into the number or raises :class:`DashboardError`; ``apply`` puts
    the number in force (and shows its own message if refused). A refused entry puts its
    message on the page, stays in the field marked invalid, with "in force: N" below it; a
    later valid entry clears both.
    """
    typed, set_typed = solara.use_state(None)

    def submit(text: str | None) -> None:
        try:
            number = check(text or "")
        except DashboardError as err:
            message.value = str(err)
            set_typed(text or "")
            return
        if number == in_force:  # the value in force typed again: clear its old problem
            message.value = ""
        elif apply(number) is False:  # refused when applied (e.g. with the other settings)
            set_typed(text or "")
            return
        set_typed(None)

    invalid = f"not accepted; in force: {in_force:,}" if typed is not None else False
    solara.InputText(
        label,
        value=str(in_force) if typed is None else typed,
        on_value=submit,
        error=invalid,
        classes=[*(classes or []), "cs-integer-field"],
    )


@solara.component
def ParameterControl(spec: params.ParamSpec, value: Any, edited: bool) -> None:
    """One control, made from the parameter's definition in the schema. Which control
    depends on the value too (:func:`controls.control`): one the slider's grid cannot show
    exactly goes in a number field."""

    def set_value(new: Any) -> bool | None:
        # Widgets echo their value when they appear (a slider snapped to its step, a field
        # on blur): an unchanged value must never restart the run nor count as an edit.
        if new == value:
            return
        return _attempt(
            lambda: _session().set_value(spec.name, new), controls.setting_text(spec.name, new)
        )

    label = controls.param_label(spec.name) + (" •" if edited else "")
    unit = f" ({spec.unit})" if spec.unit not in ("switch", "") else ""
    kind = controls.control(spec, value)
    classes = [f"cs-param-{spec.name}", "cs-param", f"cs-control-{kind}"]
    with solara.Column(gap="0px", classes=classes):
        if kind == "checkbox":
            solara.Checkbox(label=label, value=bool(value), on_value=set_value)
        elif kind == "select":
            solara.Select(label=label, values=list(spec.choices), value=value, on_value=set_value)
        elif kind == "slider":
            ParameterSlider(spec, value, label, set_value)
        elif spec.type is int:
            IntegerField(
                label + unit,
                int(value),
                functools.partial(check_count, spec.name),
                set_value,
            )
        else:
            solara.InputFloat(
                label + unit, value=float(value), on_value=set_value, continuous_update=False
            )
        cap = " Here at most 20,000." if spec.name == "n_citizens" else ""
        solara.Text(
            f"{spec.help}{cap} Allowed: {spec.allowed}. Source: {spec.source}.",
            style=HELP_STYLE,
            classes=["cs-help"],
        )


@solara.component
def ParameterPanels() -> None:
    """Every parameter of the schema, grouped; the first four groups are open."""
    run_id.value  # re-render when the settings change  # noqa: B018
    sess = _session()
    values = sess.values
    for k, group in enumerate(params.GROUPS):
        specs = params.by_group(group)
        edited = sum(1 for s in specs if s.name in sess.edits)
        title = GROUP_TITLES.get(group, group) + (f" ({edited} changed)" if edited else "")
        with (
            solara.Details(title, expand=k in (1, 3)),
            solara.Column(gap="6px", classes=[f"cs-group-{group}"]),
        ):
            for spec in specs:
                ParameterControl(spec, values[spec.name], spec.name in sess.edits)


@solara.component
def ScenarioPicker() -> None:
    run_id.value  # noqa: B018
    sess = _session()
    items, current = controls.scenario_choices(presets(), sess.scenario)

    def pick(name: str | None) -> None:
        if name and name != controls.CURRENT:
            load_scenario(name)

    v.Select(
        label="Scenario",
        items=items,
        v_model=current,
        on_v_model=pick,
        class_="cs-scenario-picker",
    )
    sc = sess.scenario
    # A scenario's title and question may come from an uploaded file: plain text, never
    # rendered as Markdown or HTML.
    with solara.Column(gap="2px", classes=["cs-scenario-info"]):
        solara.Text(controls.scenario_title(sc), style={"font-weight": "600"})
        if sc.question:
            solara.Text(f"Question: {sc.question}", style={"font-style": "italic"})
        if sess.edits:
            solara.Text(
                f"Changed here: {', '.join(controls.param_label(n) for n in sorted(sess.edits))}",
                style={"font-size": "0.8rem"},
            )

    def set_seed(value: int) -> bool:
        return _attempt(lambda: _session().set_seed(value), f"Seed {value}.")

    IntegerField("Seed (integer)", sess.seed, check_seed, set_seed, classes=["cs-seed"])
    solara.Button(
        "Reset to the scenario's values",
        on_click=lambda: _attempt(_session().reset_values, "Back to the scenario's values."),
        disabled=not sess.edits,
        outlined=True,
        classes=["cs-reset-values"],
    )


@solara.component
def ImportExport() -> None:
    run_id.value  # noqa: B018
    sess = _session()
    stem = (sess.scenario.name or "scenario").replace(" ", "_")
    downloads = (
        ("csv", sess.csv, f"{stem}_timeseries.csv", "Time series (CSV)", "text/csv"),
        ("toml", sess.toml, f"{stem}.toml", "Settings (TOML)", "application/toml"),
    )
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        for kind, data, filename, label, mime in downloads:
            with solara.Column(classes=[f"cs-download-{kind}"]):
                # The bytes are made only when the button is pressed.
                solara.FileDownload(data, filename=filename, label=label, mime_type=mime)

    UploadField(
        label=f"Upload a scenario (.toml, at most {MAX_UPLOAD_BYTES // 1024} KB)",
        max_bytes=MAX_UPLOAD_BYTES,
        on_file=check_upload,
    )
    if check_upload.pending:
        solara.Text(f"Checking {checking.value}…", classes=["cs-upload-checking"])


SLOW_CHECK_ENV = "COPROD_DASHBOARD_TEST_SLOW_CHECK"
"""Test hook: with this set to N in the server's environment, checking an uploaded file whose
name starts with ``slow-check`` first waits N seconds (the browser tests use it to show that
the page stays live while a file is checked)."""


def _test_delay(name: str) -> float:
    if not name.startswith("slow-check"):
        return 0.0
    try:
        return max(float(os.environ.get(SLOW_CHECK_ENV, "0")), 0.0)
    except ValueError:
        return 0.0


checking = solara.reactive("")  # the name of the uploaded file being checked


@solara.lab.task(prefer_threaded=True)
def check_upload(name: str, size: int, data: bytes | None) -> None:
    """Read and validate an uploaded file in a thread, then load it: a large file takes a
    while to check, and the render thread (the other tabs, the Step button) must not wait."""
    checking.value = name
    time.sleep(_test_delay(name))

    def load() -> None:
        # The file's own bytes: decoding is scenario_files.decode's, as for the CLI (one verdict).
        scenario = read_upload(name, size, lambda: data or b"")
        playing.value = False
        _session().load(scenario)

    _attempt(load, f"Loaded {name}.")


SIDEBAR_PX = 400
"""Width of the sidebar: room for a slider's label, its value and a wide track."""


@solara.component
def Sidebar() -> None:
    # A fixed width: Solara's drawer takes its content's min-content width, which a long
    # scenario title in the dropdown (one unbreakable line) would stretch over the charts.
    with solara.Column(gap="10px", classes=["cs-sidebar"], style={"width": f"{SIDEBAR_PX}px"}):
        ScenarioPicker()
        ImportExport()
        solara.Text(
            "Changing a setting restarts the run at month 0 on the same seed, so the "
            "difference you see is the setting's.",
            style={"font-size": "0.8rem", "color": "#444"},
        )
        ParameterPanels()


# ----------------------------------------------------------------------------- run tab


def _wait_for_browser(frame: int, timeout: float = 2.0) -> None:
    """Hold the next month until the browser has painted ``frame`` (or ``timeout`` s): a
    slow browser slows the run instead of falling ever further behind it."""
    deadline = time.perf_counter() + timeout
    while drawn.value < frame and playing.value and time.perf_counter() < deadline:
        time.sleep(0.01)


@solara.component
def RunBar() -> None:
    """Play, pause, one step, reset, the speed and the current month."""
    tick.value  # noqa: B018
    sess = _session()

    def loop() -> None:
        # Runs in a thread, so the page stays responsive: step, then redraw every chart. A
        # newer loop (Play pressed again before this one noticed the pause) replaces it.
        loop_generation.value += 1
        mine = loop_generation.value
        # Every playing tab shares the server's one Python thread: the pacer spaces this
        # tab's redraws out when many play at once (see session.PlayPacer).
        pacer_token = object()
        PLAY_PACER.start(pacer_token)
        try:
            while playing.value and loop_generation.value == mine:
                started = time.perf_counter()
                cpu_started = time.thread_time()
                current = _session()
                if current.finished or current.closed.is_set():
                    break
                budget = SPEEDS.get(speed.value, 0.3)
                for _ in range(MONTHS_PER_REDRAW.get(speed.value, 1)):
                    current.step()
                    if current.finished or time.perf_counter() - started > budget / 2:
                        break
                if pace_note.value != (note := PLAY_PACER.note(budget)):
                    pace_note.value = note
                tick.value += 1  # the charts redraw in this thread, before it returns
                spent = time.perf_counter() - started
                # The pacer wants the server's work, not the wait: wall time would count the
                # other tabs' redraws (they hold the GIL) and slow every tab ever further.
                PLAY_PACER.record(time.thread_time() - cpu_started)
                pause = PLAY_PACER.interval(budget) - spent
                if pause > 0:
                    time.sleep(pause)
                _wait_for_browser(tick.value - 1)
        except Exception as err:  # a thread's failure would otherwise vanish unlogged
            message.value = failure_message(err, "playing")
        finally:
            PLAY_PACER.stop(pacer_token)
        if loop_generation.value == mine:
            playing.value = False
            pace_note.value = ""

    # Only Play and Pause start and stop the loop: a new model (a changed lever) is picked up
    # by the running loop, which reads the session afresh each month.
    solara.lab.use_task(loop, dependencies=[playing.value], prefer_threaded=True)

    def one_step() -> None:
        _session().step()
        tick.value += 1

    def reset() -> None:
        playing.value = False
        _attempt(_session().reset, "Reset to month 0.")

    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button(
            "Pause" if playing.value else "Play",
            icon_name="mdi-pause" if playing.value else "mdi-play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=sess.finished and not playing.value,
            classes=["cs-play"],
        )
        solara.Button(
            "Step",
            icon_name="mdi-skip-next",
            on_click=one_step,
            disabled=playing.value or sess.finished,
            classes=["cs-step"],
        )
        solara.Button("Reset", icon_name="mdi-restore", on_click=reset, classes=["cs-reset"])
        solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), classes=["cs-speed"])
        solara.Text(
            f"Month {sess.month} of {sess.horizon}",
            style={"font-size": "1.2rem", "font-weight": "600"},
            classes=["cs-month"],
        )
        solara.Text(sess.label, style={"color": "#555"}, classes=["cs-run-label"])
    if playing.value and pace_note.value:
        solara.Text(pace_note.value, style={"color": "#8a5a00"}, classes=["cs-pace"])


@solara.component
def Messages() -> None:
    if message.value:
        # One problem a line (a file with several problems lists them all), as plain text.
        first, *rest = controls.message_lines(message.value) or [message.value]
        items = [v.Html(tag="li", children=[line]) for line in rest]
        children = [v.Html(tag="ul", children=items, class_="cs-error-list")] if rest else []
        solara.Error(first, children=children, classes=["cs-error"])
    elif notice.value:
        solara.Info(notice.value, dense=True, classes=["cs-notice"])


@solara.component
def ViewCard(view: views.View) -> None:
    sess = _session()
    built = solara.use_ref(None)

    def build() -> go.Figure:
        agents = sess.agents() if view.uses_agents else pd.DataFrame()
        events = sess.model.events  # the scenario's, and those started with "shock now"
        built.current = views.live_figure(view, sess.timeseries(), agents, sess.horizon, events)
        return built.current

    def refresh() -> list:
        if built.current is None:
            return []
        state = sess.model.state if view.uses_agents else None
        return views.refresh(built.current, sess.series(), state)

    with solara.Card(classes=[f"cs-view-{view.key}", "cs-view"], margin=0):
        # A new shock redraws the chart with its band (a month only patches the data).
        build_key = (run_id.value, shocks_started.value)
        LiveFigure(build, refresh, build_key=build_key, refresh_key=tick.value)
        if view.key == "resilience":
            ShockButtons()


@solara.component
def ShockButtons() -> None:
    def shock(kind: str) -> None:
        try:
            event = _session().shock_now(kind)
        except DashboardError as err:
            message.value = str(err)
            return
        notice.value = f"Month {event.start}: {event.note}."
        shocks_started.value += 1

    with solara.Row(gap="6px", style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text("Shock now:")
        for kind, spec in SHOCKS_NOW.items():
            solara.Button(
                spec.label,
                on_click=functools.partial(shock, kind),
                outlined=True,
                color="error",
                classes=[f"cs-shock-{kind}"],
            )


@solara.component
def NetworkCard() -> None:
    sess = _session()
    layout = solara.use_memo(lambda: views.network_layout(sess.model), [run_id.value])

    built = solara.use_ref(None)

    def build() -> go.Figure:
        built.current = views.network_figure(sess.model, layout, colour_by.value)
        return built.current

    def refresh() -> list:
        if built.current is None:
            return []
        return views.refresh_network(built.current, sess.model, layout, colour_by.value)

    def click(points: list[dict]) -> None:
        for point in points:
            agent = views.drawn_agent(layout, point.get("customdata"))
            if agent is not None:
                selected.value = agent
                return

    with solara.Card(classes=["cs-view-network", "cs-view"], margin=0):
        with solara.ToggleButtonsSingle(value=colour_by, classes=["cs-colour"]):
            for key, text in views.COLOUR_LABELS.items():
                solara.Button(text, value=key, text=True, classes=[f"cs-colour-{key}"])
        LiveFigure(
            build,
            refresh,
            build_key=(run_id.value, colour_by.value),
            refresh_key=tick.value,
            on_click=click,
        )
        Inspector()


@solara.component
def Inspector() -> None:
    tick.value  # noqa: B018
    chosen = selected.value
    with solara.Column(classes=["cs-inspector"]):
        if chosen is None:
            solara.Text("Click a node to see that agent's state.", style={"color": "#555"})
            return
        role, index = chosen
        frame = views.inspect(_session().model, role, index)
        solara.Text(
            f"{role.capitalize()} {index} at month {_session().month}",
            style={"font-weight": "600"},
        )
        # The attributes in words, as every other label on the page.
        frame = frame.assign(attribute=frame["attribute"].map(controls.param_label))
        solara.DataFrame(frame, items_per_page=40)


@solara.component
def RunTab() -> None:
    RunBar()
    with solara.ColumnsResponsive(default=12, large=6, gutters_dense=True):
        for view in views.VIEWS:
            if not view.wide:
                ViewCard(view)
        NetworkCard()
    # Below the half-width cards: a chart whose bars need the page's whole width.
    for view in views.VIEWS:
        if view.wide:
            ViewCard(view)
    Clock()


@solara.component
def Clock() -> None:
    """The frame clock, in its own component: only it re-renders with the month."""
    FrameClock(tick.value, on_drawn=drawn.set)


# ----------------------------------------------------------------------------- compare tab


@solara.component
def LabelledSelect(label: str, items: list[dict[str, str]], value: solara.Reactive) -> None:
    """A dropdown that shows each entry's ``text`` and sets ``value`` to its ``value``."""
    v.Select(label=label, items=items, v_model=value.value, on_v_model=value.set)


@solara.component
def CompareTab() -> None:
    """The tab's body is :mod:`.compare_tab`; reading ``run_id`` re-renders it when the
    sidebar's settings (the base of a lever comparison) change."""
    compare_tab.CompareTab(_session(), presets(), run_id.value)


# ----------------------------------------------------------------------------- workshop tab


@solara.component
def WorkshopTab() -> None:
    steps = workshop.STEPS
    k = min(step_index.value, len(steps) - 1)
    step = steps[k]
    prediction = solara.use_reactive("")
    loop_figure = solara.use_memo(workshop.causal_loop_figure, [])
    solara.use_effect(lambda: prediction.set(""), [k])  # a new step: a new prediction
    with solara.ColumnsResponsive(default=12, large=6, classes=["cs-workshop"]):
        with solara.Column(gap="8px"):
            title = re.sub(r"^\d+\.\s*", "", step.title)
            Prose(f"### Step {k + 1} of {len(steps)}: {title}")
            with solara.Column(classes=["cs-workshop-narrative"]):
                Prose(step.narrative)
            Prose(f"**Predict, then run.** {step.question}")
            v.RadioGroup(
                v_model=prediction.value,
                on_v_model=prediction.set,
                class_="cs-prediction",
                children=[v.Radio(label=choice, value=choice) for choice in step.choices],
            )

            def load(then_play: bool) -> None:
                if load_scenario(step.scenario, dict(step.settings)):
                    tab.value = 0
                    if then_play:
                        speed.value = "fast"
                        playing.value = True

            with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
                solara.Button(
                    "Previous",
                    icon_name="mdi-chevron-left",
                    on_click=lambda: step_index.set(max(k - 1, 0)),
                    disabled=k == 0,
                    classes=["cs-workshop-prev"],
                )
                solara.Button(
                    "Load this step",
                    outlined=True,
                    on_click=lambda: load(False),
                    classes=["cs-workshop-load"],
                )
                solara.Button(
                    "Run it",
                    icon_name="mdi-play",
                    color="primary",
                    on_click=lambda: load(True),
                    classes=["cs-workshop-run"],
                )
                solara.Button(
                    "Next",
                    icon_name="mdi-chevron-right",
                    on_click=lambda: step_index.set(min(k + 1, len(steps) - 1)),
                    disabled=k == len(steps) - 1,
                    classes=["cs-workshop-next"],
                )
            changes = "; ".join(controls.setting_text(n, x) for n, x in step.settings.items())
            scenario = controls.scenario_title(presets()[step.scenario])
            solara.Text(f"Scenario: {scenario}. Settings changed: {changes or 'none'}.")
            with solara.Details("What to notice (for the facilitator)"):
                Prose(step.notice)
        with solara.Column(classes=["cs-loop-diagram"]):
            Figure(loop_figure)
            loops = "\n".join(
                f"- **{name}**: {' → '.join(nodes)} → {nodes[0]} ({workshop.loop_polarity(nodes)})"
                for name, nodes in workshop.LOOPS.items()
            )
            Prose(
                "Each arrow is a mechanism in the model (hover for where it is in the code); "
                "**+** means the two move together, **−** that they move in opposite "
                "directions. Around a loop the signs multiply: a reinforcing loop (R) "
                "amplifies change either way, a virtuous or a vicious circle; a balancing loop "
                f"(B) damps it.\n\n{loops}"
            )


# ----------------------------------------------------------------------------- about tab


ABOUT: str = f"""
**coprod-sim** simulates the co-production of public services: citizens, frontline staff,
commissioners and politicians, each with motivation, trust and self-efficacy, on a social
network, under barriers, risk appetites, policy levers and shocks (Loeffler and Bovaird).

- **Run**: pick a scenario on the left, press *Play*, move a lever and watch the run restart
  with it. *Shock now* starts a shock at the next month.
- **Compare**: two scenarios, or the current settings against several changed levers,
  over several seeds (the differences with their intervals).
- **Workshop**: a guided sequence for facilitators (see `docs/workshop.md`).

The model is stylised: read the numbers as directions and sizes, not forecasts.
{CALIBRATION} Every mechanism is traced to its source in `docs/ODD.md`. Interactive runs are
limited to 20,000 citizens; use `coprod run` or `coprod sweep` for larger ones.
"""
"""The About tab's text (its calibration sentence is shared with the README and the docs)."""


@solara.component
def AboutTab() -> None:
    Prose(ABOUT)


# ----------------------------------------------------------------------------- page


@solara.component
def Page() -> None:
    _session()
    solara.Title(TITLE)
    # Failsafe: no exception reaches the page (the sidebar is rendered by the layout, so it
    # gets one of its own).
    with solara.Sidebar(), Failsafe(where="sidebar"):
        Sidebar()
    with Failsafe(where="page"):
        Messages()  # above the tabs: an upload's problem shows whichever tab is open
        Tabs()


@solara.component
def Tabs() -> None:
    with solara.lab.Tabs(value=tab, lazy=True):
        with solara.lab.Tab("Run", classes=["cs-tab-run"]):
            RunTab()
        with solara.lab.Tab("Compare", classes=["cs-tab-compare"]):
            CompareTab()
        with solara.lab.Tab("Workshop", classes=["cs-tab-workshop"]):
            WorkshopTab()
        with solara.lab.Tab("About", classes=["cs-tab-about"]):
            AboutTab()


__all__ = ["Page"]
