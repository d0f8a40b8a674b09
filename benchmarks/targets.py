"""Every benchmark target, defined once and imported by each benchmark script.

A :class:`Target` knows how to judge a measured number (``met``), how to print itself
(``text``) and by what factor a missed value falls short (``factor``). The ``key`` names the
target in ``run_all.WHY_MISSED`` and in the 'Missed targets' section of RESULTS.md.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

_OPS = {">=": operator.ge, "<=": operator.le, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Target:
    """A bound on one measured figure, in ``unit`` (numbers are compared in that unit)."""

    key: str  # short name, used by run_all.WHY_MISSED
    what: str  # the figure it bounds, in words
    op: str  # one of >=, <=, <, >
    limit: float
    unit: str  # how ``limit`` is printed after the number
    scale: float = 1.0  # ``limit / scale`` is printed (e.g. 1e6 for "M/s")
    digits: int = 0  # decimals printed

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"unknown comparison {self.op!r}")

    @property
    def higher_is_better(self) -> bool:
        return self.op in (">=", ">")

    def show(self, number: float) -> str:
        """A number in this target's unit, e.g. ``7.28 M/s``."""
        return f"{number / self.scale:,.{self.digits}f}{self.unit}"

    @property
    def text(self) -> str:
        """The target as printed in the table, e.g. ``>= 10 M/s``."""
        return f"{self.op} {self.show(self.limit)}"

    def met(self, number: float) -> bool:
        return bool(_OPS[self.op](number, self.limit))

    def factor(self, number: float) -> float:
        """How many times too low (or too high) ``number`` is; 1 or less when it is met."""
        if self.higher_is_better:
            return self.limit / number if number > 0 else float("inf")
        return number / self.limit if self.limit > 0 else float("inf")


# ------------------------------------------------------------------ engine (this 2-core machine)
ENGINE_RATE = Target(
    "engine_rate", "citizen-steps/s at 100,000 citizens", ">=", 10e6, " M/s", 1e6, 0
)
LIMIT_RATIO = Target(
    "limit_ratio", "numpy limit / ours at 100,000 citizens", "<=", 5.0, "x", 1.0, 0
)
PEER_RATIO = Target(
    "peer_ratio", "ours / Mesa virus_on_network at 10,000 agents", ">=", 50.0, "x", 1.0, 0
)
MILLION_TIME = Target(
    "million_time", "1,000,000 citizens x 120 steps, build + run", "<=", 60.0, " s", 1.0, 0
)
MILLION_MEMORY = Target(
    "million_memory", "peak memory of that run (1 GB = 1e9 bytes)", "<", 4e9, " GB", 1e9, 0
)
BUILD_TIME = Target("build_time", "build of a 100,000-citizen model", "<=", 3.0, " s", 1.0, 0)
DASHBOARD_STEP = Target(
    "dashboard_step", "dashboard step + redraw at 1,000 citizens (median)", "<=", 150.0, " ms"
)
SWEEP_RATE = Target(
    "sweep_rate", "sweep runs/s, 1,000 citizens x 120 steps, 2 workers", ">=", 10.0, " runs/s"
)

# ------------------------------------------------------------------ start-up (command line)
STARTUP_HELP = Target("startup_help", "CPU time of `coprod --help`", "<=", 0.5, " s", 1.0, 2)
STARTUP_PARAMS = Target("startup_params", "CPU time of `coprod params`", "<=", 0.5, " s", 1.0, 2)
STARTUP_IMPORTS = Target(
    "startup_imports",
    "of mesa, plotly, solara, dask loaded by importing coprod_sim.cli",
    "<=",
    0,
    " loaded",
)

# ------------------------------------------------------------------ earlier targets, kept
STEP_TIME = Target("step_time", "one step at 1,000 citizens (median)", "<=", 2.0, " ms")
DASHBOARD_LOAD = Target("dashboard_load", "first load of the dashboard page", "<=", 5.0, " s")
SWEEP_SCALING = Target(
    "sweep_scaling", "sweep scaling efficiency, 1 -> 2 workers", ">=", 0.80, "%", 0.01, 0
)
SWEEP_MEMORY_GROWTH = Target(
    "sweep_memory_growth", "peak memory of a 4x bigger sweep / the smaller", "<=", 1.25, "x", 1, 2
)
SESSIONS_MEMORY = Target(
    "sessions_memory",
    "dashboard server memory after 20 sessions closed / before them",
    "<=",
    1.10,
    "x",
    1,
    2,
)

ALL: tuple[Target, ...] = (
    ENGINE_RATE,
    LIMIT_RATIO,
    PEER_RATIO,
    MILLION_TIME,
    MILLION_MEMORY,
    BUILD_TIME,
    DASHBOARD_STEP,
    SWEEP_RATE,
    STARTUP_HELP,
    STARTUP_PARAMS,
    STARTUP_IMPORTS,
    STEP_TIME,
    DASHBOARD_LOAD,
    SWEEP_SCALING,
    SWEEP_MEMORY_GROWTH,
    SESSIONS_MEMORY,
)
BY_KEY: dict[str, Target] = {t.key: t for t in ALL}
