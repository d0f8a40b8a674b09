"""The statistics of the eight empirical patterns (ODD §1.2), each with a 95% interval.

Every pattern is split into checks. A check passes when its whole 95% interval lies on the
side the evidence expects (an association significant at the 5% level, as in the chapters'
surveys, 000@12238; a ratio whose lower bound clears the threshold). A pattern passes when all
its checks pass. The functions are pure: they read a survey (:mod:`.survey`) and tidy time
series (one row per scenario, replication and month) and never run the model, so each can be
tested on data whose answer is known.

- Associations (P2-P4): logistic regressions of co-production in the last 12 months on
  attitudes and demographics (statsmodels), reported as odds ratios per scale point or band;
  "more strongly with collective" is the interaction in a stacked regression. The
  self-efficacy-performance link is a linear regression. A survey pooled over replications gets
  one intercept per replication and standard errors clustered by replication (respondents of
  one run share its state), with t quantiles; a survey of one run gets respondent-level errors.
- Ratios and time courses (P1, P5-P8): from the replications, a ratio of means with a
  delta-method t interval, or a mean difference with a t interval (the same seeds run every
  scenario, so contrasts are paired); P1 of a survey of one run by the delta method over
  respondents.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .survey import ATTITUDES

SURVEY_MONTH = 60
"""The survey is drawn at month 60, five years in (the issue's cross-section)."""
COVARIATES: tuple[str, ...] = (*ATTITUDES, "age", "employed", "female", "education")
"""The regressors of every logistic regression: attitudes and demographics together, as in the
multivariate analyses behind the chapter (Bovaird et al. 2015, Parrado et al. 2013)."""
Z95 = stats.norm.ppf(0.975)

# contrasting scenarios (presets in scenarios/)
BASELINE = "baseline"
NO_FEEDBACK = "consultation_without_feedback"
FEEDBACK = "feedback_loop_closed"
CRISIS = "pandemic"
AUSTERITY = "austerity"

P6_FIRST_YEAR, P6_LAST_YEAR = (1, 12), (49, 60)
"""P6 compares co-assessment in the fifth year with the first, averaged over a year so that
the yearly governance cycle does not decide the answer; the contrasting preset closes the
feedback loop from month 24 (the two are identical until then)."""
P6_AFTER = P6_LAST_YEAR[1]
P5_YEAR = (13, 60)
"""P5 reads the modes over years 2-5 (after the first yearly review, up to the survey): the
rarer modes live in a handful of initiatives, so a single year's shares move by half whenever one
more initiative runs."""
P7_CALL, P7_CRISIS_MONTHS = 63, 6
"""The pandemic preset's call for volunteers (month 63) and its six months of crisis."""
P8_BEFORE, P8_AFTER = 23, 72
"""P8 compares the month before the first cut (24) with a year after the last one (60)."""


@dataclass(frozen=True)
class Check:
    """One statistic of a pattern against what the evidence expects."""

    pattern: str  # "P2"
    check: str  # "P2b"
    label: str  # what is measured
    source: str  # seed file @ offset
    expected: str  # in words
    threshold: float
    above: bool  # True: the interval must lie above the threshold; False: below it
    estimate: float
    low: float
    high: float
    unit: str = ""
    note: str = ""  # why it could not be computed, when it could not

    @property
    def passed(self) -> bool:
        if not all(math.isfinite(v) for v in (self.estimate, self.low, self.high)):
            return False
        return self.low > self.threshold if self.above else self.high < self.threshold

    @property
    def observed(self) -> str:
        if not math.isfinite(self.estimate):
            return f"n/a ({self.note})" if self.note else "n/a"
        return f"{_fmt(self.estimate)} [{_fmt(self.low)}, {_fmt(self.high)}]"


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"


def _check(
    pattern: str,
    suffix: str,
    label: str,
    source: str,
    expected: str,
    threshold: float,
    above: bool,
    interval: tuple[float, float, float] | str,
    unit: str = "",
) -> Check:
    """A :class:`Check` from ``(estimate, low, high)``, or from a reason it has none."""
    if isinstance(interval, str):
        est = low = high = math.nan
        note = interval
    else:
        (est, low, high), note = interval, ""
    return Check(
        pattern, pattern + suffix, label, source, expected, threshold, above, est, low, high, unit,
        note,
    )  # fmt: skip


# ------------------------------------------------------------------------ interval estimators


def _fit(fitter: Callable[[], object]) -> object | str:
    """Fit a statsmodels model, or say why it cannot be fitted (no variation, separation)."""
    import statsmodels.tools.sm_exceptions as sme

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fitter()
        except (np.linalg.LinAlgError, sme.PerfectSeparationError, ValueError) as err:
            return f"cannot be fitted: {type(err).__name__}"


def _replications(survey: pd.DataFrame) -> np.ndarray | None:
    """The replication of each respondent, or None for a survey of one run."""
    if "replication" not in survey or survey["replication"].nunique() < 2:
        return None
    return survey["replication"].to_numpy()


def _design(survey: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Regressors: a constant, ``columns`` and, for a survey pooled over replications, one
    intercept per replication (each run is its own town, with its own base rates)."""
    X = survey[list(columns)].astype(float)
    X.insert(0, "const", 1.0)
    groups = _replications(survey)
    if groups is not None:
        dummies = pd.get_dummies(groups, prefix="rep", drop_first=True, dtype=float)
        X = pd.concat([X.reset_index(drop=True), dummies], axis=1)
    return X


def _cluster(survey: pd.DataFrame, fallback: str = "nonrobust") -> dict:
    """Covariance options: clustered by replication (respondents of one run share its state,
    so they are not independent; t quantiles with one degree of freedom per cluster less one),
    or ``fallback`` for a survey of one run."""
    groups = _replications(survey)
    if groups is None:
        return {"cov_type": fallback}
    return {"cov_type": "cluster", "cov_kwds": {"groups": groups}, "use_t": True}


def _interval(fit, term: str, exp: bool) -> tuple[float, float, float] | str:
    """Estimate and 95% interval of ``term`` (from the fit's own quantiles: t when clustered)."""
    b = float(fit.params[term])
    low, high = (float(x) for x in fit.conf_int(alpha=0.05).loc[term])
    if not all(math.isfinite(v) for v in (b, low, high)):
        return "the estimate is not finite (separation)"
    return (math.exp(b), math.exp(low), math.exp(high)) if exp else (b, low, high)


def _converged(fit) -> bool:
    retvals = getattr(fit, "mle_retvals", None) or {}
    return bool(retvals.get("converged", True))


def logit_odds_ratio(
    survey: pd.DataFrame, outcome: str, term: str
) -> tuple[float, float, float] | str:
    """The odds ratio of ``term`` in the logistic regression of ``outcome`` on
    :data:`COVARIATES` (plus one intercept per replication), with its 95% interval."""
    import statsmodels.api as sm

    y = survey[outcome].to_numpy(dtype=float)
    if y.min() == y.max():
        return f"nobody or everybody answered yes to {outcome}"
    X = _design(survey, COVARIATES)
    fit = _fit(lambda: sm.Logit(y, X).fit(disp=0, maxiter=200, **_cluster(survey)))
    if isinstance(fit, str):
        return fit
    if not _converged(fit):
        return "the logistic regression did not converge"
    return _interval(fit, term, exp=True)


def stacked_interaction(
    survey: pd.DataFrame, term: str, first: str = "individual", second: str = "collective"
) -> tuple[float, float, float] | str:
    """How many times larger the odds ratio of ``term`` is for ``second`` than for ``first``.

    Both outcomes are stacked (one row per respondent and outcome) and every regressor,
    replication intercepts included, interacts with the outcome, so the interaction of ``term``
    is the log ratio of the two odds ratios. Each respondent answers both, so standard errors
    are clustered by respondent, or by replication for a pooled survey (which nests them)."""
    import statsmodels.api as sm

    for outcome in (first, second):
        if survey[outcome].min() == survey[outcome].max():
            return f"nobody or everybody answered yes to {outcome}"
    base = _design(survey, COVARIATES)
    parts, ys = [], []
    for flag, outcome in ((0.0, first), (1.0, second)):
        part = base.copy()
        for name in base.columns:
            part[f"{name}:{second}"] = base[name] * flag
        parts.append(part)
        ys.append(survey[outcome].to_numpy(dtype=float))
    X = pd.concat(parts, ignore_index=True)
    y = np.concatenate(ys)
    groups = _replications(survey)
    if groups is None:
        options = {
            "cov_type": "cluster",
            "cov_kwds": {"groups": np.tile(np.arange(len(survey)), 2)},
        }
    else:
        options = {"cov_type": "cluster", "cov_kwds": {"groups": np.tile(groups, 2)}, "use_t": True}
    fit = _fit(lambda: sm.Logit(y, X).fit(disp=0, maxiter=200, **options))
    if isinstance(fit, str):
        return fit
    if not _converged(fit):
        return "the logistic regression did not converge"
    return _interval(fit, f"{term}:{second}", exp=True)


def ols_slope(
    survey: pd.DataFrame, outcome: str, term: str, controls: Sequence[str]
) -> tuple[float, float, float] | str:
    """The slope of ``term`` in the linear regression of ``outcome`` on it and ``controls``
    (plus one intercept per replication), with a 95% interval robust to heteroscedasticity
    (HC1), or clustered by replication for a pooled survey."""
    import statsmodels.api as sm

    if survey[term].nunique() < 2:
        return f"{term} does not vary"
    X = _design(survey, [term, *controls])
    y = survey[outcome].astype(float).to_numpy()
    fit = _fit(lambda: sm.OLS(y, X).fit(**_cluster(survey, fallback="HC1")))
    if isinstance(fit, str):
        return fit
    return _interval(fit, term, exp=False)


def share_ratio(survey: pd.DataFrame, top: str, bottom: str) -> tuple[float, float, float] | str:
    """The ratio of the shares answering yes to ``top`` and to ``bottom``, with a 95% interval.

    For a survey pooled over replications: the ratio of the replications' shares
    (:func:`replicate_ratio`, respondents of one run are not independent). For one run: the
    delta method on the log ratio over respondents (both answered by the same people)."""
    groups = _replications(survey)
    if groups is not None:
        shares = survey.groupby("replication")[[top, bottom]].mean()
        return replicate_ratio(shares[top], shares[bottom])
    a = survey[top].to_numpy(dtype=float)
    b = survey[bottom].to_numpy(dtype=float)
    n = a.size
    pa, pb = a.mean(), b.mean()
    if pb == 0 or pa == 0:
        return f"nobody answered yes to {bottom if pb == 0 else top}"
    cov = np.cov(a, b, ddof=1)
    var = cov[0, 0] / (n * pa**2) + cov[1, 1] / (n * pb**2) - 2 * cov[0, 1] / (n * pa * pb)
    half = Z95 * math.sqrt(max(var, 0.0))
    r = pa / pb
    return r, r * math.exp(-half), r * math.exp(half)


def replicate_mean(values: np.ndarray | pd.Series) -> tuple[float, float, float] | str:
    """Mean over replications with a 95% t interval."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return "needs at least 2 replications with a value"
    m = float(x.mean())
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def replicate_ratio(
    top: pd.Series | np.ndarray, bottom: pd.Series | np.ndarray
) -> tuple[float, float, float] | str:
    """The ratio of the replications' means of ``top`` and ``bottom`` (paired: replication
    ``i`` of both ran on the same seed), with a 95% interval by the delta method on the log
    ratio and a t quantile. Steadier than the mean of per-replication ratios, whose small
    denominators give heavy tails."""
    a, b = np.asarray(top, dtype=float), np.asarray(bottom, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = a.size
    if n < 2:
        return "needs at least 2 replications with a value"
    ma, mb = float(a.mean()), float(b.mean())
    if ma <= 0 or mb <= 0:
        return "a mean is zero: nothing to compare"
    cov = np.cov(a, b, ddof=1)
    var = (cov[0, 0] / ma**2 + cov[1, 1] / mb**2 - 2 * cov[0, 1] / (ma * mb)) / n
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(max(var, 0.0))
    r = ma / mb
    return r, r * math.exp(-half), r * math.exp(half)


def _at(series: pd.DataFrame, scenario: str, month: int, metric: str) -> pd.Series:
    """One metric of one scenario at one month, indexed by replication."""
    rows = series[(series["scenario"] == scenario) & (series["month"] == month)]
    return rows.set_index("replication")[metric].sort_index()


def mean_over(
    series: pd.DataFrame, scenario: str, months: tuple[int, int], metric: str
) -> pd.Series:
    """One metric of one scenario averaged over ``months`` (inclusive), by replication."""
    rows = series[(series["scenario"] == scenario) & series["month"].between(months[0], months[1])]
    return rows.groupby("replication")[metric].mean().sort_index()


def _ratio(top: pd.Series, bottom: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (top / bottom).replace([np.inf, -np.inf], np.nan)


# ------------------------------------------------------------------------------- the patterns


def p1(survey: pd.DataFrame) -> list[Check]:
    return [
        _check(
            "P1", "", "willing share / share who co-produced in the last 12 months",
            "000@14357-14680",
            ">= 4 (German survey: 78% willing vs 7% who co-produced; 70% vs 12%)",
            4.0, True, share_ratio(survey, "willing", "any"), "ratio",
        )
    ]  # fmt: skip


def p2(survey: pd.DataFrame) -> list[Check]:
    unit = "odds ratio per scale point"
    return [
        _check(
            "P2", "a", "self-efficacy -> individual co-production", "000@10384",
            "odds ratio > 1", 1.0, True,
            logit_odds_ratio(survey, "individual", "self_efficacy"), unit,
        ),
        _check(
            "P2", "b", "self-efficacy -> collective co-production", "000@10384",
            "odds ratio > 1", 1.0, True,
            logit_odds_ratio(survey, "collective", "self_efficacy"), unit,
        ),
        _check(
            "P2", "c", "self-efficacy: collective / individual odds ratio", "000@17073",
            "> 1 (more strongly with collective)", 1.0, True,
            stacked_interaction(survey, "self_efficacy"), "ratio of odds ratios",
        ),
    ]  # fmt: skip


def p3(survey: pd.DataFrame) -> list[Check]:
    return [
        _check(
            "P3", "a", "perceived performance -> individual co-production", "000@12607",
            "odds ratio < 1 (a shortfall prompts co-production)", 1.0, False,
            logit_odds_ratio(survey, "individual", "perceived_performance"),
            "odds ratio per scale point",
        ),
        _check(
            "P3", "b", "perceived performance -> self-efficacy", "000@13334",
            "slope > 0", 0.0, True,
            ols_slope(survey, "self_efficacy", "perceived_performance",
                      ("age", "employed", "female", "education")),
            "scale points per scale point",
        ),
    ]  # fmt: skip


def p4(survey: pd.DataFrame) -> list[Check]:
    return [
        _check(
            "P4", "a", "age -> individual co-production", "000@6969",
            "odds ratio > 1", 1.0, True,
            logit_odds_ratio(survey, "individual", "age"), "odds ratio per age band",
        ),
        _check(
            "P4", "b", "age -> collective co-production", "000@15093",
            "odds ratio < 1", 1.0, False,
            logit_odds_ratio(survey, "collective", "age"), "odds ratio per age band",
        ),
        _check(
            "P4", "c", "employed -> collective co-production", "000@15878",
            "odds ratio < 1", 1.0, False,
            logit_odds_ratio(survey, "collective", "employed"), "odds ratio",
        ),
    ]  # fmt: skip


def p5(series: pd.DataFrame) -> list[Check]:
    def share(mode: str) -> pd.Series:
        return mean_over(series, BASELINE, P5_YEAR, f"participation_{mode}")

    voice = {m: share(m) for m in ("co_commissioning", "co_design", "co_assessment")}
    largest = max(voice, key=lambda m: voice[m].mean())
    others = [m for m in voice if m != "co_commissioning"]
    smaller = min(others, key=lambda m: voice[m].mean())
    name = {m: m.replace("_", "-") for m in voice}
    return [
        _check(
            "P5", "a", f"co-delivery / the largest voice mode ({name[largest]}), years 2-5",
            "003@89524, 003@193721", "> 1 (co-delivery is the commonest mode)", 1.0, True,
            replicate_ratio(share("co_delivery"), voice[largest]), "ratio",
        ),
        _check(
            "P5", "b", f"co-commissioning / the smaller other voice mode ({name[smaller]}), "
            "years 2-5", "003@48557", "< 1 (technical co-commissioning draws fewest)", 1.0, False,
            replicate_ratio(voice["co_commissioning"], voice[smaller]), "ratio",
        ),
    ]  # fmt: skip


def p6(series: pd.DataFrame) -> list[Check]:
    def share_of_coproduction(months: tuple[int, int]) -> pd.Series:
        assess = mean_over(series, NO_FEEDBACK, months, "participation_co_assessment")
        return _ratio(assess, mean_over(series, NO_FEEDBACK, months, "participation_any"))

    closed = mean_over(series, FEEDBACK, P6_LAST_YEAR, "participation_co_assessment")
    without = mean_over(series, NO_FEEDBACK, P6_LAST_YEAR, "participation_co_assessment")
    return [
        _check(
            "P6", "a", "co-assessment's share of co-production, year 5 / year 1, feedback "
            "not acted on", "003@139090", "< 1 (co-assessment decays)", 1.0, False,
            replicate_ratio(share_of_coproduction(P6_LAST_YEAR),
                            share_of_coproduction(P6_FIRST_YEAR)), "ratio",
        ),
        _check(
            "P6", "b", "co-assessment in year 5: loop closed from month 24 / not acted on",
            "000@17862", "> 1 (acting on feedback keeps co-assessors)", 1.0, True,
            replicate_ratio(closed, without), "ratio",
        ),
    ]  # fmt: skip


def p7(series: pd.DataFrame) -> list[Check]:
    end = P7_CALL + P7_CRISIS_MONTHS - 1  # the crisis's last month (the shock ends after it)
    signed = _at(series, CRISIS, end, "volunteers_signed_up")
    matched_first = _at(series, CRISIS, P7_CALL, "volunteers_matched")
    matched_end = _at(series, CRISIS, end, "volunteers_matched")
    waiting_first = _at(series, CRISIS, P7_CALL, "volunteers_waiting")
    waiting_end = _at(series, CRISIS, end, "volunteers_waiting")
    # Of those still waiting after the first month, who left the list without a crisis task?
    # (A few, about 2%, left because they found an ordinary co-delivery place meanwhile.)
    gave_up = waiting_first - waiting_end - (matched_end - matched_first)
    return [
        _check(
            "P7", "a", "signed up / given tasks during the crisis", "002@60710",
            ">= 3 (750,000 signed up against 250,000 expected)", 3.0, True,
            replicate_ratio(signed, matched_end), "ratio",
        ),
        _check(
            "P7", "b", "share of sign-ups given a task in the first month", "000@98274",
            "< 0.1 (20,000 of 750,000: 2.7%)", 0.1, False,
            replicate_ratio(matched_first, signed), "share",
        ),
        _check(
            "P7", "c", "share of those kept waiting who left without a crisis task by its end",
            "000@98274", "> 0.5 (unmatched volunteers lose interest)", 0.5, True,
            replicate_ratio(gave_up, waiting_first), "share",
        ),
    ]  # fmt: skip


def p8(series: pd.DataFrame) -> list[Check]:
    def at(scenario: str, month: int, metric: str) -> pd.Series:
        return _at(series, scenario, month, metric)

    def growth(metric: str):
        return replicate_ratio(at(AUSTERITY, P8_AFTER, metric), at(AUSTERITY, P8_BEFORE, metric))

    def did(metric: str) -> pd.Series:
        return (at(AUSTERITY, P8_AFTER, metric) - at(AUSTERITY, P8_BEFORE, metric)) - (
            at(BASELINE, P8_AFTER, metric) - at(BASELINE, P8_BEFORE, metric)
        )

    return [
        _check(
            "P8", "a", "paid staff month 72 / month 23, austerity", "000@136480",
            "< 1 (libraries: 31,977 -> 24,044, x0.75)", 1.0, False,
            growth("paid_staff"), "ratio",
        ),
        _check(
            "P8", "b", "co-delivery volunteers month 72 / month 23, austerity", "000@136390",
            "> 1 (libraries: 15,861 -> 31,403, x1.98)", 1.0, True,
            growth("co_delivery_volunteers"), "ratio",
        ),
        _check(
            "P8", "c", "rise in staff resistance, austerity minus baseline", "000@38886",
            "> 0 (staff resist when jobs are at stake)", 0.0, True,
            replicate_mean(did("staff_resistance")), "difference in level",
        ),
        _check(
            "P8", "d", "rise in the share feeling exploited, austerity minus baseline",
            "000@42467", "> 0 (co-producers feel 'dumped' on)", 0.0, True,
            replicate_mean(did("exploited_share")), "difference in share",
        ),
    ]  # fmt: skip


SURVEY_PATTERNS = {"P1": p1, "P2": p2, "P3": p3, "P4": p4}
SERIES_PATTERNS = {"P5": p5, "P6": p6, "P7": p7, "P8": p8}
TITLES: dict[str, str] = {
    "P1": "Willingness far exceeds participation when opportunities are scarce",
    "P2": "Self-efficacy drives co-production, collective more than individual",
    "P3": "Good performance: less co-production, more self-efficacy",
    "P4": "Age: + individual, - collective; employment: - collective",
    "P5": "Co-delivery is the commonest mode; co-commissioning draws few",
    "P6": "Co-assessment decays when feedback is not acted on",
    "P7": "A crisis call is over-answered and bottlenecked by matching",
    "P8": "Austerity substitution: volunteers up, paid staff down",
}
SCENARIOS: dict[str, tuple[str, ...]] = {
    "P1": (BASELINE,),
    "P2": (BASELINE,),
    "P3": (BASELINE,),
    "P4": (BASELINE,),
    "P5": (BASELINE,),
    "P6": (NO_FEEDBACK, FEEDBACK),
    "P7": (CRISIS,),
    "P8": (AUSTERITY, BASELINE),
}
"""The presets each pattern needs."""


def evaluate(survey: pd.DataFrame, series: pd.DataFrame) -> list[Check]:
    """Every check of every pattern, in order P1..P8."""
    out: list[Check] = []
    for fn in SURVEY_PATTERNS.values():
        out += fn(survey)
    for fn in SERIES_PATTERNS.values():
        out += fn(series)
    return out


def verdicts(checks: Sequence[Check]) -> dict[str, bool]:
    """Pattern -> passed (all its checks passed)."""
    out: dict[str, bool] = {}
    for c in checks:
        out[c.pattern] = out.get(c.pattern, True) and c.passed
    return out


def margin(check: Check) -> float:
    """How far the interval clears the threshold, on the log scale for ratios (negative: by how
    much it misses). The calibration's objective and the sensitivity screening read it."""
    bound = check.low if check.above else check.high
    if not math.isfinite(bound):
        return -10.0
    ratio_like = check.threshold > 0 and check.unit not in ("share",)
    if ratio_like and bound > 0:
        d = math.log(bound) - math.log(check.threshold)
    else:
        d = bound - check.threshold
    return d if check.above else -d


def table(checks: Sequence[Check]) -> pd.DataFrame:
    """The checks as a tidy frame (one row per check)."""
    return pd.DataFrame(
        [
            {
                "pattern": c.pattern,
                "check": c.check,
                "statistic": c.label,
                "source": c.source,
                "expected": c.expected,
                "estimate": c.estimate,
                "low": c.low,
                "high": c.high,
                "unit": c.unit,
                "passed": c.passed,
                "margin": margin(c),
                "note": c.note,
            }
            for c in checks
        ]
    )
