"""The pattern statistics of `coprod validate` on synthetic data whose answer is known.

Each survey pattern is checked twice: on a survey with the effect built in (it must pass) and on
one without it (it must fail). The time-series patterns get tidy frames built by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coprod_sim.validation import patterns
from coprod_sim.validation.survey import ATTITUDES, COLUMNS

N = 6000


def synthetic_survey(
    seed: int = 1,
    *,
    individual: dict[str, float] | None = None,
    collective: dict[str, float] | None = None,
    efficacy_on_performance: float = 0.0,
    willing: float = 0.8,
) -> pd.DataFrame:
    """A survey whose co-production answers follow logistic models with known coefficients
    (per scale point of an attitude, per age band, for being employed)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "respondent": np.arange(N),
            "age": rng.integers(0, 4, N),
            "education": rng.integers(0, 3, N),
            "employed": rng.random(N) < 0.6,
            "female": rng.random(N) < 0.5,
            "vulnerable": rng.random(N) < 0.15,
            "neighbourhood": rng.integers(0, 8, N),
        }
    )
    for name in ATTITUDES:
        frame[name] = rng.integers(1, 6, N)
    noise = rng.normal(0.0, 0.8, N)
    efficacy = 3.0 + efficacy_on_performance * (frame["perceived_performance"] - 3.0) + noise
    frame["self_efficacy"] = np.clip(np.rint(efficacy), 1, 5).astype(int)

    def answers(coefs: dict[str, float] | None) -> np.ndarray:
        z = np.full(N, -1.5)
        for name, b in (coefs or {}).items():
            x = frame[name].astype(float)
            z += b * (x - x.mean())
        return (rng.random(N) < 1.0 / (1.0 + np.exp(-z))).astype(int)

    frame["individual"] = answers(individual)
    frame["collective"] = answers(collective)
    frame["any"] = frame["individual"] | frame["collective"]
    frame["willing"] = (rng.random(N) < willing).astype(int)
    for col in ("employed", "female", "vulnerable"):
        frame[col] = frame[col].astype(int)
    return frame[list(COLUMNS)]


def passed(checks: list[patterns.Check]) -> dict[str, bool]:
    return {c.check: c.passed for c in checks}


# ------------------------------------------------------------------------------------- P2


def test_p2_fails_when_self_efficacy_has_no_effect() -> None:
    survey = synthetic_survey(individual={"trust_in_staff": 0.3}, collective={"age": -0.2})
    result = passed(patterns.p2(survey))
    assert result == {"P2a": False, "P2b": False, "P2c": False}
    assert not patterns.verdicts(patterns.p2(survey))["P2"]
    or_individual = patterns.p2(survey)[0]
    assert or_individual.low < 1.0 < or_individual.high


def test_p2_passes_with_the_effect_built_in() -> None:
    survey = synthetic_survey(individual={"self_efficacy": 0.3}, collective={"self_efficacy": 0.7})
    checks = patterns.p2(survey)
    assert passed(checks) == {"P2a": True, "P2b": True, "P2c": True}
    # the odds ratios recover the built-in coefficients
    assert checks[0].low < math.exp(0.3) < checks[0].high
    assert checks[1].low < math.exp(0.7) < checks[1].high
    assert checks[2].low < math.exp(0.4) < checks[2].high


def test_p2_fails_when_the_effect_is_no_stronger_for_collective() -> None:
    survey = synthetic_survey(individual={"self_efficacy": 0.5}, collective={"self_efficacy": 0.5})
    assert passed(patterns.p2(survey)) == {"P2a": True, "P2b": True, "P2c": False}


# ------------------------------------------------------------------------------------- P3


def test_p3_passes_with_a_shortfall_effect_and_an_efficacy_link() -> None:
    survey = synthetic_survey(
        individual={"perceived_performance": -0.3}, efficacy_on_performance=0.3
    )
    assert passed(patterns.p3(survey)) == {"P3a": True, "P3b": True}


def test_p3_fails_without_them() -> None:
    survey = synthetic_survey(individual={"perceived_performance": 0.3})
    assert passed(patterns.p3(survey)) == {"P3a": False, "P3b": False}


# ------------------------------------------------------------------------------------- P4


def test_p4_passes_with_the_age_and_employment_effects() -> None:
    survey = synthetic_survey(individual={"age": 0.3}, collective={"age": -0.3, "employed": -0.7})
    assert passed(patterns.p4(survey)) == {"P4a": True, "P4b": True, "P4c": True}


def test_p4_fails_with_the_signs_reversed() -> None:
    survey = synthetic_survey(individual={"age": -0.3}, collective={"age": 0.3, "employed": 0.5})
    assert passed(patterns.p4(survey)) == {"P4a": False, "P4b": False, "P4c": False}


# ------------------------------------------------------------------------------------- P1


def test_p1_gap() -> None:
    rng = np.random.default_rng(5)
    wide = synthetic_survey(willing=0.78)
    wide["any"] = (rng.random(N) < 0.12).astype(int)  # the German survey's 70-78% vs 7-12%
    narrow = synthetic_survey(willing=0.78)
    narrow["any"] = (rng.random(N) < 0.2).astype(int)  # ratio 3.9: not 4x
    assert patterns.p1(wide)[0].passed
    assert not patterns.p1(narrow)[0].passed


def test_share_ratio_interval_covers_the_truth() -> None:
    """Over many synthetic surveys of one run, the 95% interval covers the true ratio about 95%
    of the time (80 surveys: at least 68 must cover). The two answers are correlated, as
    willingness and co-production are, so the covariance term matters: without it the interval
    is too wide, with its sign flipped too narrow."""
    rng = np.random.default_rng(7)
    covered, widths = 0, []
    for _ in range(80):
        a = (rng.random(2000) < 0.6).astype(int)
        # co-producers are mostly among the willing: b = 1 for a quarter of the willing only
        b = a * (rng.random(2000) < 0.25)
        _, low, high = patterns.share_ratio(pd.DataFrame({"a": a, "b": b}), "a", "b")
        covered += low < 4.0 < high
        widths.append(np.log(high / low))
    assert covered >= 68
    # the exact log-ratio sd for this design: sqrt((1 - 0.25) / (n * 0.6 * 0.25)) = 0.0500
    assert np.mean(widths) == pytest.approx(2 * 1.959964 * 0.05, rel=0.05)


def test_a_pooled_survey_has_intervals_by_replication() -> None:
    """Respondents of one run share its state: with a run-level shock in co-production, the
    pooled survey's intervals (replication intercepts, clustered by replication) must be wider
    than if the respondents were independent."""
    rng = np.random.default_rng(11)
    runs = []
    for r in range(8):
        part = synthetic_survey(seed=100 + r, individual={"self_efficacy": 0.3})
        shock = rng.normal(0.0, 0.8)
        # each run has its own base rate and its own strength of the effect
        z = -1.5 + shock + (0.3 + 0.3 * rng.normal()) * (part["self_efficacy"] - 3)
        part["individual"] = (rng.random(len(part)) < 1 / (1 + np.exp(-z))).astype(int)
        part["any"] = part["individual"] | part["collective"]
        part.insert(0, "replication", r)
        runs.append(part)
    pooled = pd.concat(runs, ignore_index=True)
    clustered = patterns.logit_odds_ratio(pooled, "individual", "self_efficacy")
    naive = patterns.logit_odds_ratio(
        pooled.drop(columns="replication"), "individual", "self_efficacy"
    )
    width = lambda iv: np.log(iv[2] / iv[1])  # noqa: E731
    assert width(clustered) > 1.5 * width(naive)
    # P1 of a pooled survey uses the replications' shares
    est, _, _ = patterns.share_ratio(pooled, "willing", "any")
    shares = pooled.groupby("replication")[["willing", "any"]].mean()
    assert est == pytest.approx(shares["willing"].mean() / shares["any"].mean())


def test_a_survey_without_co_producers_fails_with_a_reason() -> None:
    survey = synthetic_survey()
    survey["individual"] = 0
    survey["any"] = survey["collective"]
    checks = patterns.p2(survey)
    assert not checks[0].passed and "nobody" in checks[0].note
    assert checks[0].observed.startswith("n/a")


# ------------------------------------------------------------------------ time-series patterns


def series(rows: list[dict]) -> pd.DataFrame:
    """Tidy series from (scenario, replication, month, values) rows."""
    return pd.DataFrame(rows)


def mode_rows(delivery: float, design: float, assessment: float, commissioning: float):
    rng = np.random.default_rng(3)
    return [
        {
            "scenario": "baseline",
            "replication": r,
            "month": patterns.SURVEY_MONTH,
            "participation_co_delivery": delivery + 0.002 * rng.standard_normal(),
            "participation_co_design": design + 0.002 * rng.standard_normal(),
            "participation_co_assessment": assessment + 0.002 * rng.standard_normal(),
            "participation_co_commissioning": commissioning + 0.001 * rng.standard_normal(),
        }
        for r in range(6)
    ]


def test_p5() -> None:
    assert passed(patterns.p5(series(mode_rows(0.08, 0.02, 0.03, 0.005)))) == {
        "P5a": True,
        "P5b": True,
    }
    assert passed(patterns.p5(series(mode_rows(0.02, 0.05, 0.03, 0.04)))) == {
        "P5a": False,
        "P5b": False,
    }


def test_p5_reads_years_2_to_5_not_one_month() -> None:
    """A single month in which co-design overtakes co-delivery does not decide P5a."""
    rows = []
    for r in range(6):
        for month in range(patterns.P5_YEAR[0], patterns.P5_YEAR[1] + 1):
            spike = month == patterns.SURVEY_MONTH
            rows.append(
                {
                    "scenario": "baseline",
                    "replication": r,
                    "month": month,
                    "participation_co_delivery": 0.06 + 0.001 * r,
                    "participation_co_design": (0.3 if spike else 0.02) + 0.001 * r,
                    "participation_co_assessment": 0.01,
                    "participation_co_commissioning": 0.004,
                }
            )
    frame = series(rows)
    assert passed(patterns.p5(frame))["P5a"]
    assert not passed(patterns.p5(frame[frame["month"] == patterns.SURVEY_MONTH]))["P5a"]


def feedback_rows(decay: float, closed_level: float):
    rows = []
    for r in range(6):
        for month in range(0, patterns.P6_AFTER + 1):
            wobble = 0.001 * np.sin(month + r)
            rows.append(
                {
                    "scenario": patterns.NO_FEEDBACK,
                    "replication": r,
                    "month": month,
                    "participation_co_assessment": 0.02 * decay ** (month / 12) + wobble,
                    "participation_any": 0.1,
                }
            )
            rows.append(
                {
                    "scenario": patterns.FEEDBACK,
                    "replication": r,
                    "month": month,
                    "participation_co_assessment": (
                        0.02 * decay ** (month / 12) if month < 24 else closed_level
                    )
                    + wobble,
                    "participation_any": 0.1,
                }
            )
    return rows


def test_p6() -> None:
    assert passed(patterns.p6(series(feedback_rows(0.8, 0.02)))) == {"P6a": True, "P6b": True}
    assert passed(patterns.p6(series(feedback_rows(1.0, 0.015)))) == {"P6a": False, "P6b": False}


def crisis_rows(signed: float, first: float, matched: float, waiting: float):
    """Sign-ups, matched in the first month and by the end, and still waiting at the end
    (everyone not matched in the first month waits at first)."""
    rows = []
    for r in range(5):
        jitter = 1.0 + 0.01 * r
        for month, done, wait in (
            (patterns.P7_CALL, first, signed - first),
            (patterns.P7_CALL + patterns.P7_CRISIS_MONTHS - 1, matched, waiting),
        ):
            rows.append(
                {
                    "scenario": patterns.CRISIS,
                    "replication": r,
                    "month": month,
                    "volunteers_signed_up": signed * jitter,
                    "volunteers_matched": done * jitter,
                    "volunteers_waiting": wait * jitter,
                }
            )
    return rows


def test_p7() -> None:
    # 130 sign up, 3.5 matched in month 1, 21 by the end, 20 still waiting: of the 126.5
    # kept waiting, 17.5 were matched later and 89 gave up
    assert all(passed(patterns.p7(series(crisis_rows(130, 3.5, 21, 20)))).values())
    # a call that the service can absorb: half matched at once, the rest matched or waiting
    assert not any(passed(patterns.p7(series(crisis_rows(40, 20, 30, 10)))).values())
    # a call that is over-answered, but whose volunteers mostly wait on: 126.5 kept waiting,
    # 17.5 matched later, 80 still waiting, so only 29 (23%) gave up
    checks = patterns.p7(series(crisis_rows(130, 3.5, 21, 80)))
    assert passed(checks) == {"P7a": True, "P7b": True, "P7c": False}
    assert checks[2].estimate == pytest.approx(29.0 / 126.5)


def austerity_rows(volunteers_up: float, exploited_up: float):
    rows = []
    for r in range(5):
        for scenario in (patterns.AUSTERITY, patterns.BASELINE):
            cut = scenario == patterns.AUSTERITY
            for month, after in ((patterns.P8_BEFORE, False), (patterns.P8_AFTER, True)):
                rows.append(
                    {
                        "scenario": scenario,
                        "replication": r,
                        "month": month,
                        "paid_staff": 20.0 * (0.75 if cut and after else 1.0),
                        "co_delivery_volunteers": 50.0
                        * (volunteers_up if cut and after else 1.0)
                        * (1 + 0.01 * r),
                        "staff_resistance": 0.3 + (0.2 if cut and after else 0.0) + 0.01 * r,
                        "exploited_share": 0.05
                        + (exploited_up if cut and after else 0.0)
                        + 0.002 * r * after,
                    }
                )
    return rows


def test_p8() -> None:
    assert all(passed(patterns.p8(series(austerity_rows(1.9, 0.05)))).values())
    result = passed(patterns.p8(series(austerity_rows(0.9, 0.0))))
    assert result == {"P8a": True, "P8b": False, "P8c": True, "P8d": False}


# ----------------------------------------------------------------------------- the machinery


def test_replicate_mean() -> None:
    est, _, high = patterns.replicate_mean(np.array([1.0, 2.0, 3.0]))
    assert est == 2.0
    assert high - est == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    assert isinstance(patterns.replicate_mean(np.array([1.0])), str)


def test_a_check_without_a_value_fails_and_margins_have_the_right_sign() -> None:
    nan = patterns._check("P1", "", "x", "000@1", "> 1", 1.0, True, "no data")
    assert not nan.passed and nan.observed == "n/a (no data)"
    above = patterns._check("P1", "", "x", "000@1", "> 1", 1.0, True, (2.0, 1.5, 2.5), "ratio")
    below = patterns._check("P1", "", "x", "000@1", "< 1", 1.0, False, (2.0, 1.5, 2.5), "ratio")
    assert above.passed and patterns.margin(above) == pytest.approx(math.log(1.5))
    assert not below.passed and patterns.margin(below) == pytest.approx(-math.log(2.5))
    assert patterns.margin(nan) < 0


def test_every_check_cites_its_source_and_every_pattern_has_checks() -> None:
    survey = synthetic_survey(individual={"self_efficacy": 0.3})
    checks = patterns.p1(survey) + patterns.p2(survey) + patterns.p3(survey) + patterns.p4(survey)
    checks += patterns.p5(series(mode_rows(0.08, 0.02, 0.03, 0.005)))
    checks += patterns.p6(series(feedback_rows(0.8, 0.02)))
    checks += patterns.p7(series(crisis_rows(130, 3.5, 21, 20)))
    checks += patterns.p8(series(austerity_rows(1.9, 0.05)))
    assert sorted({c.pattern for c in checks}) == [f"P{i}" for i in range(1, 9)]
    assert all("@" in c.source for c in checks)
    table = patterns.table(checks)
    assert list(table["check"]) == [c.check for c in checks]


def test_replicate_ratio_is_the_ratio_of_means_with_a_paired_interval() -> None:
    top = np.array([2.0, 4.0, 6.0, 8.0])
    est, low, high = patterns.replicate_ratio(top, top / 2.0)
    # perfectly paired: the ratio is exactly 2 in every replication, so no uncertainty
    assert est == pytest.approx(2.0) and low == pytest.approx(2.0) and high == pytest.approx(2.0)
    est, low, high = patterns.replicate_ratio(top, np.array([4.0, 1.0, 5.0, 0.5]))
    assert est == pytest.approx(20.0 / 10.5)
    assert low < est < high
    assert isinstance(patterns.replicate_ratio(top, np.zeros(4)), str)
