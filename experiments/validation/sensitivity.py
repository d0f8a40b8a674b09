"""How robust each pattern is to the main uncertain parameters: Morris screening.

    python experiments/validation/sensitivity.py [--workers N | --scheduler ADDRESS] [--rescore]

Scores every point of sensitivity.toml's Morris trajectories with everything `coprod validate`
runs (results/validation/sensitivity.parquet) and writes sensitivity.md next to this file:
for each pattern, how often it holds across the screened ranges and which parameters move its
margin most (Morris mu*, SALib). `coprod validate` copies sensitivity.md into
docs/validation.md.
"""

from __future__ import annotations

import math
import sys

import pandas as pd
from _common import holds, md_table, run

from coprod_sim.validation import patterns as PT
from coprod_sim.validation import screening


def _fmt(x: float) -> str:
    return f"{x:.2g}" if math.isfinite(x) else "n/a"


def main() -> int:
    ex, scores, seconds = run("sensitivity.toml")
    share = holds(scores)
    checks = scores[[c for c in scores.columns if c.endswith("_margin") and c != "worst_margin"]]
    indices = screening.morris_indices(ex, scores, checks)
    # A pattern's sensitivity: mu* of its worst check's margin
    per_pattern = screening.morris_indices(ex, scores, screening.pattern_worst(scores))
    rows, mu_rows = [], []
    for p, t in per_pattern.groupby("output", sort=False):
        t = t.set_index("parameter").sort_values("mu_star", ascending=False)
        top = ", ".join(
            f"`{n}` ({_fmt(t.mu_star[n])}; sigma {_fmt(t.sigma[n])})" for n in t.index[:3]
        )
        rows.append([p, PT.TITLES[p], f"{100 * share[p]:.0f}%", top])
        mu_rows.append(t["mu_star"].rename(p))
    mu_table = pd.concat(mu_rows, axis=1).T
    names = list(mu_table.columns)
    grid = [[p, *(_fmt(mu_table.loc[p, n]) for n in names)] for p in mu_table.index]
    ranges = [[f"`{a.name}`", f"{a.low:g}-{a.high:g}"] for a in ex.axes]
    timing = f", {seconds / 60:.0f} minutes on this machine" if math.isfinite(seconds) else ""
    text = f"""# Sensitivity of the patterns

**Method.** Morris elementary effects (SALib) over the {len(ex.axes)} main uncertain
parameters below, each over the range shown (mostly about 0.6 to 1.4 times its default; the
intercept, near zero, wider; `staff_time_shortage`, a level capped at 1, narrower):
{ex.samples} trajectories of {len(ex.axes) + 1} points, {ex.levels} levels, root seed
{ex.seed} (`experiments/validation/sensitivity.toml`), {len(scores)} points in all{timing}.
Each point runs everything `coprod validate` runs ({ex.replications} replications of
{ex.fixed.get("n_citizens", 1000):,} citizens). The output screened for each pattern is its
worst check's margin (how far the 95% interval clears the threshold; negative when the
pattern fails). mu* is the mean absolute elementary effect of moving a parameter across its
whole range, in margin units; sigma large against mu* flags non-linearity or interactions.
"Holds at" is the share of screened points at which every check of the pattern passed: a
pattern that holds at most points is robust to these uncertainties; one that holds at few
depends on the calibrated values.

{md_table(["parameter", "range"], ranges)}

{md_table(["pattern", "", "holds at", "most influential (mu*; sigma)"], rows)}

mu* of every parameter for every pattern's worst margin:

{md_table(["pattern", *[f"`{n}`" for n in names]], grid)}
"""
    from _common import HERE

    notes = HERE / "sensitivity_notes.md"
    if notes.is_file():
        text += "\n" + notes.read_text(encoding="utf-8").strip() + "\n"
    (HERE / "sensitivity.md").write_text(text, encoding="utf-8")
    indices.to_csv(HERE.parents[1] / "results" / "validation" / "morris_checks.csv", index=False)
    print(f"wrote {HERE / 'sensitivity.md'}")
    print(share.round(2).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
