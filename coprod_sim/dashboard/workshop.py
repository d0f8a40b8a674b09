"""Workshop mode: a guided five-step sequence on the virtuous circle, and its causal loop diagram.

This module holds the *content* of the dashboard's Workshop tab, for facilitators who teach
complexity with the model (``docs/workshop.md`` is their guide):

- :data:`STEPS`: five :class:`WorkshopStep` s. Each names a preset scenario of ``scenarios/`` and
  a few parameter overrides, asks the group to predict the result before the run ("predict, then
  run"), and says what to notice afterwards. Every number in a step's ``notice`` was measured on
  seeds 0-3 at 1,000 citizens and holds for each of those seeds (the dashboard shows one seed, so
  one value inside each range); ``tests/test_workshop.py`` runs each step again and checks the
  directions and ranges it states.
- :data:`LOOP_NODES` and :data:`LOOP_LINKS`: the causal loop diagram of the virtuous circle
  "co-production -> self-efficacy -> willingness -> co-production" (000@11742, 000@11846), drawn
  from the model's own mechanisms. Each :class:`LoopLink` names the function that implements it,
  its section of ``docs/ODD.md`` and its seed source, and its sign is the sign the code has
  (``tests/test_workshop.py`` moves each source in a built model and checks the target's
  direction against a same-seed control).
- :func:`causal_loop_figure`: the diagram as a plotly figure, with the mechanism of each link on
  hover.

Sources are cited as in ``docs/ODD.md``: ``000@11846`` is character offset 11846 of seed
chapter 000. The module draws nothing at random: the layout is fixed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import plotly.graph_objects as go

from .. import scenario as scenario_mod
from .. import scenario_files

# --------------------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class WorkshopStep:
    """One step of the guided workshop: load a preset, predict, run, then notice.

    Attributes:
        title: short title shown above the step.
        narrative: two to four sentences, in plain language, for someone who has never seen an
            agent-based model.
        question: the "predict, then run" question put to the group before the run.
        choices: three possible predictions for the group to pick from.
        scenario: the name of a preset in ``scenarios/`` (for
            :func:`coprod_sim.scenario_files.load`).
        settings: parameter overrides on top of the preset (names from
            :data:`coprod_sim.params.PARAMS_BY_NAME`); may be empty.
        notice: what to look at after the run, which metrics to watch, and the answer, as the
            model really produces it (measured on seeds 0-3 at 1,000 citizens).
        sources: seed references (``"000@11846"``) of the mechanisms the step shows.
    """

    title: str
    narrative: str
    question: str
    choices: tuple[str, ...]
    scenario: str
    settings: Mapping[str, Any]
    notice: str
    sources: tuple[str, ...]


def _settings(**values: Any) -> Mapping[str, Any]:
    """A read-only mapping, so that a step cannot be changed by the code that shows it."""
    return MappingProxyType(dict(values))


STEPS: tuple[WorkshopStep, ...] = (
    WorkshopStep(
        title="1. Willing, but not asked",
        narrative=(
            "The model is a made-up town of 1,000 residents, 20 frontline staff, 3 commissioners "
            "and 5 councillors, simulated month by month. Each month every resident may take "
            "part in running or improving a public service together with staff (this is "
            "co-production), but only if a member of staff offers them a place, or a neighbour "
            "brings them in. In this 'business as usual' town staff are short of time and wary "
            "of blame, so places are scarce."
        ),
        question=(
            "Nearly four residents in five say they would be willing to give some time. What "
            "share of residents do you think actually co-produce in the first two years?"
        ),
        choices=(
            "Most of the willing: half or more of all residents",
            "About a quarter of residents",
            "Fewer than one resident in ten",
        ),
        scenario="baseline",
        settings=_settings(),
        notice=(
            "Answer: fewer than one in ten. In the chart 'Willing, and taking part', "
            "willingness starts at about 0.78 (0.77-0.81 across seeds 0-3), but only 5-6% of "
            "residents take part on average in the first two years (participation_any), and "
            "in every month of the first five years more than five times as many residents are "
            "willing as take part. "
            "This is the gap of the German survey (78% willing, 7% had co-produced; pattern P1). "
            "The bottleneck is opportunity, not willingness: staff make only about 20 offers "
            "per 1,000 residents a month (metric offers), so most willing residents are never "
            "asked. Participation creeps up to about 0.11-0.16 by month 120 while willingness "
            "rises to about 0.88: after ten years willingness is still five to eight times "
            "participation. In 'Participation in the Four Co's', co-delivery is, over the ten "
            "years, the commonest way of taking part (participation_co_delivery; pattern P5)."
        ),
        sources=("000@14153", "000@14357", "000@14545", "000@122354", "000@23459"),
    ),
    WorkshopStep(
        title="2. Free staff time and feed back success",
        narrative=(
            "The same kind of town, but for two years staff have almost no time for "
            "co-production and never tell residents what their effort achieved. In month 24 "
            "the council changes course: it frees staff time, relaxes 'time and task' targets, "
            "asks staff to feed back every success, and acts on nine in ten rounds of "
            "residents' assessments. We watch six years (72 months)."
        ),
        question="After month 24, what happens to participation over the next four years?",
        choices=(
            "It jumps in month 24, then falls back to where it was",
            "It rises once, to a new level, and then stays flat",
            "It keeps climbing for years, and self-efficacy and trust climb with it",
        ),
        scenario="workshop_virtuous_circle",
        # The preset teaches with 400 residents; the workshop runs it at the default 1,000,
        # the size at which every step's numbers were measured.
        settings=_settings(n_citizens=1000),
        notice=(
            "Answer: it keeps climbing. Watch 'Willing, and taking part' and 'Trust and "
            "self-efficacy' (participation_any, willingness, self_efficacy_citizens, "
            "trust_citizens_in_staff), and the metric offers. Offers jump in "
            "month 24 (from about 15-27 to 48-97 per 1,000 residents) and then settle at about "
            "40-45 a month, yet participation goes on rising: from 3-6% in the year before the "
            "change to 12-16% in the year after it and 22-27% in the last year (months 61-72). "
            "Why: residents who take part "
            "have successes that staff now make visible, so their self-efficacy rises (0.52-0.54 "
            "in month 24, 0.73-0.78 in month 72, against 0.63-0.69 in the same town without the "
            "change, where it rises more slowly); higher self-efficacy raises willingness (to "
            "about 0.90), and willing "
            "residents accept more offers, stay longer and bring in neighbours. Trust in staff, "
            "which slipped in the first two years, turns up (0.54-0.59 in month 72) as "
            "residents' successes and assessments are acted on. This is the loop marked R in "
            "the diagram: co-production -> successful outcomes -> self-efficacy -> willingness "
            "-> co-production."
        ),
        sources=("000@11742", "000@11846", "000@10732", "000@23459", "000@25474", "002@21863"),
    ),
    WorkshopStep(
        title="3. Asked, but not heard",
        narrative=(
            "Now a council that asks residents for their views (surveys, inspections, citizen "
            "panels: 'co-assessment') but acts on them only once in twenty times and does not "
            "report back. Everything else is the business-as-usual town of step 1. Residents "
            "who give their views learn, month by month, whether anyone listens, and word gets "
            "round."
        ),
        question=(
            "Over ten years, what happens to residents' expectation that their views will be "
            "acted on?"
        ),
        choices=(
            "It stays about where it started",
            "It slides down, and keeps sliding",
            "It dips at first, then bounces back as people keep trying",
        ),
        scenario="consultation_without_feedback",
        settings=_settings(),
        notice=(
            "Answer: it slides, and keeps sliding. The expectation is the metric "
            "expects_response; co-assessment is in 'Participation in the Four Co's' "
            "(participation_co_assessment) and trust in staff in 'Trust and self-efficacy' "
            "(trust_citizens_in_staff). The average expectation "
            "of a response falls from 0.60 to about 0.39-0.42 by month 60 and to about 0.32-0.34 "
            "by month 120, lower in the last 20 months than in month 60 in every seed. "
            "Co-assessors who wait in vain expect nothing the next time, and word gets round: "
            "the council's record of ignoring what it is told lowers the expectation of "
            "residents who were never asked, too. Those asked are likelier to leave or to turn "
            "down the next invitation (pattern P6), so co-assessment stays small: about 1 "
            "resident in 100 in years 6-10, against 3-7 in 100 when the same council closes the "
            "loop from month 24 (the preset feedback_loop_closed; compare the two in the "
            "Compare tab). Set feedback_loop_closed to 0.9 and run again, and the expectation "
            "climbs instead, to about 0.80-0.82 in years 6-10. Trust in staff slips "
            "from 0.53 to a low of about 0.50-0.51: unheard co-assessors lose trust, and so do "
            "willing residents who wait more than six months for a place. This is the trust "
            "loop running backwards, a vicious circle. Yet overall participation and "
            "self-efficacy still grow (to about 0.12-0.16 and 0.72-0.75 by month 120), because "
            "successes in co-delivery keep the main loop turning (and a service that meets most "
            "needs lifts everyone's self-efficacy a little): a vicious circle in one part "
            "of the system can hide inside a virtuous one."
        ),
        sources=("003@139090", "000@17862", "002@22476", "002@21863"),
    ),
    WorkshopStep(
        title="4. A shock, and the weakest link",
        narrative=(
            "A Covid-like emergency hits the business-as-usual town in month 63: for six months "
            "three in ten frontline staff are away, and the council calls for volunteers. The "
            "model tracks four links of resilience: service users, communities, the provider "
            "(the service's output) and the commissioners. Like a chain, the system is only as "
            "strong as its weakest link, so the chain's value is the lowest of the four."
        ),
        question=(
            "While staff are away, the service's output drops by about 30%. What happens to "
            "the resilience chain (the weakest of the four links)?"
        ),
        choices=(
            "It drops by about 30% too, like the service's output",
            "It does not drop: it was already held down by a weaker link",
            "It collapses to zero until the staff return",
        ),
        scenario="pandemic",
        settings=_settings(),
        notice=(
            "Answer: it does not drop. Watch 'The resilience chain' (the resilience_* lines) "
            "and 'Performance and public value' (service_performance). In months 63-68 the "
            "provider link falls from about 1.0 (0.99-1.0) to about "
            "0.71 and service performance from about 0.82 to about 0.59; both are back to "
            "their pre-shock level in month 69, when staff return. But resilience_chain never "
            "falls more than 0.01 below its pre-shock level (0.03-0.17 across seeds), and in "
            "some seeds it even rises: the weakest link all "
            "along is the community or the user link (collective co-production times trust "
            "between residents; vulnerable residents' own and their neighbours' co-production), "
            "which the shock does not weaken. A stronger system needs its weakest link "
            "strengthened, not only the one that broke. Meanwhile about 130-140 per 1,000 "
            "residents sign up as volunteers; only 3-4 per 1,000 get a task in the first month "
            "and about 37-44 per 1,000 in all, and the rest give up waiting "
            "(volunteers_signed_up, volunteers_matched; pattern P7). Try matching_capacity = "
            "20: then 20 per 1,000 get a task in the first month and about 83-90 per 1,000 in "
            "all."
        ),
        sources=("000@49502", "001@21637", "000@53719", "000@55688", "002@60710", "000@98274"),
    ),
    WorkshopStep(
        title="5. The dark side: austerity and substitution",
        narrative=(
            "From year 2 the council cuts the service budget by 7% a year for four years, about "
            "a quarter in all, and paid posts go with the money. Under that pressure "
            "commissioners hand parts of the service over to volunteers ('substitution') "
            "instead of adding volunteers to what staff do. Is more volunteering always good "
            "news?"
        ),
        question=(
            "By year 10, how many residents co-deliver the service, compared with business as "
            "usual (step 1)?"
        ),
        choices=(
            "Fewer: there is less money to support co-production",
            "About the same",
            "Twice as many or more",
        ),
        scenario="austerity",
        settings=_settings(),
        notice=(
            "Answer: twice as many or more (about three times as many over seeds 0-3), and that "
            "is not simply good news. Watch "
            "'Participation in the Four Co's' (co-delivery), 'Performance and public value', "
            "and the metrics co_delivery_volunteers, paid_staff, staff_resistance and "
            "exploited_share. Volunteers in co-delivery rise "
            "from about 30-40 per 1,000 residents before the cuts to about 185-260 per 1,000 in "
            "the last two years (35-115 in business as usual), while paid staff fall by a fifth "
            "(paid_staff 0.80: one post in twenty goes with each cut). Staff resistance to "
            "co-production roughly doubles, from about 0.32 before the cuts to about 0.60-0.68 "
            "in the last two years, as staff fear for their jobs; about one resident in ten "
            "feels exploited, 'dumped' on, by month 120 (0.08-0.15, against almost none in "
            "business as usual); and service performance falls from about 0.81 before the cuts "
            "to about 0.66-0.69 in the last two years (0.83-0.85 in business as usual), because "
            "volunteers do not make up for the lost staff. Public value is a balance: "
            "economic_value looks better than in business as usual (volunteers are cheaper), "
            "while user_value falls (0.66-0.68 in the last two years, against 0.82-0.85). This "
            "is pattern P8: UK libraries in 2010-16 doubled their volunteers while paid staff "
            "fell by a quarter."
        ),
        sources=("000@136220", "000@136443", "000@38886", "000@42467", "001@14087"),
    ),
)
"""The guided sequence of the Workshop tab, in order."""


def load_step(step: WorkshopStep) -> scenario_mod.Scenario:
    """The validated scenario of a step: its preset with its settings applied.

    Raises:
        coprod_sim.scenario_files.ScenarioError: the preset does not exist.
        coprod_sim.params.ParameterError: a setting is unknown or out of range.
    """
    preset = scenario_files.load(step.scenario)
    return preset.replace(**dict(step.settings)) if step.settings else preset


# ------------------------------------------------------------------------- causal loop diagram


@dataclass(frozen=True)
class LoopLink:
    """One causal link of the loop diagram, as the model implements it.

    Attributes:
        source: the node that changes (one of :data:`LOOP_NODES`).
        target: the node it moves.
        sign: +1 if the target moves the same way as the source, -1 if the opposite way.
        mechanism: one sentence on how the model does it.
        where: the code location, ``"path/to/module.py: function"``.
        odd: the section of ``docs/ODD.md`` that documents it (``"7.2"``).
        source_ref: the seed reference of the mechanism (``"000@11846"``).
    """

    source: str
    target: str
    sign: int
    mechanism: str
    where: str
    odd: str
    source_ref: str


CO_PRODUCTION = "co-production"
OUTCOMES = "successful outcomes"
SELF_EFFICACY = "self-efficacy"
WILLINGNESS = "willingness"
FEEDBACK = "feedback"
TRUST = "trust"
PERFORMANCE = "service performance"

LOOP_NODES: tuple[str, ...] = (
    CO_PRODUCTION,
    OUTCOMES,
    SELF_EFFICACY,
    WILLINGNESS,
    FEEDBACK,
    TRUST,
    PERFORMANCE,
)
"""The variables of the diagram. The first four form the main loop (:data:`MAIN_LOOP`)."""

NODE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        CO_PRODUCTION: "residents holding a place in co-production (participation_any)",
        OUTCOMES: "residents whose initiative succeeded this month (a success episode)",
        SELF_EFFICACY: "belief that one can make a difference (self_efficacy_citizens)",
        WILLINGNESS: "willingness to give some time (willingness)",
        FEEDBACK: "being told what one's effort achieved; being heard (expects_response)",
        TRUST: "residents' trust in staff (trust_citizens_in_staff)",
        PERFORMANCE: "share of need met (service_performance)",
    }
)
"""What each node stands for in the model, with the metric to watch where there is one."""

NODE_METRICS: Mapping[str, str] = MappingProxyType(
    {
        CO_PRODUCTION: "participation_any",
        SELF_EFFICACY: "self_efficacy_citizens",
        WILLINGNESS: "willingness",
        FEEDBACK: "expects_response",
        TRUST: "trust_citizens_in_staff",
        PERFORMANCE: "service_performance",
    }
)
"""The metric (:data:`coprod_sim.metrics.METRICS`) that shows each node, where one exists."""

LOOP_LINKS: tuple[LoopLink, ...] = (
    # The main loop: the virtuous circle of 000@11742.
    LoopLink(
        CO_PRODUCTION,
        OUTCOMES,
        +1,
        "Every initiative with members draws a result each month (hidden effectiveness x staff "
        "support x members' capability, plus noise), and each resident holding a place in one "
        "that clears the success threshold has a success episode: more residents taking part "
        "means more successes.",
        "coprod_sim/submodels/outcomes.py: step",
        "7.6",
        "003@17433",
    ),
    LoopLink(
        OUTCOMES,
        SELF_EFFICACY,
        +1,
        "A participant's self-efficacy rises by efficacy_gain x success share x "
        "(0.3 + 0.7 staff_feedback) x (1 - self-efficacy), and falls after a failure.",
        "coprod_sim/submodels/learning.py: _citizens",
        "7.2",
        "000@11846",
    ),
    LoopLink(
        SELF_EFFICACY,
        WILLINGNESS,
        +1,
        "Self-efficacy enters the willingness index with weight efficacy_weight_individual "
        "(1.1) for individual places and efficacy_weight_collective (7) for collective ones.",
        "coprod_sim/submodels/participation.py: kind_index",
        "7.1",
        "000@10384",
    ),
    LoopLink(
        WILLINGNESS,
        CO_PRODUCTION,
        +1,
        "An offered place is accepted with probability offer_willingness x ability, and the "
        "less willing participants are for the kind of place they hold (individual or "
        "collective), the sooner they leave (exit probability + 0.15 x (1 - that willingness)).",
        "coprod_sim/submodels/participation.py: _accept_offers",
        "7.1",
        "000@122354",
    ),
    # Word of mouth: a short reinforcing loop.
    LoopLink(
        CO_PRODUCTION,
        WILLINGNESS,
        +1,
        "The share of a resident's ties who co-produce raises willingness through a threshold "
        "response (peer_weight x a logistic centred on peer_threshold), and residents join an "
        "active neighbour's initiative.",
        "coprod_sim/submodels/participation.py: peer_response",
        "7.1",
        "002@17777",
    ),
    # Feedback and trust: the loop that consultation without feedback runs backwards.
    LoopLink(
        CO_PRODUCTION,
        FEEDBACK,
        +1,
        "Only residents who take part can be told what they achieved or be heard: each running "
        "co-assessment is acted on and reported back with probability feedback_loop_closed, "
        "and its members are then heard.",
        "coprod_sim/submodels/outcomes.py: step",
        "7.6",
        "003@139090",
    ),
    LoopLink(
        FEEDBACK,
        SELF_EFFICACY,
        +1,
        "Staff feedback makes a success visible (the gain is scaled by 0.3 + 0.7 "
        "staff_feedback), and an assessment that is not acted on lowers self-efficacy.",
        "coprod_sim/submodels/learning.py: _citizens",
        "7.2",
        "000@10732",
    ),
    LoopLink(
        FEEDBACK,
        TRUST,
        +1,
        "Being heard raises trust in staff (trust_gain x 0.5 x (1 - trust)) and not being heard "
        "lowers it (trust_loss x trust).",
        "coprod_sim/submodels/learning.py: _citizens",
        "7.2",
        "000@17862",
    ),
    LoopLink(
        OUTCOMES,
        TRUST,
        +1,
        "A success is the positive experience that builds trust in staff (trust_gain x success "
        "share x (1 - trust)); a failure lowers it.",
        "coprod_sim/submodels/learning.py: _citizens",
        "7.2",
        "002@21863",
    ),
    LoopLink(
        TRUST,
        WILLINGNESS,
        +1,
        "Trust in staff adds 1.5 x (trust - 0.5) to the willingness index for individual places.",
        "coprod_sim/submodels/participation.py: kind_index",
        "7.1",
        "000@13627",
    ),
    # The performance paradox (P3): a balancing loop.
    LoopLink(
        OUTCOMES,
        PERFORMANCE,
        +1,
        "A successful co-delivery initiative adds members x quality service units to its team's "
        "output (and successful voice modes raise staff productivity).",
        "coprod_sim/submodels/performance.py: team_output",
        "7.7",
        "003@17433",
    ),
    LoopLink(
        PERFORMANCE,
        WILLINGNESS,
        -1,
        "Residents perceive their team's performance: better performance lowers the perceived "
        "shortfall, which enters the willingness index with weight shortfall_weight (6.6; a "
        "shortfall prompts co-production).",
        "coprod_sim/submodels/participation.py: base_index",
        "7.1",
        "000@12607",
    ),
)
"""The links of the diagram, each with the sign the code has (checked by the tests)."""

MAIN_LOOP: tuple[str, ...] = (CO_PRODUCTION, OUTCOMES, SELF_EFFICACY, WILLINGNESS)
"""The virtuous circle "co-production -> self-efficacy -> willingness -> co-production"
(000@11742), with the successes that raise self-efficacy made explicit (000@11846)."""

LOOPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "R: the virtuous circle": MAIN_LOOP,
        "R: word of mouth": (CO_PRODUCTION, WILLINGNESS),
        "R: feedback and trust": (CO_PRODUCTION, FEEDBACK, TRUST, WILLINGNESS),
        "R: success builds trust": (CO_PRODUCTION, OUTCOMES, TRUST, WILLINGNESS),
        "B: the performance paradox": (CO_PRODUCTION, OUTCOMES, PERFORMANCE, WILLINGNESS),
    }
)
"""The feedback loops of the diagram, each as its cycle of nodes (the last links to the first)."""


def link_between(source: str, target: str) -> LoopLink:
    """The link from ``source`` to ``target``. Raises ``KeyError`` if there is none."""
    for link in LOOP_LINKS:
        if link.source == source and link.target == target:
            return link
    raise KeyError(f"no link {source!r} -> {target!r}")


def loop_polarity(loop: Sequence[str] = MAIN_LOOP) -> str:
    """``"reinforcing"`` or ``"balancing"``: the product of the signs around ``loop``.

    A loop with an even number of negative links reinforces any change (a virtuous circle, or
    the same circle run backwards as a vicious one); an odd number balances it.
    """
    sign = 1
    for i, node in enumerate(loop):
        sign *= link_between(node, loop[(i + 1) % len(loop)]).sign
    return "reinforcing" if sign > 0 else "balancing"


# Node positions: angles in degrees on the unit circle. The main loop takes the four compass
# points (top, right, bottom, left), so it reads clockwise; the feedback-and-trust loop sits on
# the arc between co-production and willingness, service performance between the successes it
# comes from and self-efficacy.
_ANGLES: Mapping[str, float] = MappingProxyType(
    {
        CO_PRODUCTION: 80.0,
        OUTCOMES: 0.0,
        SELF_EFFICACY: 270.0,
        WILLINGNESS: 190.0,
        FEEDBACK: 120.0,
        TRUST: 155.0,
        PERFORMANCE: 315.0,
    }
)
_NODE_GAP = 0.13  # arrows stop this far (data units) from a node's centre
_PAIR_OFFSET = 0.045  # two links between the same nodes run side by side
_LABEL_OFFSET = 0.075  # sign labels sit beside the arrow ...
_LABEL_AT = 0.75  # ... three quarters of the way from tail to head
_POSITIVE, _NEGATIVE = "#1F5FA8", "#C0392B"
SIGN_LABELS: Mapping[int, str] = MappingProxyType({+1: "+", -1: "−"})
"""The label of each sign on the diagram (a true minus sign)."""


def node_positions() -> dict[str, tuple[float, float]]:
    """(x, y) of each node on the unit circle (fixed: the diagram has no randomness)."""
    return {
        node: (math.cos(math.radians(a)), math.sin(math.radians(a))) for node, a in _ANGLES.items()
    }


def _text_position(angle: float) -> str:
    """Put a node's label outside the circle."""
    a = angle % 360.0
    if 100.0 < a < 135.0:
        return "top left"
    if 45.0 < a < 135.0:
        return "top center"
    if 225.0 < a < 315.0:
        return "bottom center"
    if 135.0 <= a <= 225.0:
        return "middle left"
    if a == 315.0:
        return "bottom right"
    return "middle right"


def _link_geometry(link: LoopLink, pos: Mapping[str, tuple[float, float]]):
    """Tail, head, midpoint and label point of a link's arrow, in data units."""
    (x0, y0), (x1, y1) = pos[link.source], pos[link.target]
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    nx, ny = -uy, ux  # left of the direction of travel
    paired = any(o.source == link.target and o.target == link.source for o in LOOP_LINKS)
    shift = _PAIR_OFFSET if paired else 0.0
    tail = (x0 + ux * _NODE_GAP + nx * shift, y0 + uy * _NODE_GAP + ny * shift)
    head = (x1 - ux * _NODE_GAP + nx * shift, y1 - uy * _NODE_GAP + ny * shift)
    mid = ((tail[0] + head[0]) / 2.0, (tail[1] + head[1]) / 2.0)
    # The sign sits near the arrowhead, as is usual in causal loop diagrams: where arrows
    # cross, it is clear which arrow a sign belongs to.
    near = (tail[0] + _LABEL_AT * (head[0] - tail[0]), tail[1] + _LABEL_AT * (head[1] - tail[1]))
    # A paired arrow's label goes on its own side, away from its partner; any other label goes
    # away from the centre of the circle, so that labels do not crowd the "R".
    outward = nx * near[0] + ny * near[1] >= 0.0
    side = 1.0 if paired or outward else -1.0
    label = (near[0] + side * nx * _LABEL_OFFSET, near[1] + side * ny * _LABEL_OFFSET)
    return tail, head, mid, label


def _hover(link: LoopLink) -> str:
    sign = SIGN_LABELS[link.sign]
    return (
        f"<b>{link.source} → {link.target} ({sign})</b><br>{_wrap(link.mechanism)}"
        f"<br>ODD §{link.odd} · {link.where} · source {link.source_ref}"
    )


def _wrap(text: str, width: int = 70) -> str:
    """Break a long hover text into lines of at most about ``width`` characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "<br>".join(lines)


def causal_loop_figure() -> go.Figure:
    """The causal loop diagram of the virtuous circle, from the model's mechanisms.

    Nodes sit on a circle (one marker each, in one scatter trace). Each link is an annotation
    arrow from source to target with a "+" or "−" label beside its midpoint, and an invisible
    marker at the midpoint carries the link's mechanism, code location, ODD section and source
    on hover. "R" in the middle marks the main reinforcing loop, "B" the balancing loop of the
    performance paradox.
    """
    pos = node_positions()
    main_links = {
        (MAIN_LOOP[i], MAIN_LOOP[(i + 1) % len(MAIN_LOOP)]) for i in range(len(MAIN_LOOP))
    }
    fig = go.Figure()
    annotations: list[dict[str, Any]] = []
    hover_x: list[float] = []
    hover_y: list[float] = []
    hover_text: list[str] = []
    for link in LOOP_LINKS:
        tail, head, mid, label = _link_geometry(link, pos)
        main = (link.source, link.target) in main_links
        colour = _POSITIVE if link.sign > 0 else _NEGATIVE
        annotations.append(
            dict(
                x=head[0],
                y=head[1],
                ax=tail[0],
                ay=tail[1],
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                text="",
                showarrow=True,
                arrowhead=2,
                arrowsize=1.1,
                arrowwidth=3.0 if main else 1.6,
                arrowcolor=colour,
                opacity=1.0 if main else 0.8,
            )
        )
        annotations.append(
            dict(
                x=label[0],
                y=label[1],
                xref="x",
                yref="y",
                text=SIGN_LABELS[link.sign],
                showarrow=False,
                # A minus sign is thin: it gets a larger font to read as well as a plus.
                font=dict(size=(21 if main else 17) + (5 if link.sign < 0 else 0), color=colour),
            )
        )
        hover_x.append(mid[0])
        hover_y.append(mid[1])
        hover_text.append(_hover(link))
    loops_text = "<br>".join(f"{name}: {loop_polarity(loop)}" for name, loop in LOOPS.items())
    annotations.append(
        dict(
            x=0.0,
            y=0.0,
            xref="x",
            yref="y",
            text="<b>R</b>",
            showarrow=False,
            font=dict(size=34, color=_POSITIVE),
            hovertext=(
                f"Reinforcing: {' → '.join(MAIN_LOOP)} → {MAIN_LOOP[0]}"
                f" (every sign +).<br>Run backwards, the same loop is a vicious circle."
                f"<br><br>All loops:<br>{loops_text}"
            ),
        )
    )
    b_x, b_y = 0.33, -0.37  # inside the balancing loop, below the main loop's centre
    annotations.append(
        dict(
            x=b_x,
            y=b_y,
            xref="x",
            yref="y",
            text="<b>B</b>",
            showarrow=False,
            font=dict(size=22, color=_NEGATIVE),
            hovertext=(
                "Balancing: co-production → successful outcomes → service performance "
                "→ willingness (−): a better service leaves less shortfall to prompt "
                "co-production (the performance paradox, P3)."
            ),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=hover_x,
            y=hover_y,
            mode="markers",
            marker=dict(size=22, color="rgba(0,0,0,0)"),
            hovertext=hover_text,
            hoverinfo="text",
            name="links",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[pos[n][0] for n in LOOP_NODES],
            y=[pos[n][1] for n in LOOP_NODES],
            mode="markers+text",
            # Two-word names go on two lines, so that they fit beside a narrow figure.
            text=[f"<b>{n.replace(' ', '<br>')}</b>" for n in LOOP_NODES],
            textposition=[_text_position(_ANGLES[n]) for n in LOOP_NODES],
            textfont=dict(size=14, color="#222222"),
            marker=dict(
                size=[30 if n in MAIN_LOOP else 22 for n in LOOP_NODES],
                color=["#1F5FA8" if n in MAIN_LOOP else "#8FB3DE" for n in LOOP_NODES],
                line=dict(color="white", width=2),
            ),
            hovertext=[f"<b>{n}</b><br>{NODE_DESCRIPTIONS[n]}" for n in LOOP_NODES],
            hoverinfo="text",
            cliponaxis=False,
            name="nodes",
            showlegend=False,
        )
    )
    fig.update_layout(
        title=dict(
            text="The virtuous circle of co-production<br>(from the model's mechanisms)",
            font=dict(size=15),
        ),
        template="plotly_white",
        annotations=annotations,
        xaxis=dict(visible=False, range=[-1.75, 1.75], fixedrange=True),
        yaxis=dict(
            visible=False, range=[-1.45, 1.45], scaleanchor="x", scaleratio=1, fixedrange=True
        ),
        margin=dict(l=10, r=10, t=60, b=10),
        height=560,
        hovermode="closest",
        showlegend=False,
    )
    return fig


__all__ = [
    "LOOPS",
    "LOOP_LINKS",
    "LOOP_NODES",
    "MAIN_LOOP",
    "NODE_DESCRIPTIONS",
    "NODE_METRICS",
    "SIGN_LABELS",
    "STEPS",
    "LoopLink",
    "WorkshopStep",
    "causal_loop_figure",
    "link_between",
    "load_step",
    "loop_polarity",
    "node_positions",
]
