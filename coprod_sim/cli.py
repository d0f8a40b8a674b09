"""The ``coprod`` command line (also ``python -m coprod_sim``).

``coprod scenarios`` lists the presets; ``coprod run`` runs one scenario and writes its
outputs and report; ``coprod compare`` runs several on the same seeds and writes one report
that overlays them; ``coprod report`` rebuilds a report from saved outputs.

Bad input (a scenario file, an option, ``--set``, an output folder) gets one message naming
the file, line, key, value and what is allowed, and exit code 2. Nothing is written then,
and output folders are replaced atomically (:func:`coprod_sim.runs.staged_output`).
"""

from __future__ import annotations

import contextlib
import csv
import enum
import inspect
import json
import os
import shlex
import socket
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from . import (
    params,  # the schema alone: pydantic loads only when values are validated
    signals,
)
from . import validation as validation_defaults
from .errors import InputError, PortUnavailableError

# The commands import the model, Mesa, pandas and plotly where they need them (about 3 s of
# CPU), so that `coprod --help` and `coprod params` start in a fraction of a second
# (benchmarks/startup.py; tests/test_startup.py keeps them out of the start-up).
if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress

    from . import runs
    from .experiments.sweep import SweepLost
    from .scenario import Scenario


def reflow(text: str | None) -> str | None:
    """A docstring's paragraphs each on one line (blank lines still separate them).

    Typer's rich help keeps every single line break of a docstring, so a sentence wrapped in
    the source broke mid-sentence in `coprod --help`; joined, Rich wraps it to the terminal.
    """
    if text is None:
        return None
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


class _HelpLayout:
    """Help pages without hard line breaks and without a type after a flag."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        options = super().get_params(ctx)  # type: ignore[misc]
        for param in options:
            # A flag (--force, --resume, --help) takes no value, yet Typer shows "<bool>".
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return options


class _Command(_HelpLayout, TyperCommand):
    pass


class _Group(_HelpLayout, TyperGroup):
    pass


class _App(typer.Typer):
    """`typer.Typer` whose commands are :class:`_Command` unless told otherwise."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or _Command, **kwargs)


app = _App(
    cls=_Group,
    help=(
        "coprod-sim: an agent-based simulator of the co-production of public services.\n\n"
        "Start with `coprod scenarios`, then `coprod run baseline --out out/baseline`."
    ),
    no_args_is_help=True,
    add_completion=False,
)
UNWRAPPED = 100_000
"""Width for output to a pipe or a file: wide enough that no table row is wrapped or cut."""


def _console(**settings: Any) -> Console:
    """A Rich console that wraps to the terminal, and never wraps or cuts anything written
    to a pipe or a file (Rich would assume 80 columns there: logs got wrapped tables and
    names cut to `staff_incenti…`)."""
    out = Console(**settings)
    if not out.is_terminal:
        out.width = UNWRAPPED
    return out


console = _console()
errors = _console(stderr=True, soft_wrap=True)

RESOLVED = "scenario.resolved.toml"
RESOLVED_DIR = "scenarios"  # compare: one resolved file per scenario


# ------------------------------------------------------------------------------ helpers


INTERRUPTED = (
    "no output was left half-written (an output folder holds either its earlier contents or "
    "the complete new output)"
)


@contextlib.contextmanager
def _clean_errors(interrupted: str = INTERRUPTED) -> Iterator[None]:
    """Turn bad input into one message and exit code 2, and Ctrl-C, SIGTERM and SIGHUP into
    exit code 130 (commands import the model inside, so that start-up is covered too)."""
    try:
        with signals.terminate_as_interrupt():
            yield
    except InputError as err:  # before OSError: an existing output folder is both
        errors.print(f"[red]error:[/red] {escape(str(err))}", highlight=False)
        raise typer.Exit(2) from None
    except OSError as err:  # a folder that cannot be created or written, a full disk
        where = f" {err.filename}" if err.filename else ""
        errors.print(
            f"[red]error:[/red] cannot write{escape(where)}: {escape(err.strerror or str(err))}; "
            "allowed: a folder you can write to, on a disk with room",
            highlight=False,
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        errors.print(f"[red]interrupted:[/red] {escape(interrupted)}")
        raise typer.Exit(130) from None


def _overrides(sets: list[str], steps: int | None) -> dict[str, Any]:
    """Parameter values from ``--set KEY=VALUE`` and ``--steps``."""
    values: dict[str, Any] = {}
    for item in sets:
        raw, eq, text = item.partition("=")
        # Checked before stripping: "\nsteps=3" must not pass as "steps=3".
        if message := params.assignment_control_problem(raw, text if eq else ""):
            raise params.ParameterError([f"--set {message} (repeat --set for several values)"])
        key = raw.strip()
        if not eq or not key:
            raise params.ParameterError(
                [
                    f"--set {item!r}: expected KEY=VALUE; allowed: a parameter name, '=' and a "
                    "value, e.g. --set staff_training=0.8"
                ]
            )
        try:
            values[key] = params.coerce(key, text)
        except params.ParameterError as err:
            raise params.ParameterError([f"--set {item!r}: {err.problems[0]}"]) from None
    if steps is not None:
        if "steps" in values:
            raise params.ParameterError(
                [f"--steps {steps} and --set steps={values['steps']}: both given; allowed: one"]
            )
        values["steps"] = steps
    return values


def _progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _simulate(scenarios: list[Scenario], seed: int, replications: int) -> runs.Results:
    from . import runs

    total = sum(sc.steps for sc in scenarios) * replications
    names = ", ".join(sc.name for sc in scenarios)
    console.print(
        f"Running {escape(names)}: {replications} replication(s) from seed {seed}, "
        f"{total:,} model months in all"
    )
    with _progress() as progress:
        task = progress.add_task("running", total=total)

        def tick(label: str, replication: int) -> None:
            desc = f"{label} (replication {replication + 1}/{replications})"
            progress.update(task, advance=1, description=desc)

        return runs.run_all(scenarios, seed, replications, tick)


def _write(
    results: runs.Results,
    folder: Path,
    command: str,
    origins: list[str],
    changes: dict[str, Any],
    out: Path,
) -> None:
    """Write every output of a run or comparison into ``folder`` (the staging folder of
    ``out``, the folder the user named: errors name their files there); ``changes`` are the
    parameters set on the command line (named in the titles and headline)."""
    from . import report, runs
    from .scenario_files import dumps

    def put(name: str, write: Callable[[Path], object]) -> None:
        with runs.naming(out / name):
            write(folder / name)

    ts, agents = results.timeseries, results.agents
    put("timeseries.parquet", lambda path: ts.to_parquet(path, index=False))
    put("timeseries.csv", lambda path: ts.to_csv(path, index=False))
    put("agents.parquet", lambda path: agents.to_parquet(path, index=False))
    if len(results.scenarios) == 1:
        sc = results.scenarios[0]
        text = dumps(sc, command=command, origin=origins[0], changes=changes)
        put(RESOLVED, lambda path: path.write_text(text, encoding="utf-8"))
    else:
        (folder / RESOLVED_DIR).mkdir()
        for sc, origin in zip(results.scenarios, origins, strict=True):
            text = dumps(sc, command=command, origin=origin, changes=changes)
            name = f"{RESOLVED_DIR}/{sc.name}.resolved.toml"
            put(name, lambda path, text=text: path.write_text(text, encoding="utf-8"))
    finals = report.final_values(ts)
    put("final_values.csv", lambda path: finals.to_csv(path, index=False))
    infos = [runs.info(sc, changes=changes) for sc in results.scenarios]
    page = report.render(ts, agents, infos)
    put("report.html", lambda path: path.write_text(page, encoding="utf-8"))


def _summary(ts: pd.DataFrame, title: str) -> Table:
    """Final values for the terminal: scenarios are lettered A, B, ... to keep it narrow."""
    from . import report

    frame = report.final_values(ts).drop(columns="unit")  # units are in final_values.csv
    labels = list(dict.fromkeys(ts["scenario"].astype(str)))
    letter = {
        label: chr(ord("A") + i) if len(labels) > 1 else label for i, label in enumerate(labels)
    }
    headers = {}
    for label in labels:  # the columns report.final_values names, in its words
        headers[f"{label}: mean"] = f"{letter[label]}: mean"
        headers[f"{label}: sd"] = f"{letter[label]}: sd"
        headers[f"{label} - {labels[0]}"] = f"{letter[label]} - {letter[labels[0]]}"
    caption = ", ".join(f"{letter[lb]} = {lb}" for lb in labels) if len(labels) > 1 else None
    table = Table(
        title=escape(title),
        caption=escape(caption) if caption else None,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    # Never cut a name (it is what final_values.csv and `coprod analyze` call the metric):
    # a narrow terminal folds the names onto more lines and keeps the numbers whole.
    table.add_column("metric", overflow="fold")
    for column in frame.columns[1:]:
        table.add_column(
            escape(headers.get(column, column)), justify="right", no_wrap=True, min_width=7
        )
    for row in frame.itertuples(index=False):
        table.add_row(row[0], *(f"{v:.3f}" for v in row[1:]))
    return table


def _wrote(folder: Path) -> None:
    text = f"Wrote {folder}/ (open {folder / 'report.html'} in a browser)"
    console.print(text, markup=False, highlight=False)


def _command() -> str:
    return "coprod " + shlex.join(sys.argv[1:])


# ------------------------------------------------------------------------------ commands

ScenarioArg = Annotated[
    str,
    typer.Argument(
        metavar="SCENARIO",
        help="A scenario file, or a preset name (see `coprod scenarios`).",
        show_default=False,
    ),
]
# Ranges are checked by the schema and the loader, not by Typer, so that every message names
# the key, the value and the allowed range in the same words.
Steps = Annotated[
    int | None,
    typer.Option(help="Months to simulate (default: the scenario's `steps` parameter)."),
]
Seed = Annotated[
    int | None,
    typer.Option(
        help="Seed of the first replication; replication i uses seed + i "
        "(default: the scenario's seed, else 1).",
    ),
]
Replications = Annotated[
    int | None,
    typer.Option(
        help="Runs on consecutive seeds; the report shows their mean and a 5-95% band "
        "(default: the scenario's, else 1).",
    ),
]
Sets = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Change a parameter, e.g. --set "
        "staff_training=0.8 (repeatable). `coprod params` lists them.",
    ),
]
Force = Annotated[
    bool, typer.Option("--force", help="Replace an existing, non-empty output folder.")
]


def _print_version(wanted: bool) -> None:
    from ._version import __version__

    # An eager callback: the group's own body runs only before a command, so `coprod
    # --version` alone stopped at "Missing command" (exit 2).
    if wanted:
        console.print(f"coprod-sim {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """coprod-sim: an agent-based simulator of the co-production of public services."""


@app.command("scenarios")
def list_scenarios() -> None:
    """List the preset scenarios with their titles and the questions they help decide."""
    from .scenario_files import load, presets, presets_dir

    table = Table(title=f"Preset scenarios ({presets_dir()})", show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("question it helps decide")
    for name, path in presets().items():
        try:
            sc = load(path)
        except params.ParameterError as err:
            table.add_row(name, "[red]invalid[/red]", escape(str(err)))
            continue
        table.add_row(name, escape(sc.title), escape(sc.question))
    console.print(table)
    console.print("Run one with: coprod run NAME --out out/NAME")


class ParamsFormat(enum.StrEnum):
    """How `coprod params` writes the schema."""

    table = "table"
    csv = "csv"
    json = "json"


PARAM_FIELDS: tuple[str, ...] = (
    "name",
    "group",
    "default",
    "low",
    "high",
    "allowed",
    "unit",
    "help",
)
"""The columns of `coprod params --format csv` and the keys of its JSON records."""


def param_record(spec: params.ParamSpec) -> dict[str, Any]:
    """One parameter as `coprod params --format csv|json` writes it (JSON types kept)."""
    values = {name: getattr(spec, name, None) for name in PARAM_FIELDS}
    return values | {"allowed": spec.allowed}


def _toml_value(value: Any) -> str:
    """A value as a scenario file or --set writes it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _params_table(group: str) -> Table:
    table = Table(title=f"group: {group}")
    table.add_column("name", no_wrap=True)  # never cut: it is what --set and files need
    table.add_column("default", no_wrap=True)
    table.add_column("allowed")
    table.add_column("unit")
    table.add_column("help", ratio=1)
    for spec in params.by_group(group):
        cells = (spec.name, _toml_value(spec.default), spec.allowed, spec.unit, spec.help)
        table.add_row(*(escape(cell) for cell in cells))
    return table


@app.command("params")
def list_params(
    group: Annotated[
        str | None, typer.Option(help=f"Only one group: {', '.join(params.GROUPS)}.")
    ] = None,
    output: Annotated[
        ParamsFormat,
        typer.Option(
            "--format",
            help="table: for reading; csv or json: for programs, one record per parameter.",
        ),
    ] = ParamsFormat.table,
) -> None:
    """List the parameters (name, default, allowed values, unit and help) by group."""
    with _clean_errors():
        if group is not None and group not in params.GROUPS:
            raise params.ParameterError(
                [
                    f"--group: value {group!r} is not allowed; allowed: one of "
                    f"{', '.join(params.GROUPS)}"
                ]
            )
    groups = params.GROUPS if group is None else (group,)
    specs = [spec for g in groups for spec in params.by_group(g)]
    if output is ParamsFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=PARAM_FIELDS, lineterminator="\n")
        writer.writeheader()
        for spec in specs:
            row = param_record(spec)
            writer.writerow(row | {"default": _toml_value(row["default"])})
    elif output is ParamsFormat.json:
        json.dump([param_record(spec) for spec in specs], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for g in groups:
            console.print(_params_table(g))


@app.command()
def run(
    scenario: ScenarioArg,
    steps: Steps = None,
    seed: Seed = None,
    replications: Replications = None,
    sets: Sets = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: out/<scenario name>).")
    ] = None,
    force: Force = False,
) -> None:
    """Run a scenario and write timeseries (Parquet and CSV), agents (Parquet), the resolved
    scenario (TOML) and a self-contained report.html."""
    with _clean_errors():
        from . import runs
        from .scenario_files import load

        overrides = _overrides(sets or [], steps)
        sc = load(scenario, overrides=overrides, seed=seed, replications=replications)
        sc = runs.with_changes(sc, overrides)
        folder = out or Path("out") / sc.name
        runs.check_output(folder, force)
        results = _simulate([sc], int(sc.rng), sc.replications)
        with runs.staged_output(folder, force) as staging:
            _write(results, staging, _command(), [str(scenario)], overrides, folder)
    console.print(_summary(results.timeseries, f"{sc.title or sc.name}: final values"))
    _wrote(folder)


@app.command()
def compare(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            metavar="SCENARIO...",
            help="Two or more scenario files or preset names.",
            show_default=False,
        ),
    ],
    steps: Steps = None,
    seed: Seed = None,
    replications: Replications = None,
    sets: Sets = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: out/compare).")] = None,
    force: Force = False,
) -> None:
    """Run several scenarios on the same seeds and write one report that overlays them,
    with a table of differences in final values (the first scenario is the reference)."""
    with _clean_errors():
        from . import runs
        from .scenario_files import load

        if len(scenarios) < 2:
            raise params.ParameterError(
                [f"SCENARIOS: {len(scenarios)} given; allowed: two or more to compare"]
            )
        overrides = _overrides(sets or [], steps)
        first = load(scenarios[0], overrides=overrides, seed=seed, replications=replications)
        seed, replications = int(first.rng), first.replications  # the same for every scenario
        loaded, problems = [first], []
        for ref in scenarios[1:]:  # report every bad file at once
            try:
                loaded.append(load(ref, overrides=overrides, seed=seed, replications=replications))
            except params.ParameterError as err:
                problems.append(str(err))
        if problems:
            raise params.ParameterError(problems)
        loaded = [runs.with_changes(sc, overrides) for sc in loaded]
        folder = out or Path("out") / "compare"
        runs.check_output(folder, force)
        results = _simulate(loaded, seed, replications)
        with runs.staged_output(folder, force) as staging:
            _write(results, staging, _command(), list(scenarios), overrides, folder)
    title = "Final values and differences"
    if overrides:
        title += f", with {runs.describe_changes(overrides)}"
    console.print(_summary(results.timeseries, title))
    _wrote(folder)


@app.command("report")
def rebuild_report(
    folder: Annotated[
        Path, typer.Argument(help="A folder written by `coprod run` or `coprod compare`.")
    ],
) -> None:
    """Rebuild report.html from the saved outputs of a run or comparison."""
    with _clean_errors():
        from . import report, runs

        ts, agents, infos = _read_outputs(folder)
        try:
            html = report.render(ts, agents, infos)
        except (ValueError, KeyError, TypeError) as err:  # a metric column missing, a type
            raise params.ParameterError(
                [f"FOLDER {str(folder)!r}: the saved outputs are not as coprod wrote them ({err})"]
            ) from None
        runs.write_atomic(folder / "report.html", html)
    console.print(f"Wrote {folder / 'report.html'}", markup=False, highlight=False)


WorkersOption = Annotated[
    int | None,
    typer.Option(help="Local worker processes (default: one per core; 0 = in this process)."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="A Dask scheduler address, e.g. tcp://10.0.0.5:8786, instead."),
]


def _check_executor(workers: int | None, scheduler: str | None) -> None:
    """Refuse a negative worker count or one above the cap, or workers and a scheduler
    together."""
    from .experiments.executors import check_workers

    check_workers(workers)
    if workers is not None and scheduler is not None:
        raise params.ParameterError(
            ["--workers and --scheduler: both given; allowed: one of them (Dask has its own)"]
        )


@app.command()
def sweep(
    experiment: Annotated[
        str,
        typer.Argument(
            metavar="EXPERIMENT",
            help="An experiment file, or the name of one in experiments/.",
            show_default=False,
        ),
    ],
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: results/<experiment name>).")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted sweep in --out: no run is lost and none is run twice.",
        ),
    ] = False,
) -> None:
    """Run a parameter sweep (grid, Latin hypercube, Sobol or Morris design) and store one row
    per run in a Parquet dataset, with a manifest; `coprod analyze` draws it."""
    stored = "the runs finished so far are stored; continue with the same command and --resume"
    with _clean_errors(stored):
        from .experiments import spec
        from .experiments import sweep as sweeps

        _check_executor(workers, scheduler)
        ex = spec.load(experiment)
        folder = out or Path("results") / ex.name
        total = spec.n_runs(ex)
        console.print(
            f"Sweep {escape(ex.name)}: {ex.sampler} design, {spec.n_points(ex):,} points x "
            f"{ex.replications} replications = {total:,} runs of {ex.steps} months"
        )
        try:
            with _progress_runs() as progress:
                task = progress.add_task("runs", total=total, failed=0, done=0)

                def show(done: int, failed: int, todo: int) -> None:
                    # ``done`` apart from ``completed``: runs resumed from disk took no time.
                    progress.update(task, completed=total - todo + done, failed=failed, done=done)

                summary = sweeps.run(
                    ex,
                    folder,
                    source=spec.source_text(experiment),
                    resume=resume,
                    workers=workers,
                    scheduler=scheduler,
                    on_progress=show,
                    on_notice=lambda text: console.print(text, markup=False, highlight=False),
                )
        except sweeps.SweepLost as lost:
            again = _resume_command(experiment, folder, workers, scheduler)
            text = escape(_lost_message(lost, folder, again))
            errors.print(f"[red]error:[/red] {text}", highlight=False)
            raise typer.Exit(1) from None
    for repair in summary.repairs:  # damaged parts set aside on --resume, by name
        console.print(f"Repaired {folder}/: {repair}", markup=False, highlight=False)
    failed = f", {summary.failed} failed (see the error column)" if summary.failed else ""
    skipped = f" ({summary.skipped:,} were already done)" if summary.skipped else ""
    if summary.done:
        text = (
            f"{summary.done:,} runs{skipped} in {summary.seconds:.1f} s ({summary.rate:.1f} "
            f"runs/s, {summary.executor}){failed}. Wrote {folder}/"
        )
    else:
        text = f"All {summary.total:,} runs were already done. {folder}/ is complete."
    console.print(text, markup=False, highlight=False)


def _resume_command(
    experiment: str, folder: Path, workers: int | None, scheduler: str | None
) -> str:
    """The command that finishes an interrupted sweep, with the executor it was given."""
    words = ["coprod", "sweep", experiment, "--out", str(folder), "--resume"]
    if workers is not None:
        words += ["--workers", str(workers)]
    if scheduler is not None:
        words += ["--scheduler", scheduler]
    return shlex.join(words)


def _lost_message(lost: SweepLost, folder: Path, again: str) -> str:
    """What stopped a sweep, what is kept, and the exact command that finishes it."""
    from .experiments.sweep import describe_error

    return (
        f"the sweep stopped: {lost.what} ({describe_error(lost.cause)}). "
        f"{lost.stored:,} of {lost.total:,} runs are finished and kept in {folder}/; "
        f"finish the other {lost.total - lost.stored:,} with:\n  {again}"
    )


@app.command()
def analyze(
    folder: Annotated[
        Path, typer.Argument(help="A folder written by `coprod sweep`.", show_default=False)
    ],
) -> None:
    """Draw a sweep: response curves, heatmaps, Sobol or Morris indices, hysteresis loops and
    resilience triangles, in FOLDER/analysis.html (opens offline)."""
    with _clean_errors():
        from . import runs
        from .experiments import analysis, store

        if not (folder / "manifest.json").is_file():
            raise params.ParameterError(
                [f"FOLDER {str(folder)!r}: no manifest.json; allowed: a folder of `coprod sweep`"]
            )
        if store.read_runs(folder).empty:
            raise params.ParameterError(
                [f"FOLDER {str(folder)!r}: no finished runs yet; allowed: a sweep with results"]
            )
        runs.write_atomic(folder / "analysis.html", analysis.render(folder))
    console.print(f"Wrote {folder / 'analysis.html'}", markup=False, highlight=False)


@app.command()
def validate(
    replications: Annotated[
        int, typer.Option(help="Replications of each preset (at least 2, for the intervals).")
    ] = validation_defaults.REPLICATIONS,
    citizens: Annotated[
        int,
        typer.Option(
            help="Citizens in every run (the baseline preset's 1,000 suits the dashboard; the "
            "survey's subgroups and the rarer modes need more)."
        ),
    ] = validation_defaults.CITIZENS,
    seed: Annotated[int, typer.Option(help="Seed of the first replication.")] = 0,
    out: Annotated[
        Path, typer.Option(help="Folder for validation.md and its figures (validation/).")
    ] = Path("docs"),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Check the model against the chapters' eight empirical patterns (P1-P8): run the
    baseline and the contrasting presets, survey the citizens at month 60, print each
    pattern's statistic with its 95% interval, and write OUT/validation.md with figures.
    Exit code 1 if any pattern fails."""
    kept = "the previous validation.md and figures were left as they were"
    with _clean_errors(kept):
        from .experiments.executors import open_executor
        from .validation import document, patterns, runner

        if seed < 0:
            raise params.ParameterError(
                [f"--seed: value {seed} is not allowed; allowed: an integer >= 0"]
            )
        if replications < 2:
            raise params.ParameterError(
                [f"--replications: value {replications} is not allowed; allowed: an integer "
                 ">= 2 (an interval needs two replications)"]
            )  # fmt: skip
        _check_executor(workers, scheduler)
        try:
            params.validate({"n_citizens": citizens})
        except params.ParameterError as err:
            raise params.ParameterError([f"--citizens: {err.problems[0]}"]) from None
        parameters: dict[str, Any] = {"n_citizens": citizens}
        _check_docs_folder(out)
        jobs = runner.jobs(replications, seed, parameters)
        console.print(
            f"Validating against P1-P8: {len(runner.HORIZON)} presets x {replications} "
            f"replications = {len(jobs)} runs"
        )
        with (
            open_executor(workers, scheduler) as (executor, _, description),
            _progress() as progress,
        ):
            task = progress.add_task(f"runs ({description})", total=len(jobs))
            evidence = runner.collect(
                replications, seed, parameters, executor, lambda job: progress.advance(task)
            )
        checks = evidence.checks()
        page = document.write(out, evidence, checks, _command())
    console.print(_pattern_table(checks))
    verdict = patterns.verdicts(checks)
    failed = [p for p, ok in verdict.items() if not ok]
    summary = f"{len(verdict) - len(failed)} of {len(verdict)} patterns pass"
    summary += f"; failed: {', '.join(failed)}" if failed else ""
    console.print(f"{summary}. Wrote {page} and {out / document.FIGURES}/", markup=False)
    if failed:
        raise typer.Exit(1)


def _check_docs_folder(out: Path) -> None:
    """Fail before any run if OUT cannot take validation.md and its figures."""
    if out.exists() and not out.is_dir():
        raise params.ParameterError([f"--out {out}: it is a file, not a folder; allowed: a folder"])
    page, figures = out / "validation.md", out / "validation"
    if page.exists() and not page.is_file():
        raise params.ParameterError(
            [f"--out {out}: {page} is not a file; allowed: a folder whose validation.md is a file"]
        )
    if figures.exists() and not figures.is_dir():
        raise params.ParameterError(
            [f"--out {out}: {figures} is a file; allowed: a folder whose validation/ is a folder"]
        )
    existing = next((p for p in (out, *out.absolute().parents) if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK | os.X_OK):
        raise params.ParameterError(
            [f"--out {out}: {existing} cannot be written; allowed: a folder you can write to"]
        )


def _pattern_table(checks: list) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Patterns at the baseline (month 60 survey)")
    for name in ("check", "statistic", "source", "expected", "observed [95% interval]", ""):
        table.add_column(name, overflow="fold")
    for c in checks:
        mark = "[green]pass[/green]" if c.passed else "[red]FAIL[/red]"
        table.add_row(
            c.check, escape(c.label), c.source, escape(c.expected), escape(c.observed), mark
        )
    return table


DASHBOARD_APP = "coprod_sim.dashboard.app"


def _check_port(host: str, port: int) -> None:
    """Refuse a port outside 1-65535 or already taken, before Solara prints a traceback."""
    if not 1 <= port <= 65535:
        raise params.ParameterError([f"--port: value {port} is not allowed; allowed: 1 to 65535"])
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            # As the server will (uvicorn): a port in TIME_WAIT after a restart is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as err:
        raise PortUnavailableError(
            f"--host {host!r} --port {port}: cannot listen there ({err.strerror}); "
            "allowed: a free port on an address of this machine, e.g. --port "
            f"{port + 1 if port < 65535 else 8765}"
        ) from None


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve the dashboard on.")] = 8765,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0: all)."),
    ] = "127.0.0.1",
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Also answer requests for this host name or address (repeatable): the names "
            "people type in their browser when the dashboard listens beyond this machine."
        ),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="Also accept pages from this origin, e.g. https://proxy.example (repeatable)."
        ),
    ] = None,
) -> None:
    """Start the interactive dashboard (Solara) on the baseline scenario; open the address it
    prints in a browser. It works offline. Stop it with Ctrl-C."""
    from .dashboard import server

    with _clean_errors():
        _check_port(host, port)
    server.restart_with_system_allocator()  # returns at once in the restarted process
    warning = server.no_auth_warning(host, port)
    if warning:
        console.print(warning, style="bold yellow", markup=False, highlight=False)
    console.print(
        f"coprod-sim dashboard on http://{host}:{port}/ (Ctrl-C stops it)",
        markup=False,
        highlight=False,
    )
    rules = server.allowed(host, port, allow_host or (), allow_origin or ())
    # In this process (no exec of ``solara run``): the guard in front of Solara's app checks
    # Host and Origin and adds the security headers.
    server.serve(DASHBOARD_APP, host, port, rules)


def _progress_runs() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
    )

    from .progress import SweepTimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed: {task.fields[failed]}"),
        SweepTimeRemainingColumn(),
        console=console,
    )


def _check_columns(path: Path, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Refuse a saved table without the columns every report needs, naming the file (the
    metric columns are checked by the report, which names the ones it lacks)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise params.ParameterError(
            [
                f"{path}: lacks the column(s) {', '.join(missing)}; allowed: the file as "
                f"`coprod run` or `coprod compare` wrote it (with {', '.join(columns)})"
            ]
        )


def _read_outputs(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """The frames and scenario descriptions saved in ``folder``."""
    import pandas as pd

    from . import runs
    from ._version import __version__
    from .scenario_files import load

    if not folder.is_dir():
        raise params.ParameterError(
            [f"FOLDER {str(folder)!r}: not found; allowed: an output folder"]
        )
    resolved = (
        [folder / RESOLVED]
        if (folder / RESOLVED).is_file()
        else sorted((folder / RESOLVED_DIR).glob("*.resolved.toml"))
    )
    needed = [folder / "timeseries.parquet", folder / "agents.parquet"]
    missing = [p for p in needed if not p.is_file()] + ([] if resolved else [folder / RESOLVED])
    if missing:
        raise params.ParameterError(
            [
                f"FOLDER {str(folder)!r}: missing {', '.join(p.name for p in missing)}; "
                "allowed: a folder written by `coprod run` or `coprod compare`"
            ]
        )
    try:
        ts = pd.read_parquet(needed[0])
        agents = pd.read_parquet(needed[1])
    except Exception as err:  # pyarrow raises several kinds for a damaged file
        raise params.ParameterError(
            [f"FOLDER {str(folder)!r}: cannot read the saved outputs ({type(err).__name__}: {err})"]
        ) from None
    for path, frame, needed_columns in (
        (needed[0], ts, (*runs.KEYS, "month")),
        (needed[1], agents, (*runs.KEYS, "role")),
    ):
        _check_columns(path, frame, needed_columns)
    by_label = {}
    for path in resolved:
        sc = load(path)
        with path.open("rb") as handle:
            provenance = tomllib.load(handle).get("provenance", {})
        version = str(provenance.get("version", __version__))
        changes = provenance.get("changes")
        changes = changes if isinstance(changes, dict) else None
        by_label[sc.name] = runs.info(sc, version, changes)
        if "seed" in ts.columns:  # the seeds the data were made with, not the file's say-so
            mine = ts.loc[ts["scenario"] == sc.name, "seed"]
            by_label[sc.name]["seeds"] = sorted(int(x) for x in mine.unique())
    order = list(dict.fromkeys(ts["scenario"]))
    unknown = [label for label in order if label not in by_label]
    if unknown:
        raise params.ParameterError(
            [
                f"FOLDER {str(folder)!r}: no resolved scenario for {', '.join(unknown)}; "
                "allowed: a folder written by `coprod run` or `coprod compare`"
            ]
        )
    return ts, agents, [by_label[label] for label in order]


if __name__ == "__main__":  # pragma: no cover
    app()
