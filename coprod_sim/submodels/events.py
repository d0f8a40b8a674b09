"""Process step 1: scheduled shocks and policy changes (ODD §3 and §7.10).

Shocks test the resilience chain (000@49502-58422): professional unavailability, a budget cut
(with substitution, 000@136220-136480), a crisis call for volunteers bounded by matching
capacity (002@60710, 003@179030), a scandal (000@162507) and commissioner restructuring
(knowledge loss, 000@58560). Policy changes set lever or barrier values from a given month.

The flat shock parameters become :class:`Event` objects; scenario files add more (any number
of each kind). Each event fires at ``start`` and, where it has a duration, ends at
``start + duration``.

Reads: budget_level, citizens.n, citizens.rest, citizens.waiting, citizens.willingness,
    commissioners.knowledge, event_memory.policy_base, event_memory.policy_holders,
    event_memory.posts_cut, event_memory.staff_away, events_log, month, policy,
    staff.available, staff.employed, totals.volunteers_signed_up
Writes: budget_level, citizens.waiting, commissioners.knowledge, event_memory.policy_base,
    event_memory.policy_holders, event_memory.posts_cut, event_memory.staff_away,
    flows.shock_active, politicians.horizon, staff.available, staff.employed,
    totals.volunteers_signed_up
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import params
from ..state import State
from ..targets import politician_horizon
from . import dark_side

KINDS = ("unavailability", "budget_cut", "volunteer_call", "scandal", "restructuring", "policy")
ENDING = ("unavailability", "budget_cut", "policy")
"""Kinds that are undone after ``duration`` months (0 = they stay)."""
MAX_EVENTS = 200
"""Most ``[[shocks]]`` and ``[[policy_changes]]`` a scenario file (with the files it extends)
may schedule. The presets have a handful; 200 is one event a month for over 16 years. Reading
(and locating for messages) costs time quadratic in the number of events, about 0.3 s at 200
and minutes at thousands, so a file beyond the cap is refused before its events are read."""


@dataclass(frozen=True)
class Event:
    """One scheduled shock or policy change, checked against the schema when created.

    ``start`` is the month it fires (the first step is month 1); ``duration`` how long it lasts
    (0 = permanent or instantaneous); ``share`` the staff share, budget share, call size or
    knowledge lost, in [0, 1]; ``set`` maps parameters to new values (policy changes);
    ``note`` says what it stands for (shown in reports).
    """

    kind: str
    start: int
    duration: int = 0
    share: float = 0.0
    set: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise params.ParameterError(
                [f"{self.kind} event: {msg}" for _, msg in problems],
                keys=[key for key, _ in problems],
            )

    def _problems(self) -> list[tuple[str | None, str]]:
        """(key, message) for each problem."""
        problems: list[tuple[str | None, str]] = []
        if self.kind not in KINDS:
            problems.append(
                ("kind", f"unknown event kind {self.kind!r}; allowed: {', '.join(KINDS)}")
            )
        if not params.is_integer(self.start) or self.start < 1:
            problems.append(
                (
                    "start",
                    f"key 'start': value {self.start!r} is not allowed; allowed: an integer >= 1",
                )
            )
        if not params.is_integer(self.duration) or self.duration < 0:
            problems.append(
                (
                    "duration",
                    f"key 'duration': value {self.duration!r} is not allowed; "
                    "allowed: an integer >= 0",
                )
            )
        elif self.duration > 0 and self.kind in KINDS and self.kind not in ENDING:
            problems.append(
                (
                    "duration",
                    f"key 'duration': value {self.duration!r}; a {self.kind} has no duration "
                    f"(allowed for {', '.join(ENDING)})",
                )
            )
        if (
            isinstance(self.share, bool)
            or not isinstance(self.share, int | float)
            or not 0.0 <= self.share <= 1.0
        ):
            problems.append(
                (
                    "share",
                    f"key 'share': value {self.share!r} is not allowed; "
                    "allowed: a number in [0, 1]",
                )
            )
        if not isinstance(self.note, str):
            problems.append(
                ("note", f"key 'note': value {self.note!r} is not allowed; allowed: a string")
            )
        elif (char := params.control_character(self.note, layout=True)) is not None:
            # Notes are printed in reports and terminals, where an escape would act.
            problems.append(
                (
                    "note",
                    f"key 'note': value {self.note!r} contains the control character {char}; "
                    "allowed: text (tabs and line breaks are fine)",
                )
            )
        for name in self.set:
            spec = params.PARAMS_BY_NAME.get(name)
            if spec is not None and not spec.changeable:
                why = (
                    "it is read when the population is built"
                    if spec.build_time
                    else (f"group {spec.group!r}")
                )
                problems.append(
                    (
                        name,
                        f"key {name!r} cannot change during a run ({why}); allowed: parameters "
                        f"of the groups {', '.join(params.RUNTIME_GROUPS)} that are not build-time",
                    )
                )
        if self.set and self.kind != "policy":
            problems.append(("set", f"key 'set' is only for policy events, not {self.kind!r}"))
        if self.set:
            try:
                params.validate(self.set)
            except params.ParameterError as err:
                problems.extend(zip(err.keys, err.problems, strict=True))
        return problems


def from_params(p) -> list[Event]:
    """The shocks switched on by the flat shock parameters."""
    events = []
    if p.unavailability_share > 0:
        events.append(
            Event(
                "unavailability",
                p.unavailability_start,
                p.unavailability_duration,
                p.unavailability_share,
            )
        )
    if p.budget_cut_share > 0:
        events.append(
            Event("budget_cut", p.budget_cut_start, p.budget_cut_duration, p.budget_cut_share)
        )
    if p.volunteer_call_size > 0:
        events.append(Event("volunteer_call", p.volunteer_call_start, 0, p.volunteer_call_size))
    if p.scandal:
        events.append(Event("scandal", p.scandal_start))
    if p.restructuring_knowledge_loss > 0:
        events.append(
            Event("restructuring", p.restructuring_start, 0, p.restructuring_knowledge_loss)
        )
    return events


def shock_active(state: State) -> bool:
    """True while any disruptive shock is running (provider resilience reference freezes)."""
    return bool(state.flows.shock_active)


def _start(ev: Event, key: int, state: State, rng: np.random.Generator) -> None:
    st, cit = state.staff, state.citizens
    memory = state.event_memory
    if ev.kind == "unavailability":
        pool = np.flatnonzero(st.available & st.employed)
        away = rng.choice(pool, round(ev.share * pool.size), replace=False)
        st.available[away] = False
        memory.staff_away[key] = away
    elif ev.kind == "budget_cut":
        before = state.budget_level
        state.budget_level *= 1.0 - ev.share
        # Paid posts go with the money (UK libraries: paid staff 31,977 -> 24,044 while
        # volunteers doubled, 000@136443-136480).
        pool = np.flatnonzero(st.employed)
        cut = rng.choice(pool, round(ev.share * pool.size), replace=False)
        st.employed[cut] = False
        memory.posts_cut[key] = (cut, ev.share, before)
    elif ev.kind == "volunteer_call":
        # Over-answered: everyone reached who is willing signs up (750,000 against 250,000
        # expected, 002@60710).
        free = ~cit.waiting & (cit.rest == 0)
        signs = free & (rng.random(cit.n) < ev.share * (0.5 + cit.willingness))
        cit.waiting |= signs
        state.totals.volunteers_signed_up += float(signs.sum())
    elif ev.kind == "scandal":
        dark_side.misconduct(state, forced=True, rng=rng)
    elif ev.kind == "restructuring":
        state.commissioners.knowledge *= 1.0 - ev.share
    elif ev.kind == "policy":
        _start_policy(state, key, ev.set)


def _apply_policy(state: State, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(state.policy, name, value)
    if "political_short_termism" in values:  # every councillor's horizon, not only newcomers
        state.politicians.horizon[:] = politician_horizon(state.policy)


def _start_policy(state: State, key: int, values: dict[str, Any]) -> None:
    """Apply a policy change, remembering the value it replaced (the base) and which
    running policy events hold each parameter, so that overlapping changes unwind cleanly."""
    holders = state.event_memory.policy_holders
    base = state.event_memory.policy_base
    for name in values:
        if not holders.get(name):
            base[name] = getattr(state.policy, name)
        holders.setdefault(name, []).append((key, values[name]))
    _apply_policy(state, values)


def _end_policy(state: State, key: int, values: dict[str, Any]) -> None:
    """Undo a policy change: the latest still-running change of a parameter takes over, or
    else the base value returns, unless something else (the Star) changed it meanwhile."""
    holders = state.event_memory.policy_holders
    base = state.event_memory.policy_base
    restore = {}
    for name, value in values.items():
        holders[name] = [h for h in holders[name] if h[0] != key]
        if holders[name]:
            restore[name] = holders[name][-1][1]
        else:
            if getattr(state.policy, name) == value:
                restore[name] = base[name]
            del base[name]
    _apply_policy(state, restore)


def _end(ev: Event, key: int, state: State) -> None:
    st = state.staff
    memory = state.event_memory
    if ev.kind == "policy":
        _end_policy(state, key, ev.set)
        return
    if ev.kind == "unavailability" and key in memory.staff_away:
        st.available[memory.staff_away.pop(key)] = True
    elif ev.kind == "budget_cut" and key in memory.posts_cut:
        cut, share, before = memory.posts_cut.pop(key)
        # Undo this cut's factor, so that overlapping cuts compose in any order.
        state.budget_level = before if share >= 1.0 else state.budget_level / (1.0 - share)
        st.employed[cut] = True


def step(state: State, events: list[Event], rng: np.random.Generator) -> None:
    """Fire the events that start or end this month."""
    month = state.month
    active = False
    for key, ev in enumerate(events):
        if ev.start == month:
            _start(ev, key, state, rng)
            state.events_log.append(f"month {month}: {ev.kind} starts")
        ends = ev.duration > 0 and ev.kind in ENDING
        if ends and ev.start + ev.duration == month:
            _end(ev, key, state)
            state.events_log.append(f"month {month}: {ev.kind} ends")
        disruptive = ev.kind in ("unavailability", "budget_cut")
        if (
            disruptive
            and ev.start <= month
            and (ev.duration == 0 or month < ev.start + ev.duration)
        ):
            active = True
    state.flows.shock_active = float(active)
