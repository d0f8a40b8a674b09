"""The dashboard's logic without a browser: session actions, uploads, exports, compare, views.

The browser tests (tests/browser) drive the same actions through the page.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from coprod_sim import metrics, params, report, scenario, scenario_files
from coprod_sim.dashboard import session, views
from coprod_sim.model import CoproductionModel


@pytest.fixture
def sess() -> session.Session:
    return session.Session(scenario_files.load("baseline"))


def _run(sess: session.Session, months: int) -> dict[str, np.ndarray]:
    sess.step(months)
    return sess.series()


def test_starts_on_the_baseline_at_month_0(sess):
    assert sess.scenario.name == "baseline"
    assert sess.seed == 0
    assert sess.month == 0
    assert sess.horizon == 120
    assert sess.label == "baseline"
    sess.step(3)
    assert sess.month == 3
    assert len(sess.series()["resilience_chain"]) == 4


def test_step_stops_at_the_horizon(sess):
    sess.set_value("steps", 4)
    sess.step(10)
    assert sess.month == 4 and sess.finished


def test_a_changed_setting_restarts_on_the_same_seed_and_matches_a_fresh_model(sess):
    sess.step(5)
    sess.set_value("staff_training", 0.9)
    assert sess.month == 0
    assert sess.label == "baseline (changed)"
    got = _run(sess, 12)["participation_any"]
    model = CoproductionModel(
        scenario=scenario_files.load("baseline").replace(staff_training=0.9), rng=0
    )
    for _ in range(12):
        model.step()
    np.testing.assert_array_equal(got, model.metrics_frame()["participation_any"].to_numpy())
    sess.set_value("staff_training", scenario_files.load("baseline").staff_training)
    assert sess.edits == {}  # back to the scenario's value: no longer an edit


def test_bad_settings_are_refused_and_the_run_goes_on(sess):
    sess.step(2)
    model = sess.model
    with pytest.raises(session.DashboardError, match=r"staff_training.*\[0, 1\]"):
        sess.set_value("staff_training", 7)
    with pytest.raises(session.DashboardError, match="at most 20,000"):
        sess.set_value("n_citizens", 20_001)
    with pytest.raises(session.DashboardError, match="did you mean 'staff_training'"):
        sess.set_value("staff_trainin", 0.5)
    assert sess.model is model and sess.month == 2 and sess.edits == {}


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", str(scenario_files.MAX_SEED + 1)])
def test_bad_seeds_are_refused(sess, bad):
    with pytest.raises(session.DashboardError, match="seed: value"):
        sess.set_seed(bad)
    assert sess.seed == 0


def test_seed_from_text(sess):
    sess.set_seed(" 12 ")
    assert sess.seed == 12 and sess.model.scenario.rng == 12


def test_shock_now_starts_next_month_and_dips_the_provider_link(sess):
    control = session.Session(scenario_files.load("baseline"))
    sess.step(6)
    control.step(6)
    event = sess.shock_now("unavailability")
    assert event.start == 7 and event.share == 0.5
    sess.step(3)
    control.step(3)
    shocked, calm = sess.series(), control.series()
    assert shocked["resilience_provider"][-1] < calm["resilience_provider"][-1] - 0.1
    # the chain is the weakest link: over the shock months it is no stronger than without the
    # shock (one month alone is at the mercy of the community link's noise at 1,000 citizens)
    assert shocked["resilience_chain"][-3:].mean() < calm["resilience_chain"][-3:].mean()
    assert any("unavailability starts" in line for line in sess.model.state.events_log)


def test_shock_now_refuses_unknown_kinds_and_finished_runs(sess):
    with pytest.raises(session.DashboardError, match="allowed: unavailability"):
        sess.shock_now("meteor")
    sess.set_value("steps", 2)
    sess.step(2)
    with pytest.raises(session.DashboardError, match="horizon"):
        sess.shock_now("budget_cut")


def test_exported_toml_loads_back_and_reproduces_the_run_with_its_shock(sess):
    sess.set_value("charter", True)
    sess.step(4)
    sess.shock_now("budget_cut")
    sess.step(4)
    text = sess.toml().decode()
    loaded = scenario_files.loads(text, source="exported.toml")
    assert loaded.parameters() == sess.values
    assert loaded.charter is True
    assert [e.kind for e in loaded.events] == ["budget_cut"]
    assert "Changed in the dashboard: charter" in loaded.description
    again = CoproductionModel(scenario=loaded)
    for _ in range(8):
        again.step()
    np.testing.assert_array_equal(
        again.metrics_frame()["paid_staff"].to_numpy(), sess.series()["paid_staff"]
    )


def test_exported_csv_is_the_tidy_time_series(sess):
    sess.step(5)
    frame = pd.read_csv(io.BytesIO(sess.csv()))
    assert len(frame) == 6
    assert list(frame.columns[:4]) == ["scenario", "replication", "seed", "month"]
    assert set(metrics.CANONICAL) <= set(frame.columns)
    assert frame["month"].tolist() == list(range(6))


# ------------------------------------------------------------------------------ uploads


def _upload(text: str | bytes, name: str = "mine.toml") -> scenario.Scenario:
    data = text.encode() if isinstance(text, str) else text
    return session.read_upload(name, len(data), lambda: data)


def test_a_good_upload_loads():
    sc = _upload('title = "Mine"\nextends = "baseline"\n[parameters]\nstaff_training = 0.7\n')
    assert sc.title == "Mine" and sc.staff_training == 0.7


def test_an_upload_of_an_edited_preset_does_not_pass_for_the_preset():
    sess = session.Session(scenario_files.load("baseline"))
    sess.set_value("staff_training", 1.0)
    sc = _upload(sess.toml(), name="baseline.toml")
    assert sc.name == "baseline (uploaded)" and sc.staff_training == 1.0


def test_an_oversized_upload_is_refused_before_it_is_read():
    def never() -> bytes:
        raise AssertionError("read an oversized file")

    with pytest.raises(session.DashboardError, match=r"big\.toml.*at most 262,144 bytes"):
        session.read_upload("big.toml", session.MAX_UPLOAD_BYTES + 1, never)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("[parameters]\nstaff_training = 7\n", r"mine\.toml.*staff_training.*\[0, 1\]"),
        ("[parameters\n", r"mine\.toml.*line 1"),
        ("[parameters]\nstaf_training = 0.5\n", "did you mean 'staff_training'"),
        ('extends = "../../etc/passwd"\n', r"key 'extends'.*allowed: a preset name"),
        ('extends = "/etc/hosts"\n', r"key 'extends'.*allowed: a preset name"),
        ("[parameters]\nn_citizens = 50000\n", "at most 20,000"),
    ],
)
def test_bad_uploads_name_the_file_key_and_allowed_values(text, pattern):
    with pytest.raises(session.DashboardError, match=pattern):
        _upload(text)


def test_a_binary_upload_is_refused():
    with pytest.raises(session.DashboardError, match="not UTF-8"):
        _upload(b"\xff\xfe\x00bad")


def test_an_upload_name_is_never_a_path():
    with pytest.raises(session.DashboardError, match=r"^passwd\.toml"):
        _upload("[parameters]\nstaff_training = 7\n", name="/etc/passwd.toml")


# ------------------------------------------------------------------------------ views


def _apply(fig: go.Figure, ops: list) -> None:
    """Apply restyle operations as plotly.js does in the browser."""
    for update, traces in ops:
        for key, values in update.items():
            for i, value in zip(traces, values, strict=True):
                fig.data[i].update({key: value} if "." not in key else {"marker": {"color": value}})


def test_live_views_refresh_in_place(sess):
    ts, agents = sess.timeseries(), sess.agents()
    figures = [views.live_figure(v, ts, agents, sess.horizon) for v in views.VIEWS]
    before = figures[-1].data[0].y  # the 'who takes part' bars
    sess.step(24)
    for view, fig in zip(views.VIEWS, figures, strict=True):
        state = sess.model.state if view.uses_agents else None
        _apply(fig, views.refresh(fig, sess.series(), state))
        lines = [t for t in fig.data if isinstance(t.meta, str) and t.meta in sess.series()]
        assert lines, view.key
        for trace in lines:
            assert len(trace.y) == 25
            np.testing.assert_allclose(trace.y, np.round(sess.series()[trace.meta], 5))
        for xaxis, _ in report.time_panels(fig):  # the month axes only (not the bars')
            assert fig.layout["xaxis" + xaxis[1:]].range == (0, 120), (view.key, xaxis)
    bars = figures[-1].data[0].y
    assert not np.array_equal(bars, before)
    # the same numbers as the report's pandas version
    table = report.participation_by_group(sess.agents())
    np.testing.assert_allclose(bars, np.round(table["share"].to_numpy(), 5))


def test_network_draws_everyone_when_small_and_a_stated_sample_when_large():
    small = session.Session(scenario_files.load("baseline"))
    layout = views.network_layout(small.model)
    assert len(layout.citizens) == 1000 and layout.note == "all 1,000 citizens"
    big = session.Session(scenario_files.load("baseline").replace(n_citizens=5000))
    layout = views.network_layout(big.model)
    assert len(layout.citizens) <= views.MAX_NODES
    assert "sample of" in layout.note and "5,000" in layout.note
    hood = big.model.state.citizens.neighbourhood
    for h in np.unique(hood[layout.citizens]):  # whole neighbourhoods
        assert np.isin(np.flatnonzero(hood == h), layout.citizens).all()
    again = views.network_layout(
        session.Session(scenario_files.load("baseline").replace(n_citizens=5000)).model
    )
    np.testing.assert_array_equal(layout.xy, again.xy)  # seeded


def test_network_figure_has_one_trace_per_role_with_inspectable_points(sess):
    layout = views.network_layout(sess.model)
    fig = views.network_figure(sess.model, layout, "self_efficacy")
    roles = [t.meta for t in fig.data[1:]]
    assert roles == list(views.ROLE_STYLE)
    counts = {t.meta: len(t.x) for t in fig.data[1:]}
    s = sess.model.state
    assert counts == {
        "citizen": s.citizens.n,
        "staff": s.staff.n,  # every staff member serves someone drawn
        "commissioner": s.commissioners.n,
        "politician": s.politicians.n,
    }
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    citizens = fig.data[1]
    assert citizens.customdata[5].tolist() == ["citizen", 5]
    sess.step(12)
    _apply(fig, views.refresh_network(fig, sess.model, layout, "self_efficacy"))
    np.testing.assert_allclose(
        fig.data[1].marker.color, np.round(sess.model.state.citizens.self_efficacy, 4)
    )
    assert views.drawn_agent(layout, ["staff", 3]) == ("staff", 3)
    assert views.drawn_agent(layout, None) is None
    assert views.drawn_agent(layout, ["mayor", 1]) is None


@pytest.mark.parametrize("role", list(views.AGENT_CLASS))
def test_inspector_reads_the_agent_through_mesa(sess, role):
    frame = views.inspect(sess.model, role, 0)
    names = set(frame["attribute"])
    assert {"motivation", "trust", "self_efficacy", "risk_appetite"} <= names
    assert not names & {"random", "rng", "scenario"}
    value = frame.set_index("attribute").loc["self_efficacy", "value"]
    arrays = getattr(sess.model.state, views.AGENT_CLASS[role]._role)
    assert value == round(float(arrays.self_efficacy[0]), 3)


def test_every_parameter_group_has_a_panel():
    from coprod_sim.dashboard import app

    assert tuple(app.GROUP_TITLES) == params.GROUPS
    assert {p.group for p in params.PARAMETERS} <= set(app.GROUP_TITLES)


# ------------------------------------------------------------------- fields, caps, closing


@pytest.mark.parametrize("typed", ["abc", "1e9", "20000.5", "", "5", "-3"])
def test_every_rejected_citizens_entry_names_the_field_value_and_range(typed):
    spec = params.PARAMS_BY_NAME["n_citizens"]
    with pytest.raises(session.DashboardError) as err:
        session.check_count("n_citizens", typed)
    assert str(err.value) == (
        f"n_citizens: value {typed!r} is not allowed; allowed: an integer in "
        f"[{int(spec.low)}, {session.MAX_CITIZENS}]"
    )


@pytest.mark.parametrize("typed", ["abc", "1e3", ""])
def test_every_rejected_seed_entry_names_the_field_and_value(typed):
    with pytest.raises(session.DashboardError, match=rf"^seed: value {typed!r} is not allowed"):
        session.check_seed(typed)


def test_too_many_citizens_typed_says_how_to_run_them():
    with pytest.raises(session.DashboardError, match=r"value 20,001 is too many.*coprod run"):
        session.check_count("n_citizens", "20001")


def test_a_typed_whole_number_is_accepted_as_it_is():
    assert session.check_count("n_citizens", " 2000 ") == 2000
    assert session.check_count("n_citizens", str(session.MAX_CITIZENS)) == session.MAX_CITIZENS


def test_one_comparison_at_a_time_per_session_and_a_server_limit():
    slots = session.RunSlots(limit=2)
    slots.acquire("tab 1")
    with pytest.raises(session.DashboardError, match="already running in this session"):
        slots.acquire("tab 1")
    slots.acquire("tab 2")
    with pytest.raises(
        session.DashboardError, match=r"2 comparisons are running.*at most 2 at once"
    ):
        slots.acquire("tab 3")
    assert slots.in_flight == 2
    slots.release("tab 1")
    slots.acquire("tab 3")  # a freed slot serves the next session
    assert slots.in_flight == 2


def test_the_server_runs_as_many_comparisons_at_once_as_it_has_cores():
    import os

    assert max(2, os.cpu_count() or 1) == session.MAX_RUNS_IN_FLIGHT == session.RUN_SLOTS.limit


def test_a_closed_tab_stops_its_comparison_and_gives_back_its_slot():
    from coprod_sim.dashboard import compare, compare_tab

    small = scenario_files.load("baseline").replace(n_citizens=50, steps=6)
    tab_session = session.Session(small)
    spec = compare.two_scenarios(small, small.replace(name="b"), 0, 2)
    session.RUN_SLOTS.acquire(id(tab_session))
    tab_session.closed.set()  # what the page's close hook does
    with pytest.raises(session.CompareStopped):
        compare_tab.run_compare.function(spec, (), tab_session)
    assert id(tab_session) not in session.RUN_SLOTS._owners
    session.RUN_SLOTS.acquire(id(tab_session))  # free again
    session.RUN_SLOTS.release(id(tab_session))


def test_the_close_hook_marks_the_session_closed_and_collects_its_memory(monkeypatch):
    from coprod_sim.dashboard import app

    collected = []
    monkeypatch.setattr(app, "CLOSE_GRACE_S", 0.0)
    monkeypatch.setattr(app, "release_memory", lambda: collected.append(True))
    tab_session = app._session()
    close = app._on_session_start()
    close()
    assert tab_session.closed.is_set()
    import time

    deadline = time.monotonic() + 5
    while not collected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert collected == [True]


def test_playing_sessions_share_the_servers_time_evenly():
    pacer = session.PlayPacer(share=0.5, first_cost=0.05)
    tabs = [object() for _ in range(20)]
    pacer.start(tabs[0])
    # One tab alone plays at the speed it asked for, and is told nothing.
    assert pacer.interval(0.3) == 0.3
    assert pacer.note(0.3) == ""
    for tab in tabs[1:]:
        pacer.start(tab)
    # Twenty at once, 50 ms a redraw: each redraws every 2 s, so together they take half the
    # server's time.
    assert pacer.interval(0.3) == pytest.approx(2.0)
    assert pacer.interval(5.0) == 5.0  # a slower speed than the share stays as it is
    assert "20 sessions are playing" in pacer.note(0.3) and "2.0 s" in pacer.note(0.3)
    # Redraws that turn out dearer (a slower machine, a larger model) space the tabs further.
    for _ in range(50):
        pacer.record(0.2)
    assert pacer.redraw_cost == pytest.approx(0.2, rel=1e-3)
    assert pacer.interval(0.3) == pytest.approx(8.0, rel=1e-3)
    pacer.record(-1.0)  # a clock step backwards counts as free, never as negative time
    assert pacer.redraw_cost > 0
    for tab in tabs[1:]:
        pacer.stop(tab)
    pacer.stop(tabs[1])  # stopping twice is harmless
    assert pacer.playing == 1 and pacer.interval(1.0) == 1.0
