"""`coprod validate`: the survey drawn from the model, the runs, bad options, and a reduced
validation that must pass (issue 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.model import CoproductionModel
from coprod_sim.submodels._membership import COLLECTIVE, INDIVIDUAL, citizen_codes, place_codes
from coprod_sim.validation import patterns as PT
from coprod_sim.validation import runner as VR
from coprod_sim.validation import survey as SV

cli = CliRunner()


@pytest.fixture(scope="module")
def model() -> CoproductionModel:
    m = CoproductionModel(rng=3, n_citizens=600)
    for _ in range(14):
        m.step()
    return m


def test_participation_is_remembered_month_by_month(model: CoproductionModel) -> None:
    c = model.state.citizens
    flags = citizen_codes(place_codes(model.state))
    now = model.state.month
    assert (c.last_individual[(flags & INDIVIDUAL) > 0] == now).all()
    assert (c.last_collective[(flags & COLLECTIVE) > 0] == now).all()
    # somebody who took part earlier and left is remembered with an earlier month
    assert ((c.last_individual >= 0) & (c.last_individual < now)).any()


def test_the_survey_asks_about_the_last_12_months(model: CoproductionModel) -> None:
    state = model.state
    c = state.citizens
    saved = (c.last_individual.copy(), c.last_collective.copy())
    try:
        c.last_individual[:] = state.month - 12  # 13 months ago: outside the window
        c.last_collective[:] = -(10**6)
        c.last_individual[:10] = state.month - 11  # 12 months ago, counting this one: inside
        answers = SV.draw(state, np.random.default_rng(0))
    finally:
        c.last_individual[:], c.last_collective[:] = saved
    assert list(answers.columns) == list(SV.COLUMNS)
    assert len(answers) == c.n
    inside = answers["respondent"] < 10
    assert answers.loc[inside, "individual"].eq(1).all()
    assert answers.loc[~inside, "individual"].eq(0).all()
    assert answers["collective"].eq(0).all()
    assert (answers["any"] == answers["individual"] | answers["collective"]).all()


def test_survey_answers(model: CoproductionModel) -> None:
    answers = SV.draw(model.state, np.random.default_rng(1), size=200)
    assert len(answers) == 200 and answers["respondent"].is_unique
    for name in SV.ATTITUDES:
        assert answers[name].between(1, 5).all()
    # the five-point answers follow the agents' levels
    c = model.state.citizens
    true = c.self_efficacy[answers["respondent"].to_numpy()]
    assert np.corrcoef(true, answers["self_efficacy"])[0, 1] > 0.6
    assert 0.2 < answers["willing"].mean() < 1.0


def test_drawing_the_survey_does_not_change_the_run() -> None:
    plain = VR.run_job(VR.Job("baseline", 0, 5, 14, {"n_citizens": 300}))
    surveyed = VR.run_job(VR.Job("baseline", 0, 5, 14, {"n_citizens": 300}, survey_month=12))
    assert plain[2] is None and surveyed[2] is not None
    pd.testing.assert_frame_equal(plain[1], surveyed[1])


def test_every_pattern_gets_its_runs() -> None:
    jobs = VR.jobs(2, 10, {"n_citizens": 300})
    needed = {s for scenarios in PT.SCENARIOS.values() for s in scenarios}
    assert {j.preset for j in jobs} == needed
    assert {j.seed for j in jobs} == {10, 11}
    assert [j.preset for j in jobs if j.survey_month] == ["baseline", "baseline"]


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--replications", "1"], ["--replications", "value 1", "allowed: an integer >= 2"]),
        (["--citizens", "5"], ["--citizens", "n_citizens", "5"]),
        (["--workers", "-1"], ["--workers", "value -1", "allowed: an integer >= 0"]),
        (["--workers", "1", "--scheduler", "tcp://x:1"], ["both given"]),
    ],
)
def test_bad_options_exit_2_and_leave_the_document(tmp_path: Path, args, expected) -> None:
    page = tmp_path / "validation.md"
    page.write_text("earlier document\n")
    result = cli.invoke(app, ["validate", "--out", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output
    assert "Traceback" not in result.output
    assert page.read_text() == "earlier document\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validation.md"]


def test_an_out_that_is_a_file_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    result = cli.invoke(app, ["validate", "--out", str(target), "--replications", "2"])
    assert result.exit_code == 2
    assert f"--out {target}" in result.output and "it is a file" in result.output
    assert target.read_text() == "keep me"


# ------------------------------------------------------------------------ the reduced command


@pytest.mark.slow
def test_a_reduced_validation_passes(tmp_path: Path) -> None:
    """Fewer citizens and replications than the default, as CI affords: every pattern must
    still hold, the page must list every check, and the figures must be written."""
    result = cli.invoke(
        app,
        ["validate", "--replications", "10", "--citizens", "3000", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "8 of 8 patterns pass" in result.output
    page = (tmp_path / "validation.md").read_text()
    assert "**8 of 8 patterns pass**" in page
    for check in ("P1", "P2c", "P3b", "P4c", "P5b", "P6b", "P7c", "P8d"):
        assert f"| {check} |" in page
    figures = sorted(p.name for p in (tmp_path / "validation").iterdir())
    assert len(figures) == 6
    for name in figures:
        assert f"validation/{name}" in page


def test_a_failing_pattern_exits_1_and_still_writes_the_document(tmp_path: Path) -> None:
    """With 300 citizens and 2 replications the intervals are far too wide for every pattern
    to pass: the command says which failed, writes the page with FAIL rows, and exits 1."""
    result = cli.invoke(
        app, ["validate", "--replications", "2", "--citizens", "300", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    assert "failed: " in result.output
    page = (tmp_path / "validation.md").read_text()
    assert "| **FAIL** |" in page
    assert "Traceback" not in result.output
