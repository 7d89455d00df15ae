"""Signing with JavaScript switched off inside the widget's frame (or everywhere)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PETITION, page_on
from tests.browser.frames import FORM, fill_form, frame_of, submit

pytestmark = pytest.mark.browser


def sign_in(frame, email):
    fill_form(frame, email=email)
    submit(frame)


def test_sandboxed_frame_without_scripts_still_signs(widget, browser_profile):
    """A CMS that sandboxes embeds without allow-scripts: the browser runs no script at all
    in the frame."""
    sandboxed = (
        '<iframe src="{widget}/embed/save-the-bees?partner=friends-of-bees" '
        'title="Sign the petition" style="width:100%;height:1100px;border:0" '
        'sandbox="allow-forms allow-same-origin allow-popups"></iframe>'
    )
    origin = widget.start_site([page_on(widget, extra_body=sandboxed)[1]])
    page = browser_profile().new_page()
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.locator("#error-summary")).to_be_visible()  # server-side errors, no script
    sign_in(frame, "sandboxed@example.org")
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    expect(frame.locator(".count-number")).to_have_text("1")


def test_script_embed_shows_a_frame_whose_script_never_runs(widget, browser_profile):
    """If the frame never reports in but the server says the page may embed it, embed.js
    shows the frame at a fixed height instead of leaving only the link."""
    origin = widget.start_site([page_on(widget, "script")[1]])
    page = browser_profile().new_page()
    page.route("**/static/frame.js*", lambda route: route.abort())
    page.goto(origin + "/")
    expect(page.locator(".petition-widget")).to_have_attribute(
        "data-widget-state", "static", timeout=10_000
    )
    assert page.locator(FORM).bounding_box()["height"] > 600
    expect(page.get_by_role("link", name="Sign the petition: Save the bees")).to_be_hidden()
    frame = frame_of(page, FORM)
    sign_in(frame, "silent@example.org")
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()


def test_standalone_page_with_javascript_off_everywhere(widget, browser_profile):
    context = browser_profile(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{widget.url}/p/{PETITION}")
    sign_in(page, "nojs-page@example.org")
    expect(page.get_by_role("heading", name="Thank you for signing!")).to_be_visible()


def test_fallback_link_when_the_partner_page_runs_no_script(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script")[1]])
    context = browser_profile(java_script_enabled=False)
    page = context.new_page()
    page.goto(origin + "/")
    link = page.get_by_role("link", name="Sign the petition: Save the bees")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{widget.url}/p/{PETITION}?partner=friends-of-bees&lang=en")
    sign_in(page, "fallback@example.org")
    expect(page.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
