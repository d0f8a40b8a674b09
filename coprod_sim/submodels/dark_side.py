"""ODD §7.8, the dark side: rare misconduct in co-delivery.

Misconduct ("corruption, infringement of privacy or illegal discrimination or harassment",
000@161040; vigilantism, 000@162507) is more likely without training or safeguards (the
Weyhe and Solihull courses, 000@154973) and in larger groups. An event collapses trust in
that initiative and its neighbourhood ("may jeopardise the public value created by other
members", 000@162697) and hits the reputations of commissioners and politicians, lowering
their risk appetite (blame culture, 000@118561).

Reads: citizens.generalised_trust, citizens.n, citizens.neighbourhood, citizens.trust,
    commissioners.reputation, commissioners.risk_appetite, flows.dark_side_events,
    initiatives.commissioner, initiatives.crisis, initiatives.lead_staff, initiatives.live,
    initiatives.members, initiatives.mode, initiatives.n, initiatives.stage, membership,
    n_neighbourhoods, policy, politicians.reputation, politicians.risk_appetite,
    running.scandal_pressure, staff.self_efficacy, totals.dark_side_events
Writes: citizens.generalised_trust, citizens.trust, commissioners.reputation,
    commissioners.risk_appetite, flows.dark_side_events, initiatives.trust_hit,
    politicians.reputation, politicians.risk_appetite, running.scandal_pressure,
    totals.dark_side_events
"""

from __future__ import annotations

import numpy as np

from ..state import CO_DELIVERY, STOPPED, State
from ._common import clip01


def misconduct_probability(state: State) -> np.ndarray:
    ini, pol, st = state.initiatives, state.policy, state.staff
    running = (
        (ini.view("stage") != STOPPED)
        & (ini.view("mode") == CO_DELIVERY)
        & (ini.view("members") > 0)
    )
    skill = st.self_efficacy[ini.view("lead_staff")]
    p = (
        pol.misconduct_rate
        * (1.0 - 0.7 * pol.staff_training)
        * (0.7 if pol.charter else 1.0)
        # Larger groups are harder to oversee; crisis tasks are individual, not a group.
        * (1.0 + np.where(ini.view("crisis"), 0.0, ini.view("members") / 50.0))
        * np.where(ini.view("crisis"), 2.0, 1.0)
        * (1.0 - 0.3 * skill)
    )
    return np.where(running, p, 0.0)


def scandal_weight(state: State) -> float:
    """Political weight of one misconduct event (1 in a council with few initiatives)."""
    ini = state.initiatives
    running = (ini.view("stage") != STOPPED) & (ini.view("mode") == CO_DELIVERY)
    return 1.0 / max(1.0, 0.05 * float(running.sum()))


def _consequences(state: State, hit: np.ndarray) -> None:
    c, ini, co, po = state.citizens, state.initiatives, state.commissioners, state.politicians
    ini.trust_hit[hit] = 1.0
    # Members of the initiatives hit, found from the held entries (few) by a lookup table.
    _, cit, k = state.membership.active_entries(state)
    was_hit = np.zeros(ini.n, dtype=bool)
    was_hit[hit] = True
    members = np.zeros(c.n, dtype=bool)
    members[cit[was_hit[k]]] = True
    c.trust[members] *= 0.7
    c.generalised_trust[members] *= 0.8
    nb_hit = np.zeros(state.n_neighbourhoods, dtype=bool)
    nb_hit[c.neighbourhood[members]] = True
    near = nb_hit[c.neighbourhood]
    c.generalised_trust[near] *= 0.95
    # One incident is news in a small council and a footnote in a large one: the political
    # hit is diluted by the number of running co-delivery initiatives.
    weight = hit.size * scandal_weight(state)
    affected = np.unique(ini.commissioner[hit])
    co.reputation[affected] -= 0.2 * min(1.0, weight)
    co.risk_appetite[affected] *= 1.0 - 0.2 * min(1.0, weight)
    po.reputation -= 0.1 * min(1.0, weight)
    po.risk_appetite *= 1.0 - 0.1 * min(1.0, weight)
    state.running.scandal_pressure += weight
    for level in (co.reputation, co.risk_appetite, po.reputation, po.risk_appetite):
        clip01(level)
    state.totals.dark_side_events += float(hit.size)
    state.flows.dark_side_events += hit.size


def misconduct(state: State, rng: np.random.Generator, forced: bool = False) -> None:
    """Draw this month's misconduct events; ``forced`` makes one happen (a scandal)."""
    p = misconduct_probability(state)
    if forced:
        cand = np.flatnonzero(p > 0)
        if cand.size == 0:
            cand = np.flatnonzero(state.initiatives.live & (state.initiatives.view("members") > 0))
        if cand.size == 0:
            state.totals.dark_side_events += 1.0
            state.running.scandal_pressure += 1.0
            state.flows.dark_side_events += 1
            return
        hit = cand[[int(rng.integers(cand.size))]]
    else:
        hit = np.flatnonzero(rng.random(p.shape[0]) < p)
    if hit.size:
        _consequences(state, hit)


def step(state: State, params, rng: np.random.Generator) -> None:
    misconduct(state, rng)
