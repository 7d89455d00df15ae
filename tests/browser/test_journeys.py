"""Journeys as people make them, across every hand-off: a partner page, the POST, the mail
worker, a real SMTP server (aiosmtpd), the email's link opened in Chromium, its button
pressed, and the count, the dashboard and the downloaded file afterwards.

Each email is taken from what the SMTP server received, never from the database, and
every button is pressed in the browser, which sends the headers (Origin, Sec-Fetch-*) a
test client does not.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.browser.conftest import PARTNER, PETITION, Server, Widget, page_on
from tests.browser.frames import FORM, fill_form, frame_of, submit
from tests.browser.test_dashboard_in_browser import log_in_page
from tests.conftest import MailCapture, free_port, make_app
from tests.dashboard import PASSWORD, make_operator
from tests.factories import make_partner, make_petition
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import CountingPolicy
from widget.counting.tallies import verify_count
from widget.ops.worker import run_worker_once

pytestmark = pytest.mark.browser

LINK = re.compile(r"(https?://\S+/(?:s|dashboard/invite|dashboard/reset)/[\w-]+(?:/\w+)?)")
NEW_PASSWORD = "a brand new password for pat"


class Mailbox:
    """The SMTP server the widget's worker sends to, and a way to read what arrived."""

    def __init__(self, widget: Widget, capture: MailCapture) -> None:
        self.widget, self.capture = widget, capture

    def deliver(self) -> None:
        """One pass of the real mail worker (reminders, then the outbox) over SMTP."""
        with self.widget.app.app_context():
            run_worker_once()
            db.session.remove()

    def last_to(self, address: str, subject_starts: str):
        self.deliver()
        found = [m for m in self.capture.to(address) if m["Subject"].startswith(subject_starts)]
        assert found, [(m["To"], m["Subject"]) for m in self.capture.messages]
        return found[-1]

    @staticmethod
    def links(message) -> dict[str, str]:
        """The email's links by their last part (confirm, withdraw, data) or kind."""
        found = {}
        for url in LINK.findall(message.get_content()):
            found[url.rstrip("/").rsplit("/", 1)[-1] if "/s/" in url else url.split("/")[-2]] = url
        return found


@pytest.fixture
def journey(database_url):
    """The widget on its own origin (counts read fresh, as a signer expects after acting),
    a real SMTP server, and a partner site on another origin."""
    capture = MailCapture()
    smtp = Controller(capture, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(
        database_url,
        PUBLIC_URL=url,
        COUNT_CACHE_SECONDS=0,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        SMTP_SECURITY="none",
    )
    with app.app_context():
        make_petition(PETITION, goal=100, lead_organisation="Bee Alliance")
        make_partner(PARTNER, name="Friends of Bees", origins=[], country="DE")
        make_operator()
        db.session.remove()
    server = Server(app, port)
    widget = Widget(url, app, server, delay=None)
    yield widget, Mailbox(widget, capture)
    for site in widget.sites:
        site.stop()
    server.stop()
    smtp.stop()
    with app.app_context():
        db.engine.dispose()


def set_policy(widget: Widget, counts_on: CountingPolicy) -> None:
    with widget.app.app_context():
        get_petition(PETITION).counts_on = counts_on
        db.session.commit()
        db.session.remove()


def count(widget: Widget) -> int:
    with urllib.request.urlopen(f"{widget.url}/api/v1/petitions/{PETITION}") as response:
        return json.load(response)["count"]


def sign_on_partner_page(widget: Widget, context, email: str, **form) -> None:
    origin = widget.start_site([page_on(widget, "script")[1]])
    page = context.new_page()
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    fill_form(frame, email=email, **form)
    for box in ("#partner_opt_in", "#lead_opt_in"):
        if frame.locator(box).count():
            frame.locator(box).press("Space")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    page.close()


def press(context, url: str, button: str, heading: str):
    """Open an email's link and press the page's button, as the signer does."""
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    return page


def operator_overview(context, widget: Widget, password: str = PASSWORD):
    return log_in_page(context.new_page(), widget, "op@lead.example", password)


# --- signers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "counts_on, javascript",
    [
        (CountingPolicy.ON_CONFIRMATION, True),
        (CountingPolicy.ON_CONFIRMATION, False),
        (CountingPolicy.ON_SUBMISSION, True),
    ],
    ids=["counts-on-confirmation", "counts-on-confirmation-no-js", "counts-on-submission"],
)
def test_sign_then_confirm_from_the_email(journey, browser_profile, counts_on, javascript):
    widget, mailbox = journey
    set_policy(widget, counts_on)
    sign_on_partner_page(widget, browser_profile(), "ada@example.org")
    waits = counts_on == CountingPolicy.ON_CONFIRMATION
    assert count(widget) == (0 if waits else 1)

    mail = mailbox.last_to("ada@example.org", "Please confirm your signature")
    signer = browser_profile(java_script_enabled=javascript)
    page = press(
        signer,
        mailbox.links(mail)["confirm"],
        "Confirm my signature",
        "Your signature is confirmed",
    )
    assert page.title() == "Your signature is confirmed"
    assert count(widget) == 1

    overview = operator_overview(browser_profile(), widget)
    card = overview.locator(f"[data-petition='{PETITION}']")
    expect(card.locator("[data-field='total']")).to_have_text("1")
    expect(card).to_contain_text("Confirmed: 1 · waiting for confirmation: 0")
    with widget.app.app_context():
        assert verify_count(get_petition(PETITION).id) == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_this_wasnt_me_withdraws_and_the_data_link_sends_a_copy(
    journey, browser_profile, javascript
):
    widget, mailbox = journey
    set_policy(widget, CountingPolicy.ON_SUBMISSION)
    sign_on_partner_page(widget, browser_profile(), "ada@example.org")
    sign_on_partner_page(widget, browser_profile(), "grace@example.org")
    signer = browser_profile(java_script_enabled=javascript)  # opens the emails' links
    assert count(widget) == 2

    links = mailbox.links(mailbox.last_to("grace@example.org", "Please confirm"))
    press(signer, links["data"], "Email me a copy of my data", "A copy of your data is on its way")
    copy = mailbox.last_to("grace@example.org", "The data we hold about you")
    body = copy.get_content()
    assert "Email: grace@example.org" in body and "Country: France" in body
    assert "Organisation on whose website you signed: Friends of Bees" in body

    links = mailbox.links(mailbox.last_to("ada@example.org", "Please confirm"))
    press(signer, links["withdraw"], "Withdraw the signature", "The signature has been withdrawn")
    assert count(widget) == 1
    # The link is spent: the person's data is gone with it.
    page = signer.new_page()
    page.goto(links["confirm"])
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()


def test_the_duplicate_notice_and_the_reminder_links_work(journey, browser_profile):
    widget, mailbox = journey
    set_policy(widget, CountingPolicy.ON_CONFIRMATION)
    signer = browser_profile(java_script_enabled=False)
    sign_on_partner_page(widget, browser_profile(), "ada@example.org")
    mailbox.deliver()
    sign_on_partner_page(widget, browser_profile(), "Ada@Example.org")  # the same person
    notice = mailbox.last_to("ada@example.org", "You have already signed")
    press(
        signer,
        mailbox.links(notice)["confirm"],
        "Confirm my signature",
        "Your signature is confirmed",
    )
    assert count(widget) == 1

    widget.app.config["REMINDER_AFTER_HOURS"] = 0
    sign_on_partner_page(widget, browser_profile(), "grace@example.org")
    reminder = mailbox.last_to("grace@example.org", "Reminder: please confirm")
    press(
        signer,
        mailbox.links(reminder)["confirm"],
        "Confirm my signature",
        "Your signature is confirmed",
    )
    assert count(widget) == 2


def test_the_privacy_page_sends_an_erasure_link(journey, browser_profile):
    widget, mailbox = journey
    set_policy(widget, CountingPolicy.ON_SUBMISSION)
    sign_on_partner_page(widget, browser_profile(), "ada@example.org")
    page = browser_profile().new_page()
    page.goto(f"{widget.url}/p/{PETITION}/privacy")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_role("button", name="Email me a link to erase my signature").click()
    expect(page.get_by_role("status")).to_contain_text("is on its way")
    mail = mailbox.last_to("ada@example.org", "Withdraw your signature and erase your data")
    press(
        browser_profile(),
        mailbox.links(mail)["withdraw"],
        "Withdraw the signature",
        "The signature has been withdrawn",
    )
    assert count(widget) == 0


# --- partners and operators ---------------------------------------------------------------


def download_rows(page, link_name: str) -> list[dict]:
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    assert download.value.failure() is None
    with open(download.value.path(), encoding="utf-8") as file:
        return list(csv.DictReader(io.StringIO(file.read())))


def test_an_invited_partner_downloads_its_signers_and_so_does_the_operator(
    journey, browser_profile
):
    widget, mailbox = journey
    set_policy(widget, CountingPolicy.ON_SUBMISSION)
    signer = browser_profile()
    sign_on_partner_page(widget, signer, "ada@example.org", country="DE")
    links = mailbox.links(mailbox.last_to("ada@example.org", "Please confirm"))
    press(signer, links["confirm"], "Confirm my signature", "Your signature is confirmed")

    operator = operator_overview(browser_profile(), widget)
    operator.goto(f"{widget.url}/dashboard/users")
    operator.get_by_label("Email").fill("pat@friends.example")
    operator.get_by_label("Name").fill("Pat Partner")
    operator.get_by_label("Role").select_option("partner")
    operator.get_by_label("Partner", exact=True).select_option(PARTNER)
    operator.get_by_role("button", name="Send the invitation").click()
    expect(operator.get_by_text("Invitation sent to pat@friends.example.")).to_be_visible()

    invitation = mailbox.last_to("pat@friends.example", "You are invited")
    partner = browser_profile().new_page()
    choose_password(partner, mailbox.links(invitation)["invite"], "Choose your password")
    partner.goto(f"{widget.url}/dashboard/petitions/{PETITION}/export")
    rows = download_rows(partner, "Opted-in signers of Friends of Bees (CSV)")
    assert [(r["action"], r["email"], r["country"]) for r in rows] == [
        ("add", "ada@example.org", "DE")
    ]

    operator.goto(f"{widget.url}/dashboard/petitions/{PETITION}/export")
    rows = download_rows(operator, "Opted-in signers of Friends of Bees (CSV)")
    assert [r["email"] for r in rows] == ["ada@example.org"]
    rows = download_rows(operator, "Opted-in signers of Bee Alliance (CSV)")
    assert [r["email"] for r in rows] == ["ada@example.org"]

    operator.goto(f"{widget.url}/dashboard/audit")
    expect(operator.get_by_role("cell", name="export.recipient").first).to_be_visible()


def choose_password(page, url: str, heading: str) -> None:
    """Follow an invitation or reset link, choose a password, land in the dashboard."""
    page.goto(url)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_password_reset_from_the_email(journey, browser_profile):
    widget, mailbox = journey
    page = browser_profile().new_page()
    page.goto(f"{widget.url}/dashboard/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("op@lead.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("If this address has an account")).to_be_visible()

    mail = mailbox.last_to("op@lead.example", "Choose a new password")
    reset = browser_profile().new_page()
    choose_password(reset, mailbox.links(mail)["reset"], "Choose a new password")
    # The link works once, and says what it was.
    reset.goto(mailbox.links(mail)["reset"])
    expect(reset.get_by_text("This link to choose a new password is used")).to_be_visible()
    operator_overview(browser_profile(), widget, password=NEW_PASSWORD)
