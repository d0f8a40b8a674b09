"""Where agents' levels are drawn at build and where they relax back to while running.

Each formula is read twice: once by ``population.build`` to centre the starting
distribution and once, every month, by the submodel that pulls the level back toward it
(``learning``, ``politics``, ``events``). Keeping one copy here means a policy change moves
both the same way.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

ENABLEMENT_BOOST = 0.2
"""Risk appetite added by the risk-enablement strategy (000@118561)."""


def _enablement_boost(p: SimpleNamespace) -> float:
    return ENABLEMENT_BOOST if p.risk_strategy == "risk_enablement" else 0.0


def staff_appetite(p: SimpleNamespace) -> float:
    """Staff risk appetite after the risk-averse culture barrier (000@118561)."""
    return min(
        1.0, p.risk_appetite_staff * (1.0 - 0.5 * p.risk_averse_culture) + _enablement_boost(p)
    )


def commissioner_appetite(p: SimpleNamespace) -> float:
    """Commissioners' risk appetite, damped by the same risk-averse culture as staff."""
    return min(
        1.0,
        p.risk_appetite_commissioners * (1.0 - 0.5 * p.risk_averse_culture) + _enablement_boost(p),
    )


def politician_appetite(p: SimpleNamespace) -> float:
    """Councillors' risk appetite: the officers' culture barrier does not reach them."""
    return min(1.0, p.risk_appetite_politicians + _enablement_boost(p))


def staff_skill_target(p: SimpleNamespace) -> float:
    """Where staff skill settles: the skills gap lowers it, training raises it (002@16936)."""
    return float(np.clip(0.65 - 0.4 * p.staff_skills_gap + 0.3 * p.staff_training, 0, 1))


def staff_trust_target(p: SimpleNamespace) -> float:
    """Where staff trust in citizens settles under the low-staff-trust barrier."""
    return 0.65 - 0.4 * p.low_staff_trust


def information_target(p: SimpleNamespace) -> float:
    """Where citizens' satisfaction with information settles: provision raises it, poor
    communication lowers it."""
    return 0.5 + 0.4 * p.information_provision - 0.4 * p.poor_communication


def politician_horizon(p: SimpleNamespace) -> float:
    """Short-termism shortens the horizon from 48 to 12 months (000@27723)."""
    return 48.0 * (1.0 - 0.75 * p.political_short_termism)
