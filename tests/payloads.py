"""Hostile text for the tests that file text never becomes markup: one payload
per way HTML or Markdown makes an element, and :func:`made_elements` to find any element
they made in a page."""

from __future__ import annotations

import html
import re

PAYLOADS: tuple[str, ...] = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "[x](javascript:alert(3))",
    "![x](http://127.0.0.1:1/x.png)",
    '<a href="javascript:alert(4)">a</a>',
    "<b>bold</b><br>",
)
"""Each makes an element if rendered as HTML or Markdown (or as plotly's HTML subset)."""

HOSTILE = " ".join(PAYLOADS)
"""Every payload in one string, for a field that holds one line."""

_ELEMENTS = (
    r"<img\b[^>]*\bsrc\s*=\s*[\"']?x\b",
    r"<img\b[^>]*127\.0\.0\.1:1",
    r"<script>\s*alert\(2\)",
    r"<a\b[^>]*href\s*=\s*[\"']?javascript:",
    r"<b>bold</b>",
)
"""The markup the payloads would make (none of it occurs in plotly.js or Solara's page)."""


def made_elements(page: str) -> list[str]:
    """The markup in ``page`` made from a payload (empty when all of them stayed text)."""
    return [m.group(0) for pattern in _ELEMENTS for m in re.finditer(pattern, page, re.I)]


def escaped(text: str) -> str:
    """``text`` as an HTML page shows it literally."""
    return html.escape(text, quote=True)


__all__ = ["HOSTILE", "PAYLOADS", "escaped", "made_elements"]
