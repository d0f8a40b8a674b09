"""Scenarios: a named set of parameter values plus scheduled events.

:class:`Scenario` is a :class:`mesa.experimental.scenarios.Scenario`, so the model passes it to
Mesa as Mesa 3.5 expects (``model.scenario``). Its parameters are validated against the one
schema in :mod:`coprod_sim.params` when it is created.

This module is the value only; reading and writing scenario files (TOML, ``extends``, the
presets) is :mod:`coprod_sim.scenario_files`, so that the model, which takes a value, does not
import the file code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mesa.experimental.scenarios import Scenario as MesaScenario

from .params import PARAMS_BY_NAME, defaults, validate
from .submodels.events import Event

_META = ("name", "title", "description", "question", "sources", "replications")


class Scenario(MesaScenario):
    """Validated parameters (every parameter, defaults filled in) and scheduled events."""

    def __init__(
        self,
        *,
        rng: Any = None,
        events: Iterable[Event | Mapping[str, Any]] = (),
        name: str = "",
        title: str = "",
        description: str = "",
        question: str = "",
        sources: Iterable[str] = (),
        replications: int = 1,
        source: str | None = None,
        **values: Any,
    ) -> None:
        validated = validate(values, source=source)
        evs = tuple(e if isinstance(e, Event) else Event(**e) for e in events)
        super().__init__(
            rng=rng,
            events=evs,
            name=name,
            title=title,
            description=description,
            question=question,
            sources=tuple(sources),
            replications=replications,
            **validated.model_dump(),
        )

    def parameters(self) -> dict[str, Any]:
        """The parameter values, by name (no metadata, events or rng)."""
        return {name: self.__dict__[name] for name in PARAMS_BY_NAME}

    def metadata(self) -> dict[str, Any]:
        """Name, title, description, question, sources and replications."""
        return {name: self.__dict__[name] for name in _META}

    def changed(self) -> dict[str, tuple[Any, Any]]:
        """The parameters that differ from the schema defaults: name -> (value, default)."""
        schema_defaults = defaults()
        return {
            k: (v, schema_defaults[k])
            for k, v in self.parameters().items()
            if v != schema_defaults[k]
        }

    def replace(self, *, rng: Any = None, **changes: Any) -> Scenario:
        """A copy with some parameters (or events, or metadata) changed."""
        values = {**self.parameters(), **self.metadata(), "events": self.events}
        values.update(changes)
        return Scenario(rng=self.rng if rng is None else rng, **values)
