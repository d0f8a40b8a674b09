"""Running scenarios: replications on fixed seeds, tidy outputs, and atomic output folders.

:func:`simulate` runs one scenario on one seed and returns its time series and final agent
snapshot. :func:`run_all` runs several scenarios x replications on the same seeds (replication
``i`` uses ``seed + i``) and stacks the results into two tidy frames with ``scenario``,
``replication`` and ``seed`` columns. :func:`staged_output` makes writing a folder atomic.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import params
from ._version import __version__
from .errors import InputError
from .model import CoproductionModel
from .scenario import Scenario
from .signals import signals_held as _signals_held  # validation.document imports it from here
from .signals import terminate_as_interrupt

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
    out: list[str] = []
    for sc in scenarios:
        base = sc.name or "scenario"
        label, k = base, 1
        while label in out:
            k += 1
            label = f"{base}-{k}"
        out.append(label)
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


OUTPUT_NAMES: frozenset[str] = frozenset(
    {
        "timeseries.parquet",
        "timeseries.csv",
        "agents.parquet",
        "scenario.resolved.toml",
        "scenarios",
        "final_values.csv",
        "report.html",
    }
)
"""What ``coprod run`` and ``coprod compare`` write into an output folder."""


class OutputExistsError(InputError, FileExistsError):
    """The output folder cannot be used (exists and is not empty without ``force``, holds
    other files, is the working folder, or cannot be written)."""


def check_output(out: str | os.PathLike, force: bool) -> None:
    """Fail early, before any work, if ``out`` cannot be written (or replaced)."""
    out = Path(out)
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise OutputExistsError(
            f"--out {out}: the working folder or one that holds it; allowed: a folder below it"
        )
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"--out {out}: it is a file, not a folder; allowed: a folder")
    existing = next((p for p in (out, *out.absolute().parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise OutputExistsError(
            f"--out {out}: {existing} cannot be written; allowed: a folder you can write to"
        )
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise OutputExistsError(
            f"--out {out}: the folder exists and is not empty; allowed: a new or empty folder, "
            "or --force to replace an earlier output folder"
        )
    others = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_NAMES)
    if others:
        # --force replaces the whole folder: never one that holds anything but our outputs.
        raise OutputExistsError(
            f"--out {out}: the folder holds files that coprod did not write "
            f"({', '.join(others[:5])}{', ...' if len(others) > 5 else ''}), "
            "so --force will not replace it; allowed: a "
            "new or empty folder, or an earlier output folder of coprod run or compare"
        )


PARTIAL = re.compile(r"\.(?P<name>.+)\.coprod-(?P<pid>[1-9][0-9]*)-[0-9a-f]{12}\.partial")
"""The name of a staging folder or temporary file: the process that writes it is in it."""


def partial_name(name: str) -> str:
    """A hidden staging name for ``name``, naming this process (see :data:`PARTIAL`)."""
    return f".{name}.coprod-{os.getpid()}-{uuid.uuid4().hex[:12]}.partial"


def _owner_alive(pid: int) -> bool:
    """Whether process ``pid`` may still be writing (signal 0 only asks; a pid we may not
    signal belongs to another user's live process, and counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_partials(folder: str | os.PathLike) -> list[Path]:
    """Staging folders and temporary files in ``folder`` whose writing process is gone.

    SIGKILL (or a power cut) gives a command no chance to remove them, and a hidden
    ``.out.….partial`` folder as large as the output stayed for good. Only names of
    :data:`PARTIAL` count, so nothing but our own is touched; and only with no live process
    of that pid (our own, for one, may be writing another in a thread)."""
    found = []
    with contextlib.suppress(OSError):  # a folder we cannot list holds nothing to clean
        for path in Path(folder).iterdir():
            match = PARTIAL.fullmatch(path.name)
            if match and not _owner_alive(int(match["pid"])):
                found.append(path)
    return sorted(found)


def remove_stale_partials(folder: str | os.PathLike) -> list[Path]:
    """Remove :func:`stale_partials` of ``folder`` (best effort); return what was removed."""
    removed = []
    for path in stale_partials(folder):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def staged_output(out: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a hidden staging folder next to ``out``; on success it replaces ``out`` by a
    rename, so ``out`` always holds either the previous output or a complete new one.

    On any error, Ctrl-C or SIGTERM the staging folder (and any parent folder created for it)
    is removed and ``out`` is left as it was. A staging folder that a SIGKILL left in the
    same parent is removed first (:func:`remove_stale_partials`).
    """
    out = Path(out)
    check_output(out, force)
    created = [p for p in reversed(out.absolute().parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out.parent)
    # mkdir (not mkdtemp) so that the folder gets the user's usual permissions (umask).
    staging = out.parent / partial_name(out.name)
    staging.mkdir()
    try:
        with terminate_as_interrupt():
            yield staging
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for parent in reversed(created):
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise


def _publish(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out`` by renames (atomic on one file system), with signals held
    so that an interruption cannot fall between the two renames."""
    old = out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.old"
    with _signals_held():
        if out.exists():
            os.rename(out, old)
        try:
            os.rename(staging, out)
        except BaseException:
            if old.exists():
                os.rename(old, out)  # put the previous output back
            raise
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def naming(path: str | os.PathLike) -> Iterator[None]:
    """Name ``path`` in an OSError raised without a file name.

    A full disk fails in ``write()``, whose error names no file (pyarrow's names none
    either), so "cannot write: No space left on device" left the user to guess which path
    on which disk; the command line prints the name given here."""
    try:
        yield
    except OSError as err:
        if err.filename is not None:
            raise
        why = err.strerror or (os.strerror(err.errno) if err.errno else str(err) or repr(err))
        # OSError(errno, ...) picks the subclass of the errno, as the original had.
        raise OSError(err.errno, why, str(path)) from err


def write_atomic(path: str | os.PathLike, text: str | bytes) -> None:
    """Write ``text`` (str as UTF-8, or bytes) to ``path`` through a temporary file and a
    rename (the new file keeps the user's usual permissions)."""
    path = Path(path)
    remove_stale_partials(path.parent)
    tmp = path.with_name(partial_name(path.name))
    try:
        with terminate_as_interrupt(), naming(path):
            if isinstance(text, bytes):
                tmp.write_bytes(text)
            else:
                tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# ------------------------------------------------------------------------------ titles


def _plain(value: Any) -> str:
    """A value as a person writes it: 0.8, 60, true, 'top_down'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_changes(changes: Mapping[str, Any]) -> str:
    """Parameter changes in the schema's words: "staff training = 0.8 and steps = 60"."""
    labels = {name: spec.label for name, spec in params.PARAMS_BY_NAME.items()}
    phrases = [f"{labels.get(name, name)} = {_plain(v)}" for name, v in changes.items()]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def with_changes(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """``scenario`` retitled for a run that changes some of its parameters (``--set``): a
    report titled "Baseline" with the baseline's question would claim to show the preset
    itself. The title and question name the changes; the description and sources stay the
    scenario's own. With no changes the scenario is returned as it is."""
    if not changes:
        return scenario
    what = describe_changes(changes)
    base = scenario.title or scenario.name
    question = f"What changes with {what}?"
    if scenario.question:
        question += f" (Without the changes, {base} asks: {scenario.question})"
    return scenario.replace(title=f"{base}, with {what}", question=question)


def info(
    scenario: Scenario, version: str = __version__, changes: Mapping[str, Any] | None = None
) -> dict:
    """What a report says about a scenario as run (see :func:`coprod_sim.report.render`);
    ``version`` is the package version that ran it, ``changes`` the parameters set for this
    run on the command line (the headline names them)."""
    return {
        "label": scenario.name,
        "run_changes": describe_changes(changes) if changes else "",
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
