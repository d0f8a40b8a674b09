"""How the engine's cost grows: with citizens, with network degree and with steps.

Run from the repository root::

    python benchmarks/scaling.py            # about 2 minutes; writes docs/performance/
    python benchmarks/scaling.py --quick    # smoke run, tiny sizes; writes to a temp folder

Three measurements, each fitted with a straight line on log-log axes (``numpy.polyfit`` on the
logarithms; the slope is the exponent: 1 means cost in proportion) and with a fixed cost plus
a cost in proportion (``fixed + per_unit * x``, relative errors), which shows the fixed
interpreter overhead of a step that a single power law bends around:

(a) seconds per step against citizens N (1,000 to 1,000,000) at the default network, over
    months 1-24 of a freshly built model (the build is not timed);
(b) seconds per step against the mean network degree at N = 100,000, for ``mean_degree``
    from 2 to 200 (the schema's range is 0 to 200; 0 has no logarithm). The realised mean
    degree (after the connectedness barrier) is what is plotted and fitted; timed like (a);
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
from collections.abc import Callable
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
    warmup: int = 3  # steps of one throwaway run before (c)
    months: int = 24  # (a) and (b) time months 1 to this, from a freshly built model
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
    months=6,
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

    def affine(self) -> tuple[float, float]:
        """``seconds = fixed + per_unit * x`` fitted with relative errors (weights 1 / y): a
        fixed cost per step (or run) plus a cost in proportion, which a single power law
        cannot show when the fixed part dominates at small x."""
        x = np.array([p.x for p in self.points], dtype=float)
        y = np.array([p.seconds for p in self.points], dtype=float)
        if len(x) < 2:
            return math.nan, math.nan
        per_unit, fixed = np.polyfit(x, y, 1, w=1.0 / y)
        return float(fixed), float(per_unit)


# ---------------------------------------------------------------------------- measurements
def per_step(build: Callable[[], CoproductionModel], plan: Plan) -> tuple[list[float], int]:
    """Seconds per step over months 1 to ``plan.months``, one per repeat, each on a freshly
    built model (the build is not timed), and the months timed: every size and degree is
    timed over the same months, as participation (and with it the cost) grows over time."""
    repeats = plan.repeats
    times = []
    while len(times) < repeats:
        model = build()
        start = perf_counter()
        model.run_for(plan.months)
        times.append((perf_counter() - start) / plan.months)
        if times[0] * plan.months > plan.costly_s:
            repeats = plan.costly_repeats
        del model
    return times, plan.months


def citizens_panel(plan: Plan) -> Panel:
    panel = Panel("citizens", "(a) per step vs citizens", "citizens N", "seconds per step")
    for n in plan.sizes:
        progress(f"(a) {n:,} citizens")
        degree = float(CoproductionModel(rng=SEED, n_citizens=n).state.network.degree.mean())
        times, steps = per_step(lambda n=n: CoproductionModel(rng=SEED, n_citizens=n), plan)
        panel.points.append(Point("citizens", n, times, n, steps, None, degree))
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

        def build(d: float = d) -> CoproductionModel:
            return CoproductionModel(rng=SEED, n_citizens=n, mean_degree=d)

        realised = float(build().state.network.degree.mean())
        times, steps = per_step(build, plan)
        panel.points.append(Point("degree", realised, times, n, steps, d, realised))
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
    "fit_fixed_s",
    "fit_per_unit_s",
)


def to_csv(panels: list[Panel]) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(COLUMNS)
    for panel in panels:
        slope, _ = panel.fit()
        fixed, per_unit = panel.affine()
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
                    f"{fixed:.6g}",
                    f"{per_unit:.6g}",
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
                    name=f"power law: slope {slope:.2f}",
                    legend=legend,
                    line={"dash": "dash", "color": colour},
                ),
                row=1,
                col=i,
            )
        fixed, per_unit = panel.affine()
        if not math.isnan(fixed):
            grid = np.geomspace(x.min(), x.max(), 50)
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=fixed + per_unit * grid,
                    mode="lines",
                    name=f"fixed + linear: {_affine_text(panel, fixed, per_unit)}",
                    legend=legend,
                    line={"color": colour, "width": 1.5},
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


def _affine_text(panel: Panel, fixed: float, per_unit: float) -> str:
    unit = {"citizens": "per citizen", "degree": "per unit of degree", "steps": "per step"}[
        panel.key
    ]
    if panel.key == "steps":
        return f"{fixed * 1e3:.1f} ms + {per_unit * 1e3:.2f} ms {unit}"
    if panel.key == "degree":
        return f"{fixed * 1e3:.1f} ms + {per_unit * 1e6:.0f} us {unit}"
    return f"{fixed * 1e3:.2f} ms + {per_unit * 1e9:.0f} ns {unit}"


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
        fixed, per_unit = panel.affine()
        out.append(Row(panel.title, f"slope {slope:.2f}"))
        out.append(Row("  fixed + linear fit", _affine_text(panel, fixed, per_unit)))
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
