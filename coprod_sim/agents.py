"""Mesa agents that view the engine's arrays.

``Citizen``, ``Staff``, ``Commissioner`` and ``Politician`` are ordinary :class:`mesa.Agent`
subclasses, so ``model.agents_by_type[Citizen].agg("self_efficacy", np.mean)``, ``select`` and
``groupby`` work as Mesa users expect. Their attributes are properties that read and write
the state's numpy arrays by index: the engine stays the single source of truth, and writing
``citizen.trust = 0.9`` changes the simulation.

The model creates these objects only when they are first asked for (see
:class:`coprod_sim.model.CoproductionModel`), so sweeps and million-citizen runs never pay
for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from .state import AGE_BANDS, EDUCATION, MODES

if TYPE_CHECKING:
    from .model import CoproductionModel


def _array_property(name: str, doc: str, *, level: bool = True) -> property:
    def get(self: _ArrayAgent) -> Any:
        return getattr(self._arrays, name)[self.index].item()

    def set_(self: _ArrayAgent, value: Any) -> None:
        if level and not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} is a level in [0, 1]; got {value!r}")
        getattr(self._arrays, name)[self.index] = value

    return property(get, set_, doc=doc)


def _read_only(name: str, doc: str) -> property:
    return property(lambda self: getattr(self._arrays, name)[self.index].item(), doc=doc)


class _ArrayAgent(mesa.Agent):
    """A Mesa agent whose state lives in one row of the engine's arrays."""

    _role = ""

    def __init__(self, model: CoproductionModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def _arrays(self) -> Any:
        return getattr(self.model.state, self._role)

    motivation = _array_property("motivation", "Motivation to co-produce (level).")
    trust = _array_property("trust", "Trust (level); see the role's docs for in whom.")
    self_efficacy = _array_property("self_efficacy", "Self-efficacy (level).")
    risk_appetite = _array_property("risk_appetite", "Risk appetite (level).")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(index={self.index})"


class Citizen(_ArrayAgent):
    """A citizen: service user and community member. ``trust`` is trust in staff."""

    _role = "citizens"
    generalised_trust = _array_property("generalised_trust", "Trust in other citizens.")
    fatigue = _array_property("fatigue", "Accumulated effort (level).")
    exploited = _array_property("exploited", "Feels dumped on or free-ridden (level).")
    expects_response = _array_property("expects_response", "Expects voice to be acted on.")
    willingness = _read_only("willingness", "Willingness to co-produce in the best-fitting mode.")
    shortfall = _read_only("shortfall", "Perceived service shortfall (level).")
    capability = _read_only("capability", "Capability to contribute (level).")
    voice_preference = _read_only("voice_preference", "1 prefers voice, 0 prefers action.")
    employed = _read_only("employed", "In paid work.")
    female = _read_only("female", "Female.")
    vulnerable = _read_only("vulnerable", "Has care needs.")
    digital_access = _read_only("digital_access", "Has digital access.")
    neighbourhood = _read_only("neighbourhood", "Neighbourhood index.")
    knows = _read_only("knows", "Knows about the service.")
    cares = _read_only("cares", "Cares about the service.")

    @property
    def age_band(self) -> str:
        return AGE_BANDS[self._arrays.age_band[self.index]]

    @property
    def education(self) -> str:
        return EDUCATION[self._arrays.education[self.index]]

    @property
    def active_modes(self) -> tuple[str, ...]:
        """The Four Co's this citizen takes part in now."""
        held = self._arrays.initiative_of[:, self.index]
        return tuple(m for m, k in zip(MODES, held, strict=True) if k >= 0)

    @property
    def participating(self) -> bool:
        return bool((self._arrays.initiative_of[:, self.index] >= 0).any())

    @property
    def burnt_out(self) -> bool:
        return bool(self._arrays.rest[self.index] > 0)

    @property
    def caseload_staff(self) -> int:
        return int(self._arrays.caseload_staff[self.index])

    @property
    def neighbours(self) -> np.ndarray:
        """Indices of this citizen's social ties."""
        net = self.model.state.network
        return net.indices[net.indptr[self.index] : net.indptr[self.index + 1]].copy()


class Staff(_ArrayAgent):
    """A frontline staff member. ``trust`` is trust in citizens' capabilities; ``self_efficacy``
    is skill and confidence in co-production practice."""

    _role = "staff"
    resistance = _array_property("resistance", "Resistance to losing status or job (level).")
    slack = _read_only("slack", "Hours a month for co-production.")

    @property
    def available(self) -> bool:
        return bool(self._arrays.available[self.index] and self._arrays.employed[self.index])

    @property
    def caseload(self) -> int:
        a = self._arrays
        return int(a.caseload_stop[self.index] - a.caseload_start[self.index])

    @property
    def commissioner(self) -> int:
        return int(self._arrays.commissioner[self.index])


class Commissioner(_ArrayAgent):
    """A commissioner. ``trust`` is trust in providers and citizens; ``self_efficacy`` is the
    belief that co-production works, learnt from evidence."""

    _role = "commissioners"
    budget_share = _array_property("budget_share", "Co-production share of the budget.")
    outcome_based = _array_property("outcome_based", "Outcome-based commissioning (level).")
    knowledge = _array_property("knowledge", "Commissioning knowledge retained (level).")
    alternative_providers = _array_property("alternative_providers", "Market resilience.")
    reputation = _array_property("reputation", "Reputation (level).")


class Politician(_ArrayAgent):
    """A councillor. ``trust`` is trust in commissioners and managers."""

    _role = "politicians"
    support = _array_property("support", "Support for sharing power with citizens (level).")
    reputation = _array_property("reputation", "Reputation (level).")
    horizon = _array_property("horizon", "Planning horizon in months.", level=False)
    tenure = _read_only("tenure", "Elections survived.")


AGENT_CLASSES: tuple[type[_ArrayAgent], ...] = (Citizen, Staff, Commissioner, Politician)
