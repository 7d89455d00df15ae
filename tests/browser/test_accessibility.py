"""axe-core finds no violations on the widget's pages, in several languages and scripts."""

from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PETITION, page_on
from tests.browser.frames import FORM, fill_form, frame_of

pytestmark = pytest.mark.browser

AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"
# Our own CSP rightly refuses the injected axe script; the audit context bypasses it.
TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]
RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
LANGUAGES = ["en", "de", "el", "bg"]


def violations(frame_or_page) -> list:
    frame_or_page.add_script_tag(path=str(AXE))
    result = frame_or_page.evaluate(RUN, TAGS)
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]


def violations_with_frames(page) -> list:
    """Audit the partner page as a whole, the widget's cross-origin frames included."""
    for frame in page.frames:
        frame.add_script_tag(path=str(AXE))
        # axe only talks to same-origin frames unless told otherwise.
        frame.evaluate("() => axe.configure({allowedOrigins: ['<unsafe_all_origins>']})")
    result = page.evaluate(
        "tags => axe.run(document, {iframes: true, runOnly: {type: 'tag', values: tags}})",
        TAGS,
    )
    untested = [v["id"] for v in result["incomplete"] if v["id"] == "frame-tested"]
    assert untested == []  # the frames really were audited
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_form_error_and_thanks_pages_have_no_violations(widget, browser_profile, lang):
    page = browser_profile(bypass_csp=True).new_page()
    page.goto(f"{widget.url}/p/{PETITION}?lang={lang}")
    assert violations(page) == []
    page.locator("#sign-button").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert violations(page) == []
    fill_form(page, email=f"axe-{lang}@example.org")
    page.locator("#sign-button").click()
    expect(page.locator("#thanks-title")).to_be_visible()
    assert violations(page) == []


@pytest.mark.parametrize("lang", ["en", "de", "el"])
def test_partner_page_with_embedded_frames_has_no_violations(widget, browser_profile, lang):
    origin = widget.start_site([page_on(widget, "counter", "script", lang=lang)[1]])
    page = browser_profile(bypass_csp=True).new_page()
    page.goto(origin + "/")
    expect(page.locator("[data-widget-state=ready]")).to_have_count(2)
    frame_of(page, FORM)
    assert violations_with_frames(page) == []


def test_embedded_error_state_has_no_violations(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "script", lang="de")[1]])
    page = browser_profile(bypass_csp=True).new_page()
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    fill_form(frame, email="not-an-address", consent=False)
    frame.locator("#sign-button").click()
    frame = frame_of(page, FORM)
    expect(frame.locator("#error-summary")).to_be_visible()
    assert violations_with_frames(page) == []
