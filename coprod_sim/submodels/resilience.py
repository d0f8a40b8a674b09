"""The whole-system resilience chain (000@49502-58422, 001@21637; ODD §7.11).

Four links, each a level in [0, 1]:
- user: share of vulnerable citizens' need that their own co-production and their social
  support network could still meet without professionals ("the social support network of
  users may be able to take on some of the functions of professionals", 000@54888);
- community: collective capacity, active collective co-producers x generalised trust per
  neighbourhood, plus self-organised action ("community assets ... enable communities to cope
  when public services fail", 000@55688);
- provider: service output kept relative to its level before the shock (000@57886);
- commissioner: alternative providers x knowledge retained (000@58110, 000@58422).
The chain is as strong as its weakest link.

Response figures for a shock (depth of the dip, months to recover to 95% of the pre-shock
level, area lost) are computed from a time series by :func:`coprod_sim.metrics.shock_response`.

Reads: citizens.capability, citizens.generalised_trust, citizens.self_efficacy,
    commissioners.alternative_providers, commissioners.knowledge, derived.nb_sizes,
    derived.users, initiatives.neighbourhood, initiatives.self_organised, initiatives.stage,
    membership, n_neighbourhoods, neighbourhoods.capacity, neighbourhoods.collective_share,
    neighbourhoods.trust, output, reference_output
Writes: flows.resilience_chain, flows.resilience_commissioner, flows.resilience_community,
    flows.resilience_provider, flows.resilience_user
"""

from __future__ import annotations

import numpy as np

from ..state import STOPPED, State
from ._common import neighbourhood_mean

OWN_WEIGHT = 0.5
NETWORK_WEIGHT = 3.0
COMMUNITY_WEIGHT = 5.0


def links(state: State) -> dict[str, float]:
    c, ini, around = state.citizens, state.initiatives, state.neighbourhoods
    users = state.derived.users  # the vulnerable (everyone if none)
    active = state.membership.citizen_flags(state)[users] > 0
    own = active * c.capability[users] * c.self_efficacy[users]
    network = around.capacity[users] if around.capacity is not None else 0.0
    cover = np.minimum(1.0, OWN_WEIGHT * own + NETWORK_WEIGHT * network)
    user = float(cover.mean())

    k = state.n_neighbourhoods
    coll = around.collective_share if around.collective_share is not None else np.zeros(k)
    gt = (
        around.trust if around.trust is not None else neighbourhood_mean(state, c.generalised_trust)
    )
    self_org = ini.view("self_organised") & (ini.view("stage") != STOPPED)
    organised = np.bincount(ini.view("neighbourhood")[self_org], minlength=k) > 0
    capacity = np.minimum(1.0, COMMUNITY_WEIGHT * coll * gt + 0.2 * organised)
    size = state.derived.nb_sizes
    community = float((capacity * size).sum() / size.sum())

    ref = state.reference_output
    provider = min(1.0, state.output / ref) if ref > 0 else 1.0
    co = state.commissioners
    commissioner = float((co.alternative_providers * co.knowledge).mean())
    return {
        "resilience_user": user,
        "resilience_community": community,
        "resilience_provider": provider,
        "resilience_commissioner": commissioner,
        "resilience_chain": min(user, community, provider, commissioner),
    }


def step(state: State, params, rng: np.random.Generator) -> None:
    fl, link = state.flows, links(state)
    fl.resilience_user = link["resilience_user"]
    fl.resilience_community = link["resilience_community"]
    fl.resilience_provider = link["resilience_provider"]
    fl.resilience_commissioner = link["resilience_commissioner"]
    fl.resilience_chain = link["resilience_chain"]
