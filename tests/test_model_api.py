"""Mesa integration of CoproductionModel: data collection, running, agents, batch_run,
determinism, snapshots, the network views and scenarios."""

from __future__ import annotations

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from coprod_sim import (
    CANONICAL,
    METRICS,
    Citizen,
    Commissioner,
    CoproductionModel,
    Politician,
    Scenario,
    Staff,
    params,
)
from coprod_sim.agents import AGENT_CLASSES
from coprod_sim.model import MetricsCollector

N = 300


def small(rng: int = 1, **kwargs) -> CoproductionModel:
    return CoproductionModel(rng=rng, **{"n_citizens": N, **kwargs})


@pytest.fixture(scope="module")
def run_model() -> CoproductionModel:
    """A small model run for 6 months (read-only in the tests that share it)."""
    model = small(rng=11, steps=6)
    model.run_for(6)
    return model


# ---------------------------------------------------------------------------- data collection


def test_datacollector_has_every_canonical_metric():
    model = CoproductionModel(rng=1)
    reporters = model.datacollector.model_reporters
    missing = [name for name in CANONICAL if name not in reporters]
    assert not missing, f"canonical metrics not collected: {missing}"
    assert set(METRICS) <= set(reporters)


def test_month_zero_is_collected_at_construction():
    model = small()
    frame = model.metrics_frame()
    assert list(frame.index) == [0]
    assert set(CANONICAL) <= set(frame.columns)


@pytest.mark.parametrize("n", [1, 4])
def test_run_for_advances_steps_and_collects_rows(n):
    model = small(steps=10)
    model.run_for(n)
    assert model.steps == n
    assert model.month == n
    frame = model.metrics_frame()
    assert len(frame) == n + 1
    assert list(frame.index) == list(range(n + 1))
    assert frame.index.name == "month"
    assert frame.index.dtype.kind == "i"
    model.run_for(2)
    assert model.steps == n + 2
    assert len(model.metrics_frame()) == n + 3


def test_running_stops_at_steps_param():
    model = small(steps=5)
    assert model.running
    calls = 0
    while model.running:
        model.step()
        calls += 1
        assert calls <= 5, "model kept running past its steps parameter"
    assert calls == 5
    assert model.steps == 5
    assert len(model.metrics_frame()) == 6


def test_current_metrics_match_last_row(run_model):
    last = run_model.metrics_frame().iloc[-1]
    for name in CANONICAL:
        assert last[name] == run_model.current_metrics[name], name


# ---------------------------------------------------------------------------- agents


def test_agents_are_built_for_every_role():
    model = small(n_commissioners=4, n_politicians=7, citizens_per_staff=30)
    s = model.state
    by_type = model.agents_by_type
    assert len(by_type[Citizen]) == N == s.citizens.n
    assert len(by_type[Staff]) == s.staff.n == 10
    assert len(by_type[Commissioner]) == 4
    assert len(by_type[Politician]) == 7
    assert len(model.agents) == N + 10 + 4 + 7
    assert set(model.agent_types) == set(AGENT_CLASSES)
    indices = sorted(a.index for a in by_type[Citizen])
    assert indices == list(range(N))


def test_agg_equals_array_mean(run_model):
    citizens = run_model.agents_by_type[Citizen]
    arrays = run_model.state.citizens
    for attr in ("self_efficacy", "trust", "motivation", "fatigue", "generalised_trust"):
        got = citizens.agg(attr, np.mean)
        assert got == pytest.approx(getattr(arrays, attr).mean(), rel=1e-12, abs=1e-15)
    staff = run_model.agents_by_type[Staff]
    assert staff.agg("trust", np.mean) == pytest.approx(run_model.state.staff.trust.mean())
    assert staff.agg("trust", np.mean) == pytest.approx(
        run_model.current_metrics["trust_staff_in_citizens"]
    )


def test_select(run_model):
    citizens = run_model.agents_by_type[Citizen]
    vulnerable = citizens.select(lambda a: a.vulnerable)
    assert len(vulnerable) == int(run_model.state.citizens.vulnerable.sum())
    assert all(a.vulnerable for a in vulnerable)
    assert len(citizens.select(at_most=10)) == 10


def test_groupby_attribute_and_lambda(run_model):
    citizens = run_model.agents_by_type[Citizen]
    arrays = run_model.state.citizens
    counts = citizens.groupby("vulnerable").count()
    assert counts == {True: int(arrays.vulnerable.sum()), False: int((~arrays.vulnerable).sum())}
    means = citizens.groupby("vulnerable").agg("trust", np.mean)
    assert means[True] == pytest.approx(arrays.trust[arrays.vulnerable].mean())
    by_age = citizens.groupby(lambda a: a.age_band).count()
    assert set(by_age) <= {"18-34", "35-54", "55-74", "75+"}
    assert sum(by_age.values()) == N
    for band, count in by_age.items():
        code = ("18-34", "35-54", "55-74", "75+").index(band)
        assert count == int((arrays.age_band == code).sum())


def test_setting_a_level_writes_through_to_the_array():
    model = small()
    citizen = model.agents_by_type[Citizen].to_list()[0]
    i = citizen.index
    citizen.trust = 0.9
    assert model.state.citizens.trust[i] == 0.9
    assert citizen.trust == 0.9
    model.state.citizens.self_efficacy[i] = 0.25  # and the other way round
    assert citizen.self_efficacy == 0.25
    staff = model.agents_by_type[Staff].to_list()[0]
    staff.motivation = 0.1
    assert model.state.staff.motivation[staff.index] == 0.1
    politician = model.agents_by_type[Politician].to_list()[0]
    politician.horizon = 60.0  # months, not a level
    assert model.state.politicians.horizon[politician.index] == 60.0


@pytest.mark.parametrize("value", [1.5, -0.1])
@pytest.mark.parametrize("cls", AGENT_CLASSES, ids=lambda c: c.__name__)
def test_setting_a_level_out_of_range_raises(cls, value):
    model = small()
    agent = model.agents_by_type[cls].to_list()[0]
    before = agent.trust
    with pytest.raises(ValueError, match="trust"):
        agent.trust = value
    assert agent.trust == before


def test_read_only_attributes_cannot_be_set():
    model = small()
    citizen = model.agents_by_type[Citizen].to_list()[0]
    with pytest.raises(AttributeError):
        citizen.vulnerable = True  # type: ignore[misc]


@pytest.mark.parametrize("cls", AGENT_CLASSES, ids=lambda c: c.__name__)
def test_every_agent_class_exposes_the_common_levels(cls):
    model = small()
    agents = model.agents_by_type[cls]
    assert len(agents) >= 1
    role = cls._role
    for attr in ("motivation", "trust", "self_efficacy", "risk_appetite"):
        values = np.array([getattr(a, attr) for a in agents])
        assert np.array_equal(values, getattr(getattr(model.state, role), attr))
        assert ((values >= 0) & (values <= 1)).all()


def test_agent_writes_change_the_simulation():
    """The agents are views: editing them changes what the engine computes next."""
    a, b = small(rng=5, steps=3), small(rng=5, steps=3)
    for agent in a.agents_by_type[Citizen]:
        agent.self_efficacy = 1.0
    a.run_for(1)
    b.run_for(1)
    fa, fb = a.metrics_frame(), b.metrics_frame()
    assert fa.loc[1, "self_efficacy_citizens"] > fb.loc[1, "self_efficacy_citizens"]


# ---------------------------------------------------------------------------- batch_run


def test_batch_run():
    results = mesa.batch_run(
        CoproductionModel,
        {"n_citizens": 200, "staff_feedback": [0.1, 0.9]},
        max_steps=6,
        rng=[1, 2],
        display_progress=False,
    )
    assert len(results) == 4
    assert sorted(r["staff_feedback"] for r in results) == [0.1, 0.1, 0.9, 0.9]
    for row in results:
        missing = [name for name in CANONICAL if name not in row]
        assert not missing, missing
        assert row["n_citizens"] == 200
        assert row["Step"] == 6
        assert all(np.isfinite(row[name]) for name in CANONICAL)
    # The runs differ by seed and by parameter (the parameters reach the model).
    signatures = {tuple(row[name] for name in CANONICAL) for row in results}
    assert len(signatures) == 4


# ---------------------------------------------------------------------------- determinism


def _run(rng, **kwargs):
    model = small(rng=rng, steps=8, **kwargs)
    model.run_for(8)
    return model


def test_same_seed_same_results():
    kwargs = {"volunteer_call_size": 0.3, "volunteer_call_start": 3, "scandal": True}
    a, b = _run(7, **kwargs), _run(7, **kwargs)
    assert_frame_equal(a.metrics_frame(), b.metrics_frame(), check_exact=True)
    assert_frame_equal(a.agent_snapshot(), b.agent_snapshot(), check_exact=True)
    assert a.state.events_log == b.state.events_log


def test_agent_views_do_not_change_results():
    """Building the Mesa agents and the space draws nothing from the engine's rng."""
    a = small(rng=3, steps=5)
    b = small(rng=3, steps=5)
    _ = b.agents_by_type[Citizen]
    _ = b.space
    a.run_for(5)
    b.run_for(5)
    assert_frame_equal(a.metrics_frame(), b.metrics_frame(), check_exact=True)


def test_numpy_generator_seed():
    a = small(rng=np.random.default_rng(42), steps=4)
    b = small(rng=np.random.default_rng(42), steps=4)
    a.run_for(4)
    b.run_for(4)
    assert_frame_equal(a.metrics_frame(), b.metrics_frame(), check_exact=True)


def test_different_seed_different_results():
    a, b = _run(7), _run(8)
    fa, fb = a.metrics_frame(), b.metrics_frame()
    assert not fa[list(CANONICAL)].equals(fb[list(CANONICAL)])
    assert not np.array_equal(a.state.citizens.self_efficacy, b.state.citizens.self_efficacy)


# ---------------------------------------------------------------------------- outputs


def test_agent_snapshot_is_tidy(run_model):
    snap = run_model.agent_snapshot()
    s = run_model.state
    assert isinstance(snap, pd.DataFrame)
    sizes = {
        "citizen": s.citizens.n,
        "staff": s.staff.n,
        "commissioner": s.commissioners.n,
        "politician": s.politicians.n,
    }
    assert len(snap) == sum(sizes.values())
    assert "role" in snap.columns
    assert snap["role"].value_counts().to_dict() == sizes
    assert not snap.duplicated(["role", "index"]).any()
    assert snap.index.is_unique
    for role, n in sizes.items():
        assert list(snap.loc[snap["role"] == role, "index"]) == list(range(n))
    for col in ("motivation", "trust", "self_efficacy", "risk_appetite"):
        assert snap[col].notna().all(), col
        assert snap[col].between(0, 1).all(), col
    citizens = snap[snap["role"] == "citizen"]
    assert np.array_equal(citizens["trust"].to_numpy(), s.citizens.trust)
    assert citizens["fatigue"].notna().all()
    assert snap.loc[snap["role"] != "citizen", "fatigue"].isna().all()


def test_network_graph(run_model):
    graph = run_model.network_graph()
    adjacency = run_model.state.network.adjacency
    assert isinstance(graph, nx.Graph) and not graph.is_directed()
    assert graph.number_of_nodes() == N
    assert set(graph.nodes) == set(range(N))
    assert graph.number_of_edges() == adjacency.nnz // 2
    assert nx.number_of_selfloops(graph) == 0
    degrees = np.array([d for _, d in sorted(graph.degree())])
    assert np.array_equal(degrees, run_model.state.network.degree.astype(int))
    assert run_model.network_graph() is graph  # built once


def test_space_is_a_mesa_network(run_model):
    space = run_model.space
    assert isinstance(space, mesa.discrete_space.Network)
    assert len(list(space.all_cells)) == N
    network = run_model.state.network
    for i in (0, 17, N - 1):
        agents = space[i].agents
        assert len(agents) == 1
        assert isinstance(agents[0], Citizen) and agents[0].index == i
        assert len(list(space[i].neighborhood)) == network.degree[i]


@pytest.mark.parametrize("kind", params.PARAMS_BY_NAME["network_kind"].choices)
def test_every_network_kind_builds_and_runs(kind):
    model = small(network_kind=kind, steps=4)
    model.run_for(4)
    frame = model.metrics_frame()
    assert len(frame) == 5
    assert np.isfinite(frame[list(CANONICAL)].to_numpy()).all()
    graph = model.network_graph()
    assert graph.number_of_nodes() == N
    assert graph.number_of_edges() > 0


# ---------------------------------------------------------------------------- scenarios


def test_scenario_passes_through():
    model = CoproductionModel(scenario=Scenario(staff_feedback=0.5), rng=3)
    assert model.params.staff_feedback == 0.5
    assert model.state.policy.staff_feedback == 0.5
    assert model.scenario.staff_feedback == 0.5


def test_kwargs_override_the_scenario():
    scenario = Scenario(staff_feedback=0.5, staff_training=0.4, n_citizens=N)
    model = CoproductionModel(scenario=scenario, rng=3, staff_feedback=0.8)
    assert model.params.staff_feedback == 0.8
    assert model.params.staff_training == 0.4
    assert model.params.n_citizens == N


def test_scenario_mapping_and_its_seed():
    model = CoproductionModel(scenario={"staff_feedback": 0.6, "n_citizens": N}, rng=3)
    assert model.params.staff_feedback == 0.6
    # A Scenario's own rng is used when no rng is passed.
    a = CoproductionModel(scenario=Scenario(rng=9, n_citizens=N, steps=3))
    b = small(rng=9, steps=3)
    a.run_for(3)
    b.run_for(3)
    assert_frame_equal(a.metrics_frame(), b.metrics_frame(), check_exact=True)


def test_scenario_events_fire():
    scenario = Scenario(
        n_citizens=N,
        events=[{"kind": "budget_cut", "start": 2, "share": 0.5}],
    )
    model = CoproductionModel(scenario=scenario, rng=3)
    model.run_for(3)
    paid = model.metrics_frame()["paid_staff"]
    assert paid.loc[1] == 1.0
    assert paid.loc[2] == pytest.approx(0.5, abs=0.1)
    assert any("budget_cut starts" in line for line in model.state.events_log)


# ---------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_hundred_thousand_citizens():
    model = CoproductionModel(rng=1, n_citizens=100_000, steps=3)
    while model.running:
        model.step()
    assert model.steps == 3
    frame = model.metrics_frame()
    assert len(frame) == 4
    assert np.isfinite(frame[list(CANONICAL)].to_numpy()).all()
    assert model.state.citizens.n == 100_000
    assert model.state.staff.n == 2_000


def test_initiatives_frame_is_tidy_and_matches_the_holdings():
    model = CoproductionModel(rng=2, n_citizens=500)
    model.run_for(24)
    frame = model.initiatives_frame()
    assert len(frame) == model.state.initiatives.n
    assert set(frame["mode"].cat.categories) == {
        "co_commissioning",
        "co_design",
        "co_delivery",
        "co_assessment",
    }
    held = model.state.citizens.initiative_of
    counts = np.bincount(held[held >= 0], minlength=len(frame))
    assert np.array_equal(frame["members"].to_numpy(), counts)
    assert (frame["members"] <= frame["places"]).all()


def test_the_collector_stores_the_metrics_rows_as_mesa_would():
    """The fast collector (no reporter calls, no deep copies) stores exactly what Mesa's
    DataCollector stores with the same reporters."""
    model = CoproductionModel(rng=4, n_citizens=300, steps=6)
    mesa_collector = mesa.DataCollector(model_reporters=dict(model.datacollector.model_reporters))
    mesa_collector.collect(model)
    for _ in range(6):
        model.step()
        mesa_collector.collect(model)
    assert_frame_equal(
        model.datacollector.get_model_vars_dataframe(),
        mesa_collector.get_model_vars_dataframe(),
    )


def test_the_collector_falls_back_to_mesa_for_other_reporters():
    """Given agent reporters or a model reporter that is not a metric, the collector collects
    as Mesa's does."""
    model = CoproductionModel(rng=4, n_citizens=200, steps=3)
    collector = MetricsCollector(
        model_reporters={"twice_willingness": lambda m: 2 * m.current_metrics["willingness"]},
        agent_reporters={"trust": "trust"},
    )
    model.step()
    collector.collect(model)
    frame = collector.get_model_vars_dataframe()
    assert frame["twice_willingness"].iloc[0] == 2 * model.current_metrics["willingness"]
    agents = collector.get_agent_vars_dataframe()
    assert len(agents) == len(model.agents)
