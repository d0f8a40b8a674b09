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
    ``mean:metric`` (its mean over months 1 to the column's), ``sum:metric`` (its sum), or
    ``with:flag`` / ``without:flag``: the share of citizens with (without) a flag of the agent
    table holding a place at the end of the run. ``preset`` replaces the column's preset;
    ``scale`` multiplies the value."""

    label: str
    expr: str
    digits: int = 3
    preset: str | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


MODES = ("co_commissioning", "co_design", "co_delivery", "co_assessment")


@cache
def _runs(preset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(time series, final agent tables) of a preset at the tables' size, one run per seed."""
    overrides = {} if preset in KEEPS_ITS_SIZE else {"n_citizens": CITIZENS}
    sc = S.load(preset, overrides=overrides)
    results = [runs.simulate(sc, seed) for seed in SEEDS]
    return pd.concat(r[0] for r in results), pd.concat(r[1] for r in results)


def series(preset: str) -> pd.DataFrame:
    """Mean over :data:`SEEDS` of every metric, by month."""
    return _runs(preset)[0].groupby("month").mean(numeric_only=True)


def _share_taking_part(preset: str, flag: str, has: bool) -> float:
    agents = _runs(preset)[1]
    citizens = agents[(agents["role"] == "citizen") & (agents[flag].astype(bool) == has)]
    return float(citizens[[f"active_{m}" for m in MODES]].astype(bool).any(axis=1).mean())


def value(row: Row, column: Column) -> float:
    preset = row.preset or column.preset
    ts = series(preset)
    kind, _, metric = row.expr.rpartition(":")
    if kind in ("with", "without"):
        number = _share_taking_part(preset, metric, kind == "with")
    elif kind == "mean":
        number = float(ts.loc[1 : column.month, metric].mean())
    elif kind == "sum":
        number = float(ts.loc[1 : column.month, metric].sum())
    else:
        top, _, bottom = metric.partition("/")
        number = float(ts.loc[column.month, top])
        number = number / float(ts.loc[column.month, bottom]) if bottom else number
    return number * row.scale


def render(spec: TableSpec) -> str:
    """The Markdown table of ``spec``."""
    lines = [
        "| metric | " + " | ".join(c.header for c in spec.columns) + " |",
        "|---" * (len(spec.columns) + 1) + "|",
    ]
    for row in spec.rows:
        cells = [f"{value(row, c):.{row.digits}f}" for c in spec.columns]
        cells = [c.replace("-0.000", "0.000") for c in cells]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _months(preset: str, months: tuple[int, ...]) -> tuple[Column, ...]:
    return tuple(Column(f"m{m}", preset, m) for m in months)


def _metrics(*names: str) -> tuple[Row, ...]:
    return tuple(Row(f"`{n}`", n) for n in names)


FEEDBACK_PRESETS: dict[str, str] = {
    "without feedback": "consultation_without_feedback",
    "baseline": "baseline",
    "loop closed": "feedback_loop_closed",
}


def _by_scenario(metric: str, scenarios: tuple[str, ...], digits: int = 3) -> tuple[Row, ...]:
    """One row per scenario of ``metric``; the metric is named on the first."""
    return tuple(
        Row(f"`{metric}`, {s}" if k == 0 else f"&emsp;{s}", metric, digits, FEEDBACK_PRESETS[s])
        for k, s in enumerate(scenarios)
    )


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "austerity",
        (
            Column("baseline m23", "baseline", 23),
            Column("baseline m120", "baseline", 120),
            Column("austerity m120", "austerity", 120),
        ),
        (
            Row("`co_delivery_volunteers` (per 1,000)", "co_delivery_volunteers", 1),
            Row("`paid_staff`", "paid_staff", 2),
            *_metrics(
                "staff_resistance",
                "exploited_share",
                "service_performance",
                "motivation_citizens",
                "economic_value",
                "coproduction_budget_share",
            ),
        ),
    ),
    TableSpec(
        "pandemic",
        _months("pandemic", (62, 63, 64, 66, 69, 75, 120)),
        (
            Row("`volunteers_signed_up`", "volunteers_signed_up", 1),
            Row("`volunteers_matched` (so far)", "volunteers_matched", 1),
            Row("`volunteers_waiting`", "volunteers_waiting", 1),
            *_metrics("service_performance", "trust_citizens_in_staff"),
            Row("baseline `trust_citizens_in_staff`", "trust_citizens_in_staff", preset="baseline"),
        ),
    ),
    TableSpec(
        "feedback",
        _months("baseline", (0, 12, 24, 36, 60, 90, 120)),
        (
            *_by_scenario(
                "participation_co_assessment", ("without feedback", "baseline", "loop closed"), 4
            ),
            *_by_scenario("expects_response", ("without feedback", "loop closed")),
            *_by_scenario("trust_citizens_in_staff", ("without feedback", "loop closed")),
        ),
    ),
    TableSpec(
        "digital_first",
        (
            Column("baseline", "baseline", 120),
            Column("digital first", "digital_first", 120),
        ),
        (
            *_metrics("participation_any"),
            Row("`offers` (per 1,000 a month)", "offers", 1),
            Row(
                "hours given per participant a month (`citizen_hours` / 1,000 / "
                "`participation_any`)",
                "citizen_hours/participation_any",
                1,
                scale=1 / 1000,
            ),
            Row(
                "participation of citizens **with** digital access (agent table)",
                "with:digital_access",
            ),
            Row(
                "participation of citizens **without** digital access (agent table)",
                "without:digital_access",
            ),
            Row(
                "`usual_suspects_share` (places held by people with 2+ places)",
                "usual_suspects_share",
            ),
            Row("`participation_gap_education` (high minus low)", "participation_gap_education"),
            *_metrics("service_performance"),
        ),
    ),
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
