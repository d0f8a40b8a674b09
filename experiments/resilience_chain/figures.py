"""Figures and summary numbers of the resilience_chain study.

Usage: python experiments/resilience_chain/figures.py RESULTS_DIR OUT_DIR
(reproduce.sh passes results/resilience_chain and experiments/resilience_chain). Writes the
figures, drawn with plotly, as one self-contained HTML page RESULTS_DIR/figures.html and the
numbers quoted in the README as OUT_DIR/summary.md.

Two measures of the shock's effect are used:
- the engine's response figures (dip, recovery, area_lost; coprod_sim.metrics.shock_response),
  relative to the mean of the 12 months before month 60, read both for the shocked runs and for
  the no-shock control (the noise floor);
- a paired counterfactual: run i of rc_grid and run i of rc_grid_control have the same seed and
  are identical up to month 59, so control minus shocked, month by month, is the shock's own
  effect. Its sum over months 60-95 is the 'paired area lost' (level-months).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coprod_sim.experiments.store import read_runs, read_timeseries

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # experiments/
from _figures_common import add_figure, lines, md, rgba, say, write_page

RES = Path(sys.argv[1] if len(sys.argv) > 1 else "results/resilience_chain")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "experiments/resilience_chain")
PAGE = RES / "figures.html"
SHOCK, WINDOW = 60, 36
LINKS = [
    "resilience_user",
    "resilience_community",
    "resilience_provider",
    "resilience_commissioner",
    "resilience_chain",
]
EXTRA = ["participation_any", "service_performance"]
AXES = ["staff_time_shortage", "community_development"]
lines.extend(["# resilience_chain: numbers behind the README", ""])


PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = read_runs(RES / name)
    if r["error"].notna().any():
        say(f"WARNING: {name}: {int(r['error'].notna().sum())} failed runs left out")
    r = r[r["error"].isna()]
    ts = read_timeseries(RES / name)
    ts = ts[ts.run_id.isin(r.run_id)].merge(r[["run_id", *AXES]], on="run_id")
    return r, ts


shock_r, shock_ts = load("rc_grid")
ctrl_r, ctrl_ts = load("rc_grid_control")
strong_r, strong_ts = load("rc_grid_strong_commissioner")

# ------------------------------------------------------------------ pre-shock levels
pre = (
    shock_ts[shock_ts.month.between(SHOCK - 12, SHOCK - 1)].groupby("run_id")[LINKS + EXTRA].mean()
)
pre = pre.join(shock_r.set_index("run_id")[AXES])
say("## Pre-shock levels (mean of months 48-59), by the two levers (mean of 6 replications)")
say(md(pre.groupby(AXES)[["participation_any", *LINKS]].mean()))

levels = pd.DataFrame(
    {
        "participation before (48-59)": shock_ts[shock_ts.month.between(SHOCK - 12, SHOCK - 1)]
        .groupby("staff_time_shortage")["participation_any"]
        .mean(),
        "service performance before (48-59)": shock_ts[
            shock_ts.month.between(SHOCK - 12, SHOCK - 1)
        ]
        .groupby("staff_time_shortage")["service_performance"]
        .mean(),
        "service performance during (60-65)": shock_ts[shock_ts.month.between(SHOCK, SHOCK + 5)]
        .groupby("staff_time_shortage")["service_performance"]
        .mean(),
        "chain during (60-65)": shock_ts[shock_ts.month.between(SHOCK, SHOCK + 5)]
        .groupby("staff_time_shortage")["resilience_chain"]
        .mean(),
    }
)
say("\nby staff_time_shortage (pooled over community_development, 24 runs each):")
say(md(levels))

# ------------------------------------------------------------------ engine statistics
say("\n## Engine response figures, shocked vs no-shock control (mean over all 96 runs)")
rows = []
for metric in LINKS + EXTRA:
    row = {"metric": metric}
    for label, r in (("shock", shock_r), ("control", ctrl_r)):
        for stat in ("dip", "recovery", "area_lost"):
            col = f"{metric}_{stat}"
            row[f"{stat} {label}"] = r[col].mean()
        row[f"never recovers {label}"] = r[f"{metric}_recovery"].isna().mean()
    rows.append(row)
engine = pd.DataFrame(rows).set_index("metric")
say(md(engine))

# ------------------------------------------------------------------ paired counterfactual
paired = shock_ts.merge(
    ctrl_ts[["run_id", "month", *LINKS, *EXTRA]], on=["run_id", "month"], suffixes=("", "_ctrl")
)
before = paired[paired.month < SHOCK]
identical = max(float((before[m] - before[m + "_ctrl"]).abs().max()) for m in LINKS + EXTRA)
say(f"\nlargest difference between shocked and control runs before month {SHOCK}: {identical}")
for m in LINKS + EXTRA:
    paired["loss_" + m] = paired[m + "_ctrl"] - paired[m]
win = paired[paired.month.between(SHOCK, SHOCK + WINDOW - 1)]
area = win.groupby("run_id")[["loss_" + m for m in LINKS + EXTRA]].sum()
during = (
    paired[paired.month.between(SHOCK, SHOCK + 5)]
    .groupby("run_id")[["loss_" + m for m in LINKS + EXTRA]]
    .mean()
)
after = (
    paired[paired.month.between(SHOCK + 6, SHOCK + WINDOW - 1)]
    .groupby("run_id")[["loss_" + m for m in LINKS + EXTRA]]
    .mean()
)
area = area.join(shock_r.set_index("run_id")[AXES])
say("\n## Paired counterfactual loss (control minus shocked), all 96 runs: mean (standard error)")
summary = pd.DataFrame(
    {
        "mean loss during (60-65)": during.mean(),
        "se during": during.sem(),
        "mean loss after (66-95)": after.mean(),
        "se after": after.sem(),
        f"area {SHOCK}-{SHOCK + WINDOW - 1}": area[["loss_" + m for m in LINKS + EXTRA]].mean(),
        "se area": area[["loss_" + m for m in LINKS + EXTRA]].sem(),
    }
)
summary.index = [i.removeprefix("loss_") for i in summary.index]
say(md(summary))
rel = during.mean() / pre[LINKS + EXTRA].mean().add_prefix("loss_")
say(
    "\nloss during the shock as a share of the pre-shock level: "
    + ", ".join(f"{k.removeprefix('loss_')} {v:.1%}" for k, v in rel.items())
)
for axis in AXES:
    t = area.groupby(axis)[["loss_" + m for m in LINKS + EXTRA]].agg(["mean", "sem"])
    say(
        f"\npaired area lost ({WINDOW} months), by {axis} "
        "(pooled over the other lever, 24 runs each)"
    )
    say(md(t.xs("mean", axis=1, level=1).rename(columns=lambda c: c.removeprefix("loss_"))))
    say("standard errors:")
    say(md(t.xs("sem", axis=1, level=1).rename(columns=lambda c: c.removeprefix("loss_"))))
corr = pd.concat([pre["participation_any"], area], axis=1).corr()["participation_any"]
say(
    "\ncorrelation across runs of pre-shock participation with the paired area lost: "
    + ", ".join(
        f"{k.removeprefix('loss_')} {v:+.2f}" for k, v in corr.items() if k.startswith("loss_")
    )
)


# ------------------------------------------------------------------ which link is the weakest
def weakest(ts: pd.DataFrame) -> pd.DataFrame:
    links4 = LINKS[:4]
    w = ts[links4].to_numpy().argmin(axis=1)
    phase = np.select(
        [ts.month < SHOCK, ts.month < SHOCK + 6],
        ["before (48-59)", "during (60-65)"],
        "after (66-95)",
    )
    frame = pd.DataFrame({"phase": phase, "weakest": np.array(links4)[w]})
    keep = ts.month.between(SHOCK - 12, SHOCK + WINDOW - 1).to_numpy()
    return pd.crosstab(frame.phase[keep], frame.weakest[keep], normalize="index")


say("\n## Which link is the weakest (share of run-months), default commissioner link")
wk_default = weakest(shock_ts)
say(md(wk_default))
say(
    "\n## ... and with the strong commissioner link "
    "(alternative_providers 1, knowledge_retention 1)"
)
wk_strong = weakest(strong_ts)
say(md(wk_strong))
say("\nstrong commissioner link, engine response figures of the chain (mean of 96 runs):")
say(
    md(
        pd.DataFrame(
            {
                m: [
                    strong_r[f"{m}_dip"].mean(),
                    strong_r[f"{m}_recovery"].mean(),
                    strong_r[f"{m}_area_lost"].mean(),
                ]
                for m in LINKS
            },
            index=["dip", "recovery", "area_lost"],
        ).T
    )
)

# ------------------------------------------------------------------ figure 1: triangles
cases = [
    ("little co-production<br>(staff_time_shortage 0.9, community_development 0)", 0.9, 0.0),
    ("more co-production<br>(staff_time_shortage 0, community_development 0)", 0.0, 0.0),
    (
        "more co-production + community development<br>"
        "(staff_time_shortage 0, community_development 0.9)",
        0.0,
        0.9,
    ),
]
fig = make_subplots(
    rows=len(LINKS),
    cols=3,
    shared_xaxes=True,
    horizontal_spacing=0.05,
    vertical_spacing=0.035,
    subplot_titles=[label for label, _, _ in cases],
)
for j, (_label_text, tss, cd) in enumerate(cases):
    sel = paired[(paired.staff_time_shortage == tss) & (paired.community_development == cd)]
    mean = (
        sel[sel.month.between(SHOCK - 18, SHOCK + WINDOW)].groupby("month").mean(numeric_only=True)
    )
    for i, m in enumerate(LINKS):
        first = i == 0 and j == 0
        fig.add_trace(
            go.Scatter(
                x=mean.index,
                y=mean[m],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            ),
            row=i + 1,
            col=j + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=mean.index,
                y=np.maximum(mean[m], mean[m + "_ctrl"]),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=rgba("#d62728", 0.2),
                name="loss (shaded)",
                legendgroup="loss",
                showlegend=first,
                hoverinfo="skip",
            ),
            row=i + 1,
            col=j + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=mean.index,
                y=mean[m + "_ctrl"],
                mode="lines",
                line={"color": "grey", "dash": "dash"},
                name="no shock (same seeds)",
                legendgroup="control",
                showlegend=first,
            ),
            row=i + 1,
            col=j + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=mean.index,
                y=mean[m],
                mode="lines",
                line={"color": "#d62728"},
                name="half the staff away, months 60-65",
                legendgroup="shock",
                showlegend=first,
            ),
            row=i + 1,
            col=j + 1,
        )
        fig.add_vrect(
            x0=SHOCK,
            x1=SHOCK + 6,
            fillcolor="black",
            opacity=0.06,
            line_width=0,
            layer="below",
            row=i + 1,
            col=j + 1,
        )
        fig.update_yaxes(range=[0, 1.05], row=i + 1, col=j + 1)
        if j == 0:
            fig.update_yaxes(
                title_text=m.removeprefix("resilience_") + " link"
                if m != "resilience_chain"
                else "chain (weakest)",
                row=i + 1,
                col=1,
            )
        if i == len(LINKS) - 1:
            fig.update_xaxes(title_text="month", row=i + 1, col=j + 1)
fig.update_layout(
    title_text="Resilience triangles: mean of 6 replications, shocked vs the same seeds without "
    "the shock (shaded: loss)",
    legend={"orientation": "h", "x": 0, "y": -0.05, "yanchor": "top"},
)
add_figure(
    "Resilience triangles",
    fig,
    "Each link's resilience (rows: user, community, provider, commissioner and the chain, the "
    "weakest of the four) month by month around the shock (half the staff away in months "
    "60-65, grey band), mean of 6 replications, for three cases: little co-production, more "
    "co-production, and more co-production with community development. Red: the shocked runs; "
    "grey dashed: the same seeds without the shock; shaded: the loss. The provider link takes "
    "the whole hit; the user and community links lose a little and keep a small scar; the "
    "chain barely moves.",
    height=1150,
)

# ------------------------------------------------------------------ figure 2: losses by lever
fig = make_subplots(
    rows=1,
    cols=3,
    horizontal_spacing=0.08,
    subplot_titles=[
        *(f"loss by {axis} (95% CI)" for axis in AXES),
        "engine dip statistic: shocked vs noise floor",
    ],
)
show = ["resilience_user", "resilience_community", "resilience_chain", "participation_any"]
for col, axis in enumerate(AXES, start=1):
    t = area.groupby(axis)[["loss_" + m for m in show]].agg(["mean", "sem"])
    x = np.arange(len(t))
    for k, m in enumerate(show):
        fig.add_trace(
            go.Scatter(
                x=x + (k - 1.5) * 0.08,
                y=t[("loss_" + m, "mean")],
                error_y={"type": "data", "array": 1.96 * t[("loss_" + m, "sem")], "width": 3},
                mode="lines+markers",
                line={"color": PALETTE[k]},
                name=m.removeprefix("resilience_"),
                legendgroup=m,
                legendgrouptitle_text="paired area lost" if k == 0 else None,
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
    fig.add_hline(y=0, line={"color": "grey", "width": 0.8}, row=1, col=col)
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(x),
        ticktext=[str(v) for v in t.index],
        title_text=axis + " (pooled over the other lever,<br>24 runs a point)",
        row=1,
        col=col,
    )
    fig.update_yaxes(
        title_text=f"paired area lost, months {SHOCK}-{SHOCK + WINDOW - 1} (level-months)",
        row=1,
        col=col,
    )
names = [m.removeprefix("resilience_") for m in LINKS]
for label, column, colour in (
    ("shocked runs", "dip shock", "#d62728"),
    ("no-shock control", "dip control", "grey"),
):
    fig.add_trace(
        go.Bar(
            x=names,
            y=engine.loc[LINKS, column],
            marker_color=colour,
            name=label,
            legendgroup="dip",
            legendgrouptitle_text="engine dip",
        ),
        row=1,
        col=3,
    )
fig.update_yaxes(
    title_text="engine 'dip' (share of pre-shock level),<br>mean of 96 runs", row=1, col=3
)
fig.update_layout(
    title_text="Losses by lever (paired counterfactual) and the engine's dip statistic",
    barmode="group",
    legend={"groupclick": "toggleitem"},
)
add_figure(
    "The engine's response figures vs the noise floor, and the paired losses",
    fig,
    "Left and middle: the paired area lost over months 60-95 (control minus shocked, summed; "
    "level-months) of the user link, the community link, the chain and participation, by "
    "staff_time_shortage and by community_development (each pooled over the other lever, 24 "
    "runs a point; bars: 95% confidence intervals). Right: the engine's dip statistic (share "
    "of the pre-shock level), mean of 96 runs, for the shocked runs and for the no-shock "
    "control, whose dip is pure noise.",
    height=540,
)

# ------------------------------------------------------------------ figure 3: weakest link
order = ["before (48-59)", "during (60-65)", "after (66-95)"]
colours = {
    "resilience_user": "#1b9e77",
    "resilience_community": "#7570b3",
    "resilience_provider": "#d95f02",
    "resilience_commissioner": "#666666",
}
fig = make_subplots(
    rows=1,
    cols=2,
    shared_yaxes=True,
    horizontal_spacing=0.05,
    subplot_titles=[
        f"which link is the weakest: {title}"
        for title in ("default commissioner link (0.3)", "strong commissioner link (1.0)")
    ],
)
for col, wk in enumerate((wk_default, wk_strong), start=1):
    wk = wk.reindex(order).fillna(0)
    for m in LINKS[:4]:
        v = wk[m].to_numpy() if m in wk else np.zeros(len(wk))
        fig.add_trace(
            go.Bar(
                x=order,
                y=v,
                marker_color=colours[m],
                name=m.removeprefix("resilience_"),
                legendgroup=m,
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
fig.update_yaxes(title_text="share of run-months", row=1, col=1)
fig.update_layout(title_text="Which link gives way", barmode="stack")
add_figure(
    "Which link gives way",
    fig,
    "Share of run-months in which each link is the weakest of the four (and so sets the "
    "chain), before, during and after the shock, with the default commissioner link (left) "
    "and with a strong commissioner link (alternative_providers 1, knowledge_retention 1; "
    "right).",
    height=460,
)

(OUT / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
write_page(
    PAGE,
    "resilience_chain: figures",
    "Figures of the resilience_chain study (half the staff away for 6 months: dip, recovery "
    "and area lost per link), drawn by experiments/resilience_chain/figures.py from the sweeps "
    "in this folder. The numbers behind them are in experiments/resilience_chain/summary.md, "
    "the question, method and reading in experiments/resilience_chain/README.md. Illustrative "
    "model output, not a forecast.",
)
print(f"wrote {PAGE} and {OUT / 'summary.md'}")
