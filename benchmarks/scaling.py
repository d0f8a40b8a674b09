"""How the engine's cost grows: with citizens, with network degree and with steps.

Run from the repository root::

    python benchmarks/scaling.py            # about 2 minutes; writes docs/performance/
    python benchmarks/scaling.py --quick    # smoke run, tiny sizes; writes to a temp folder

Three measurements, each fitted with a straight line on log-log axes (``numpy.polyfit`` on the
logarithms; the slope is the exponent: 1 means cost in proportion):

(a) seconds per step against citizens N (1,000 to 1,000,000) at the default network;
(b) seconds per step against the mean network degree at N = 100,000, for ``mean_degree``
    from 2 to 200 (the schema's range is 0 to 200; 0 has no logarithm). The realised mean
    degree (after the connectedness barrier) is what is plotted and fitted;
(c) total run seconds against steps (12 to 240) at N = 10,000, each from a freshly built
    model (the build is not timed).

Each figure is the median of 5 repeats (3 where a repeat is costly). The figure goes to
``scaling.svg`` (plotly through kaleido and the machine's chromium; an interactive
``scaling.html`` if kaleido fails) and the numbers to ``scaling.csv``, both written
atomically. Like the other scripts, it asserts nothing and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

import numpy as np
from _harness import Row, environment, progress, table, write_atomic  # benchmarks/ on sys.path

from coprod_sim import CoproductionModel

SEED = 1
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "performance"


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...] = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)
    degree_n: int = 100_000
    degrees: tuple[float, ...] = (2.0, 6.0, 20.0, 60.0, 200.0)  # nominal mean_degree
    steps_n: int = 10_000
    step_counts: tuple[int, ...] = (12, 24, 60, 120, 240)
    warmup: int = 3  # steps before timing (a) and (b); one throwaway run before (c)
    min_repeat_s: float = 0.5  # a timed repeat of (a) or (b) runs whole steps for at least this
    min_steps: int = 3  # ... and at least this many steps
    repeats: int = 5
    costly_repeats: int = 3  # where one repeat would take longer than costly_s
    costly_s: float = 2.0


FULL = Plan()
QUICK = Plan(
    sizes=(1_000, 3_000, 10_000),
    degree_n=10_000,
    degrees=(2.0, 6.0, 20.0),
    steps_n=1_000,
    step_counts=(12, 24, 60),
    min_repeat_s=0.05,
    repeats=3,
)


@dataclass
class Point:
    """One measured point: ``x`` against ``seconds`` (the median over ``times``)."""

    panel: str  # "citizens", "degree" or "steps"
    x: float
    times: list[float]  # seconds per step (a, b) or per run (c), one per repeat
    n_citizens: int
    steps: int  # timed steps per repeat
    degree_nominal: float | None = None
    degree_realised: float | None = None

    @property
    def seconds(self) -> float:
        return statistics.median(self.times)


@dataclass
class Panel:
    key: str
    title: str
    x_label: str
    y_label: str
    points: list[Point] = field(default_factory=list)

    def fit(self) -> tuple[float, float]:
        """Slope and intercept of log(seconds) against log(x)."""
        x = np.log([p.x for p in self.points])
        y = np.log([p.seconds for p in self.points])
        if len(x) < 2:
            return math.nan, math.nan
        slope, intercept = np.polyfit(x, y, 1)
        return float(slope), float(intercept)


# ---------------------------------------------------------------------------- measurements
def per_step(model: CoproductionModel, plan: Plan) -> tuple[list[float], int]:
    """Seconds per step of ``model``, one per repeat, and the steps timed per repeat."""
    model.run_for(plan.warmup)
    start = perf_counter()
    model.step()
    guess = perf_counter() - start
    steps = max(plan.min_steps, math.ceil(plan.min_repeat_s / max(guess, 1e-6)))
    repeats = plan.costly_repeats if guess * steps > plan.costly_s else plan.repeats
    times = []
    for _ in range(repeats):
        start = perf_counter()
        model.run_for(steps)
        times.append((perf_counter() - start) / steps)
    return times, steps


def citizens_panel(plan: Plan) -> Panel:
    panel = Panel("citizens", "(a) per step vs citizens", "citizens N", "seconds per step")
    for n in plan.sizes:
        progress(f"(a) {n:,} citizens")
        model = CoproductionModel(rng=SEED, n_citizens=n)
        degree = float(model.state.network.degree.mean())
        times, steps = per_step(model, plan)
        panel.points.append(Point("citizens", n, times, n, steps, None, degree))
        del model
    return panel


def degree_panel(plan: Plan) -> Panel:
    n = plan.degree_n
    panel = Panel(
        "degree",
        f"(b) per step vs degree, N = {n:,}",
        "realised mean degree",
        "seconds per step",
    )
    for d in plan.degrees:
        progress(f"(b) mean_degree {d:g} at {n:,} citizens")
        model = CoproductionModel(rng=SEED, n_citizens=n, mean_degree=d)
        realised = float(model.state.network.degree.mean())
        times, steps = per_step(model, plan)
        panel.points.append(Point("degree", realised, times, n, steps, d, realised))
        del model
    return panel


def steps_panel(plan: Plan) -> Panel:
    n = plan.steps_n
    panel = Panel("steps", f"(c) run time vs steps, N = {n:,}", "steps", "seconds per run")
    CoproductionModel(rng=SEED, n_citizens=n).run_for(plan.warmup)  # warm caches and imports
    for steps in plan.step_counts:
        progress(f"(c) {steps} steps at {n:,} citizens")
        times = []
        for _ in range(plan.repeats):
            model = CoproductionModel(rng=SEED, n_citizens=n)
            start = perf_counter()
            model.run_for(steps)
            times.append(perf_counter() - start)
        degree = float(model.state.network.degree.mean())
        panel.points.append(Point("steps", steps, times, n, steps, None, degree))
    return panel


# ---------------------------------------------------------------------------- outputs
COLUMNS = (
    "panel",
    "x",
    "n_citizens",
    "mean_degree_nominal",
    "mean_degree_realised",
    "steps_per_repeat",
    "repeats",
    "median_s",
    "min_s",
    "max_s",
    "y",
    "fit_slope",
)


def to_csv(panels: list[Panel]) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(COLUMNS)
    for panel in panels:
        slope, _ = panel.fit()
        for p in panel.points:
            out.writerow(
                [
                    panel.key,
                    f"{p.x:.6g}",
                    p.n_citizens,
                    "" if p.degree_nominal is None else f"{p.degree_nominal:g}",
                    "" if p.degree_realised is None else f"{p.degree_realised:.4f}",
                    p.steps,
                    len(p.times),
                    f"{p.seconds:.6g}",
                    f"{min(p.times):.6g}",
                    f"{max(p.times):.6g}",
                    panel.y_label,
                    f"{slope:.4f}",
                ]
            )
    return buffer.getvalue()


def figure(panels: list[Panel]):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1, cols=len(panels), subplot_titles=[p.title for p in panels], horizontal_spacing=0.08
    )
    colours = ("#1f77b4", "#d62728", "#2ca02c")
    for i, panel in enumerate(panels, start=1):
        colour = colours[(i - 1) % len(colours)]
        x = np.array([p.x for p in panel.points], dtype=float)
        y = np.array([p.seconds for p in panel.points], dtype=float)
        slope, intercept = panel.fit()
        legend = "legend" if i == 1 else f"legend{i}"
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                name="median",
                legend=legend,
                marker={"size": 9, "color": colour},
            ),
            row=1,
            col=i,
        )
        if not math.isnan(slope):
            grid = np.geomspace(x.min(), x.max(), 50)
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=np.exp(intercept) * grid**slope,
                    mode="lines",
                    name=f"fit: slope {slope:.2f}",
                    legend=legend,
                    line={"dash": "dash", "color": colour},
                ),
                row=1,
                col=i,
            )
        fig.update_xaxes(type="log", title_text=panel.x_label, row=1, col=i)
        fig.update_yaxes(type="log", title_text=panel.y_label, row=1, col=i)
        domain = fig.layout[f"xaxis{'' if i == 1 else i}"].domain
        fig.layout[legend] = {"x": domain[0] + 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"}
    fig.update_layout(
        width=1350,
        height=460,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
    )
    return fig


def export(fig, folder: Path) -> Path:
    """``scaling.svg`` through kaleido, or ``scaling.html`` where kaleido cannot run."""
    svg = folder / "scaling.svg"
    try:
        import plotly.io as pio

        data = pio.to_image(fig, format="svg", width=fig.layout.width, height=fig.layout.height)
    except Exception as err:  # no Chrome/Chromium for kaleido: an interactive page instead
        print(f"kaleido failed ({err}); writing HTML instead", file=sys.stderr)
        html = folder / "scaling.html"
        write_atomic(html, fig.to_html(include_plotlyjs=True, full_html=True))
        svg.unlink(missing_ok=True)  # a stale figure would not match the new numbers
        return html
    write_atomic(svg, data)
    return svg


def rows(panels: list[Panel]) -> list[Row]:
    out = []
    for panel in panels:
        slope, _ = panel.fit()
        out.append(Row(panel.title, f"slope {slope:.2f}"))
        for p in panel.points:
            if panel.key == "citizens":
                label = f"  N = {p.n_citizens:,}"
            elif panel.key == "degree":
                label = f"  mean_degree {p.degree_nominal:g} (realised {p.degree_realised:.1f})"
            else:
                label = f"  {p.steps} steps"
            unit = "ms/step" if panel.key != "steps" else "ms/run"
            spread = f"{min(p.times) * 1e3:.3g}-{max(p.times) * 1e3:.3g}"
            value = f"{p.seconds * 1e3:.3g} {unit} ({spread}, {len(p.times)} repeats)"
            out.append(Row(label, value))
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes; a temp folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for scaling.svg and scaling.csv (default docs/performance; with --quick a "
        "temporary folder)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.out is not None:
        folder = args.out
    elif args.quick:
        folder = Path(tempfile.mkdtemp(prefix="coprod-scaling-"))
    else:
        folder = DEFAULT_OUT
    folder.mkdir(parents=True, exist_ok=True)
    panels = [citizens_panel(plan), degree_panel(plan), steps_panel(plan)]
    write_atomic(folder / "scaling.csv", to_csv(panels))
    drawn = export(figure(panels), folder)
    env = environment(("numpy", "scipy", "mesa", "coprod-sim", "plotly", "kaleido"))
    head = ["coprod_sim scaling benchmark", *(f"{k:<9} {v}" for k, v in env.items())]
    mode = "quick (smoke run: tiny sizes)" if args.quick else "full"
    head.append(f"{'mode':<9} {mode}, seed {SEED}")
    print("\n".join([*head, *table(rows(panels))]))
    print(f"wrote {folder / 'scaling.csv'} and {drawn}")


if __name__ == "__main__":
    main()
