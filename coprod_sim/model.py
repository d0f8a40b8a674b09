"""The Mesa model: :class:`CoproductionModel` runs the vectorised engine one month a step.

It owns a :class:`~coprod_sim.state.State` and runs the submodels in the ODD order
(ODD §3). Mesa agents and the networkx graph are built only when first asked for, so
sweeps and million-citizen runs do not pay for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from . import metrics, population
from . import network as network_mod
from .agents import AGENT_CLASSES, Citizen, Commissioner, Politician, Staff
from .params import validate
from .scenario import Scenario
from .state import Flows, State
from .submodels import (
    commissioning,
    dark_side,
    events,
    learning,
    offers,
    outcomes,
    participation,
    performance,
    politics,
    resilience,
    star,
)

if TYPE_CHECKING:
    from .params import Params  # made on first use, by validate()

SCHEDULE = (
    star,  # 2. governance: the change programme (4.9) ...
    politics,  # ... politicians (4.5) ...
    commissioning,  # ... and commissioners (4.4)
    offers,  # 3. staff offer places (4.3)
    participation,  # 4. citizens accept, join through peers, self-organise (4.1)
    outcomes,  # 5. initiatives produce outcomes (4.6)
    learning,  # 6. everyone learns (4.2)
    performance,  # 7. service performance and public value (4.7) ...
    resilience,  # ... and the resilience chain (ODD §7.11)
    dark_side,  # 8. rare dark-side events (4.8)
)
"""Submodels in the order of one step (after the events of step 1, before metrics)."""


def _report(model: CoproductionModel, name: str) -> float:
    return model.current_metrics[name]


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per metric, fed from the row that
    :func:`metrics.collect` has just computed.

    Mesa's own ``collect`` calls each reporter and deep-copies its value (60 calls and 60
    copies, about 30 microseconds a step); the values are floats, which need no copy, so
    they are appended directly (2 microseconds). Everything else (``get_model_vars_dataframe``,
    the reporters) is Mesa's, and a collector given other reporters (model, agent or agent
    type) collects as Mesa's does.
    """

    def collect(self, model: mesa.Model) -> None:
        row = getattr(model, "current_metrics", {})
        if (
            self.agent_reporters
            or self.agenttype_reporters
            or not row.keys() >= self.model_vars.keys()
        ):
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for name, values in self.model_vars.items():
            values.append(row[name])


class CoproductionModel(mesa.Model):
    """The co-production ecosystem of one local public-service system.

    Args:
        rng: seed or numpy ``Generator`` (Mesa 3.5 convention). The same parameters and seed
            give identical results, bit for bit.
        scenario: a :class:`~coprod_sim.scenario.Scenario` or a mapping of parameter values;
            keyword arguments override it.
        **params: any parameter of the schema (:data:`coprod_sim.params.PARAMETERS`).

    Raises:
        coprod_sim.params.ParameterError: a parameter is unknown or out of range.
    """

    def __init__(
        self,
        *,
        rng: Any = None,
        scenario: Scenario | Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        base: dict[str, Any] = {}
        extra_events: tuple = ()
        meta: dict[str, Any] = {}
        if isinstance(scenario, Scenario):
            base = scenario.parameters()
            extra_events = scenario.events
            meta = scenario.metadata()
            rng = scenario.rng if rng is None else rng
        elif scenario is not None:
            base = dict(scenario)
        resolved = Scenario(rng=rng, events=extra_events, **meta, **{**base, **params})
        super().__init__(rng=rng, scenario=resolved)
        self.params: Params = validate(resolved.parameters())
        self.state: State = population.build(self.params, self.rng)
        self.events = events.from_params(self.params) + list(resolved.events)
        self._agents_built = False
        self._graph = None
        self._space = None
        self._initialise()
        self.datacollector = MetricsCollector(
            model_reporters={name: partial(_report, name=name) for name in metrics.METRICS}
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ running
    def _initialise(self) -> None:
        """Month 0: signals, willingness, performance and the metrics before any step."""
        s = self.state
        s.episodes.contribution = np.zeros(s.initiatives.n)
        learning.update_neighbourhood_signals(s)
        participation.seed_existing(s, self.rng)
        learning.update_neighbourhood_signals(s)
        s.citizens.willingness = participation.general_willingness(s, participation.base_index(s))
        performance.step(s, self.params, self.rng)
        s.citizens.shortfall[:] = np.clip(
            1.0 - s.performance_by_team[s.derived.team_of_citizen] - s.citizens.perception_bias,
            0.0,
            1.0,
        )
        resilience.step(s, self.params, self.rng)
        self.current_metrics = metrics.collect(s)

    def step(self) -> None:
        """Advance one month: events, governance, offers, participation, outcomes,
        learning, performance, dark side, then collect the metrics."""
        s = self.state
        s.month = self.steps
        s.flows = Flows()
        events.step(s, self.events, self.rng)
        for submodel in SCHEDULE:
            submodel.step(s, self.params, self.rng)
        self.current_metrics = metrics.collect(s)
        self.datacollector.collect(self)
        if self.steps >= self.params.steps:
            self.running = False

    # ------------------------------------------------------------------ outputs
    @property
    def month(self) -> int:
        return self.state.month

    def metrics_frame(self) -> pd.DataFrame:
        """The collected metrics: one row per month (index ``month``)."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame["month"] = frame["month"].astype(int)
        return frame.set_index("month")

    def agent_snapshot(self) -> pd.DataFrame:
        """Every agent's current state as a tidy DataFrame (one row per agent)."""
        return metrics.agent_snapshot(self.state)

    def initiatives_frame(self) -> pd.DataFrame:
        """The initiatives table (mode, places, members, stage, ...) as a tidy DataFrame."""
        return metrics.initiatives_frame(self.state)

    # ------------------------------------------------------------------ lazy Mesa views
    def _materialise_agents(self) -> None:
        if self._agents_built:
            return
        self._agents_built = True
        s = self.state
        for cls, count in (
            (Citizen, s.citizens.n),
            (Staff, s.staff.n),
            (Commissioner, s.commissioners.n),
            (Politician, s.politicians.n),
        ):
            for i in range(count):
                cls(self, i)

    @property
    def agents(self):  # type: ignore[override]
        self._materialise_agents()
        return super().agents

    @property
    def agents_by_type(self):  # type: ignore[override]
        self._materialise_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:  # type: ignore[override]
        self._materialise_agents()
        return super().agent_types

    def network_graph(self):
        """The citizens' social network as a ``networkx.Graph`` (small N only)."""
        if self._graph is None:
            self._graph = network_mod.to_networkx(self.state.network)
        return self._graph

    @property
    def space(self) -> mesa.discrete_space.Network:
        """A Mesa ``Network`` space over the citizens' ties, with each citizen in its cell.

        Built on first use with ``layout=None`` (no spring layout: it takes minutes at 10,000
        nodes); the dashboard computes its own seeded layout.
        """
        if self._space is None:
            space = mesa.discrete_space.Network(
                self.network_graph(), capacity=1, random=self.random, layout=None
            )
            for agent in self.agents_by_type[Citizen]:
                cell = space._cells[agent.index]
                cell.add_agent(agent)
                agent.cell = cell  # as a Mesa CellAgent would have it
            self._space = space
        return self._space


__all__ = ["AGENT_CLASSES", "CoproductionModel"]
