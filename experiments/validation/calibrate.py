"""Calibrate the defaults so that P1-P8 hold at the baseline.

    python experiments/validation/calibrate.py [--workers N | --scheduler ADDRESS] [--rescore]

Scores every point of calibration.toml's Latin hypercube with everything `coprod validate`
runs (results/validation/calibration.parquet, one row per point) and writes calibration.md
next to this file: what was calibrated, how, the values chosen (the schema's defaults, set by
hand from the best point), how often each pattern held, and which patterns were hard and why.
`coprod validate` copies calibration.md into docs/validation.md.
"""

from __future__ import annotations

import math
import sys

import pandas as pd
from _common import HERE, RESULTS, holds, md_table, run

from coprod_sim import params as P
from coprod_sim.experiments.spec import load as spec_load
from coprod_sim.validation import patterns as PT
from coprod_sim.validation import screening

PREVIOUS: dict[str, float] = {
    "willingness_intercept": 0.4,
    "efficacy_weight_individual": 3.0,
    "efficacy_weight_collective": 5.0,
    "shortfall_weight": 1.5,
    "performance_efficacy_gain": 0.002,
    "age_weight": 1.0,
    "exit_rate": 0.02,
    "voice_record_weight": 0.6,
    "relaxation": 0.01,
    "staff_time_shortage": 0.6,
    "interest_decay": 0.15,
}
"""The defaults before the calibration (shortfall_weight, performance_efficacy_gain and
age_weight were constants in the code before the calibration, and voice_record_weight is new: their
values here are the old constants, and for voice_record_weight its first value)."""

HARD = """
## Which patterns were hard, and why

{hard}
"""


def _fmt(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "n/a"


def _param_rows(axes: list, best: pd.Series) -> list[list[str]]:
    rows = []
    for axis in axes:
        spec = P.PARAMS_BY_NAME[axis.name]
        rows.append(
            [
                f"`{axis.name}`",
                f"{_fmt(axis.low)}-{_fmt(axis.high)}",
                _fmt(PREVIOUS[axis.name]),
                _fmt(best[axis.name]) if axis.name in best else "(default)",
                f"**{_fmt(spec.default)}**",
                spec.help.split(" (")[0].rstrip("."),
            ]
        )
    return rows


def _holds_rows(scores: pd.DataFrame) -> list[list[str]]:
    share, worst = holds(scores), screening.pattern_worst(scores)
    return [[p, PT.TITLES[p], f"{100 * share[p]:.0f}%", _fmt(worst[p].median())] for p in PT.TITLES]


def main() -> int:
    ex, scores, seconds = run("calibration.toml")
    order = scores.sort_values(["shortfall", "worst_margin"], ascending=[False, False])
    axes = [a.name for a in ex.axes]
    print(order[[*axes, "patterns_passed", "shortfall", "worst_margin"]].head(8).round(3))
    refine_ex = spec_load(HERE / "calibration_refine.toml")
    refine_path = RESULTS / "calibration_refine.parquet"
    top_path = RESULTS / "calibration_refine_top.parquet"
    if not (refine_path.is_file() and top_path.is_file()):
        print("run refine.py first (stage 2), then calibrate.py --rescore")
        return 1
    refine = pd.read_parquet(refine_path)
    top = pd.read_parquet(top_path).sort_values("robust_margin", ascending=False)
    chosen = top.iloc[0]
    all_axes = list(dict.fromkeys([*axes, *(a.name for a in refine_ex.axes)]))
    axis_of = {a.name: a for a in ex.axes} | {a.name: a for a in refine_ex.axes}
    rows = _param_rows([axis_of[n] for n in all_axes], chosen)
    for row, name in zip(rows, all_axes, strict=True):
        a1 = next((a for a in ex.axes if a.name == name), None)
        a2 = next((a for a in refine_ex.axes if a.name == name), None)
        row[1] = " / ".join(f"{_fmt(a.low)}-{_fmt(a.high)}" if a else "-" for a in (a1, a2))
    top_rows = [
        [int(r["point"]), int(r["patterns_passed"]), _fmt(r["worst_margin"]),
         _fmt(r["reduced_worst_margin"]), _fmt(r["default_worst_margin"]),
         _fmt(r["robust_margin"])]
        for _, r in top.iterrows()
    ]  # fmt: skip
    timing = f" ({seconds / 60:.0f} minutes on this machine)" if math.isfinite(seconds) else ""
    text = f"""# Calibration

**What was calibrated.** The behaviour parameters that no survey measures (how strongly each
driver moves willingness, how fast participants leave, how far the council's record of acting
on consultation travels, how fast levels relax back, how much good performance lifts
self-efficacy, how fast unmatched volunteers lose interest) and one barrier whose baseline level
is illustrative: `staff_time_shortage`, which sets how scarce opportunities are. Demographics,
the other barriers, the levers and the presets' shocks were not touched: they come from the
sources or describe the scenarios.

**Method.** Two stages on the experiments engine, each an experiment file whose points come
from the engine's Latin hypercube (SciPy `qmc.LatinHypercube`) and are scored on its executors:

1. `calibration.toml`: {len(scores)} points over wide ranges (root seed {ex.seed}){timing}. Each
   point runs everything `coprod validate` runs, with {ex.replications} replications of
   {ex.fixed.get("n_citizens", 1000):,} citizens, and is scored by the margins of the 20
   checks: how far each 95% interval clears its threshold (log scale for ratios). The objective
   is the sum of the negative margins (0 when every check passes), ties broken by the smallest
   margin.
2. `calibration_refine.toml`: {len(refine)} points in a smaller box around the region of
   stage 1's best points (a quarter to four fifths of each stage-1 range) (root seed {
        refine_ex.seed
    }), each with
   {refine_ex.replications} replications of {refine_ex.fixed.get("n_citizens", 1000):,}
   citizens. The eight points with the largest worst margin were run again with the reduced
   validation of CI (10 replications of 3,000 citizens, seed 0) and with the default
   validation on seeds the search never saw (20 replications of 4,000, seeds 1000-1019); the
   chosen point has the largest worst margin over all three.

The box of stage 2 was set from a first run of stage 1 made while the model still lacked the
kind-specific persistence of participants (section 7.1 of the ODD), which stage 2 already had.
Both stages were then rerun on the final model; the tables below are those reruns. Both
stages scored the survey checks with respondent-level intervals; `coprod validate` now
clusters them by replication (a review found the pooled respondents of one run are not
independent), which widens them, most for P1 and P2c. That is why the default validation runs
40 replications and the CI test 30 (on seeds 50-79, which neither stage used): with the
clustered intervals, the chosen point passes there, while with 20 replications P2c's interval
reached 1 on seed 0.

Two chosen values sit at an edge of the stage-2 box: `exit_rate` at its lower edge, which is
also its old default (in effect it was not moved), and `shortfall_weight` near its lower edge
(6.6 against 6.5), inside the wider stage-1 range where stage 1's best points had 4-9.

The defaults were then set by hand to the chosen point, rounded to two significant digits, and
confirmed by `coprod validate` (the results above). No output is special-cased: the
calibration only moves parameters of the mechanisms.

{
        md_table(
            [
                "parameter",
                "range (stage 1 / stage 2)",
                "before",
                "chosen point",
                "default now",
                "what it is",
            ],
            rows,
        )
    }

**How often each pattern held** among the points of each stage (stage 1 with
{ex.replications} replications, so its intervals are wider than in the results above), and the
median over points of the pattern's worst margin:

{md_table(["pattern", "", "held at (stage 1)", "median worst margin"], _holds_rows(scores))}

{md_table(["pattern", "", "held at (stage 2)", "median worst margin"], _holds_rows(refine))}

Stage 2's best points, checked at three sizes (worst margin over the 20 checks):

{
        md_table(
            [
                "point",
                "patterns (stage 2)",
                "stage 2",
                "10 x 3,000",
                "20 x 4,000, new seeds",
                "robust",
            ],
            top_rows,
        )
    }
""" + HARD.format(hard=(HERE / "hard_patterns.md").read_text(encoding="utf-8").strip())
    (HERE / "calibration.md").write_text(text, encoding="utf-8")
    print(f"wrote {HERE / 'calibration.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
