"""The package's layers hold: no module imports from a layer above its own.

Every module of ``coprod_sim`` is parsed with :mod:`ast` (nothing is imported), relative
imports are resolved to full module names, and each import is checked against the table
below, lowest layer first. A module may import from its own layer and the layers below it.

=========  ===================================================================================
layer      modules
=========  ===================================================================================
schema     ``_version``, ``_data``, ``errors``, ``params``, ``parallel``, ``signals``: the
           parameter schema and the small helpers everything else uses
engine     ``state``, ``targets``, ``initiatives``, ``network``, ``population``, ``metrics``,
           ``submodels.*``: the vectorised model mechanisms on arrays
model      ``model``, ``agents``, ``scenario``: the Mesa facade and the scenario value it takes
runs       ``runs``, ``scenario_files``: running scenarios and reading and writing their files
outputs    ``report.*``: figures and the run report, built from metric frames
interfaces ``cli``, ``__main__``, ``progress``, ``scenario_tables``, ``dashboard.*``,
           ``experiments.*``, ``validation.*``, ``studies.*`` and the package ``__init__`` (its
           re-exports are lazy, so importing an engine module does not run them)
=========  ===================================================================================

Besides, the schema and engine layers import none of mesa, plotly, solara, dask and rich, the
engine no pydantic (the schema's validation library, which ``params`` builds on first use) and
only ``metrics`` imports pandas (it returns the time series as data frames). The model and
runs layers import no plotly, solara or dask.

Every ``import`` statement counts: at module level, inside functions (a lazy import is still a
dependency, only a later one) and under ``if TYPE_CHECKING:``. The exceptions are
:data:`ALLOWED`, each with its reason.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import coprod_sim

PACKAGE = "coprod_sim"
ROOT = Path(coprod_sim.__file__).resolve().parent

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("schema", ("_version", "_data", "errors", "params", "parallel", "signals")),
    (
        "engine",
        (
            "state",
            "membership",
            "targets",
            "initiatives",
            "network",
            "population",
            "metrics",
            "submodels",
        ),
    ),
    ("model", ("model", "agents", "scenario")),
    ("runs", ("runs", "scenario_files")),
    ("outputs", ("report",)),
    (
        "interfaces",
        (
            "",  # the package __init__
            "__main__",
            "cli",
            "progress",
            "scenario_tables",
            "dashboard",
            "experiments",
            "validation",
            "studies",
        ),
    ),
)
"""Layer name and the modules (or subpackages, with everything under them) it holds, lowest
first. Names are relative to the package."""

RANK: dict[str, int] = {name: rank for rank, (name, _) in enumerate(LAYERS)}

FORBIDDEN: dict[str, frozenset[str]] = {
    "schema": frozenset({"mesa", "plotly", "solara", "dask", "rich", "pandas"}),
    "engine": frozenset({"mesa", "plotly", "solara", "dask", "rich", "pydantic", "pandas"}),
    "model": frozenset({"plotly", "solara", "dask"}),
    "runs": frozenset({"plotly", "solara", "dask"}),
}
"""Third-party libraries each layer may not import (top-level package names)."""

ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        # The schema validates parameter values with a pydantic model, built on first use.
        ("coprod_sim.params", "pydantic"),
        # The time series and the agents' table are returned as data frames.
        ("coprod_sim.metrics", "pandas"),
    }
)
"""(importing module, imported module or library) pairs that may break the rules above."""


def layer_of(module: str) -> str:
    """The layer of a full module name of the package."""
    rest = module.removeprefix(PACKAGE).removeprefix(".")
    for name, members in LAYERS:
        for member in members:
            if rest == member or (member and rest.startswith(member + ".")):
                return name
    raise KeyError(f"{module} is in no layer: add it to LAYERS in {__name__}")


@dataclass(frozen=True)
class Import:
    module: str
    """The full name of the imported module (or of the name imported from a package)."""
    line: int


def imports(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import in ``source`` (the text of ``module``), relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if node.module is None or target == PACKAGE:
                # `from . import scenario` imports a module; `from coprod_sim import X` may
                # name a module or a re-export: resolve to the module when there is one.
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    name = candidate if _is_module(candidate) else target
                    found.append(Import(name, node.lineno))
            else:
                found.append(Import(target, node.lineno))
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` (given as source text) that break the layers."""
    own = layer_of(module)
    problems = []
    for imp in imports(source, module, is_package):
        if (module, imp.module) in ALLOWED:
            continue
        if imp.module == PACKAGE or imp.module.startswith(PACKAGE + "."):
            other = layer_of(imp.module)
            if RANK[other] > RANK[own]:
                problems.append(
                    f"{module} (layer {own}) line {imp.line} imports {imp.module} (layer {other})"
                )
        else:
            library = imp.module.partition(".")[0]
            if library in FORBIDDEN.get(own, ()) and (module, library) not in ALLOWED:
                problems.append(f"{module} (layer {own}) line {imp.line} imports {library}")
    return problems


def package_modules() -> list[tuple[str, Path, bool]]:
    """(full module name, file, is a package's __init__) for every module of the package."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join((PACKAGE, *(parts[:-1] if is_package else parts)))
        found.append((name, path, is_package))
    return found


def test_no_import_points_up_a_layer() -> None:
    problems = [
        problem
        for name, path, is_package in package_modules()
        for problem in violations(path.read_text(encoding="utf-8"), name, is_package)
    ]
    assert not problems, "imports against the layers:\n  " + "\n  ".join(problems)


def test_every_module_is_in_a_layer() -> None:
    for name, _, _ in package_modules():
        layer_of(name)  # raises for a module nobody placed


def test_the_checker_reports_an_upward_import() -> None:
    """The checker can fail: planted upward imports, lazy ones included, are reported."""
    planted = (
        "from ..scenario_files import load\n"
        "import numpy as np\n"
        "def later():\n"
        "    from coprod_sim import cli\n"
        "    import plotly.graph_objects\n"
    )
    problems = violations(planted, "coprod_sim.submodels.offers")
    assert len(problems) == 3, problems
    assert "imports coprod_sim.scenario_files (layer runs)" in problems[0]
    assert "imports coprod_sim.cli (layer interfaces)" in problems[1]
    assert "imports plotly" in problems[2]
    # The model takes a scenario value; reading files is a layer above it.
    assert violations("from .scenario_files import load\n", "coprod_sim.model")
    assert not violations("from .scenario import Scenario\n", "coprod_sim.model")
    assert not violations("from ..state import State\n", "coprod_sim.submodels.offers")


def modules_loaded_by(imports: str, watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter has in ``sys.modules`` after ``imports``."""
    code = f"import sys, {imports}\nprint(' '.join(n for n in {watched!r} if n in sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT.parent
    )
    return result.stdout.split()


def test_importing_the_engine_loads_no_interface_library() -> None:
    """``import coprod_sim.state`` runs the package ``__init__`` too: it must stay lazy."""
    heavy = ("mesa", "plotly", "solara", "dask", "pydantic", "coprod_sim.model")
    imports = "coprod_sim.state, coprod_sim.params, coprod_sim.metrics"
    assert modules_loaded_by(imports, heavy) == []


def test_the_model_does_not_load_the_file_code() -> None:
    files = ("tomllib", "tomli_w", "coprod_sim.scenario_files")
    assert modules_loaded_by("coprod_sim.model", files) == []
