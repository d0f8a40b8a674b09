"""Observation (ODD §4.11): canonical metrics as pure functions of the state.

:func:`collect` returns one row: every canonical name in :data:`CANONICAL`, plus the extra
names in :data:`EXTRA`. A metric never changes the state. :func:`agent_snapshot` gives a tidy
per-agent table, and :func:`shock_response` the resilience response figures of a series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .membership import COLLECTIVE, INDIVIDUAL, SELF_ORGANISED
from .state import AGE_BANDS, CO_DELIVERY, DOMAINS, EDUCATION, MODES, STAGES, State

CANONICAL: tuple[str, ...] = (
    "participation_co_commissioning",
    "participation_co_design",
    "participation_co_delivery",
    "participation_co_assessment",
    "participation_any",
    "participation_individual",
    "participation_collective",
    "willingness",
    "self_efficacy_citizens",
    "trust_citizens_in_staff",
    "trust_staff_in_citizens",
    "generalised_trust",
    "trust_politicians_in_commissioners",
    "motivation_citizens",
    "motivation_staff",
    "motivation_commissioners",
    "motivation_politicians",
    "service_performance",
    "user_value",
    "social_value",
    "economic_value",
    "governance_value",
    "staff_hours",
    "citizen_hours",
    "coproduction_budget_share",
    "participation_gap_education",
    "usual_suspects_share",
    "burnout_share",
    "exploited_share",
    "dark_side_events",
    "resilience_user",
    "resilience_community",
    "resilience_provider",
    "resilience_commissioner",
    "resilience_chain",
)
"""The canonical metric names (ODD §4.11). These names stay."""

EXTRA: tuple[str, ...] = (
    "month",
    "self_organisation",
    "initiatives_live",
    "initiatives_stopped",
    "offers",
    "volunteers_signed_up",
    "volunteers_matched",
    "volunteers_waiting",
    "co_delivery_volunteers",
    "paid_staff",
    "staff_resistance",
    "expects_response",
    "star_step",
    *(f"participation_{m}_{kind}" for m in MODES for kind in ("individual", "collective")),
    "self_efficacy_staff",
    "self_efficacy_commissioners",
    "self_efficacy_politicians",
    "trust_commissioners",
)
"""Further metrics (P7 and P8 need the volunteer and paid-staff counts; the reports show each
Co split into individual and collective, and trust and self-efficacy for every role)."""

METRICS: tuple[str, ...] = CANONICAL + EXTRA

UNITS: dict[str, str] = {
    "staff_hours": "hours a month per 1,000 citizens",
    "citizen_hours": "hours a month per 1,000 citizens",
    "economic_value": "net saving as a share of the monthly budget",
    "dark_side_events": "events this month",
    "participation_gap_education": "difference in shares (high - low education)",
    "initiatives_live": "initiatives",
    "initiatives_stopped": "initiatives stopped so far",
    "offers": "offers this month per 1,000 citizens",
    "volunteers_signed_up": "citizens so far, per 1,000",
    "volunteers_matched": "citizens so far, per 1,000",
    "volunteers_waiting": "citizens waiting, per 1,000",
    "co_delivery_volunteers": "citizens in co-delivery, per 1,000",
    "month": "month",
    "star_step": "0 = off, 1-5 = Map..Grow, 6 = done",
}
"""Units of the metrics that are not shares or levels in [0, 1]."""

LEVEL_METRICS: tuple[str, ...] = tuple(m for m in METRICS if m not in UNITS)
"""The metrics that are shares or levels, always in [0, 1]."""

LABELS: dict[str, str] = {
    "participation_co_commissioning": "Co-commissioning: share of citizens taking part",
    "participation_co_design": "Co-design: share of citizens taking part",
    "participation_co_delivery": "Co-delivery: share of citizens taking part",
    "participation_co_assessment": "Co-assessment: share of citizens taking part",
    "participation_any": "Citizens co-producing (any of the Four Co's)",
    "participation_individual": "Citizens co-producing individually",
    "participation_collective": "Citizens co-producing collectively",
    "willingness": "Willingness to co-produce",
    "self_efficacy_citizens": "Self-efficacy: citizens",
    "trust_citizens_in_staff": "Trust: citizens in staff",
    "trust_staff_in_citizens": "Trust: staff in citizens",
    "generalised_trust": "Trust: citizens in each other",
    "trust_politicians_in_commissioners": "Trust: politicians in commissioners",
    "motivation_citizens": "Motivation: citizens",
    "motivation_staff": "Motivation: staff",
    "motivation_commissioners": "Motivation: commissioners",
    "motivation_politicians": "Motivation: politicians",
    "service_performance": "Service performance",
    "user_value": "User value",
    "social_value": "Social value",
    "economic_value": "Economic value",
    "governance_value": "Governance value",
    "staff_hours": "Staff hours on co-production",
    "citizen_hours": "Citizen hours on co-production",
    "coproduction_budget_share": "Co-production share of the budget",
    "participation_gap_education": "Education gap in participation",
    "usual_suspects_share": "Places held by usual suspects",
    "burnout_share": "Citizens burnt out",
    "exploited_share": "Citizens who feel exploited",
    "dark_side_events": "Dark-side events",
    "resilience_user": "Resilience: user link",
    "resilience_community": "Resilience: community link",
    "resilience_provider": "Resilience: provider link",
    "resilience_commissioner": "Resilience: commissioner link",
    "resilience_chain": "Resilience chain (weakest link)",
    "month": "Month",
    "self_organisation": "Citizens in self-organised groups",
    "initiatives_live": "Initiatives running",
    "initiatives_stopped": "Initiatives stopped",
    "offers": "Places offered by staff",
    "volunteers_signed_up": "Volunteers signed up",
    "volunteers_matched": "Volunteers matched to a task",
    "volunteers_waiting": "Volunteers waiting for a task",
    "co_delivery_volunteers": "Citizens in co-delivery",
    "paid_staff": "Paid staff in post (share)",
    "staff_resistance": "Staff resistance to co-production",
    "expects_response": "Citizens expecting their voice to be acted on",
    "star_step": "Co-Production Star step",
    **{
        f"participation_{m}_{kind}": f"{m.replace('_', '-').capitalize()}: {kind}"
        for m in MODES
        for kind in ("individual", "collective")
    },
    "self_efficacy_staff": "Self-efficacy: staff",
    "self_efficacy_commissioners": "Self-efficacy: commissioners",
    "self_efficacy_politicians": "Self-efficacy: politicians",
    "trust_commissioners": "Trust: commissioners",
}
"""A human label for every metric (dashboards, reports and tables show these, not the names)."""

LEVEL_UNIT = "share or level, 0-1"
"""Unit of every metric not in :data:`UNITS`."""


def label(metric: str) -> str:
    """The human label of a metric name (the name itself if it has none)."""
    return LABELS.get(metric, metric)


def unit(metric: str) -> str:
    """The unit of a metric: its entry in :data:`UNITS`, else a share or level in [0, 1]."""
    return UNITS.get(metric, LEVEL_UNIT)


def _mean(x: np.ndarray) -> float:
    # The sum and division of ``x.mean()`` (same bits) without its Python-level overhead.
    return float(np.add.reduce(x) / x.size) if x.size else 0.0


def _share(flag: np.ndarray) -> float:
    """The share of True in a bool array: the same float as ``flag.mean()`` (a count over a
    size), without summing a float copy."""
    return np.count_nonzero(flag) / flag.size if flag.size else 0.0


def _share_of(flag: np.ndarray, among: np.ndarray) -> float:
    """The share of True in ``flag`` among the True of ``among``: ``flag[among].mean()``."""
    size = np.count_nonzero(among)
    return np.count_nonzero(flag & among) / size if size else 0.0


def collect(state: State) -> dict[str, float]:
    """One row of metrics for the current state."""
    c, st, ini, fl = state.citizens, state.staff, state.initiatives, state.flows
    n = c.n
    per_1000 = 1000.0 / n
    # Few citizens hold a place (about 2% of the 4 x N slots), so counts per mode come from
    # the held entries, and per-citizen shares from the cached bits of each citizen's places.
    mode, cit, _ = state.membership.active_entries(state)
    code = state.membership.entry_codes(state)
    coprod = (code & (INDIVIDUAL | COLLECTIVE)) > 0  # needs a public body (003@14749)
    flags = state.membership.citizen_flags(state)
    any_ = (flags & (INDIVIDUAL | COLLECTIVE)) > 0
    row: dict[str, float] = {}
    per_mode = np.bincount(mode[coprod], minlength=len(MODES))
    for m, name in enumerate(MODES):
        row[f"participation_{name}"] = float(per_mode[m] / n)
    row["participation_any"] = _share(any_)
    row["participation_individual"] = _share((flags & INDIVIDUAL) > 0)
    row["participation_collective"] = _share((flags & COLLECTIVE) > 0)
    row["willingness"] = _mean(c.willingness)
    row["self_efficacy_citizens"] = _mean(c.self_efficacy)
    row["trust_citizens_in_staff"] = _mean(c.trust)
    row["trust_staff_in_citizens"] = _mean(st.trust)
    row["generalised_trust"] = _mean(c.generalised_trust)
    row["trust_politicians_in_commissioners"] = _mean(state.politicians.trust)
    row["motivation_citizens"] = _mean(c.motivation)
    row["motivation_staff"] = _mean(st.motivation)
    row["motivation_commissioners"] = _mean(state.commissioners.motivation)
    row["motivation_politicians"] = _mean(state.politicians.motivation)
    row["service_performance"] = state.service_performance
    for name in ("user_value", "social_value", "economic_value", "governance_value"):
        row[name] = float(getattr(fl, name))
    row["staff_hours"] = fl.staff_hours * per_1000
    row["citizen_hours"] = fl.citizen_hours * per_1000
    row["coproduction_budget_share"] = _mean(state.commissioners.budget_share)
    high, low = state.derived.high_education, state.derived.low_education
    row["participation_gap_education"] = _share_of(any_, high) - _share_of(any_, low)
    # Usual suspects: the same few people in several forums (000@151881, 003@184655).
    places = np.bincount(cit[coprod])
    total = places.sum()
    row["usual_suspects_share"] = float(places[places >= 2].sum() / total) if total else 0.0
    row["burnout_share"] = _share(c.rest > 0)
    row["exploited_share"] = _share(c.exploited > 0.5)
    row["dark_side_events"] = float(fl.dark_side_events)
    for name in (
        "resilience_user",
        "resilience_community",
        "resilience_provider",
        "resilience_commissioner",
        "resilience_chain",
    ):
        row[name] = float(getattr(fl, name))
    tot = state.totals
    row["month"] = float(state.month)
    row["self_organisation"] = _share((flags & SELF_ORGANISED) > 0)
    row["initiatives_live"] = float((ini.live & ~ini.view("self_organised")).sum())
    row["initiatives_stopped"] = tot.initiatives_stopped
    row["offers"] = fl.offers * per_1000
    row["volunteers_signed_up"] = tot.volunteers_signed_up * per_1000
    row["volunteers_matched"] = tot.volunteers_matched * per_1000
    row["volunteers_waiting"] = float(c.waiting.sum()) * per_1000
    row["co_delivery_volunteers"] = float(per_mode[CO_DELIVERY]) * per_1000
    row["paid_staff"] = float(st.employed.mean())
    row["staff_resistance"] = _mean(st.resistance)
    row["expects_response"] = _mean(c.expects_response)
    row["star_step"] = float(state.star_step)
    for kind, bit in (("individual", INDIVIDUAL), ("collective", COLLECTIVE)):
        by_mode = np.bincount(mode[(code & bit) > 0], minlength=len(MODES))
        for m, name in enumerate(MODES):
            row[f"participation_{name}_{kind}"] = float(by_mode[m] / n)
    row["self_efficacy_staff"] = _mean(st.self_efficacy)
    row["self_efficacy_commissioners"] = _mean(state.commissioners.self_efficacy)
    row["self_efficacy_politicians"] = _mean(state.politicians.self_efficacy)
    row["trust_commissioners"] = _mean(state.commissioners.trust)
    return row


def agent_snapshot(state: State) -> pd.DataFrame:
    """A tidy per-agent table: one row per agent, role-specific columns NaN elsewhere."""
    c, st, co, po = state.citizens, state.staff, state.commissioners, state.politicians
    held = c.initiative_of >= 0
    citizens = pd.DataFrame(
        {
            "role": "citizen",
            "index": np.arange(c.n),
            "motivation": c.motivation,
            "trust": c.trust,
            "self_efficacy": c.self_efficacy,
            "risk_appetite": c.risk_appetite,
            "generalised_trust": c.generalised_trust,
            "fatigue": c.fatigue,
            "exploited": c.exploited,
            "expects_response": c.expects_response,
            "willingness": c.willingness,
            "shortfall": c.shortfall,
            "age_band": pd.Categorical.from_codes(c.age_band, AGE_BANDS),
            "education": pd.Categorical.from_codes(c.education, EDUCATION),
            "employed": c.employed,
            "female": c.female,
            "vulnerable": c.vulnerable,
            "digital_access": c.digital_access,
            "neighbourhood": c.neighbourhood,
            "knows_and_cares": c.knows & c.cares,
            "caseload_staff": c.caseload_staff,
            "burnt_out": c.rest > 0,
            **{f"active_{m}": held[i] for i, m in enumerate(MODES)},
        }
    )
    staff = pd.DataFrame(
        {
            "role": "staff",
            "index": np.arange(st.n),
            "motivation": st.motivation,
            "trust": st.trust,
            "self_efficacy": st.self_efficacy,
            "risk_appetite": st.risk_appetite,
            "resistance": st.resistance,
            "slack": st.slack,
            "available": st.available & st.employed,
        }
    )
    commissioners = pd.DataFrame(
        {
            "role": "commissioner",
            "index": np.arange(co.n),
            "motivation": co.motivation,
            "trust": co.trust,
            "self_efficacy": co.self_efficacy,
            "risk_appetite": co.risk_appetite,
            "budget_share": co.budget_share,
            "knowledge": co.knowledge,
        }
    )
    politicians = pd.DataFrame(
        {
            "role": "politician",
            "index": np.arange(po.n),
            "motivation": po.motivation,
            "trust": po.trust,
            "self_efficacy": po.self_efficacy,
            "risk_appetite": po.risk_appetite,
            "support": po.support,
            "horizon": po.horizon,
        }
    )
    frame = pd.concat([citizens, staff, commissioners, politicians], ignore_index=True)
    frame["role"] = pd.Categorical(
        frame["role"], ["citizen", "staff", "commissioner", "politician"]
    )
    return frame


def initiatives_frame(state: State) -> pd.DataFrame:
    """The initiatives table as a tidy DataFrame: one row per initiative ever started."""
    frame = pd.DataFrame(state.initiatives.to_dict())
    frame["mode"] = pd.Categorical.from_codes(frame["mode"], MODES)
    frame["domain"] = pd.Categorical.from_codes(frame["domain"], DOMAINS)
    frame["stage"] = pd.Categorical.from_codes(frame["stage"], STAGES)
    frame.index.name = "initiative"
    return frame


def shock_response(series: Sequence[float] | pd.Series, shock_start: int) -> dict[str, float]:
    """Resilience response figures of a monthly series around a shock at ``shock_start``.

    Returns the pre-shock level (mean of the 12 months before), the depth of the dip (share of
    the pre-shock level lost at the worst point), the months from the shock until the series
    is back to 95% of the pre-shock level (NaN if it never is), and the area lost (sum of the
    shortfall below the pre-shock level, in level-months).
    """
    y = np.asarray(series, dtype=np.float64)
    if not 0 < shock_start < y.size:
        raise ValueError(f"shock_start {shock_start} must lie inside the series (1..{y.size - 1})")
    before = y[max(0, shock_start - 12) : shock_start]
    level = float(before.mean())
    after = y[shock_start:]
    worst = float(after.min())
    depth = (level - worst) / level if level > 0 else 0.0
    low = after < 0.95 * level
    if not low.any():
        recover = 0.0
    else:
        bottom = int(np.argmin(after))
        back = np.flatnonzero(~low[bottom:])
        recover = float(bottom + back[0]) if back.size else float("nan")
    area = float(np.clip(level - after, 0.0, None).sum())
    return {
        "pre_shock": level,
        "depth": max(depth, 0.0),
        "recovery_months": recover,
        "area_lost": area,
    }
