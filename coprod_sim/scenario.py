"""Scenarios: a named set of parameter values plus scheduled events.

:class:`Scenario` is a :class:`mesa.experimental.scenarios.Scenario`, so the model passes it to
Mesa as Mesa 3.5 expects (``model.scenario``). Its parameters are validated against the one
schema in :mod:`coprod_sim.params` when it is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mesa.experimental.scenarios import Scenario as MesaScenario

from . import params as P
from .submodels.events import Event

_META = ("title", "description", "question", "sources")


class Scenario(MesaScenario):
    """Validated parameters (every parameter, defaults filled in) and scheduled events."""

    def __init__(
        self,
        *,
        rng: Any = None,
        events: Iterable[Event | Mapping[str, Any]] = (),
        title: str = "",
        description: str = "",
        question: str = "",
        sources: Iterable[str] = (),
        source: str | None = None,
        **values: Any,
    ) -> None:
        validated = P.validate(values, source=source)
        evs = tuple(e if isinstance(e, Event) else Event(**e) for e in events)
        super().__init__(
            rng=rng,
            events=evs,
            title=title,
            description=description,
            question=question,
            sources=tuple(sources),
            **validated.model_dump(),
        )

    def parameters(self) -> dict[str, Any]:
        """The parameter values, by name (no metadata, events or rng)."""
        return {name: self.__dict__[name] for name in P.PARAMS_BY_NAME}

    def metadata(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in _META}

    def replace(self, *, rng: Any = None, **changes: Any) -> Scenario:
        """A copy with some parameters (or events, or metadata) changed."""
        values = {**self.parameters(), **self.metadata(), "events": self.events}
        values.update(changes)
        return Scenario(rng=self.rng if rng is None else rng, **values)
