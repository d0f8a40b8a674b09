"""Start-up of the command line: CPU time of `coprod --help` and `coprod params`,
and whether importing the CLI keeps the heavy libraries out.

Run from the repository root::

    python benchmarks/startup.py            # medians of 3, a few seconds
    python benchmarks/startup.py --quick    # one of each

Like the other scripts it prints figures against their targets, asserts nothing and exits 0.
The CPU time is the child's own (user + system, ``getrusage`` of the children), so that other
work on the machine changes it far less than it changes the wall time (printed beside it).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _harness import Row, environment, progress, table
from targets import STARTUP_HELP, STARTUP_IMPORTS, STARTUP_PARAMS  # defined once, there

COPROD = Path(sys.executable).parent / "coprod"
HEAVY = ("mesa", "plotly", "solara", "dask")
"""The libraries `coprod --help` must not import (tests/test_startup.py checks the same)."""
COMMANDS = {
    "coprod --help": (["--help"], STARTUP_HELP),
    "coprod params": (["params"], STARTUP_PARAMS),
}
PACKAGES = ("typer", "rich", "coprod-sim")

# Run in a fresh interpreter: a lazily imported module sits in sys.modules as a placeholder
# until first used, so only those really loaded count.
PROBE = f"""
import importlib.util, json, sys
import coprod_sim.cli
loaded = [m for m in {HEAVY!r} if m in sys.modules
          and not isinstance(sys.modules[m], importlib.util._LazyModule)]
print(json.dumps(loaded))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_and_wall(args: list[str]) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one `coprod ARGS` in a child process."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run([COPROD, *args], stdout=subprocess.DEVNULL, check=True, timeout=120)
    return _children_cpu() - cpu, time.perf_counter() - started


def heavy_loaded() -> list[str]:
    """The heavy libraries a fresh interpreter holds after importing coprod_sim.cli."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def command_rows(name: str, cpus: list[float], walls: list[float]) -> list[Row]:
    """A command's row, judged on its median CPU time, and the wall time for information."""
    target = COMMANDS[name][1]
    cpu = statistics.median(cpus)
    return [
        Row.judged(f"{name}, CPU (median of {len(cpus)})", target.show(cpu), target, cpu),
        Row(f"  {name}, wall (median)", f"{statistics.median(walls):.2f} s"),
    ]


def imports_row(loaded: list[str]) -> Row:
    """Whether importing the CLI left the heavy libraries out (the number loaded, judged)."""
    value = ", ".join(loaded) if loaded else "none"
    return Row.judged(
        f"heavy libraries loaded by `import coprod_sim.cli` ({', '.join(HEAVY)})",
        value,
        STARTUP_IMPORTS,
        len(loaded),
    )


def rows(repeats: int = 3) -> list[Row]:
    """Every start-up row: each command ``repeats`` times, then the import check."""
    out = []
    for name, (args, _) in COMMANDS.items():
        progress(f"start-up: {name}, {repeats} times")
        cpus, walls = zip(*(cpu_and_wall(args) for _ in range(repeats)), strict=True)
        out += command_rows(name, list(cpus), list(walls))
    progress("start-up: what importing coprod_sim.cli loads")
    return [*out, imports_row(heavy_loaded())]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each command once")
    args = parser.parse_args(argv)
    measured = rows(1 if args.quick else 3)
    lines = [f"{k:<9} {v}" for k, v in environment(PACKAGES).items()]
    print("\n".join(["coprod start-up (issue 14)", *lines, *table(measured)]))


if __name__ == "__main__":
    main()
