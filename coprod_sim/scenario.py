"""Scenarios: a named set of parameter values plus scheduled events, and their TOML files.

:class:`Scenario` is a :class:`mesa.experimental.scenarios.Scenario`, so the model passes it to
Mesa as Mesa 3.5 expects (``model.scenario``). Its parameters are validated against the one
schema in :mod:`coprod_sim.params` when it is created.

:func:`load` reads a scenario file (format in ``docs/scenarios.md``): metadata, a
``[parameters]`` table, ``[[shocks]]`` and ``[[policy_changes]]``, and ``extends`` to inherit
from another file. Every problem is reported at once as a :class:`ScenarioError` naming the
file, line, key, value and what is allowed. :func:`dumps` writes the resolved form: every
parameter, the seed, the events and the provenance, enough to reproduce a run bit for bit.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import platform
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w
from mesa.experimental.scenarios import Scenario as MesaScenario

from . import _data
from . import params as P
from ._version import __version__
from .submodels.events import ENDING, KINDS, Event, from_params

_META = ("name", "title", "description", "question", "sources", "replications")

MAX_REPLICATIONS = 10_000
MAX_SEED = 2**62  # leaves room for seed + replication below numpy's int64 limit
SHOCK_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != "policy")
TOP_LEVEL: tuple[str, ...] = (
    "title",
    "description",
    "question",
    "sources",
    "extends",
    "seed",
    "replications",
    "parameters",
    "shocks",
    "policy_changes",
    "provenance",
)
"""The keys a scenario file may have at its top level (``docs/scenarios.md``)."""
_SHOCK_KEYS = ("kind", "start", "duration", "end", "share", "note")
_POLICY_KEYS = ("start", "duration", "end", "set", "note")


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
        validated = P.validate(values, source=source)
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
        return {name: self.__dict__[name] for name in P.PARAMS_BY_NAME}

    def metadata(self) -> dict[str, Any]:
        """Name, title, description, question, sources and replications."""
        return {name: self.__dict__[name] for name in _META}

    def changed(self) -> dict[str, tuple[Any, Any]]:
        """The parameters that differ from the schema defaults: name -> (value, default)."""
        defaults = P.defaults()
        return {k: (v, defaults[k]) for k, v in self.parameters().items() if v != defaults[k]}

    def replace(self, *, rng: Any = None, **changes: Any) -> Scenario:
        """A copy with some parameters (or events, or metadata) changed."""
        values = {**self.parameters(), **self.metadata(), "events": self.events}
        values.update(changes)
        return Scenario(rng=self.rng if rng is None else rng, **values)


# ------------------------------------------------------------------------------ errors


class ScenarioError(P.ParameterError):
    """A scenario file (or document) is not valid. One line per problem, each naming the
    file, the line, the key, the value and what is allowed."""

    def __str__(self) -> str:
        source = self.source or "scenario"
        if len(self.problems) == 1:
            return f"{source}: {self.problems[0]}"
        return "\n  ".join([f"{source} has {len(self.problems)} problems:", *self.problems])


@dataclass
class _Locator:
    """Finds the line of a key in a TOML text (best effort: for messages only)."""

    text: str
    _lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self._lines = self.text.splitlines()

    def line(self, table: str | None, index: int | None, key: str | None) -> int | None:
        """1-based line of ``key`` in ``[table]`` (or the ``index``-th ``[[table]]``)."""
        header = re.compile(r"^\s*(\[\[?)\s*([\w.\"' -]+?)\s*\]\]?")
        current: tuple[str | None, int | None] = (None, None)
        counts: dict[str, int] = {}
        table_line = 0 if table is None else None  # the top level starts before line 1
        keyed = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") if key else None
        for number, text in enumerate(self._lines, start=1):
            m = header.match(text)
            if m:
                name = m.group(2).replace('"', "").replace("'", "").replace(" ", "")
                if m.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                base = name.split(".")[0]
                current = (name, counts.get(base) if base in counts else None)
                if self._wanted(current, table, index):
                    table_line = table_line or number
                continue
            in_table = self._wanted(current, table, index) or (
                table is not None
                and current[0] == f"{table}.set"
                and (index is None or current[1] == index)
            )
            if keyed and in_table and keyed.match(text):
                return number
            if keyed and table and current[0] is None:  # dotted: parameters.x = 1
                dotted = re.compile(rf"^\s*{re.escape(table)}\.{re.escape(key)}\s*=")
                if index is None and dotted.match(text):
                    return number
        if table_line is None:
            return None
        # An inline table or a dotted key (set = { x = 1 }, set.x = 1): the first line of the
        # table that mentions the key, else the table's header.
        if key:
            for number in range(table_line + 1, len(self._lines) + 1):
                text = self._lines[number - 1]
                if header.match(text):
                    break
                if re.search(rf"(^|[\s{{.,])[\"']?{re.escape(key)}[\"']?\s*=", text):
                    return number
        return table_line

    @staticmethod
    def _wanted(current: tuple[str | None, int | None], table: str | None, index: int | None):
        name, at = current
        return name == table and (index is None or at == index)


class Problems:
    """Collects the problems of one file, each with its line."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.locate = _Locator(text)
        self.items: list[tuple[float, str]] = []

    def add(
        self, message: str, table: str | None = None, index: int | None = None, key=None
    ) -> None:
        line = self.locate.line(table, index, key)
        where = f"line {line}" if line else "(line unknown)"
        if table is not None:
            where += f", [[{table}]] #{index + 1}" if index is not None else f", [{table}]"
        self.items.append((line or math.inf, f"{where}: {message}"))

    def check(self) -> None:
        if self.items:
            ordered = sorted(self.items, key=lambda item: item[0])  # stable: by line
            raise ScenarioError([text for _, text in ordered], self.source)


# ------------------------------------------------------------------------------ presets


def presets_dir() -> Path:
    """Where the preset scenarios live: ``$COPROD_SCENARIOS``, else the package's own
    ``coprod_sim/scenarios/`` (package data, so an installed wheel has them too)."""
    env = os.environ.get("COPROD_SCENARIOS")
    return Path(env) if env else _data.folder(_data.SCENARIOS)


def presets() -> dict[str, Path]:
    """The preset scenario files by name (``baseline``, ``pandemic``, ...)."""
    folder = presets_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml")) if p.is_file()}


def find(ref: str | os.PathLike, relative_to: Path | None = None) -> Path:
    """The file a scenario reference names: a path, a path relative to ``relative_to``, or
    a preset name (``pandemic`` or ``pandemic.toml``)."""
    path = Path(ref)
    # extends paths are relative to the extending file, never to the working folder.
    candidates = [path if relative_to is None or path.is_absolute() else relative_to / path]
    stem = path.name.removesuffix(".toml")
    known = presets()
    if len(path.parts) == 1 and stem in known:
        candidates.append(known[stem])
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if candidates[0].is_dir():
        raise ScenarioError(["is a folder; allowed: a .toml scenario file"], str(ref))
    close = difflib.get_close_matches(stem, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    names = ", ".join(known) or "(none found)"
    looked = f" (looked in {relative_to})" if relative_to else ""
    raise ScenarioError(
        [
            f"file not found{looked}{hint}; allowed: a path to a .toml file or a preset "
            f"name: {names}"
        ],
        str(ref),
    )


# ------------------------------------------------------------------------------ loading


@dataclass
class _Spec:
    """One file's contents merged with its parents', before the final validation."""

    file: str = "scenario"  # the file read last (the child), for messages
    meta: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # parameter -> "file, line N"
    shocks: list[Event] = field(default_factory=list)
    policy: list[Event] = field(default_factory=list)
    where: dict[int, str] = field(default_factory=dict)  # id(event) -> "file, line N, ..."


def load(
    ref: str | os.PathLike,
    *,
    overrides: Mapping[str, Any] | None = None,
    seed: int | None = None,
    replications: int | None = None,
) -> Scenario:
    """Read a scenario file (a path or a preset name) into a validated :class:`Scenario`.

    ``overrides`` (from ``--set`` or ``--steps``) replace parameter values after the file's;
    ``seed`` and ``replications`` replace the file's. Raises :class:`ScenarioError`.
    """
    path = find(ref)
    spec = _read(path, chain=())
    return _finish(spec, path.stem, overrides, seed, replications)


def loads(text: str, source: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Like :func:`load`, from the text of a scenario file."""
    spec = _parse(text, source, base_dir or Path.cwd(), chain=())
    return _finish(spec, Path(source).stem, None, None, None)


def _read(path: Path, chain: tuple[Path, ...]) -> _Spec:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise ScenarioError(
            [f"key 'extends': an extends cycle: {cycle}; allowed: a chain without repeats"],
            str(chain[-1]),
        )
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is harmless
    except UnicodeDecodeError as err:
        raise ScenarioError(
            [f"byte {err.start} is not UTF-8 text; allowed: a TOML file saved as UTF-8"], str(path)
        ) from None
    except OSError as err:
        raise ScenarioError([f"cannot read the file ({err.strerror})"], str(path)) from None
    return _parse(text, str(path), path.parent, (*chain, resolved))


def _parse(text: str, source: str, base_dir: Path, chain: tuple[Path, ...]) -> _Spec:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError([f"TOML syntax error: {err}"], source) from None
    problems = Problems(source, text)
    spec = _Spec()
    if isinstance(doc.get("extends"), str):
        try:
            spec = _read(find(doc["extends"], base_dir), chain)
        except ScenarioError as err:
            if err.source != doc["extends"]:  # a problem inside the parent: it names itself
                raise ScenarioError(
                    [f"in the file it extends, {err.source}: {p}" for p in err.problems], source
                ) from None
            problems.add(
                f"key 'extends': value {doc['extends']!r}: {err.problems[0]}", key="extends"
            )
        spec.meta.pop("label", None)  # a parent's run label is not the child's
    _top_level(doc, spec, problems)
    label = _run_label(doc, source)
    if label:
        spec.meta["label"] = label
    params = doc.get("parameters", {})
    if isinstance(params, dict):
        _parameters(params, spec, problems, source)
    for where, events in (("shocks", spec.shocks), ("policy_changes", spec.policy)):
        for i, table in enumerate(_tables(doc, where, problems)):
            event = _event(table, i, where, problems)
            if event is not None:
                line = problems.locate.line(where, i, "start")
                spec.where[id(event)] = f"{source}, line {line}, [[{where}]] #{i + 1}"
                events.append(event)
    spec.file = source
    problems.check()
    return spec


_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def _run_label(doc: dict[str, Any], source: str) -> str | None:
    """The run label a resolved file keeps (``[provenance] label``), so that rerunning it
    labels the rows as before. Only files named ``*.resolved.toml`` keep it (a copy renamed
    as a new scenario takes its own name), and only a plain name (no path)."""
    provenance = doc.get("provenance")
    if not source.endswith(".resolved.toml") or not isinstance(provenance, dict):
        return None
    label = provenance.get("label")
    return label if isinstance(label, str) and _LABEL.fullmatch(label) else None


def _type_name(value: Any) -> str:
    return {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _top_level(doc: dict[str, Any], spec: _Spec, problems: Problems) -> None:
    for key in doc:
        if key not in TOP_LEVEL:
            if key in P.PARAMS_BY_NAME:
                hint = "; parameters go in the [parameters] table"
            else:
                close = difflib.get_close_matches(key, TOP_LEVEL, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.add(
                f"unknown top-level key {key!r}{hint}; allowed: {', '.join(TOP_LEVEL)}",
                key=key,
            )
    for key in ("title", "description", "question", "extends"):
        if key in doc and not isinstance(doc[key], str):
            problems.add(
                f"key {key!r}: value {doc[key]!r} is {_type_name(doc[key])}; allowed: a string",
                key=key,
            )
        elif key in doc and key != "extends":
            spec.meta[key] = doc[key]
    if "sources" in doc:
        sources = doc["sources"]
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            problems.add(
                f"key 'sources': value {sources!r}; allowed: an array of strings "
                'such as "000@14357: quote or note"',
                key="sources",
            )
        else:
            spec.sources.extend(s for s in sources if s not in spec.sources)
    for key in RUN_SETTINGS:
        if key in doc:
            message = run_setting_problem(key, doc[key])
            if message:
                problems.add(message, key=key)
            else:
                spec.meta[key] = doc[key]
    for key in ("parameters", "provenance"):
        if key in doc and not isinstance(doc[key], dict):
            problems.add(
                f"key {key!r}: value is {_type_name(doc[key])}; allowed: a table [{key}]",
                key=key,
            )


RUN_SETTINGS: dict[str, tuple[int, int]] = {
    "seed": (0, MAX_SEED),
    "replications": (1, MAX_REPLICATIONS),
}
"""Run settings a file (or the command line) may give, with their allowed ranges."""


def run_setting_problem(key: str, value: Any) -> str | None:
    """The message for a bad ``seed`` or ``replications``, or None if it is fine."""
    low, high = RUN_SETTINGS[key]
    if _integer(value) and low <= value <= high:
        return None
    return f"key {key!r}: value {value!r} is not allowed; allowed: an integer in [{low}, {high}]"


def _parameters(params: dict[str, Any], spec: _Spec, problems: Problems, source: str) -> None:
    for key, value in params.items():
        spec.parameters[key] = value
        spec.origin[key] = f"{source}, line {problems.locate.line('parameters', None, key)}"
    try:
        P.validate(params)
    except P.ParameterError as err:
        for key, message in zip(err.keys, err.problems, strict=True):
            # Checks across keys (age shares adding up) wait for the merged values.
            if key is not None:
                problems.add(message, "parameters", None, key)


def _tables(doc: dict[str, Any], key: str, problems: Problems) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        problems.add(
            f"key {key!r}: value {value!r}; allowed: an array of tables, written [[{key}]]",
            key=key,
        )
        return []
    return value


def _event(table: dict[str, Any], i: int, where: str, problems: Problems) -> Event | None:
    """One [[shocks]] or [[policy_changes]] table as an :class:`Event` (None if bad).

    The table's own structure is checked here (keys, kind, duration or end, a share where
    one is needed); the values are checked by :class:`Event`, and all problems are reported.
    """
    allowed = _SHOCK_KEYS if where == "shocks" else _POLICY_KEYS
    before = len(problems.items)

    def bad(key: str, message: str) -> None:
        problems.add(message, where, i, key)

    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            bad(key, f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}")
    kind = table.get("kind", "policy") if where == "shocks" else "policy"
    if where == "shocks" and kind not in SHOCK_KINDS:
        bad(
            "kind",
            f"key 'kind': value {kind!r} is not allowed; allowed: one of "
            + ", ".join(repr(k) for k in SHOCK_KINDS)
            + " (policy changes go in [[policy_changes]])",
        )
        kind = "scandal"  # go on checking the other keys
    start = table.get("start", 1)
    if "start" not in table:
        bad("start", "key 'start' is missing; allowed: an integer month >= 1")
    duration = _duration(table, start, bad)
    share = table.get("share", 0.0)
    if where == "shocks" and kind != "scandal" and "share" not in table:
        bad("share", f"key 'share' is missing; allowed: a number in [0, 1] ({_SHARE[kind]})")
    elif kind == "scandal" and "share" in table and table.get("kind") == "scandal":
        bad("share", f"key 'share': value {share!r}; a scandal has no share; allowed: leave it out")
        share = 0.0
    values = table.get("set", {})
    if where == "policy_changes" and (not isinstance(values, dict) or not values):
        bad("set", f"key 'set': value {values!r}; allowed: a table of parameter values")
        values = {}
    try:
        event = Event(kind, start, duration, share, dict(values), table.get("note", ""))
    except P.ParameterError as err:
        for key, message in zip(err.keys, err.problems, strict=True):
            bad(key or "set", message)
        return None
    if len(problems.items) > before:
        return None
    return replace(event, share=float(event.share))


_SHARE = {
    "unavailability": "the share of staff away",
    "budget_cut": "the share of the budget cut",
    "volunteer_call": "the share of citizens the call reaches",
    "restructuring": "the share of commissioning knowledge lost",
}


_integer = P.is_integer
_number = P.is_number


def _duration(table: dict[str, Any], start: Any, bad) -> Any:
    """``duration``, or ``end - start`` (0 = permanent); :class:`Event` checks the value."""
    if "duration" in table and "end" in table:
        bad("end", "keys 'duration' and 'end' are both given; allowed: one of them")
        return 0
    if "end" not in table:
        return table.get("duration", 0)
    end = table["end"]
    if not _integer(end) or not _integer(start) or end <= start:
        bad("end", f"key 'end': value {end!r} is not allowed; allowed: an integer > start")
        return 0
    return end - start


def _finish(
    spec: _Spec,
    name: str,
    overrides: Mapping[str, Any] | None,
    seed: int | None,
    replications: int | None,
) -> Scenario:
    """Validate the merged spec (and command-line overrides) into a :class:`Scenario`."""
    problems = [
        f"the command line: {message}"
        for key, value in (("seed", seed), ("replications", replications))
        if value is not None and (message := run_setting_problem(key, value))
    ]
    if problems:
        raise ScenarioError(problems, spec.file)
    for key in overrides or {}:
        spec.origin[key] = "the command line (--set/--steps)"
    values = {**spec.parameters, **(overrides or {})}
    try:
        params = P.validate(values)
    except P.ParameterError as err:  # --set values, and checks across keys (age shares)
        raise ScenarioError(
            [
                _located(spec, key, message)
                for key, message in zip(err.keys, err.problems, strict=True)
            ],
            spec.file,
        ) from None
    _check_horizon(spec, params, overrides or {})
    meta = {**spec.meta}
    return Scenario(
        rng=seed if seed is not None else meta.pop("seed", 1),
        events=[*spec.shocks, *spec.policy],
        name=meta.get("label", name),
        title=meta.get("title", ""),
        description=meta.get("description", ""),
        question=meta.get("question", ""),
        sources=spec.sources,
        replications=replications if replications is not None else meta.get("replications", 1),
        **params.model_dump(),
    )


def _located(spec: _Spec, key: str | None, message: str) -> str:
    """A problem of the merged values, naming where its value was set."""
    if key is not None:
        return f"{_here(spec, spec.origin.get(key, 'the command line (--set/--steps)'))}: {message}"
    # A check across keys: name where each of the keys involved was set.
    involved = [k for k in spec.origin if k in message]
    where = "; ".join(f"{k} from {spec.origin[k]}" for k in involved)
    return f"[parameters] ({where}): {message}" if where else f"[parameters]: {message}"


def _here(spec: _Spec, where: str) -> str:
    """``where`` without the file name when it is the file being loaded (named once)."""
    return where.removeprefix(f"{spec.file}, ")


def _check_horizon(spec: _Spec, params: P.Params, overrides: Mapping[str, Any]) -> None:
    """Shocks and policy changes must start within the run (``steps``)."""
    steps = params.steps
    where = f"steps = {steps} from {_here(spec, spec.origin.get('steps', 'the defaults'))}"
    allowed = f"allowed: a month in [1, {steps}] ({where})"
    lines = [
        f"{_here(spec, spec.where.get(id(ev), ev.kind))}: key 'start': value {ev.start} "
        f"is after the horizon; {allowed}"
        for ev in (*spec.shocks, *spec.policy)
        if ev.start > steps
    ]
    for ev in from_params(params):
        if ev.start > steps:
            key = f"{ev.kind}_start"  # the flat parameter that set it
            lines.append(
                f"{_here(spec, spec.origin.get(key, 'the defaults'))}: key {key!r}: value "
                f"{ev.start} starts a {ev.kind} shock after the horizon; {allowed}"
            )
    if lines:
        raise ScenarioError(lines, spec.file)


# ------------------------------------------------------------------------------ writing


def document(scenario: Scenario, *, command: str = "", origin: str = "") -> dict[str, Any]:
    """The resolved scenario as a TOML-ready document: every parameter, the seed, the
    events and the provenance (package version, Python, time, command)."""
    import mesa
    import numpy as np

    doc: dict[str, Any] = {
        "title": scenario.title,
        "description": scenario.description,
        "question": scenario.question,
        "sources": list(scenario.sources),
        "seed": int(scenario.rng),
        "replications": int(scenario.replications),
        "parameters": scenario.parameters(),
    }
    shocks, policy = [], []
    for ev in scenario.events:
        table: dict[str, Any] = {"start": ev.start}
        if ev.kind in ENDING:
            table["duration"] = ev.duration
        if ev.note:
            table["note"] = ev.note
        if ev.kind == "policy":
            table["set"] = dict(ev.set)
            policy.append(table)
        else:
            if ev.kind != "scandal":
                table["share"] = ev.share
            shocks.append({"kind": ev.kind, **table})
    if shocks:
        doc["shocks"] = shocks
    if policy:
        doc["policy_changes"] = policy
    doc["provenance"] = {
        "package": "coprod-sim",
        "version": __version__,
        "label": scenario.name,
        "scenario": origin or scenario.name,
        "command": command,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
    }
    return doc


def dumps(scenario: Scenario, *, command: str = "", origin: str = "") -> str:
    """The resolved scenario as TOML text (see :func:`document`)."""
    head = (
        f"# Resolved scenario written by coprod-sim {__version__}: every parameter, the seed\n"
        "# and the events, enough to reproduce the run bit for bit with `coprod run FILE`.\n\n"
    )
    return head + tomli_w.dumps(document(scenario, command=command, origin=origin))
