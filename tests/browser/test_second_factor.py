"""Two-factor sign-in in Chromium: an operator who has none is sent to set it up before
exporting, scans (here: reads) the key, confirms a code, keeps the recovery codes, then
logs in with a code from the app and once with a recovery code."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PETITION
from tests.dashboard import PASSWORD, make_operator
from widget.core.extensions import db

pytestmark = pytest.mark.browser


def password_step(page, widget) -> None:
    page.goto(f"{widget.url}/dashboard/login")
    page.get_by_label("Email").fill("op@lead.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def code_step(page, code: str) -> None:
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()


def test_an_operator_sets_up_two_factor_sign_in_and_uses_it(widget, browser_profile):
    with widget.app.app_context():
        make_operator(second_factor=False)
        db.session.remove()
    page = browser_profile().new_page()
    password_step(page, widget)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    # Exports wait for the second factor: the operator is sent to set it up.
    page.goto(f"{widget.url}/dashboard/petitions/{PETITION}/signatures.csv")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_text("operators need it to export or erase")).to_be_visible()
    qr = page.get_by_role("img", name="QR code to add the petition dashboard")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # the SVG drew
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10

    page.goto(f"{widget.url}/dashboard/account")
    page.get_by_role("button", name="Log out", exact=True).click()
    password_step(page, widget)
    # The enrolment used this step's code: the app's next one is the one to type.
    code_step(page, totp.at(time.time() + totp.interval))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.goto(f"{widget.url}/dashboard/petitions/{PETITION}/export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.failure() is None
    with open(download.value.path(), encoding="utf-8") as file:
        assert file.readline().startswith("ref,state")

    # A lost phone: a recovery code works, once.
    other = browser_profile().new_page()
    password_step(other, widget)
    code_step(other, codes[0])
    expect(other.get_by_role("heading", name="Overview")).to_be_visible()
    third = browser_profile().new_page()
    password_step(third, widget)
    code_step(third, codes[0])
    expect(third.get_by_role("alert")).to_contain_text("used already")
