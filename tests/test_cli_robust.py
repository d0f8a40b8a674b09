"""The command line when things go wrong or the screen is narrow (issues 14 and 19): whole
metric names in the summary, signals treated as Ctrl-C, stale staging folders removed, and
messages that name the file and the path."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from coprod_sim import cli, metrics

# ------------------------------------------------------------------------------ summary table


def _timeseries(scenarios: tuple[str, ...], replications: int = 2) -> pd.DataFrame:
    """A made-up time series with every canonical metric (the summary reads only the frame)."""
    rng = np.random.default_rng(3)
    rows = [
        {"scenario": sc, "replication": r, "month": m}
        for sc in scenarios
        for r in range(replications)
        for m in range(3)
    ]
    frame = pd.DataFrame(rows)
    for name in metrics.CANONICAL:
        frame[name] = rng.random(len(frame))
    return frame


def _names_in(rendered: str) -> list[str]:
    """The metric column of a rendered summary, each name's folded pieces joined again: a
    row's first line carries its numbers, the lines that go on with a name carry none."""
    lines = rendered.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("metric"))
    after = lines[header].index("metric") + len("metric")
    width = after + len(lines[header][after:]) - len(lines[header][after:].lstrip())
    names: list[str] = []
    for line in lines[header + 2 :]:  # after the header's rule
        if not line.strip() or "=" in line:  # the end, or the caption (A = ..., B = ...)
            break
        piece, rest = line[:width].strip(), line[width:].strip()
        if rest:
            names.append(piece)
        else:
            names[-1] += piece
    return names


@pytest.mark.parametrize("scenarios", [("baseline",), ("baseline", "other_scenario")])
@pytest.mark.parametrize("where", ["pipe", "narrow terminal"])
def test_the_summary_never_cuts_a_metric_name(monkeypatch, scenarios, where) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    file = io.StringIO()
    if where == "pipe":  # as `coprod run` sets up its console for a pipe
        console = cli._console(file=file)
    else:
        console = Console(file=file, force_terminal=True, color_system=None)
        assert console.width == 60
    console.print(cli._summary(_timeseries(scenarios), "title"))
    rendered = file.getvalue()
    assert "…" not in rendered
    assert _names_in(rendered) == list(metrics.CANONICAL)
    if where == "narrow terminal":
        assert max(len(line) for line in rendered.splitlines()) <= 60
