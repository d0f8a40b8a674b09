"""Figures and summary numbers of the virtuous_circle study.

Usage: python experiments/virtuous_circle/figures.py RESULTS_DIR OUT_DIR
(reproduce.sh passes results/virtuous_circle and experiments/virtuous_circle). Writes the
figures, drawn with plotly, as one self-contained HTML page RESULTS_DIR/figures.html and the
numbers quoted in the README as OUT_DIR/summary.md.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy import stats

from coprod_sim.experiments.store import read_runs, read_timeseries

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # experiments/
from _figures_common import add_figure, lines, md, rgba, say, write_page

RES = Path(sys.argv[1] if len(sys.argv) > 1 else "results/virtuous_circle")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "experiments/virtuous_circle")
PAGE = RES / "figures.html"
PART = "participation_any_mean_last12"
SE = "self_efficacy_citizens_mean_last12"
lines.extend(["# virtuous_circle: numbers behind the README", ""])


def runs(name: str) -> pd.DataFrame:
    r = read_runs(RES / name)
    bad = r["error"].notna().sum()
    if bad:
        say(f"WARNING: {name}: {bad} failed runs left out")
    return r[r["error"].isna()]


def table(frame: pd.DataFrame, index: str, columns: str, value: str) -> pd.DataFrame:
    return frame.pivot_table(index=index, columns=columns, values=value, aggfunc="mean")


def bimodality_coefficient(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient: above 5/9 = 0.555 suggests two modes."""
    n = len(x)
    g = stats.skew(x, bias=False)
    k = stats.kurtosis(x, bias=False)
    return float((g * g + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]

# ----------------------------------------------------------------------------- 1 maps
regimes = [
    ("vc_map", "baseline: places scarce"),
    ("vc_map_rich", "places plentiful"),
    ("vc_map_reluctant", "plentiful + reluctant public"),
]
fig = make_subplots(
    rows=2,
    cols=3,
    horizontal_spacing=0.06,
    vertical_spacing=0.14,
    subplot_titles=[
        f"{label}<br>{title}"
        for label in ("participation (any mode)", "citizens' self-efficacy")
        for _, title in regimes
    ],
)
say("## 1. Maps: staff_feedback x low_self_efficacy (mean of 4 replications, last 12 months)")
for row, (col, label, vmin, vmax) in enumerate(
    [(PART, "participation (any mode)", 0.1, 0.5), (SE, "citizens' self-efficacy", 0.4, 0.85)]
):
    coloraxis = "coloraxis" if row == 0 else "coloraxis2"
    fig.layout[coloraxis] = {
        "colorscale": "Viridis",
        "cmin": vmin,
        "cmax": vmax,
        "colorbar": {
            "title": {"text": label, "side": "right"},
            "y": 0.79 if row == 0 else 0.21,
            "len": 0.42,
            "yanchor": "middle",
        },
    }
    for j, (name, title) in enumerate(regimes):
        r = runs(name)
        t = table(r, "low_self_efficacy", "staff_feedback", col)
        fig.add_trace(
            go.Heatmap(
                z=t.values,
                x=[f"{v:.1f}" for v in t.columns],
                y=[f"{v:.1f}" for v in t.index],
                coloraxis=coloraxis,
                texttemplate="%{z:.2f}",
                name=f"{label}, {title}",
                hovertemplate="staff_feedback %{x}<br>low_self_efficacy %{y}<br>%{z:.3f}"
                "<extra></extra>",
            ),
            row=row + 1,
            col=j + 1,
        )
        fig.update_xaxes(title_text="staff_feedback", type="category", row=row + 1, col=j + 1)
        fig.update_yaxes(
            title_text="low_self_efficacy (build-time barrier)" if j == 0 else None,
            type="category",
            row=row + 1,
            col=j + 1,
        )
        if row == 0:
            sd = r.groupby(["staff_feedback", "low_self_efficacy"])[PART].std().mean()
            say(f"\n### {name} ({title}): participation; mean sd between replications {sd:.3f}")
            say(md(t))
            say(f"range of point means: {t.values.min():.3f} .. {t.values.max():.3f}")
        else:
            say(f"\n{name}: self-efficacy")
            say(md(t))
for name, _title in regimes:
    say(f"\n{name}: willingness")
    say(md(table(runs(name), "low_self_efficacy", "staff_feedback", "willingness_mean_last12")))
fig.update_layout(
    title_text="Where does participation take off? Mean of the last 12 of 120 months, "
    "4 replications a cell"
)
add_figure(
    "Maps: staff feedback x initial self-efficacy in three regimes",
    fig,
    "Mean participation (top row) and citizens' self-efficacy (bottom row) over the last 12 of "
    "120 months, 4 replications a cell, on the grid of staff_feedback (across) and the "
    "build-time barrier low_self_efficacy (up), in the baseline (places scarce), with "
    "plentiful places, and with plentiful places and a reluctant public. Self-efficacy "
    "responds smoothly everywhere; participation moves with the two levers only in the "
    "reluctant regime, and there without a cliff.",
    height=820,
)

# ----------------------------------------------------------------------------- 2 shape
fig = make_subplots(
    rows=1,
    cols=3,
    horizontal_spacing=0.08,
    subplot_titles=[
        "(a) baseline: places, not the loop, set participation",
        "(b) reluctant public: 16 replications a level, one mode",
        "(c) loop strength: a smooth, saturating rise",
    ],
)
r = runs("vc_supply")
say("\n## 2. Supply: staff_time_shortage x staff_feedback (baseline, 4 replications)")
say(md(table(r, "staff_time_shortage", "staff_feedback", PART)))
for fb, colour in zip(
    sorted(r.staff_feedback.unique()), ["#d95f02", "#7570b3", "#1b9e77"], strict=False
):
    s = r[r.staff_feedback == fb]
    m = s.groupby("staff_time_shortage")[PART].mean()
    group = {"legendgroup": "a", "legendgrouptitle_text": "(a) baseline supply"}
    fig.add_trace(
        go.Scatter(
            x=m.index,
            y=m.values,
            mode="lines+markers",
            line={"color": colour},
            name=f"staff_feedback {fb}",
            **group,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=s.staff_time_shortage + (fb - 0.5) * 0.03,
            y=s[PART],
            mode="markers",
            marker={"color": colour, "size": 4, "opacity": 0.5},
            name=f"runs, staff_feedback {fb}",
            showlegend=False,
            **group,
        ),
        row=1,
        col=1,
    )
fig.update_xaxes(title_text="staff_time_shortage (barrier: staff slack for offers)", row=1, col=1)
fig.update_yaxes(title_text="participation, last 12 months", row=1, col=1)

r = runs("vc_replicates")
g = r.groupby("staff_feedback")[PART]
rep = pd.DataFrame(
    {
        "mean": g.mean(),
        "sd": g.std(),
        "min": g.min(),
        "max": g.max(),
        "bimodality_coef": g.apply(lambda s: bimodality_coefficient(s.to_numpy())),
        "shapiro_p": g.apply(lambda s: stats.shapiro(s.to_numpy()).pvalue),
        "self_efficacy": r.groupby("staff_feedback")[SE].mean(),
    }
)
fit = stats.linregress(r.staff_feedback, r[PART])
steps = np.diff(rep["mean"].to_numpy())
say("\n## 3. Replicate distributions along staff_feedback (reluctant public, 16 replications)")
say(md(rep))
say(
    f"linear fit: slope {fit.slope:.3f} per unit feedback (95% CI +-{1.96 * fit.stderr:.3f}), "
    f"r^2 {fit.rvalue**2:.2f}; largest step between adjacent levels {steps.max():.3f} vs mean "
    f"step {steps.mean():.3f}; bimodality coefficients > 0.555: "
    f"{int((rep.bimodality_coef > 0.555).sum())} of {len(rep)}"
)
levels = sorted(r.staff_feedback.unique())
group = {"legendgroup": "b", "legendgrouptitle_text": "(b) 16 replications a level"}
for k, v in enumerate(levels):
    fig.add_trace(
        go.Violin(
            x=np.full(int((r.staff_feedback == v).sum()), v),
            y=r[r.staff_feedback == v][PART],
            width=0.08,
            points=False,
            line={"color": "#1f77b4", "width": 1},
            fillcolor=rgba("#1f77b4", 0.3),
            name="distribution of the runs",
            showlegend=k == 0,
            hoverinfo="skip",
            **group,
        ),
        row=1,
        col=2,
    )
rng = np.random.default_rng(0)
fig.add_trace(
    go.Scatter(
        x=r.staff_feedback + rng.uniform(-0.015, 0.015, len(r)),
        y=r[PART],
        mode="markers",
        marker={"color": "black", "size": 3, "opacity": 0.4},
        name="one run",
        **group,
    ),
    row=1,
    col=2,
)
fig.add_trace(
    go.Scatter(
        x=rep.index,
        y=rep["mean"],
        mode="lines",
        line={"color": "#d62728"},
        name="mean of 16",
        **group,
    ),
    row=1,
    col=2,
)
fig.update_xaxes(title_text="staff_feedback", row=1, col=2)
fig.update_yaxes(title_text="participation, last 12 months", row=1, col=2)

r = runs("vc_loop_gain")
say("\n## 4. Loop strength (reluctant public, low starting self-efficacy, 3 replications)")
t = r.pivot_table(
    index="efficacy_gain", columns=["staff_feedback", "feedback_loop_closed"], values=PART
)
say(md(t))
for k, ((fb, loop), s) in enumerate(r.groupby(["staff_feedback", "feedback_loop_closed"])):
    m = s.groupby("efficacy_gain")[PART].mean()
    fig.add_trace(
        go.Scatter(
            x=m.index + 0.01,
            y=m.values,
            mode="lines+markers",
            line={"color": PALETTE[k % len(PALETTE)], "dash": "solid" if fb > 0.5 else "dash"},
            marker={"symbol": "circle" if fb > 0.5 else "square", "size": 6},
            name=f"feedback {fb}, loop closed {loop}",
            legendgroup="c",
            legendgrouptitle_text="(c) loop strength",
        ),
        row=1,
        col=3,
    )
fig.update_xaxes(type="log", title_text="efficacy_gain + 0.01 (log scale)", row=1, col=3)
fig.update_yaxes(title_text="participation, last 12 months", row=1, col=3)
fig.update_layout(
    title_text="The shape of the response: supply, replicate distributions, loop strength",
    legend={"groupclick": "toggleitem", "font": {"size": 10}},
    violinmode="overlay",
)
add_figure(
    "The shape of the response",
    fig,
    "(a) Baseline: participation against staff_time_shortage for staff_feedback 0, 0.5 and 1 "
    "(lines: means of 4 replications; dots: single runs): the supply of places sets the level, "
    "feedback shifts it in no consistent order. (b) Reluctant public and plentiful places: 16 "
    "replications at each of 11 feedback levels (violins: distribution of the runs; dots: single "
    "runs; red: mean): a gentle rise with one mode at every level. (c) Loop strength: "
    "participation against efficacy_gain (log axis) for staff feedback 0.2 (dashed) and 1 "
    "(solid) and three degrees of closing the feedback loop: a smooth, saturating rise with no "
    "critical gain.",
    height=560,
)

# ----------------------------------------------------------------------------- 3 history
frames = []
for h in ("up", "none", "down"):
    name = f"vc_history_{h}"
    rr = runs(name)
    ts = read_timeseries(RES / name)
    ts = ts.merge(rr[["run_id", "willingness_intercept", "staff_feedback"]], on="run_id")
    ts["history"] = h
    frames.append(ts)
ts = pd.concat(frames, ignore_index=True)
combos = [(wi, fb) for wi in (0.4, -1.5) for fb in (0.2, 1.0)]
fig = make_subplots(
    rows=2,
    cols=4,
    shared_xaxes=True,
    horizontal_spacing=0.06,
    vertical_spacing=0.1,
    subplot_titles=[
        f"willingness_intercept {wi}, staff_feedback {fb}" for _ in range(2) for wi, fb in combos
    ],
)
colours = {"up": "#1b9e77", "none": "#7570b3", "down": "#d95f02"}
say("\n## 5. Bistability test: histories up / none / down, same parameters from month 61")
for j, (wi, fb) in enumerate(combos):
    sub = ts[(ts.willingness_intercept == wi) & (ts.staff_feedback == fb)]
    for row, metric in enumerate(("participation_any", "self_efficacy_citizens")):
        for h, s in sub.groupby("history"):
            q = (
                s.groupby("month")[metric]
                .agg(["mean", "min", "max"])
                .rolling(6, min_periods=1)
                .mean()
            )
            band = {"mode": "lines", "line": {"width": 0}, "showlegend": False}
            band |= {"legendgroup": h, "hoverinfo": "skip"}
            fig.add_trace(go.Scatter(x=q.index, y=q["max"], **band), row=row + 1, col=j + 1)
            fig.add_trace(
                go.Scatter(
                    x=q.index,
                    y=q["min"],
                    fill="tonexty",
                    fillcolor=rgba(colours[h], 0.15),
                    **band,
                ),
                row=row + 1,
                col=j + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=q.index,
                    y=q["mean"],
                    mode="lines",
                    line={"color": colours[h]},
                    name=f"history {h}",
                    legendgroup=h,
                    showlegend=row == 0 and j == 0,
                ),
                row=row + 1,
                col=j + 1,
            )
        fig.add_vline(x=60.5, line={"color": "grey", "dash": "dot"}, row=row + 1, col=j + 1)
        fig.update_yaxes(title_text=metric, row=row + 1, col=j + 1)
        if row == 1:
            fig.update_xaxes(
                title_text="month (push in months 1-60,<br>then the same parameters)",
                row=row + 1,
                col=j + 1,
            )
    gap = {}
    for month in (60, 120, 180, 240):
        at = (
            sub[sub.month.between(month - 11, month)]
            .groupby(["history", "run_id"])[["participation_any", "self_efficacy_citizens"]]
            .mean()
        )
        means = at.groupby("history").mean()
        sds = at.groupby("history").std()
        up_down = means.loc["up"] - means.loc["down"]
        pooled = np.sqrt((sds.loc["up"] ** 2 + sds.loc["down"] ** 2) / 2)
        gap[month] = (
            f"part {means.loc['up', 'participation_any']:.3f}"
            f"/{means.loc['none', 'participation_any']:.3f}"
            f"/{means.loc['down', 'participation_any']:.3f}"
            f" (up-down {up_down['participation_any']:+.3f},"
            f" pooled sd {pooled['participation_any']:.3f});"
            f" SE up-down {up_down['self_efficacy_citizens']:+.3f}"
        )
    say(
        f"\nwillingness_intercept {wi}, staff_feedback {fb} "
        "(up/none/down, mean of the 12 months to):"
    )
    for month, text in gap.items():
        say(f"- month {month}: {text}")
fig.update_layout(
    title_text="Bistability test: three histories, identical parameters after month 60 "
    "(6 replications;<br>band = min-max, 6-month running mean)"
)
add_figure(
    "Bistability: three histories, the same parameters after month 60",
    fig,
    "Participation (top) and citizens' self-efficacy (bottom) month by month after a five-year "
    "push up the circle (green), down it (orange) or no push (purple), ending at month 60 "
    "(dotted line); from month 61 the parameters are identical. Lines: mean of 6 replications; "
    "bands: min-max; both smoothed with a 6-month running mean. Columns: a willing (0.4) or "
    "reluctant (-1.5) public, staff feedback 0.2 or 1. The histories converge to one state.",
    height=720,
)


# ----------------------------------------------------------------------------- 4 hysteresis
def windows(name: str, metric: str) -> tuple[pd.DataFrame, list[float], int]:
    folder = RES / name
    rr = runs(name)
    series = read_timeseries(folder)
    ex = tomllib.loads((folder / "experiment.toml").read_text())
    values, months = ex["path"]["values"], ex["path"]["months"]
    out = []
    for k, v in enumerate(values):
        end = (k + 1) * months
        w = series[series.month.between(end - 11, end)].groupby("run_id")[metric].mean()
        out.append(pd.DataFrame({"run_id": w.index, "y": w.values, "k": k, "level": v}))
    d = pd.concat(out).merge(rr[["run_id", "willingness_intercept"]], on="run_id")
    return d, values, months


say("\n## 6. Hysteresis: barrier up then down (path) minus the control (no excursion), same seeds")
titles = [
    f"{lever}, {speed}" + (": participation" if kind == "raw" else ": path minus control")
    for lever in ("time", "feedback")
    for speed in ("fast", "slow")
    for kind in ("raw", "gap")
]
fig = make_subplots(
    rows=2, cols=4, horizontal_spacing=0.06, vertical_spacing=0.16, subplot_titles=titles
)
for row, (lever, label) in enumerate(
    (
        ("time", "staff_time_shortage (raised, then lowered)"),
        ("feedback", "staff_feedback (lowered, then raised)"),
    )
):
    for j, speed in enumerate(("fast", "slow")):
        name = f"vc_hysteresis_{lever}_{speed}"
        d, values, months = windows(name, "participation_any")
        c, _, _ = windows(name + "_control", "participation_any")
        d = d.merge(c[["run_id", "k", "y"]].rename(columns={"y": "control"}), on=["run_id", "k"])
        d["gap"] = d.y - d.control
        turn = int(np.argmax(values)) if lever == "time" else int(np.argmin(values))
        d = d[d.k >= 2]  # after the spin-up
        d["leg"] = np.where(d.k <= turn, "out", "back")
        raw_col, gap_col = 2 * j + 1, 2 * j + 2
        for wi, dash in ((-1.5, "solid"), (0.4, "dash")):
            s = d[d.willingness_intercept == wi]
            for leg, colour in (("out", "#d95f02"), ("back", "#1b9e77")):
                q = s[s.leg == leg].groupby("level")[["y", "gap"]].mean()
                for col, value in ((raw_col, "y"), (gap_col, "gap")):
                    fig.add_trace(
                        go.Scatter(
                            x=q.index,
                            y=q[value],
                            mode="lines+markers",
                            line={"color": colour, "dash": dash},
                            marker={"size": 5},
                            name=f"{leg}, wi {wi}",
                            legendgroup=f"{leg}, wi {wi}",
                            showlegend=row == 0 and j == 0 and col == raw_col,
                        ),
                        row=row + 1,
                        col=col,
                    )
            end = s[s.k == len(values) - 1]
            deepest = s[s.k == turn]
            loop = (
                s.pivot_table(index=["run_id", "level"], columns="leg", values="gap")
                .dropna()
                .assign(diff=lambda x: x["back"] - x["out"])
                .groupby("run_id")["diff"]
                .mean()
            )
            say(
                f"- {name}, willingness_intercept {wi}: gap at the turning level "
                f"{deepest.gap.mean():+.3f} (sd {deepest.gap.std():.3f}); back minus out leg, "
                f"mean over levels {loop.mean():+.3f} (sd over runs {loop.std():.3f}); gap once "
                f"back at the start level {end.gap.mean():+.3f} (sd {end.gap.std():.3f}, "
                f"participation {end.y.mean():.3f} vs control {end.control.mean():.3f})"
            )
        fig.add_hline(y=0, line={"color": "grey", "width": 0.8}, row=row + 1, col=gap_col)
        fig.layout.annotations[
            4 * row + 2 * j
        ].text = f"{lever}, {speed} ({months} months a level): participation"
        fig.layout.annotations[
            4 * row + 2 * j + 1
        ].text = f"{lever}, {speed}: path minus control<br>(excursion effect)"
        for col in (raw_col, gap_col):
            fig.update_xaxes(title_text=label, row=row + 1, col=col)
fig.update_layout(
    title_text="Hysteresis test: raw loops drift upward with the model's slow growth; relative "
    "to the control<br>the loop closes (4 replications; wi = willingness_intercept)"
)
add_figure(
    "Hysteresis: raise a barrier, then lower it",
    fig,
    "Participation (mean of 4 replications, last 12 months of each level) along a path that "
    "raises staff_time_shortage from 0 to 1 and back (top) or lowers staff_feedback from 1 to 0 "
    "and back (bottom), 24 (fast) or 72 (slow) months a level; orange: the way out, green: the "
    "way back; solid: reluctant public (wi -1.5), dashed: willing public (wi 0.4). In each pair "
    "the left panel is the raw loop, which drifts upward with the model's slow growth; the right "
    "panel is path minus a control run on the same seed that never made the excursion: the "
    "excursion's own effect, which returns to about zero once the lever is back.",
    height=780,
)

(OUT / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
write_page(
    PAGE,
    "virtuous_circle: figures",
    "Figures of the virtuous_circle study (a tipping point or a smooth response?), drawn by "
    "experiments/virtuous_circle/figures.py from the sweeps in this folder. The numbers behind "
    "them are in experiments/virtuous_circle/summary.md, the question, method and reading in "
    "experiments/virtuous_circle/README.md. Illustrative model output, not a forecast.",
)
print(f"wrote {PAGE} and {OUT / 'summary.md'}")
