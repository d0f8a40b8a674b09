"""The golden fingerprint: every metric of every preset, bit for bit, on fixed seeds.

Optimising the engine must not change its results. :func:`fingerprint` runs each
preset scenario (at a fixed size, seed and horizon) and one larger model, and returns

* ``metrics``: every collected metric in every month, as a tidy frame;
* ``agents``: a SHA-256 digest per column of the final agent snapshot.

``tests/test_golden.py`` compares them with ``tests/data/golden_*`` exactly. After a change
that is *meant* to alter results, regenerate the files and say why in the commit::

    .venv/bin/python -m tests.golden --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pandas as pd

from coprod_sim import CoproductionModel, scenario_files

DATA = Path(__file__).resolve().parent / "data"
METRICS_FILE = DATA / "golden_metrics.parquet"
AGENTS_FILE = DATA / "golden_agents.json"

CITIZENS = 1_000
SEED = 11
LARGE = ("baseline@20000", 20_000, 12)  # label, citizens, months: the large-N code paths


def _runs() -> list[tuple[str, CoproductionModel, int]]:
    runs = []
    for name, path in scenario_files.presets().items():
        sc = scenario_files.load(path, overrides={"n_citizens": CITIZENS})
        runs.append((name, CoproductionModel(scenario=sc, rng=SEED), sc.steps))
    label, n, months = LARGE
    base = scenario_files.load("baseline", overrides={"n_citizens": n, "steps": months})
    runs.append((label, CoproductionModel(scenario=base, rng=SEED), months))
    return runs


def _digest(column: pd.Series) -> str:
    values = column.to_numpy()
    raw = values.tobytes() if values.dtype != object else "\x1f".join(map(str, values)).encode()
    return hashlib.sha256(raw).hexdigest()


def fingerprint() -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """(metrics of every run, per-column digests of every final agent snapshot)."""
    frames, agents = [], {}
    for label, model, months in _runs():
        model.run_for(months)
        frame = model.metrics_frame().reset_index()
        frame.insert(0, "run", label)
        frames.append(frame)
        snapshot = model.agent_snapshot()
        agents[label] = {c: _digest(snapshot[c]) for c in snapshot.columns}
    return pd.concat(frames, ignore_index=True), agents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="overwrite the golden files")
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write to")
    args = parser.parse_args()
    metrics, agents = fingerprint()
    if args.write or args.out != DATA:
        args.out.mkdir(parents=True, exist_ok=True)
        metrics.to_parquet(args.out / METRICS_FILE.name, index=False)
        (args.out / AGENTS_FILE.name).write_text(json.dumps(agents, indent=1, sort_keys=True))
        print(f"wrote {len(metrics)} metric rows and {len(agents)} snapshots to {args.out}")


if __name__ == "__main__":
    main()
