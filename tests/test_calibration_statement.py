"""Every page says the same true thing about where the defaults come from.

The About tab once said the defaults were "set by hand ... not calibrated" while the README and
the baseline said calibrated. The truth: set by hand, then 11 tuned to P1-P8.
"""

from __future__ import annotations

import re
from pathlib import Path

from coprod_sim import scenario_files
from coprod_sim.dashboard import app
from coprod_sim.validation import CALIBRATION, document, runner

ROOT = Path(__file__).resolve().parent.parent


def _words(text: str) -> str:
    """Text with line breaks, Markdown emphasis and code marks flattened, to compare words."""
    return " ".join(text.replace("`", "").split())


def _pages() -> dict[str, str]:
    return {
        "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
        "the baseline preset": scenario_files.load("baseline").description,
        "the dashboard's About tab": app.ABOUT,
        "docs/validation.md": (ROOT / "docs" / "validation.md").read_text(encoding="utf-8"),
    }


def test_every_page_has_the_shared_sentence_and_none_says_not_calibrated():
    for where, text in _pages().items():
        assert _words(CALIBRATION) in _words(text), where
        assert "not calibrated" not in _words(text).lower(), where


def test_the_sentence_counts_the_tuned_defaults_of_the_calibration():
    notes = (ROOT / "experiments" / "validation" / "calibration.md").read_text(encoding="utf-8")
    table = notes.split("| parameter | range (stage 1 / stage 2) |", 1)[1].split("\n\n", 1)[0]
    tuned = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    behaviour = [name for name in tuned if name != "staff_time_shortage"]
    assert "staff_time_shortage" in tuned
    assert f" {len(tuned)} of them (ten behaviour parameters and the staff time " in CALIBRATION
    assert len(behaviour) == 10


def test_the_validation_page_generator_writes_the_sentence():
    evidence = runner.collect(2, 0, {"n_citizens": 150})
    page = document.markdown(evidence, evidence.checks(), [], [], "coprod validate")
    assert CALIBRATION in page
