"""The one parameter schema of coprod-sim.

Every parameter is declared once, here: its name, type, range, default, unit, group, help text
and source. The model's keyword arguments, scenario files, the command line, the dashboard
controls and the sweep axes are all derived from :data:`PARAMETERS`. Nothing else in the
package keeps a list of parameters.

Sources are cited as ``file@offset`` into ``shared/seeds`` (``000`` = Loeffler 2020, ch. 5;
``001`` = Loeffler & Bovaird, public value; ``002`` = Loeffler, the future of co-production;
``003`` = Loeffler, the Four Co's). "illustrative" marks a default that the chapters do not
give a number for; such values are calibration targets (see ``docs/ODD.md``).

This module imports nothing from the package (layer 1 of the architecture).
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

from .errors import InputError

if TYPE_CHECKING:
    import pydantic

    Params = pydantic.BaseModel  # for type checkers; at run time made by _params_model()

GROUPS: tuple[str, ...] = (
    "population",
    "barriers",
    "risk",
    "levers",
    "shocks",
    "network",
    "run",
    "behaviour",
)
"""Parameter groups, in display order. ``behaviour`` holds the coefficients of the mechanisms
(learning rates, thresholds): researchers sweep them, policy users rarely need them."""

DOMAINS: tuple[str, ...] = ("simple", "complicated", "complex", "chaotic")
"""Cynefin domains in code order (0 = simple): the choices of ``knowledge_domain`` and the
codes of ``initiatives.domain``. Defined here, the lowest layer, so the schema and the engine
share one list."""

RUNTIME_GROUPS: tuple[str, ...] = ("barriers", "risk", "levers", "behaviour")
"""Groups whose parameters a scheduled policy change may set during a run (sizes, the
network, the horizon and the shocks themselves are fixed when the model is built)."""


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """The definition of one parameter."""

    name: str
    type: type  # float, int, bool or str (an enumeration with ``choices``)
    default: Any
    group: str
    unit: str
    help: str
    source: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    build_time: bool = False  # read only when the population is built

    @property
    def label(self) -> str:
        """The name in words, for titles and messages ("staff training")."""
        return self.name.replace("_", " ")

    @property
    def changeable(self) -> bool:
        """Whether a scheduled policy change may set it during a run."""
        return not self.build_time and self.group in RUNTIME_GROUPS

    @property
    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        kind = "an integer" if self.type is int else "a number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else str(x)


def _p(name, type_, default, group, unit, help_, source, low=None, high=None, choices=None):
    return ParamSpec(name, type_, default, group, unit, help_, source, low, high, choices)


def _level(
    name: str, default: float, group: str, help_: str, source: str, *, build_time: bool = False
) -> ParamSpec:
    """A level in [0, 1]: the common case for barriers and levers."""
    spec = _p(name, float, default, group, "level", help_, source, 0.0, 1.0)
    return replace(spec, build_time=build_time) if build_time else spec


_MONTHS = 12_000  # upper bound for any month-valued parameter (1,000 years)

PARAMETERS: tuple[ParamSpec, ...] = (
    # ------------------------------------------------------------------ population
    _p(
        "n_citizens",
        int,
        1000,
        "population",
        "citizens",
        "Number of synthetic citizens. 1,000 suits the dashboard; the engine handles 1,000,000.",
        "ODD §2",
        10,
        2_000_000,
    ),
    _p(
        "citizens_per_staff",
        int,
        50,
        "population",
        "citizens per staff member",
        "Caseload: citizens served by one frontline staff member.",
        "ODD §2",
        5,
        5000,
    ),
    _p(
        "n_commissioners",
        int,
        3,
        "population",
        "commissioners",
        "Commissioners; each commissions one provider and its staff.",
        "ODD §2",
        1,
        50,
    ),
    _p(
        "n_politicians",
        int,
        5,
        "population",
        "councillors",
        "Elected councillors overseeing the commissioners.",
        "ODD §2",
        1,
        101,
    ),
    _p(
        "neighbourhood_size",
        int,
        250,
        "population",
        "citizens",
        "Citizens per neighbourhood (the unit of community co-production and resilience).",
        "000@55688 community assets; ODD §2",
        10,
        1_000_000,
    ),
    _p(
        "share_age_18_34",
        float,
        0.27,
        "population",
        "share",
        "Share of adults aged 18-34 (35-54 is the remainder). Illustrative adult age profile.",
        "ODD §2 (illustrative)",
        0.0,
        1.0,
    ),
    _p(
        "share_age_55_74",
        float,
        0.30,
        "population",
        "share",
        "Share of adults aged 55-74. Illustrative.",
        "ODD §2 (illustrative)",
        0.0,
        1.0,
    ),
    _p(
        "share_age_75_plus",
        float,
        0.11,
        "population",
        "share",
        "Share of adults aged 75 and over. Illustrative.",
        "ODD §2 (illustrative)",
        0.0,
        1.0,
    ),
    _p(
        "share_high_education",
        float,
        0.35,
        "population",
        "share",
        "Share with high education. Illustrative.",
        "000@7688 (illustrative)",
        0.0,
        1.0,
    ),
    _p(
        "share_low_education",
        float,
        0.25,
        "population",
        "share",
        "Share with low education. Illustrative.",
        "000@8068 (illustrative)",
        0.0,
        1.0,
    ),
    _p(
        "employment_rate",
        float,
        0.75,
        "population",
        "share",
        "Employment rate of working-age citizens (18-54; half of it at 55-74). Employment cuts "
        "time for collective co-production.",
        "000@15878",
        0.0,
        1.0,
    ),
    _p(
        "share_vulnerable",
        float,
        0.15,
        "population",
        "share",
        "Share of citizens with care needs (more need, heavier effort).",
        "000@160562; 000@53719",
        0.0,
        1.0,
    ),
    _p(
        "share_knows_cares",
        float,
        0.30,
        "population",
        "share",
        "Share of citizens who both know about and care about the service.",
        "000@152993 'who know and who care'",
        0.0,
        1.0,
    ),
    _p(
        "initiatives_per_staff",
        float,
        0.6,
        "population",
        "initiatives per staff member",
        "Co-production initiatives running at the start, per staff member (existing "
        "co-production that Map-it reveals).",
        "000@67620",
        0.0,
        10.0,
    ),
    # ------------------------------------------------------------------ barriers (000 Fig. 5.1)
    _level(
        "low_self_efficacy",
        0.3,
        "barriers",
        "Citizens: lowers the initial self-efficacy distribution.",
        "000@9598; 000@10384",
        build_time=True,
    ),
    _level(
        "time_poverty",
        0.5,
        "barriers",
        "Citizens: cuts the ability of the employed to join collective modes.",
        "000@15878",
    ),
    _level(
        "digital_exclusion",
        0.2,
        "barriers",
        "Citizens: share without digital access (raised for deprived neighbourhoods).",
        "003@182158",
        build_time=True,
    ),
    _level(
        "low_social_connectedness",
        0.3,
        "barriers",
        "Citizens: fewer network ties and less clustering.",
        "000@18271",
        build_time=True,
    ),
    _level(
        "low_generalised_trust",
        0.3,
        "barriers",
        "Citizens: lowers initial trust in other citizens.",
        "000@20800",
        build_time=True,
    ),
    _level(
        "low_trust_in_staff",
        0.3,
        "barriers",
        "Citizens: lowers initial trust in staff.",
        "000@13627",
        build_time=True,
    ),
    _level(
        "staff_time_shortage",
        0.8,
        "barriers",
        "Organisation: cuts staff slack for co-production ('a much more important barrier "
        "than shortage of finance').",
        "000@23459 (level calibrated, P1: `docs/validation.md`)",
    ),
    _level(
        "staff_skills_gap",
        0.5,
        "barriers",
        "Organisation: lowers staff skill (self-efficacy) in co-production practice.",
        "000@23696",
    ),
    _level(
        "staff_resistance",
        0.3,
        "barriers",
        "Organisation: resistance to losing status or jobs; lowers willingness to offer.",
        "000@1939; 000@38886",
    ),
    _level(
        "low_staff_trust",
        0.4,
        "barriers",
        "Organisation: lowers staff trust in citizens' capabilities.",
        "000@23915",
    ),
    _level(
        "poor_communication",
        0.5,
        "barriers",
        "Organisation: lowers citizens' satisfaction with information.",
        "000@24792",
    ),
    _level(
        "risk_averse_culture",
        0.6,
        "barriers",
        "Organisation: lowers staff and commissioner risk appetite (blame culture).",
        "000@5145; 000@118561",
    ),
    _level(
        "output_based_management",
        0.6,
        "barriers",
        "Organisation: 'time and task' output targets cut slack and willingness to offer.",
        "000@25474",
    ),
    _level(
        "bureaucracy",
        0.5,
        "barriers",
        "Organisation: set-up cost and delay of new initiatives.",
        "000@25948",
    ),
    _level(
        "political_short_termism",
        0.5,
        "barriers",
        "Organisation: shortens politicians' horizon.",
        "000@27304; 000@27723",
    ),
    _level(
        "benefit_spillover",
        0.3,
        "barriers",
        "Organisation: share of benefits that accrue to other bodies and are not counted.",
        "000@26890; 000@27198",
    ),
    _level(
        "lack_of_evidence",
        0.5,
        "barriers",
        "Context: noise in the appraisal of initiatives.",
        "000@28783",
    ),
    _level(
        "hierarchical_governance",
        0.5,
        "barriers",
        "Context: slows and raises the cost of new initiatives.",
        "000@29487; 000@30103",
    ),
    # ------------------------------------------------------------------ risk
    _level(
        "risk_appetite_citizens",
        0.5,
        "risk",
        "Citizens' willingness to accept personal risk for better outcomes.",
        "000@36244",
        build_time=True,
    ),
    _level(
        "risk_appetite_staff",
        0.4,
        "risk",
        "Staff appetite for risk (fear of discipline without a framework).",
        "000@39263",
    ),
    _level(
        "risk_appetite_commissioners",
        0.4,
        "risk",
        "Commissioners' appetite; low appetite means strong loss aversion in appraisal.",
        "000@34843",
    ),
    _level(
        "risk_appetite_politicians",
        0.4,
        "risk",
        "Politicians' appetite; low appetite means a heavy weight on reputation.",
        "000@38073",
    ),
    _p(
        "risk_strategy",
        str,
        "none",
        "risk",
        "strategy",
        "Risk strategy (Bovaird & Quirk): portfolio lowers outcome variance, risk_reduction "
        "lowers the loss on failure, risk_enablement raises appetites, resilience_building "
        "speeds recovery after failure.",
        "000@46715-47599",
        choices=("none", "portfolio", "risk_reduction", "risk_enablement", "resilience_building"),
    ),
    _p(
        "knowledge_domain",
        str,
        "complicated",
        "risk",
        "Cynefin domain",
        "The service's knowledge domain; sets outcome noise. Co-production moves initiatives "
        "one domain up.",
        "000@43219-45428; 000@51878",
        choices=DOMAINS,
    ),
    # ------------------------------------------------------------------ levers (002@12560-25805)
    _level(
        "staff_feedback",
        0.2,
        "levers",
        "Chance that staff make a citizen's success visible (positive feedback).",
        "000@10732",
    ),
    _level(
        "staff_training",
        0.1,
        "levers",
        "Training in co-production: raises staff skill and lowers misconduct.",
        "002@16936",
    ),
    _level(
        "staff_incentives",
        0.1,
        "levers",
        "HR incentives and rewards for co-producing staff.",
        "000@23779; 000@84853",
    ),
    _p(
        "risk_framework",
        bool,
        False,
        "levers",
        "switch",
        "A formal risk management framework lifts staff fear of discipline.",
        "000@39263",
    ),
    _p(
        "charter",
        bool,
        False,
        "levers",
        "switch",
        "Co-production charter with insurance: lowers co-producers' perceived risk.",
        "000@80868; 002@15545",
    ),
    _level(
        "information_provision",
        0.3,
        "levers",
        "Information to citizens: raises satisfaction with information.",
        "000@12283",
    ),
    _level(
        "feedback_loop_closed",
        0.3,
        "levers",
        "Chance that co-assessment recommendations are acted on and reported back.",
        "003@139090; 000@17862",
    ),
    _level(
        "seed_funding",
        0.0,
        "levers",
        "Seed funding for new pilots (adds to the co-production budget for pilots).",
        "002@14870",
    ),
    _level(
        "outcome_based_commissioning",
        0.2,
        "levers",
        "Share of commissioning that is outcome-based; frees staff slack.",
        "000@25474",
    ),
    _level(
        "peer_support",
        0.1,
        "levers",
        "Peer support networks: spread confidence along ties and cut burnout.",
        "000@59825; 000@127912",
    ),
    _level(
        "digital_platform",
        0.0,
        "levers",
        "Share of initiatives run on a digital platform: more reach, less intensity, "
        "excludes citizens without access.",
        "003@176449; 003@182158",
    ),
    _p(
        "matching_capacity",
        float,
        5.0,
        "levers",
        "volunteers matched per 1,000 citizens a month",
        "How many waiting volunteers can be matched to tasks each month.",
        "002@61030; 003@179030",
        0.0,
        1000.0,
    ),
    _level(
        "targeting",
        0.3,
        "levers",
        "Share of offers matched to citizens who know and care (rest is 'shotgun').",
        "003@20830; 000@152993",
    ),
    _level(
        "community_development",
        0.1,
        "levers",
        "Up-front investment in community assets: generalised trust and self-organisation.",
        "000@55965",
    ),
    _p(
        "participatory_budgeting",
        float,
        0.0,
        "levers",
        "share of spending",
        "Participatory budgeting quota: share of spending co-commissioned with citizens.",
        "002@22159 ('perhaps just 1%')",
        0.0,
        0.2,
    ),
    _p(
        "coproduction_budget_share",
        float,
        0.03,
        "levers",
        "share of spending",
        "Initial share of the service budget spent supporting co-production.",
        "000@22777 (illustrative)",
        0.0,
        0.5,
    ),
    _level(
        "material_rewards",
        0.0,
        "levers",
        "Material rewards for co-producers: help simple tasks, crowd out motivation on "
        "complex ones.",
        "000@95232; 000@95722",
    ),
    _level(
        "overt_monitoring",
        0.2,
        "levers",
        "Overt monitoring and sanctions of co-producers: erode trust.",
        "000@146978; 000@73643",
    ),
    _level(
        "alternative_providers",
        0.5,
        "levers",
        "Commissioners' arrangements with alternative providers (market resilience).",
        "000@58110",
    ),
    _level(
        "knowledge_retention",
        0.6,
        "levers",
        "Share of commissioning knowledge that survives staff moves.",
        "000@58422",
    ),
    _p(
        "star_programme",
        bool,
        False,
        "levers",
        "switch",
        "Run the Co-Production Star: Map, Focus, People, Market, Grow.",
        "000@66651; 001@34351",
    ),
    _p(
        "star_start",
        int,
        12,
        "levers",
        "month",
        "Month the Star programme starts.",
        "000@66651",
        1,
        _MONTHS,
    ),
    _p(
        "star_step_months",
        int,
        6,
        "levers",
        "months",
        "Months each Star step lasts.",
        "001@43490 (100-120 day Labs)",
        1,
        120,
    ),
    # ------------------------------------------------------------------ shocks (ODD §7.10)
    _p(
        "unavailability_share",
        float,
        0.0,
        "shocks",
        "share of staff",
        "Professional unavailability: share of staff away (0 = no shock).",
        "000@53719",
        0.0,
        1.0,
    ),
    _p(
        "unavailability_start",
        int,
        60,
        "shocks",
        "month",
        "Month the unavailability starts.",
        "ODD §7.10",
        1,
        _MONTHS,
    ),
    _p(
        "unavailability_duration",
        int,
        6,
        "shocks",
        "months",
        "Months staff stay away.",
        "ODD §7.10",
        1,
        _MONTHS,
    ),
    _p(
        "budget_cut_share",
        float,
        0.0,
        "shocks",
        "share of budget",
        "Budget cut (0 = no shock). Cuts paid staff and pushes substitution.",
        "000@136220-136480",
        0.0,
        1.0,
    ),
    _p(
        "budget_cut_start",
        int,
        60,
        "shocks",
        "month",
        "Month the budget cut starts.",
        "ODD §7.10",
        1,
        _MONTHS,
    ),
    _p(
        "budget_cut_duration",
        int,
        0,
        "shocks",
        "months",
        "Months the cut lasts; 0 = permanent.",
        "ODD §7.10",
        0,
        _MONTHS,
    ),
    _p(
        "volunteer_call_size",
        float,
        0.0,
        "shocks",
        "share of citizens",
        "Crisis call for volunteers: share of citizens reached by the call (0 = none).",
        "002@60710",
        0.0,
        1.0,
    ),
    _p(
        "volunteer_call_start",
        int,
        60,
        "shocks",
        "month",
        "Month of the call.",
        "002@60710",
        1,
        _MONTHS,
    ),
    _p(
        "scandal",
        bool,
        False,
        "shocks",
        "switch",
        "A scandal: one forced misconduct event in a co-delivery initiative.",
        "000@162507",
    ),
    _p(
        "scandal_start",
        int,
        60,
        "shocks",
        "month",
        "Month of the scandal.",
        "ODD §7.10",
        1,
        _MONTHS,
    ),
    _p(
        "restructuring_knowledge_loss",
        float,
        0.0,
        "shocks",
        "share of knowledge",
        "Commissioner restructuring: share of commissioning knowledge lost (0 = none).",
        "000@58560",
        0.0,
        1.0,
    ),
    _p(
        "restructuring_start",
        int,
        60,
        "shocks",
        "month",
        "Month of the restructuring.",
        "ODD §7.10",
        1,
        _MONTHS,
    ),
    # ------------------------------------------------------------------ network
    _p(
        "network_kind",
        str,
        "small_world",
        "network",
        "kind",
        "Citizens' social network: small world within neighbourhoods plus long ties, "
        "scale-free, random, or neighbourhood blocks.",
        "ODD §2",
        choices=("small_world", "scale_free", "random", "neighbourhood_blocks"),
    ),
    _p(
        "mean_degree",
        float,
        10.0,
        "network",
        "ties per citizen",
        "Mean number of social ties per citizen (before the connectedness barrier).",
        "000@18271 (illustrative)",
        0.0,
        200.0,
    ),
    _p(
        "long_tie_share",
        float,
        0.05,
        "network",
        "share of ties",
        "Share of ties that leave the neighbourhood (small-world rewiring).",
        "ODD §2 (illustrative)",
        0.0,
        1.0,
    ),
    # ------------------------------------------------------------------ run
    _p(
        "steps",
        int,
        120,
        "run",
        "months",
        "Horizon: the model stops running after this many monthly steps.",
        "ODD §2",
        1,
        _MONTHS,
    ),
    _p(
        "governance_interval",
        int,
        12,
        "run",
        "months",
        "Months between governance cycles (appraisal, budget).",
        "003@35555",
        1,
        120,
    ),
    _p(
        "election_interval",
        int,
        48,
        "run",
        "months",
        "Months between elections.",
        "ODD §2",
        1,
        600,
    ),
    # ------------------------------------------------------------------ behaviour (coefficients)
    _p(
        "willingness_intercept",
        float,
        0.35,
        "behaviour",
        "log-odds",
        "Intercept of the willingness index (baseline propensity).",
        "000@14545 (78% willing; calibrated)",
        -10.0,
        10.0,
    ),
    _p(
        "efficacy_weight_individual",
        float,
        1.1,
        "behaviour",
        "log-odds per level",
        "Weight of self-efficacy in willingness for individual modes.",
        "000@10384 (calibrated, P2)",
        0.0,
        20.0,
    ),
    _p(
        "efficacy_weight_collective",
        float,
        7.0,
        "behaviour",
        "log-odds per level",
        "Weight of self-efficacy in willingness for collective modes (stronger, P2).",
        "000@17073 (calibrated, P2)",
        0.0,
        20.0,
    ),
    _p(
        "shortfall_weight",
        float,
        6.6,
        "behaviour",
        "log-odds per level",
        "Weight of the perceived service shortfall in willingness: a shortfall prompts "
        "co-production (P3).",
        "000@12607 (calibrated, P3)",
        0.0,
        20.0,
    ),
    _p(
        "performance_efficacy_gain",
        float,
        0.012,
        "behaviour",
        "level per month per level",
        "Monthly rise of self-efficacy with good service performance as the citizen sees it "
        "(fall with a shortfall): the other half of the performance paradox (P3).",
        "000@12949 (calibrated, P3)",
        0.0,
        1.0,
    ),
    _p(
        "age_weight",
        float,
        2.7,
        "behaviour",
        "multiplier",
        "Strength of age in willingness: older citizens more willing for individual modes, "
        "less for collective ones (P4); 0 removes age.",
        "000@6969 (calibrated, P4)",
        0.0,
        5.0,
    ),
    _p(
        "voice_record_weight",
        float,
        0.6,
        "behaviour",
        "level per share acted on",
        "How much the council's record of acting on co-assessment shapes what citizens expect "
        "of the next consultation (word of mouth about being heard, P6).",
        "000@17862 (calibrated, P6)",
        0.0,
        1.0,
    ),
    _p(
        "peer_weight",
        float,
        1.5,
        "behaviour",
        "log-odds",
        "Weight of active neighbours (word of mouth, threshold response).",
        "002@17777",
        0.0,
        20.0,
    ),
    _p(
        "peer_threshold",
        float,
        0.15,
        "behaviour",
        "share of ties",
        "Share of active neighbours at which word of mouth switches on (Centola).",
        "002@17777 (illustrative)",
        0.0,
        1.0,
    ),
    _p(
        "efficacy_gain",
        float,
        0.12,
        "behaviour",
        "per month",
        "Rise of self-efficacy after a visible success.",
        "000@11846",
        0.0,
        1.0,
    ),
    _p(
        "efficacy_loss",
        float,
        0.10,
        "behaviour",
        "per month",
        "Fall of self-efficacy after a failure (larger than the gain).",
        "000@9739",
        0.0,
        1.0,
    ),
    _p(
        "trust_gain",
        float,
        0.05,
        "behaviour",
        "per month",
        "Rise of trust after a positive experience.",
        "002@21863",
        0.0,
        1.0,
    ),
    _p(
        "trust_loss",
        float,
        0.08,
        "behaviour",
        "per month",
        "Fall of trust after failure, unanswered voice or monitoring.",
        "002@22476",
        0.0,
        1.0,
    ),
    _p(
        "relaxation",
        float,
        0.015,
        "behaviour",
        "per month",
        "Slow relaxation of levels back toward their starting values.",
        "ODD §7.2 (calibrated)",
        0.0,
        1.0,
    ),
    _p(
        "burnout_threshold",
        float,
        0.8,
        "behaviour",
        "level",
        "Fatigue above which a citizen burns out and rests.",
        "000@138516",
        0.0,
        1.0,
    ),
    _p(
        "effort_fatigue",
        float,
        0.05,
        "behaviour",
        "per mode per month",
        "Fatigue added per active mode a month.",
        "000@127598",
        0.0,
        1.0,
    ),
    _p(
        "burnout_rest",
        int,
        6,
        "behaviour",
        "months",
        "Months a burnt-out citizen rests.",
        "000@138516 (illustrative)",
        1,
        120,
    ),
    _p(
        "exit_rate",
        float,
        0.02,
        "behaviour",
        "per month",
        "Monthly chance a participant leaves for life-stage reasons.",
        "003@105665; 003@106953 (calibrated: kept at 0.02)",
        0.0,
        1.0,
    ),
    _p(
        "interest_decay",
        float,
        0.17,
        "behaviour",
        "per month",
        "Monthly loss of interest of a volunteer waiting to be matched.",
        "000@98118 (calibrated, P7)",
        0.0,
        1.0,
    ),
    _p(
        "misconduct_rate",
        float,
        0.002,
        "behaviour",
        "per initiative per month",
        "Base chance of misconduct in an untrained co-delivery initiative.",
        "000@161040",
        0.0,
        1.0,
    ),
)

PARAMS_BY_NAME: dict[str, ParamSpec] = {p.name: p for p in PARAMETERS}


def defaults() -> dict[str, Any]:
    """Every parameter's default value, by name."""
    return {p.name: p.default for p in PARAMETERS}


def by_group(group: str) -> tuple[ParamSpec, ...]:
    """The parameters of one group, in declaration order."""
    if group not in GROUPS:
        raise KeyError(f"unknown group {group!r}; groups are {', '.join(GROUPS)}")
    return tuple(p for p in PARAMETERS if p.group == group)


# ---------------------------------------------------------------------------- validation


class ParameterError(InputError):
    """Bad parameter values. ``str(err)`` is a readable paragraph; ``err.problems`` a list.

    ``err.keys`` names the parameter (or other key) behind each problem, ``None`` where a
    problem concerns several keys; scenario files use it to find the line.
    """

    def __init__(
        self,
        problems: list[str],
        source: str | None = None,
        keys: list[str | None] | None = None,
    ):
        self.problems = problems
        self.source = source
        self.keys = list(keys) if keys is not None else [None] * len(problems)
        where = f"in {source}: " if source else ""
        super().__init__(where + "; ".join(problems))


def is_integer(x: Any) -> bool:
    """A whole number written as an integer (not a bool, not 2.0): the rule for counts and
    months outside the schema (seeds, replications, event months)."""
    return isinstance(x, int) and not isinstance(x, bool)


def is_number(x: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _number(value: Any) -> Any:
    # TOML strings and booleans are type errors, not numbers ("0.5" or true for a level).
    if isinstance(value, (str, bool)):
        raise ValueError("expected a number")
    return float(value) if hasattr(value, "dtype") else value


def _integer(value: Any) -> Any:
    if isinstance(value, (str, bool)):
        raise ValueError("expected an integer")
    if hasattr(value, "dtype"):  # numpy scalars from sweeps
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int):
        raise ValueError("expected an integer")
    return value


def _boolean(value: Any) -> Any:
    if hasattr(value, "dtype"):
        value = value.item()
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _pydantic_field(spec: ParamSpec) -> tuple[Any, Any]:
    import pydantic

    if spec.choices is not None:
        return (Literal[spec.choices], pydantic.Field(default=spec.default))  # type: ignore[valid-type]
    kwargs: dict[str, Any] = {"default": spec.default}
    if spec.low is not None:
        kwargs["ge"] = spec.low
    if spec.high is not None:
        kwargs["le"] = spec.high
    check = {int: _integer, bool: _boolean, float: _number}[spec.type]
    annotated = Annotated[spec.type, pydantic.BeforeValidator(check)]
    return (annotated, pydantic.Field(**kwargs))


@functools.cache
def _params_model() -> type[pydantic.BaseModel]:
    """The pydantic model :class:`Params`, built on first use.

    Importing pydantic and building a model of every parameter cost about 0.2 s of CPU, which
    `coprod --help`, `coprod params` and the readers of the schema alone need not pay.
    """
    import pydantic

    class _ParamsBase(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

        @pydantic.model_validator(mode="after")
        def _shares_add_up(self) -> _ParamsBase:
            ages = self.share_age_18_34 + self.share_age_55_74 + self.share_age_75_plus  # type: ignore[attr-defined]
            if ages > 1.0 + 1e-9:
                raise ValueError(
                    f"age shares share_age_18_34 + share_age_55_74 + share_age_75_plus = "
                    f"{ages:g}; allowed: at most 1 (35-54 is the remainder)"
                )
            edu = self.share_high_education + self.share_low_education  # type: ignore[attr-defined]
            if edu > 1.0 + 1e-9:
                raise ValueError(
                    f"share_high_education + share_low_education = {edu:g}; allowed: at most 1"
                )
            return self

    model = pydantic.create_model(
        "Params",
        __base__=_ParamsBase,
        __module__=__name__,  # pickles as coprod_sim.params.Params (found by __getattr__)
        **{p.name: _pydantic_field(p) for p in PARAMETERS},  # type: ignore[arg-type]
    )
    model.__doc__ = "Validated, immutable parameter values (generated from PARAMETERS)."
    globals()["Params"] = model  # later look-ups of P.Params do not come back to __getattr__
    return model


def __getattr__(name: str) -> Any:
    """``Params`` is made on first use (PEP 562), see :func:`_params_model`."""
    if name == "Params":
        return _params_model()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ALLOWED_KEYS = "allowed: a parameter name (`coprod params` lists them)"


def suggest(name: str) -> str:
    """Return ' (did you mean ...?)' for an unknown key, or ''."""
    close = difflib.get_close_matches(name, PARAMS_BY_NAME, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


MAX_SUGGESTIONS = 50
"""Unknown keys that get a "did you mean" (each costs a fuzzy search of every parameter
name): a file with thousands of unknown keys is refused in well under a second, and a
message lists no more than 50 problems anyway."""


def _describe(err: Mapping[str, Any], hint: bool = True) -> tuple[str | None, str]:
    """The key behind one pydantic error and a readable message for it (an unknown key gets
    a "did you mean" if ``hint``)."""
    loc = [str(x) for x in err.get("loc", ())]
    key = loc[0] if loc else ""
    value = err.get("input")
    if err.get("type") == "extra_forbidden":
        return key, f"unknown key {key!r}{suggest(key) if hint else ''}; {ALLOWED_KEYS}"
    if not key:  # a model-level check
        return None, str(err.get("msg", "")).removeprefix("Value error, ")
    spec = PARAMS_BY_NAME[key]
    if isinstance(value, float) and not math.isfinite(value):
        return key, f"key {key!r}: value {value!r} is not a finite number; allowed: {spec.allowed}"
    return key, f"key {key!r}: value {value!r} is not allowed; allowed: {spec.allowed}"


def validate(values: Mapping[str, Any] | None = None, *, source: str | None = None) -> Params:
    """Validate ``values`` (missing keys take their defaults) and return :class:`Params`.

    Raises :class:`ParameterError` naming each bad key, its value and the allowed range.
    """
    import pydantic

    values = dict(values or {})
    try:
        return _params_model()(**values)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        unknown = [i for i, e in enumerate(errors) if e.get("type") == "extra_forbidden"]
        unhinted = set(unknown[MAX_SUGGESTIONS:])
        described = [_describe(e, hint=i not in unhinted) for i, e in enumerate(errors)]
        raise ParameterError([m for _, m in described], source, [k for k, _ in described]) from None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1
_LAYOUT = "\t\n\r"


def control_character(text: str, layout: bool = False) -> str | None:
    """The first control character in ``text`` as ``U+000A``, or None. ``layout`` allows tab
    and line breaks (for titles, descriptions and notes, which may span lines)."""
    for match in _CONTROL.finditer(text):
        if not (layout and match.group() in _LAYOUT):
            return f"U+{ord(match.group()):04X}"
    return None


_CHARACTER_NAMES = {"U+000A": "a newline", "U+000D": "a carriage return", "U+0009": "a tab"}


def assignment_control_problem(key: str, value: str) -> str | None:
    """The message for a ``KEY=VALUE`` (``--set``, a form) whose key or value holds a control
    character, or None. A newline would let one value carry a second ``key = value`` line
    into the TOML reader (dropping the rest silently), and escapes would reach the terminal."""
    for where, part in ((f"key {key!r}", key), (f"key {key!r}: value {value!r}", value)):
        if (char := control_character(part)) is not None:
            name = _CHARACTER_NAMES.get(char, "the control character")
            return (
                f"{where} contains {name} ({char}); allowed: one KEY=VALUE without control "
                "characters (no newlines or tabs)"
            )
    return None


def coerce(name: str, text: str) -> Any:
    """Convert a command-line or form string to a value, read as a TOML value so that the
    command line follows the same rules as scenario files (no range check here).

    Control characters are refused in the key and the value: a newline would let one value
    carry a second ``key = value`` line into the TOML reader, and escapes would reach the
    terminal."""
    if (message := assignment_control_problem(name, text)) is not None:
        raise ParameterError([message], keys=[name])
    if name not in PARAMS_BY_NAME:
        raise ParameterError([f"unknown key {name!r}{suggest(name)}; {ALLOWED_KEYS}"], keys=[name])
    spec = PARAMS_BY_NAME[name]
    text = text.strip()
    if spec.type is str and not text.startswith(('"', "'")):
        return text  # a choice may be given bare: --set network_kind=random
    if spec.type is bool and text.lower() in ("true", "false"):
        text = text.lower()  # Python's True and False, as str(value) writes them
    # Imported here: only a typed-in value needs the TOML reader, and the model, which
    # imports this module, reads no files.
    import tomllib

    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        raise ParameterError(
            [f"key {name!r}: value {text!r} is not allowed; allowed: {spec.allowed}"],
            keys=[name],
        ) from None


def names(groups: Iterable[str] | None = None) -> list[str]:
    """Parameter names, optionally restricted to some groups."""
    wanted = set(GROUPS if groups is None else groups)
    return [p.name for p in PARAMETERS if p.group in wanted]
