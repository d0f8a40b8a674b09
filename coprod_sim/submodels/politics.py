"""ODD §7.5, politics: councillors' support for co-production, and elections.

Support follows public satisfaction ("more votes from satisfied citizens", 000@92857),
savings that arrive within the politicians' horizon (short electoral cycles "focus the minds
of politicians on quick fixes", 000@27723) and scandals, weighted by reputation
(000@38073). Politicians' trust in commissioners rises with visible successes and falls with
scandals; without it "the political leadership may decide to cut funding, even of successful
co-production initiatives" (000@119280; used in :mod:`commissioning`). At elections
councillors may be replaced by newcomers drawn from the public mood.

Reads: citizens.self_efficacy, citizens.trust, citizens.willingness, month, policy,
    politicians.horizon, politicians.motivation, politicians.n, politicians.risk_appetite,
    politicians.self_efficacy, politicians.support, politicians.tenure, politicians.trust,
    running.economic_value_mean, running.scandal_pressure, running.visible_success,
    service_performance
Writes: flows.councillors_replaced, politicians.horizon, politicians.motivation,
    politicians.reputation, politicians.risk_appetite, politicians.self_efficacy,
    politicians.support, politicians.tenure, politicians.trust, running.scandal_pressure
"""

from __future__ import annotations

import numpy as np

from ..state import State
from ..targets import politician_appetite, politician_horizon
from ._common import clip01


def satisfaction(state: State) -> float:
    """Public satisfaction: service performance, trust in staff and self-efficacy."""
    c = state.citizens
    return float(
        0.5 * state.service_performance + 0.25 * c.trust.mean() + 0.25 * c.self_efficacy.mean()
    )


def cycle(state: State, rng: np.random.Generator) -> None:
    po, pol, run = state.politicians, state.policy, state.running
    sat = satisfaction(state)
    scandals = run.scandal_pressure
    run.scandal_pressure = 0.0
    reputation_weight = 1.0 - po.risk_appetite
    horizon_factor = np.minimum(1.0, po.horizon / 36.0)
    net = run.economic_value_mean
    # Costs come now and savings later: short horizons discount the savings and leave
    # "insufficient time to achieve these savings through citizen co-production" (000@27567).
    savings = min(net, 0.0) + horizon_factor * max(net, 0.0) - 0.1 * (1.0 - horizon_factor)
    visible = run.visible_success
    target = (
        0.3
        + 0.5 * (sat - 0.5)
        + 2.0 * savings
        + 0.3 * (visible - 0.5)
        - 0.3 * min(scandals, 3.0) * reputation_weight
    )
    po.support += 0.3 * (np.clip(target + 0.2, 0.0, 1.0) - po.support)
    po.trust += 0.1 * (visible - 0.6) - 0.2 * min(scandals, 3.0) * reputation_weight
    # Relaxation is a monthly rate and this runs once a governance interval: catch up the
    # months since the last cycle.
    po.trust += pol.relaxation * pol.governance_interval * (0.6 - po.trust)
    po.motivation += 0.3 * (sat - po.motivation)
    po.self_efficacy += 0.1 * (po.support - po.self_efficacy)
    for level in (po.support, po.trust, po.motivation, po.self_efficacy):
        clip01(level)


def election(state: State, rng: np.random.Generator) -> None:
    """Dissatisfied voters replace councillors with newcomers from the public mood."""
    po, pol, c = state.politicians, state.policy, state.citizens
    sat = satisfaction(state)
    out = rng.random(po.n) < 0.5 * (1.0 - sat)
    k = int(out.sum())
    po.tenure[~out] += 1
    if k == 0:
        return
    mood = float(0.5 * c.self_efficacy.mean() + 0.5 * c.willingness.mean())
    po.support[out] = np.clip(mood + 0.1 * rng.standard_normal(k), 0.0, 1.0)
    po.trust[out] = 0.5
    po.motivation[out] = 0.5
    po.self_efficacy[out] = 0.5
    po.risk_appetite[out] = politician_appetite(pol)
    po.horizon[out] = politician_horizon(pol)
    po.reputation[out] = 0.7
    po.tenure[out] = 0
    state.flows.councillors_replaced = float(k)


def step(state: State, params, rng: np.random.Generator) -> None:
    """Politics moves with the governance cycle; elections every election interval."""
    pol = state.policy
    if state.month > 0 and state.month % pol.governance_interval == 0:
        cycle(state, rng)
    if state.month > 0 and state.month % pol.election_interval == 0:
        election(state, rng)
