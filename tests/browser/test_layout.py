"""Phone and desktop widths, hostile partner CSS, and a partner page with a strict CSP."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import page_on
from tests.browser.frames import FORM, assert_fits, fill_form, frame_of, screenshot, submit

pytestmark = pytest.mark.browser

HOSTILE_CSS = (
    "<style>* { box-sizing: content-box; margin: 2em; font-size: 30px; line-height: 3; }"
    " div { padding: 1em; } iframe { width: 50%; }</style>"
)


def assert_nothing_cut_off(page):
    """No sideways scrolling on the partner page, and the widget inside the viewport."""
    page_width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= page_width
    box = page.locator(FORM).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page_width
    assert_fits(page, FORM)


def walk_through_the_form(page, artifacts, name):
    """Form, error state, thank-you: check the fit and screenshot each step."""
    page.locator(FORM).scroll_into_view_if_needed()
    assert_nothing_cut_off(page)
    screenshot(page, artifacts / f"{name}-form.png")
    frame = frame_of(page, FORM)
    frame.get_by_label("Email", exact=True).fill("not-an-address")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.locator("#error-summary")).to_be_visible()
    assert_nothing_cut_off(page)
    screenshot(page, artifacts / f"{name}-errors.png")
    fill_form(frame, email=f"{name}@example.org")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    assert_nothing_cut_off(page)
    screenshot(page, artifacts / f"{name}-thanks.png")


@pytest.mark.parametrize(
    ("width", "height"), [(320, 640), (1280, 900)], ids=["phone-320", "desktop-1280"]
)
def test_phone_and_desktop_widths(widget, browser_profile, artifacts, width, height):
    origin = widget.start_site([page_on(widget, "counter", "script")[1]])
    page = browser_profile(viewport={"width": width, "height": height}).new_page()
    page.goto(origin + "/")
    expect(page.locator("[data-widget-state=ready]")).to_have_count(2)
    walk_through_the_form(page, artifacts, f"width-{width}")


def test_hostile_partner_css_does_not_reach_the_widget(widget, browser_profile, artifacts):
    origin = widget.start_site([page_on(widget, "script", head=HOSTILE_CSS)[1]])
    page = browser_profile(viewport={"width": 800, "height": 900}).new_page()
    page.goto(origin + "/")
    expect(page.locator("[data-widget-state=ready]")).to_have_count(1)
    frame = frame_of(page, FORM)
    # The page's `* { font-size: 30px }` stops at the iframe.
    assert frame.evaluate("getComputedStyle(document.querySelector('label')).fontSize") == "16px"
    # embed.js's inline styles win over the page's rules for the iframe element itself.
    style = page.locator(FORM).evaluate(
        "f => { const s = getComputedStyle(f); return [s.marginTop, s.borderTopWidth]; }"
    )
    assert style == ["0px", "0px"]
    walk_through_the_form(page, artifacts, "hostile-css")


def test_partner_page_with_a_strict_csp(widget, browser_profile):
    csp = (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src {widget}; frame-src {widget}; connect-src {widget}; "
        "style-src 'unsafe-inline'\">"
    )
    origin = widget.start_site([page_on(widget, "counter", "script", head=csp)[1]])
    # The head is pasted as is: put the widget's origin in the partner's policy.
    page = browser_profile().new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.goto(origin + "/")
    expect(page.locator("[data-widget-state=ready]")).to_have_count(2)
    assert_fits(page, FORM)
    frame = frame_of(page, FORM)
    fill_form(frame, email="csp@example.org")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    assert violations == []
