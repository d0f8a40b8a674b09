"""Running scenarios: replications on fixed seeds, tidy outputs, and atomic output folders.

:func:`simulate` runs one scenario on one seed and returns its time series and final agent
snapshot. :func:`run_all` runs several scenarios x replications on the same seeds (replication
``i`` uses ``seed + i``) and stacks the results into two tidy frames with ``scenario``,
``replication`` and ``seed`` columns. :func:`staged_output` makes writing a folder atomic.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ._version import __version__
from .model import CoproductionModel
from .scenario import Scenario

KEYS: tuple[str, ...] = ("scenario", "replication", "seed")
"""The columns that identify a run in every tidy output."""


def seeds_for(seed: int, replications: int) -> list[int]:
    """The seeds of the replications: ``seed, seed + 1, ...`` (easy to rerun one alone)."""
    return [seed + i for i in range(replications)]


def simulate(
    scenario: Scenario, seed: int, on_step: Callable[[], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``scenario`` for its ``steps`` on ``seed``: (time series, final agent snapshot).

    The time series has one row per month from 0 (the initial state) to ``steps``.
    """
    model = CoproductionModel(scenario=scenario, rng=seed)
    for _ in range(scenario.steps):
        model.step()
        if on_step is not None:
            on_step()
    return model.metrics_frame().reset_index(), model.agent_snapshot()


@dataclass
class Results:
    """Tidy results of one or more scenarios: one row per (scenario, replication, month) in
    ``timeseries``; one row per (scenario, replication, agent) in ``agents``."""

    timeseries: pd.DataFrame
    agents: pd.DataFrame
    scenarios: list[Scenario]  # as run: seed and replications set, ``name`` = label


def labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Unique labels for scenarios (their names; repeats get ``-2``, ``-3``...)."""
    seen: dict[str, int] = {}
    out = []
    for sc in scenarios:
        base = sc.name or "scenario"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def run_all(
    scenarios: Sequence[Scenario],
    seed: int,
    replications: int,
    on_step: Callable[[str, int], None] | None = None,
) -> Results:
    """Run every scenario ``replications`` times on the same seeds.

    ``on_step(label, replication)`` is called after each month (for progress bars).
    """
    series, snapshots, ran = [], [], []
    for label, scenario in zip(labels(scenarios), scenarios, strict=True):
        ran.append(scenario.replace(rng=seed, name=label, replications=replications))
        for replication, s in enumerate(seeds_for(seed, replications)):
            tick = None if on_step is None else (lambda lb=label, r=replication: on_step(lb, r))
            ts, agents = simulate(scenario, s, tick)
            for frame in (ts, agents):
                frame.insert(0, "seed", s)
                frame.insert(0, "replication", replication)
                frame.insert(0, "scenario", label)
            series.append(ts)
            snapshots.append(agents)
    return Results(
        pd.concat(series, ignore_index=True), pd.concat(snapshots, ignore_index=True), ran
    )


# ------------------------------------------------------------------------------ output folders


MARKER = "timeseries.parquet"
"""Every output folder of ``coprod run`` and ``coprod compare`` holds this file."""


class OutputExistsError(FileExistsError):
    """The output folder exists and is not empty (and ``force`` was not given)."""


def check_output(out: Path, force: bool) -> None:
    """Fail early, before any work, if ``out`` cannot be written."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"--out {out}: it is a file, not a folder; allowed: a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise OutputExistsError(
            f"--out {out}: the folder exists and is not empty; allowed: a new or empty folder, "
            "or --force to replace an earlier output folder"
        )
    if not (out / MARKER).is_file():
        # --force replaces a whole folder: never one that holds anything but our outputs.
        raise OutputExistsError(
            f"--out {out}: the folder holds files that coprod did not write (no {MARKER}), "
            "so --force will not replace it; allowed: a new or empty folder, or an earlier "
            "output folder of coprod run or compare"
        )


@contextlib.contextmanager
def staged_output(out: Path, force: bool = False) -> Iterator[Path]:
    """Yield a hidden staging folder next to ``out``; on success it replaces ``out`` by a
    rename, so ``out`` always holds either the previous output or a complete new one.

    On any error or Ctrl-C the staging folder (and any parent folder created for it) is
    removed and ``out`` is left as it was.
    """
    check_output(out, force)
    created = [p for p in reversed(out.absolute().parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    # mkdir (not mkdtemp) so that the folder gets the user's usual permissions (umask).
    staging = out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.partial"
    staging.mkdir()
    try:
        yield staging
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for parent in reversed(created):
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise


def _publish(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out`` by renames (atomic on one file system)."""
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, old / "previous")
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old / "previous", out)  # put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def info(scenario: Scenario, version: str = __version__) -> dict:
    """What a report says about a scenario as run (see :func:`coprod_sim.report.render`);
    ``version`` is the package version that ran it."""
    return {
        "label": scenario.name,
        "title": scenario.title or scenario.name,
        "description": scenario.description,
        "question": scenario.question,
        "sources": list(scenario.sources),
        "seeds": seeds_for(int(scenario.rng), scenario.replications),
        "replications": scenario.replications,
        "steps": scenario.steps,
        "version": version,
        "changed": scenario.changed(),
        "events": [
            {
                "kind": e.kind,
                "start": e.start,
                "duration": e.duration,
                "share": e.share,
                "set": dict(e.set),
                "note": e.note,
            }
            for e in scenario.events
        ],
    }
