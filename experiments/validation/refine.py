"""Calibration stage 2: score the box around stage 1's best point (calibration_refine.toml),
then re-check the best points with the reduced validation that CI runs.

    python experiments/validation/refine.py [--workers N | --scheduler ADDRESS] [--rescore]

Writes results/validation/calibration_refine.parquet and prints the candidates; the chosen
point is copied by hand into coprod_sim/params.py and recorded by calibrate.py.
"""

from __future__ import annotations

import sys

import pandas as pd
from _common import RESULTS, run

from coprod_sim.validation import patterns as PT
from coprod_sim.validation import runner

REDUCED = {"replications": 10, "n_citizens": 3000}
"""The reduced validation of the CI test (tests/test_validation.py)."""


def main() -> int:
    ex, scores, _ = run("calibration_refine.toml")
    axes = [a.name for a in ex.axes]
    top = scores.sort_values("worst_margin", ascending=False).head(8).copy()
    reduced, full = [], []
    for _, row in top.iterrows():
        values = {a: float(row[a]) for a in axes}
        small = runner.collect(REDUCED["replications"], 0, {**values, "n_citizens": 3000})
        reduced.append(min(PT.margin(c) for c in small.checks()))
        # the default size of `coprod validate`, on seeds the search never saw
        large = runner.collect(20, 1000, {**values, "n_citizens": 4000})
        full.append(min(PT.margin(c) for c in large.checks()))
    top["reduced_worst_margin"] = reduced
    top["default_worst_margin"] = full
    top["robust_margin"] = top[
        ["worst_margin", "reduced_worst_margin", "default_worst_margin"]
    ].min(axis=1)
    top.to_parquet(RESULTS / "calibration_refine_top.parquet", index=False)
    pd.set_option("display.width", 250)
    cols = [*axes, "patterns_passed", "worst_margin", "reduced_worst_margin"]
    cols += ["default_worst_margin", "robust_margin"]
    print(top.sort_values("robust_margin", ascending=False)[cols].round(4).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
