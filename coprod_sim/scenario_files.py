"""Scenario files: reading, checking and writing the TOML form of a :class:`Scenario`.

The value itself is :class:`coprod_sim.scenario.Scenario`; this module is everything about
files, kept apart so that the model (which takes a value) does not import TOML loading.

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
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from . import _data
from ._version import __version__
from .params import (
    PARAMS_BY_NAME,
    ParameterError,
    Params,
    control_character,
    is_integer,
    validate,
)
from .scenario import Scenario
from .submodels.events import ENDING, KINDS, MAX_EVENTS, Event, from_params

MAX_FILE_BYTES = 256 * 1024
"""Largest scenario or experiment file read, from a path or a dashboard upload. A preset is
about 2 KB, so this leaves room for long descriptions and :data:`MAX_EVENTS` events, while a
mistaken 50 MB file (a log, a data set) is refused before it is read whole."""
MAX_EXTENDS_DEPTH = 64
"""Most files in one ``extends`` chain. The presets use chains of one or two; 64 keeps far
from Python's recursion limit (each file costs a few frames) and above the 50 known to work."""
MAX_NESTING = 3
"""Deepest nesting of tables and arrays a scenario file can use: ``[[policy_changes]]`` is an
array (1) of tables (2) whose ``set`` is a table (3) of plain values. Anything deeper is a
mistake, and refusing it early also keeps every later step (and its messages) off deep data."""
MAX_TABLE_KEYS = 1_000
"""Most keys in one table of a scenario file. ``[parameters]`` holds at most one key per
parameter (about 100) and an event six; a table of thousands of keys is a wrong or hostile
file, refused before each key is checked (and suggested a spelling) one by one."""
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


# ------------------------------------------------------------------------------ errors


class ScenarioError(ParameterError):
    """A scenario file (or document) is not valid. One line per problem, each naming the
    file, the line, the key, the value and what is allowed."""

    more: int = 0
    """Problems found beyond :data:`MAX_PROBLEMS`: counted, named only by the closing line."""

    def __str__(self) -> str:
        source = self.source or "scenario"
        if len(self.problems) == 1:
            return f"{source}: {self.problems[0]}"
        total = len(self.problems) - (1 if self.more else 0) + self.more
        return "\n  ".join([f"{source} has {total:,} problems:", *self.problems])


@dataclass
class _Locator:
    """Finds the line of a key in a TOML text (best effort: for messages only).

    The text is read once into indexes (the first line of each key in each table, of each
    table header, and of each ``key =`` anywhere in a table's lines), so that each look-up
    costs a few dict reads: a file with thousands of problems must not be scanned once per
    problem (that made a 256 KB upload take minutes to refuse)."""

    text: str
    _keys: dict[tuple[str | None, int | None, str], int] = field(init=False)
    _headers: dict[tuple[str, int | None], int] = field(init=False)
    _inline: dict[tuple[int, str], int] = field(init=False)
    _tables: list[tuple[str | None, int | None]] = field(init=False)  # each line's table

    def __post_init__(self) -> None:
        self._keys, self._headers, self._inline, self._tables = {}, {}, {}, []
        current: tuple[str | None, int | None] = (None, None)
        counts: dict[str, int] = {}
        region = 0  # the line of the header the current lines belong to (0: the top level)
        for number, text in enumerate(self.text.splitlines(), start=1):
            self._tables.append(current)
            m = _HEADER.match(text)
            if m:
                name = m.group(2).replace('"', "").replace("'", "").replace(" ", "")
                if m.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                base = name.split(".")[0]
                current = (name, counts.get(base) if base in counts else None)
                region = number
                for at in {current[1], None}:
                    self._headers.setdefault((name, at), number)
                # [parameters.x] sets key x of [parameters]: its line, not [parameters]'s.
                parts = name.split(".")
                for cut in range(1, len(parts)):
                    self._set(".".join(parts[:cut]), current[1], ".".join(parts[cut:]), number)
                continue
            if m := _LEADING_KEY.match(text):
                key = m.group(1).replace('"', "").replace("'", "")
                # steps.a = 1 sets key steps (to a table), and steps.a
                parts = key.split(".")
                for cut in range(1, len(parts) + 1):
                    self._set(current[0], current[1], ".".join(parts[:cut]), number)
            for m in _ANY_KEY.finditer(text):
                self._inline.setdefault((region, m.group(1)), number)

    def _set(self, table: str | None, at: int | None, key: str, number: int) -> None:
        """Record the first line of ``key`` in ``table`` (also for any index: at None)."""
        for index in {at, None}:
            self._keys.setdefault((table, index, key), number)

    def line(self, table: str | None, index: int | None, key: str | None) -> int | None:
        """1-based line of ``key`` in ``[table]`` (or the ``index``-th ``[[table]]``)."""
        if table is None:
            table_line: int | None = 0  # the top level starts before line 1
        else:
            table_line = self._headers.get((table, index))
        if key:
            found = [
                self._keys.get((table, index, key)),
                # a policy change's values, written [policy_changes.set]
                None if table is None else self._keys.get((f"{table}.set", index, key)),
                # dotted, at the top: parameters.x = 1
                None
                if table is None or index is not None
                else self._keys.get((None, None, f"{table}.{key}")),
                # a table written as a header at the top level: [shocks] for key 'shocks'
                self._headers.get((key, None)) if table is None else None,
            ]
            if lines := [n for n in found if n is not None]:
                return min(lines)
        if table_line is None:
            return None
        # An inline table or a dotted key (set = { x = 1 }, set.x = 1): the first line of the
        # table that mentions the key, else the table's header.
        if key and (number := self._inline.get((table_line, key))) is not None:
            return number
        return table_line

    def first(self, line: int, key: str) -> int | None:
        """The first line that sets ``key`` in the table that ``line`` belongs to (a header
        line: the first header of that table)."""
        if not 1 <= line <= len(self._tables):
            return None
        table, at = self._tables[line - 1]
        return self._keys.get((table, at, key))

    def header(self, name: str) -> int | None:
        """The first line of the table header ``[name]`` (or ``[[name]]``)."""
        return self._headers.get((name, None))


_HEADER = re.compile(r"^\s*(\[\[?)\s*([\w.\"' -]+?)\s*\]\]?")
_LEADING_KEY = re.compile(r"^\s*([\w\"'.-]+?)\s*=")
_ANY_KEY = re.compile(r"(?:^|[\s{.,])[\"']?([\w-]+)[\"']?\s*=")


MAX_PROBLEMS = 50
"""Most problems listed for one file; the rest are counted ("and N more problems"). A file
with thousands of mistakes is the wrong file, and listing them all would cost seconds."""


class Problems:
    """Collects the problems of one file, each with its line, up to :data:`MAX_PROBLEMS`."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.locate = _Locator(text)
        self.items: list[tuple[float, str]] = []
        self.more = 0  # problems found after the cap: counted, not located or listed

    def add(
        self, message: str, table: str | None = None, index: int | None = None, key=None
    ) -> None:
        if self.full:
            self.more += 1
            return
        line = self.locate.line(table, index, key)
        where = f"line {line}" if line else "(line unknown)"
        if table is not None:
            where += f", [[{table}]] #{index + 1}" if index is not None else f", [{table}]"
        self.items.append((line or math.inf, f"{where}: {message}"))

    @property
    def full(self) -> bool:
        """Whether the cap is reached: callers may skip work whose problems would not show."""
        return len(self.items) >= MAX_PROBLEMS

    def check(self) -> None:
        if self.items:
            ordered = sorted(self.items, key=lambda item: item[0])  # stable: by line
            error = ScenarioError(
                [text for _, text in ordered] + more_problems(self.more), self.source
            )
            error.more = self.more
            raise error


def more_problems(count: int) -> list[str]:
    """The closing line of a list cut at :data:`MAX_PROBLEMS` (none if nothing was cut)."""
    return [f"and {count:,} more problems (fix these first)"] if count else []


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


def find(ref: str | os.PathLike, relative_to: str | os.PathLike | None = None) -> Path:
    """The file a scenario reference names: a path, a path relative to ``relative_to``, or
    a preset name (``pandemic`` or ``pandemic.toml``)."""
    path = Path(ref)
    relative_to = None if relative_to is None else Path(relative_to)
    # extends paths are relative to the extending file, never to the working folder.
    candidates = [path if relative_to is None or path.is_absolute() else relative_to / path]
    stem = path.name.removesuffix(".toml")
    known = presets()
    if len(path.parts) == 1 and stem in known:
        candidates.append(known[stem])
    for candidate in candidates:
        # A FIFO or a device exists but is no file: found here, refused by read_text.
        if candidate.exists() and not candidate.is_dir():
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


def loads(
    text: str, source: str = "<string>", base_dir: str | os.PathLike | None = None
) -> Scenario:
    """Like :func:`load`, from the text of a scenario file."""
    spec = _parse(text, source, Path(base_dir or Path.cwd()), chain=())
    return _finish(spec, Path(source).stem, None, None, None)


class ExtendsChainError(ScenarioError):
    """An ``extends`` chain that repeats a file or is too long. It names the whole chain, so
    it is passed up unchanged (not wrapped once per file of the chain)."""


def _chain_text(files: tuple[Path, ...]) -> str:
    """``a -> b -> ... -> z``, eliding the middle of a long chain."""
    names = [str(p) for p in files]
    if len(names) > 6:
        names = [*names[:3], f"... ({len(names) - 6} more)", *names[-3:]]
    return " -> ".join(names)


def _read(path: Path, chain: tuple[Path, ...]) -> _Spec:
    resolved = path.resolve()
    if resolved in chain:
        raise ExtendsChainError(
            [
                f"key 'extends': an extends cycle: {_chain_text((*chain, resolved))}; "
                "allowed: a chain without repeats"
            ],
            str(chain[0]),
        )
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ExtendsChainError(
            [
                f"key 'extends': the extends chain is more than {MAX_EXTENDS_DEPTH} files deep: "
                f"{_chain_text((*chain, resolved))}; allowed: at most {MAX_EXTENDS_DEPTH} files "
                "in a chain"
            ],
            str(chain[0]),
        )
    text = read_text(path)
    return _parse(text, str(path), path.parent, (*chain, resolved))


def read_text(path: str | os.PathLike) -> str:
    """The text of a scenario (or experiment) file: a regular UTF-8 file of at most
    :data:`MAX_FILE_BYTES`. Raises :class:`ScenarioError` naming the file otherwise."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ScenarioError(
                    ["is not a regular file (a pipe, device or socket); allowed: a .toml file"],
                    str(path),
                )
            data = handle.read(MAX_FILE_BYTES + 1)  # never more, however large the file
    except OSError as err:
        raise ScenarioError([f"cannot read the file ({err.strerror})"], str(path)) from None
    return decode(data, str(path))


def decode(data: bytes, source: str) -> str:
    """The text of a scenario or experiment file's bytes, read from a path or uploaded to the
    dashboard: at most :data:`MAX_FILE_BYTES`, UTF-8 with or without a byte-order mark.
    Anything else is refused naming ``source``, so that one file gets one verdict in the
    CLI and the dashboard (a browser would have decoded a UTF-16 file silently)."""
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            [
                f"the file is larger than {MAX_FILE_BYTES:,} bytes; allowed: at most "
                f"{MAX_FILE_BYTES:,} bytes (a scenario file is a few KB)"
            ],
            source,
        )
    try:
        return data.decode("utf-8-sig")  # a byte-order mark is harmless
    except UnicodeDecodeError as err:
        encoding = _other_encoding(data)
        looks = (
            f"it looks like {encoding}"
            if encoding
            else f"byte {err.start} is 0x{data[err.start]:02x}"
        )
        raise ScenarioError(
            [f"the file is not UTF-8 text ({looks}); allowed: a TOML file, save it as UTF-8"],
            source,
        ) from None


def _other_encoding(data: bytes) -> str | None:
    """``UTF-16`` or ``UTF-32`` when ``data`` starts with their byte-order mark or has the
    zero bytes of their ASCII text (what Windows editors save as "Unicode"), else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:200]
    if len(head) >= 4 and head.count(0) * 3 >= len(head):  # every other byte zero
        return "UTF-16"
    return None


def parse_toml(text: str, source: str, max_nesting: int = MAX_NESTING) -> dict[str, Any]:
    """The TOML document in ``text``, refusing syntax errors and nesting deeper than
    ``max_nesting`` tables and arrays with a :class:`ScenarioError` (never a traceback)."""
    if (long_key := _long_dotted_key(text)) is not None:
        line, key, parts = long_key
        raise ScenarioError(
            [
                f"line {line}: key {key!r} has {parts:,} dotted parts; allowed: at most "
                f"{max_nesting} levels of tables and arrays"
            ],
            source,
        )
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError([_syntax_message(str(err), text)], source) from None
    except RecursionError:  # tomllib recurses once per level of inline arrays and tables
        raise ScenarioError(
            [
                "inline tables or arrays are nested too deeply to read; allowed: at most "
                f"{max_nesting} levels of tables and arrays"
            ],
            source,
        ) from None
    deep = too_deep(doc, max_nesting)
    if deep is not None:
        raise ScenarioError(
            [
                f"key {deep!r}: tables or arrays nested more than {max_nesting} levels deep; "
                f"allowed: at most {max_nesting} levels (such as [[policy_changes]] with set)"
            ],
            source,
        )
    wide = too_wide(doc, MAX_TABLE_KEYS)
    if wide is not None:
        table, count = wide
        raise ScenarioError(
            [
                f"{table} has {count:,} keys; allowed: at most {MAX_TABLE_KEYS:,} keys in a "
                f"table (there are {len(PARAMS_BY_NAME)} parameters)"
            ],
            source,
        )
    return doc


MAX_KEY_PARTS = 16
"""Most parts of one dotted key or table header (``a.b.c``) read. Far above any nesting a
file may use, and far below what makes the TOML reader slow: it takes time quadratic in the
parts of a key (10,000 parts: 1.5 s; a 256 KB file of them: minutes)."""
# Possessive parts, and a chain starts only where a bare word does: a long run of letters
# must not be tried again from each of its letters (that made the check itself quadratic).
_KEY_PART = r"""(?:[\w-]++|"[^"\n]*+"|'[^'\n]*+')"""
_DOTTED = re.compile(rf"(?<![\w-]){_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART}){{{MAX_KEY_PARTS},}}")
_KEY_END = re.compile(r"[ \t]*[=\]]")


def _long_dotted_key(text: str) -> tuple[int, str, int] | None:
    """The line, start and part count of the first dotted key or header of more than
    :data:`MAX_KEY_PARTS` parts, or None: checked before the TOML reader sees the text. A
    long chain not followed by ``=`` or ``]`` is text inside a string, and left alone. One
    pass (each search starts after the last chain), so the check itself stays linear."""
    for chain in _DOTTED.finditer(text):
        if _KEY_END.match(text, chain.end()):
            key = chain.group()
            line = text.count("\n", 0, chain.start()) + 1
            parts = len(re.findall(rf"{_KEY_PART}", key))
            return line, (key[:40] + "...") if len(key) > 40 else key, parts
    return None


_AT = re.compile(r"\(at line (\d+), column (\d+)\)$")
_ASSIGNED = re.compile(r"(?:^|(?<=[\s{,]))([\w\"'.-]+)\s*=")


def _syntax_message(message: str, text: str) -> str:
    """tomllib's message, naming the key or table when it is one given twice: tomllib says
    only "Cannot overwrite a value (at line 3, column 10)", which leaves the user to guess."""
    at = _AT.search(message)
    if at is None or not message.startswith(("Cannot overwrite", "Cannot declare")):
        return f"TOML syntax error: {message}"
    line, column = int(at.group(1)), int(at.group(2))
    source_line = text.splitlines()[line - 1] if line <= len(text.splitlines()) else ""
    locate = _Locator(text)
    header = _HEADER.match(source_line)
    if header:
        name = header.group(2).replace('"', "").replace("'", "").replace(" ", "")
        first = locate.header(name)
        return (
            f"line {line}: TOML syntax error: table [{name}] is declared twice (first at line "
            f"{first}); allowed: each table once, with all its keys under one header"
        )
    keys = _ASSIGNED.findall(source_line[:column])  # the key just read, before the column
    if not keys:
        return f"TOML syntax error: {message}"
    key = keys[-1].replace('"', "").replace("'", "")
    first = locate.first(line, key)
    earlier = f" (first at line {first})" if first and first != line else ""
    return (
        f"line {line}: TOML syntax error: key {key!r} is given twice in the same table"
        f"{earlier}; allowed: each key once per table"
    )


def too_wide(doc: dict[str, Any], max_keys: int) -> tuple[str, int] | None:
    """The first table (``the top level``, ``[parameters]``, ``[[shocks]] #3``...) with more
    than ``max_keys`` keys and its count, or None. Called once the nesting is known to be
    shallow, so it walks every table without recursion worries."""
    # (value, dotted name, the number in its array of tables, or None)
    stack: list[tuple[Any, str, int | None]] = [(doc, "", None)]
    while stack:
        value, name, number = stack.pop()
        if isinstance(value, dict):
            if len(value) > max_keys:
                where = f"[[{name}]] #{number}" if number else f"[{name}]"
                return (where if name else "the top level"), len(value)
            for key, child in value.items():
                stack.append((child, f"{name}.{key}" if name else str(key), number))
        elif isinstance(value, list):
            stack.extend((child, name, i + 1) for i, child in enumerate(value))
    return None


def too_deep(doc: dict[str, Any], max_nesting: int) -> str | None:
    """The dotted key of the first value nested deeper than ``max_nesting`` tables and arrays
    below the top level, or None. Iterative: the data may be too deep for recursion."""
    stack: list[tuple[Any, int, str]] = [(value, 1, str(key)) for key, value in doc.items()]
    while stack:
        value, depth, key = stack.pop()
        children = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, list)
            else ()
        )
        for name, child in children:
            if not isinstance(child, dict | list):
                continue
            where = f"{key}[{name}]" if isinstance(value, list) else f"{key}.{name}"
            if depth + 1 > max_nesting:
                return where
            stack.append((child, depth + 1, where))
    return None


def _parse(text: str, source: str, base_dir: Path, chain: tuple[Path, ...]) -> _Spec:
    doc = parse_toml(text, source)
    problems = Problems(source, text)
    spec = _Spec()
    parent = doc.get("extends")
    # A path with a control character (a NUL would make the file system raise) is not
    # followed; _top_level reports it.
    if isinstance(parent, str) and not parent.strip():
        # An empty path is the folder the file is in: say what extends must name instead.
        problems.add(
            f"key 'extends': value {parent!r}; allowed: extends must name a scenario file or "
            f"a preset ({', '.join(presets()) or 'none found'})",
            key="extends",
        )
    elif isinstance(parent, str) and control_character(parent) is None:
        try:
            spec = _read(find(doc["extends"], base_dir), chain)
        except ExtendsChainError:
            raise
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
    _check_event_count(doc, spec, problems)
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


def _check_event_count(doc: dict[str, Any], spec: _Spec, problems: Problems) -> None:
    """Refuse more than :data:`MAX_EVENTS` events (this file's and its parents'), before
    reading them: each costs a scan of the file for its line."""
    own = {k: len(v) for k in ("shocks", "policy_changes") if isinstance(v := doc.get(k), list)}
    inherited = len(spec.shocks) + len(spec.policy)
    total = sum(own.values()) + inherited
    if total <= MAX_EVENTS:
        return
    counts = ", ".join(f"{n} [[{k}]]" for k, n in own.items())
    if inherited:
        counts += f", {inherited} from the files it extends"
    problems.add(
        f"{total} events ({counts}); allowed: at most {MAX_EVENTS} shocks and policy changes "
        "in all",
        key=next(iter(own), None),
    )
    problems.check()  # stop here: reading the events one by one is what costs the time


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
            if key in PARAMS_BY_NAME:
                hint = "; parameters go in the [parameters] table"
            else:
                hint = _did_you_mean(key, TOP_LEVEL, problems)
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
        elif key in doc and (message := _control_problem(key, doc[key])):
            problems.add(message, key=key)
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
        elif bad := [m for s in sources if (m := _control_problem("sources", s))]:
            problems.add(bad[0], key="sources")
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


def _did_you_mean(key: str, allowed: Iterable[str], problems: Problems) -> str:
    """`` (did you mean 'x'?)`` for an unknown key, or ''; skipped once the list of problems
    is full, where the message would not be shown (the fuzzy search is the costly part)."""
    if problems.full:
        return ""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _control_problem(key: str, text: str) -> str | None:
    """The message for a text field holding a control character (other than tab and line
    breaks): titles and notes are printed in terminals and reports, where escapes would act,
    and a path (``extends``) never has one."""
    char = control_character(text, layout=key != "extends")
    if char is None:
        return None
    allowed = "a path" if key == "extends" else "text (tabs and line breaks are fine)"
    return f"key {key!r}: value {text!r} contains the control character {char}; allowed: {allowed}"


RUN_SETTINGS: dict[str, tuple[int, int]] = {
    "seed": (0, MAX_SEED),
    "replications": (1, MAX_REPLICATIONS),
}
"""Run settings a file (or the command line) may give, with their allowed ranges."""


def run_setting_problem(key: str, value: Any) -> str | None:
    """The message for a bad ``seed`` or ``replications``, or None if it is fine."""
    low, high = RUN_SETTINGS[key]
    if is_integer(value) and low <= value <= high:
        return None
    return f"key {key!r}: value {value!r} is not allowed; allowed: an integer in [{low}, {high}]"


def _parameters(params: dict[str, Any], spec: _Spec, problems: Problems, source: str) -> None:
    for key, value in params.items():
        spec.parameters[key] = value
        spec.origin[key] = f"{source}, line {problems.locate.line('parameters', None, key)}"
    try:
        validate(params)
    except ParameterError as err:
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
            hint = _did_you_mean(key, allowed, problems)
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
    except ParameterError as err:
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


def _duration(table: dict[str, Any], start: Any, bad) -> Any:
    """``duration``, or ``end - start`` (0 = permanent); :class:`Event` checks the value."""
    if "duration" in table and "end" in table:
        bad("end", "keys 'duration' and 'end' are both given; allowed: one of them")
        return 0
    if "end" not in table:
        return table.get("duration", 0)
    end = table["end"]
    if not is_integer(end) or not is_integer(start) or end <= start:
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
        params = validate(values)
    except ParameterError as err:  # --set values, and checks across keys (age shares)
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


def _check_horizon(spec: _Spec, params: Params, overrides: Mapping[str, Any]) -> None:
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


def document(
    scenario: Scenario,
    *,
    command: str = "",
    origin: str = "",
    changes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The resolved scenario as a TOML-ready document: every parameter, the seed, the
    events and the provenance (package version, Python, time, command, and the ``changes``
    made on the command line, which ``coprod report`` names in the headline again)."""
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
    if changes:  # already in [parameters]; kept apart only to say what this run changed
        doc["provenance"]["changes"] = dict(changes)
    return doc


def dumps(
    scenario: Scenario,
    *,
    command: str = "",
    origin: str = "",
    changes: Mapping[str, Any] | None = None,
) -> str:
    """The resolved scenario as TOML text (see :func:`document`)."""
    head = (
        f"# Resolved scenario written by coprod-sim {__version__}: every parameter, the seed\n"
        "# and the events, enough to reproduce the run bit for bit with `coprod run FILE`.\n\n"
    )
    return head + tomli_w.dumps(document(scenario, command=command, origin=origin, changes=changes))
