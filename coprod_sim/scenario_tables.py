"""The tables of ``docs/scenarios.md`` section 5, generated from real runs.

Each table sits between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->`` markers and is
rewritten from runs of the presets at :data:`CITIZENS` citizens on :data:`SEEDS` (the means
over the seeds). Hand-copied tables went stale as the model changed (the baseline's
participation at month 120 read 0.200 long after the code gave 0.15); a test regenerates
these and compares. Rewrite the document with ``python -m coprod_sim.scenario_tables``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from . import runs
from . import scenario as S

CITIZENS = 3000
"""Citizens in every run but the workshop preset's (it keeps its own 400)."""
SEEDS: tuple[int, ...] = (0, 1)
"""The seeds of the runs; the tables give the mean over them."""
KEEPS_ITS_SIZE = frozenset({"workshop_virtuous_circle"})
DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


@dataclass(frozen=True)
class Column:
    header: str
    preset: str
    month: int


@dataclass(frozen=True)
class Row:
    """``expr`` is a metric (its value in the column's month), ``a/b`` (a ratio of two),
    ``mean:metric`` (its mean over months 1 to the column's) or ``sum:metric`` (its sum)."""

    label: str
    expr: str
    digits: int = 3


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@cache
def series(preset: str) -> pd.DataFrame:
    """Mean over :data:`SEEDS` of every metric, by month, for a preset at the tables' size."""
    overrides = {} if preset in KEEPS_ITS_SIZE else {"n_citizens": CITIZENS}
    sc = S.load(preset, overrides=overrides)
    frames = [runs.simulate(sc, seed)[0] for seed in SEEDS]
    return pd.concat(frames).groupby("month").mean(numeric_only=True)


def value(row: Row, column: Column) -> float:
    ts = series(column.preset)
    kind, _, metric = row.expr.rpartition(":")
    if kind == "mean":
        return float(ts.loc[1 : column.month, metric].mean())
    if kind == "sum":
        return float(ts.loc[1 : column.month, metric].sum())
    top, _, bottom = metric.partition("/")
    number = float(ts.loc[column.month, top])
    return number / float(ts.loc[column.month, bottom]) if bottom else number


def render(spec: TableSpec) -> str:
    """The Markdown table of ``spec``."""
    lines = [
        "| metric | " + " | ".join(c.header for c in spec.columns) + " |",
        "|---" * (len(spec.columns) + 1) + "|",
    ]
    for row in spec.rows:
        cells = [f"{value(row, c):.{row.digits}f}" for c in spec.columns]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _months(preset: str, months: tuple[int, ...]) -> tuple[Column, ...]:
    return tuple(Column(f"m{m}", preset, m) for m in months)


def _metrics(*names: str) -> tuple[Row, ...]:
    return tuple(Row(f"`{n}`", n) for n in names)


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "baseline",
        _months("baseline", (0, 24, 60, 120)),
        (
            *_metrics("willingness", "participation_any"),
            Row("willingness / participation", "willingness/participation_any", 1),
            *_metrics("self_efficacy_citizens", "trust_citizens_in_staff", "service_performance"),
        ),
    ),
    TableSpec(
        "risk_councils",
        (
            Column("averse", "risk_averse_council", 120),
            Column("baseline", "baseline", 120),
            Column("enabling", "risk_enabling_council", 120),
        ),
        (
            *_metrics("participation_any"),
            Row("mean `participation_any`, months 1-120", "mean:participation_any"),
            Row("`offers` (per 1,000 a month)", "offers", 1),
            Row("`initiatives_stopped` by m120", "initiatives_stopped", 1),
            *_metrics(
                "motivation_staff",
                "trust_citizens_in_staff",
                "service_performance",
                "economic_value",
            ),
            Row(
                "misconduct events in 120 months (`dark_side_events`, summed)",
                "sum:dark_side_events",
                1,
            ),
        ),
    ),
    TableSpec(
        "community_development",
        (
            Column("baseline", "baseline", 120),
            Column("community development", "community_development", 120),
        ),
        (
            *_metrics(
                "generalised_trust",
                "social_value",
                "resilience_community",
                "resilience_user",
                "participation_collective",
                "participation_individual",
                "participation_any",
                "resilience_chain",
            ),
            Row("misconduct events in 120 months", "sum:dark_side_events", 1),
        ),
    ),
    TableSpec(
        "star_programme",
        (
            Column("baseline m120", "baseline", 120),
            *(Column(f"Star m{m}", "star_programme", m) for m in (24, 42, 120)),
        ),
        (
            *_metrics(
                "participation_any",
                "participation_co_delivery",
                "participation_co_design",
                "self_efficacy_staff",
                "self_efficacy_citizens",
                "willingness",
                "coproduction_budget_share",
                "service_performance",
                "economic_value",
                "usual_suspects_share",
            ),
            Row("`staff_hours` (per 1,000 a month)", "staff_hours", 1),
        ),
    ),
    TableSpec(
        "workshop_virtuous_circle",
        _months("workshop_virtuous_circle", (0, 23, 36, 48, 60, 72)),
        _metrics(
            "participation_any",
            "self_efficacy_citizens",
            "willingness",
            "trust_citizens_in_staff",
            "motivation_staff",
        ),
    ),
)


def _marked(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- table:{name} -->\n)(.*?)(\n<!-- /table:{name} -->)", re.DOTALL)


def tables_in(text: str) -> dict[str, str]:
    """The generated tables as they stand in ``text``, by name."""
    found = {}
    for spec in TABLES:
        match = _marked(spec.name).search(text)
        if match is None:
            raise ValueError(f"docs/scenarios.md lacks the markers of table {spec.name!r}")
        found[spec.name] = match.group(2)
    return found


def rewrite(text: str) -> str:
    """``text`` with every generated table replaced by a fresh one."""
    for spec in TABLES:
        text = _marked(spec.name).sub(lambda m, s=spec: m.group(1) + render(s) + m.group(3), text)
    return text


def main() -> None:
    """Rewrite docs/scenarios.md in place (atomically)."""
    tables_in(DOCUMENT.read_text(encoding="utf-8"))  # every marker present, before any run
    runs.write_atomic(DOCUMENT, rewrite(DOCUMENT.read_text(encoding="utf-8")))
    print(f"Wrote {len(TABLES)} tables into {DOCUMENT}", file=sys.stderr)


if __name__ == "__main__":
    main()
