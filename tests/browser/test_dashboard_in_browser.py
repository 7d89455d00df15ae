"""The dashboard in Chromium: axe-core clean, usable by keyboard, live numbers, copy buttons,
the live preview, and nothing fetched from anywhere but our own origin."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PARTNER, PETITION
from tests.browser.test_accessibility import violations
from tests.dashboard import PASSWORD, current_code, make_operator, make_partner_user
from tests.factories import sign
from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.core.extensions import db

pytestmark = pytest.mark.browser

OPERATOR_PAGES = [
    "/dashboard/",
    f"/dashboard/petitions/{PETITION}",
    f"/dashboard/petitions/{PETITION}/breakdown",
    f"/dashboard/petitions/{PETITION}/settings",
    f"/dashboard/petitions/{PETITION}/texts/de",
    f"/dashboard/petitions/{PETITION}/export",
    f"/dashboard/petitions/{PETITION}/external",
    f"/dashboard/petitions/{PETITION}/fraud",
    "/dashboard/petitions/new",
    "/dashboard/partners",
    f"/dashboard/partners/{PARTNER}",
    f"/dashboard/partners/{PARTNER}/embed",
    "/dashboard/users",
    "/dashboard/erasure",
    "/dashboard/outbox",
    "/dashboard/audit",
    "/dashboard/account",
]


@pytest.fixture
def accounts(widget):
    with widget.app.app_context():
        petition, partner = get_petition(PETITION), get_partner(PARTNER)
        for n in range(3):
            sign(petition, partner, email=f"b{n}@example.org", country="DE")
        sign(petition, None, email="direct@example.org", country="FR")
        make_operator()
        make_partner_user(PARTNER)
        db.session.remove()


def logged_in(browser_profile, widget, email: str, **options):
    return log_in_page(browser_profile(**options).new_page(), widget, email)


def log_in_page(page, widget, email: str, password: str = PASSWORD):
    """Log in with the real form, as a person does (typing the authenticator app's code
    when the account has two factors); the page shows the overview."""
    page.goto(f"{widget.url}/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    overview = page.get_by_role("heading", name="Overview")
    code_step = page.get_by_role("heading", name="Two-factor sign-in")
    expect(overview.or_(code_step)).to_be_visible()
    if code_step.is_visible():
        with widget.app.app_context():
            code = current_code(email)
            db.session.remove()
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Log in").click()
    expect(overview).to_be_visible()
    return page


@pytest.mark.parametrize("lang", ["en", "de", "el"])
def test_operator_pages_have_no_axe_violations(widget, accounts, browser_profile, lang):
    page = logged_in(browser_profile, widget, "op@lead.example", bypass_csp=True)
    for path in OPERATOR_PAGES:
        page.goto(f"{widget.url}{path}?lang={lang}")
        assert violations(page) == [], (lang, path)


def test_form_errors_have_no_axe_violations(widget, accounts, browser_profile):
    page = logged_in(browser_profile, widget, "op@lead.example", bypass_csp=True)
    page.goto(f"{widget.url}/dashboard/partners/new")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Please correct the marked fields.")).to_be_visible()
    assert page.locator("#slug").get_attribute("aria-invalid") == "true"
    assert violations(page) == []


def test_partner_user_pages_have_no_axe_violations(widget, accounts, browser_profile):
    page = logged_in(browser_profile, widget, "pat@partner.example", bypass_csp=True)
    own = [f"/dashboard/partners/{PARTNER}/embed", f"/dashboard/petitions/{PETITION}/export"]
    for path in [*OPERATOR_PAGES[:2], *own]:
        page.goto(f"{widget.url}{path}")
        assert violations(page) == [], path


def test_login_and_a_whole_task_by_keyboard(widget, accounts, browser_profile):
    page = browser_profile().new_page()
    page.goto(f"{widget.url}/dashboard/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.locator("#email").focus()
    page.keyboard.type("op@lead.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # The operator's second factor, typed too.
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    with widget.app.app_context():
        code = current_code("op@lead.example")
        db.session.remove()
    page.locator("#code").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # Record an external count by keyboard alone.
    page.goto(f"{widget.url}/dashboard/petitions/{PETITION}/external")
    page.locator("#delta").focus()
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    page.keyboard.type("AT")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Street stand, Vienna")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("the total includes it now")
    expect(page.get_by_role("cell", name="Street stand, Vienna")).to_be_visible()


def test_overview_numbers_update_without_a_reload(widget, accounts, browser_profile):
    page = logged_in(browser_profile, widget, "op@lead.example")
    page.clock.install()
    page.reload()
    total = page.locator(f'[data-petition="{PETITION}"] [data-field="total"]')
    expect(total).to_have_text("4")
    with widget.app.app_context():
        sign(get_petition(PETITION), None, email="late@example.org")
        db.session.remove()
    time.sleep(widget.app.config["COUNT_CACHE_SECONDS"] + 0.5)  # the count's stated staleness
    page.clock.run_for(31_000)
    expect(total).to_have_text("5", timeout=5000)


def test_copy_button_copies_the_embed_code(widget, accounts, browser_profile):
    context = browser_profile(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{widget.url}/dashboard/login")
    page.get_by_label("Email").fill("pat@partner.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{widget.url}/dashboard/partners/{PARTNER}/embed")
    page.locator("button[data-copy='code-script']").click()
    expect(page.locator("button[data-copy='code-script']")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.locator("#code-script").input_value()
    assert f'data-partner="{PARTNER}"' in copied


def test_embed_options_update_the_codes_and_the_live_preview(widget, accounts, browser_profile):
    page = logged_in(browser_profile, widget, "op@lead.example")
    page.goto(f"{widget.url}/dashboard/partners/{PARTNER}/embed")
    page.get_by_label("Language of the widget").select_option("de")
    expect(page.locator("#code-script")).to_contain_text('data-lang="de"')
    preview = page.frame_locator("iframe.preview.tall")
    expect(preview.get_by_role("heading", name="Rettet die Bienen")).to_be_visible()
    counter = page.frame_locator("iframe.preview:not(.tall)")
    expect(counter.locator(".count-number")).to_have_text("4")


def test_the_dashboard_fetches_nothing_from_other_origins(widget, accounts, browser_profile):
    page = logged_in(browser_profile, widget, "op@lead.example")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in OPERATOR_PAGES:
        page.goto(f"{widget.url}{path}")
    assert requested and all(url.startswith(widget.url) for url in requested)


def test_language_menu_switches_the_dashboard(widget, accounts, browser_profile):
    page = logged_in(browser_profile, widget, "op@lead.example")
    page.get_by_label("Language").select_option("de")
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    page.goto(f"{widget.url}/dashboard/petitions/{PETITION}")
    assert page.locator("html").get_attribute("lang") == "de"
