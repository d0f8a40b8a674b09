"""ODD §7.3, staff offers: how many places frontline staff offer, and to whom.

Places offered a month = free slack x willingness to offer. Slack is cut by the staff time
shortage ("shortage of staff time may be a much more important barrier to co-production than
shortage of finance", 000@23459) and by output-based 'time and task' management (000@25474),
and freed by outcome-based commissioning. Supporting current co-producers uses slack first
("most co-production initiatives do require extra staff time", 000@23074).

Willingness to offer rises with staff motivation, trust in citizens (000@23915), skill,
incentives (000@23779) and risk appetite, and falls with fear of blame unless a formal risk
framework exists (000@39263), with resistance to losing status or jobs (000@38886) and with
output-based performance management.

Targeting: a share of offers go to citizens who know and care, matched to the mode they
prefer (003@20830, 000@152993, 001@32887); the rest are 'shotgun' offers to anyone in the
caseload.

Reads: budget_level, citizens.cares, citizens.experience, citizens.knows,
    citizens.voice_preference, commissioners.outcome_based, initiatives.age,
    initiatives.crisis, initiatives.digital, initiatives.lead_staff, initiatives.members,
    initiatives.mode, initiatives.n, initiatives.places, initiatives.self_organised,
    initiatives.stage, initiatives.substitutive, membership, policy, staff.available,
    staff.caseload_start, staff.caseload_stop, staff.commissioner, staff.employed,
    staff.hours_used, staff.motivation, staff.n, staff.resistance, staff.risk_appetite,
    staff.self_efficacy, staff.slack, staff.team, staff.trust
Writes: flows.offers, offers, staff.hours_used, staff.slack
"""

from __future__ import annotations

import numpy as np

from ..initiatives import DIGITAL_REACH
from ..state import STOPPED, VOICE_MODES, State
from ._common import logistic

BASE_SLACK_HOURS = 12.0
"""Hours a month a staff member could give co-production with no time shortage."""
HOURS_PER_PLACE = 0.25
"""Staff hours a month to support one co-producer (digital: a third of it)."""
HOURS_PER_OFFER = 1.0
EXPERIENCED_MONTHS = 24.0
APPEAL_RATE = 0.5
"""Monthly offers per open place made by public appeal for substitutive co-delivery."""
SUBSTITUTIVE_SUPPORT = 0.3
"""Share of the usual support hours a substitutive (volunteer-run) place needs."""
TOURNAMENT = 3


def staff_slack(state: State) -> np.ndarray:
    """Hours a month each staff member can give to co-production."""
    pol, st = state.policy, state.staff
    outcome_based = state.commissioners.outcome_based[st.commissioner]
    slack = (
        BASE_SLACK_HOURS
        * (1.0 - 0.8 * pol.staff_time_shortage)
        * (1.0 - 0.5 * pol.output_based_management * (1.0 - outcome_based))
        * (1.0 + 0.8 * outcome_based)
        * (0.6 + 0.4 * min(state.budget_level, 1.0))
    )
    return slack * (st.available & st.employed)


def willingness_to_offer(state: State) -> np.ndarray:
    """Probability-like propensity of each staff member to offer a place."""
    pol, st = state.policy, state.staff
    fear = (1.0 - st.risk_appetite) * (0.3 if pol.risk_framework else 1.0)
    outcome_based = state.commissioners.outcome_based[st.commissioner]
    z = (
        1.2
        + 2.0 * (st.motivation - 0.5)
        + 2.0 * (st.trust - 0.5)
        + 1.5 * (st.self_efficacy - 0.5)
        + 2.0 * pol.staff_incentives
        - 1.5 * fear
        - 2.5 * st.resistance
        - 1.5 * pol.output_based_management * (1.0 - outcome_based)
    )
    return logistic(z)


def open_places(state: State) -> np.ndarray:
    """Places open to offers in each initiative (0 for stopped, unstarted or unstaffed ones)."""
    ini, st = state.initiatives, state.staff
    lead = ini.view("lead_staff")
    staffed = st.available[lead] & st.employed[lead]
    recruiting = (
        (ini.view("stage") != STOPPED)
        & (ini.view("age") >= 0)
        & ~ini.view("self_organised")
        & ~ini.view("crisis")
        & staffed
    )
    return np.where(recruiting, np.maximum(ini.view("places") - ini.view("members"), 0), 0)


def support_hours(state: State) -> np.ndarray:
    """Hours each staff member spends this month supporting current co-producers.

    Experienced co-producers need less support: they build their own and others'
    co-production capacity (003@40608).
    """
    ini, c = state.initiatives, state.citizens
    _, cit, k = state.membership.active_entries(state)
    need = 1.0 - 0.5 * np.minimum(c.experience[cit] / EXPERIENCED_MONTHS, 1.0)
    per_initiative = np.bincount(k, weights=need, minlength=ini.n)
    supported = (ini.view("stage") != STOPPED) & ~ini.view("self_organised")
    per_place = HOURS_PER_PLACE * np.where(ini.view("digital"), 1 / 3, 1.0)
    # Substitutive co-delivery is volunteer-run: one librarian for 102 volunteers (000@134564).
    per_place = per_place * np.where(ini.view("substitutive"), SUBSTITUTIVE_SUPPORT, 1.0)
    hours = per_initiative * per_place * supported
    return np.bincount(ini.view("lead_staff"), weights=hours, minlength=state.staff.n)


def team_caseload_draws(
    state: State, initiative: np.ndarray, rng: np.random.Generator, per_offer: int = 1
) -> np.ndarray:
    """Random citizens from the caseloads of each initiative's team, shape (m,) or
    (m, per_offer)."""
    st = state.staff
    team = st.team[state.initiatives.view("lead_staff")[initiative]]
    first = np.searchsorted(st.team, team)
    last = np.searchsorted(st.team, team, side="right") - 1
    start = st.caseload_start[first]
    size = st.caseload_stop[last] - start
    m = initiative.shape[0]
    u = rng.random((m, per_offer))
    draws = start[:, None] + (u * size[:, None]).astype(np.int64)
    return draws[:, 0] if per_offer == 1 else draws


def _targets(state: State, initiative: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Citizens offered a place: drawn from the caseloads of the initiative's team."""
    cit = state.citizens
    m = initiative.shape[0]
    draws = team_caseload_draws(state, initiative, rng, TOURNAMENT)
    matched = rng.random(m) < state.policy.targeting
    # 'Know and care' matching: pick the best of a few candidates (000@152993), with the
    # voice/action fit of the mode (001@32887).
    voice = VOICE_MODES[state.initiatives.view("mode")[initiative]]
    pref = cit.voice_preference[draws]
    fit = np.where(voice[:, None], pref, 1.0 - pref)
    score = 2.0 * (cit.knows[draws] & cit.cares[draws]) + fit
    best = draws[np.arange(m), np.argmax(score, axis=1)]
    return np.where(matched, best, draws[:, 0])


def step(state: State, params, rng: np.random.Generator) -> None:
    """Draw this month's offers into ``state.offers`` as (citizen, initiative) arrays.

    Staff work in teams: a team pools its free slack and offers places in its members'
    initiatives to citizens in the team's caseloads.
    """
    st, ini = state.staff, state.initiatives
    st.slack = staff_slack(state)
    st.hours_used = support_hours(state)
    n_teams = int(st.team[-1]) + 1
    free = np.maximum(
        np.bincount(st.team, weights=st.slack - st.hours_used, minlength=n_teams), 0.0
    )
    propensity = np.bincount(
        st.team, weights=st.slack * willingness_to_offer(state), minlength=n_teams
    )
    slack = np.bincount(st.team, weights=st.slack, minlength=n_teams)
    mean_propensity = np.divide(propensity, slack, out=np.zeros(n_teams), where=slack > 0)
    rate = free / HOURS_PER_OFFER * mean_propensity
    open_k = open_places(state)
    team_k = st.team[ini.view("lead_staff")]
    open_by_team = np.bincount(team_k, weights=open_k, minlength=n_teams)
    share = np.divide(open_k, open_by_team[team_k], out=np.zeros(ini.n), where=open_k > 0)
    reach = np.where(ini.view("digital"), DIGITAL_REACH, 1.0)
    lam = rate[team_k] * share * reach
    # Services handed over to volunteers recruit by public appeal, not by frontline offers
    # (UK libraries: volunteers doubled while paid staff fell, 000@136443).
    lam = lam + np.where(ini.view("substitutive"), APPEAL_RATE * open_k, 0.0)
    n_offers = np.minimum(rng.poisson(lam), 3 * open_k)
    initiative = np.repeat(np.arange(ini.n), n_offers)
    citizen = _targets(state, initiative, rng)
    state.offers = (citizen, initiative)
    state.flows.offers = float(initiative.shape[0])
