"""Build the synthetic population, the organisation and the network (ODD element 5).

Everything is drawn from the ``rng`` passed in, in a fixed order, so the same parameters and
seed give the same population. Neighbourhoods differ in deprivation, which shapes education,
employment, vulnerability and digital access, so that the model has the spatial
heterogeneity that the chapters' surveys describe (000@8804: co-production may worsen
socio-economic inequalities).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import network as network_mod
from .initiatives import categorical, new_initiatives
from .state import (
    NEVER,
    NO_INITIATIVE,
    PILOT,
    SCALED,
    Citizens,
    Commissioners,
    Derived,
    Initiatives,
    Politicians,
    Running,
    Staff,
    State,
    Totals,
)
from .targets import (
    commissioner_appetite,
    information_target,
    politician_appetite,
    politician_horizon,
    staff_appetite,
    staff_skill_target,
    staff_trust_target,
)

TEAM_SIZE = 5
"""Staff per team: teams pool professional output and cover for absent colleagues."""

NEED_BASE, NEED_VULNERABLE = 1.0, 2.0
"""Monthly need in service units: every citizen, plus extra for those with care needs."""

BASELINE_COVER = 0.8
"""Share of need that professional capacity meets at full strength."""
STAFF_SHARE_OF_BUDGET = 0.7
STAFF_HOURS_PER_MONTH = 140.0


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0, out=x)


def _levels(rng: np.random.Generator, mean: np.ndarray | float, sd: float, n: int):
    return _clip(mean + sd * rng.standard_normal(n))


def neighbourhood_layout(n: int, size: int) -> tuple[int, np.ndarray]:
    """Balanced contiguous neighbourhoods: citizen i lives in i * K // n."""
    k = max(1, round(n / size))
    return k, (np.arange(n, dtype=np.int64) * k // n).astype(np.int32)


def build_citizens(p: SimpleNamespace, n_staff: int, rng: np.random.Generator):
    n = p.n_citizens
    k, nb = neighbourhood_layout(n, p.neighbourhood_size)
    deprivation = rng.beta(2.0, 2.0, k)[nb]
    d = deprivation - 0.5
    ages = np.array(
        [
            p.share_age_18_34,
            max(0.0, 1.0 - p.share_age_18_34 - p.share_age_55_74 - p.share_age_75_plus),
            p.share_age_55_74,
            p.share_age_75_plus,
        ]
    )
    total = ages.sum()
    age_band = categorical(rng, ages / total if total > 0 else np.full(4, 0.25), n)
    u = rng.random(n)
    p_low = np.clip(p.share_low_education * (1.0 + 1.2 * d), 0, 1)
    p_high = np.clip(p.share_high_education * (1.0 - 1.2 * d), 0, 1)
    education = np.where(u < p_low, 0, np.where(u > 1.0 - p_high, 2, 1)).astype(np.int8)
    working = np.array([1.0, 1.0, 0.5, 0.0])[age_band]
    employed = rng.random(n) < np.clip(p.employment_rate * working * (1.0 - 0.4 * d), 0, 1)
    female = rng.random(n) < 0.51
    age_need = np.array([0.6, 0.8, 1.2, 2.5])[age_band]
    vulnerable = rng.random(n) < np.clip(p.share_vulnerable * age_need * (1.0 + 0.8 * d), 0, 1)
    age_offline = np.array([0.5, 0.7, 1.4, 2.5])[age_band]
    edu_offline = np.array([1.4, 1.0, 0.6])[education]
    no_access = p.digital_exclusion * age_offline * edu_offline * (1.0 + 0.8 * d)
    digital_access = rng.random(n) >= np.clip(no_access, 0, 1)
    root = np.sqrt(p.share_knows_cares)
    knows = rng.random(n) < np.clip(root * (1.0 + 0.5 * vulnerable), 0, 1)
    cares = rng.random(n) < root
    voice_preference = _levels(rng, 0.5 + np.array([-0.1, 0.0, 0.15])[education], 0.2, n)
    capability = _levels(
        rng, 0.55 + np.array([-0.1, 0.0, 0.1])[education] - 0.15 * vulnerable, 0.15, n
    )
    perception_bias = 0.1 * rng.standard_normal(n)
    # Political self-efficacy: the barrier shifts the whole distribution (000@9598).
    se0 = _levels(
        rng, 0.55 - 0.35 * p.low_self_efficacy + np.array([-0.05, 0, 0.05])[education], 0.15, n
    )
    trust0 = _levels(rng, 0.65 - 0.4 * p.low_trust_in_staff, 0.15, n)
    gt0 = _levels(rng, 0.65 - 0.4 * p.low_generalised_trust - 0.2 * d, 0.15, n)
    motivation = _levels(rng, 0.55, 0.15, n)
    risk_appetite = _levels(rng, p.risk_appetite_citizens, 0.1, n)
    sat_info = _levels(rng, information_target(p), 0.1, n)
    caseload_staff = (np.arange(n, dtype=np.int64) * n_staff // n).astype(np.int32)
    zeros = np.zeros(n)
    citizens = Citizens(
        age_band=age_band,
        education=education,
        employed=employed,
        female=female,
        vulnerable=vulnerable,
        digital_access=digital_access,
        neighbourhood=nb,
        knows=knows,
        cares=cares,
        voice_preference=voice_preference,
        capability=capability,
        perception_bias=perception_bias,
        caseload_staff=caseload_staff,
        self_efficacy=se0.copy(),
        trust=trust0.copy(),
        generalised_trust=gt0.copy(),
        motivation=motivation,
        fatigue=zeros.copy(),
        exploited=zeros.copy(),
        expects_response=_levels(rng, 0.6, 0.1, n),
        sat_info=sat_info,
        shortfall=np.full(n, 0.25),
        risk_appetite=risk_appetite,
        experience=zeros.copy(),
        rest=np.zeros(n, dtype=np.int16),
        unanswered=zeros.copy(),
        last_individual=np.full(n, NEVER, dtype=np.int32),
        last_collective=np.full(n, NEVER, dtype=np.int32),
        initiative_of=np.full((4, n), NO_INITIATIVE, dtype=np.int32),
        waiting=np.zeros(n, dtype=bool),
        willingness=zeros.copy(),
        success=zeros.copy(),
        failure=zeros.copy(),
        self_efficacy0=se0,
        trust0=trust0,
        generalised_trust0=gt0,
    )
    return citizens, k


def build_staff(p: SimpleNamespace, n_staff: int, n_citizens: int, rng: np.random.Generator):
    s = n_staff
    starts = -(-np.arange(s, dtype=np.int64) * n_citizens // s)  # ceil(s * N / S)
    stops = np.concatenate([starts[1:], [n_citizens]])
    return Staff(
        motivation=_levels(rng, 0.5, 0.1, s),
        trust=_levels(rng, staff_trust_target(p), 0.1, s),
        self_efficacy=_levels(rng, staff_skill_target(p), 0.1, s),
        risk_appetite=_levels(rng, staff_appetite(p), 0.1, s),
        resistance=_levels(rng, p.staff_resistance, 0.1, s),
        slack=np.zeros(s),
        available=np.ones(s, dtype=bool),
        employed=np.ones(s, dtype=bool),
        commissioner=(np.arange(s) * p.n_commissioners // s).astype(np.int32),
        team=(np.arange(s) // TEAM_SIZE).astype(np.int32),
        caseload_start=starts,
        caseload_stop=stops,
        hours_used=np.zeros(s),
    )


def build_commissioners(p: SimpleNamespace, rng: np.random.Generator) -> Commissioners:
    c = p.n_commissioners
    return Commissioners(
        motivation=_levels(rng, 0.5, 0.1, c),
        trust=_levels(rng, 0.5, 0.1, c),
        self_efficacy=_levels(rng, 0.5, 0.1, c),
        risk_appetite=_levels(rng, commissioner_appetite(p), 0.05, c),
        budget_share=np.full(c, p.coproduction_budget_share),
        outcome_based=np.full(c, p.outcome_based_commissioning),
        knowledge=np.full(c, p.knowledge_retention),
        alternative_providers=np.full(c, p.alternative_providers),
        reputation=np.full(c, 0.7),
    )


def build_politicians(p: SimpleNamespace, rng: np.random.Generator) -> Politicians:
    k = p.n_politicians
    return Politicians(
        motivation=_levels(rng, 0.5, 0.1, k),
        trust=_levels(rng, 0.6, 0.1, k),
        self_efficacy=_levels(rng, 0.5, 0.1, k),
        risk_appetite=_levels(rng, politician_appetite(p), 0.05, k),
        support=_levels(rng, 0.5, 0.1, k),
        horizon=np.full(k, politician_horizon(p)),
        reputation=np.full(k, 0.7),
        tenure=np.zeros(k, dtype=np.int32),
    )


def need_per_citizen(citizens: Citizens) -> np.ndarray:
    return NEED_BASE + NEED_VULNERABLE * citizens.vulnerable


def build(params, rng: np.random.Generator) -> State:
    """Build the whole initial state from validated parameters."""
    p = SimpleNamespace(**params.model_dump()) if hasattr(params, "model_dump") else params
    n = p.n_citizens
    n_staff = max(1, round(n / p.citizens_per_staff))
    citizens, k = build_citizens(p, n_staff, rng)
    staff = build_staff(p, n_staff, n, rng)
    commissioners = build_commissioners(p, rng)
    politicians = build_politicians(p, rng)
    net = network_mod.build(
        p.network_kind,
        citizens.neighbourhood,
        k,
        p.mean_degree,
        p.long_tie_share,
        p.low_social_connectedness,
        rng,
    )
    n_init = round(p.initiatives_per_staff * n_staff)
    initiatives = Initiatives(capacity=max(64, 4 * n_init))
    lead = rng.integers(0, n_staff, n_init).astype(np.int32)
    # Existing co-production (Map it reveals it, 000@67620): half already scaled.
    scaled = rng.random(n_init) < 0.5
    for stage, mask in ((PILOT, ~scaled), (SCALED, scaled)):
        new_initiatives((initiatives, staff, citizens), p, lead[mask], rng, stage=stage)
    n_teams = int(staff.team.max()) + 1
    need = need_per_citizen(citizens)
    team_of_citizen = staff.team[citizens.caseload_staff]
    need_by_team = np.bincount(team_of_citizen, weights=need, minlength=n_teams)
    nb_sizes = np.bincount(citizens.neighbourhood, minlength=k)
    pref = citizens.voice_preference
    # Cells for the representativeness of participants (education x age x vulnerability).
    cell = (citizens.education.astype(np.int64) * 4 + citizens.age_band) * 2 + citizens.vulnerable
    users = np.flatnonzero(citizens.vulnerable) if citizens.vulnerable.any() else np.arange(n)
    derived = Derived(
        representation_cell=cell,
        representation_share=np.bincount(cell, minlength=24) / n,
        # Users whose value and resilience are measured: the vulnerable (all if none).
        users=users,
        team_of_user=team_of_citizen[users],
        high_education=citizens.education == 2,
        low_education=citizens.education == 0,
        knows_and_cares=(citizens.knows & citizens.cares).astype(np.float64),
        best_fit=np.maximum(pref, 1.0 - pref) - 0.5,
        nb_sizes=nb_sizes,
        nb_starts=np.concatenate([[0], np.cumsum(nb_sizes)[:-1]]),
        need=need,
        team_of_citizen=team_of_citizen,
        need_by_team=need_by_team,
        # Staff capacity covers BASELINE_COVER of need: a shortfall exists (000@12607).
        capacity_per_staff=BASELINE_COVER * need.sum() / n_staff,
        hour_cost=STAFF_SHARE_OF_BUDGET * n / n_staff / STAFF_HOURS_PER_MONTH,
    )
    state = State(
        citizens=citizens,
        staff=staff,
        commissioners=commissioners,
        politicians=politicians,
        initiatives=initiatives,
        network=net,
        policy=SimpleNamespace(**vars(p)),
        n_neighbourhoods=k,
        derived=derived,
        totals=Totals(),
        running=Running(),
        performance_by_team=np.ones(n_teams),
    )
    return state
