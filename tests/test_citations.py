"""Code, docs and parameter help cite sections of docs/ODD.md that exist.

The design document the model was built from (MODEL.md) is not in the repository, and its
section numbers differ from the ODD's (its submodel 4.x is ODD 7.x), so a citation of it
sends the reader nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coprod_sim import params
from coprod_sim._version import __version__
from coprod_sim.dashboard import workshop

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
CITING = sorted(
    [
        *(ROOT / "coprod_sim").rglob("*.py"),
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "experiments").rglob("*.md"),
        *(ROOT / "scenarios").glob("*.toml"),
        ROOT / "README.md",
    ]
)
SECTION = r"(\d+(?:\.\d+)?)"
ODD_CITATION = re.compile(rf"\bODD(?:\.md`?)?\s+(?:element\s+|§\s*)?{SECTION}(?:\s*-\s*{SECTION})?")
SUBMODEL = re.compile(rf"\b[Ss]ubmodels?\s+{SECTION}")


def odd_sections(text: str) -> set[str]:
    """The numbers of the ODD's headings: "1", "1.2", ..., "7.11"."""
    return set(re.findall(rf"^#{{2,4}} {SECTION} ", text, flags=re.MULTILINE))


def cited(text: str) -> list[tuple[str, str]]:
    """(kind, section) of every ODD section or submodel number that ``text`` cites."""
    found = [("ODD", n) for m in ODD_CITATION.finditer(text) for n in m.groups() if n]
    return found + [("Submodel", m.group(1)) for m in SUBMODEL.finditer(text)]


def _texts() -> list[tuple[str, str]]:
    texts = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in CITING]
    texts += [(f"params.py {s.name}", f"{s.help} {s.source}") for s in params.PARAMETERS]
    return texts


SECTIONS = odd_sections(ODD.read_text(encoding="utf-8"))


def test_the_odd_has_the_sections_the_checks_rely_on():
    assert {"1.2", "2.9", "3", "4.11", "7.1", "7.10", "7.11"} <= SECTIONS
    assert cited("see ODD §7.2 and ODD 7.1-7.3, submodel 4.2") == [
        ("ODD", "7.2"),
        ("ODD", "7.1"),
        ("ODD", "7.3"),
        ("Submodel", "4.2"),
    ]


@pytest.mark.parametrize(("where", "text"), _texts(), ids=lambda v: v if "\n" not in v else "")
def test_no_citation_of_the_missing_design_or_of_a_missing_section(where, text):
    assert "MODEL.md" not in text, f"{where} cites MODEL.md, which is not in the repository"
    missing = [f"{kind} {n}" for kind, n in cited(text) if n not in SECTIONS]
    assert not missing, f"{where} cites {missing}, not headings of docs/ODD.md"


def test_workshop_loop_links_cite_odd_sections():
    assert {link.odd for link in workshop.LOOP_LINKS} <= SECTIONS


def test_odd_header_stamps_the_package_version_not_a_commit():
    header = ODD.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert f"package version {__version__} " in header
    assert not re.search(r"commit `?[0-9a-f]{7,40}", header)  # a hash goes stale with every commit
