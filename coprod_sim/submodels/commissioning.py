"""ODD §7.4, the commissioning cycle (Analyse-Plan-Do-Review, 003@35555).

Every governance interval each commissioner appraises the initiatives it funds on their
observed value, with risk weighting (000@34843: "decision makers around public policy tend to
give negative risks more weight than positive risks of the same size"; reputation, 000@35254):

    score = own share x observed value - loss aversion x expected loss
            - reputation weight x P(visible failure)

Co-delivery is partly invisible to the commissioner (003@118049); lack of evidence adds noise
(000@28783), less so where knowledge is retained; only the commissioner's own share of the
benefits counts when they spill over to other bodies (000@27198). Initiatives are stopped,
continued or scaled, and new ones piloted with the budget left, slowed and made dearer by
bureaucracy and hierarchical governance (000@25948, 000@29487). Under budget pressure new
co-delivery is substitutive (002@54026; UK libraries, 000@136220). Outcome-based commissioning
frees staff slack (in :mod:`offers`). A participatory budgeting quota funds co-commissioning
(002@22159).

Reads: budget_level, citizens, commissioners.budget_share, commissioners.knowledge,
    commissioners.motivation, commissioners.n, commissioners.outcome_based,
    commissioners.risk_appetite, commissioners.self_efficacy, commissioners.trust,
    initiatives, initiatives.commissioner, initiatives.crisis, initiatives.failures,
    initiatives.mode, initiatives.monthly_cost, initiatives.n, initiatives.outcome_n,
    initiatives.outcome_sum, initiatives.places, initiatives.self_organised,
    initiatives.stage, initiatives.substitutive, initiatives.visibility, membership, month,
    policy, politicians.risk_appetite, politicians.support, politicians.trust,
    service_performance, staff.available, staff.caseload_start, staff.caseload_stop,
    staff.commissioner, staff.employed, star_step, totals.initiatives_stopped
Writes: commissioners.budget_share, commissioners.motivation, commissioners.outcome_based,
    commissioners.self_efficacy, commissioners.trust, flows.stopped_this_cycle,
    initiatives.failures, initiatives.monthly_cost, initiatives.outcome_n,
    initiatives.outcome_sum, initiatives.places, initiatives.stage,
    initiatives.substitutive, initiatives.visibility, totals.initiatives_stopped
"""

from __future__ import annotations

import numpy as np

from ..initiatives import (
    COST_PER_PLACE,
    PLACES_COLLECTIVE,
    PLACES_INDIVIDUAL,
    SCALE_FACTOR,
    draw_modes,
    new_initiatives,
)
from ..state import CO_COMMISSIONING, CO_DELIVERY, PILOT, SCALED, STOPPED, State
from ._common import clip01

STOP_THRESHOLD = -0.2
SCALE_THRESHOLD = 0.0
PILOT_PLACES = 0.5 * (PLACES_INDIVIDUAL + PLACES_COLLECTIVE)


def appraise(state: State, rng: np.random.Generator) -> np.ndarray:
    """Each initiative's risk-weighted score (NaN where there is nothing to appraise)."""
    ini, co, pol = state.initiatives, state.commissioners, state.policy
    n = ini.n
    seen = ini.view("outcome_n") > 0
    runs = np.maximum(ini.view("outcome_n"), 1)
    mean_outcome = ini.view("outcome_sum") / runs
    failure_rate = ini.view("failures") / runs
    c = ini.view("commissioner")
    vis = ini.view("visibility")
    noise_sd = 0.15 * pol.lack_of_evidence * (1.5 - co.knowledge[c])
    observed = mean_outcome * (0.4 + 0.6 * vis) + noise_sd * rng.standard_normal(n)
    own_share = 1.0 - 0.6 * pol.benefit_spillover
    appetite = co.risk_appetite[c]
    loss_aversion = 1.0 + 2.0 * (1.0 - appetite)
    reputation = (1.0 - appetite) * (1.0 - float(state.politicians.risk_appetite.mean()))
    loss = failure_rate * 0.5 * (0.5 if pol.risk_strategy == "risk_reduction" else 1.0)
    score = own_share * observed - loss_aversion * loss - reputation * failure_rate * vis
    appraised = seen & (ini.view("stage") != STOPPED) & ~ini.view("self_organised")
    return np.where(appraised, score, np.nan)


def _budgets(state: State) -> tuple[np.ndarray, np.ndarray]:
    """Monthly co-production budget and spend of each commissioner."""
    ini, co, st, pol = state.initiatives, state.commissioners, state.staff, state.policy
    citizens_c = np.bincount(
        st.commissioner, weights=st.caseload_stop - st.caseload_start, minlength=co.n
    )
    money = state.budget_level * citizens_c
    budget = money * (co.budget_share + pol.participatory_budgeting) + (
        0.01 * pol.seed_funding * citizens_c
    )
    supported = (ini.view("stage") != STOPPED) & ~ini.view("self_organised")
    spend = np.bincount(
        ini.view("commissioner"), weights=ini.view("monthly_cost") * supported, minlength=co.n
    )
    return budget, spend


def _participatory_budget(state: State) -> tuple[np.ndarray, np.ndarray]:
    """The participatory budgeting quota and what co-commissioning spends of it, per
    commissioner (the quota is a share of spending, 002@22159)."""
    ini, co, st, pol = state.initiatives, state.commissioners, state.staff, state.policy
    citizens_c = np.bincount(
        st.commissioner, weights=st.caseload_stop - st.caseload_start, minlength=co.n
    )
    quota = pol.participatory_budgeting * state.budget_level * citizens_c
    running = (
        (ini.view("stage") != STOPPED)
        & (ini.view("mode") == CO_COMMISSIONING)
        & ~ini.view("self_organised")
    )
    spent = np.bincount(
        ini.view("commissioner"), weights=ini.view("monthly_cost") * running, minlength=co.n
    )
    return quota, np.minimum(spent, quota)


def stop_initiatives(state: State, stop: np.ndarray) -> None:
    ini = state.initiatives
    ini.stage[: ini.n][stop] = STOPPED
    state.membership.release_initiatives(state, stop)
    state.totals.initiatives_stopped += float(stop.sum())


def _update_budget_share(state: State, success_rate: np.ndarray) -> None:
    co, po, pol = state.commissioners, state.politicians, state.policy
    # Commissioners' belief that co-production works is learnt from the evidence of their
    # own appraisals (ODD §7.4; the evidence gap, 000@28783).
    co.self_efficacy += 0.3 * (success_rate - co.self_efficacy)
    co.trust += 0.2 * (success_rate - co.trust)
    co.motivation += 0.2 * (0.5 * state.service_performance + 0.5 * success_rate - co.motivation)
    co.outcome_based += 0.3 * (pol.outcome_based_commissioning - co.outcome_based)
    support = float(po.support.mean())
    trust = float(po.trust.mean())
    pressure = max(0.0, 1.0 - state.budget_level)
    # Without politicians' trust even successful initiatives lose funding (000@119280);
    # austerity makes co-production look like a saving (000@136220).
    target = (
        pol.coproduction_budget_share
        * (0.5 + support)
        * (0.6 + 0.8 * co.self_efficacy)
        * (0.5 + 0.5 * trust)
        * (1.0 + 3.0 * pressure)
    )
    co.budget_share += 0.5 * (np.minimum(target, 0.5) - co.budget_share)
    for level in (co.self_efficacy, co.trust, co.motivation, co.outcome_based):
        clip01(level)


def pilot(
    state: State, commissioner: int, count: int, rng: np.random.Generator, pb: int = 0
) -> None:
    """Pilot ``count`` new initiatives of mixed modes plus ``pb`` co-commissioning ones
    (participatory budgeting), led by staff of ``commissioner`` who are on duty."""
    st, pol = state.staff, state.policy
    pool = np.flatnonzero((st.commissioner == commissioner) & st.available & st.employed)
    count += pb
    if pool.size == 0 or count <= 0:
        return
    lead = pool[rng.integers(0, pool.size, count)].astype(np.int32)
    modes = draw_modes(rng, count)
    modes[:pb] = CO_COMMISSIONING
    pressure = max(0.0, 1.0 - state.budget_level)
    delay = round(6 * pol.bureaucracy * (0.5 + 0.5 * pol.hierarchical_governance))
    new = new_initiatives(
        (state.initiatives, st, state.citizens),
        pol,
        lead,
        rng,
        modes=modes,
        substitutive_share=min(1.0, 0.2 + 1.5 * pressure),
        start_delay=delay,
    )
    if state.star_step >= 1:  # Map it: co-production becomes visible (000@67620)
        state.initiatives.visibility[new] = np.maximum(state.initiatives.visibility[new], 0.9)


def _substitute(state: State, rng: np.random.Generator) -> None:
    """Under budget pressure, co-delivery is turned into a substitute for paid provision
    (000@136220-136480; 002@54026 substitutive versus additive)."""
    ini = state.initiatives
    pressure = max(0.0, 1.0 - state.budget_level)
    if pressure <= 0.0:
        return
    cand = (
        (ini.view("mode") == CO_DELIVERY)
        & ~ini.view("substitutive")
        & (ini.view("stage") != STOPPED)
        & ~ini.view("self_organised")
        & ~ini.view("crisis")
    )
    turn = np.flatnonzero(cand & (rng.random(ini.n) < min(1.0, 2.0 * pressure)))
    ini.substitutive[turn] = True
    # Same terms as a new substitutive initiative: twice the places at 0.6 of the unit cost.
    ini.places[turn] *= 2
    ini.monthly_cost[turn] *= 2 * 0.6


def review(state: State, rng: np.random.Generator) -> None:
    """One Analyse-Plan-Do-Review cycle for every commissioner."""
    ini, co, pol = state.initiatives, state.commissioners, state.policy
    score = appraise(state, rng)
    appraised = ~np.isnan(score)
    runs = np.maximum(ini.view("outcome_n"), 1)
    fail = ini.view("failures") / runs
    c_of = ini.view("commissioner")
    n_app = np.bincount(c_of[appraised], minlength=co.n)
    ok = np.bincount(c_of[appraised], weights=1.0 - fail[appraised], minlength=co.n)
    success_rate = np.divide(ok, n_app, out=np.full(co.n, 0.7), where=n_app > 0)
    stop = appraised & (score < STOP_THRESHOLD)
    stop_initiatives(state, stop)
    state.flows.stopped_this_cycle = float(stop.sum())
    _update_budget_share(state, success_rate)

    _substitute(state, rng)
    budget, spend = _budgets(state)
    # Over budget (after a cut): stop the lowest-scoring until within budget.
    for c in np.flatnonzero(spend > budget):
        mine = np.flatnonzero(
            (c_of == c) & (ini.view("stage") != STOPPED) & ~ini.view("self_organised")
        )
        order = mine[np.argsort(np.nan_to_num(score[mine], nan=0.0))]
        excess = np.cumsum(ini.monthly_cost[order]) <= spend[c] - budget[c] + 1e-12
        cut = np.zeros(ini.n, dtype=bool)
        cut[order[: int(excess.sum()) + 1]] = True
        stop_initiatives(state, cut)
    budget, spend = _budgets(state)

    quota, pb_spent = _participatory_budget(state)
    # Scale the best pilots while money allows ("Grow it", 000@82284).
    pilot_cost = COST_PER_PLACE * PILOT_PLACES * (1.0 + 0.5 * pol.bureaucracy)
    scale = appraised & (score > SCALE_THRESHOLD) & (ini.view("stage") == PILOT)
    for c in range(co.n):
        room = budget[c] - spend[c]
        cand = np.flatnonzero(scale & (c_of == c))
        cand = cand[np.argsort(-score[cand])]
        extra = ini.monthly_cost[cand] * (SCALE_FACTOR - 1.0)
        take = cand[np.cumsum(extra) <= room]
        ini.stage[take] = SCALED
        ini.places[take] = np.round(ini.places[take] * SCALE_FACTOR).astype(np.int32)
        ini.monthly_cost[take] *= SCALE_FACTOR
        spend[c] += float(ini.monthly_cost[take].sum() * (1 - 1 / SCALE_FACTOR))
        # New pilots with what is left, slowed by hierarchy (000@29487); the quota's money
        # goes to co-commissioning only.
        room = (budget[c] - quota[c]) - (spend[c] - pb_spent[c])
        n_staff_c = int((state.staff.commissioner == c).sum())
        count = int(room / pilot_cost * (1.0 - 0.5 * pol.hierarchical_governance))
        count = max(0, min(count, int(np.ceil(0.3 * n_staff_c))))
        pb = max(0, min(int((quota[c] - pb_spent[c]) / pilot_cost), int(np.ceil(0.3 * n_staff_c))))
        pilot(state, c, count, rng, pb)
    ini.outcome_sum[: ini.n] = 0.0
    ini.outcome_n[: ini.n] = 0
    ini.failures[: ini.n] = 0


def step(state: State, params, rng: np.random.Generator) -> None:
    """Run a review every governance interval."""
    if state.month > 0 and state.month % state.policy.governance_interval == 0:
        review(state, rng)
