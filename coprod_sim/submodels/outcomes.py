"""Submodel 4.6, outcomes: what each initiative achieves this month.

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
"""

from __future__ import annotations

import numpy as np

from ..population import DOMAIN_NOISE
from ..state import CO_ASSESSMENT, CO_COMMISSIONING, CO_DELIVERY, CO_DESIGN, STOPPED, State
from ._common import group_mean
from ._membership import active_entries

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
    mode, cit, k = active_entries(state)
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
    state.totals["voice_rounds"] += float(assess.sum())
    state.totals["voice_acted"] += float(acted.sum())

    # Per-citizen episodes (a citizen active in several modes averages them).
    n_modes = np.bincount(cit, minlength=n_cit).astype(np.float64)
    denom = np.maximum(n_modes, 1.0)
    s_entry, f_entry = success[k], failure[k]
    collective = ini.collective[k]
    unheard = (mode == CO_ASSESSMENT) & assess[k] & ~acted[k]
    heard = (mode == CO_ASSESSMENT) & acted[k]
    ep = state.scratch
    ep["n_modes"] = n_modes
    ep["success"] = np.bincount(cit, weights=s_entry, minlength=n_cit) / denom
    ep["failure"] = np.bincount(cit, weights=f_entry, minlength=n_cit) / denom
    ep["collective_success"] = np.bincount(cit, weights=s_entry & collective, minlength=n_cit)
    ep["collective_failure"] = np.bincount(cit, weights=f_entry & collective, minlength=n_cit)
    ep["unheard"] = np.bincount(cit, weights=unheard, minlength=n_cit) > 0
    ep["heard"] = np.bincount(cit, weights=heard, minlength=n_cit) > 0
    ep["substitutive"] = np.bincount(cit, weights=ini.substitutive[k], minlength=n_cit) > 0
    ep["complex_task"] = np.bincount(cit, weights=ini.domain[k] >= 2, minlength=n_cit) > 0
    c.success, c.failure = ep["success"], ep["failure"]
    intensity = np.where(ini.digital[k], DIGITAL_INTENSITY, 1.0)
    ep["effort"] = np.bincount(cit, weights=intensity, minlength=n_cit)
    state.flows["citizen_hours"] = float((CITIZEN_HOURS[mode] * intensity).sum())

    # Contributions to the service.
    members = ini.view("members").astype(np.float64)
    digital = np.where(ini.view("digital"), DIGITAL_INTENSITY, 1.0)
    delivered = success & (ini.view("mode") == CO_DELIVERY)
    contribution = np.where(delivered, members * q * digital * CONTRIBUTION_PER_MEMBER, 0.0)
    ep["contribution"] = contribution
    voice = success & np.isin(ini.view("mode"), (CO_DESIGN, CO_COMMISSIONING)) | acted
    gain = PRODUCTIVITY_GAIN * float((members * q * voice).sum()) / n_cit
    state.productivity = min(
        PRODUCTIVITY_CAP, 1.0 + (state.productivity - 1.0) * (1.0 - PRODUCTIVITY_DECAY) + gain
    )
    state.flows["successes"] = float(success.sum())
    state.flows["failures"] = float(failure.sum())
    # The running success rate that councillors read at the next governance cycle.
    runs = float(running.sum())
    if runs > 0:
        tot = state.totals
        tot["visible_success"] = 0.9 * tot.get("visible_success", 0.5) + 0.1 * success.sum() / runs
