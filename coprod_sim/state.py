"""The engine's state: numpy arrays for every role, the initiatives table and the network.

The state is the single source of truth. Submodels update it in bulk; Mesa agents
(:mod:`coprod_sim.agents`) are views onto its arrays. Every array named as a *level* lies in
[0, 1] after each submodel that changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp

from .membership import NO_INITIATIVE as NO_INITIATIVE  # re-exported: the engine's name
from .membership import Membership
from .params import DOMAINS as DOMAINS  # re-exported: metrics names domains by code

MODES: tuple[str, ...] = ("co_commissioning", "co_design", "co_delivery", "co_assessment")
"""The Four Co's (003 Table 3.1), in the order used by every (4, N) array."""
CO_COMMISSIONING, CO_DESIGN, CO_DELIVERY, CO_ASSESSMENT = range(4)
VOICE_MODES = np.array([True, True, False, True])
"""Co-commissioning, co-design and co-assessment are voice; co-delivery is action (001@31907)."""

AGE_BANDS: tuple[str, ...] = ("18-34", "35-54", "55-74", "75+")
EDUCATION: tuple[str, ...] = ("low", "mid", "high")
STAGES: tuple[str, ...] = ("pilot", "scaled", "stopped")
PILOT, SCALED, STOPPED = range(3)
STAR_STEPS: tuple[str, ...] = ("off", "map", "focus", "people", "market", "grow", "done")

NEVER = -(10**6)
"""The month stored in ``last_individual`` / ``last_collective`` for never."""


@dataclass
class Citizens:
    """Citizens' static attributes and dynamic levels (length N arrays)."""

    # static
    age_band: np.ndarray  # int8, index into AGE_BANDS
    education: np.ndarray  # int8, index into EDUCATION
    employed: np.ndarray  # bool
    female: np.ndarray  # bool
    vulnerable: np.ndarray  # bool
    digital_access: np.ndarray  # bool
    neighbourhood: np.ndarray  # int32
    knows: np.ndarray  # bool
    cares: np.ndarray  # bool
    voice_preference: np.ndarray  # level: 1 prefers voice, 0 prefers action (001@31907)
    capability: np.ndarray  # level
    perception_bias: np.ndarray  # static error in perceived service performance
    caseload_staff: np.ndarray  # int32, the staff member whose caseload holds the citizen
    # dynamic levels
    self_efficacy: np.ndarray
    trust: np.ndarray  # particularised trust in staff
    generalised_trust: np.ndarray
    motivation: np.ndarray
    fatigue: np.ndarray
    exploited: np.ndarray
    expects_response: np.ndarray
    sat_info: np.ndarray  # satisfaction with information
    shortfall: np.ndarray  # perceived service shortfall
    risk_appetite: np.ndarray
    # dynamic counters
    experience: np.ndarray  # float months of co-production
    rest: np.ndarray  # int16 months of burnout rest left
    unanswered: np.ndarray  # float: months willing but never offered
    # the last month the citizen co-produced individually / collectively (NEVER = not yet):
    # what a survey asks as "in the last 12 months" (coprod validate)
    last_individual: np.ndarray  # int32
    last_collective: np.ndarray  # int32
    # co-production: the initiative held in each of the Four Co's (-1 = none), shape (4, N)
    initiative_of: np.ndarray
    # crisis volunteers waiting to be matched (P7)
    waiting: np.ndarray  # bool
    # per-step results, kept for learning and metrics
    willingness: np.ndarray  # general willingness probability (best-fitting mode)
    success: np.ndarray  # float: share of this month's episodes that succeeded
    failure: np.ndarray  # float: share that failed
    # baselines for relaxation
    self_efficacy0: np.ndarray
    trust0: np.ndarray
    generalised_trust0: np.ndarray

    @property
    def n(self) -> int:
        return self.self_efficacy.shape[0]

    @property
    def active(self) -> np.ndarray:
        """Bool (4, N): active in each mode."""
        return self.initiative_of >= 0


@dataclass
class Staff:
    motivation: np.ndarray
    trust: np.ndarray  # in citizens' capabilities
    self_efficacy: np.ndarray  # skill and confidence in co-production practice
    risk_appetite: np.ndarray
    resistance: np.ndarray  # fear of losing status or job
    slack: np.ndarray  # hours a month for co-production
    available: np.ndarray  # bool: not away (shock)
    employed: np.ndarray  # bool: post still funded (budget cuts)
    commissioner: np.ndarray  # int32
    team: np.ndarray  # int32
    caseload_start: np.ndarray  # int64, caseload is citizens[start:stop]
    caseload_stop: np.ndarray
    hours_used: np.ndarray  # hours spent this month supporting co-production

    @property
    def n(self) -> int:
        return self.motivation.shape[0]


@dataclass
class Commissioners:
    motivation: np.ndarray
    trust: np.ndarray  # in providers and citizens
    self_efficacy: np.ndarray  # belief that co-production works, learnt from evidence
    risk_appetite: np.ndarray
    budget_share: np.ndarray  # co-production share of the budget
    outcome_based: np.ndarray  # level of outcome-based commissioning
    knowledge: np.ndarray  # commissioning knowledge retained
    alternative_providers: np.ndarray
    reputation: np.ndarray

    @property
    def n(self) -> int:
        return self.motivation.shape[0]


@dataclass
class Politicians:
    motivation: np.ndarray
    trust: np.ndarray  # in commissioners and managers
    self_efficacy: np.ndarray
    risk_appetite: np.ndarray
    support: np.ndarray  # support for sharing power / co-production (002@39106)
    horizon: np.ndarray  # months
    reputation: np.ndarray
    tenure: np.ndarray  # int: elections survived

    @property
    def n(self) -> int:
        return self.motivation.shape[0]


_INITIATIVE_FIELDS: dict[str, np.dtype] = {
    "mode": np.dtype(np.int8),
    "collective": np.dtype(bool),
    "places": np.dtype(np.int32),
    "effectiveness": np.dtype(np.float64),  # hidden (001@25101)
    "domain": np.dtype(np.int8),
    "digital": np.dtype(bool),
    "substitutive": np.dtype(bool),
    "stage": np.dtype(np.int8),
    "lead_staff": np.dtype(np.int32),
    "commissioner": np.dtype(np.int32),
    "neighbourhood": np.dtype(np.int32),  # -1 = serves the whole caseload
    "monthly_cost": np.dtype(np.float64),
    "visibility": np.dtype(np.float64),
    "age": np.dtype(np.int32),
    "self_organised": np.dtype(bool),  # community action without a public body
    "crisis": np.dtype(bool),  # crisis volunteering (P7)
    "members": np.dtype(np.int32),
    "outcome_sum": np.dtype(np.float64),  # since the last review
    "outcome_n": np.dtype(np.int32),
    "failures": np.dtype(np.int32),  # since the last review
    "success": np.dtype(bool),  # this month
    "trust_hit": np.dtype(np.float64),  # misconduct damage still felt
}


class Initiatives:
    """The initiatives table: a growable struct of arrays (not Mesa agents)."""

    def __init__(self, capacity: int = 64):
        self.n = 0
        self._capacity = max(int(capacity), 8)
        for name, dtype in _INITIATIVE_FIELDS.items():
            setattr(self, name, np.zeros(self._capacity, dtype=dtype))

    def add(self, count: int, **values: np.ndarray | float | int | bool) -> np.ndarray:
        """Append ``count`` initiatives; return their indices. Unnamed fields start at zero."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        need = self.n + count
        if need > self._capacity:
            new_cap = max(need, 2 * self._capacity)
            for name in _INITIATIVE_FIELDS:
                old = getattr(self, name)
                grown = np.zeros(new_cap, dtype=old.dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
            self._capacity = new_cap
        idx = np.arange(self.n, need)
        for name, value in values.items():
            getattr(self, name)[idx] = value
        if "neighbourhood" not in values:
            self.neighbourhood[idx] = -1
        self.n = need
        return idx

    def view(self, name: str) -> np.ndarray:
        """The live part of one column."""
        return getattr(self, name)[: self.n]

    @property
    def live(self) -> np.ndarray:
        """Bool mask of initiatives not stopped."""
        return self.view("stage") != STOPPED

    def to_dict(self) -> dict[str, np.ndarray]:
        return {name: self.view(name).copy() for name in _INITIATIVE_FIELDS}


@dataclass
class Network:
    """Citizens' social ties as a symmetric CSR adjacency, plus its row-normalised form."""

    adjacency: sp.csr_matrix  # 0/1, symmetric, no self loops
    mean_of_neighbours: sp.csr_matrix  # D^-1 A (rows of isolated citizens are zero)
    degree: np.ndarray
    # Row blocks of mean_of_neighbours for a product on several threads (network.py).
    row_blocks: list[tuple[int, int, sp.csr_matrix]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    transposed: sp.csr_matrix | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def indptr(self) -> np.ndarray:
        return self.adjacency.indptr

    @property
    def indices(self) -> np.ndarray:
        return self.adjacency.indices


@dataclass(frozen=True, slots=True)
class Derived:
    """What ``population.build`` computes once from the population and nothing changes after.

    Frozen so no submodel can rebind a field; the arrays are shared, not copied, so the
    readers (participation, performance, resilience, metrics, the neighbourhood mean in
    ``submodels._common``) index them without a dictionary look-up."""

    representation_cell: np.ndarray  # education x age band x vulnerable, per citizen (0..23)
    representation_share: np.ndarray  # population share of each of the 24 cells
    users: np.ndarray  # citizens whose value and resilience are measured: the vulnerable
    team_of_user: np.ndarray
    high_education: np.ndarray  # bool per citizen
    low_education: np.ndarray  # bool per citizen
    knows_and_cares: np.ndarray  # 1.0 where a citizen knows of and cares about the service
    best_fit: np.ndarray  # how far the citizen's preferred kind (voice/action) beats an even mix
    nb_sizes: np.ndarray  # citizens per neighbourhood
    nb_starts: np.ndarray  # first citizen of each neighbourhood (they are contiguous)
    need: np.ndarray  # monthly need in service units, per citizen
    team_of_citizen: np.ndarray
    need_by_team: np.ndarray
    capacity_per_staff: float  # service units a staff member delivers at full strength
    hour_cost: float  # budget units of one staff hour


@dataclass(slots=True)
class Totals:
    """Counters summed over the run (read by ``metrics``), each written by one submodel."""

    initiatives_stopped: float = 0.0  # commissioning
    dark_side_events: float = 0.0  # dark_side
    volunteers_signed_up: float = 0.0  # events (volunteer calls)
    volunteers_matched: float = 0.0  # participation
    voice_acted: float = 0.0  # outcomes
    voice_rounds: float = 0.0  # outcomes


@dataclass(slots=True)
class Running:
    """Running values carried from one month (or cycle) to the next between submodels."""

    # What citizens believe of the council's record of acting on consultation: an even
    # chance before they have heard anything (the record is learnt, 000@17862).
    # Written by outcomes, read by learning.
    voice_record: float = 0.5
    # Smoothed success rate councillors see; written by outcomes, read by politics.
    visible_success: float = 0.5
    # Scandal weight since the last governance cycle; added to by dark_side, read and reset
    # by politics.
    scandal_pressure: float = 0.0
    # Smoothed economic value; written by performance, read by politics.
    economic_value_mean: float = 0.0


def _no_one() -> np.ndarray:
    return np.zeros(0)


@dataclass(slots=True)
class Episodes:
    """This month's results per participant, written only by ``outcomes`` (and
    ``contribution`` zeroed by the model at month 0); read by ``learning`` (all but
    ``contribution``) and ``performance`` (``contribution``).

    Every array but ``contribution`` is over ``participants`` (sorted citizen indices):
    most citizens had no episode."""

    participants: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_modes: np.ndarray = field(default_factory=_no_one)  # modes each took part in
    success: np.ndarray = field(default_factory=_no_one)  # share of their modes that succeeded
    failure: np.ndarray = field(default_factory=_no_one)
    collective_success: np.ndarray = field(default_factory=_no_one)  # bool
    collective_failure: np.ndarray = field(default_factory=_no_one)  # bool
    unheard: np.ndarray = field(default_factory=_no_one)  # bool: assessed, not acted on
    heard: np.ndarray = field(default_factory=_no_one)  # bool: assessed and acted on
    substitutive: np.ndarray = field(default_factory=_no_one)  # bool
    complex_task: np.ndarray = field(default_factory=_no_one)  # bool: complex or chaotic
    effort: np.ndarray = field(default_factory=_no_one)  # digital modes count less
    contribution: np.ndarray = field(default_factory=_no_one)  # per initiative: service output


@dataclass(slots=True)
class Flows:
    """This month's flows, reset at the start of each step (``model.step``).

    Field names mirror the metric names where a metric reports them (``metrics.collect``);
    each field is written by the one submodel named beside it. A field left at zero this
    month means the submodel did not run or had nothing to count."""

    # events
    shock_active: float = 0.0  # 1.0 while a disruptive shock runs (read by performance)
    # politics
    councillors_replaced: float = 0.0
    # commissioning
    stopped_this_cycle: float = 0.0
    # offers
    offers: float = 0.0
    # participation
    joined_offer: float = 0.0
    joined_peer: float = 0.0
    community_starts: float = 0.0
    volunteers_matched: float = 0.0
    exits: float = 0.0
    # outcomes
    citizen_hours: float = 0.0  # read by performance (the cost of citizens' time)
    successes: float = 0.0
    failures: float = 0.0
    # learning
    burnouts: float = 0.0
    # performance
    user_value: float = 0.0
    social_value: float = 0.0
    economic_value: float = 0.0
    governance_value: float = 0.0
    staff_hours: float = 0.0
    coproduction_spend: float = 0.0
    # dark_side
    dark_side_events: float = 0.0
    # resilience
    resilience_user: float = 0.0
    resilience_community: float = 0.0
    resilience_provider: float = 0.0
    resilience_commissioner: float = 0.0
    resilience_chain: float = 0.0


@dataclass(slots=True)
class EventMemory:
    """What each running event changed, kept by ``events`` (its only reader and writer) to
    undo the change when the event ends. Events are keyed by their index in the run's list."""

    # unavailability: the staff sent away
    staff_away: dict[int, np.ndarray] = field(default_factory=dict)
    # budget cut: the posts cut, the cut's share and the budget level before it
    posts_cut: dict[int, tuple[np.ndarray, float, float]] = field(default_factory=dict)
    # policy change: per parameter, the running changes holding it (event key, value), latest
    # last, and the value the first of them replaced
    policy_holders: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    policy_base: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Neighbourhoods:
    """Values one submodel computes for another about citizens' surroundings (None until the
    writer first runs; the reader then falls back as noted)."""

    # (N,) mean of active x capability over each citizen's ties; written by
    # learning.update_neighbourhood_signals, read by resilience.links (0 before)
    capacity: np.ndarray | None = None
    # (n_neighbourhoods,) share of residents in a collective place; written by
    # performance.step, read by resilience.links (zeros before)
    collective_share: np.ndarray | None = None
    # (n_neighbourhoods,) mean generalised trust; written by performance.step, read by
    # resilience.links (computed afresh before)
    trust: np.ndarray | None = None


@dataclass(slots=True)
class ParticipationCaches:
    """Values participation computes once and reuses while their inputs hold (its own)."""

    # logistic peer response to neighbour_active, for the peer threshold peer_key; cleared by
    # learning.update_neighbourhood_signals when neighbour_active changes
    peer: np.ndarray | None = None
    peer_key: float | None = None
    # (age weight, individual age term, collective age term): ages never change
    age_terms: tuple[float, np.ndarray, np.ndarray] | None = None


@dataclass
class State:
    """Everything the engine knows at one moment."""

    citizens: Citizens
    staff: Staff
    commissioners: Commissioners
    politicians: Politicians
    initiatives: Initiatives
    network: Network
    policy: SimpleNamespace  # effective settings: parameters as changed by events and the Star
    n_neighbourhoods: int
    derived: Derived
    totals: Totals
    running: Running
    month: int = 0
    budget_level: float = 1.0  # service budget relative to the start
    performance_by_team: np.ndarray = field(default_factory=lambda: np.ones(1))
    service_performance: float = 0.0
    reference_output: float = 0.0  # pre-shock service output (provider resilience)
    output: float = 0.0
    productivity: float = 1.0  # professional productivity: co-design and co-assessment raise it
    star_step: int = 0  # index into STAR_STEPS
    events_log: list[str] = field(default_factory=list)
    event_memory: EventMemory = field(default_factory=EventMemory)
    flows: Flows = field(default_factory=Flows)  # this month's flows (read by metrics)
    episodes: Episodes = field(default_factory=Episodes)
    membership: Membership = field(default_factory=Membership)  # who holds which place
    neighbourhoods: Neighbourhoods = field(default_factory=Neighbourhoods)
    participation_caches: ParticipationCaches = field(default_factory=ParticipationCaches)
    offers: tuple = field(default_factory=lambda: (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    neighbour_active: np.ndarray = field(default_factory=lambda: np.zeros(0))
    neighbour_success: np.ndarray = field(default_factory=lambda: np.zeros(0))
