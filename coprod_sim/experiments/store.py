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
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from .. import scenario as S
from .._version import __version__
from .spec import Experiment, n_points, n_runs

FORMAT = 1


class StoreError(S.ScenarioError):
    """The output folder cannot hold (or continue) this sweep."""

    def __init__(self, message: str, folder: Path):
        super().__init__([message], f"--out {folder}")


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Store:
    """A sweep folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runs_dir = folder / "runs"
        self.series_dir = folder / "timeseries"
        self._next = 0

    # ------------------------------------------------------------------ creating, reopening
    @staticmethod
    def check_new(folder: Path) -> None:
        """Fail unless ``folder`` is absent or empty (before any work starts)."""
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise StoreError(
                "the folder exists and is not empty; allowed: a new or empty folder, or "
                "--resume to continue the sweep it holds",
                folder,
            )

    @classmethod
    def create(cls, folder: Path, ex: Experiment, design: pd.DataFrame, source: str) -> Store:
        """A new store in ``folder`` (which must be absent or empty)."""
        cls.check_new(folder)
        store = cls(folder)
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        if ex.timeseries:
            store.series_dir.mkdir()
        _write_parquet(design, folder / "design.parquet")
        _write_text(source, folder / "experiment.toml")
        _write_text(S.dumps(ex.scenario, origin=ex.scenario_ref), folder / "scenario.resolved.toml")
        _write_text(json.dumps(manifest(ex), indent=2), folder / "manifest.json")
        return store

    @classmethod
    def reopen(cls, folder: Path, ex: Experiment) -> Store:
        """The store of an interrupted sweep of the same experiment, tidied for resuming."""
        path = folder / "manifest.json"
        if not path.is_file():
            raise StoreError("no manifest.json here; allowed: a folder of an earlier sweep", folder)
        try:
            found = json.loads(path.read_text())["hash"]
        except (ValueError, KeyError) as err:
            raise StoreError(f"manifest.json is unreadable ({err})", folder) from None
        if found != ex.hash:
            raise StoreError(
                f"the folder belongs to a different experiment (content hash {found[:12]}, "
                f"this one {ex.hash[:12]}); allowed: the folder of this experiment's sweep, or "
                "a new --out",
                folder,
            )
        store = cls(folder)
        store._tidy()
        return store

    def _tidy(self) -> None:
        """Drop temporary files and time-series parts whose runs part never landed."""
        for d in (self.runs_dir, self.series_dir):
            for tmp in d.glob(".*.partial") if d.is_dir() else ():
                tmp.unlink()
        done = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        if self.series_dir.is_dir():
            for part in self.series_dir.glob("part-*.parquet"):
                if part.name not in done:
                    part.unlink()
        numbers = [int(p.stem.split("-")[1]) for p in self.runs_dir.glob("part-*.parquet")]
        self._next = max(numbers, default=-1) + 1

    # ------------------------------------------------------------------ writing, reading
    def done_ids(self) -> set[int]:
        """Run ids already stored (reads only that column)."""
        ids: set[int] = set()
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["run_id"]).column(0).to_pylist())
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


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def read_runs(folder: Path) -> pd.DataFrame:
    """Every stored run, sorted by run id."""
    parts = sorted((folder / "runs").glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.sort_values("run_id", ignore_index=True)


def read_timeseries(folder: Path) -> pd.DataFrame:
    """Every stored time series (run_id, month, metrics), sorted by run id and month."""
    parts = sorted((folder / "timeseries").glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return frame.sort_values(["run_id", "month"], ignore_index=True)
