"""Docstrings and comments say why, not which ticket: none cites an issue number.

An issue number means nothing to a reader without the tracker, and goes stale when the tracker
moves; the commit message is the place for it. The scan reads each file with :mod:`tokenize`,
so only real comments and docstrings (a string that is a statement of its own) are checked:
strings the code uses (CSS colours such as ``#222``, regexes, test input) are not.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ("coprod_sim", "tests", "benchmarks", "experiments", "scripts")

# The word "issue" or "issues", then a number, with or without a "#".
ISSUE_WORD = re.compile(r"\bissues?\s*#?\d+", re.IGNORECASE)
# A bare "#12": after a space, "(" or the start, and not a TOML table locator such as
# "[[shocks]] #3" (the scenario errors name the third [[shocks]] table that way) nor part of a
# word, an entity ("&#39;") or a longer hex colour ("#2a7d2e").
HASH_NUMBER = re.compile(r"(?:^|(?<=[\s(]))(?<!\]\] )#\d{1,3}(?![\w-])")

# Tokens after which a string starts a statement of its own: a docstring (module, class,
# function or attribute).
_STATEMENT_START = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT}


def _prose(source: str) -> list[tuple[int, str]]:
    """(line, text) of every comment and docstring in ``source``."""
    found: list[tuple[int, str]] = []
    previous = tokenize.ENCODING
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found.append((token.start[0], token.string[1:]))  # the comment's own "#" is not a cite
        elif token.type == tokenize.STRING and previous in _STATEMENT_START | {tokenize.ENCODING}:
            for offset, line in enumerate(token.string.splitlines()):
                found.append((token.start[0] + offset, line))
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous = token.type
        elif token.type == tokenize.NL:
            previous = tokenize.NL if previous in _STATEMENT_START else previous
    return found


def issue_citations(source: str, name: str = "<string>") -> list[str]:
    """``name:line: text`` for every comment or docstring line of ``source`` citing an issue."""
    return [
        f"{name}:{line}: {text.strip()}"
        for line, text in _prose(source)
        if ISSUE_WORD.search(text) or HASH_NUMBER.search(text)
    ]


def test_no_docstring_or_comment_cites_an_issue_number() -> None:
    problems: list[str] = []
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            problems += issue_citations(text, str(path.relative_to(ROOT)))
    assert not problems, "say the why instead of the issue number:\n" + "\n".join(problems)


def test_the_scanner_finds_planted_citations() -> None:
    planted = (
        '"""Module (issue 14)."""\n'
        "x = 1  # see #12\n"
        "def f():\n"
        '    """Guards the page (issues #18 and #19)."""\n'
        "# ---- #19: failsafe\n"
        "Y = 2\n"
        '"""An attribute docstring, issue 7."""\n'
    )
    found = issue_citations(planted, "planted.py")
    assert [item.split(":")[1] for item in found] == ["1", "2", "4", "5", "7"]
    assert found[0].startswith("planted.py:1: ")


def test_the_scanner_leaves_legitimate_text_alone() -> None:
    legitimate = (
        '"""The first table (``[[shocks]] #3``) and the colour #2a7d2e."""\n'
        'CSS = "body { color: #222; background: #fff; }"\n'
        'PATTERN = r"(?<![\\w&])#\\d{1,3}\\b"  # a regex string is not prose\n'
        'ROWS = ["[[shocks]] #1", "issue 14"]  # input, not a docstring\n'
        "ENTITY = 1  # the entity &#39; is an apostrophe\n"
        "def issue_14_test():\n"
        '    """A function named after nothing in particular."""\n'
    )
    assert issue_citations(legitimate) == []
