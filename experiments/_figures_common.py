"""Helpers shared by the four studies' figures.py scripts (experiments/ is not a package).

Each figures.py puts this folder on sys.path and imports from here: :func:`say` prints a line
and keeps it for summary.md (in :data:`lines`), :func:`md` writes a markdown table,
:func:`add_figure` styles a figure and queues it, and :func:`write_page` puts the queued
figures on one self-contained HTML page (coprod_sim.report.html_page: plotly.js inlined once,
every text escaped).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from coprod_sim.report import esc, figure_div, html_page, page_css, rgba

__all__ = ["CSS", "FIGURES", "add_figure", "label", "lines", "md", "rgba", "say", "write_page"]

lines: list[str] = []
"""The lines of summary.md, in order; the script starts it with its title line."""


def say(text: str = "") -> None:
    print(text)
    lines.append(text)


def label(value: object) -> str:
    """An index value as text: floats of a grid range shown as 0.3, not 0.30000000000000004."""
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def md(frame: pd.DataFrame, digits: int = 3) -> str:
    """A markdown table (without the optional tabulate dependency)."""
    frame = frame.round(digits)
    index = " / ".join(str(n) for n in frame.index.names if n is not None) or ""
    cols = [
        " ".join(label(x) for x in c) if isinstance(c, tuple) else label(c) for c in frame.columns
    ]
    out = [f"| {index} | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for key, row in frame.iterrows():
        key = " / ".join(label(k) for k in key) if isinstance(key, tuple) else label(key)
        out.append(f"| {key} | " + " | ".join(f"{v:.{digits}f}" for v in row.to_numpy()) + " |")
    return "\n".join(out)


# ------------------------------------------------------------------ the HTML page
CSS = page_css("figcaption { max-width: 90ch; color: #333; }", width=1200)
"""The kit's style sheet, wider for the figures, with the captions' measure of these pages."""
FIGURES: list[tuple[str, go.Figure, str]] = []
"""The figures queued by :func:`add_figure`: (title, figure, caption)."""


def add_figure(title: str, fig: go.Figure, caption: str, height: int, left: int = 70) -> None:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": left, "r": 30, "t": 110, "b": 60},
        font={"size": 11},
        title={"font": {"size": 14}, "x": 0.01, "xanchor": "left"},
    )
    fig.update_annotations(font_size=11)
    FIGURES.append((title, fig, caption))


def write_page(path: Path, title: str, intro: str) -> None:
    """All queued figures on one self-contained page."""
    parts = [f"<h1>{esc(title)}</h1>", f'<p class="meta">{esc(intro)}</p>']
    for k, (name, fig, caption) in enumerate(FIGURES, start=1):
        parts.append(
            f"<figure><h2>{k}. {esc(name)}</h2>{figure_div(fig, f'figure-{k}')}"
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_page(title, parts, css=CSS), encoding="utf-8")
