"""The Compare tab's page: the form, the runs in a background thread, and the results.

The logic lives in :mod:`coprod_sim.dashboard.compare`; this module only lays it out. The
results on show are always those of the form as it is: each result remembers the form it was
run for, and any change of the form (or of the settings in the sidebar, the base of a lever
comparison) clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import solara
import solara.lab
from solara.alias import rv as v

from .. import params, runs
from ..scenario import Scenario
from . import compare, controls
from .failsafe import FAILURE_MESSAGE, failure_message
from .session import BASELINE, RUN_SLOTS, CompareStopped, DashboardError, Session
from .widgets import Figure, Prose, literal

SCENARIOS = "two scenarios"
LEVERS = "changed levers"

TABLE_CSS = """
.cs-compare-table { overflow-x: auto; }
.cs-compare-table table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
.cs-compare-table th, .cs-compare-table td {
  padding: 3px 8px; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
.cs-compare-table th { background: #f5f5f5; font-weight: 600; }
.cs-compare-table td.num { text-align: right; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
"""
"""Every row of the table on one page: 36 rows read better whole than in pages of ten."""

# Reactive variables are per browser tab in a Solara server.
mode = solara.reactive(SCENARIOS)
first_name = solara.reactive(BASELINE)
second_name = solara.reactive("feedback_loop_closed")
lever_rows: solara.Reactive[tuple[tuple[str, float], ...]] = solara.reactive(
    (("staff_training", 0.8),)
)
seeds: solara.Reactive[Any] = solara.reactive(compare.DEFAULT_SEEDS)
layout = solara.reactive("overlaid")
progress = solara.reactive(0.0)
problem = solara.reactive("")


@dataclass(frozen=True, eq=False)
class Outcome:
    """A finished comparison and the form it was run for."""

    form: tuple
    spec: compare.CompareSpec
    results: runs.Results
    table: pd.DataFrame


def form_of(session: Session) -> tuple:
    """Everything a comparison depends on: the form's inputs, and in lever mode the current
    settings and seed (the base of both sides)."""
    base: tuple = (session.seed,)
    if mode.value == LEVERS:
        base += (session.label, tuple(sorted(session.values.items())), len(session.shocks))
    return (mode.value, first_name.value, second_name.value, lever_rows.value, seeds.value, base)


def spec_of(session: Session, presets: Mapping[str, Scenario]) -> compare.CompareSpec:
    """The form as a :class:`~coprod_sim.dashboard.compare.CompareSpec` (raises
    :class:`~coprod_sim.dashboard.session.DashboardError` for bad input)."""
    if mode.value == SCENARIOS:
        first, second = presets[first_name.value], presets[second_name.value]
        return compare.two_scenarios(first, second, session.seed, seeds.value)
    return compare.lever_changes(session.current, lever_rows.value, session.seed, seeds.value)


@solara.lab.task(prefer_threaded=True)
def run_compare(spec: compare.CompareSpec, form: tuple, session: Session) -> Outcome:
    """Both sides over every seed, in a thread: the page stays live while they run. The
    caller has taken ``session``'s slot in :data:`~.session.RUN_SLOTS`; it is given back
    here, however the runs end."""
    progress.value = 0.0

    def on_step(done: int, total: int) -> None:
        if session.closed.is_set():  # the tab closed: free the core and the memory now
            raise CompareStopped
        # Every 5%: each change re-renders the progress bar.
        percent = 100.0 * done / total
        if done == total or percent - progress.value >= 5:
            progress.value = percent

    try:
        results = compare.run(spec, on_step)
    finally:
        RUN_SLOTS.release(id(session))
    return Outcome(form, spec, results, compare.difference_table(results))


def start_compare(session: Session, presets: Mapping[str, Scenario], form: tuple) -> None:
    """Check the form and take a run slot (both raise
    :class:`~coprod_sim.dashboard.session.DashboardError`), then start the runs."""
    spec = spec_of(session, presets)
    RUN_SLOTS.acquire(id(session))
    run_compare(spec, form, session)


def _set_row(k: int, name: str | None, value: float | None, values: Mapping[str, Any]) -> None:
    """Change row ``k``'s lever (its value starts at the current setting) or its value."""
    rows = list(lever_rows.value)
    old_name = rows[k][0]
    if name is not None and name != old_name:
        rows[k] = (name, float(values[name]))
    elif value is not None:
        rows[k] = (old_name, float(value))
    lever_rows.value = tuple(rows)


def _add_row(values: Mapping[str, Any]) -> None:
    used = {name for name, _ in lever_rows.value}
    free = [name for name in compare.LEVERS if name not in used]
    if free:
        lever_rows.value = (*lever_rows.value, (free[0], float(values[free[0]])))


def _remove_row(k: int) -> None:
    rows = list(lever_rows.value)
    if len(rows) > 1:
        del rows[k]
        lever_rows.value = tuple(rows)


@solara.component
def LeverRows(values: Mapping[str, Any]) -> None:
    """One row per changed lever (add and remove rows): which lever, its new value, and its
    value now."""
    rows = lever_rows.value
    used = {name for name, _ in rows}
    with solara.Column(gap="4px", classes=["cs-levers"]):
        for k, (name, value) in enumerate(rows):
            spec = params.PARAMS_BY_NAME[name]
            choices = [n for n in compare.LEVERS if n == name or n not in used]
            with solara.Row(
                gap="12px",
                style={"align-items": "center", "flex-wrap": "wrap"},
                classes=["cs-lever-row"],
            ):
                v.Select(
                    label="Lever",
                    items=[{"text": compare.lever_label(n), "value": n} for n in choices],
                    v_model=name,
                    on_v_model=lambda new, k=k: _set_row(k, new, None, values),
                    style_="max-width: 320px; min-width: 240px",
                    class_="cs-lever-name",
                )
                with solara.Column(
                    gap="0px", style={"min-width": "260px"}, classes=["cs-lever-value"]
                ):
                    solara.SliderFloat(
                        "new value",
                        value=float(value),
                        min=float(spec.low),
                        max=float(spec.high),
                        step=compare.lever_step(name),
                        on_value=lambda new, k=k: _set_row(k, None, new, values),
                    )
                solara.Text(
                    f"{value:g} (now {values[name]:g})",
                    style={"color": "#555", "min-width": "90px"},
                    classes=["cs-lever-shown"],
                )
                solara.Button(
                    icon_name="mdi-close",
                    icon=True,
                    on_click=lambda k=k: _remove_row(k),
                    disabled=len(rows) == 1,
                    classes=["cs-lever-remove"],
                )
        solara.Button(
            "Add a lever",
            icon_name="mdi-plus",
            outlined=True,
            on_click=lambda: _add_row(values),
            disabled=len(used) == len(compare.LEVERS),
            classes=["cs-lever-add"],
            style={"align-self": "flex-start"},
        )


def _set_seeds(value: Any) -> None:
    seeds.value = value
    try:
        compare.check_seeds(value)
    except DashboardError as err:
        problem.value = str(err)
        return
    problem.value = ""


@solara.component
def CompareTab(session: Session, presets: Mapping[str, Scenario], version: int) -> None:
    """The Compare tab; ``version`` changes with the sidebar's settings (the base of a lever
    comparison), which re-renders it."""
    form = form_of(session)
    outcome = run_compare.value if run_compare.finished else None
    current = outcome if outcome is not None and outcome.form == form else None
    solara.Style(TABLE_CSS)
    with solara.Column(gap="8px", classes=["cs-compare"]):
        Prose(
            "Compare two scenarios, or the current settings (A) against the same settings with "
            "**several levers changed at once** (B). Both sides run over the same seeds for "
            "their whole horizon, so each seed gives one paired difference."
        )
        solara.ToggleButtonsSingle(value=mode, values=[SCENARIOS, LEVERS], classes=["cs-mode"])
        if mode.value == SCENARIOS:
            with solara.Row(gap="12px", style={"flex-wrap": "wrap"}):
                for label, chosen in (("A (reference)", first_name), ("B", second_name)):
                    # Each preset by its title, as in the sidebar; its name is the value.
                    v.Select(
                        label=label,
                        items=controls.preset_items(presets),
                        v_model=chosen.value,
                        on_v_model=chosen.set,
                        style_="min-width: 280px; flex: 1",
                    )
        else:
            Prose(f"A: the current settings (**{literal(session.label)}**). B: A with")
            LeverRows(session.values)

        def start() -> None:
            try:
                start_compare(session, presets, form)
            except DashboardError as err:
                problem.value = str(err)
                return
            problem.value = ""

        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputInt(
                f"Seeds per side (1-{compare.MAX_SEEDS})",
                value=seeds.value,
                on_value=_set_seeds,
                continuous_update=False,
                classes=["cs-compare-seeds"],
                style={"max-width": "180px"},
            )
            solara.Button(
                "Run both",
                on_click=start,
                color="primary",
                disabled=run_compare.pending,
                classes=["cs-compare-run"],
            )
            solara.ToggleButtonsSingle(value=layout, values=["overlaid", "side by side"])
        if problem.value:
            solara.Error(problem.value, classes=["cs-compare-error"])
        if run_compare.pending:
            CompareProgress()
        if run_compare.error:
            CompareFailed(run_compare.exception)
        if current is not None:
            CompareResults(current)
        elif outcome is not None:
            solara.Text(
                "The form or the settings changed: press Run both to compare them.",
                style={"color": "#555"},
                classes=["cs-compare-cleared"],
            )


@solara.component
def CompareFailed(error: BaseException | None) -> None:
    """A failed comparison: its traceback goes to the server log (once), never to the page."""
    solara.use_memo(lambda: error is not None and failure_message(error, "compare"), [error])
    solara.Error(f"Compare failed. {FAILURE_MESSAGE}", classes=["cs-compare-failed"])


@solara.component
def CompareProgress() -> None:
    """In its own component: only it re-renders as the runs progress."""
    solara.ProgressLinear(value=progress.value)
    solara.Text(f"Running… {progress.value:.0f}%", classes=["cs-compare-progress"])


@solara.component
def CompareResults(outcome: Outcome) -> None:
    """The table of differences, the intervals and the bands of both sides."""
    a, b = compare.side_labels(outcome.results)
    spec = outcome.spec
    overlaid = layout.value == "overlaid"

    rows = solara.use_memo(
        lambda: compare.band_figures(outcome.results, per_side=not overlaid),
        [id(outcome), overlaid],
    )
    intervals = solara.use_memo(
        lambda: compare.interval_figure(outcome.table, spec.seeds), [id(outcome)]
    )
    last = spec.seed + spec.seeds - 1
    seeds_text = f"seed {spec.seed}" if spec.seeds == 1 else f"seeds {spec.seed}-{last}"
    with solara.Column(classes=["cs-compare-results"]):
        Prose(
            f"**A** (reference): {literal(a)}. **B**: {literal(b)}. Both over {seeds_text}, "
            f"{spec.reference.steps} months."
        )
        Prose(
            "**Final month: means over the seeds and the difference B − A**, largest "
            f"relative difference first. {compare.interval_note(spec.seeds)}"
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=compare.table_html(outcome.table),
            classes=["cs-compare-table"],
        )
        with solara.Column(classes=["cs-compare-intervals"]):
            Figure(intervals)
        Prose(f"Month by month: {compare.BAND_NOTE}")
        with solara.Column(classes=["cs-compare-bands"]):
            if overlaid:
                with solara.ColumnsResponsive(default=12, large=6):
                    for row in rows:
                        Figure(row[0])
            else:
                for row in rows:
                    with solara.ColumnsResponsive(default=12, large=6):
                        for label, fig in zip((a, b), row, strict=True):
                            with solara.Column():
                                Prose(f"**{literal(label)}**")
                                Figure(fig)


__all__ = ["CompareTab", "Outcome", "form_of", "run_compare", "spec_of", "start_compare"]
