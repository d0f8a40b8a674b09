"""Experiment files: a base scenario, the swept parameters, a sampler and the reduced outputs.

An experiment (format in ``docs/experiments.md``) names a base scenario, fixed parameter
changes, the axes to sweep (values for a grid, ranges for the other samplers), the sampler
(``grid``, ``lhs``, ``sobol`` or ``morris``), the number of samples, replications, steps and a
root seed, and the outputs to keep per run. It is validated like a scenario file: every
problem names the file, the line, the key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _data, metrics, params, scenario, scenario_files
from ..submodels.events import Event

SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
STATS: tuple[str, ...] = ("final", "mean_last", "min", "recovery", "dip", "area_lost")
"""Reduced outputs: the final value; the mean over the last ``last`` months; and, after the
shock (``shock_start``), the minimum, the months to recover to 95% of the pre-shock level,
the depth of the dip (share of the pre-shock level) and the area lost (level-months)."""
SHOCK_STATS = ("min", "recovery", "dip", "area_lost")
TOP_LEVEL: tuple[str, ...] = (
    "title",
    "description",
    "question",
    "scenario",
    "sampler",
    "samples",
    "levels",
    "replications",
    "steps",
    "seed",
    "timeseries",
    "parameters",
    "axes",
    "outputs",
    "path",
)
MAX_RUNS = 10_000_000


@dataclass(frozen=True)
class Axis:
    """One swept parameter: explicit ``values`` (grid) or a range ``low``..``high``."""

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def spec(self) -> params.ParamSpec:
        return params.PARAMS_BY_NAME[self.name]


@dataclass(frozen=True)
class Output:
    """One reduced output of a run, stored in column :attr:`column`."""

    metric: str
    stat: str = "final"
    last: int = 12
    shock_start: int | None = None

    @property
    def column(self) -> str:
        suffix = f"mean_last{self.last}" if self.stat == "mean_last" else self.stat
        return f"{self.metric}_{suffix}"


@dataclass(frozen=True)
class LevelPath:
    """A parameter stepped through ``values`` in one run, ``months`` at each level, carrying
    the state over (hysteresis: raise a barrier step by step, then lower it)."""

    parameter: str
    values: tuple[float, ...]
    months: int

    @property
    def steps(self) -> int:
        return len(self.values) * self.months

    def events(self) -> list[Event]:
        """The policy changes that walk the path (the first level holds from month 1)."""
        return [
            Event("policy", 1 + k * self.months, 0, 0.0, {self.parameter: v}, f"path level {k}")
            for k, v in enumerate(self.values)
        ]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment."""

    name: str
    title: str
    description: str
    question: str
    scenario: scenario.Scenario
    scenario_ref: str
    sampler: str
    samples: int
    levels: int
    replications: int
    steps: int
    seed: int
    timeseries: bool
    axes: tuple[Axis, ...]
    outputs: tuple[Output, ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    path: LevelPath | None = None

    def content(self) -> dict[str, Any]:
        """Everything that determines the results (not the title or description)."""
        return {
            "scenario": self.scenario.parameters(),
            "events": [repr(e) for e in self.scenario.events],
            "sampler": self.sampler,
            "samples": self.samples,
            "levels": self.levels,
            "replications": self.replications,
            "steps": self.steps,
            "seed": self.seed,
            "timeseries": self.timeseries,
            "axes": [[a.name, list(a.values), a.low, a.high] for a in self.axes],
            "outputs": [[o.metric, o.stat, o.last, o.shock_start] for o in self.outputs],
            "path": None
            if self.path is None
            else [self.path.parameter, list(self.path.values), self.path.months],
        }

    @property
    def hash(self) -> str:
        """A content hash: two experiments with the same hash give the same results."""
        text = json.dumps(self.content(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def shock_start(self) -> int | None:
        """The first month a shock starts in the base scenario (None without shocks)."""
        from ..submodels.events import from_params

        starts = [e.start for e in from_params(params.validate(self.scenario.parameters()))]
        starts += [e.start for e in self.scenario.events if e.kind != "policy"]
        return min(starts) if starts else None


def load(ref: str | os.PathLike) -> Experiment:
    """Read and validate an experiment file (a path, or a name in ``experiments/``)."""
    path = find(ref)
    # The scenario files' reader: size cap, regular files only, nesting cap, no traceback.
    text = scenario_files.read_text(path)
    return _build(scenario_files.parse_toml(text, str(path)), text, path)


def source_text(ref: str | os.PathLike) -> str:
    """The text of the experiment file ``ref`` names (kept in the sweep folder)."""
    return scenario_files.read_text(find(ref))


def find(ref: str | os.PathLike) -> Path:
    """The experiment file: a path, or a name in ``experiments/``."""
    path = Path(ref)
    if path.exists() and not path.is_dir():  # a FIFO or device is refused when read
        return path
    known = known_experiments()
    stem = path.name.removesuffix(".toml")
    if len(path.parts) == 1 and len(known.get(stem, ())) == 1:
        return known[stem][0]
    if len(path.parts) == 1 and stem in known:
        paths = ", ".join(str(p) for p in known[stem])
        raise scenario_files.ScenarioError(
            [f"the name is ambiguous: {paths}; allowed: a path"], str(ref)
        )
    names = ", ".join(known) or "(none)"
    raise scenario_files.ScenarioError(
        [f"file not found; allowed: a path to an experiment file or one of: {names}"], str(ref)
    )


def known_experiments() -> dict[str, list[Path]]:
    """Experiment files under ``experiments/`` by name (files with ``[axes]``; scenario files
    kept next to them are not experiments)."""
    found: dict[str, list[Path]] = {}
    for path in sorted(experiments_dir().glob("**/*.toml")):
        try:
            is_experiment = "axes" in tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if is_experiment:
            found.setdefault(path.stem, []).append(path)
    return found


def experiments_dir() -> Path:
    """Where the study experiments live: the package's ``studies`` data (``experiments/`` in
    a clone), so that an installed wheel finds them by name too."""
    return _data.folder(_data.STUDIES)


def _build(doc: dict[str, Any], text: str, path: Path) -> Experiment:
    problems = scenario_files.Problems(str(path), text)
    for key in doc:
        if key not in TOP_LEVEL:
            hint = (
                "; parameters go in [parameters] or [axes]" if key in params.PARAMS_BY_NAME else ""
            )
            problems.add(
                f"unknown top-level key {key!r}{hint}; allowed: {', '.join(TOP_LEVEL)}", key=key
            )
    get = _Getter(doc, problems)
    title = get.string("title")
    description = get.string("description")
    question = get.string("question")
    sampler = get.choice("sampler", SAMPLERS, "grid")
    samples = get.integer("samples", 1, MAX_RUNS, 16)
    levels = get.integer("levels", 2, 100, 4)
    replications = get.integer("replications", 1, scenario_files.MAX_REPLICATIONS, 1)
    seed = get.integer("seed", 0, scenario_files.MAX_SEED, 1)
    timeseries = get.boolean("timeseries", False)
    steps_spec = params.PARAMS_BY_NAME["steps"]
    steps = get.integer("steps", int(steps_spec.low or 1), int(steps_spec.high or 1), None)
    fixed = doc.get("parameters", {})
    if not isinstance(fixed, dict):
        problems.add("key 'parameters': allowed: a table [parameters]", key="parameters")
        fixed = {}
    axes = _axes(doc.get("axes", {}), sampler, problems)
    outputs = _outputs(doc.get("outputs", []), problems)
    level_path = _path(doc["path"], problems) if "path" in doc else None
    if level_path is not None and steps is None:
        steps = level_path.steps
    ref = doc.get("scenario", "baseline")
    if not isinstance(ref, str):
        problems.add(
            f"key 'scenario': value {ref!r}; allowed: a preset name or a path", key="scenario"
        )
        ref = "baseline"
    problems.check()
    overrides = dict(fixed)
    if steps is not None:
        overrides["steps"] = steps
    try:
        base = scenario_files.load(scenario_files.find(ref, path.parent), overrides=overrides)
    except scenario_files.ScenarioError as err:
        line = problems.locate.line(None, None, "scenario")
        raise scenario_files.ScenarioError(
            [f"line {line}: key 'scenario' ({ref}): {p}" for p in err.problems], str(path)
        ) from None
    if level_path is not None:
        base = base.replace(events=(*base.events, *level_path.events()))
    experiment = Experiment(
        name=path.stem,
        title=title or path.stem,
        description=description,
        question=question,
        scenario=base,
        scenario_ref=ref,
        sampler=sampler,
        samples=samples,
        levels=levels,
        replications=replications,
        steps=base.steps,
        seed=seed,
        timeseries=timeseries,
        axes=axes,
        outputs=outputs,
        fixed=dict(fixed),
        path=level_path,
    )
    _check_consistency(experiment, problems)
    problems.check()
    return experiment


class _Getter:
    """Typed reads of top-level keys, each problem recorded with its line."""

    def __init__(self, doc: dict[str, Any], problems: scenario_files.Problems) -> None:
        self.doc, self.problems = doc, problems

    def _bad(self, key: str, allowed: str) -> None:
        value = self.doc[key]
        self.problems.add(
            f"key {key!r}: value {value!r} is not allowed; allowed: {allowed}", key=key
        )

    def string(self, key: str) -> str:
        value = self.doc.get(key, "")
        if isinstance(value, str):
            return value
        self._bad(key, "a string")
        return ""

    def boolean(self, key: str, default: bool) -> bool:
        value = self.doc.get(key, default)
        if isinstance(value, bool):
            return value
        self._bad(key, "true or false")
        return default

    def integer(self, key: str, low: int, high: int, default: int | None) -> Any:
        if key not in self.doc:
            return default
        value = self.doc[key]
        if params.is_integer(value) and low <= value <= high:
            return value
        self._bad(key, f"an integer in [{low}, {high}]")
        return default

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.doc.get(key, default)
        if value in choices:
            return value
        self._bad(key, "one of " + ", ".join(repr(c) for c in choices))
        return default


def _axes(table: Any, sampler: str, problems: scenario_files.Problems) -> tuple[Axis, ...]:
    if not isinstance(table, dict) or not table:
        problems.add(
            "key 'axes' is missing or empty; allowed: a table [axes] of parameters", key="axes"
        )
        return ()
    axes = []
    for name, value in table.items():
        spec = params.PARAMS_BY_NAME.get(name)
        if spec is None:
            problems.add(f"unknown key {name!r}{params.suggest(name)}", "axes", None, name)
            continue
        axis = _axis(name, spec, value, sampler, problems)
        if axis is not None:
            axes.append(axis)
    return tuple(axes)


def _axis(name: str, spec: params.ParamSpec, value: Any, sampler: str, problems) -> Axis | None:
    def bad(message: str) -> None:
        problems.add(f"key {name!r}: {message}", "axes", None, name)

    if isinstance(value, list):
        if sampler != "grid":
            bad(
                f"a list of values is for the grid sampler; allowed for {sampler!r}: "
                "{ low = ..., high = ... }"
            )
            return None
        if not value:
            bad("an empty list; allowed: one or more values")
            return None
        problem = _value_problem(name, value)
        if problem:
            bad(problem)
            return None
        return Axis(name, tuple(value))
    if isinstance(value, dict) and set(value) <= {"low", "high", "levels"}:
        if spec.type not in (int, float):
            bad(f"a range needs a numeric parameter; allowed for {spec.allowed}: a list of values")
            return None
        low, high = value.get("low", spec.low), value.get("high", spec.high)
        for key, x in (("low", low), ("high", high)):
            if not params.is_number(x) or not spec.low <= x <= spec.high:  # type: ignore[operator]
                bad(f"{key} = {x!r} is not allowed; allowed: {spec.allowed}")
                return None
        if not low < high:
            bad(f"low = {low!r} must be below high = {high!r}")
            return None
        if sampler == "grid":
            levels = value.get("levels")
            if not params.is_integer(levels) or not 2 <= levels <= 1000:
                bad("a range on a grid needs levels = N (2..1000), or give a list of values")
                return None
            # Rounded to 12 significant digits: 0.3, not 0.30000000000000004.
            grid = [float(f"{low + (high - low) * i / (levels - 1):.12g}") for i in range(levels)]
            if spec.type is int:
                grid = sorted({round(x) for x in grid})
            return Axis(name, tuple(grid))
        if "levels" in value:
            bad(f"levels is for the grid sampler, not {sampler!r}")
            return None
        return Axis(name, (), float(low), float(high))
    bad("allowed: a list of values (grid) or a table { low = ..., high = ... }")
    return None


def _value_problem(name: str, values: list[Any]) -> str | None:
    """The first problem of a value of ``name`` on its own (checks across keys, such as age
    shares adding up, apply to whole parameter sets: a run that breaks them is recorded as
    failed)."""
    for v in values:
        try:
            params.validate({name: v})
        except params.ParameterError as err:
            own = [m for k, m in zip(err.keys, err.problems, strict=True) if k == name]
            if own:
                return own[0]
    return None


def _path(table: Any, problems: scenario_files.Problems) -> LevelPath | None:
    """The ``[path]`` table: parameter, values (or low, high, levels: up then down), months."""

    def bad(key: str, message: str) -> None:
        problems.add(message, "path", None, key)

    if not isinstance(table, dict):
        problems.add("key 'path': allowed: a table [path]", key="path")
        return None
    for key in table:
        if key not in ("parameter", "values", "low", "high", "levels", "months"):
            bad(key, f"unknown key {key!r}; allowed: parameter, values, low, high, levels, months")
    name = table.get("parameter")
    spec = params.PARAMS_BY_NAME.get(name) if isinstance(name, str) else None
    if spec is None or not spec.changeable or spec.type is not float:
        bad(
            "parameter",
            f"key 'parameter': value {name!r}; allowed: a numeric parameter that may change "
            f"during a run (groups {', '.join(params.RUNTIME_GROUPS)})",
        )
        return None
    months = table.get("months", 24)
    if not params.is_integer(months) or months < 1:
        bad("months", f"key 'months': value {months!r}; allowed: an integer >= 1")
        return None
    if "values" in table:
        values = table["values"]
        if not isinstance(values, list) or len(values) < 2:
            bad("values", "key 'values': allowed: a list of two or more levels")
            return None
    else:
        low, high, levels = table.get("low"), table.get("high"), table.get("levels", 5)
        if not (
            params.is_number(low)
            and params.is_number(high)
            and params.is_integer(levels)
            and levels >= 2
        ):
            bad("low", "give values = [...], or low, high and levels (>= 2): up, then down")
            return None
        up = [float(f"{low + (high - low) * i / (levels - 1):.12g}") for i in range(levels)]
        values = up + up[-2::-1]
    problem = _value_problem(name, values)
    if problem:
        bad("values", problem)
        return None
    return LevelPath(name, tuple(float(v) for v in values), months)


def _outputs(tables: Any, problems: scenario_files.Problems) -> tuple[Output, ...]:
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        problems.add(
            "key 'outputs' is missing; allowed: one or more [[outputs]] tables with metric and "
            "stat",
            key="outputs",
        )
        return ()
    outputs = []
    for i, table in enumerate(tables):

        def bad(key: str, message: str, i: int = i) -> None:
            problems.add(message, "outputs", i, key)

        for key in table:
            if key not in ("metric", "stat", "last", "shock_start"):
                bad(key, f"unknown key {key!r}; allowed: metric, stat, last, shock_start")
        metric = table.get("metric")
        if metric not in metrics.METRICS:
            close = difflib.get_close_matches(str(metric), metrics.METRICS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            bad(
                "metric",
                f"key 'metric': value {metric!r} is not a metric{hint}; allowed: a "
                "name of coprod_sim.metrics.METRICS",
            )
            continue
        stat = table.get("stat", "final")
        if stat not in STATS:
            bad("stat", f"key 'stat': value {stat!r}; allowed: one of {', '.join(STATS)}")
            continue
        last = table.get("last", 12)
        if not params.is_integer(last) or last < 1:
            bad("last", f"key 'last': value {last!r}; allowed: an integer >= 1")
            continue
        shock = table.get("shock_start")
        if shock is not None and (not params.is_integer(shock) or shock < 1):
            bad("shock_start", f"key 'shock_start': value {shock!r}; allowed: an integer >= 1")
            continue
        outputs.append(Output(metric, stat, last, shock))
    columns = [o.column for o in outputs]
    for i, column in enumerate(columns):
        if columns.index(column) != i:
            problems.add(f"output {column!r} is listed twice", "outputs", i, "metric")
    return tuple(outputs)


def _check_consistency(ex: Experiment, problems: scenario_files.Problems) -> None:
    if ex.path is not None and ex.path.steps > ex.steps:
        problems.add(
            f"the path needs {ex.path.steps} months ({len(ex.path.values)} levels x "
            f"{ex.path.months}); allowed: steps >= that",
            key="steps",
        )
    if ex.path is not None and ex.path.parameter in [a.name for a in ex.axes]:
        problems.add("the path's parameter cannot also be an axis", "axes", None, ex.path.parameter)
    if "steps" in [a.name for a in ex.axes]:
        problems.add(
            "key 'steps' cannot be swept; allowed: the top-level steps", "axes", None, "steps"
        )
    if ex.sampler == "sobol" and ex.samples & (ex.samples - 1):
        problems.add(
            f"key 'samples': value {ex.samples} for sobol; allowed: a power of 2 (Saltelli's "
            "scheme needs it for its balance properties)",
            key="samples",
        )
    if ex.sampler in ("sobol", "morris") and len(ex.axes) < 2:
        problems.add(f"{ex.sampler} needs at least 2 axes", key="axes")
    for i, out in enumerate(ex.outputs):
        start = out.shock_start or ex.shock_start
        if out.stat in SHOCK_STATS:
            if start is None:
                problems.add(
                    f"stat {out.stat!r} needs a shock: the base scenario has none; allowed: a "
                    "scenario with a shock, or shock_start = MONTH",
                    "outputs",
                    i,
                    "stat",
                )
            elif not 1 <= start < ex.steps:
                problems.add(
                    f"shock_start {start} is outside the run; allowed: a month in [1, "
                    f"{ex.steps - 1}]",
                    "outputs",
                    i,
                    "stat",
                )
        if out.stat == "mean_last" and out.last > ex.steps:
            problems.add(
                f"last = {out.last} is longer than the run ({ex.steps} months)",
                "outputs",
                i,
                "last",
            )
    if not math.isfinite(n_runs(ex)) or n_runs(ex) > MAX_RUNS:
        problems.add(
            f"the design has {n_runs(ex):,} runs; allowed: at most {MAX_RUNS:,}", key="axes"
        )


def n_points(ex: Experiment) -> int:
    """Number of distinct parameter points the sampler produces."""
    d = len(ex.axes)
    if ex.sampler == "grid":
        return math.prod(len(a.values) for a in ex.axes)
    if ex.sampler == "lhs":
        return ex.samples
    if ex.sampler == "sobol":
        return ex.samples * (2 * d + 2)
    return ex.samples * (d + 1)  # morris trajectories


def n_runs(ex: Experiment) -> int:
    return n_points(ex) * ex.replications
