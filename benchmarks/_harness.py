"""What the benchmark scripts share: a row of the results table, and progress on stderr."""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``ok`` is None for rows without a target."""

    figure: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def status(self) -> str:
        if self.ok is None:
            return "info" if not self.target else "skip"
        return "ok" if self.ok else "MISS"


def progress(message: str) -> None:
    """Progress goes to stderr so stdout holds only the report."""
    print(f"  ... {message}", file=sys.stderr, flush=True)
