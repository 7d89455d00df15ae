"""A signer on a partner's page, in a real Chromium with third-party cookies blocked."""

import pytest
from playwright.sync_api import expect

from tests.factories import sign
from widget.petitions import get_petition

pytestmark = pytest.mark.browser

FORM_FRAME = "iframe[src*='/embed/save-the-bees?']"
COUNTER_FRAME = "iframe[src*='/embed/save-the-bees/counter']"


def add_existing_signatures(live_site, n):
    with live_site.widget_app.app_context():
        petition = get_petition(live_site.petition_slug)
        for _ in range(n):
            sign(petition)


def test_sign_on_partner_page_with_third_party_cookies_blocked(live_site, blocked_3pc_context):
    add_existing_signatures(live_site, 41)
    page = blocked_3pc_context.new_page()
    page.goto(live_site.page_url("/"))

    counter = page.frame_locator(COUNTER_FRAME)
    expect(counter.locator(".count-number")).to_have_text("41")
    form = page.frame_locator(FORM_FRAME)
    expect(form.get_by_label("First name")).to_be_visible()
    # The iframe has been sized to its content and the fallback link is gone.
    frame = page.locator(FORM_FRAME)
    assert frame.bounding_box()["height"] > 400
    expect(page.get_by_role("link", name="Sign the petition: Save the bees")).to_be_hidden()

    form.get_by_label("First name", exact=True).fill("Ada")
    form.get_by_label("Last name", exact=True).fill("Lovelace")
    form.get_by_label("Email", exact=True).fill("ada@example.org")
    form.get_by_label("Country", exact=True).select_option("FR")
    form.get_by_label("I agree that Bee Alliance").check()
    form.get_by_role("button", name="Sign the petition").click()

    expect(form.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    expect(form.locator(".count-number")).to_have_text("42")
    # The partner page's counter shows the signer's own signature at once.
    expect(counter.locator(".count-number")).to_have_text("42")
    assert blocked_3pc_context.cookies() == []

    with live_site.widget_app.app_context():
        from widget.counting import verify_count

        assert verify_count(get_petition(live_site.petition_slug).id) == []
