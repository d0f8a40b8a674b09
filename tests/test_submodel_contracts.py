"""Each submodel's docstring declares what of the state it reads and writes, and the lists
agree with what :mod:`tests.contracts` finds in its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contracts import Access, declared, found, module_access

PACKAGE = Path(__file__).resolve().parent.parent / "coprod_sim"
SUBMODELS = (PACKAGE / "submodels").glob("*.py")
MODULES = [
    *sorted(path for path in SUBMODELS if not path.name.startswith("_")),
    PACKAGE / "membership.py",
]


def problems(declared_access: Access, found_access: Access) -> list[str]:
    """What the declared lists miss (found, not declared) and what they name in vain."""
    out = []
    for kind in ("reads", "writes"):
        said, seen = getattr(declared_access, kind), getattr(found_access, kind)
        out += [f"undeclared {kind[:-1]}: {name}" for name in sorted(seen - said)]
        out += [f"declared {kind[:-1]} unused: {name}" for name in sorted(said - seen)]
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_declared_reads_and_writes_match_the_source(path: Path) -> None:
    said, seen = module_access(path)
    assert seen.reads and seen.writes  # the analyser saw the module's step at all
    assert problems(said, seen) == []


PLANTED = '''"""A submodel with writes its docstring does not declare.

Reads: citizens.trust, citizens.fatigue, citizens.effort
Writes: flows.joins
"""

import numpy as np


def step(state, params, rng):
    c, fl = state.citizens, state.flows
    fl.joins = c.trust.sum()
    _helper(state)


def _helper(state):
    c = state.citizens
    c.trust[c.fatigue > 0.5] = 0.0
    c.fatigue += 0.1
    np.add.at(c.effort, [0], 1.0)
    np.multiply(c.effort, 0.5, out=c.effort)
    state.month = 3
'''


def test_an_undeclared_write_is_caught() -> None:
    """Subscript, augmented, ``.at`` and ``out=`` stores in a called helper all count."""
    found_problems = problems(declared(PLANTED), found(PLANTED))
    assert found_problems == [
        "undeclared write: citizens.effort",
        "undeclared write: citizens.fatigue",
        "undeclared write: citizens.trust",
        "undeclared write: month",
    ]
