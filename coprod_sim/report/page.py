"""The HTML page kit: one style sheet, escaping, and the shell of a self-contained page.

Every HTML page the package writes (the run report, the sweep analysis, the studies' figure
pages) is built from these parts, so that a page looks the same wherever it comes from and
opens offline: :func:`html_page` inlines plotly.js once in the head, :func:`figure_div` places a
figure without repeating it, and :func:`esc` escapes every text taken from a scenario or an
experiment. A page that needs a few more rules, or a wider column, asks :func:`page_css` for
them instead of copying the style sheet.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.offline


# ---------------------------------------------------------------------------- escaping
def esc(text: Any) -> str:
    """``text`` as HTML text or attribute value: every ``<``, ``>``, ``&`` and quote escaped."""
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------------------- HTML
PAGE_WIDTH = 1100
"""Widest text column of a page, in CSS pixels (figure pages may ask for a wider one)."""

_SHEET = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #222; background: #fff; margin: 0; line-height: 1.5; }
main { max-width: {width}px; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; border-bottom: 2px solid #e3e3e3;
  padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .4rem; }
p.meta, dl.meta { color: #555; font-size: .92rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.scenario { border-left: 6px solid #ccc; padding: .2rem 0 .2rem 1rem; margin: 1.2rem 0; }
.question { font-style: italic; }
.headline { font-size: 1.05rem; background: #f5f7fa; border-radius: 6px; padding: .8rem 1rem; }
.caption { max-width: 75ch; color: #333; }
figure { margin: 0 0 1.5rem; }
table { border-collapse: collapse; font-size: .88rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: left;
  vertical-align: top; }
th { background: #f5f7fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pos { color: #1a7f37; }
td.neg { color: #b42318; }
.none { color: #777; }
"""
"""The kit's rules: text, headings, scenario cards, captions and tables; ``{width}`` is filled
in by :func:`page_css`."""


def page_css(*extra: str, width: int = PAGE_WIDTH) -> str:
    """The page style sheet with the text column ``width`` pixels wide and the ``extra`` rules
    appended (later rules win), so that a page adds to the kit rather than forking it."""
    return "\n".join([_SHEET.replace("{width}", str(width)), *extra])


CSS = page_css()
"""The style sheet of every page that needs no more than the kit."""


FIGURE_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""plotly config of every figure on a page."""


def html_page(title: str, parts: Sequence[str], *, css: str = CSS) -> str:
    """A self-contained HTML document that opens offline, around already rendered body parts.

    ``title`` (escaped here) is the window title; ``parts`` are HTML lines placed in
    ``<main>``, and must be escaped already. plotly.js is inlined once in the head; there is no
    external script, stylesheet or MathJax.
    """
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{css}</style>",
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>',
        "</head>",
        "<body>",
        "<main>",
    ]
    return "\n".join([*head, *parts, "</main>", "</body>", "</html>", ""])


def figure_div(fig: go.Figure, div_id: str) -> str:
    """One figure as a ``<div>`` for :func:`html_page` (plotly.js is not repeated)."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        config=FIGURE_CONFIG,
        div_id=div_id,
    )


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int]) -> str:
    """A plain HTML table; cells are escaped, columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for k, value in enumerate(row):
            cls = ' class="num"' if k in numeric else ""
            cells.append(f"<td{cls}>{esc(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
