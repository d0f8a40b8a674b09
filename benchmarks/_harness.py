"""What the benchmark scripts share: the results table and its rows, and progress on stderr."""

from __future__ import annotations

import platform
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


def table(rows: list[Row]) -> list[str]:
    """The results table as lines: figure, measured value, target and status."""
    titles = ("figure", "measured", "target", "status")
    cells = [titles, *((r.figure, r.value, r.target, r.status) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(titles))]

    aligns = (str.ljust, str.rjust, str.rjust, str.ljust)

    def line(c: tuple[str, ...]) -> str:
        return "  ".join(a(v, w) for a, v, w in zip(aligns, c, widths, strict=True)).rstrip()

    rule = "-" * len(line(titles))
    return [rule, line(titles), rule, *(line(c) for c in cells[1:]), rule]


def cpu_model() -> str:
    """The CPU's model name, for the report header."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
