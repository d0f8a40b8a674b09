"""What the benchmark scripts share: the results table and its rows, and progress on stderr."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from targets import Target

from coprod_sim import runs


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``ok`` is None for rows without a target.

    Rows judged against a :class:`targets.Target` also carry its ``key`` and the measured
    ``number`` (in the target's unit; None when the measurement failed), so that a missed
    target can say by what factor it was missed.
    """

    figure: str
    value: str
    target: str = ""
    ok: bool | None = None
    key: str = ""
    number: float | None = None

    @classmethod
    def judged(cls, figure: str, value: str, target: Target, number: float | None) -> Row:
        """A row with ``target``: ok if ``number`` meets it, MISS if not or if it is None."""
        ok = number is not None and target.met(number)
        return cls(figure, value, target.text, ok, target.key, number)

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


def versions(names: tuple[str, ...]) -> str:
    """``name version`` of each installed distribution, comma-separated."""

    def one(name: str) -> str:
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            return f"{name} (not installed)"

    return ", ".join(one(n) for n in names)


def environment(packages: tuple[str, ...]) -> dict[str, str]:
    """Date, machine, Python and package versions, for a report's header."""
    return {
        "date": f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()})",
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "packages": versions(packages),
    }


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``path`` atomically (coprod_sim's own temporary file and rename), creating its
    folder: a failure leaves the previous file as it was and no temporary file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    runs.write_atomic(path, data)
