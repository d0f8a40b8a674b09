"""`coprod validate`: the survey drawn from the model, the runs, bad options, and a reduced
validation that must pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coprod_sim.cli import app
from coprod_sim.membership import COLLECTIVE, INDIVIDUAL
from coprod_sim.model import CoproductionModel
from coprod_sim.validation import patterns, runner, survey
from tests.stand_ins import empty_svgs

cli = CliRunner()


@pytest.fixture(scope="module")
def model() -> CoproductionModel:
    m = CoproductionModel(rng=3, n_citizens=600)
    for _ in range(14):
        m.step()
    return m


def test_participation_is_remembered_month_by_month(model: CoproductionModel) -> None:
    c = model.state.citizens
    flags = model.state.membership.citizen_flags(model.state)
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
        answers = survey.draw(state, np.random.default_rng(0))
    finally:
        c.last_individual[:], c.last_collective[:] = saved
    assert list(answers.columns) == list(survey.COLUMNS)
    assert len(answers) == c.n
    inside = answers["respondent"] < 10
    assert answers.loc[inside, "individual"].eq(1).all()
    assert answers.loc[~inside, "individual"].eq(0).all()
    assert answers["collective"].eq(0).all()
    assert (answers["any"] == answers["individual"] | answers["collective"]).all()


def test_survey_answers(model: CoproductionModel) -> None:
    answers = survey.draw(model.state, np.random.default_rng(1), size=200)
    assert len(answers) == 200 and answers["respondent"].is_unique
    for name in survey.ATTITUDES:
        assert answers[name].between(1, 5).all()
    # the five-point answers follow the agents' levels
    c = model.state.citizens
    true = c.self_efficacy[answers["respondent"].to_numpy()]
    assert np.corrcoef(true, answers["self_efficacy"])[0, 1] > 0.6
    assert 0.2 < answers["willing"].mean() < 1.0


def test_drawing_the_survey_does_not_change_the_run() -> None:
    plain = runner.run_job(runner.Job("baseline", 0, 5, 14, {"n_citizens": 300}))
    surveyed = runner.run_job(
        runner.Job("baseline", 0, 5, 14, {"n_citizens": 300}, survey_month=12)
    )
    assert plain[2] is None and surveyed[2] is not None
    pd.testing.assert_frame_equal(plain[1], surveyed[1])


def test_every_pattern_gets_its_runs() -> None:
    jobs = runner.jobs(2, 10, {"n_citizens": 300})
    needed = {s for scenarios in patterns.SCENARIOS.values() for s in scenarios}
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
        (["--seed", "-1"], ["--seed", "value -1", "allowed: an integer >= 0"]),
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


@pytest.mark.parametrize("blocker", ["validation.md/", "validation"])
def test_an_out_whose_page_or_figures_cannot_be_written_exits_2_before_running(
    tmp_path: Path, blocker: str
) -> None:
    """validation.md is a folder, or validation/ is a file: refused before any run."""
    if blocker.endswith("/"):
        (tmp_path / blocker).mkdir()
    else:
        (tmp_path / blocker).write_text("a file")
    result = cli.invoke(app, ["validate", "--out", str(tmp_path), "--replications", "2"])
    assert result.exit_code == 2, result.output
    assert f"--out {tmp_path}" in result.output and "allowed:" in result.output
    assert "Validating" not in result.output  # nothing ran


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
    """Fewer citizens and replications than the default, as CI affords, on seeds (50-79) that
    neither calibration stage used: every pattern must still hold, the page must list every
    check, and the figures must be written."""
    result = cli.invoke(
        app,
        [
            "validate",
            "--replications",
            "30",
            "--citizens",
            "3000",
            "--seed",
            "50",
            "--out",
            str(tmp_path),
        ],
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


def test_a_failing_pattern_exits_1_and_still_writes_the_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 300 citizens and 2 replications the intervals are far too wide for every pattern
    to pass: the command says which failed, writes the page with FAIL rows, and exits 1.
    (The figures are stand-ins: this test checks the page.)"""
    from coprod_sim.validation import document

    monkeypatch.setattr(document, "_export", empty_svgs)
    result = cli.invoke(
        app, ["validate", "--replications", "2", "--citizens", "300", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    assert "failed: " in result.output
    page = (tmp_path / "validation.md").read_text()
    assert "| **FAIL** |" in page
    assert "Traceback" not in result.output
    figures = sorted(p.name for p in (tmp_path / "validation").iterdir())
    assert len(figures) == 6 and all(f"validation/{name}" in page for name in figures)


# ------------------------------------------------------------------ the page and its figures


def _evidence():
    return runner.collect(2, 0, {"n_citizens": 300})


def test_writing_replaces_the_page_and_figures_together(tmp_path: Path, monkeypatch) -> None:
    """If the page cannot be put in place, the previous page and figures come back as they
    were, and no staging files are left behind."""
    from coprod_sim.validation import document

    evidence = _evidence()
    checks = evidence.checks()
    # a cheap export, so that the test does not need a browser
    monkeypatch.setattr(document, "_export", empty_svgs)
    document.write(tmp_path, evidence, checks, "coprod validate")
    before = (tmp_path / "validation.md").read_text()
    (tmp_path / "validation" / "marker").write_text("previous figures")

    real_replace = document.os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("validation.md"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(document.os, "replace", failing_replace)
    with pytest.raises(OSError):
        document.write(tmp_path, evidence, checks, "coprod validate --seed 1")
    assert (tmp_path / "validation.md").read_text() == before
    assert (tmp_path / "validation" / "marker").read_text() == "previous figures"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validation", "validation.md"]


# ---------------------------------------------------------- mechanisms added for the patterns


def test_the_councils_record_of_acting_on_feedback_spreads() -> None:
    """P6's mechanism: the record of acting on co-assessment is learnt from the rounds, and
    everyone's expectation of a response follows it, not only the co-assessors'."""

    def run(acted: float) -> CoproductionModel:
        m = CoproductionModel(rng=4, n_citizens=1000, feedback_loop_closed=acted)
        for _ in range(36):
            m.step()
        return m

    deaf, listening = run(0.05), run(0.9)
    assert deaf.state.running.voice_record < 0.2 < 0.7 < listening.state.running.voice_record
    never = (deaf.state.citizens.last_individual < 0) & (deaf.state.citizens.last_collective < 0)
    assert never.sum() > 500
    c_deaf, c_listening = deaf.state.citizens, listening.state.citizens
    # citizens who never co-produced still expect less of a council that never listens
    assert c_deaf.expects_response[never].mean() < c_listening.expects_response[never].mean() - 0.2


def test_the_record_does_not_move_without_rounds() -> None:
    m = CoproductionModel(rng=4, n_citizens=300, initiatives_per_staff=0.0, steps=3)
    for _ in range(3):
        m.step()
    assert m.state.initiatives.n == 0  # no initiative yet, so no co-assessment round
    assert m.state.running.voice_record == 0.5


def test_collective_participants_persist_by_their_collective_willingness() -> None:
    """The exits of 000@17487: when self-efficacy weighs heavily in collective willingness
    only, collective participants with low self-efficacy leave more often than those with
    high self-efficacy, and much more so than for individual places."""
    from coprod_sim.submodels import participation

    m = CoproductionModel(rng=2, n_citizens=4000, efficacy_weight_collective=20.0)
    for _ in range(6):
        m.step()
    state = m.state
    c, ini = state.citizens, state.initiatives
    base = participation.base_index(state)
    mode, cit, k = state.membership.active_entries(state)
    collective = ini.collective[k]
    low = c.self_efficacy[cit] < np.median(c.self_efficacy[cit])
    held, members = c.initiative_of.copy(), ini.members.copy()
    left = np.zeros(cit.size)
    draws = 300
    for r in range(draws):
        participation._exits(state, base, np.random.default_rng(r))
        left += c.initiative_of[mode, cit] < 0
        c.initiative_of[:], ini.members[:] = held, members
        state.membership.changed()
    rate = left / draws

    def gap(kind: np.ndarray) -> float:
        return rate[kind & low].mean() - rate[kind & ~low].mean()

    assert collective.sum() > 50 and (~collective).sum() > 50
    assert gap(collective) > 0.03
    assert gap(collective) > 3 * gap(~collective)
