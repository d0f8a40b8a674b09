"""Figures and summary numbers of the barrier_ranking study.

Usage: python experiments/barrier_ranking/figures.py RESULTS_DIR OUT_DIR
(reproduce.sh passes results/barrier_ranking and experiments/barrier_ranking). Writes the
figures, drawn with plotly, as one self-contained HTML page RESULTS_DIR/figures.html and the
numbers quoted in the README as OUT_DIR/summary.md.

Indices are computed with SALib from the per-point means of the outputs (the replications of
a point, if any, are averaged first), in the design's point order. The noise floor of Morris
mu* is the mean absolute elementary effect that pure seed-to-seed noise would give:
sqrt(2) * sd_noise / sqrt(replications) * sqrt(2 / pi) / delta, with sd_noise from br_noise
and delta = levels / (2 (levels - 1)).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from SALib.analyze import morris, sobol

from coprod_sim.experiments.store import read_manifest, read_runs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # experiments/
from _figures_common import add_figure, lines, md, say, write_page

RES = Path(sys.argv[1] if len(sys.argv) > 1 else "results/barrier_ranking")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "experiments/barrier_ranking")
PAGE = RES / "figures.html"
lines.extend(["# barrier_ranking: numbers behind the README", ""])


def load(name: str) -> tuple[pd.DataFrame, dict, dict, list[str]]:
    folder = RES / name
    runs = read_runs(folder)
    if runs["error"].notna().any():
        say(f"WARNING: {name}: {int(runs['error'].notna().sum())} failed runs (NaN outputs)")
    man = read_manifest(folder)
    names = [a["name"] for a in man["axes"]]
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[a["low"], a["high"]] for a in man["axes"]],
    }
    return runs, man, problem, names


def short(column: str) -> str:
    return column.split("_mean_last")[0]


# ------------------------------------------------------------------ noise
noise, noise_man, _, _ = load("br_noise")
morris_runs, morris_man, morris_problem, factors = load("br_morris")
cols = [o["column"] for o in morris_man["outputs"]]
sd_noise = noise[cols].std()
per_point = morris_runs.groupby("point")[cols].mean()
say(
    "## Noise: seed-to-seed variation at the centre of the factor space (48 seeds) "
    "vs the spread over the Morris design"
)
noise_table = pd.DataFrame(
    {
        "mean at centre": noise[cols].mean(),
        "sd between seeds": sd_noise,
        "sd over design (run level)": morris_runs[cols].std(),
        "noise share of run-level variance": sd_noise**2 / morris_runs[cols].var(),
    }
)
noise_table.index = [short(c) for c in noise_table.index]
say(md(noise_table, 4))

size_runs, _, _, _ = load("br_noise_citizens")
by_size = size_runs.groupby("n_citizens")[cols].std().T
by_size.index = [short(c) for c in by_size.index]
by_size["ratio 4000/1000"] = by_size[4000] / by_size[1000]
say(
    "\n## Seed-to-seed sd at the centre, 1,000 vs 4,000 citizens (24 seeds each; br_noise_citizens)"
)
say(md(by_size, 4))

# ------------------------------------------------------------------ Morris
levels, reps = morris_man["levels"], morris_man["replications"]
delta = levels / (2 * (levels - 1))
floor = np.sqrt(2) * sd_noise / np.sqrt(reps) * np.sqrt(2 / np.pi) / delta
X = morris_runs.groupby("point")[factors].first().to_numpy()
mu_star, sigma, mu_signed = {}, {}, {}
for c in cols:
    si = morris.analyze(morris_problem, X, per_point[c].to_numpy(), num_levels=levels, seed=1)
    mu_star[short(c)] = pd.Series(si["mu_star"], index=factors)
    mu_signed[short(c)] = pd.Series(si["mu"], index=factors)
    sigma[short(c)] = pd.Series(si["sigma"], index=factors)
mu_star = pd.DataFrame(mu_star)
sigma = pd.DataFrame(sigma)
floor.index = [short(c) for c in floor.index]
order = mu_star["participation_any"].sort_values(ascending=False).index
say(
    f"\n## Morris mu* ({morris_man['samples']} trajectories, "
    f"{reps} replications averaged per point)"
)
say(md(mu_star.loc[order], 4))
say(
    "\nnoise floor of mu* (pure noise would give this): "
    + ", ".join(f"{k} {v:.4f}" for k, v in floor.items())
)
above = mu_star.gt(2 * floor, axis=1)
say("\nfactors with mu* above twice the noise floor, per output: ")
for out in mu_star.columns:
    keep = mu_star.loc[above[out], out].sort_values(ascending=False)
    say(f"- {out}: " + (", ".join(f"{k} ({v:.3f})" for k, v in keep.items()) or "none"))
mu_signed = pd.DataFrame(mu_signed)
say(
    "\nsigned Morris mu (direction: negative = the barrier lowers the output), "
    "top 8 for participation:"
)
say(md(mu_signed.loc[order[:8]], 4))
say(
    "\nMorris sigma/mu* for participation (top 6): "
    + ", ".join(
        f"{k} {sigma.loc[k, 'participation_any'] / mu_star.loc[k, 'participation_any']:.2f}"
        for k in order[:6]
    )
)

fig = make_subplots(
    rows=2,
    cols=3,
    horizontal_spacing=0.16,
    vertical_spacing=0.08,
    subplot_titles=[f"{out} (mean of the last 24 months)" for out in mu_star.columns],
)
for k, out in enumerate(mu_star.columns[:6]):
    row, col = k // 3 + 1, k % 3 + 1
    v = mu_star.loc[order[::-1], out]
    colour = np.where(v > 2 * floor[out], "#1f77b4", "#aec7e8")
    fig.add_trace(
        go.Bar(
            x=v.to_numpy(),
            y=list(v.index),
            orientation="h",
            marker_color=list(colour),
            name="mu*",
            showlegend=False,
            hovertemplate="%{y}: mu* %{x:.4f}<extra></extra>",
        ),
        row=row,
        col=col,
    )
    for label, factor, dash in (("noise floor", 1, "dash"), ("2 x noise floor", 2, "dot")):
        fig.add_trace(
            go.Scatter(
                x=[factor * floor[out]] * len(v),
                y=list(v.index),
                mode="lines",
                line={"color": "#d62728", "dash": dash, "width": 1.5},
                name=label,
                legendgroup=label,
                showlegend=k == 0,
                hovertemplate=f"{label}: %{{x:.4f}}<extra></extra>",
            ),
            row=row,
            col=col,
        )
    fig.update_xaxes(title_text="Morris mu* (change over the full range)", row=row, col=col)
    fig.update_yaxes(tickfont={"size": 9}, row=row, col=col)
fig.update_layout(
    title_text=f"Morris screening of 22 barriers and risk appetites: {morris_man['samples']} "
    f"trajectories x 23 points x {reps} replications = {len(morris_runs)} runs,<br>4,000 "
    "citizens (dark bars: above 2 x the noise floor)",
    bargap=0.25,
)
add_figure(
    "Morris screening",
    fig,
    "Morris mu* (mean absolute elementary effect, i.e. the change of the output over a factor's "
    "full range) of the 22 barriers and risk appetites for six outputs (means of the last 24 "
    "months), factors ordered by their effect on participation. Dark bars: above twice the "
    "noise floor (red dotted line), the mu* that seed-to-seed noise alone would give (red "
    "dashed line); pale bars cannot be told from noise.",
    height=1080,
    left=150,
)


# ------------------------------------------------------------------ Sobol
def sobol_table(name: str) -> tuple[dict[str, pd.DataFrame], dict, list[str]]:
    runs, man, problem, names = load(name)
    out = {}
    for o in man["outputs"]:
        y = runs.groupby("point")[o["column"]].mean().sort_index().to_numpy()
        si = sobol.analyze(problem, y, calc_second_order=True, conf_level=0.95, seed=1)
        out[short(o["column"])] = pd.DataFrame(
            {"S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]},
            index=names,
        )
    return out, man, names


for name, title in (
    ("br_sobol_all", "all 22 factors"),
    ("br_sobol_top", "the seven screened factors"),
):
    tables, man, names = sobol_table(name)
    n_runs = man["n_runs"]
    say(f"\n## Sobol indices, {name} ({title}; N = {man['samples']}, {n_runs} runs)")
    runs_s = read_runs(RES / name)
    share = sd_noise**2 / runs_s[cols].var()
    say(
        "noise share of the variance over this design (seed-to-seed variance from br_noise / "
        "variance of the outputs here; every ST is inflated by about this much, and S1 sums "
        "to at most 1 minus it): " + ", ".join(f"{short(k)} {v:.2f}" for k, v in share.items())
    )
    for out, t in tables.items():
        t = t.sort_values("ST", ascending=False)
        say(
            f"\n### {out}: sum of S1 = {t.S1.sum():.2f}, median ST half-width = "
            f"{t.ST_conf.median():.2f}, median S1 half-width = {t.S1_conf.median():.2f}"
        )
        say(md(t.head(8 if len(t) > 8 else len(t))))
    show = [
        "participation_any",
        "user_value",
        "social_value",
        "governance_value",
        "economic_value",
        "participation_gap_education",
    ]
    fig = make_subplots(
        rows=2,
        cols=3,
        horizontal_spacing=0.16,
        vertical_spacing=0.08 if len(names) > 10 else 0.14,
        subplot_titles=[f"{out}: sum S1 = {tables[out].S1.sum():.2f}" for out in show],
    )
    for k, out in enumerate(show):
        row, col = k // 3 + 1, k % 3 + 1
        t = tables[out].loc[
            order if len(names) > 10 else tables["participation_any"].sort_values("ST").index[::-1]
        ]
        t = t.iloc[::-1]
        y = np.arange(len(t))
        for label, index, shift, symbol, colour in (
            ("first order S1", "S1", 0.15, "circle", "#1f77b4"),
            ("total ST", "ST", -0.15, "square", "#ff7f0e"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=t[index],
                    y=y + shift,
                    error_x={"type": "data", "array": t[index + "_conf"], "width": 2},
                    mode="markers",
                    marker={"symbol": symbol, "size": 6, "color": colour},
                    name=label,
                    legendgroup=label,
                    showlegend=k == 0,
                    text=list(t.index),
                    hovertemplate=f"%{{text}}: {index} %{{x:.3f}}<extra></extra>",
                ),
                row=row,
                col=col,
            )
        fig.add_vline(x=0, line={"color": "grey", "width": 0.8}, row=row, col=col)
        fig.update_xaxes(range=[-0.6, 1.4], row=row, col=col)
        fig.update_yaxes(
            tickmode="array",
            tickvals=list(y),
            ticktext=list(t.index),
            tickfont={"size": 9},
            range=[-0.6, len(t) - 0.4],
            row=row,
            col=col,
        )
    fig.update_layout(
        title_text=f"Sobol indices with 95% bootstrap intervals, {title}: N = {man['samples']}, "
        f"{n_runs} runs of 4,000 citizens<br>(a sum of S1 far from [0, 1] or ST > 1 means the "
        "estimate is noise)"
    )
    add_figure(
        f"Sobol indices of {title}, N = {man['samples']}",
        fig,
        f"First-order (S1, circles) and total (ST, squares) Sobol indices of {title} for six "
        "outputs (means of the last 24 months), with 95% bootstrap intervals; "
        + (
            "factors in the order of the Morris screening. "
            if len(names) > 10
            else "factors ordered by their total index for participation. "
        )
        + "A sum of S1 far from [0, 1] or an ST above 1 means the estimate is noise.",
        height=1080 if len(names) > 10 else 700,
        left=150,
    )

(OUT / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
write_page(
    PAGE,
    "barrier_ranking: figures",
    "Figures of the barrier_ranking study (which barriers and risk appetites drive "
    "participation, public value and inequality?), drawn by experiments/barrier_ranking/"
    "figures.py from the sweeps in this folder. The numbers behind them are in "
    "experiments/barrier_ranking/summary.md, the question, method and reading in "
    "experiments/barrier_ranking/README.md. Illustrative model output, not a forecast.",
)
print(f"wrote {PAGE} and {OUT / 'summary.md'}")
