"""A synthetic cross-sectional citizen survey drawn from the model's state.

The chapters' evidence comes from citizen surveys (the five-country EU survey, the UK
five-local-authority survey and the German national survey; 000@5743-6500). To compare the
model with it, :func:`draw` interviews a random sample of citizens the way those surveys did:
demographics, attitudes on a five-point scale, whether they would be willing to give some time,
and whether they co-produced, individually or collectively, in the last 12 months. The
answers are read from the agents' state with response noise; nothing in the survey knows the
patterns it will be used to test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..state import State

LIKERT_POINTS = 5
"""Attitudes are asked on a five-point scale, as in the EU survey (Loeffler et al. 2008)."""
RESPONSE_NOISE = 0.1
"""Standard deviation of a respondent's answer around their true level (levels lie in [0, 1]):
survey answers measure attitudes with error, which weakens every association the survey sees."""
WINDOW = 12
"""Co-production "in the last 12 months"."""

ATTITUDES: tuple[str, ...] = (
    "self_efficacy",
    "trust_in_staff",
    "generalised_trust",
    "perceived_performance",
    "satisfaction_with_information",
)
"""The attitude questions, each answered on the five-point scale."""

COLUMNS: tuple[str, ...] = (
    "respondent",
    "age",
    "education",
    "employed",
    "female",
    "vulnerable",
    "neighbourhood",
    *ATTITUDES,
    "willing",
    "individual",
    "collective",
    "any",
)
"""The survey's columns: ``age`` is the band (0 = 18-34 ... 3 = 75+), ``education`` 0 = low ..
2 = high; ``willing``, ``individual``, ``collective`` and ``any`` are 0/1 answers."""


def likert(level: np.ndarray, rng: np.random.Generator, noise: float = RESPONSE_NOISE):
    """A level in [0, 1] answered on the five-point scale (1..5) with response noise."""
    answer = np.clip(level + rng.normal(0.0, noise, level.shape), 0.0, 1.0)
    return (1 + np.rint(answer * (LIKERT_POINTS - 1))).astype(np.int8)


def draw(
    state: State,
    rng: np.random.Generator,
    size: int | None = None,
    noise: float = RESPONSE_NOISE,
) -> pd.DataFrame:
    """Interview ``size`` citizens drawn at random without replacement (all when ``None`` or
    larger than the population): one row per respondent, columns :data:`COLUMNS`."""
    c = state.citizens
    n = c.n
    pick = np.sort(rng.choice(n, size=min(size or n, n), replace=False))
    since = state.month - WINDOW + 1
    individual = c.last_individual[pick] >= since
    collective = c.last_collective[pick] >= since
    levels = {
        "self_efficacy": c.self_efficacy,
        "trust_in_staff": c.trust,
        "generalised_trust": c.generalised_trust,
        # the service as the citizen sees it: the shortfall they perceive (000@12607)
        "perceived_performance": 1.0 - c.shortfall,
        "satisfaction_with_information": c.sat_info,
    }
    frame = {
        "respondent": pick.astype(np.int64),
        "age": c.age_band[pick].astype(np.int64),
        "education": c.education[pick].astype(np.int64),
        "employed": c.employed[pick].astype(np.int64),
        "female": c.female[pick].astype(np.int64),
        "vulnerable": c.vulnerable[pick].astype(np.int64),
        "neighbourhood": c.neighbourhood[pick].astype(np.int64),
    }
    for name in ATTITUDES:
        frame[name] = likert(levels[name][pick], rng, noise)
    # "Would you be willing to give some time ...?": a yes with the citizen's probability of
    # being willing in the mode that suits them best (the German survey question, 000@14545).
    frame["willing"] = (rng.random(pick.size) < c.willingness[pick]).astype(np.int64)
    frame["individual"] = individual.astype(np.int64)
    frame["collective"] = collective.astype(np.int64)
    frame["any"] = (individual | collective).astype(np.int64)
    return pd.DataFrame(frame, columns=list(COLUMNS))
