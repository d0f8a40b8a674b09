"""The engine's runtime rules live in their own modules, not in ``population``.

Submodels read initiative rules from ``coprod_sim.initiatives`` and appetite/target formulas
from ``coprod_sim.targets``; the Cynefin domain list has one copy, in ``params``; the
politicians' catch-up toward their trust baseline spans one governance interval.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import coprod_sim
from coprod_sim import population
from coprod_sim.params import DOMAINS, defaults
from coprod_sim.submodels import politics

PACKAGE = Path(coprod_sim.__file__).parent
SUBMODELS = sorted((PACKAGE / "submodels").glob("*.py"))


def _imported_modules(tree: ast.Module) -> set[str]:
    """Every module an import statement names (``from .. import x`` names ``x`` too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.rsplit(".", 1)[-1] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                names.add(node.module.rsplit(".", 1)[-1])
            if not node.module or node.level:
                names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", SUBMODELS, ids=lambda p: p.stem)
def test_submodels_do_not_import_population(path: Path) -> None:
    """``population`` builds month 0; what runs every month is imported from the rule
    modules, so changing a build step cannot change a runtime rule."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert "population" not in _imported_modules(tree)


def test_cynefin_domains_are_written_once() -> None:
    """Only ``params`` spells out the domain names; everything else reads ``DOMAINS``."""
    holders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple | ast.List) and [
                e.value for e in node.elts if isinstance(e, ast.Constant)
            ] == list(DOMAINS):
                holders.append(path.relative_to(PACKAGE).as_posix())
    assert holders == ["params.py"]


def _politician_trust(governance_interval: int) -> np.ndarray:
    settings = SimpleNamespace(**{**defaults(), "n_citizens": 300})
    state = population.build(settings, np.random.default_rng(3))
    state.policy.governance_interval = governance_interval
    politics.cycle(state, np.random.default_rng(4))
    return state.politicians.trust


def test_politician_trust_catches_up_one_governance_interval() -> None:
    """A longer interval between cycles means more months of relaxation toward 0.6 each
    cycle (a fixed 12 ignored the interval)."""
    yearly, biennial = _politician_trust(12), _politician_trust(24)
    inside = (yearly > 0.0) & (yearly < 1.0) & (biennial > 0.0) & (biennial < 1.0)
    assert inside.any()
    assert np.all(np.abs(biennial - 0.6)[inside] < np.abs(yearly - 0.6)[inside])
