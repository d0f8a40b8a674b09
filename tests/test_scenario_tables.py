"""docs/scenarios.md's generated tables and summaries match fresh runs of the presets, and its
hand-written prose measures nothing itself."""

from __future__ import annotations

import re

import pytest

from coprod_sim import scenario_tables

DOCUMENT = scenario_tables.DOCUMENT.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", scenario_tables.TABLES, ids=lambda s: s.name)
def test_the_table_in_the_document_is_what_the_runs_give(spec):
    assert scenario_tables.tables_in(DOCUMENT)[spec.name] == scenario_tables.render(spec), (
        f"docs/scenarios.md table {spec.name!r} is stale: run python -m coprod_sim.scenario_tables"
    )


@pytest.mark.parametrize("spec", scenario_tables.TABLES, ids=lambda s: s.name)
def test_the_summary_in_the_document_is_what_the_runs_give(spec):
    # The runs are cached (functools.cache), so this costs nothing beyond the table test.
    assert scenario_tables.summaries_in(DOCUMENT)[spec.name] == scenario_tables.summary(spec), (
        f"docs/scenarios.md summary {spec.name!r} is stale: "
        "run python -m coprod_sim.scenario_tables"
    )


# The size of a change as the summaries print it: "+5%", "×2.9" or "0.001 → 0.103".
SIZE = r"[+-]\d+%|×\d+\.\d|-?\d+\.\d+ → -?\d+\.\d+"


def _stated(sentence: str) -> dict[str, tuple[str, str]]:
    """{row name: (direction, size)} as a summary sentence states them."""
    stated = {}
    for part in sentence.rstrip(".").split(": ", 1)[1].split("; "):
        direction, _, items = part.partition(": ")
        for item in items.split(", "):
            match = re.fullmatch(rf"(.*) \(({SIZE})\)", item)
            name, size = (match.group(1), match.group(2)) if match else (item, "")
            stated[name] = (direction, size)
    return stated


def _agrees(
    direction: str, size: str, reference: float, value: float, row: scenario_tables.Row
) -> bool:
    """Whether a stated change agrees with the two numbers, checked from scratch."""
    if direction == "about the same":
        unit = 10.0**-row.digits
        return abs(value - reference) <= max(row.same_within, unit / 2) or abs(
            value - reference
        ) < scenario_tables.SAME * abs(reference)
    if (direction == "higher") != (value > reference):
        return False
    if size.endswith("%"):
        return int(size[:-1]) == round((value / reference - 1) * 100)
    if size.startswith("×"):
        return float(size[1:]) == round(value / reference, 1)
    return size == f"{reference:.{row.digits}f} → {value:.{row.digits}f}"


@pytest.mark.parametrize("spec", scenario_tables.TABLES, ids=lambda s: s.name)
def test_each_summary_states_what_its_table_shows(spec):
    """Parse every summary sentence back and check each row's direction and size against
    the numbers of the table beside it (no runs: both come from the document)."""
    numbers = scenario_tables.numbers_in(scenario_tables.tables_in(DOCUMENT)[spec.name])
    headers = [c.header for c in spec.columns]
    sentences = scenario_tables.summaries_in(DOCUMENT)[spec.name].splitlines()
    assert len(sentences) == len(spec.comparisons) > 0
    for comparison, sentence in zip(spec.comparisons, sentences, strict=True):
        assert sentence.startswith(comparison.lead + ": ")
        stated = _stated(sentence)
        assert sorted(stated) == sorted(row.name for row in spec.rows), sentence
        ref, new = headers.index(comparison.reference), headers.index(comparison.against)
        for row, row_numbers in zip(spec.rows, numbers, strict=True):
            direction, size = stated[row.name]
            assert _agrees(direction, size, row_numbers[ref], row_numbers[new], row), (
                f"{spec.name}: {row.name!r} is said to be {direction} {size} from "
                f"{row_numbers[ref]} to {row_numbers[new]}"
            )


@pytest.mark.parametrize(
    ("reference", "value", "digits", "expected"),
    [
        (0.359, 0.378, 3, ("higher", "+5%")),
        (0.291, 0.282, 3, ("lower", "-3%")),
        (0.500, 0.509, 3, ("about the same", "")),  # below 2% of the reference
        (0.0058, 0.0295, 4, ("higher", "×5.1")),
        (0.001, 0.103, 3, ("higher", "0.001 → 0.103")),  # too small a reference for a %
        (-0.021, 0.030, 3, ("higher", "-0.021 → 0.030")),  # not a positive reference
        (0.0, 0.0, 1, ("about the same", "")),
    ],
)
def test_the_rule_for_a_change(reference, value, digits, expected):
    assert scenario_tables.change(reference, value, digits) == expected


def test_rare_event_counts_within_their_spread_are_about_the_same():
    assert scenario_tables.change(4.5, 2.0, 1, same_within=3.0) == ("about the same", "")
    assert scenario_tables.change(4.5, 2.0, 1) == ("lower", "-56%")


def test_the_document_states_the_settings_of_the_runs_and_the_summaries():
    text = " ".join(DOCUMENT.split())
    assert f"with {scenario_tables.CITIZENS:,} citizens" in text
    assert "on seeds 0 and 1, averaged" in text
    assert scenario_tables.SEEDS == (0, 1)
    assert f"A change below {scenario_tables.SAME:.0%} of the reference counts as" in text
    assert (
        f"a difference of up to {scenario_tables.MISCONDUCT.same_within:.0f} misconduct events"
        in text
    )


# Hand-written prose of §5 and §6 may quote these figures: the survey's figures that P1 cites,
# and the months in which the presets' policies start and their runs end (inputs).
ALLOWED_FIGURES = frozenset({"78%", "7%", "24", "120"})
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
NUMBER_WORDS = re.compile(
    r"\b(?:halve[sd]?|half|thirds?|quarters?|fifths?|twice|doubl\w*|tripl\w*|quadrupl\w*"
    r"|\w+fold|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|several) (?:times|to one)|one in \w+)\b",
    re.IGNORECASE,
)
NOT_PROSE = (
    "|",  # tables, the generated ones and the parameter tables
    "#",  # headings
    "---",
    "**Represent",  # inputs: the settings of each preset and its sources' figures
    "**Switch",
    "**Sources.",  # citations
    "**How the numbers",  # the rule of the summaries, checked against SAME above
)


def hand_written_prose(document: str) -> str:
    """The hand-written prose of §5 and §6: without generated blocks, tables, code, headings,
    the inputs and citations paragraphs, inline code, citations and section references."""
    text = document[document.index("## 5 The preset scenarios") :]
    text = re.sub(r"<!-- (table|summary):(\w+) -->.*?<!-- /\1:\2 -->", "", text, flags=re.S)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if not p.lstrip().startswith(NOT_PROSE)]
    text = "\n\n".join(paragraphs)
    # Inline code, citations (003@118821, the review of December 2026, model v2), pattern
    # names (P7) and section numbers (§5.7).
    return re.sub(r"`[^`]*`|\d{3}@\d+|December 2026|[Mm]odel v2|\bP\d\b|§\d+(?:\.\d+)?", "", text)


def hand_measured_figures(document: str) -> list[str]:
    """Figures in the hand-written prose that no table or input setting backs."""
    prose = hand_written_prose(document)
    figures = [n.rstrip(",") for n in NUMBER.findall(prose)]
    return [f for f in figures if f not in ALLOWED_FIGURES] + NUMBER_WORDS.findall(prose)


def test_the_hand_written_prose_measures_nothing():
    assert hand_measured_figures(DOCUMENT) == []


def test_a_hand_measured_figure_is_caught():
    planted = DOCUMENT.replace(
        "Self-organised\naction stays tiny", "Self-organised\naction stays at 0.1%, twice"
    )
    assert planted != DOCUMENT
    assert hand_measured_figures(planted) == ["0.1%", "twice"]


def test_rewriting_a_stale_table_and_summary_restores_them():
    stale = DOCUMENT.replace(
        scenario_tables.tables_in(DOCUMENT)["baseline"], "| metric |\n|---|\n| old | 0.200 |"
    ).replace(scenario_tables.summaries_in(DOCUMENT)["baseline"], "Participation rises by half.")
    assert scenario_tables.rewrite(stale) == DOCUMENT


@pytest.mark.parametrize("kind", ["table", "summary"])
def test_a_document_without_the_markers_is_refused(kind):
    with pytest.raises(ValueError, match=f"lacks the markers of {kind} 'baseline'"):
        scenario_tables._blocks_in(DOCUMENT.replace(f"<!-- {kind}:baseline -->", ""), kind)


def test_the_command_refuses_a_document_without_markers_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    document = tmp_path / "scenarios.md"
    document.write_text("no markers here\n", encoding="utf-8")
    monkeypatch.setattr(scenario_tables, "DOCUMENT", document)
    with pytest.raises(SystemExit) as exit_:
        scenario_tables.main()
    assert exit_.value.code == 2
    assert "lacks the markers of table 'austerity'" in capsys.readouterr().err
    assert document.read_text(encoding="utf-8") == "no markers here\n"
