"""The data folders shipped inside the package: the preset scenarios and the studies.

They are found through :mod:`importlib.resources`, never relative to a source checkout, so a
wheel installed anywhere finds them by name. In a clone, ``scenarios/`` at the top is a
symlink to ``coprod_sim/scenarios/`` and ``coprod_sim/studies`` one to ``experiments/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SCENARIOS = "scenarios"
STUDIES = "studies"


def folder(name: str) -> Path:
    """The package's data folder ``name``, as a real path (symlinks resolved, so messages in a
    clone name ``experiments/...``, where the files are edited)."""
    # A wheel is always unpacked on install, so the package is a folder on disk and
    # files() is a pathlib.Path; str() keeps the type checkers' Traversable honest.
    return Path(str(resources.files(__package__).joinpath(name))).resolve()
