"""Initiative rules: how a new co-production initiative is drawn and what it costs.

Read by ``population.build`` for the initiatives that exist at month 0 and by
``submodels.commissioning`` (new pilots), ``submodels.star`` and ``submodels.offers``
(scaling and digital reach), ``submodels.outcomes`` (noise by domain) while the model runs.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .params import DOMAINS
from .state import CO_DELIVERY, PILOT, SCALED, Citizens, Initiatives, Staff

MODE_MIX = np.array([0.10, 0.20, 0.50, 0.20])
"""Mode of a new initiative (co-commissioning, co-design, co-delivery, co-assessment).
Co-delivery dominates and co-commissioning is 'even more exceptional' (000@68942, 003@89524)."""

COLLECTIVE_SHARE = 0.4
PLACES_INDIVIDUAL, PLACES_COLLECTIVE = 6, 12
MODE_PLACES = np.array([0.6, 1.0, 1.0, 1.0])
"""Technical co-commissioning draws only a few citizens (003@48557)."""
SCALE_FACTOR = 2.5
DIGITAL_REACH = 3.0
"""Digital initiatives reach 'much greater numbers' (003@176449)."""
COST_PER_PLACE = 0.1
"""Monthly support cost of one place, in budget units (one unit = spending per citizen-month)."""
DOMAIN_NOISE = np.array([0.05, 0.15, 0.30, 0.50])
"""Outcome noise by Cynefin domain: simple .. chaotic (000 Table 5.2, 000@43219-45428)."""
VISIBILITY = np.array([0.8, 0.8, 0.5, 0.9])
"""How much of an initiative's value the commissioner sees: co-delivery is often invisible
(003@118049)."""


def categorical(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` category codes with probabilities ``probs`` (the last bin takes rounding)."""
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int8)


def draw_modes(rng: np.random.Generator, count: int) -> np.ndarray:
    """The mode (one of the Four Co's) of ``count`` new initiatives, by ``MODE_MIX``."""
    return categorical(rng, MODE_MIX, count)


def domain_code(p: SimpleNamespace) -> int:
    """The code of the service's Cynefin domain (``knowledge_domain``)."""
    return DOMAINS.index(p.knowledge_domain)


def initiative_domain(p: SimpleNamespace, count: int, rng: np.random.Generator) -> np.ndarray:
    """Co-production moves services toward the complicated and complex domains (000@51878)."""
    base = domain_code(p)
    shift = rng.random(count) < 0.5
    return np.minimum(base + shift, 3).astype(np.int8)


def new_initiatives(
    parts: tuple[Initiatives, Staff, Citizens],
    p: SimpleNamespace,
    lead_staff: np.ndarray,
    rng: np.random.Generator,
    *,
    modes: np.ndarray | None = None,
    substitutive_share: float = 0.2,
    stage: int = PILOT,
    start_delay: int = 0,
) -> np.ndarray:
    """Add new initiatives led by ``lead_staff`` to the table; return their indices.

    ``parts`` is (initiatives, staff, citizens): the state is not built yet at month 0.
    Mode, individual or collective, digital and substitutive are drawn; places and cost
    follow from them (module constants)."""
    initiatives, staff, citizens = parts
    count = lead_staff.shape[0]
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if modes is None:
        modes = draw_modes(rng, count)
    collective = rng.random(count) < COLLECTIVE_SHARE
    digital = rng.random(count) < p.digital_platform
    substitutive = (modes == CO_DELIVERY) & (rng.random(count) < substitutive_share)
    places = np.where(collective, PLACES_COLLECTIVE, PLACES_INDIVIDUAL) * MODE_PLACES[modes]
    places = places * np.where(stage == SCALED, SCALE_FACTOR, 1.0)
    # Services handed to volunteers are run at scale by them (000@136220: libraries
    # transferred to community groups).
    places = places * np.where(substitutive, 2.0, 1.0)
    places = np.maximum(1, np.round(places * np.where(digital, DIGITAL_REACH, 1.0)))
    # Digital support is 'much slicker and cheaper to run' (003@176449); substitutive
    # co-delivery costs less because it replaces paid work.
    unit = COST_PER_PLACE * np.where(digital, 0.4, 1.0) * np.where(substitutive, 0.6, 1.0)
    effectiveness = rng.beta(5.0, 3.0, count)
    domain = initiative_domain(p, count, rng)
    neighbourhood = citizens.neighbourhood[staff.caseload_start[lead_staff]]
    return initiatives.add(
        count,
        mode=modes,
        collective=collective,
        places=places.astype(np.int32),
        effectiveness=effectiveness,
        domain=domain,
        digital=digital,
        substitutive=substitutive,
        stage=stage,
        lead_staff=lead_staff,
        commissioner=staff.commissioner[lead_staff],
        neighbourhood=np.where(collective, neighbourhood, -1),
        monthly_cost=places * unit,
        visibility=VISIBILITY[modes],
        age=-start_delay,
    )
