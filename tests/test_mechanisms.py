"""One direction-of-effect test per mechanism, averaged over seeds (docs/ODD.md §7).

Each test changes one lever, barrier or shock against the same seeds and checks the sign of
the effect that the source chapters give (cited in each docstring).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from coprod_sim import CoproductionModel
from coprod_sim.submodels import participation

SEEDS = (0, 1, 2, 3)
N = 4000
STEPS = 96


@cache
def _runs(items: tuple, steps: int = STEPS, seeds: tuple = SEEDS) -> tuple[pd.DataFrame, ...]:
    frames = []
    for seed in seeds:
        model = CoproductionModel(rng=seed, n_citizens=N, **dict(items))
        model.run_for(steps)
        frames.append(model.metrics_frame())
    return tuple(frames)


def runs(steps: int = STEPS, **params) -> tuple[pd.DataFrame, ...]:
    return _runs(tuple(sorted(params.items())), steps)


def late(frames, metric: str, start: int = 60, stop: int = STEPS) -> float:
    """Mean over seeds of a metric's mean over months start..stop."""
    return float(np.mean([f.loc[start:stop, metric].mean() for f in frames]))


def total(frames, metric: str) -> float:
    return float(np.mean([f[metric].sum() for f in frames]))


def test_staff_feedback_raises_self_efficacy_and_participation():
    """Visible success raises self-efficacy, which raises participation (000@10732, 000@11846).

    Participation is mostly bounded by opportunities (P1), so the effect on it is small next
    to run-to-run variation: it is averaged over twelve seeds and the whole run."""
    seeds = tuple(range(12))
    low = _runs((("staff_feedback", 0.0),), STEPS, seeds)
    high = _runs((("staff_feedback", 1.0),), STEPS, seeds)
    assert late(high, "self_efficacy_citizens") > late(low, "self_efficacy_citizens") + 0.02
    assert late(high, "willingness") > late(low, "willingness")
    assert late(high, "participation_any", 1) > late(low, "participation_any", 1) + 0.005


def test_closing_the_feedback_loop_keeps_co_assessment_up():
    """Co-assessors who wait in vain do not respond the next time (003@139090)."""
    open_, closed = runs(feedback_loop_closed=0.0), runs(feedback_loop_closed=1.0)
    assert late(closed, "participation_co_assessment") > late(open_, "participation_co_assessment")
    assert late(closed, "expects_response") > 0.6 > late(open_, "expects_response")


def test_open_feedback_loop_makes_co_assessment_decay():
    """With the loop open, expectation of a response and co-assessment fall from their peak."""
    frames = runs(feedback_loop_closed=0.0)
    expects = np.mean([f["expects_response"].to_numpy() for f in frames], axis=0)
    assert expects[-1] < expects[0] - 0.05
    share = np.mean([f["participation_co_assessment"].to_numpy() for f in frames], axis=0)
    assert share[-12:].mean() < share.max()


def test_staff_time_shortage_lowers_offers():
    """'shortage of staff time may be a much more important barrier' (000@23459)."""
    ample, short = runs(staff_time_shortage=0.1), runs(staff_time_shortage=0.9)
    assert late(short, "offers", 1) < late(ample, "offers", 1)
    assert late(short, "participation_any") < late(ample, "participation_any")


def test_commissioner_risk_appetite_means_fewer_initiatives_stopped():
    """Loss aversion stacks the cards against co-production (000@34843)."""
    averse, enabling = runs(risk_appetite_commissioners=0.0), runs(risk_appetite_commissioners=1.0)
    assert late(enabling, "initiatives_stopped", STEPS) < late(averse, "initiatives_stopped", STEPS)


def test_unavailability_shock_dips_provider_resilience_and_performance_then_recovers():
    """Professionals temporarily unavailable (000@53719); provider resilience (000@57886)."""
    frames = runs(unavailability_share=0.5, unavailability_start=48, unavailability_duration=6)
    for metric in ("resilience_provider", "service_performance"):
        before = late(frames, metric, 40, 47)
        during = late(frames, metric, 48, 53)
        after = late(frames, metric, 60, 72)
        assert during < 0.8 * before
        assert after > 0.95 * before


def test_co_production_cushions_the_unavailability_shock():
    """Co-producers keep part of the service going (000@54888): the dip is shallower with
    more co-production (here raised by ample staff time before the shock)."""
    shock = {"unavailability_share": 0.5, "unavailability_start": 48}
    thin = runs(staff_time_shortage=0.95, **shock)
    thick = runs(staff_time_shortage=0.1, **shock)
    assert late(thick, "service_performance", 48, 53) > late(thin, "service_performance", 48, 53)


def test_budget_cut_with_substitution_raises_resistance_exploitation_and_volunteers():
    """UK libraries: volunteers doubled while paid staff fell (000@136443-136480); staff fear
    job loss (000@38886); citizens feel 'dumped' on (000@42467)."""
    base, cut = runs(), runs(budget_cut_share=0.3, budget_cut_start=36)
    assert late(cut, "staff_resistance") > late(base, "staff_resistance") + 0.1
    assert late(cut, "exploited_share") > late(base, "exploited_share")
    assert late(cut, "co_delivery_volunteers") > late(base, "co_delivery_volunteers")
    assert late(cut, "paid_staff") < late(base, "paid_staff")


def test_digital_only_initiatives_exclude_those_without_access():
    """Digital co-production excludes people who cannot access it (003@182158)."""
    shares = {}
    for platform in (0.0, 1.0):
        with_access, without = [], []
        for seed in SEEDS:
            model = CoproductionModel(
                rng=seed, n_citizens=N, digital_platform=platform, digital_exclusion=0.5
            )
            model.run_for(60)
            c = model.state.citizens
            active = (c.initiative_of >= 0).any(axis=0)
            with_access.append(active[c.digital_access].mean())
            without.append(active[~c.digital_access].mean())
        shares[platform] = (np.mean(with_access), np.mean(without))
    access, no_access = shares[1.0]
    assert no_access < 0.5 * access
    assert no_access < shares[0.0][1] + 1e-9


def test_star_programme_raises_participation():
    """The Co-Production Star (000@66651) against the same run without it."""
    without, with_star = runs(), runs(star_programme=True, star_start=12)
    assert late(with_star, "participation_any") > late(without, "participation_any")
    assert late(with_star, "self_efficacy_citizens") > late(without, "self_efficacy_citizens")
    assert runs(star_programme=True, star_start=12)[0].loc[STEPS, "star_step"] == 6


def test_word_of_mouth_raises_participation():
    """Co-producers attract new ones by word of mouth (000@151070, 002@17777)."""
    none, strong = runs(peer_weight=0.0), runs(peer_weight=4.0)
    assert late(strong, "participation_any") > late(none, "participation_any")


def test_community_development_grows_self_organisation_and_generalised_trust():
    """Up-front investment in community assets (000@55965); Balsall Heath (000@56942)."""
    low, high = runs(community_development=0.0), runs(community_development=1.0)
    assert total(high, "self_organisation") > total(low, "self_organisation")
    assert late(high, "generalised_trust") > late(low, "generalised_trust")


def test_crisis_call_is_over_answered_and_bottlenecked_by_matching():
    """750,000 signed up; 20,000 given tasks in the first month (002@60710, 000@98274)."""
    slow = runs(volunteer_call_size=0.4, volunteer_call_start=24, matching_capacity=2.0)
    fast = runs(volunteer_call_size=0.4, volunteer_call_start=24, matching_capacity=40.0)
    first_month = late(slow, "volunteers_matched", 24, 24)
    assert late(slow, "volunteers_signed_up", 24, 24) > 10 * first_month
    assert late(fast, "volunteers_matched", 36, 36) > late(slow, "volunteers_matched", 36, 36)
    # Unmatched volunteers lose interest: the queue empties without being matched.
    assert late(slow, "volunteers_waiting", 40, 40) < 0.2 * late(slow, "volunteers_waiting", 24, 24)


def test_training_lowers_misconduct():
    """Training reduces rule-breaking and harm (000@154973, 000@161040)."""
    untrained = runs(misconduct_rate=0.05, staff_training=0.0)
    trained = runs(misconduct_rate=0.05, staff_training=1.0)
    assert total(trained, "dark_side_events") < total(untrained, "dark_side_events")


def test_scandal_lowers_trust_and_appetites():
    """A vigilante incident jeopardises the public value of the group (000@162697) and hits
    reputations, lowering risk appetites (000@118561)."""
    calm = CoproductionModel(rng=5, n_citizens=N)
    scandal = CoproductionModel(rng=5, n_citizens=N, scandal=True, scandal_start=30)
    calm.run_for(30)
    scandal.run_for(30)
    quiet, hit = calm.state, scandal.state
    assert hit.commissioners.risk_appetite.sum() < quiet.commissioners.risk_appetite.sum()
    assert hit.politicians.risk_appetite.sum() < quiet.politicians.risk_appetite.sum()
    assert hit.citizens.generalised_trust.sum() < quiet.citizens.generalised_trust.sum()
    assert scandal.metrics_frame().loc[30, "dark_side_events"] >= 1


def test_burnout_rises_with_effort():
    """Volunteers pushed beyond their capacity burn out (000@138259-138516)."""
    light, heavy = runs(effort_fatigue=0.02), runs(effort_fatigue=0.3)
    assert late(heavy, "burnout_share") > late(light, "burnout_share")


def test_restructuring_weakens_the_commissioner_link_then_it_rebuilds():
    """Experienced commissioners moved or made redundant (000@58560)."""
    frames = runs(restructuring_knowledge_loss=0.8, restructuring_start=24)
    before = late(frames, "resilience_commissioner", 20, 23)
    right_after = late(frames, "resilience_commissioner", 24, 25)
    later = late(frames, "resilience_commissioner", 90, 96)
    assert right_after < 0.5 * before
    assert right_after < later


def test_portfolio_strategy_lowers_failures_in_a_complex_domain():
    """Portfolio management chooses activities with lower risk (000@46715)."""
    plain = runs(knowledge_domain="complex")
    portfolio = runs(knowledge_domain="complex", risk_strategy="portfolio")
    assert late(portfolio, "initiatives_stopped", STEPS) < late(plain, "initiatives_stopped", STEPS)


def test_chaotic_domain_means_more_initiatives_stopped():
    """Outcome noise grows from simple to chaotic (000@43219-45428)."""
    simple, chaotic = runs(knowledge_domain="simple"), runs(knowledge_domain="chaotic")
    assert late(chaotic, "initiatives_stopped", STEPS) > late(simple, "initiatives_stopped", STEPS)


def test_benefit_spillover_means_more_initiatives_stopped():
    """Benefits accruing to another body are not counted (000@26890, 000@27198)."""
    own, spill = runs(benefit_spillover=0.0), runs(benefit_spillover=1.0)
    assert late(spill, "initiatives_stopped", STEPS) > late(own, "initiatives_stopped", STEPS)


def test_outcome_based_commissioning_frees_slack_for_offers():
    """'time and task' output specification is a barrier (000@25474)."""
    output, outcome = (
        runs(outcome_based_commissioning=0.0),
        runs(outcome_based_commissioning=1.0),
    )
    assert late(outcome, "offers", 1) > late(output, "offers", 1)


def test_overt_monitoring_erodes_trust():
    """Monitoring may be perceived as a lack of trust (000@146978)."""
    none, heavy = runs(overt_monitoring=0.0), runs(overt_monitoring=1.0)
    assert late(heavy, "trust_citizens_in_staff") < late(none, "trust_citizens_in_staff")


def test_information_provision_raises_willingness():
    """Satisfaction with information is positively associated (000@12283)."""
    low, high = (
        runs(information_provision=0.0, poor_communication=0.8),
        runs(information_provision=1.0, poor_communication=0.0),
    )
    assert late(high, "willingness") > late(low, "willingness")


def test_participatory_budgeting_quota_raises_co_commissioning():
    """A participatory budgeting quota of 1% of spending (002@22159)."""
    none, quota = runs(participatory_budgeting=0.0), runs(participatory_budgeting=0.02)
    assert late(quota, "participation_co_commissioning") > late(
        none, "participation_co_commissioning"
    )


# ---------------------------------------------------------------------- functional forms


@pytest.fixture(scope="module")
def model() -> CoproductionModel:
    m = CoproductionModel(rng=11, n_citizens=2000)
    m.run_for(12)
    return m


def test_self_efficacy_weighs_more_for_collective_modes(model):
    """Self-efficacy is 'even more strongly correlated with collective' (000@17073)."""
    s = model.state
    base = np.zeros(s.citizens.n)
    c = s.citizens
    saved = c.self_efficacy.copy()
    try:
        c.self_efficacy[:] = 0.2
        ind_lo = participation.kind_index(s, base, False)
        col_lo = participation.kind_index(s, base, True)
        c.self_efficacy[:] = 0.8
        ind_hi = participation.kind_index(s, base, False)
        col_hi = participation.kind_index(s, base, True)
    finally:
        c.self_efficacy[:] = saved
    assert np.all(col_hi - col_lo > ind_hi - ind_lo)
    assert np.all(ind_hi > ind_lo)


def test_age_raises_individual_and_lowers_collective_willingness():
    """Age: + individual (000@6969), - collective (000@15093)."""
    assert np.all(np.diff(participation.AGE_INDIVIDUAL) > 0)
    assert np.all(np.diff(participation.AGE_COLLECTIVE) < 0)


def test_shortfall_raises_willingness(model):
    """A shortfall in performance prompts co-production (000@12607)."""
    s = model.state
    saved = s.citizens.shortfall.copy()
    try:
        s.citizens.shortfall[:] = 0.0
        low = participation.base_index(s)
        s.citizens.shortfall[:] = 0.6
        high = participation.base_index(s)
    finally:
        s.citizens.shortfall[:] = saved
    assert np.all(high > low)


def test_good_performance_raises_self_efficacy():
    """Good performance enhances self-efficacy (000@12949): one month of learning with the
    same everything except the perceived shortfall."""
    import copy

    from coprod_sim.submodels import learning

    model = CoproductionModel(rng=4, n_citizens=2000)
    model.run_for(6)
    after = {}
    for shortfall in (0.0, 0.8):
        state = copy.deepcopy(model.state)
        state.citizens.shortfall[:] = shortfall
        learning._citizens(state, state.neighbour_success, state.neighbour_active)
        after[shortfall] = state.citizens.self_efficacy
    assert np.all(after[0.0] >= after[0.8])
    assert after[0.0].mean() > after[0.8].mean()


def test_material_rewards_help_simple_tasks_and_crowd_out_complex_ones(model):
    """Material rewards suit simple tasks; intrinsic rewards complex ones (000@95232, 000@95722)."""
    s = model.state
    ini = s.initiatives
    k = np.flatnonzero(ini.live)[:1]
    cit = np.arange(200)
    kk = np.repeat(k, cit.size)
    base = participation.base_index(s)
    saved_domain = ini.domain[k].copy()
    saved_rewards = s.policy.material_rewards
    try:
        results = {}
        for domain in (0, 3):
            ini.domain[k] = domain
            for rewards in (0.0, 1.0):
                s.policy.material_rewards = rewards
                results[domain, rewards] = participation.offer_willingness(s, base, cit, kk)
    finally:
        ini.domain[k] = saved_domain
        s.policy.material_rewards = saved_rewards
    assert np.all(results[0, 1.0] > results[0, 0.0])
    assert np.all(results[3, 1.0] < results[3, 0.0])


def test_charter_lowers_perceived_risk(model):
    """A charter insures co-producers (000@80868, 002@15545)."""
    s = model.state
    k = np.flatnonzero(s.initiatives.live)[:1]
    cit = np.arange(200)
    kk = np.repeat(k, cit.size)
    base = participation.base_index(s)
    saved = s.policy.charter
    try:
        s.policy.charter = False
        without = participation.offer_willingness(s, base, cit, kk)
        s.policy.charter = True
        insured = participation.offer_willingness(s, base, cit, kk)
    finally:
        s.policy.charter = saved
    assert np.all(insured >= without)
    assert np.any(insured > without)
