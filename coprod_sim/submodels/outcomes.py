"""ODD §7.6, outcomes: what each initiative achieves this month.

An initiative's result depends on its hidden effectiveness (revealed only by experimenting,
001@25101), staff support (lead staff skill and presence), participants' capability, and
noise set by its knowledge domain (000 Table 5.2: simple .. chaotic). Risk strategies
(000@46715-47599): a portfolio lowers outcome variance; risk reduction and resilience
building act on the losses after failure (in :mod:`learning`). Misconduct damage lowers
quality while it is felt (000@162697).

Co-assessment recommendations are acted on with the probability set by closing the feedback
loop; co-assessors learn whether to expect a response (003@139090, 000@17862).

Successful co-delivery adds to service output (citizen action, 003@17433); successful voice
modes (co-design, co-commissioning, acted-on co-assessment) raise professional productivity
("co-developing new pathways to improved outcomes", 003@16685).

Reads: citizens.capability, citizens.failure, citizens.generalised_trust, citizens.n,
    citizens.success, episodes.failure, episodes.success, initiatives.age,
    initiatives.collective, initiatives.digital, initiatives.domain,
    initiatives.effectiveness, initiatives.failures, initiatives.lead_staff,
    initiatives.members, initiatives.mode, initiatives.n, initiatives.outcome_n,
    initiatives.outcome_sum, initiatives.self_organised, initiatives.stage,
    initiatives.substitutive, initiatives.trust_hit, initiatives.visibility, membership,
    policy, productivity, running.visible_success, running.voice_record, staff.available,
    staff.employed, staff.self_efficacy, totals.voice_acted, totals.voice_rounds
Writes: citizens.failure, citizens.success, episodes.collective_failure,
    episodes.collective_success, episodes.complex_task, episodes.contribution,
    episodes.effort, episodes.failure, episodes.heard, episodes.n_modes,
    episodes.participants, episodes.substitutive, episodes.success, episodes.unheard,
    flows.citizen_hours, flows.failures, flows.successes, initiatives.age,
    initiatives.failures, initiatives.outcome_n, initiatives.outcome_sum,
    initiatives.success, initiatives.trust_hit, productivity, running.visible_success,
    running.voice_record, totals.voice_acted, totals.voice_rounds
"""

from __future__ import annotations

import numpy as np

from ..initiatives import DOMAIN_NOISE
from ..state import CO_ASSESSMENT, CO_COMMISSIONING, CO_DELIVERY, CO_DESIGN, STOPPED, State
from ._common import group_mean

SUCCESS_THRESHOLD = 0.3
CONTRIBUTION_PER_MEMBER = 1.0
"""Service units a co-delivery participant adds in a successful month (need is 1-3 a month)."""
CITIZEN_HOURS = np.array([3.0, 4.0, 8.0, 2.0])
"""Hours a month a participant gives in each mode; digital modes are less intense
(003@176563: 'loss of the social interactions may reduce the intensity')."""
DIGITAL_INTENSITY = 0.3
PRODUCTIVITY_GAIN = 0.05
PRODUCTIVITY_DECAY = 0.05
PRODUCTIVITY_CAP = 1.15


VOICE_RECORD_RATE = 0.05
"""Monthly rate at which the council's record of acting on co-assessment becomes known."""
IMPROVES_SERVICE = np.isin(np.arange(4), (CO_DESIGN, CO_COMMISSIONING))
"""Modes whose successes raise productivity: co-design and co-commissioning (by mode)."""


def quality(state: State, members_capability: np.ndarray, community_trust: np.ndarray):
    """Expected result of each initiative before noise."""
    ini, st = state.initiatives, state.staff
    lead = ini.view("lead_staff")
    staff_support = st.self_efficacy[lead] * (st.available[lead] & st.employed[lead])
    # Self-organised action runs on the community's own cohesion (000@55688).
    support = np.where(ini.view("self_organised"), 0.3 + 0.4 * community_trust, staff_support)
    return (
        ini.view("effectiveness")
        * (0.6 + 0.4 * support)
        * (0.6 + 0.4 * members_capability)
        * (1.0 - 0.5 * ini.view("trust_hit"))
    )


def step(state: State, params, rng: np.random.Generator) -> None:
    c, ini, pol = state.citizens, state.initiatives, state.policy
    n, n_cit = ini.n, c.n
    mode, cit, k = state.membership.active_entries(state)
    cap_mean = group_mean(k, c.capability[cit], n)
    gt_mean = group_mean(k, c.generalised_trust[cit], n)
    running = (ini.view("stage") != STOPPED) & (ini.view("members") > 0)
    q = quality(state, cap_mean, gt_mean)
    sd = DOMAIN_NOISE[ini.view("domain")] * (0.6 if pol.risk_strategy == "portfolio" else 1.0)
    result = q + sd * rng.standard_normal(n)
    success = running & (result > SUCCESS_THRESHOLD)
    failure = running & ~success
    ini.success[:n] = success
    ini.outcome_sum[:n] += np.where(running, result, 0.0)
    ini.outcome_n[:n] += running
    ini.failures[:n] += failure
    ini.age[:n] += 1
    ini.trust_hit[:n] *= 0.9

    # Co-assessment: are the recommendations acted on this month?
    assess = running & (ini.view("mode") == CO_ASSESSMENT)
    acted = assess & (rng.random(n) < pol.feedback_loop_closed)
    state.totals.voice_rounds += float(assess.sum())
    state.totals.voice_acted += float(acted.sum())
    if assess.any():
        # Word gets round whether consultation is acted on; a badly done consultation becomes
        # a barrier for the whole community, not only for those consulted (000@17862).
        record = state.running.voice_record
        state.running.voice_record = record + VOICE_RECORD_RATE * (
            acted.sum() / assess.sum() - record
        )

    # Per-participant episodes (a citizen active in several modes averages them). Arrays
    # are over the participants only (``episodes.participants``): most citizens had no episode.
    part, slot, n_modes = np.unique(cit, return_inverse=True, return_counts=True)
    size = part.size
    n_modes = n_modes.astype(np.float64)
    s_entry, f_entry = success[k], failure[k]
    collective = ini.collective[k]
    assessing = mode == CO_ASSESSMENT

    def per_participant(weights: np.ndarray) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=size)

    ep = state.episodes
    ep.participants = part
    ep.n_modes = n_modes
    ep.success = per_participant(s_entry) / n_modes
    ep.failure = per_participant(f_entry) / n_modes
    ep.collective_success = per_participant(s_entry & collective) > 0
    ep.collective_failure = per_participant(f_entry & collective) > 0
    ep.unheard = per_participant(assessing & assess[k] & ~acted[k]) > 0
    ep.heard = per_participant(assessing & acted[k]) > 0
    ep.substitutive = per_participant(ini.substitutive[k]) > 0
    ep.complex_task = per_participant(ini.domain[k] >= 2) > 0
    intensity = np.where(ini.digital[k], DIGITAL_INTENSITY, 1.0)
    ep.effort = per_participant(intensity)
    c.success.fill(0.0)
    c.failure.fill(0.0)
    c.success[part] = ep.success
    c.failure[part] = ep.failure
    state.flows.citizen_hours = float((CITIZEN_HOURS[mode] * intensity).sum())

    # Contributions to the service.
    members = ini.view("members").astype(np.float64)
    digital = np.where(ini.view("digital"), DIGITAL_INTENSITY, 1.0)
    delivered = success & (ini.view("mode") == CO_DELIVERY)
    contribution = np.where(delivered, members * q * digital * CONTRIBUTION_PER_MEMBER, 0.0)
    ep.contribution = contribution
    voice = success & IMPROVES_SERVICE[ini.view("mode")] | acted
    gain = PRODUCTIVITY_GAIN * float((members * q * voice).sum()) / n_cit
    state.productivity = min(
        PRODUCTIVITY_CAP, 1.0 + (state.productivity - 1.0) * (1.0 - PRODUCTIVITY_DECAY) + gain
    )
    state.flows.successes = float(success.sum())
    state.flows.failures = float(failure.sum())
    # The running success rate that councillors read at the next governance cycle.
    # Only what commissioned initiatives achieve, as far as it is visible, reaches them.
    seen = running * ~ini.view("self_organised") * ini.view("visibility")
    if seen.sum() > 0:
        run = state.running
        rate = float((seen * success).sum() / seen.sum())
        run.visible_success = 0.9 * run.visible_success + 0.1 * rate
