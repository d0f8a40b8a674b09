"""Typed fields and a slow upload in a real browser.

Every rejected entry in the citizens and seed fields gets its own message naming the field,
the value typed and what is allowed; the field keeps the typed text marked invalid, with the
value in force below it; a later valid entry clears both. And while an uploaded file is
checked (made slow by the server's test hook, see ``app.SLOW_CHECK_ENV``), the Run tab's Step
button still works.
"""

from __future__ import annotations

import re

import pytest

from coprod_sim import params
from coprod_sim.dashboard import session
from tests.browser.test_dashboard import BASELINE, Page, expect, expect_month, step, upload

pytestmark = pytest.mark.browser

CITIZENS = BASELINE.parameters()["n_citizens"]
LOW = int(params.PARAMS_BY_NAME["n_citizens"].low)


def type_into(field, text: str) -> None:
    field.fill(text)
    field.press("Enter")


def test_each_rejected_entry_gets_its_message_and_a_valid_one_clears_it(page: Page) -> None:
    page.locator(".cs-sidebar .v-expansion-panel-header").filter(
        has_text=re.compile(r"^Population")
    ).click()
    citizens = page.locator(".cs-param-n_citizens input")
    seed = page.locator(".cs-seed input")
    error = page.locator(".cs-error")
    step(page, 1)
    allowed = f"allowed: an integer in [{LOW}, {session.MAX_CITIZENS}]"
    for typed in ("abc", "1e9", "20000.5", ""):
        type_into(citizens, typed)
        expect(error).to_have_text(f"n_citizens: value {typed!r} is not allowed; {allowed}")
        expect(citizens).to_have_value(typed)  # the typed text, marked invalid ...
        expect(page.locator(".cs-param-n_citizens")).to_contain_text(f"in force: {CITIZENS:,}")
    for typed in ("abc", "1e3"):
        type_into(seed, typed)
        expect(error).to_contain_text(f"seed: value {typed!r} is not allowed")
        expect(page.locator(".cs-seed")).to_contain_text("in force: 0")
    expect_month(page, 1, BASELINE.steps)  # nothing refused restarted the run

    type_into(seed, "3")
    expect(error).to_have_count(0)
    expect(page.locator(".cs-notice")).to_have_text("Seed 3.")
    expect(seed).to_have_value("3")
    expect(page.locator(".cs-seed")).not_to_contain_text("in force")
    type_into(citizens, "500")
    expect(error).to_have_count(0)
    expect(citizens).to_have_value("500")
    expect(page.locator(".cs-param-n_citizens")).not_to_contain_text("in force")
    expect(page.locator(".cs-run-label")).to_have_text("baseline (changed)")


def test_the_step_button_works_while_an_upload_is_checked(page: Page) -> None:
    # The server's test hook holds the check of a file named slow-check* for 4 s.
    upload(page, "slow-check.toml", b'extends = "baseline"\n\n[parameters]\nn_citizens = 300\n')
    checking = page.locator(".cs-upload-checking")
    expect(checking).to_have_text("Checking slow-check.toml…")
    page.locator(".cs-step").click()
    expect_month(page, 1, BASELINE.steps)
    expect(checking).to_be_visible()  # the month came while the file was still being checked
    expect(page.locator(".cs-notice")).to_have_text("Loaded slow-check.toml.")
    expect(checking).to_have_count(0)
    expect_month(page, 0, BASELINE.steps)
