"""Property tests: invariants that hold for every valid parameter set.

A hypothesis strategy is built from the schema (``params.PARAMETERS``), so a parameter added to
the schema is exercised here without editing this file. Sizes are kept small and month-valued
settings (shock starts, durations, intervals) inside the short horizon, so that shocks, the Star
programme, governance cycles and elections actually happen within the run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_sim import CoproductionModel, params
from coprod_sim.metrics import CANONICAL, LEVEL_METRICS, METRICS

HORIZON = 24
"""Months each drawn model runs."""

AGE_SHARES = ("share_age_18_34", "share_age_55_74", "share_age_75_plus")
EDUCATION_SHARES = ("share_high_education", "share_low_education")

# Narrower ranges than the schema's, for speed and so that timed things fire in the horizon.
OVERRIDES: dict[str, st.SearchStrategy] = {
    "n_citizens": st.integers(100, 400),
    "steps": st.just(HORIZON),
    "governance_interval": st.integers(1, HORIZON),
    "election_interval": st.integers(1, HORIZON),
    "star_step_months": st.integers(1, 6),
    "burnout_rest": st.integers(1, HORIZON),
}


def _is_month(spec: params.ParamSpec) -> bool:
    return spec.type is int and spec.unit in ("month", "months")


def _strategy(spec: params.ParamSpec) -> st.SearchStrategy:
    if spec.name in OVERRIDES:
        return OVERRIDES[spec.name]
    if spec.choices is not None:
        return st.sampled_from(spec.choices)
    if spec.type is bool:
        return st.booleans()
    if spec.type is int:
        if _is_month(spec):  # shock starts and durations, the Star start
            return st.integers(max(1, int(spec.low)), HORIZON - 2)
        return st.integers(int(spec.low), int(spec.high))
    return st.floats(spec.low, spec.high, allow_nan=False, allow_infinity=False)


def _scale(values: dict, names: tuple[str, ...]) -> None:
    """Scale shares that must add up to at most 1."""
    total = sum(values[n] for n in names)
    if total > 1.0:
        for n in names:
            values[n] = values[n] / total * (1.0 - 1e-9)


@st.composite
def parameter_sets(draw) -> dict:
    values = {spec.name: draw(_strategy(spec)) for spec in params.PARAMETERS}
    _scale(values, AGE_SHARES)
    _scale(values, EDUCATION_SHARES)
    return values


CITIZEN_LEVELS = (
    "self_efficacy",
    "trust",
    "generalised_trust",
    "motivation",
    "fatigue",
    "exploited",
    "expects_response",
    "sat_info",
    "shortfall",
    "risk_appetite",
    "voice_preference",
    "capability",
)
STAFF_LEVELS = ("motivation", "trust", "self_efficacy", "risk_appetite", "resistance")
COMMISSIONER_LEVELS = (
    "motivation",
    "trust",
    "self_efficacy",
    "risk_appetite",
    "budget_share",
    "outcome_based",
    "knowledge",
    "alternative_providers",
    "reputation",
)
POLITICIAN_LEVELS = (
    "motivation",
    "trust",
    "self_efficacy",
    "risk_appetite",
    "support",
    "reputation",
)
LEVELS = {
    "citizens": CITIZEN_LEVELS,
    "staff": STAFF_LEVELS,
    "commissioners": COMMISSIONER_LEVELS,
    "politicians": POLITICIAN_LEVELS,
}

SHARES = LEVEL_METRICS  # every metric without a unit in metrics.UNITS is a share or level
RESILIENCE = ("resilience_user", "resilience_community", "resilience_provider")
RESILIENCE_LINKS = (*RESILIENCE, "resilience_commissioner")


def check_state(model: CoproductionModel) -> list[str]:
    """Every level array of every role lies in [0, 1]; return the violations."""
    problems = []
    for role, names in LEVELS.items():
        arrays = getattr(model.state, role)
        for name in names:
            x = np.asarray(getattr(arrays, name), dtype=np.float64)
            if not np.all(np.isfinite(x)):
                problems.append(f"{role}.{name} has NaN/inf")
            elif x.size and (x.min() < 0.0 or x.max() > 1.0):
                problems.append(f"{role}.{name} outside [0, 1]: [{x.min()!r}, {x.max()!r}]")
    return problems


def check_row(row: dict) -> list[str]:
    """One metrics row is finite and internally consistent; return the violations."""
    problems = [f"{k} = {v!r} is not finite" for k, v in row.items() if not math.isfinite(v)]
    if problems:
        return problems
    for name in SHARES + RESILIENCE_LINKS:
        if not 0.0 <= row[name] <= 1.0:
            problems.append(f"{name} = {row[name]!r} outside [0, 1]")
    any_ = row["participation_any"]
    for name in (
        "participation_co_commissioning",
        "participation_co_design",
        "participation_co_delivery",
        "participation_co_assessment",
        "participation_individual",
        "participation_collective",
    ):
        if row[name] > any_ + 1e-12:
            problems.append(f"{name} = {row[name]!r} > participation_any = {any_!r}")
    either = row["participation_individual"] + row["participation_collective"]
    if any_ > either + 1e-12:
        problems.append(f"participation_any = {any_!r} > individual + collective = {either!r}")
    chain = min(row[name] for name in RESILIENCE_LINKS)
    if row["resilience_chain"] != chain:
        problems.append(f"resilience_chain = {row['resilience_chain']!r} != min of links {chain!r}")
    if not -1.0 <= row["participation_gap_education"] <= 1.0:
        problems.append(f"participation_gap_education = {row['participation_gap_education']!r}")
    for name in ("dark_side_events", "staff_hours", "citizen_hours", "initiatives_live"):
        if row[name] < 0:
            problems.append(f"{name} = {row[name]!r} is negative")
    return problems


def run_and_check(values: dict, seed: int) -> CoproductionModel:
    model = CoproductionModel(rng=seed, **values)
    problems = check_state(model) + check_row(model.current_metrics)
    assert not problems, f"month 0: {problems}"
    while model.running:
        model.step()
        problems = check_state(model) + check_row(model.current_metrics)
        assert not problems, f"month {model.steps}: {problems}"
    assert model.steps == HORIZON
    frame = model.metrics_frame()
    assert len(frame) == HORIZON + 1
    assert set(METRICS) - {"month"} <= set(frame.columns)
    assert np.isfinite(frame[list(CANONICAL)].to_numpy()).all()
    return model


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(values=parameter_sets(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_valid_parameters(values, seed):
    run_and_check(values, seed)


def test_strategy_draws_valid_parameters():
    """The strategy only draws values the schema accepts (else the property test is vacuous)."""

    @settings(max_examples=50, deadline=None, derandomize=True)
    @given(values=parameter_sets())
    def check(values):
        validated = params.validate(values)
        assert set(validated.model_dump()) == set(values)

    check()


# Hand-picked extremes the random draws may miss: every shock at once, early and hard.
EXTREMES = [
    pytest.param(
        {
            "unavailability_share": 0.9,
            "unavailability_start": 2,
            "unavailability_duration": 5,
            "budget_cut_share": 0.9,
            "budget_cut_start": 3,
            "budget_cut_duration": 0,
            "volunteer_call_size": 1.0,
            "volunteer_call_start": 2,
            "scandal": True,
            "scandal_start": 4,
            "restructuring_knowledge_loss": 1.0,
            "restructuring_start": 5,
        },
        id="all-shocks",
    ),
    pytest.param(
        {
            "star_programme": True,
            "star_start": 1,
            "star_step_months": 1,
            "governance_interval": 1,
            "election_interval": 2,
            "staff_feedback": 1.0,
            "staff_training": 1.0,
            "seed_funding": 1.0,
            "participatory_budgeting": 0.2,
            "coproduction_budget_share": 0.5,
            "material_rewards": 1.0,
            "digital_platform": 1.0,
            "matching_capacity": 1000.0,
        },
        id="all-levers",
    ),
    pytest.param(
        {
            **{p.name: 1.0 for p in params.by_group("barriers")},
            "risk_appetite_citizens": 0.0,
            "risk_appetite_staff": 0.0,
            "risk_appetite_commissioners": 0.0,
            "risk_appetite_politicians": 0.0,
            "mean_degree": 0.0,
        },
        id="all-barriers-no-ties",
    ),
    pytest.param(
        {
            "citizens_per_staff": 5000,
            "n_commissioners": 50,
            "n_politicians": 101,
            "neighbourhood_size": 1_000_000,
            "share_vulnerable": 0.0,
            "share_knows_cares": 1.0,
            "employment_rate": 1.0,
            "mean_degree": 200.0,
            "efficacy_gain": 1.0,
            "trust_gain": 1.0,
            "effort_fatigue": 1.0,
            "burnout_threshold": 0.0,
            "willingness_intercept": 10.0,
        },
        id="odd-sizes-max-behaviour",
    ),
]


@pytest.mark.parametrize("overrides", EXTREMES)
def test_invariants_hold_at_extremes(overrides):
    values = {"n_citizens": 300, "steps": HORIZON, **overrides}
    run_and_check(values, seed=7)


def test_checks_catch_violations():
    """The invariant checks themselves can fail."""
    model = CoproductionModel(rng=1, n_citizens=200, steps=HORIZON)
    assert check_state(model) == []
    model.state.staff.trust[0] = 1.5
    model.state.citizens.fatigue[3] = np.nan
    problems = check_state(model)
    assert any("staff.trust outside" in p for p in problems)
    assert any("citizens.fatigue has NaN" in p for p in problems)
    row = dict(model.current_metrics)
    assert check_row(row) == []
    row["participation_co_design"] = row["participation_any"] + 0.1
    row["resilience_chain"] = 2.0
    row["willingness"] = math.inf
    assert check_row(row)
    row["willingness"] = 0.5
    problems = check_row(row)
    assert any("participation_co_design" in p for p in problems)
    assert any("resilience_chain" in p for p in problems)


# ---------------------------------------------------------------------------- engine bugs
# Shocks in the first month: the first step is month 1, so the schema starts months at 1.

SHOCKS_AT_ONE = {
    "unavailability": {"unavailability_share": 0.5, "unavailability_start": 1},
    "budget_cut": {"budget_cut_share": 0.5, "budget_cut_start": 1},
    "volunteer_call": {"volunteer_call_size": 0.5, "volunteer_call_start": 1},
    "scandal": {"scandal": True, "scandal_start": 1},
    "restructuring": {"restructuring_knowledge_loss": 0.5, "restructuring_start": 1},
}


@pytest.mark.parametrize("kind", SHOCKS_AT_ONE)
def test_shock_in_the_first_month_fires(kind):
    model = CoproductionModel(rng=1, n_citizens=300, steps=3, **SHOCKS_AT_ONE[kind])
    model.run_for(3)
    assert any(f"month 1: {kind} starts" in line for line in model.state.events_log)


@pytest.mark.parametrize("kind", SHOCKS_AT_ONE)
def test_shock_at_month_zero_is_rejected(kind):
    start = next(k for k in SHOCKS_AT_ONE[kind] if k.endswith("_start"))
    with pytest.raises(params.ParameterError, match=f"{start}.*allowed: an integer in \\[1, "):
        CoproductionModel(rng=1, n_citizens=300, **{**SHOCKS_AT_ONE[kind], start: 0})


@pytest.mark.parametrize(
    "overrides",
    [
        {"unavailability_share": 0.3, "unavailability_start": 1, "unavailability_duration": 2},
        {"budget_cut_share": 0.3, "budget_cut_start": 1, "budget_cut_duration": 2},
    ],
    ids=["unavailability", "budget_cut"],
)
def test_timed_shock_in_the_first_month_runs(overrides):
    run_and_check({"n_citizens": 200, "steps": HORIZON, **overrides}, seed=1)


@pytest.mark.parametrize(("share", "n_citizens"), [(1.0, 200), (0.9, 500)])
def test_temporary_budget_cut_is_undone(share, n_citizens):
    """A temporary cut, total or not, takes its posts and money for its duration only."""
    model = run_and_check(
        {
            "n_citizens": n_citizens,
            "steps": HORIZON,
            "budget_cut_share": share,
            "budget_cut_start": 2,
            "budget_cut_duration": 3,
        },
        seed=1,
    )
    frame = model.metrics_frame()
    assert frame.loc[1, "paid_staff"] == 1.0
    assert frame.loc[3, "paid_staff"] == pytest.approx(1.0 - share, abs=0.05)
    assert frame.loc[6, "paid_staff"] == 1.0
    assert model.state.budget_level == pytest.approx(1.0)
