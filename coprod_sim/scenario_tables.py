"""The tables of ``docs/scenarios.md`` section 5, generated from real runs.

Each table sits between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->`` markers and is
rewritten from runs of the presets at :data:`CITIZENS` citizens on :data:`SEEDS` (the means
over the seeds). Hand-copied tables went stale as the model changed (the baseline's
participation at month 120 read 0.200 long after the code gave 0.15); a test regenerates
these and compares. Below each table, between ``<!-- summary:NAME -->`` markers, one or two
generated sentences say what it shows (which rows rise and which fall between two of its
columns, and by how much), because readers read the prose, and hand-measured prose went
stale in the same way. Rewrite the document with ``python -m coprod_sim.scenario_tables``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from . import metrics, runs, scenario_files

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
    ``scale`` multiplies the value. ``said`` names the row in the summary; by default the
    metric's label (:func:`coprod_sim.metrics.label`) when ``expr`` is a plain metric."""

    label: str
    expr: str
    digits: int = 3
    preset: str | None = None
    scale: float = 1.0
    said: str | None = None
    same_within: float = 0.0
    """An absolute change up to this counts as "about the same" in the summary: for counts
    of rare events, whose seed-to-seed spread dwarfs :data:`SAME`."""

    @property
    def name(self) -> str:
        """How the summary names the row."""
        if self.said is not None:
            return self.said
        if ":" in self.expr or "/" in self.expr:
            raise ValueError(f"row {self.label!r} is not a plain metric: give it a `said` name")
        return metrics.label(self.expr)


@dataclass(frozen=True)
class Comparison:
    """One summary sentence: every row in column ``against`` set against column
    ``reference`` (both by header); ``lead`` opens the sentence."""

    reference: str
    against: str
    lead: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    comparisons: tuple[Comparison, ...] = ()


MODES = ("co_commissioning", "co_design", "co_delivery", "co_assessment")


@cache
def _runs(preset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(time series, final agent tables) of a preset at the tables' size, one run per seed."""
    overrides = {} if preset in KEEPS_ITS_SIZE else {"n_citizens": CITIZENS}
    sc = scenario_files.load(preset, overrides=overrides)
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


def _cell(number: float, digits: int) -> str:
    return f"{number:.{digits}f}".replace("-0.000", "0.000")


def cells(spec: TableSpec) -> list[list[str]]:
    """The table's cells as printed, one list per row (runs are cached, so this is cheap
    after the first call)."""
    return [[_cell(value(row, c), row.digits) for c in spec.columns] for row in spec.rows]


def render(spec: TableSpec) -> str:
    """The Markdown table of ``spec``."""
    lines = [
        "| metric | " + " | ".join(c.header for c in spec.columns) + " |",
        "|---" * (len(spec.columns) + 1) + "|",
    ]
    for row, printed in zip(spec.rows, cells(spec), strict=True):
        lines.append(f"| {row.label} | " + " | ".join(printed) + " |")
    return "\n".join(lines)


def numbers_in(table: str) -> list[list[float]]:
    """The numbers of a rendered table, one list per row (the header and rule skipped)."""
    return [
        [float(cell) for cell in line.strip("|").split("|")[1:]] for line in table.splitlines()[2:]
    ]


SAME = 0.02
"""A change smaller than this share of the reference value counts as "about the same":
below the rounding of the tables' third digit for most rows, and well below the
seed-to-seed spread of two seeds at 3,000 citizens."""
RELATIVE_FROM = 20
"""A change is given relative to its reference (``+5%``) only if the reference is positive
and at least this many units of the row's last printed digit; below that the rounding alone
moves the percentage by more than a few points (``0.001`` to ``0.103``), so the change is
given as the two values instead."""


def change(
    reference: float, value: float, digits: int, same_within: float = 0.0
) -> tuple[str, str]:
    """(``"higher"``, ``"lower"`` or ``"about the same"``; how much) of ``value`` against
    ``reference``, both as printed with ``digits`` decimals: ``+5%`` or ``-52%``,
    ``×2.9`` from twice the reference up, or ``0.001 → 0.103`` for a reference that is not
    positive or too small for a percentage (:data:`RELATIVE_FROM`). A change up to
    ``same_within`` is "about the same"."""
    unit = 10.0**-digits
    if abs(value - reference) <= same_within:
        return "about the same", ""
    if reference > 0 and reference >= RELATIVE_FROM * unit - unit / 2:
        ratio = value / reference
        if abs(ratio - 1) < SAME:
            return "about the same", ""
        size = f"×{ratio:.1f}" if ratio >= 2 else f"{ratio - 1:+.0%}"
        return ("higher" if ratio > 1 else "lower"), size
    if abs(value - reference) < unit / 2:
        return "about the same", ""
    size = f"{_cell(reference, digits)} → {_cell(value, digits)}"
    return ("higher" if value > reference else "lower"), size


DIRECTIONS = ("higher", "lower", "about the same")


def sentence(comparison: Comparison, compared: list[tuple[Row, float, float]]) -> str:
    """The summary sentence of ``comparison`` for (row, reference value, value)."""
    by_direction: dict[str, list[str]] = {d: [] for d in DIRECTIONS}
    for row, reference, value_ in compared:
        direction, size = change(reference, value_, row.digits, row.same_within)
        by_direction[direction].append(f"{row.name} ({size})" if size else row.name)
    parts = [f"{d}: " + ", ".join(items) for d, items in by_direction.items() if items]
    return f"{comparison.lead}: " + "; ".join(parts) + "."


def summarise(spec: TableSpec, numbers: list[list[float]]) -> str:
    """The summary of a table from its printed ``numbers`` (one list per row), so that the
    sentences say exactly what the table beside them shows."""
    headers = [c.header for c in spec.columns]
    sentences = []
    for comparison in spec.comparisons:
        ref, new = headers.index(comparison.reference), headers.index(comparison.against)
        compared = [
            (row, row_numbers[ref], row_numbers[new])
            for row, row_numbers in zip(spec.rows, numbers, strict=True)
        ]
        sentences.append(sentence(comparison, compared))
    return "\n".join(sentences)


def summary(spec: TableSpec) -> str:
    """The summary of ``spec`` from fresh (cached) runs."""
    return summarise(spec, [[float(c) for c in row] for row in cells(spec)])


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
        Row(
            f"`{metric}`, {s}" if k == 0 else f"&emsp;{s}",
            metric,
            digits,
            FEEDBACK_PRESETS[s],
            said=f"{metrics.label(metric)} ({s})",
        )
        for k, s in enumerate(scenarios)
    )


MISCONDUCT = Row(
    "misconduct events so far (`dark_side_events`, summed)",
    "sum:dark_side_events",
    1,
    said="misconduct events so far",
    # A count of about 5 events has a Poisson spread of about 2 per seed, so a difference of
    # the two seeds' means below 3 is noise, not an effect of the preset.
    same_within=3.0,
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
        (
            Comparison("baseline m23", "baseline m120", "The baseline from month 23 to month 120"),
            Comparison(
                "baseline m120", "austerity m120", "At month 120, austerity against the baseline"
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
            Row(
                "baseline `trust_citizens_in_staff`",
                "trust_citizens_in_staff",
                preset="baseline",
                said="trust in staff in the baseline",
            ),
            *_metrics("participation_any"),
            Row(
                "baseline `participation_any`",
                "participation_any",
                preset="baseline",
                said="participation in the baseline",
            ),
            Row(
                "`initiatives_stopped` so far",
                "initiatives_stopped",
                1,
                said="initiatives stopped so far",
            ),
            Row(
                "baseline `initiatives_stopped` so far",
                "initiatives_stopped",
                1,
                preset="baseline",
                said="initiatives stopped so far in the baseline",
            ),
        ),
        (
            Comparison("m62", "m64", "In the month after the call against the month before it"),
            Comparison("m62", "m120", "In month 120 against the month before the call"),
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
            *_by_scenario("participation_any", ("without feedback", "loop closed")),
        ),
        (
            Comparison("m0", "m12", "In the first year"),
            Comparison("m24", "m120", "From month 24, when the loop closes, to month 120"),
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
                said="hours given per participant",
            ),
            Row(
                "participation of citizens **with** digital access (agent table)",
                "with:digital_access",
                said="participation with digital access",
            ),
            Row(
                "participation of citizens **without** digital access (agent table)",
                "without:digital_access",
                said="participation without digital access",
            ),
            Row(
                "`usual_suspects_share` (places held by people with 2+ places)",
                "usual_suspects_share",
            ),
            Row("`participation_gap_education` (high minus low)", "participation_gap_education"),
            *_metrics("service_performance", "governance_value"),
        ),
        (
            Comparison(
                "baseline", "digital first", "At month 120, digital first against the baseline"
            ),
        ),
    ),
    TableSpec(
        "baseline",
        _months("baseline", (0, 24, 60, 120)),
        (
            *_metrics("willingness", "participation_any"),
            Row(
                "willingness / participation",
                "willingness/participation_any",
                1,
                said="willing per participant",
            ),
            *_metrics(
                "participation_co_delivery",
                "participation_co_design",
                "participation_co_assessment",
                "participation_co_commissioning",
                "self_efficacy_citizens",
                "trust_citizens_in_staff",
                "service_performance",
            ),
        ),
        (
            Comparison("m0", "m24", "In the first two years"),
            Comparison("m24", "m120", "From month 24 to month 120"),
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
            Row(
                "mean `participation_any`, months 1-120",
                "mean:participation_any",
                said="mean participation over the decade",
            ),
            Row("`offers` (per 1,000 a month)", "offers", 1),
            Row(
                "`initiatives_stopped` by m120",
                "initiatives_stopped",
                1,
                said="initiatives stopped",
            ),
            *_metrics(
                "motivation_staff",
                "trust_citizens_in_staff",
                "service_performance",
                "economic_value",
            ),
            MISCONDUCT,
        ),
        (
            Comparison(
                "baseline", "averse", "At month 120, the risk-averse council against the baseline"
            ),
            Comparison("baseline", "enabling", "The risk-enabling council against the baseline"),
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
                "resilience_provider",
                "resilience_commissioner",
                "resilience_chain",
                "participation_collective",
                "participation_individual",
                "participation_any",
                "self_organisation",
            ),
            MISCONDUCT,
        ),
        (
            Comparison(
                "baseline",
                "community development",
                "At month 120, community development against the baseline",
            ),
        ),
    ),
    TableSpec(
        "star_programme",
        (
            # The baseline at month 24 too, so that the Star's early steps can be read
            # against the same month.
            Column("baseline m24", "baseline", 24),
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
            MISCONDUCT,
        ),
        (
            Comparison("Star m24", "Star m42", "The Star from month 24 to month 42"),
            Comparison("baseline m120", "Star m120", "At month 120, the Star against the baseline"),
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
        (
            Comparison("m0", "m23", "Before the change (month 0 to month 23)"),
            Comparison("m23", "m72", "After it (month 23 to month 72)"),
        ),
    ),
)


def _marked(kind: str, name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {kind}:{name} -->\n)(.*?)(\n<!-- /{kind}:{name} -->)", re.DOTALL)


def _blocks_in(text: str, kind: str) -> dict[str, str]:
    found = {}
    for spec in TABLES:
        match = _marked(kind, spec.name).search(text)
        if match is None:
            raise ValueError(f"docs/scenarios.md lacks the markers of {kind} {spec.name!r}")
        found[spec.name] = match.group(2)
    return found


def tables_in(text: str) -> dict[str, str]:
    """The generated tables as they stand in ``text``, by name."""
    return _blocks_in(text, "table")


def summaries_in(text: str) -> dict[str, str]:
    """The generated summaries as they stand in ``text``, by name."""
    return _blocks_in(text, "summary")


def rewrite(text: str) -> str:
    """``text`` with every generated table and summary replaced by a fresh one."""
    for spec in TABLES:
        for kind, fresh in (("table", render(spec)), ("summary", summary(spec))):
            text = _marked(kind, spec.name).sub(
                lambda m, f=fresh: m.group(1) + f + m.group(3), text
            )
    return text


def main() -> None:
    """Rewrite docs/scenarios.md in place (atomically)."""
    text = DOCUMENT.read_text(encoding="utf-8")
    try:
        tables_in(text), summaries_in(text)  # every marker present, before any run
    except ValueError as err:
        print(f"Error: {err}; nothing was written", file=sys.stderr)
        raise SystemExit(2) from None
    runs.write_atomic(DOCUMENT, rewrite(text))
    print(f"Wrote {len(TABLES)} tables and their summaries into {DOCUMENT}", file=sys.stderr)


if __name__ == "__main__":
    main()
