"""Cheap stand-ins for slow parts that a test does not check."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def empty_svgs(figs: Sequence[tuple[str, str, Any]], folder: Path) -> list[str]:
    """An empty SVG per figure, in place of ``coprod_sim.validation.document._export``:
    kaleido renders through Chromium, 10-20 s per ``coprod validate`` on a loaded CI machine.
    The real export is covered by ``test_a_reduced_validation_passes``."""
    names = []
    for stem, _, _ in figs:
        (folder / f"{stem}.svg").write_text("<svg/>")
        names.append(f"{stem}.svg")
    return names
