"""ODD §7.7, service performance and public value (001@14087, 001@15682).

Service performance = professional output (available, funded staff, pooled in teams that
cover for absent colleagues, times productivity) plus co-production contributions, against
need. Citizens perceive their team's performance with a personal bias; the shortfall they
perceive prompts co-production (000@12607).

Public value is a balance, reported side by side and never summed (001@14087):
- user value: need met for service users with care needs;
- social value: generalised trust, lifted by collective co-production (social capital);
- economic value: costs saved minus support costs, staff hours and citizens' hours ("using
  up citizens' time is also a cost to society", 003@39028), as a share of the budget;
- governance value: fairness and inclusion of who takes part (1 - dissimilarity between
  participants and the population by education, age and vulnerability; 000@151410).

Reads: budget_level, citizens.generalised_trust, citizens.n, citizens.perception_bias,
    citizens.shortfall, derived.capacity_per_staff, derived.hour_cost, derived.need_by_team,
    derived.representation_cell, derived.representation_share, derived.team_of_citizen,
    derived.team_of_user, episodes.contribution, flows.citizen_hours, flows.economic_value,
    initiatives.lead_staff, initiatives.monthly_cost, initiatives.self_organised,
    initiatives.stage, initiatives.substitutive, membership, output, productivity,
    reference_output, running.economic_value_mean, service_performance, staff.available,
    staff.employed, staff.team
Writes: citizens.shortfall, flows.coproduction_spend, flows.economic_value,
    flows.governance_value, flows.social_value, flows.staff_hours, flows.user_value,
    neighbourhoods.collective_share, neighbourhoods.trust, output, performance_by_team,
    reference_output, running.economic_value_mean, service_performance
"""

from __future__ import annotations

import numpy as np

from ..membership import COLLECTIVE
from ..state import STOPPED, State
from ._common import clip01, neighbourhood_mean
from .events import shock_active
from .offers import support_hours

ADDITIVE_SAVING = 0.5
"""Additive co-delivery saves half its value (it lowers future demand, 000@94308)."""
CITIZEN_HOUR_VALUE = 0.1
"""Shadow price of a citizen hour, as a share of a staff hour's cost."""


def team_output(state: State, contribution: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Professional and co-produced output of each team, in service units."""
    st, ini, derived = state.staff, state.initiatives, state.derived
    n_teams = derived.need_by_team.shape[0]
    on_duty = (st.available & st.employed).astype(np.float64)
    capacity = derived.capacity_per_staff * state.productivity * (0.7 + 0.3 * state.budget_level)
    professional = np.bincount(st.team, weights=on_duty * capacity, minlength=n_teams)
    team_of_initiative = st.team[ini.view("lead_staff")]
    coproduced = np.bincount(team_of_initiative, weights=contribution, minlength=n_teams)
    return professional, coproduced


def dissimilarity(state: State, participant: np.ndarray) -> float:
    """Duncan dissimilarity between participants (a bool mask or indices) and all citizens,
    corrected for chance.

    0 = as representative as a random sample of the same size, 1 = entirely unrepresentative.
    The raw index of a random sample of P from N is about
    ``0.5 * sum(sqrt(2/pi * p(1-p)(1-P/N)/P))`` over cells of population share p; the index
    is rescaled so that this chance level counts as 0, which keeps it comparable across sizes.
    """
    c = state.citizens
    cell = state.derived.representation_cell
    pop = state.derived.representation_share
    part = np.bincount(cell[participant], minlength=24)
    size = int(part.sum())
    if size == 0:
        return 1.0
    raw = 0.5 * float(np.abs(part / size - pop).sum())
    spread = pop * (1.0 - pop) * max(0.0, 1.0 - size / c.n) / size
    chance = 0.5 * float(np.sqrt(2.0 / np.pi * spread).sum())
    if chance >= 1.0:
        return 0.0
    return max(0.0, (raw - chance) / (1.0 - chance))


def step(state: State, params, rng: np.random.Generator) -> None:
    c, ini, derived, fl = state.citizens, state.initiatives, state.derived, state.flows
    contribution = state.episodes.contribution
    professional, coproduced = team_output(state, contribution)
    need_t = derived.need_by_team
    met = np.minimum(professional + coproduced, need_t)
    perf_t = np.divide(met, need_t, out=np.ones_like(need_t), where=need_t > 0)
    state.performance_by_team = perf_t
    state.service_performance = float(met.sum() / need_t.sum())
    perceived = perf_t.take(derived.team_of_citizen) + c.perception_bias  # take: a fast gather
    c.shortfall += 0.3 * (np.clip(1.0 - perceived, 0.0, 1.0) - c.shortfall)
    clip01(c.shortfall)

    # Provider resilience compares output with its level before any shock.
    state.output = state.service_performance
    if state.reference_output == 0.0:
        state.reference_output = state.output
    elif not shock_active(state):
        state.reference_output += 0.1 * (state.output - state.reference_output)

    fl.user_value = float(perf_t[derived.team_of_user].mean())
    held = state.membership.citizen_flags(state)
    coll_share = neighbourhood_mean(state, (held & COLLECTIVE) > 0)
    gt = neighbourhood_mean(state, c.generalised_trust)
    fl.social_value = float((gt * (0.5 + 0.5 * np.minimum(1.0, 5.0 * coll_share))).mean())
    state.neighbourhoods.collective_share = coll_share
    state.neighbourhoods.trust = gt

    budget = c.n * state.budget_level
    hour_cost = derived.hour_cost
    saved = float(
        (contribution * np.where(ini.view("substitutive"), 1.0, ADDITIVE_SAVING)).sum()
    ) / max(state.productivity, 1e-9)
    supported = (ini.view("stage") != STOPPED) & ~ini.view("self_organised")
    spend = float(ini.view("monthly_cost")[supported].sum())
    staff_hours = float(support_hours(state).sum())
    citizen_hours = fl.citizen_hours
    cost = spend + staff_hours * hour_cost + citizen_hours * hour_cost * CITIZEN_HOUR_VALUE
    fl.economic_value = (saved - cost) / budget if budget > 0 else 0.0
    run = state.running
    run.economic_value_mean = 0.9 * run.economic_value_mean + 0.1 * fl.economic_value
    fl.staff_hours = staff_hours
    fl.coproduction_spend = spend
    participant = np.flatnonzero(held != 0)  # a bool array: nonzero runs five times faster
    fl.governance_value = 1.0 - dissimilarity(state, participant)
