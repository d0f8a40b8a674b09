"""The results store of a sweep: a Parquet dataset with one row per run, and a manifest.

Layout of a sweep folder::

    manifest.json            experiment, content hash, design summary, package version
    experiment.toml          the experiment file as given
    scenario.resolved.toml   the base scenario, resolved (every parameter)
    design.parquet           every run: run_id, point, replicate, seed, axis values
    runs/part-000000.parquet one row per finished run: the design columns, outputs, error
    timeseries/part-....     per-month metrics of each run (only if the experiment asks)

Each part is written to a temporary file and renamed, and a time-series part is written
before the runs part of the same number, which marks its runs as done. So a killed sweep
leaves only whole parts, and ``--resume`` reruns exactly the runs no runs part records.

A store damaged otherwise (a truncated or empty part, a part copied twice, temporary files
left by a killed sweep) is not read as if whole: :func:`inspect` finds the damage, reading
refuses such a store with a message naming the parts, and ``--resume`` sets damaged and
duplicated parts aside (renamed ``*.damaged``, ``*.duplicate``, kept for inspection) and
reruns their runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import scenario_files
from .._version import __version__
from ..runs import naming
from .spec import Experiment, n_points, n_runs

FORMAT = 1


class StoreError(scenario_files.ScenarioError):
    """The output folder cannot hold (or continue) this sweep, or cannot be read."""

    def __init__(self, message: str, folder: Path, option: str = "--out"):
        super().__init__([message], f"{option} {folder}")


PART = "part-*.parquet"
STALE_SECONDS = 60.0
"""A temporary ``.partial`` file older than this is left by a killed sweep (a live write
renames its file within a second or so); readers refuse a store holding one."""
SETUP = ("design.parquet", "experiment.toml", "scenario.resolved.toml", "runs", "timeseries")
"""What :meth:`Store.create` writes before ``manifest.json`` (which it writes last)."""


@dataclass
class Damage:
    """What :func:`inspect` found wrong with a sweep folder's parts."""

    damaged: list[tuple[Path, str]] = field(default_factory=list)  # part, why unreadable
    duplicated: list[tuple[Path, Path]] = field(default_factory=list)  # part, earlier part
    partial: list[Path] = field(default_factory=list)  # temporary files of unfinished writes

    def __bool__(self) -> bool:
        return bool(self.damaged or self.duplicated or self.partial)

    def parts(self, folder: Path) -> list[tuple[Path, str, str]]:
        """Each damaged or duplicated part: (path, what is wrong, the suffix it is set aside
        with)."""
        found = [(p, f"{_rel(p, folder)} is damaged ({why})", "damaged") for p, why in self.damaged]
        found += [
            (p, f"{_rel(p, folder)} repeats runs already in {_rel(q, folder)}", "duplicate")
            for p, q in self.duplicated
        ]
        return found

    def problems(self, folder: Path) -> list[str]:
        """One line per damaged part, duplicated part and temporary file."""
        lines = [line for _, line, _ in self.parts(folder)]
        return lines + [
            f"{_rel(p, folder)} is an unfinished write of a killed sweep" for p in self.partial
        ]


def _rel(path: Path, folder: Path) -> str:
    return str(path.relative_to(folder))


def _run_ids(part: Path) -> list[int]:
    """The run ids a runs part records; raises ValueError if it cannot be read."""
    try:
        table = pq.read_table(part, columns=["run_id"])
    except (pa.ArrowException, OSError) as err:  # truncated, empty, not Parquet, no run_id
        raise ValueError(_why(err)) from None
    return table.column(0).to_pylist()


def _why(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]


def _readable(part: Path) -> str | None:
    """Why a time-series part cannot be read (its footer or schema), or None."""
    try:
        names = pq.read_schema(part).names
    except (pa.ArrowException, OSError) as err:
        return _why(err)
    return None if {"run_id", "month"} <= set(names) else "no run_id and month columns"


def inspect(folder: str | os.PathLike, stale_seconds: float = STALE_SECONDS) -> Damage:
    """Find damaged (unreadable) and duplicated parts and temporary files in a sweep folder.

    A part is duplicated if it records a run an earlier part (by name) already records; a
    time-series part is damaged if it cannot be read or its runs part is damaged."""
    folder = Path(folder)
    found = Damage()
    now = time.time()
    for sub in ("runs", "timeseries"):
        for tmp in sorted((folder / sub).glob(".*.partial")):
            if now - tmp.stat().st_mtime >= stale_seconds:
                found.partial.append(tmp)
    seen: dict[int, Path] = {}
    for part in sorted((folder / "runs").glob(PART)):
        try:
            ids = _run_ids(part)
        except ValueError as err:
            found.damaged.append((part, str(err)))
            continue
        earlier = next((seen[i] for i in ids if i in seen), None)
        if earlier is not None or len(set(ids)) < len(ids):
            found.duplicated.append((part, earlier or part))
            continue
        seen.update(dict.fromkeys(ids, part))
    for part in sorted((folder / "timeseries").glob(PART)):
        why = _readable(part)
        if why is not None:
            found.damaged.append((part, why))
    return found


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with naming(path):  # a full disk names no file of its own
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    with naming(path):
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Store:
    """A sweep folder (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        folder = Path(folder)
        self.folder = folder
        self.runs_dir = folder / "runs"
        self.series_dir = folder / "timeseries"
        self._next = 0
        self.repairs: list[str] = []  # what reopen repaired, for the user

    # ------------------------------------------------------------------ creating, reopening
    @staticmethod
    def check_new(folder: str | os.PathLike) -> None:
        """Fail unless ``folder`` is absent or empty (before any work starts)."""
        folder = Path(folder)
        _refuse_a_file(folder)
        if folder.is_dir() and any(folder.iterdir()):
            raise StoreError(
                "the folder exists and is not empty; allowed: a new or empty folder, or "
                "--resume to continue the sweep it holds",
                folder,
            )

    @classmethod
    def create(
        cls, folder: str | os.PathLike, ex: Experiment, design: pd.DataFrame, source: str
    ) -> Store:
        """A new store in ``folder`` (which must be absent or empty)."""
        folder = Path(folder)
        cls.check_new(folder)
        store = cls(folder)
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        if ex.timeseries:
            store.series_dir.mkdir()
        _write_parquet(design, folder / "design.parquet")
        _write_text(source, folder / "experiment.toml")
        _write_text(
            scenario_files.dumps(ex.scenario, origin=ex.scenario_ref),
            folder / "scenario.resolved.toml",
        )
        _write_text(json.dumps(manifest(ex), indent=2), folder / "manifest.json")
        return store

    @staticmethod
    def never_started(folder: str | os.PathLike) -> bool:
        """Whether ``folder`` holds a sweep killed before it wrote its manifest (absent, or
        only what :meth:`create` writes before it, and no part): resuming starts afresh."""
        folder = Path(folder)
        if (folder / "manifest.json").exists():
            return False
        if not folder.exists():
            return True
        if not folder.is_dir():
            return False
        own = all(p.name in SETUP or p.name.endswith(".partial") for p in folder.iterdir())
        parts = any(True for sub in ("runs", "timeseries") for _ in (folder / sub).glob(PART))
        return own and not parts

    @staticmethod
    def clear_setup(folder: str | os.PathLike) -> None:
        """Remove what a sweep killed before its manifest left (see :meth:`never_started`):
        :meth:`create` writes it all again, the same."""
        folder = Path(folder)
        for path in folder.iterdir() if folder.is_dir() else ():
            if path.is_dir():
                for tmp in path.glob(".*.partial"):
                    tmp.unlink()
                path.rmdir()  # empty: never_started found no part in it
            else:
                path.unlink()

    @classmethod
    def reopen(cls, folder: str | os.PathLike, ex: Experiment) -> Store:
        """The store of an interrupted sweep of the same experiment, repaired for resuming:
        damaged and duplicated parts are set aside (their runs run again), temporary files
        removed; :attr:`repairs` says what was done."""
        folder = Path(folder)
        _refuse_a_file(folder)
        path = folder / "manifest.json"
        if not path.is_file():
            raise StoreError("no manifest.json here; allowed: a folder of an earlier sweep", folder)
        found = read_manifest(folder).get("hash")
        if found != ex.hash:
            raise StoreError(
                f"the folder belongs to a different experiment (content hash {str(found)[:12]}, "
                f"this one {ex.hash[:12]}); allowed: the folder of this experiment's sweep, or "
                "a new --out",
                folder,
            )
        store = cls(folder)
        store._repair()
        store._tidy()
        return store

    def _repair(self) -> None:
        """Set damaged and duplicated parts aside, with the other half of their number (a
        runs part and its time series go together), and remove temporary files."""
        damage = inspect(self.folder, stale_seconds=0.0)  # no sweep writes here now
        for tmp in damage.partial:
            tmp.unlink()
        if damage.partial:
            names = ", ".join(_rel(p, self.folder) for p in damage.partial)
            self.repairs.append(f"removed {len(damage.partial)} unfinished write(s): {names}")
        for part, line, reason in damage.parts(self.folder):
            for half in (self.runs_dir / part.name, self.series_dir / part.name):
                if half.exists():
                    _set_aside(half, reason)
            self.repairs.append(f"{line}: set aside as {part.name}.{reason}; its runs run again")

    def _tidy(self) -> None:
        """Drop time-series parts whose runs part never landed (the sweep was killed between
        the two writes; their runs run again) and find the next part number."""
        done = {p.name for p in self.runs_dir.glob(PART)}
        if self.series_dir.is_dir():
            for part in self.series_dir.glob(PART):
                if part.name not in done:
                    part.unlink()
        numbers = [int(p.stem.split("-")[1]) for p in self.runs_dir.glob(PART)]
        self._next = max(numbers, default=-1) + 1

    # ------------------------------------------------------------------ writing, reading
    def done_ids(self) -> set[int]:
        """Run ids already stored (reads only that column)."""
        ids: set[int] = set()
        for part in sorted(self.runs_dir.glob(PART)):
            ids.update(_run_ids(part))  # reopen set every unreadable part aside
        return ids

    def write(self, rows: list[dict[str, Any]], series: pd.DataFrame | None) -> None:
        """Store finished runs as one new part (time series first, then the runs)."""
        if not rows:
            return
        name = f"part-{self._next:06d}.parquet"
        self._next += 1
        if series is not None and self.series_dir.is_dir():
            _write_parquet(series, self.series_dir / name)
        _write_parquet(pd.DataFrame(rows), self.runs_dir / name)


def manifest(ex: Experiment) -> dict[str, Any]:
    """What manifest.json records about the experiment and its design."""
    return {
        "format": FORMAT,
        "name": ex.name,
        "title": ex.title,
        "question": ex.question,
        "description": ex.description,
        "hash": ex.hash,
        "scenario": ex.scenario_ref,
        "sampler": ex.sampler,
        "samples": ex.samples,
        "levels": ex.levels,
        "replications": ex.replications,
        "steps": ex.steps,
        "seed": ex.seed,
        "timeseries": ex.timeseries,
        "n_points": n_points(ex),
        "n_runs": n_runs(ex),
        "axes": [
            {"name": a.name, "values": list(a.values), "low": a.low, "high": a.high}
            for a in ex.axes
        ],
        "outputs": [
            {
                "column": o.column,
                "metric": o.metric,
                "stat": o.stat,
                "last": o.last,
                "shock_start": o.shock_start or ex.shock_start,
            }
            for o in ex.outputs
        ],
        "fixed": ex.fixed,
        "path": None
        if ex.path is None
        else {
            "parameter": ex.path.parameter,
            "values": list(ex.path.values),
            "months": ex.path.months,
        },
        "version": __version__,
    }


def _refuse_a_file(folder: Path) -> None:
    """A file where the sweep's folder should be: say so (it is neither empty nor a sweep)."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(
            "it is a file, not a folder; allowed: a new or empty folder, or the folder of an "
            "earlier sweep with --resume",
            folder,
        )


def _set_aside(path: Path, reason: str) -> Path:
    """Rename ``path`` to ``path.<reason>`` (numbered if taken): out of the readers' way, kept."""
    target = path.with_name(f"{path.name}.{reason}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{reason}-{n}")
    os.replace(path, target)
    return target


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The manifest of the sweep in ``folder``; :class:`StoreError` if it cannot be read."""
    folder = Path(folder)
    try:
        found = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:  # missing, unreadable, not JSON (UnicodeError too)
        raise StoreError(
            f"manifest.json cannot be read ({_why(err)}); allowed: the manifest a sweep wrote",
            folder,
            "FOLDER",
        ) from None
    if not isinstance(found, dict):
        raise StoreError("manifest.json is not a JSON object", folder, "FOLDER")
    return found


def check_whole(folder: str | os.PathLike) -> None:
    """Refuse a store with damaged or duplicated parts or a killed sweep's temporary files,
    naming each, rather than read it as if whole."""
    folder = Path(folder)
    damage = inspect(folder)
    if damage:
        raise StoreError(
            "; ".join(damage.problems(folder))
            + "; allowed: a whole store (`coprod sweep EXPERIMENT --out FOLDER --resume` sets "
            "these parts aside and runs their runs again)",
            folder,
            "FOLDER",
        )


def read_runs(folder: str | os.PathLike) -> pd.DataFrame:
    """Every stored run, sorted by run id (:class:`StoreError` if the store is damaged)."""
    folder = Path(folder)
    check_whole(folder)
    parts = sorted((folder / "runs").glob(PART))
    if not parts:
        return pd.DataFrame()
    frame = pd.concat([_read_part(p, folder) for p in parts], ignore_index=True)
    return frame.sort_values("run_id", ignore_index=True)


def read_timeseries(folder: str | os.PathLike) -> pd.DataFrame:
    """Every stored time series (run_id, month, metrics), sorted by run id and month."""
    folder = Path(folder)
    check_whole(folder)
    parts = sorted((folder / "timeseries").glob(PART))
    if not parts:
        return pd.DataFrame()
    frame = pd.concat([_read_part(p, folder) for p in parts], ignore_index=True)
    return frame.sort_values(["run_id", "month"], ignore_index=True)


def _read_part(part: Path, folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One part; damage past its footer (found only when reading the data) is named too."""
    try:
        return pd.read_parquet(part, columns=columns)
    except (pa.ArrowException, OSError) as err:
        raise StoreError(
            f"{_rel(part, folder)} is damaged ({_why(err)}); allowed: a whole store "
            "(`coprod sweep EXPERIMENT --out FOLDER --resume` runs its runs again)",
            folder,
            "FOLDER",
        ) from None
