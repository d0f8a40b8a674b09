"""The ``coprod`` command line (also ``python -m coprod_sim``).

Until the dashboard lands, running it with no command runs the built-in baseline and prints
a summary of the canonical metrics.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__, metrics
from . import params as P
from .model import CoproductionModel

app = typer.Typer(
    help="coprod-sim: an agent-based simulator of the co-production of public services.",
    no_args_is_help=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)


def _run(model: CoproductionModel, steps: int) -> None:
    columns = (
        TextColumn("[bold]month"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("run", total=steps)
        for _ in range(steps):
            model.step()
            progress.advance(task)


def _summary_table(model: CoproductionModel, months: list[int]) -> Table:
    frame = model.metrics_frame()
    table = Table(title=f"Baseline: canonical metrics (seed {model._seed})")
    table.add_column("metric")
    for m in months:
        table.add_column(f"month {m}", justify="right")
    for name in metrics.CANONICAL:
        table.add_row(name, *(f"{frame.loc[m, name]:.3f}" for m in months))
    return table


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    steps: int = typer.Option(120, min=1, help="Months to simulate."),
    seed: int = typer.Option(1, help="Random seed (same seed, same results)."),
    n_citizens: int = typer.Option(1000, help="Number of citizens."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Run the baseline scenario and print a summary of the canonical metrics."""
    if version:
        console.print(f"coprod-sim {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is not None:
        return
    try:
        model = CoproductionModel(rng=seed, n_citizens=n_citizens, steps=steps)
    except P.ParameterError as err:
        errors.print(f"[red]error:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    _run(model, steps)
    months = sorted({0, steps // 2, steps})
    console.print(_summary_table(model, months))


if __name__ == "__main__":  # pragma: no cover
    app()
