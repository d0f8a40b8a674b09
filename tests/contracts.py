"""What a submodel reads and writes of the state, found from its source (an AST analyser).

The analyser starts from a module's ``step`` (for ``membership.py``: every method of
``Membership``) and follows every function of the same module that those functions name
(called, or passed on, e.g. to ``concurrently``). In them it collects attribute chains rooted
at a parameter named ``state`` or at a local alias of part of it (``c = state.citizens``,
``c, ini = state.citizens, state.initiatives``; ``self`` in ``Membership`` stands for
``membership``).

Granularity: the first two names of a chain (``citizens.trust``, ``flows.burnouts``; a
plain field such as ``month`` alone), except that ``policy`` counts as one name; a method
called on a chain (``c.trust.mean()``, ``state.membership.citizen_flags(state)``) counts as a
load of the chain without the method, and ``ini.view("collective")`` as
``initiatives.collective``.

A chain is a store when it is assigned (``state.month = ...``), augmented
(``fl.joins += ...``, also a load), the target of a subscript store
(``c.trust[idx] = ...``, ``c.initiative_of[:], ini.members[:] = ...``), passed as ``out=``
to a call, or the first argument of a ufunc's ``.at`` (``np.add.at(c.effort, ...)``);
every other appearance is a load.

Not seen (so the lists are a floor, not a proof): what functions of other modules do with
the state they are given, arrays reached through a local name that is not an alias of the
state (``held = c.initiative_of[:, k]; held[...] = ...``), and writes through views.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

COLLAPSED = {"policy"}  # parameters: one name for all of them
CONTAINERS = {
    "citizens",
    "staff",
    "commissioners",
    "politicians",
    "initiatives",
    "network",
    "derived",
    "totals",
    "running",
    "flows",
    "episodes",
    "event_memory",
    "membership",
    "neighbourhoods",
    "participation_caches",
    "policy",
}  # fields of the state that hold other fields: binding a name to one reads nothing yet


@dataclass
class Access:
    """The chains a module loads and stores."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)


def declared(source: str) -> Access:
    """The ``Reads:`` and ``Writes:`` lists of a module's docstring (comma-separated, may
    continue on indented lines)."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    found = Access()
    for kind in ("Reads", "Writes"):
        match = re.search(rf"^{kind}:(.*(?:\n[ \t]+\S.*)*)", doc, flags=re.M)
        if match:
            names = {name.strip() for name in match.group(1).replace("\n", " ").split(",")}
            getattr(found, kind.lower()).update(name for name in names if name)
    return found


def _chain(node: ast.AST, aliases: dict[str, list[str]]) -> list[str] | None:
    """The names of an attribute chain from the state, or None if it is not rooted there."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return aliases[node.id] + names[::-1]


def _name(chain: list[str]) -> str | None:
    if not chain:
        return None
    if chain[0] in COLLAPSED:
        return chain[0]
    return ".".join(chain[:2])


def _aliases(
    function: ast.FunctionDef, roots: dict[str, list[str]], bound: set[int]
) -> dict[str, list[str]]:
    """The state's root names and the local names bound to attribute chains from them (the
    ids of expressions binding a name to a container go into ``bound``: that reads nothing
    yet; binding a name to anything else, ``users = state.derived.users``, is its load)."""
    aliases = dict(roots)
    for arg in function.args.args + function.args.kwonlyargs:
        if arg.arg == "state":
            aliases["state"] = []
    changed = True
    while changed:  # an alias of an alias (``fl = state.flows`` after ``s = state``)
        changed = False
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target, value = node.targets[0], node.value
            pairs = []
            if isinstance(target, ast.Name):
                pairs = [(target, value)]
            elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                pairs = list(zip(target.elts, value.elts, strict=False))
            for name, expr in pairs:
                if not isinstance(name, ast.Name) or name.id in aliases:
                    continue
                chain = _chain(expr, aliases) if isinstance(expr, ast.Attribute) else None
                if chain is not None:
                    aliases[name.id] = chain
                    if len(chain) == 1 and chain[0] in CONTAINERS:
                        bound.add(id(expr))
                    changed = True
    return aliases


def _function_access(function: ast.FunctionDef, roots: dict[str, list[str]], into: Access):
    inner: set[int] = set()  # nodes inside a longer chain already counted, or aliased
    aliases = _aliases(function, roots, inner)
    if not aliases:
        return
    stored: set[int] = set()  # nodes counted as stores

    def store(node: ast.AST, also_read: bool = False) -> None:
        while isinstance(node, ast.Subscript):
            node = node.value
        chain = _chain(node, aliases)
        name = _name(chain) if chain is not None else None
        if name is not None:
            into.writes.add(name)
            if also_read:
                into.reads.add(name)
            stored.add(id(node))

    for node in ast.walk(function):
        if isinstance(node, ast.AugAssign):
            store(node.target, also_read=True)
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(
            node.ctx, ast.Store | ast.Del
        ):
            store(node)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "out":
                    for target in (
                        keyword.value.elts
                        if isinstance(keyword.value, ast.Tuple)
                        else [keyword.value]
                    ):
                        store(target)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "at" and node.args:
                store(node.args[0])
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = _chain(node.func.value, aliases)
            if chain is not None and node.func.attr == "view" and chain[-1:] == ["initiatives"]:
                argument = node.args[0] if node.args else None
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    into.reads.add(f"initiatives.{argument.value}")
                inner.add(id(node.func))
                inner.add(id(node.func.value))
                continue
            if chain is not None:  # a method of the chain: a load of the chain
                inner.add(id(node.func))
                inner.add(id(node.func.value))
                if id(node.func.value) not in stored and (name := _name(chain)) is not None:
                    into.reads.add(name)
        if not isinstance(node, ast.Attribute):
            continue
        if id(node) in inner:
            inner.add(id(node.value))
            continue
        inner.add(id(node.value))
        if id(node) in stored:
            continue
        chain = _chain(node, aliases)
        name = _name(chain) if chain is not None else None
        if name is not None:
            into.reads.add(name)


def found(source: str) -> Access:
    """The chains loaded and stored by ``step`` (or ``Membership``'s methods) and the
    functions of the same module it reaches."""
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    starts: list[tuple[ast.FunctionDef, dict[str, list[str]]]] = []
    if "step" in functions:
        starts.append((functions["step"], {}))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Membership":
            starts += [
                (method, {"self": ["membership"]})
                for method in node.body
                if isinstance(method, ast.FunctionDef)
            ]
    access = Access()
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        function, roots = todo.pop()
        _function_access(function, roots, access)
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in seen:
                seen.add(node.id)
                todo.append((functions[node.id], {}))
    return access


def module_access(path: Path) -> tuple[Access, Access]:
    """(declared, found) for the module at ``path``."""
    source = path.read_text()
    return declared(source), found(source)
