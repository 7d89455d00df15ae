"""Signing in Greek, Bulgarian and German: three scripts, embedded on a partner page."""

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from tests.browser.conftest import TEXTS, page_on
from tests.browser.frames import COUNTER, FORM, assert_fits, fill_form, frame_of, submit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["el", "bg", "de"])
def test_sign_in_another_language_and_script(widget, browser_profile, lang):
    with widget.app.app_context(), force_locale(lang):
        first_name, sign_button, thanks = (
            gettext("First name"),
            gettext("Sign the petition"),
            gettext("Thank you for signing!"),
        )
    origin = widget.start_site([page_on(widget, "counter", "script", lang=lang)[1]])
    page = browser_profile().new_page()
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    assert frame.evaluate("document.documentElement.lang") == lang
    expect(frame.get_by_role("heading", name=TEXTS[lang]["title"])).to_be_visible()
    expect(frame.get_by_label(first_name, exact=True)).to_be_visible()
    assert page.locator(FORM).get_attribute("title").endswith(TEXTS[lang]["title"])
    assert_fits(page, FORM)
    fill_form(frame, email=f"{lang}@example.org")
    submit(frame, sign_button)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name=thanks)).to_be_visible()
    expect(page.frame_locator(COUNTER).locator(".count-number")).to_have_text("1")
    assert_fits(page, FORM)
