"""ODD §7.9, the change programme: the Co-Production Star (000@66651, 001@34351).

An optional programme run by the commissioners, one step after another, each lasting
``star_step_months``:

1. Map it: reveal existing co-production; co-delivery becomes visible to commissioners and
   self-organised action is found and joined (000@67620, 001@34804).
2. Focus it: stop the lowest-value initiatives and pick quick wins ("resources are
   re-allocated ... to co-production approaches with a higher benefit-cost ratio", 000@69707;
   "'quick wins' as the obvious starting point", 000@71775).
3. People it: recruit those who know and care; Co-Production Labs raise staff skill and risk
   appetite ("'fail early, fail fast, fail cheap'", 000@78364).
4. Market it: storytelling raises information and makes successes visible (000@80165,
   000@86458); a charter insures co-producers (000@80575).
5. Grow it: scale successes, outcome-based commissioning, reward catalyst staff (000@82032,
   000@84853).

What a step changes stays changed after the programme ends.

Reads: commissioners.budget_share, commissioners.n, events_log, initiatives.crisis,
    initiatives.failures, initiatives.live, initiatives.monthly_cost, initiatives.n,
    initiatives.outcome_n, initiatives.outcome_sum, initiatives.places,
    initiatives.self_organised, initiatives.stage, initiatives.visibility, month, policy,
    staff.commissioner, staff.risk_appetite, staff.self_efficacy, star_step
Writes: commissioners.budget_share, initiatives.monthly_cost, initiatives.places,
    initiatives.stage, initiatives.visibility, policy, staff.risk_appetite,
    staff.self_efficacy, star_step
"""

from __future__ import annotations

import numpy as np

from ..initiatives import SCALE_FACTOR
from ..state import PILOT, SCALED, STAR_STEPS, State
from ._common import clip01
from .commissioning import pilot, stop_initiatives

DONE = len(STAR_STEPS) - 1


def current_step(state: State) -> int:
    pol = state.policy
    if not pol.star_programme or state.month < pol.star_start:
        return 0
    return min(DONE, 1 + (state.month - pol.star_start) // pol.star_step_months)


def _enter(state: State, step: int, rng: np.random.Generator) -> None:
    ini, pol, st, co = state.initiatives, state.policy, state.staff, state.commissioners
    n = ini.n
    if step == 1:  # Map it
        ini.visibility[:n] = np.maximum(ini.view("visibility"), 0.9)
    elif step == 2:  # Focus it
        seen = ini.live & (ini.view("outcome_n") > 0) & ~ini.view("self_organised")
        value = np.where(
            seen, ini.view("outcome_sum") / np.maximum(ini.view("outcome_n"), 1), np.inf
        )
        if seen.sum() >= 4:
            cut = np.quantile(value[seen], 0.25)
            stop_initiatives(state, seen & (value <= cut))
        for c in range(co.n):
            pilot(state, c, max(1, int(0.1 * (st.commissioner == c).sum())), rng, 0)
    elif step == 3:  # People it
        pol.targeting = max(pol.targeting, 0.8)
        pol.staff_training = max(pol.staff_training, 0.5)
        st.self_efficacy += 0.15
        # Labs show that some fear of change is unjustified (000@79124): a lasting shift.
        pol.risk_appetite_staff = min(1.0, pol.risk_appetite_staff + 0.2)
        st.risk_appetite += 0.2
        clip01(st.self_efficacy)
        clip01(st.risk_appetite)
    elif step == 4:  # Market it
        pol.information_provision = max(pol.information_provision, 0.8)
        pol.staff_feedback = max(pol.staff_feedback, 0.7)
        pol.charter = True
    elif step == 5:  # Grow it
        pol.outcome_based_commissioning = max(pol.outcome_based_commissioning, 0.7)
        pol.staff_incentives = max(pol.staff_incentives, 0.5)
        pol.coproduction_budget_share = min(0.5, 1.5 * pol.coproduction_budget_share)
        co.budget_share *= 1.5
        clip01(co.budget_share)
        runs = np.maximum(ini.view("outcome_n"), 1)
        good = (
            (ini.view("stage") == PILOT)
            & ~ini.view("self_organised")
            & ~ini.view("crisis")
            & (ini.view("outcome_n") > 0)
            & (ini.view("failures") / runs < 0.3)
        )
        idx = np.flatnonzero(good)
        ini.stage[idx] = SCALED
        ini.places[idx] = np.round(ini.places[idx] * SCALE_FACTOR).astype(np.int32)
        ini.monthly_cost[idx] *= SCALE_FACTOR
    state.events_log.append(f"month {state.month}: Star step '{STAR_STEPS[step]}' begins")


def step(state: State, params, rng: np.random.Generator) -> None:
    new = current_step(state)
    if new != state.star_step:
        for s in range(state.star_step + 1, new + 1):
            state.star_step = s
            if s < DONE:
                _enter(state, s, rng)
    if state.star_step == 3:
        # Labs keep building skill while People it runs.
        st = state.staff
        st.self_efficacy += 0.01 * (1.0 - st.self_efficacy)
