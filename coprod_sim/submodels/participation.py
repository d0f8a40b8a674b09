"""ODD §7.1, citizen participation: P = willing x able x offered (000@122354, 000@14153).

Willingness is a logistic function of an index built from self-efficacy (a larger weight for
collective modes, 000@10384, 000@17073), trust in staff (individual) or generalised trust
(collective, 000@20800), motivation, perceived shortfall (+, 000@12607), satisfaction with
information (+, 000@12283), the share of active neighbours (word of mouth with a threshold
response, 002@17777), the fit between the mode and the voice/action preference (001@31907),
knowing and caring (000@152993), age (+ individual, - collective: 000@6969, 000@15093),
fatigue and feeling exploited (-), and the perceived barrier and risk of the mode (technical
co-commissioning draws few, 003@48557; a charter insures co-producers, 000@80868).
Co-assessment also needs the expectation of a response (003@139090).

Ability: time (employment cuts time for collective modes, 000@15878, more so with time
poverty), capability, and digital access for digital initiatives (003@182158).

Besides offers, citizens join through peers (word of mouth, 000@151070), start community
action without an offer when shortfall and generalised trust are high (the Balsall Heath
pathway, 000@56942), which becomes co-production when a public body joins, and answer crisis
calls for volunteers, bounded by matching capacity; unmatched volunteers lose interest
(000@98274, 000@98118). Participants leave for life-stage reasons (003@105665), and
co-assessors stop responding when they wait in vain (003@139090).

Reads: citizens.age_band, citizens.capability, citizens.caseload_staff,
    citizens.digital_access, citizens.employed, citizens.expects_response,
    citizens.exploited, citizens.fatigue, citizens.generalised_trust,
    citizens.initiative_of, citizens.motivation, citizens.n, citizens.neighbourhood,
    citizens.rest, citizens.risk_appetite, citizens.sat_info, citizens.self_efficacy,
    citizens.shortfall, citizens.trust, citizens.unanswered, citizens.voice_preference,
    citizens.waiting, citizens.willingness, derived.best_fit, derived.knows_and_cares,
    initiatives, initiatives.age, initiatives.collective, initiatives.crisis,
    initiatives.digital, initiatives.domain, initiatives.members, initiatives.mode,
    initiatives.n, initiatives.neighbourhood, initiatives.places,
    initiatives.self_organised, initiatives.stage, membership, month, n_neighbourhoods,
    neighbour_active, network.degree, network.indices, network.indptr, offers,
    participation_caches.age_terms, participation_caches.peer,
    participation_caches.peer_key, policy, staff.available, staff.commissioner,
    staff.employed, staff.team, star_step, totals.volunteers_matched
Writes: citizens.initiative_of, citizens.last_collective, citizens.last_individual,
    citizens.motivation, citizens.trust, citizens.unanswered, citizens.waiting,
    citizens.willingness, flows.community_starts, flows.exits, flows.joined_offer,
    flows.joined_peer, flows.volunteers_matched, initiatives.members,
    initiatives.self_organised, initiatives.stage, participation_caches.age_terms,
    participation_caches.peer, participation_caches.peer_key, totals.volunteers_matched
"""

from __future__ import annotations

import numpy as np

from ..initiatives import domain_code
from ..membership import COLLECTIVE, INDIVIDUAL
from ..parallel import concurrently
from ..state import CO_ASSESSMENT, CO_DELIVERY, NO_INITIATIVE, PILOT, STOPPED, VOICE_MODES, State
from ._common import admit, clip01, first_per_key, logistic, neighbourhood_mean

AGE_INDIVIDUAL = np.array([-0.3, -0.1, 0.2, 0.3])
"""Age raises individual co-production (000@6969) ..."""
AGE_COLLECTIVE = np.array([0.2, 0.1, -0.1, -0.4])
"""... and lowers collective co-production: its effort is daunting for older people (000@15422)."""
MODE_BARRIER = np.array([1.2, 0.6, 0.0, 0.3])
"""Perceived barrier of each mode: technical co-commissioning draws few (003@48557); voice
modes reach fewer people than co-delivery (003@193721)."""
MODE_RISK = np.array([0.5, 0.2, 0.5, 0.1])
"""Perceived personal risk of each mode (000@39541; co-delivery carries physical risk)."""
PEER_JOIN_RATE = 0.05
COMMUNITY_ACTION_RATE = 0.05
COMMUNITY_PLACES = 15
COMMUNITY_FOUNDERS = 8


def peer_response(state: State) -> np.ndarray:
    """Threshold response to the share of active neighbours (Centola-style complex contagion).

    Cached: the neighbours' activity changes only in
    :func:`~coprod_sim.submodels.learning.update_neighbourhood_signals`, which clears it."""
    pol, caches = state.policy, state.participation_caches
    key = pol.peer_threshold
    if caches.peer is None or caches.peer_key != key:
        caches.peer = logistic((state.neighbour_active - pol.peer_threshold) / 0.05)
        caches.peer_key = key
    return caches.peer


def base_index(state: State) -> np.ndarray:
    """The terms of the willingness index that do not depend on the mode."""
    c, pol = state.citizens, state.policy
    z = 1.5 * c.motivation
    z += pol.shortfall_weight * c.shortfall
    z += c.sat_info
    z += pol.peer_weight * peer_response(state)
    z += 0.8 * state.derived.knows_and_cares
    z -= 3.0 * c.fatigue
    z -= 2.0 * c.exploited
    # centred on the starting levels (motivation 0.5, shortfall 0.25, information 0.5)
    z += pol.willingness_intercept - 0.75 - 0.25 * pol.shortfall_weight - 0.5
    return z


def age_terms(state: State) -> tuple[np.ndarray, np.ndarray]:
    """Each citizen's age term of the individual and collective indices: fixed while the
    age weight is (ages do not change), so computed once rather than every month."""
    weight = state.policy.age_weight
    cached = state.participation_caches.age_terms
    if cached is None or cached[0] != weight:
        band = state.citizens.age_band
        cached = (weight, weight * AGE_INDIVIDUAL[band], weight * AGE_COLLECTIVE[band])
        state.participation_caches.age_terms = cached
    return cached[1], cached[2]


def kind_index(state: State, base: np.ndarray, collective: bool, idx=slice(None)) -> np.ndarray:
    """Add the individual- or collective-specific terms for citizens ``idx``."""
    c, pol = state.citizens, state.policy
    individual_age, collective_age = age_terms(state)
    if collective:
        weight, trust, age = pol.efficacy_weight_collective, c.generalised_trust, collective_age
    else:
        weight, trust, age = pol.efficacy_weight_individual, c.trust, individual_age
    # base + weight * (self_efficacy - 0.5) + 1.5 * (trust - 0.5) + age, with two arrays
    z = np.subtract(c.self_efficacy[idx], 0.5)
    z *= weight
    z += base
    term = np.subtract(trust[idx], 0.5)
    term *= 1.5
    z += term
    z += age[idx]
    return z


def general_willingness(state: State, base: np.ndarray) -> np.ndarray:
    """Willingness to give some time in the best-fitting mode (the survey question)."""
    best = np.maximum(kind_index(state, base, False), kind_index(state, base, True))
    best += state.derived.best_fit
    return logistic(best)


def offer_willingness(state: State, base: np.ndarray, cit: np.ndarray, k: np.ndarray):
    """Willingness of citizens ``cit`` to take up a place in initiatives ``k``."""
    c, pol, ini = state.citizens, state.policy, state.initiatives
    mode = ini.mode[k]
    collective = ini.collective[k]
    b = base[cit]
    z = np.where(collective, kind_index(state, b, True, cit), kind_index(state, b, False, cit))
    pref = c.voice_preference[cit]
    fit = np.where(VOICE_MODES[mode], pref, 1.0 - pref)
    insured = 0.5 if pol.charter else 1.0
    z += (
        1.0 * (fit - 0.5)
        - MODE_BARRIER[mode]
        - MODE_RISK[mode] * (1.0 - c.risk_appetite[cit]) * insured
        + np.where(mode == CO_ASSESSMENT, 2.0 * (c.expects_response[cit] - 0.5), 0.0)
        + np.where(ini.digital[k], 0.3, 0.0)
        # Material rewards suit simple, monitorable tasks and crowd out intrinsic
        # motivation on complex ones (000@95232, 000@95722).
        + pol.material_rewards * np.where(ini.domain[k] <= 1, 0.8, -0.4)
    )
    return logistic(z)


def ability(state: State, cit: np.ndarray, k: np.ndarray) -> np.ndarray:
    c, pol, ini = state.citizens, state.policy, state.initiatives
    collective = ini.collective[k]
    time_cut = (
        np.where(collective, 0.2 + 0.7 * pol.time_poverty, 0.3 * pol.time_poverty) * c.employed[cit]
    )
    able = (1.0 - time_cut) * (0.5 + 0.5 * c.capability[cit])
    able *= np.where(collective & (c.age_band[cit] == 3), 0.7, 1.0)
    return able * np.where(ini.digital[k], c.digital_access[cit], True)


def _join(state: State, cit: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> int:
    """Admit candidates (citizen, initiative) within open places; return how many joined."""
    ini, c = state.initiatives, state.citizens
    if cit.size == 0:
        return 0
    mode = ini.mode[k].astype(np.int64)
    free_slot = c.initiative_of[mode, cit] == NO_INITIATIVE
    cit, k, mode = cit[free_slot], k[free_slot], mode[free_slot]
    if cit.size == 0:
        return 0
    once = first_per_key(mode * c.n + cit, rng)
    cit, k, mode = cit[once], k[once], mode[once]
    open_k = np.maximum(ini.view("places") - ini.view("members"), 0)
    ok = admit(k, open_k, rng)
    c.initiative_of[mode[ok], cit[ok]] = k[ok]
    np.add.at(ini.members, k[ok], 1)
    state.membership.taken(state, mode[ok], cit[ok], k[ok])
    return int(ok.sum())


def _accept_offers(state: State, base: np.ndarray, rng: np.random.Generator) -> None:
    cit, k = state.offers
    c = state.citizens
    if cit.size == 0:
        state.flows.joined_offer = 0.0
        return
    p = offer_willingness(state, base, cit, k) * ability(state, cit, k)
    yes = (rng.random(cit.size) < p) & (c.rest[cit] == 0)
    state.flows.joined_offer = float(_join(state, cit[yes], k[yes], rng))


def _peer_joins(state: State, rng: np.random.Generator) -> None:
    """Word of mouth: a citizen joins the initiative of an active neighbour (000@151070)."""
    c, net, ini = state.citizens, state.network, state.initiatives
    inactive = (state.membership.citizen_flags(state) == 0) & (c.rest == 0) & (net.degree > 0)
    p = PEER_JOIN_RATE * peer_response(state) * c.willingness
    cand = np.flatnonzero(inactive & (rng.random(c.n) < p))
    if cand.size == 0:
        state.flows.joined_peer = 0.0
        return
    pick = net.indptr[cand] + (rng.random(cand.size) * net.degree[cand]).astype(np.int64)
    friend = net.indices[pick]
    held = c.initiative_of[:, friend]  # (4, m)
    choice = np.argmax((held >= 0) * rng.random(held.shape), axis=0)
    k = held[choice, np.arange(cand.size)]
    ok = k >= 0
    cand, k = cand[ok], k[ok].astype(np.int64)
    joinable = (ini.stage[k] != STOPPED) & ~ini.crisis[k] & (ini.age[k] >= 0)
    cand, k = cand[joinable], k[joinable]
    able = rng.random(cand.size) < ability(state, cand, k)  # e.g. digital access
    state.flows.joined_peer = float(_join(state, cand[able], k[able], rng))


def _community_action(state: State, base: np.ndarray, rng: np.random.Generator) -> None:
    """Self-organisation without an offer (000@56942), and public bodies joining it."""
    c, pol, ini, st = state.citizens, state.policy, state.initiatives, state.staff
    k_nb = state.n_neighbourhoods
    live_so = ini.view("self_organised") & (ini.view("stage") != STOPPED)
    # A public body joins: the initiative becomes co-production (Balsall Heath "received
    # many grants", 000@57363). Map it finds such initiatives (000@67620).
    join_p = 0.02 + 0.1 * pol.community_development + (0.2 if state.star_step == 1 else 0.0)
    joins = live_so & (rng.random(ini.n) < join_p)
    ini.self_organised[: ini.n][joins] = False
    state.membership.kinds_changed()
    busy = np.bincount(ini.view("neighbourhood")[live_so & ~joins], minlength=k_nb) > 0
    shortfall = neighbourhood_mean(state, c.shortfall)
    cohesion = neighbourhood_mean(state, c.generalised_trust)
    pressure = shortfall * cohesion * (1.0 + 3.0 * pol.community_development)
    start = np.flatnonzero(~busy & (rng.random(k_nb) < COMMUNITY_ACTION_RATE * pressure))
    state.flows.community_starts = float(start.size)
    if start.size == 0:
        return
    nb_start = np.searchsorted(c.neighbourhood, start)
    nb_stop = np.searchsorted(c.neighbourhood, start, side="right")
    lead = c.caseload_staff[nb_start]
    new = ini.add(
        start.size,
        mode=CO_DELIVERY,
        collective=True,
        places=COMMUNITY_PLACES,
        effectiveness=rng.beta(5.0, 3.0, start.size),
        domain=min(3, domain_code(pol)),
        stage=PILOT,
        lead_staff=lead,
        commissioner=st.commissioner[lead],
        neighbourhood=start,
        monthly_cost=0.0,
        visibility=0.2,
        self_organised=True,
    )
    founders = nb_start[:, None] + (
        rng.random((start.size, COMMUNITY_FOUNDERS)) * (nb_stop - nb_start)[:, None]
    ).astype(np.int64)
    cit = founders.ravel()
    k = np.repeat(new, COMMUNITY_FOUNDERS)
    willing = logistic(kind_index(state, base[cit], True, cit)) * ability(state, cit, k)
    yes = (rng.random(cit.size) < willing) & (c.rest[cit] == 0)
    _join(state, cit[yes], k[yes], rng)


def _close_empty_community_action(state: State) -> None:
    """Self-organised action with nobody left in it has ended."""
    ini = state.initiatives
    empty = ini.view("self_organised") & (ini.view("stage") != STOPPED) & (ini.view("members") == 0)
    ini.stage[: ini.n][empty] = STOPPED


def _crisis_matching(state: State, rng: np.random.Generator) -> None:
    """Match waiting volunteers to crisis tasks, up to the matching capacity (P7)."""
    c, pol, st, ini = state.citizens, state.policy, state.staff, state.initiatives
    waiting = np.flatnonzero(c.waiting)
    if waiting.size == 0:
        state.flows.volunteers_matched = 0.0
        return
    # Volunteers who found a co-delivery place meanwhile are no longer waiting.
    busy = waiting[c.initiative_of[CO_DELIVERY, waiting] != NO_INITIATIVE]
    c.waiting[busy] = False
    waiting = np.flatnonzero(c.waiting)
    capacity = pol.matching_capacity * c.n / 1000.0
    capacity = int(capacity) + int(rng.random() < capacity - int(capacity))
    staffed = np.flatnonzero(st.available & st.employed)
    # Matching needs someone on duty to do it.
    matched = rng.permutation(waiting)[:capacity] if staffed.size else waiting[:0]
    if matched.size:
        # Volunteers get tasks near home: one crisis initiative per team of staff, led by
        # someone on duty in that team (or anywhere, if the whole team is away).
        team = st.team[c.caseload_staff[matched]]
        teams, which = np.unique(team, return_inverse=True)
        on_duty_team = st.team[staffed]
        first = np.minimum(np.searchsorted(on_duty_team, teams), staffed.size - 1)
        lead = np.where(
            on_duty_team[first] == teams,
            staffed[first],
            staffed[rng.integers(0, staffed.size, teams.size)],
        ).astype(np.int32)
        size = np.bincount(which, minlength=teams.size)
        k = ini.add(
            teams.size,
            mode=CO_DELIVERY,
            collective=False,
            places=size,
            effectiveness=rng.beta(5.0, 3.0, teams.size),
            domain=3,  # a crisis is chaotic (000@45428)
            stage=PILOT,
            lead_staff=lead,
            commissioner=st.commissioner[lead],
            monthly_cost=0.1 * size,
            visibility=0.9,  # crises reveal co-delivery's potential (003@118650)
            crisis=True,
        )
        c.initiative_of[CO_DELIVERY, matched] = k[which]
        ini.members[k] = size
        state.membership.taken(state, np.full(matched.size, CO_DELIVERY), matched, k[which])
        state.totals.volunteers_matched += float(matched.size)
    c.waiting[matched] = False
    state.flows.volunteers_matched = float(matched.size)
    # Unmatched volunteers are disappointed and lose interest (000@98118, 000@98274).
    still = np.flatnonzero(c.waiting)
    c.motivation[still] -= 0.02
    c.trust[still] -= 0.01
    quit_ = still[rng.random(still.size) < pol.interest_decay]
    c.waiting[quit_] = False
    c.trust[quit_] -= 0.03
    clip01(c.motivation)
    clip01(c.trust)


def _exits(state: State, base: np.ndarray, rng: np.random.Generator) -> None:
    c, pol = state.citizens, state.policy
    mode, cit, k = state.membership.active_entries(state)
    if cit.size == 0:
        state.flows.exits = 0.0
        return
    # Citizens with a strong sense of self-efficacy persist (000@17487): the less willing
    # they are now for the kind of place they hold (individual or collective, where
    # self-efficacy weighs more), the sooner they leave.
    collective = state.initiatives.collective[k]
    b = base[cit] + state.derived.best_fit[cit]
    held = np.where(collective, kind_index(state, b, True, cit), kind_index(state, b, False, cit))
    p = pol.exit_rate + 0.15 * (1.0 - logistic(held)) + 0.1 * (c.exploited[cit] > 0.6)
    # Co-assessors who waited in vain do not respond the next time (003@139090).
    p = p + np.where(mode == CO_ASSESSMENT, 0.3 * (1.0 - c.expects_response[cit]) ** 2, 0.0)
    leave = rng.random(cit.size) < p
    c.initiative_of[mode[leave], cit[leave]] = NO_INITIATIVE
    ini = state.initiatives
    ini.members[: ini.n] -= np.bincount(k[leave], minlength=ini.n)[: ini.n].astype(np.int32)
    state.membership.vacated(state, ~leave)
    state.flows.exits = float(leave.sum())


def seed_existing(state: State, rng: np.random.Generator, fill: float = 0.6) -> None:
    """Month 0: the initiatives that already run have members (existing co-production that
    organisations are 'often not aware of', 000@67620). Each is offered to twice its places'
    worth of citizens from its team's caseloads; the willing and able join, up to ``fill`` of
    its places, with up to two years' experience."""
    from . import offers

    ini, c = state.initiatives, state.citizens
    target = np.floor(ini.view("places") * fill).astype(np.int64)
    k = np.repeat(np.arange(ini.n), 2 * target)
    cit = offers.team_caseload_draws(state, k, rng)
    base = base_index(state)
    yes = rng.random(cit.size) < offer_willingness(state, base, cit, k) * ability(state, cit, k)
    saved = ini.places[: ini.n].copy()
    ini.places[: ini.n] = target
    _join(state, cit[yes], k[yes], rng)
    ini.places[: ini.n] = saved
    active = (c.initiative_of >= 0).any(axis=0)
    c.experience[active] = rng.integers(0, 25, int(active.sum()))
    record_coproduction(state)


def record_coproduction(state: State) -> None:
    """Remember the month each citizen last co-produced individually and collectively (with a
    public body; self-organisation alone is not co-production, 003@14749), so that a survey
    can ask about "the last 12 months" as the chapters' surveys did (000@14357)."""
    c = state.citizens
    _, cit, _ = state.membership.active_entries(state)
    code = state.membership.entry_codes(state)
    c.last_individual[cit[(code & INDIVIDUAL) > 0]] = state.month
    c.last_collective[cit[(code & COLLECTIVE) > 0]] = state.month


def step(state: State, params, rng: np.random.Generator) -> None:
    """Offers taken up, peer joins, community action, crisis matching and exits."""
    c = state.citizens
    base = base_index(state)
    age_terms(state)  # cached before the indices are computed on other threads
    # Exits and offers (which draw the random numbers, in order) neither read the general
    # willingness nor change what it reads, so in a large model it is computed beside them,
    # on another thread (..parallel), with the same results.
    _, c.willingness = concurrently(
        c.n,
        lambda: (_exits(state, base, rng), _accept_offers(state, base, rng)),
        lambda: general_willingness(state, base),
    )
    _peer_joins(state, rng)
    # The index's inputs do not change between here and community action.
    _community_action(state, base, rng)
    _crisis_matching(state, rng)
    _close_empty_community_action(state)
    # Unanswered willingness: willing citizens who hold no place wait (4.1).
    idle = state.membership.citizen_flags(state) == 0  # every held place has a nonzero code
    waiting = idle & (c.willingness > 0.5)
    c.unanswered = np.where(waiting, c.unanswered + 1.0, c.unanswered * 0.8)
    record_coproduction(state)
