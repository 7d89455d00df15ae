"""The signer's link pages and what the privacy page promises: the rule for their buttons,
their language and titles, data copies that are never silently dropped, erasure links,
and no mail about signatures an operator has taken out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_partner, make_petition, sign
from widget.core.extensions import db
from widget.core.models import CountingPolicy, OutboxMessage, OutboxStatus, Signature, utcnow
from widget.counting.public_count import read_count
from widget.ops.worker import run_worker_once
from widget.outbox.deliver import deliver_due_messages
from widget.signers.access import send_data_copy
from widget.signers.erasure import erase_address
from widget.signers.fraud import Criteria, invalidate_signatures, trending

LINK = re.compile(r"https?://\S+/s/([\w-]+)/(confirm|withdraw|data)")


def links_in(message) -> dict[str, str]:
    return {kind: token for token, kind in LINK.findall(message.get_content())}


def signed_and_mailed(smtp, **over):
    petition = make_petition(counts_on=over.pop("counts_on", CountingPolicy.ON_CONFIRMATION))
    sign(petition, email="ada@example.org", **over)
    run_worker_once()
    (mail,) = smtp.to("ada@example.org")
    return petition, links_in(mail)


# --- the rule for the buttons on link pages ------------------------------------------------

# What Chromium sends when the page's own button is pressed: the link pages' referrer
# policy (no-referrer) makes the Origin "null" (seen in Chromium 156; the Fetch standard).
OWN_BUTTON = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}


@pytest.mark.parametrize("action", ["confirm", "withdraw", "data"])
def test_the_pages_own_button_is_accepted_with_a_null_origin(app, client, smtp, action):
    _, links = signed_and_mailed(smtp)
    response = client.post(f"/s/{links[action]}/{action}", headers=OWN_BUTTON)
    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},  # an older browser without Fetch metadata
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed frame elsewhere
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_button_pressed_on_another_site_is_refused(app, client, smtp, headers):
    petition, links = signed_and_mailed(smtp)
    response = client.post(f"/s/{links['confirm']}/confirm", headers=headers)
    assert response.status_code == 403
    assert db.session.scalars(select(Signature.confirmed_at)).one() is None
    assert read_count(petition).count == 0


def test_link_pages_load_no_script_their_policy_would_block(app, client, smtp):
    _, links = signed_and_mailed(smtp)
    page = client.get(f"/s/{links['confirm']}/confirm")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "<script" not in page.get_data(as_text=True)


# --- language and titles -------------------------------------------------------------------


def test_link_pages_speak_the_signers_language_not_the_browsers(app, client, smtp):
    _, links = signed_and_mailed(smtp, locale="de")
    page = client.get(f"/s/{links['confirm']}/confirm", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "<title>Unterschrift bestätigen</title>" in html


def test_a_confirmed_link_is_titled_confirmed(app, client, smtp):
    _, links = signed_and_mailed(smtp)
    html = client.post(f"/s/{links['confirm']}/confirm").get_data(as_text=True)
    assert "<title>Your signature is confirmed</title>" in html
    again = client.get(f"/s/{links['confirm']}/confirm").get_data(as_text=True)
    assert "<title>Your signature is confirmed</title>" in again


# --- data copies: done, or the page says when ------------------------------------------------


def test_a_second_copy_within_a_day_is_sent_when_the_day_is_over(app, client, smtp):
    _, links = signed_and_mailed(smtp)
    first = client.post(f"/s/{links['data']}/data").get_data(as_text=True)
    assert "We have sent it to the email address of the signature." in first
    assert "We have sent it" in client.post(f"/s/{links['data']}/data").get_data(as_text=True)
    run_worker_once()  # while the first is still waiting, it answers both requests
    second = client.post(f"/s/{links['data']}/data").get_data(as_text=True)
    assert "The next one goes to the email address of the signature on" in second
    client.post(f"/s/{links['data']}/data")  # a third request adds nothing
    run_worker_once()
    copies = lambda: [m for m in smtp.messages if m["Subject"].startswith("The data we hold")]  # noqa: E731
    assert len(copies()) == 1
    waiting = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "data_copy", OutboxMessage.status == OutboxStatus.PENDING
        )
    ).all()
    assert len(waiting) == 1
    deliver_due_messages(now=utcnow() + timedelta(days=1, minutes=1))
    assert len(copies()) == 2


def test_the_privacy_page_keeps_a_copy_request_made_after_an_email_link(app, client, smtp):
    _, links = signed_and_mailed(smtp)
    client.post(f"/s/{links['data']}/data")
    run_worker_once()
    answer = client.post("/p/save-the-bees/privacy", data={"email": "ada@example.org"})
    assert "the next follows when the day is over" in answer.get_data(as_text=True)
    deliver_due_messages(now=utcnow() + timedelta(days=1, minutes=1))
    copies = [m for m in smtp.messages if m["Subject"].startswith("The data we hold")]
    assert len(copies) == 2


def test_the_privacy_page_sends_an_erasure_link_that_works(app, client, smtp):
    petition, _ = signed_and_mailed(smtp, counts_on=CountingPolicy.ON_SUBMISSION)
    smtp.messages.clear()
    answers = [
        client.post(
            "/p/save-the-bees/privacy", data={"email": address, "request": "erase"}
        ).get_data(as_text=True)
        for address in ("ada@example.org", "never@example.org")
    ]
    notice = "an email with a link to withdraw the signature and erase its data is on its way"
    assert all(notice in answer for answer in answers)  # reveals nothing about who signed
    run_worker_once()
    (mail,) = smtp.messages
    assert mail["To"] == "ada@example.org" and mail["Subject"].startswith("Withdraw your")
    token = links_in(mail)["withdraw"]
    assert read_count(petition).count == 1
    client.post(f"/s/{token}/withdraw")
    assert read_count(petition, fresh=True).count == 0
    assert db.session.scalars(select(Signature.email)).one() == ""


# --- recipients by name ---------------------------------------------------------------------


def test_the_erasure_preview_names_recipients_and_counts_only_unsent_mail(app, smtp):
    from widget.signers.exports import export_rows

    petition = make_petition(counts_on=CountingPolicy.ON_SUBMISSION)
    partner = make_partner()
    sign(petition, partner, email="ada@example.org", partner_opt_in=True)
    run_worker_once()  # the confirmation email is sent
    client_links = links_in(smtp.to("ada@example.org")[0])
    from widget.signers.confirmation import confirm_signature

    confirm_signature(client_links["confirm"])
    "".join(export_rows("save-the-bees", "partner:friends-of-bees"))
    preview = erase_address("ada@example.org", channel="test", actor="t", dry_run=True)
    assert preview.recipient_names == ["Friends of Bees"]
    assert preview.outbox_messages == 0  # the confirmation went out: nothing pending


# --- no mail about signatures an operator took out -------------------------------------------


def test_invalidated_signatures_get_no_more_mail(app, smtp):
    petition = make_petition(counts_on=CountingPolicy.ON_CONFIRMATION)
    for n in range(3):
        sign(petition, email=f"bot{n}@spam.example")
    sign(petition, email="person@example.org")
    invalidate_signatures(
        "save-the-bees", Criteria(email_domain="spam.example"), reason="bots", actor="op"
    )
    pending = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.status == OutboxStatus.PENDING)
    ).all()
    assert pending == ["person@example.org"]  # dropped in the invalidation's transaction
    run_worker_once()
    assert [m["To"] for m in smtp.messages] == ["person@example.org"]


def test_mail_queued_for_a_signature_invalidated_meanwhile_is_not_sent(app, smtp):
    petition = make_petition(counts_on=CountingPolicy.ON_CONFIRMATION)
    sign(petition, email="bot@spam.example")
    signature = db.session.scalars(select(Signature)).one()
    # Invalidated by another process between the queueing and the sending.
    from widget.core.models import SignatureState

    signature.state = SignatureState.INVALIDATED
    db.session.commit()
    report = run_worker_once()
    assert smtp.messages == [] and report.failed == 1


def test_trending_leaves_out_invalidated_signatures(app):
    petition = make_petition()
    for n in range(3):
        sign(petition, email=f"bot{n}@spam.example")
    sign(petition, email="person@example.org")
    since = utcnow() - timedelta(hours=1)
    assert trending("save-the-bees", by="domain", since=since)[0] == ("spam.example", 3)
    invalidate_signatures(
        "save-the-bees", Criteria(email_domain="spam.example"), reason="bots", actor="op"
    )
    assert trending("save-the-bees", by="domain", since=since) == [("example.org", 1)]


def test_a_copy_is_not_sent_for_an_erased_signature(app, smtp):
    petition = make_petition()
    sign(petition, email="ada@example.org")
    signature_id = db.session.scalars(select(Signature.id)).one()
    erase_address("ada@example.org", channel="test", actor="t")
    assert send_data_copy(signature_id) is None
