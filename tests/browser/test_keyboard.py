"""A signer without a mouse: every control reachable by Tab, focus visible, errors announced."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import page_on
from tests.browser.frames import FORM, frame_of
from widget.core.extensions import db
from widget.core.models import Signature

pytestmark = pytest.mark.browser

FOCUS_ORDER = [
    "first_name",
    "last_name",
    "email",
    "country",
    "postcode",
    "consent",
    "partner_opt_in",
    "lead_opt_in",
    "sign-button",
]
ACTIVE = "() => document.activeElement && document.activeElement.id"
FOCUS_RING = """() => {
  const s = getComputedStyle(document.activeElement);
  return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
}"""


def tab_into_form(page, frame, limit=40):
    """Press Tab from the top of the partner page until the first field has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if frame.evaluate(ACTIVE) == "first_name":
            return
    raise AssertionError("Tab never reached the first field of the form")


def test_keyboard_only_signing(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script")[1]])
    page = browser_profile().new_page()
    page.goto(origin + "/")
    expect(page.locator("[data-widget-state=ready]")).to_have_count(1)
    frame = frame_of(page, FORM)

    tab_into_form(page, frame)
    seen = []
    for expected in FOCUS_ORDER:
        seen.append(frame.evaluate(ACTIVE))
        assert frame.evaluate(FOCUS_RING), f"no visible focus on {seen[-1]}"
        if expected != FOCUS_ORDER[-1]:
            page.keyboard.press("Tab")
    assert seen == FOCUS_ORDER

    # Submitting the empty form by keyboard: the error summary takes focus and is an alert.
    page.keyboard.press("Enter")
    frame = frame_of(page, FORM)
    summary = frame.locator("#error-summary")
    expect(summary).to_be_focused()
    assert summary.get_attribute("role") == "alert"
    for field in ("first_name", "last_name", "email", "consent"):
        described = frame.locator(f"#{field}").get_attribute("aria-describedby")
        assert described == f"{field}-error"
        expect(frame.locator(f"#{described}")).to_be_visible()
        assert frame.locator(f"#{field}").get_attribute("aria-invalid") == "true"

    # Follow the summary's first link to its field, then fill everything by keyboard.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(frame.locator("#first_name")).to_be_focused()
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("Lovelace")
    page.keyboard.press("Tab")
    page.keyboard.type("keyboard@example.org")
    page.keyboard.press("Tab")
    expect(frame.locator("#country")).to_be_focused()
    page.keyboard.type("Fr")  # selects France in the focused select
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(frame.locator("#consent")).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(frame.locator("#sign-button")).to_be_focused()
    page.keyboard.press("Enter")

    frame = frame_of(page, FORM)
    heading = frame.get_by_role("heading", name="Thank you for signing!")
    expect(heading).to_be_focused()
    with widget.app.app_context():
        row = db.session.scalars(select(Signature)).one()
        assert (row.first_name, row.country, row.email) == ("Ada", "FR", "keyboard@example.org")
