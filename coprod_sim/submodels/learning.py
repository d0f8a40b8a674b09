"""ODD §7.2, learning: the virtuous and vicious circles.

Citizens
- self-efficacy rises after a success that is made visible (staff feedback, 000@10732;
  storytelling, 000@86458: "a positive past experience of having made a difference ... will
  increase political self-efficacy", 000@11846), falls after a failure by more than a success
  raises it (000@9739), rises vicariously with neighbours' successes (003@176819), rises a
  little with good service performance (000@12949, P3), and relaxes slowly otherwise;
- trust in staff needs positive experience (002@21863) and falls after failures (002@22476),
  unanswered voice (000@17862), overt monitoring (000@146978) and long unanswered
  willingness; generalised trust grows with collective successes and community development
  (000@55965);
- effort adds fatigue, heavier for vulnerable citizens; past a threshold a citizen burns out
  and rests (000@138113-138516); peer support lightens the load (000@127912);
- feeling exploited grows in substitutive co-delivery under budget pressure ('dumped',
  000@42467), with being pressed into more and more (000@127598) and with free riders
  (000@40148); it lowers motivation. Material rewards help simple tasks and crowd out
  motivation on complex ones (000@95232, 000@95722).

Staff: motivation follows citizens' intensity (003@135407); trust in citizens follows their
caseload's successes ("trust clearly needs to be mutual", 000@21410); skill grows by doing
and by training; resistance rises when co-delivery substitutes for paid hours (000@38886).
Risk appetites knocked down by scandals relax back toward their settings.

Reads: budget_level, citizens.capability, citizens.expects_response, citizens.experience,
    citizens.exploited, citizens.fatigue, citizens.generalised_trust,
    citizens.generalised_trust0, citizens.motivation, citizens.n, citizens.rest,
    citizens.sat_info, citizens.self_efficacy, citizens.self_efficacy0, citizens.shortfall,
    citizens.success, citizens.trust, citizens.trust0, citizens.unanswered,
    citizens.vulnerable, commissioners.alternative_providers, commissioners.knowledge,
    commissioners.reputation, commissioners.risk_appetite, episodes.collective_failure,
    episodes.collective_success, episodes.complex_task, episodes.effort, episodes.failure,
    episodes.heard, episodes.n_modes, episodes.participants, episodes.substitutive,
    episodes.success, episodes.unheard, initiatives.lead_staff, initiatives.members,
    initiatives.places, initiatives.self_organised, initiatives.stage,
    initiatives.substitutive, initiatives.success, membership, neighbour_active,
    neighbour_success, network, policy, politicians.reputation, politicians.risk_appetite,
    running.voice_record, staff.employed, staff.motivation, staff.n, staff.resistance,
    staff.risk_appetite, staff.self_efficacy, staff.trust
Writes: citizens.expects_response, citizens.experience, citizens.exploited,
    citizens.fatigue, citizens.generalised_trust, citizens.motivation, citizens.rest,
    citizens.sat_info, citizens.self_efficacy, citizens.trust,
    commissioners.alternative_providers, commissioners.knowledge, commissioners.reputation,
    commissioners.risk_appetite, flows.burnouts, neighbour_active, neighbour_success,
    neighbourhoods.capacity, participation_caches.peer, politicians.reputation,
    politicians.risk_appetite, staff.motivation, staff.resistance, staff.risk_appetite,
    staff.self_efficacy, staff.trust
"""

from __future__ import annotations

import numpy as np

from ..network import neighbour_means
from ..parallel import concurrently
from ..state import STOPPED, State
from ..targets import (
    commissioner_appetite,
    information_target,
    politician_appetite,
    staff_appetite,
    staff_skill_target,
    staff_trust_target,
)
from ._common import clip01

VICARIOUS_GAIN = 0.03
BASE_MOTIVATION = 0.55
FATIGUE_RECOVERY = 0.15


EXPECTATION_DRIFT = 0.03
"""Monthly drift of citizens' expectation of a response toward the council's record."""


def update_neighbourhood_signals(state: State) -> None:
    """One sparse product: neighbours' mean activity and success (word of mouth, vicarious
    learning and user resilience read these)."""
    c = state.citizens
    active = state.membership.citizen_flags(state) > 0
    # Only participants (and those who succeeded before burning out) have nonzero values.
    rows = np.flatnonzero(active | (c.success != 0.0))
    columns = (active.astype(np.float64), c.success, active * c.capability)
    y = neighbour_means(state.network, columns, rows)
    state.neighbour_active = y[0]
    state.participation_caches.peer = None
    state.neighbour_success = y[1]
    state.neighbourhoods.capacity = y[2]


def _citizens(state: State, success: np.ndarray, active: np.ndarray) -> None:
    """Citizens learn. Terms that everyone feels (vicarious learning from the neighbours'
    ``success`` and ``active`` share of last month, performance, relaxation) act on all N
    citizens; the month's episodes act on the participants only. Both parts are computed from
    the levels at the start of the month (a simultaneous update). Each part changes its own
    levels and reads none that another part changes (fatigue, which can release citizens
    from their places, runs before: see :func:`step`)."""
    _self_efficacy(state, success)
    _trust(state)
    _generalised_trust(state, active)
    _motivation(state)
    _expectations(state)


def _loss_scale(state: State) -> float:
    return 0.5 if state.policy.risk_strategy == "risk_reduction" else 1.0


def _self_efficacy(state: State, neighbour_success: np.ndarray) -> None:
    c, pol, ep = state.citizens, state.policy, state.episodes
    part, s, f = ep.participants, ep.success, ep.failure
    relax = pol.relaxation
    se = c.self_efficacy
    sp = se[part]
    d_part = (
        pol.efficacy_gain * (0.3 + 0.7 * pol.staff_feedback) * s * (1.0 - sp)
        - pol.efficacy_loss * _loss_scale(state) * f * sp
        - 0.02 * ep.unheard * sp
    )
    rate = relax
    if pol.risk_strategy == "resilience_building":  # faster recovery after failure
        rate = np.where(se < c.self_efficacy0, 3.0 * relax, relax)
    vicarious = VICARIOUS_GAIN * (1.0 + pol.peer_support) * neighbour_success
    se += (
        vicarious * (1.0 - se)
        + pol.performance_efficacy_gain * (0.5 - c.shortfall)
        + rate * (c.self_efficacy0 - se)
    )
    se[part] += d_part
    clip01(se)


def _trust(state: State) -> None:
    c, pol, ep = state.citizens, state.policy, state.episodes
    part, s, f, unheard = ep.participants, ep.success, ep.failure, ep.unheard
    relax = pol.relaxation
    t = c.trust
    tp = t[part]
    d_part = (
        pol.trust_gain * (s + 0.5 * ep.heard) * (1.0 - tp)
        - pol.trust_loss * (f * _loss_scale(state) + unheard) * tp
        - 0.03 * pol.overt_monitoring * tp
    )
    t += relax * (c.trust0 - t) - 0.002 * (c.unanswered > 6) * t
    t[part] += d_part
    clip01(t)


def _generalised_trust(state: State, neighbour_active: np.ndarray) -> None:
    c, pol, ep = state.citizens, state.policy, state.episodes
    part = ep.participants
    relax = pol.relaxation
    gt = c.generalised_trust
    gp = gt[part]
    d_part = 0.5 * pol.trust_gain * ep.collective_success * (1.0 - gp) - (
        0.5 * pol.trust_loss * _loss_scale(state) * ep.collective_failure * gp
    )
    growth = 0.004 * pol.community_development + 0.01 * pol.peer_support * neighbour_active
    gt += growth * (1.0 - gt) + relax * (c.generalised_trust0 - gt)
    gt[part] += d_part
    clip01(gt)


def _motivation(state: State) -> None:
    """Motivation and feeling exploited (which lowers it)."""
    c, pol, ep = state.citizens, state.policy, state.episodes
    part, s = ep.participants, ep.success
    pressure = max(0.0, 1.0 - state.budget_level)
    rise = (
        0.05 * ep.substitutive * (0.3 + 2.0 * pressure)
        + 0.03 * np.maximum(ep.n_modes - 1.0, 0.0)
        + 0.03 * ep.collective_failure
    ) * (0.5 if pol.charter else 1.0)
    m = c.motivation
    m_drag = 0.05 * c.exploited * m  # feeling exploited lowers motivation
    c.exploited *= 1.0 - 0.05
    c.exploited[part] += rise
    clip01(c.exploited)

    reward = pol.material_rewards * 0.01 * np.where(ep.complex_task, -1.0, 1.0)
    # Recognition makes the value of taking part salient (Alford, 000@123766): feedback on
    # a success also motivates.
    d_part = (0.02 + 0.04 * pol.staff_feedback) * s + reward - 0.01 * ep.unheard
    m -= m_drag
    m += pol.relaxation * (BASE_MOTIVATION - m)
    m[part] += d_part
    clip01(m)


def _fatigue(state: State) -> None:
    """Effort tires; past the threshold a citizen burns out, rests and leaves every place."""
    c, pol, ep = state.citizens, state.policy, state.episodes
    part = ep.participants
    resting = c.rest > 0
    c.fatigue *= np.where(resting, 0.7, 1.0 - FATIGUE_RECOVERY)
    load = ep.effort * pol.effort_fatigue * (1.0 + c.vulnerable[part])
    c.fatigue[part] += load * (1.0 - 0.3 * pol.peer_support)
    clip01(c.fatigue)
    burnt_idx = part[c.fatigue[part] > pol.burnout_threshold]
    c.rest[resting] -= 1
    c.rest[burnt_idx] = pol.burnout_rest
    if burnt_idx.size:
        state.membership.release_citizens(state, burnt_idx)
    state.flows.burnouts = float(burnt_idx.size)


def _expectations(state: State) -> None:
    """Expecting a response to voice, satisfaction with information, and experience."""
    c, pol, ep = state.citizens, state.policy, state.episodes
    part, heard, unheard = ep.participants, ep.heard, ep.unheard
    er = c.expects_response
    voice = heard | unheard
    voiced = part[voice]
    er_voice = er[voiced] + 0.2 * (heard[voice] - er[voiced])
    # Everyone else's expectation drifts toward what the council's record leads them to
    # expect (0.6 before anything is known): "they wait in vain and therefore do not respond
    # the next time they are asked" (003@139090) spreads by word of mouth (000@17862).
    expected = 0.6 + pol.voice_record_weight * (state.running.voice_record - 0.5)
    er += EXPECTATION_DRIFT * (expected - er)
    er[voiced] = er_voice
    clip01(er)
    target = information_target(pol)
    c.sat_info += 0.1 * (target - c.sat_info)
    c.sat_info[part] += 0.02 * heard
    clip01(c.sat_info)
    c.experience[part] += 1.0


def _staff(state: State) -> None:
    st, ini, pol = state.staff, state.initiatives, state.policy
    running = (ini.view("stage") != STOPPED) & ~ini.view("self_organised")
    lead = ini.view("lead_staff")
    places = np.bincount(lead, weights=ini.view("places") * running, minlength=st.n)
    members = np.bincount(lead, weights=ini.view("members") * running, minlength=st.n)
    intensity = np.divide(members, places, out=np.zeros(st.n), where=places > 0)
    # Citizens' intensity motivates staff, and low input lets them stop 'going the extra
    # mile' (003@135407-135745).
    st.motivation += 0.05 * (0.4 + 0.5 * intensity - st.motivation)
    ran = np.bincount(lead, weights=running & (ini.view("members") > 0), minlength=st.n)
    wins = np.bincount(lead, weights=running & ini.view("success"), minlength=st.n)
    rate = np.divide(wins, ran, out=np.full(st.n, 0.5), where=ran > 0)
    trust_base = staff_trust_target(pol)
    st.trust += 0.03 * (rate - 0.5) * (ran > 0) + pol.relaxation * (trust_base - st.trust)
    st.self_efficacy += 0.05 * (staff_skill_target(pol) - st.self_efficacy)
    st.self_efficacy += 0.01 * (ran > 0) * (1.0 - st.self_efficacy)
    subst = np.bincount(lead, weights=running & ini.view("substitutive"), minlength=st.n)
    subst_share = np.divide(subst, np.maximum(ran, 1.0), out=np.zeros(st.n))
    pressure = max(0.0, 1.0 - state.budget_level)
    lost_posts = 1.0 - float(st.employed.mean())
    target = np.minimum(
        1.0, pol.staff_resistance + subst_share * (0.3 + 2.0 * pressure) + 1.0 * lost_posts
    )
    st.resistance += 0.1 * (target - st.resistance)
    st.risk_appetite += 0.05 * (staff_appetite(pol) - st.risk_appetite)
    for level in (st.motivation, st.trust, st.self_efficacy, st.resistance, st.risk_appetite):
        clip01(level)


def _officials(state: State) -> None:
    pol, co, po = state.policy, state.commissioners, state.politicians
    co.risk_appetite += 0.02 * (commissioner_appetite(pol) - co.risk_appetite)
    po.risk_appetite += 0.02 * (politician_appetite(pol) - po.risk_appetite)
    co.reputation += 0.02 * (0.7 - co.reputation)
    po.reputation += 0.02 * (0.7 - po.reputation)
    co.knowledge += 0.01 * (pol.knowledge_retention - co.knowledge)
    co.alternative_providers += 0.05 * (pol.alternative_providers - co.alternative_providers)
    for level in (
        co.risk_appetite,
        po.risk_appetite,
        co.reputation,
        po.reputation,
        co.knowledge,
        co.alternative_providers,
    ):
        clip01(level)


def step(state: State, params, rng: np.random.Generator) -> None:
    """Everyone learns, then the neighbourhood signals are renewed for next month.

    Fatigue comes first: burn-out releases citizens from their places, and the new signals
    read who holds a place after it. The citizens' other levels learn from last month's
    signals (kept here), so they and staff and officials can learn while the new signals
    are computed: in a large model on two threads (:mod:`..parallel`), with the same results
    as one after the other, since no part reads what another writes.
    """
    _fatigue(state)
    success, active = state.neighbour_success, state.neighbour_active  # last month's
    concurrently(
        state.citizens.n,
        lambda: update_neighbourhood_signals(state),
        lambda: (_citizens(state, success, active), _staff(state), _officials(state)),
    )
