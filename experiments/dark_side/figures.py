"""Figures and summary numbers of the dark_side study.

Usage: python experiments/dark_side/figures.py RESULTS_DIR OUT_DIR
(reproduce.sh passes results/dark_side and experiments/dark_side). Writes the figures, drawn
with plotly, as one self-contained HTML page RESULTS_DIR/figures.html and the numbers quoted
in the README as OUT_DIR/summary.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coprod_sim.experiments.store import read_runs, read_timeseries

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # experiments/
from _figures_common import add_figure, lines, md, say, write_page

RES = Path(sys.argv[1] if len(sys.argv) > 1 else "results/dark_side")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "experiments/dark_side")
PAGE = RES / "figures.html"
SUFFIX = "_mean_last24"
lines.extend(["# dark_side: numbers behind the README", ""])


def runs(name: str) -> pd.DataFrame:
    r = read_runs(RES / name)
    if r["error"].notna().any():
        say(f"WARNING: {name}: {int(r['error'].notna().sum())} failed runs left out")
    r = r[r["error"].isna()].copy()
    r.columns = [c.removesuffix(SUFFIX) for c in r.columns]
    return r


WHO = [
    "participation_any",
    "participation_gap_education",
    "usual_suspects_share",
    "governance_value",
]
BURDEN = [
    "exploited_share",
    "burnout_share",
    "co_delivery_volunteers",
    "paid_staff",
    "staff_resistance",
    "citizen_hours",
]

# ------------------------------------------------------------------ grid
grid = runs("ds_digital_austerity")
axes3 = ["budget_cut_share", "digital_platform", "digital_exclusion"]
means = grid.groupby(axes3)[WHO + BURDEN].mean()
say("## ds_digital_austerity: means of 4 replications (last 24 of 120 months, 4,000 citizens)")
say(md(means))
sd = grid.groupby(axes3)[WHO + BURDEN].std().mean()
say("\nmean sd between replications: " + ", ".join(f"{k} {v:.3f}" for k, v in sd.items()))
for metric in [*WHO, "exploited_share", "staff_resistance"]:
    say(f"\n{metric}, main effects (pooled over the other two axes):")
    for axis in axes3:
        m = grid.groupby(axis)[metric].mean()
        say(f"- {axis}: " + ", ".join(f"{k}: {v:.3f}" for k, v in m.items()))

limits = {
    "participation_any": (0.15, 0.5),
    "participation_gap_education": (0.0, 0.18),
    "usual_suspects_share": (0.0, 0.23),
    "governance_value": (0.85, 1.0),
}
cuts = sorted(grid.budget_cut_share.unique())
fig = make_subplots(
    rows=3,
    cols=4,
    horizontal_spacing=0.06,
    vertical_spacing=0.1,
    subplot_titles=[
        f"{metric}<br>budget cut {cut:.0%} from month 24" for cut in cuts for metric in WHO
    ],
)
for j, metric in enumerate(WHO):
    name = "coloraxis" if j == 0 else f"coloraxis{j + 1}"
    domain = fig.layout["xaxis" if j == 0 else f"xaxis{j + 1}"].domain
    fig.layout[name] = {
        "colorscale": "Magma" if metric != "governance_value" else "Magma_r",
        "cmin": limits[metric][0],
        "cmax": limits[metric][1],
        "colorbar": {
            "orientation": "h",
            "x": (domain[0] + domain[1]) / 2,
            "xanchor": "center",
            "len": domain[1] - domain[0],
            "y": -0.09,
            "yanchor": "top",
            "thickness": 12,
        },
    }
for i, cut in enumerate(cuts):
    sub = grid[grid.budget_cut_share == cut]
    for j, metric in enumerate(WHO):
        t = sub.pivot_table(index="digital_exclusion", columns="digital_platform", values=metric)
        fig.add_trace(
            go.Heatmap(
                z=t.values,
                x=[str(v) for v in t.columns],
                y=[str(v) for v in t.index],
                coloraxis="coloraxis" if j == 0 else f"coloraxis{j + 1}",
                texttemplate="%{z:.3f}",
                name=f"{metric}, cut {cut:.0%}",
                hovertemplate="digital_platform %{x}<br>digital_exclusion %{y}<br>%{z:.3f}"
                "<extra></extra>",
            ),
            row=i + 1,
            col=j + 1,
        )
        fig.update_xaxes(title_text="digital_platform", type="category", row=i + 1, col=j + 1)
        fig.update_yaxes(
            title_text="digital_exclusion" if j == 0 else None,
            type="category",
            row=i + 1,
            col=j + 1,
        )
fig.update_layout(
    title_text="Who co-produces: digital platforms x digital exclusion x budget cuts "
    "(mean of 4 replications, last 24 months)"
)
add_figure(
    "Who co-produces",
    fig,
    "Participation, the education gap in participation, the share of 'usual suspects' and "
    "governance value (columns; means of 4 replications over the last 24 of 120 months, 4,000 "
    "citizens) on the grid of digital_platform (across) and digital_exclusion (up), for a "
    "permanent budget cut of 0%, 15% and 30% from month 24 (rows). Each column has its own "
    "colour scale, shown below it.",
    height=1120,
)

# ------------------------------------------------------------------ burden
ts = read_timeseries(RES / "ds_digital_austerity").merge(grid[["run_id", *axes3]], on="run_id")
preset = runs("ds_austerity_preset")
say("\n## ds_austerity_preset (four 7% cuts, months 24-60): means of 4 replications")
pm = preset.groupby(["charter", "digital_platform", "digital_exclusion"])[WHO + BURDEN].mean()
say(md(pm))
fig = make_subplots(
    rows=2,
    cols=2,
    horizontal_spacing=0.1,
    vertical_spacing=0.14,
    subplot_titles=[
        "(a) citizens who feel exploited, staff resistance",
        "(b) substitution (pattern P8): volunteers up, paid staff down",
        "(c) feeling exploited builds up after the cut",
        "(d) austerity preset: a charter with insurance",
    ],
)
platform_colours = ["#1b9e77", "#7570b3", "#d95f02"]
group = {"legendgroup": "a", "legendgrouptitle_text": "(a)"}
for dp, colour in zip(sorted(grid.digital_platform.unique()), platform_colours, strict=False):
    m = (
        grid[grid.digital_platform == dp]
        .groupby("budget_cut_share")[["exploited_share", "staff_resistance"]]
        .mean()
    )
    fig.add_trace(
        go.Scatter(
            x=m.index,
            y=m.exploited_share,
            mode="lines+markers",
            line={"color": colour},
            name=f"exploited, digital_platform {dp}",
            **group,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=m.index,
            y=m.staff_resistance,
            mode="lines+markers",
            line={"color": colour, "dash": "dash"},
            marker={"symbol": "square"},
            opacity=0.7,
            name=f"staff resistance, dp {dp}",
            **group,
        ),
        row=1,
        col=1,
    )
fig.update_xaxes(title_text="budget_cut_share (permanent, month 24)", row=1, col=1)
fig.update_yaxes(title_text="share / level, last 24 months", row=1, col=1)
sel = ts[(ts.digital_platform == 0.0)]
group = {"legendgroup": "b", "legendgrouptitle_text": "(b)"}
for cut, colour in zip(
    sorted(grid.budget_cut_share.unique()), ["#999999", "#fdae61", "#d7191c"], strict=False
):
    m = (
        sel[sel.budget_cut_share == cut]
        .groupby("month")[["co_delivery_volunteers", "paid_staff"]]
        .mean()
        .rolling(6, min_periods=1)
        .mean()
    )
    fig.add_trace(
        go.Scatter(
            x=m.index,
            y=m.co_delivery_volunteers,
            mode="lines",
            line={"color": colour},
            name=f"volunteers in co-delivery, cut {cut:.0%}",
            **group,
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Scatter(
            x=m.index,
            y=m.paid_staff * 300,
            mode="lines",
            line={"color": colour, "dash": "dash"},
            name=f"paid staff x 300, cut {cut:.0%}",
            **group,
        ),
        row=1,
        col=2,
    )
fig.add_vline(x=24, line={"color": "grey", "dash": "dot"}, row=1, col=2)
fig.update_xaxes(title_text="month (no digital platform; 6-month running mean)", row=1, col=2)
fig.update_yaxes(
    title_text="volunteers per 1,000 citizens /<br>paid staff share x 300", row=1, col=2
)
sel = ts[(ts.budget_cut_share == 0.3)]
group = {"legendgroup": "c", "legendgrouptitle_text": "(c)"}
for dp, colour in zip(sorted(grid.digital_platform.unique()), platform_colours, strict=False):
    m = (
        sel[sel.digital_platform == dp]
        .groupby("month")["exploited_share"]
        .mean()
        .rolling(6, min_periods=1)
        .mean()
    )
    fig.add_trace(
        go.Scatter(
            x=m.index,
            y=m.values,
            mode="lines",
            line={"color": colour},
            name=f"digital_platform {dp}",
            **group,
        ),
        row=2,
        col=1,
    )
fig.add_vline(x=24, line={"color": "grey", "dash": "dot"}, row=2, col=1)
fig.update_xaxes(title_text="month (30% cut from month 24; 6-month running mean)", row=2, col=1)
fig.update_yaxes(title_text="share who feel exploited", row=2, col=1)
b = (
    preset.groupby(["digital_platform", "charter"])["exploited_share"]
    .agg(["mean", "std"])
    .reset_index()
)
group = {"legendgroup": "d", "legendgrouptitle_text": "(d)"}
for charter, colour in ((False, "#d7191c"), (True, "#2c7bb6")):
    s = b[b.charter == charter]
    fig.add_trace(
        go.Bar(
            x=[f"digital_platform {v}" for v in s.digital_platform],
            y=s["mean"],
            error_y={"type": "data", "array": s["std"], "width": 4},
            marker_color=colour,
            name=f"charter {charter}",
            **group,
        ),
        row=2,
        col=2,
    )
fig.update_yaxes(title_text="share who feel exploited, last 24 months", row=2, col=2)
fig.update_layout(
    title_text="Who carries the burden: exploitation, substitution of paid staff, a charter",
    barmode="group",
    legend={"groupclick": "toggleitem", "font": {"size": 10}},
)
add_figure(
    "Who carries the burden",
    fig,
    "(a) Share of citizens who feel exploited (solid) and staff resistance (dashed) against a "
    "permanent budget cut from month 24, for three levels of digital_platform. (b) Without a "
    "digital platform: volunteers in co-delivery per 1,000 citizens (solid) and the paid staff "
    "share x 300 (dashed) month by month, for cuts of 0%, 15% and 30% (dotted line: the cut): "
    "volunteers replace paid staff. (c) With a 30% cut: the share who feel exploited builds up "
    "after the cut, faster with a platform. (d) The austerity preset (four 7% cuts in months "
    "24-60): the share who feel exploited with and without a charter (mean and standard "
    "deviation over the runs). Every panel is pooled over digital_exclusion; curves in (b) "
    "and (c) are 6-month running means.",
    height=900,
)

# ------------------------------------------------------------------ burnout
burn = runs("ds_burnout")
say(
    "\n## ds_burnout: burnout and participation by effort per mode, cut and peer support "
    "(3 replications)"
)
bm = burn.groupby(["budget_cut_share", "peer_support", "effort_fatigue"])[
    ["burnout_share", "exploited_share", "participation_any", "usual_suspects_share"]
].mean()
say(md(bm, 4))
fig = make_subplots(
    rows=1,
    cols=2,
    horizontal_spacing=0.1,
    subplot_titles=[
        "burnout appears only when co-producing is 2-4x as tiring as the default",
        "... and heavy effort drives participation down",
    ],
)
for (cut, peer), s in burn.groupby(["budget_cut_share", "peer_support"]):
    m = s.groupby("effort_fatigue")[["burnout_share", "participation_any"]].mean()
    style = "solid" if cut == 0 else "dash"
    colour = "#d95f02" if peer < 0.5 else "#1b9e77"
    label = f"cut {cut:.0%}, peer_support {peer}"
    for col, metric in ((1, "burnout_share"), (2, "participation_any")):
        fig.add_trace(
            go.Scatter(
                x=m.index,
                y=m[metric],
                mode="lines+markers",
                line={"color": colour, "dash": style},
                name=label,
                legendgroup=label,
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
fig.update_yaxes(title_text="share burnt out (resting), last 24 months", row=1, col=1)
fig.update_yaxes(title_text="participation, last 24 months", row=1, col=2)
fig.update_xaxes(title_text="effort_fatigue (fatigue per active mode a month; default 0.05)")
fig.update_layout(title_text="Burnout and participation by effort per mode")
add_figure(
    "Burnout",
    fig,
    "The share of citizens burnt out (resting; left) and participation (right), last 24 "
    "months, mean of 3 replications, against effort_fatigue (the fatigue each active mode "
    "adds a month; the default is 0.05), without (solid) and with a 30% budget cut (dashed), "
    "with little (orange) or much (green) peer support.",
    height=480,
)

(OUT / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
write_page(
    PAGE,
    "dark_side: figures",
    "Figures of the dark_side study (inequality and burden under digital platforms, digital "
    "exclusion and austerity), drawn by experiments/dark_side/figures.py from the sweeps in "
    "this folder. The numbers behind them are in experiments/dark_side/summary.md, the "
    "question, method and reading in experiments/dark_side/README.md. Illustrative model "
    "output, not a forecast.",
)
print(f"wrote {PAGE} and {OUT / 'summary.md'}")
