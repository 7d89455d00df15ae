"""Who may frame the widget, and partner pages that survive a slow or absent server."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PETITION, page_on
from tests.browser.frames import FORM, frame_of
from widget.campaign.petitions import update_petition

pytestmark = pytest.mark.browser

FALLBACK = "Sign the petition: Save the bees"


def test_registered_origin_shows_the_form(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script")[1]])
    page = browser_profile().new_page()
    page.goto(origin + "/")
    expect(page.frame_locator(FORM).get_by_role("button", name="Sign the petition")).to_be_visible()


def test_unregistered_origin_cannot_display_the_form(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script")[1]], register=None)
    page = browser_profile().new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else 0)
    page.goto(origin + "/")
    # The browser refuses to render the frame; embed.js removes it and keeps the link.
    expect(page.locator(".petition-widget")).to_have_attribute(
        "data-widget-state", "failed", timeout=20_000
    )
    expect(page.get_by_role("link", name=FALLBACK)).to_be_visible()
    assert page.locator("iframe").count() == 0
    assert refused  # Chromium reported the frame-ancestors refusal


def test_unregistered_plain_iframe_is_refused_by_the_browser(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "iframe")[1]], register=None)
    page = browser_profile().new_page()
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    page.wait_for_timeout(500)
    assert frame.locator("form").count() == 0
    assert frame.url.startswith("chrome-error://")


def test_petition_open_to_any_site_can_be_framed_anywhere(widget, browser_profile):
    with widget.app.app_context():
        update_petition(PETITION, is_embeddable_anywhere=True)
    origin = widget.start_site([page_on(widget, "script")[1]], register=None)
    page = browser_profile().new_page()
    page.goto(origin + "/")
    expect(page.frame_locator(FORM).get_by_role("button", name="Sign the petition")).to_be_visible()


def test_server_down_leaves_a_usable_page_with_a_link(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "counter", "script")[1]])
    widget.server.stop()
    page = browser_profile().new_page()
    started = time.monotonic()
    page.goto(origin + "/")
    assert time.monotonic() - started < 5
    expect(page.get_by_role("heading", name="Friends of Bees")).to_be_visible()
    link = page.get_by_role("link", name=FALLBACK)
    expect(link).to_be_visible()
    assert link.get_attribute("href").startswith(f"{widget.url}/p/{PETITION}?partner=")


def test_server_failing_after_embed_js_loaded_keeps_the_link(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script")[1]])
    page = browser_profile().new_page()
    page.route(f"{widget.url}/embed/**", lambda route: route.abort())
    page.route(f"{widget.url}/api/**", lambda route: route.abort())
    page.goto(origin + "/")
    expect(page.locator(".petition-widget")).to_have_attribute(
        "data-widget-state", "failed", timeout=20_000
    )
    expect(page.get_by_role("link", name=FALLBACK)).to_be_visible()


def test_slow_server_does_not_hold_up_the_partner_page(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script")[1]])
    widget.delay.seconds = 20
    page = browser_profile().new_page()
    started = time.monotonic()
    page.goto(origin + "/", wait_until="domcontentloaded")
    assert time.monotonic() - started < 5
    # Usable while the widget is still loading: content, navigation, the fallback link.
    expect(page.get_by_role("link", name=FALLBACK)).to_be_visible()
    page.get_by_role("link", name="Friends of Bees").focus()
    expect(page.get_by_role("link", name="Friends of Bees")).to_be_focused()
    # embed.js gives up after 15 s: the hidden frame goes, the link stays.
    expect(page.locator(".petition-widget")).to_have_attribute(
        "data-widget-state", "failed", timeout=20_000
    )
    expect(page.get_by_role("link", name=FALLBACK)).to_be_visible()
