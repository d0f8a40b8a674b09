"""The benchmark scripts' own logic (benchmarks/, a folder of scripts, not a package): the fair
Mesa peer, one definition of each target, the 'Missed targets' section and the atomic results
file. Nothing here times the engine; the only time bound is a generous one on a small peer."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import re
import sys
from pathlib import Path

import networkx as nx
import pytest
from mesa.discrete_space import Network
from mesa.examples.basic.virus_on_network import model as virus_model

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))  # the scripts import each other by plain names

harness = importlib.import_module("_harness")
targets = importlib.import_module("targets")
engine = importlib.import_module("engine")
peer = importlib.import_module("peer")
dashboard = importlib.import_module("dashboard")
sweep = importlib.import_module("sweep")
startup = importlib.import_module("startup")
run_all = importlib.import_module("run_all")
scaling = importlib.import_module("scaling")

Row = harness.Row


# ---------------------------------------------------------------------------- the Mesa peer
def test_the_peer_is_built_without_a_layout_and_the_example_is_restored() -> None:
    with peer.fair_build():
        assert isinstance(virus_model.Network, functools.partial)
        assert virus_model.Network.func is Network
        assert virus_model.Network.keywords == {"layout": None}
    assert virus_model.Network is Network
    assert virus_model.nx is nx

    model = peer.build_peer(2_000, 8.2)
    assert model.grid._kdtree is None  # no cell was given a position: no spring layout ran
    assert len(model.agents) == 2_000
    assert virus_model.Network is Network
    assert virus_model.nx is nx


def test_the_example_is_restored_after_an_error() -> None:
    with pytest.raises(RuntimeError, match="boom"), peer.fair_build():
        assert virus_model.Network is not Network
        raise RuntimeError("boom")
    assert virus_model.Network is Network
    assert virus_model.nx is nx


def test_the_peer_has_our_mean_degree_and_a_seeded_graph() -> None:
    ours = peer.our_degree(2_000)
    model = peer.build_peer(2_000, ours)
    assert peer.peer_degree(model) == pytest.approx(ours, rel=0.10)
    again = peer.build_peer(2_000, ours)
    assert sorted(again.grid.G.edges) == sorted(model.grid.G.edges)
    other = peer.build_peer(2_000, ours, seed=2)
    assert sorted(other.grid.G.edges) != sorted(model.grid.G.edges)


def test_the_peer_measurement_reports_its_epidemic() -> None:
    result = peer.measure(300, steps=2, repeats=2, warmup=1, degree=8.0)
    assert len(result.rates) == 2 and result.rate > 0
    assert sum(result.start.values()) == sum(result.end.values()) == 300
    assert peer.rows(result)[0].figure.startswith("Mesa virus_on_network, 300")


# ---------------------------------------------------------------------------- scaling fits
def _panel(xs, seconds) -> object:
    panel = scaling.Panel("citizens", "t", "x", "y")
    pairs = zip(xs, seconds, strict=True)
    panel.points = [scaling.Point("citizens", x, [y], int(x), 1) for x, y in pairs]
    return panel


def test_the_scaling_fits_recover_known_costs() -> None:
    """A fixed 1 ms a step plus 100 ns a citizen: the affine fit finds both; the power law
    bends below slope 1 (the fixed part); pure proportion has slope 1 and no fixed part."""
    xs = [1e3, 1e4, 1e5, 1e6]
    fixed, per_citizen = _panel(xs, [1e-3 + 1e-7 * x for x in xs]).affine()
    assert fixed == pytest.approx(1e-3, rel=1e-6)
    assert per_citizen == pytest.approx(1e-7, rel=1e-6)
    slope, _ = _panel(xs, [1e-3 + 1e-7 * x for x in xs]).fit()
    assert 0.5 < slope < 0.9
    proportional = _panel(xs, [2e-7 * x for x in xs])
    assert proportional.fit()[0] == pytest.approx(1.0)
    assert proportional.affine()[0] == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------- the targets
def test_the_targets_are_the_issues() -> None:
    t = targets
    assert (t.ENGINE_RATE.op, t.ENGINE_RATE.limit) == (">=", 10e6)
    assert (t.LIMIT_RATIO.op, t.LIMIT_RATIO.limit) == ("<=", 5.0)
    assert (t.PEER_RATIO.op, t.PEER_RATIO.limit) == (">=", 50.0)
    assert (t.MILLION_TIME.op, t.MILLION_TIME.limit) == ("<=", 60.0)
    assert (t.MILLION_MEMORY.op, t.MILLION_MEMORY.limit) == ("<", 4e9)
    assert (t.BUILD_TIME.op, t.BUILD_TIME.limit) == ("<=", 3.0)
    assert (t.DASHBOARD_STEP.op, t.DASHBOARD_STEP.limit) == ("<=", 150.0)
    assert (t.SWEEP_RATE.op, t.SWEEP_RATE.limit) == (">=", 10.0)
    assert t.ENGINE_RATE.text == ">= 10 M/s"
    assert t.MILLION_MEMORY.text == "< 4 GB"
    assert len(t.BY_KEY) == len(t.ALL)


def test_every_script_uses_the_one_definition_of_each_target() -> None:
    assert engine.ENGINE_RATE is targets.ENGINE_RATE
    assert engine.LIMIT_RATIO is targets.LIMIT_RATIO
    assert engine.BUILD_TIME is targets.BUILD_TIME
    assert engine.MILLION_TIME is targets.MILLION_TIME
    assert engine.MILLION_MEMORY is targets.MILLION_MEMORY
    assert dashboard.DASHBOARD_STEP is targets.DASHBOARD_STEP
    assert sweep.SWEEP_RATE is targets.SWEEP_RATE
    assert startup.STARTUP_HELP is targets.STARTUP_HELP
    assert startup.STARTUP_IMPORTS is targets.STARTUP_IMPORTS
    assert run_all.T is targets
    own = re.compile(r"^[A-Z_]*TARGET[A-Z_]*\s*(:[^=]*)?=\s*[\d.]", re.MULTILINE)
    for script in BENCH.glob("*.py"):
        if script.name != "targets.py":
            assert not own.search(script.read_text()), f"{script.name} defines its own target"
    assert set(run_all.WHY_MISSED) <= set(targets.BY_KEY)


def test_a_target_judges_and_measures_a_miss() -> None:
    rate, ratio = targets.ENGINE_RATE, targets.LIMIT_RATIO
    assert rate.met(10e6) and not rate.met(9.9e6)
    assert rate.factor(8e6) == pytest.approx(1.25)
    assert ratio.met(5.0) and not ratio.met(5.1)
    assert ratio.factor(7.5) == pytest.approx(1.5)
    assert not targets.MILLION_MEMORY.met(4e9)  # "under 4 GB"
    row = Row.judged("x", "failed", rate, None)
    assert (row.status, row.key, row.target) == ("MISS", "engine_rate", ">= 10 M/s")


# ---------------------------------------------------------------------------- missed targets
def test_a_miss_states_its_factor_and_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    miss = Row.judged("citizen-steps/s, 100,000", "8.00 M/s", targets.ENGINE_RATE, 8e6)
    met = Row.judged("build time", "0.10 s", targets.BUILD_TIME, 0.1)
    high = Row.judged("  limit / ours, 100,000", "7.5x", targets.LIMIT_RATIO, 7.5)
    text = "\n".join(
        run_all.missed_section([miss, met, high], why={"engine_rate": "Sparse products."})
    )
    assert "8.00 M/s" in text and ">= 10 M/s" in text and "factor of **1.25**" in text
    assert "Sparse products." in text
    assert "7.5x" in text and "<= 5x" in text and "factor of **1.50**" in text
    assert "too high" in text and "too low" in text
    assert "build_time" not in text
    # the limit ratio has no explanation: a warning, and the placeholder text
    assert text.count(run_all.NO_EXPLANATION) == 1
    assert "limit_ratio" in capsys.readouterr().err


def test_a_failed_measurement_and_no_miss() -> None:
    failed = Row.judged("step + redraw", "failed: no browser", targets.DASHBOARD_STEP, None)
    text = "\n".join(run_all.missed_section([failed], why={"dashboard_step": "No chromium."}))
    assert "failed: no browser" in text and "No factor" in text and "No chromium." in text
    ok = Row.judged("build time", "0.10 s", targets.BUILD_TIME, 0.1)
    assert "every target was met" in "\n".join(run_all.missed_section([ok], why={}))


def test_startup_judges_the_median_cpu_time_and_the_heavy_imports() -> None:
    rows = startup.command_rows("coprod params", [0.9, 0.3, 0.4], [2.0, 1.0, 1.5])
    assert (rows[0].key, rows[0].number, rows[0].status) == ("startup_params", 0.4, "ok")
    assert rows[0].value == "0.40 s" and rows[1].value == "1.50 s" and rows[1].status == "info"
    assert startup.command_rows("coprod --help", [0.6], [1.0])[0].status == "MISS"
    assert startup.imports_row([]).status == "ok" and startup.imports_row([]).value == "none"
    loaded = startup.imports_row(["mesa", "plotly"])
    assert (loaded.status, loaded.number, loaded.value) == ("MISS", 2, "mesa, plotly")
    assert "startup_imports" in run_all.WHY_MISSED
    titles = [s.title for s in run_all.sections(run_all.QUICK)]
    assert "start-up" in titles
    no_startup = dataclasses.replace(run_all.QUICK, startup_repeats=0)
    assert "start-up" not in [s.title for s in run_all.sections(no_startup)]


# ---------------------------------------------------------------------------- the results file
FAKE_PARTS = [
    ("engine", [Row.judged("citizen-steps/s, 100,000", "8.00 M/s", targets.ENGINE_RATE, 8e6)]),
    ("peer", [Row("Mesa virus_on_network, 1,000 agents", "0.90 M/s")]),
]


@pytest.fixture
def fake_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_all, "measure", lambda plan: FAKE_PARTS)


def test_results_md_holds_the_header_table_and_misses(tmp_path: Path, fake_measure) -> None:
    out = tmp_path / "RESULTS.md"
    run_all.main(["--no-million", "--no-dashboard", "--no-sweep", "--out", str(out)])
    text = out.read_text()
    for part in ("machine:", "python:", "mesa ", "networkx ", "coprod-sim ", "command:"):
        assert part in text
    assert "| citizen-steps/s, 100,000 | 8.00 M/s | >= 10 M/s | MISS |" in text
    assert "## What each row measures" in text
    assert "## Missed targets" in text and "factor of **1.25**" in text
    assert "QUICK" not in text


def test_results_md_is_written_atomically(
    tmp_path: Path, fake_measure, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("previous results\n")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(os, "replace", fail)
        with pytest.raises(OSError, match="disk full"):
            run_all.main(["--no-million", "--no-dashboard", "--no-sweep", "--out", str(out)])
    assert out.read_text() == "previous results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temporary file left

    with pytest.raises(UnicodeEncodeError):  # a failure while writing, not only at the end
        harness.write_atomic(out, "text that cannot be encoded: \udcff")
    assert out.read_text() == "previous results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]

    harness.write_atomic(out, "new results\n")
    assert out.read_text() == "new results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]
    harness.write_atomic(out, b"<svg/>")  # figures are written as bytes
    assert out.read_bytes() == b"<svg/>"


def test_a_quick_run_writes_no_results_unless_asked(
    tmp_path: Path, fake_measure, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    default = tmp_path / "RESULTS.md"
    monkeypatch.setattr(run_all, "DEFAULT_OUT", default)
    run_all.main(["--quick"])
    assert not default.exists()
    assert "QUICK SMOKE RUN" in capsys.readouterr().out
    asked = tmp_path / "quick.md"
    run_all.main(["--quick", "--out", str(asked)])
    assert "QUICK SMOKE RUN" in asked.read_text()


def test_a_failing_part_reports_its_targets_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(plan: object, ours: dict) -> list:
        raise RuntimeError("the child process failed")

    part = run_all.Section("sweep", broken, (targets.SWEEP_RATE,))
    monkeypatch.setattr(run_all, "sections", lambda plan: [part])
    [(title, rows)] = run_all.measure(run_all.QUICK)
    assert title == "sweep"
    assert rows[0] == Row("sweep failed", "the child process failed")
    assert (rows[1].key, rows[1].status, rows[1].number) == ("sweep_rate", "MISS", None)
