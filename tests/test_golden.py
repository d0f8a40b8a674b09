"""The engine's results are bit-identical to the golden fingerprint (see ``tests/golden.py``).

Performance work must leave every metric of every preset unchanged, to the last bit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coprod_sim import membership, network, parallel
from coprod_sim.membership import Membership
from tests import golden


@pytest.fixture(scope="module", params=["as run", "large-model paths"])
def current(request) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """The fingerprint as the engine runs it, and with the paths of large models forced on at
    every size (threads, the threaded product, the cached places updated in place: used from
    25,000-30,000 citizens only, so the golden runs would not use them otherwise)."""
    if request.param == "as run":
        return golden.fingerprint()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(membership, "INCREMENTAL_MIN_CITIZENS", 0)
        patch.setattr(parallel, "PARALLEL_MIN_CITIZENS", 0)
        patch.setattr(network, "PARALLEL_MIN_TIES", 0)
        patch.setattr(network, "SCATTER_MAX_SHARE", 0.0)  # the threaded product, not scatter
        patch.setenv("COPROD_THREADS", "2")
        return golden.fingerprint()


def test_metrics_are_bit_identical(current) -> None:
    expected = pd.read_parquet(golden.METRICS_FILE)
    metrics, _ = current
    assert list(metrics.columns) == list(expected.columns)
    assert metrics["run"].tolist() == expected["run"].tolist()
    for column in expected.columns.drop("run"):
        got = metrics[column].to_numpy(dtype=float)
        want = expected[column].to_numpy(dtype=float)
        # Compare the bits: equal NaNs match, and -0.0 differs from 0.0.
        same = got.view(np.uint64) == want.view(np.uint64)
        where = np.flatnonzero(~same)
        assert not where.size, (
            f"{column}: {where.size} values changed, first in run "
            f"{expected['run'].iloc[where[0]]!r} month {expected['month'].iloc[where[0]]}: "
            f"{want[where[0]]!r} -> {got[where[0]]!r}"
        )


def test_final_agents_are_bit_identical(current) -> None:
    expected = json.loads(golden.AGENTS_FILE.read_text())
    _, agents = current
    assert agents.keys() == expected.keys()
    for run, columns in expected.items():
        changed = [c for c in columns if agents[run].get(c) != columns[c]]
        assert not changed, f"{run}: final agent columns changed: {changed}"
        assert agents[run].keys() == columns.keys()


def test_fingerprint_detects_a_change() -> None:
    """The comparison can fail: one part in 10^12 in one parameter changes the metrics."""
    sc = golden.scenario_files.load("baseline", overrides={"n_citizens": 300, "steps": 6})
    a = golden.CoproductionModel(scenario=sc, rng=golden.SEED)
    nudged = sc.parameters()["relaxation"] * (1 + 1e-12)
    b = golden.CoproductionModel(scenario=sc, rng=golden.SEED, relaxation=nudged)
    a.run_for(6)
    b.run_for(6)
    fa = a.metrics_frame().to_numpy(dtype=float).view(np.uint64)
    fb = b.metrics_frame().to_numpy(dtype=float).view(np.uint64)
    assert (fa != fb).any()


def test_the_cached_places_always_match_a_fresh_scan(monkeypatch) -> None:
    """The views of who holds which place are updated in place when places are taken and
    left (``Membership.taken`` / ``vacated``); after every submodel of every month of every
    preset they equal a scan of the (4, N) table from scratch."""
    from coprod_sim import model as model_mod

    checked = []

    def check(state) -> None:
        cached = state.membership.entries
        if cached is None:
            return
        fresh = Membership()  # nothing cached: every view comes from a scan of the table
        for got, want in zip(cached, fresh.active_entries(state), strict=True):
            assert got.dtype == want.dtype and np.array_equal(got, want)
        codes = state.membership.entry_code_cache
        if codes is not None:
            assert np.array_equal(codes, fresh.entry_codes(state))
        flags = state.membership.flag_cache
        if flags is not None:
            assert np.array_equal(flags, fresh.citizen_flags(state))
        checked.append(1)

    for submodel in model_mod.SCHEDULE:

        def checked_step(state, params, rng, _step=submodel.step) -> None:
            _step(state, params, rng)
            check(state)

        monkeypatch.setattr(submodel, "step", checked_step)
    monkeypatch.setattr(
        membership, "INCREMENTAL_MIN_CITIZENS", 0
    )  # the in-place updates at any size
    for path in golden.scenario_files.presets().values():
        sc = golden.scenario_files.load(path, overrides={"n_citizens": 400})
        golden.CoproductionModel(scenario=sc, rng=3).run_for(sc.steps)
    assert len(checked) > 1000
