"""docs/scenarios.md's generated tables match fresh runs of the presets (issue 14)."""

from __future__ import annotations

import pytest

from coprod_sim import scenario_tables as T

DOCUMENT = T.DOCUMENT.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", T.TABLES, ids=lambda s: s.name)
def test_the_table_in_the_document_is_what_the_runs_give(spec):
    assert T.tables_in(DOCUMENT)[spec.name] == T.render(spec), (
        f"docs/scenarios.md table {spec.name!r} is stale: run python -m coprod_sim.scenario_tables"
    )


def test_the_document_states_the_settings_of_the_runs():
    assert f"with {T.CITIZENS:,} citizens" in " ".join(DOCUMENT.split())
    assert "on seeds 0 and 1, averaged" in " ".join(DOCUMENT.split())
    assert T.SEEDS == (0, 1)


def test_rewriting_a_stale_table_restores_it():
    stale = DOCUMENT.replace(
        T.tables_in(DOCUMENT)["baseline"], "| metric |\n|---|\n| old | 0.200 |"
    )
    assert T.rewrite(stale) == DOCUMENT


def test_a_document_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="lacks the markers"):
        T.tables_in(DOCUMENT.replace("<!-- table:baseline -->", ""))
