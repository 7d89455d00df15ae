"""Consent records, per-organisation exports, erasure, retention, self-service, minimisation."""

import csv
import hashlib
import io
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import inspect, select, text

from tests.conftest import free_port
from tests.factories import make_partner, make_petition, sign
from tests.helpers import form_token, valid_fields
from widget.campaign.consent import statements_for
from widget.campaign.partners import set_partner_webhook
from widget.campaign.petitions import (
    add_organisation,
    close_petition,
    set_petition_text,
    update_petition,
)
from widget.core import addresses
from widget.core.addresses import hash_ip
from widget.core.extensions import db
from widget.core.models import (
    AuditEntry,
    ConsentRecord,
    ConsentText,
    Delivery,
    ErasureLog,
    ErasureNotice,
    OutboxMessage,
    OutboxStatus,
    Signature,
    SignatureState,
    utcnow,
)
from widget.core.spreadsheets import spreadsheet_safe
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.ops.gunicorn import redact_path
from widget.ops.worker import run_worker_once
from widget.outbox.webhooks import sign as sign_body
from widget.outbox.webhooks import verify_signature
from widget.signers.access import send_data_copy
from widget.signers.confirmation import confirm_signature
from widget.signers.erasure import apply_retention, erase_address, erase_signatures
from widget.signers.exports import acknowledge_erasures, export_rows, pending_erasures

LINK = re.compile(r"https?://\S+/s/([\w-]+)/(confirm|withdraw|data)")


def confirm_all(smtp) -> None:
    run_worker_once()
    for mail in smtp.messages:
        for token, kind in LINK.findall(mail.get_content()):
            if kind == "confirm":
                confirm_signature(token)


def consent_rows(email: str) -> list[tuple[str, int, str]]:
    signature = db.session.scalars(select(Signature).where(Signature.email == email)).one()
    return list(
        db.session.execute(
            select(ConsentRecord.recipient, ConsentText.version, ConsentText.text)
            .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
            .where(ConsentRecord.signature_id == signature.id)
            .order_by(ConsentRecord.recipient)
        )
    )


# --- consent records -------------------------------------------------------------------


def test_each_signature_records_the_versions_it_agreed_to(app):
    petition = make_petition()
    partner = make_partner()
    set_petition_text(petition.slug, "en", supported_locales=["en"], consent_statement="Old words.")
    sign(petition, partner, email="first@example.org", partner_opt_in=True)
    set_petition_text(petition.slug, "en", supported_locales=["en"], consent_statement="New words.")
    sign(petition, partner, email="second@example.org")

    first = consent_rows("first@example.org")
    assert first == [
        ("", 1, "Old words."),
        (
            f"partner:{partner.id}",
            1,
            "Yes, Friends of Bees may email me about this and related campaigns.",
        ),
    ]
    # Editing the text made a new version; the old signature still points at what it saw.
    assert consent_rows("second@example.org") == [("", 2, "New words.")]
    for version in db.session.scalars(select(ConsentText)):
        assert version.text_hash == hashlib.sha256(version.text.encode()).hexdigest()


def test_a_consent_in_another_language_is_its_own_version(app):
    petition = make_petition(texts={"de": {"title": "Bienen", "consent_statement": "Ja."}})
    sign(petition, email="de@example.org", locale="de")
    sign(petition, email="en@example.org", locale="en")
    texts = {row.locale: row.text for row in db.session.scalars(select(ConsentText))}
    assert texts["de"] == "Ja."
    assert texts["en"].startswith("I agree that Bee Alliance stores")


def test_named_organisations_get_their_own_opt_in(app, client):
    petition = make_petition()
    organisation = add_organisation(petition.slug, "parents", name="Parents United")
    statements = statements_for(petition, None, "en")
    assert [s.purpose for s in statements] == ["consent", "lead", "organisation"]
    html = client.get("/p/save-the-bees").get_data(as_text=True)
    assert "Yes, Parents United may email me" in html
    sign(petition, email="p@example.org", organisation_opt_ins=frozenset({organisation.id}))
    assert [r[0] for r in consent_rows("p@example.org")] == ["", f"organisation:{organisation.id}"]


def test_a_reworded_form_asks_to_sign_again(app, client):
    make_petition()
    make_partner()
    url = "/embed/save-the-bees?partner=friends-of-bees"
    token = form_token(client.get(url).get_data(as_text=True))
    set_petition_text(
        "save-the-bees", "en", supported_locales=["en"], consent_statement="Reworded."
    )
    response = client.post(url, data={"token": token, **valid_fields()})
    assert response.status_code == 422
    assert "has just been updated" in response.get_data(as_text=True)
    assert "Reworded." in response.get_data(as_text=True)


# --- per-organisation exports ----------------------------------------------------------


def test_partner_export_holds_only_its_confirmed_opted_in_signers(app, smtp):
    petition = make_petition()
    friends, others = make_partner(), make_partner("others", origins=["https://o.example"])
    sign(petition, friends, email="yes@example.org", partner_opt_in=True, first_name="=cmd|x")
    sign(petition, friends, email="no@example.org", partner_opt_in=False, lead_opt_in=True)
    sign(petition, others, email="other@example.org", partner_opt_in=True)
    confirm_all(smtp)
    sign(petition, friends, email="unconfirmed@example.org", partner_opt_in=True)

    rows = list(
        csv.DictReader(
            io.StringIO("".join(export_rows("save-the-bees", "partner:friends-of-bees")))
        )
    )
    assert [r["email"] for r in rows] == ["yes@example.org"]
    assert rows[0]["first_name"] == "'=cmd|x"  # a spreadsheet shows it, never runs it
    assert rows[0]["action"] == "add" and rows[0]["consent_version"] == "1"
    lead = list(csv.DictReader(io.StringIO("".join(export_rows("save-the-bees", "lead")))))
    assert [r["email"] for r in lead] == ["no@example.org"]
    # The export is remembered: an erasure will reach this partner.
    assert sorted(db.session.scalars(select(Delivery.recipient))) == sorted(
        [f"partner:{friends.id}", "lead"]
    )


def test_export_lists_erasures_until_the_recipient_acknowledges_them(app, smtp):
    petition = make_petition()
    friends = make_partner()
    sign(petition, friends, email="gone@example.org", partner_opt_in=True)
    confirm_all(smtp)
    "".join(export_rows("save-the-bees", "partner:friends-of-bees"))
    ref = db.session.scalars(select(Signature.public_ref)).one()
    erase_address("gone@example.org", channel="test", actor="t")

    def erase_lines():
        rows = csv.DictReader(
            io.StringIO("".join(export_rows("save-the-bees", "partner:friends-of-bees")))
        )
        return [(r["action"], r["ref"], r["email"]) for r in rows]

    assert erase_lines() == [("erase", ref, "")]
    # Downloading again (by anyone) uses nothing up: the line stays until acknowledged.
    assert erase_lines() == [("erase", ref, "")]
    (pending,) = pending_erasures(f"partner:{friends.id}")
    assert acknowledge_erasures("save-the-bees", "partner:friends-of-bees", up_to=pending.id,
                                actor="pat@friends.example") == 1  # fmt: skip
    assert erase_lines() == []


def test_spreadsheet_safe_cells():
    assert [spreadsheet_safe(v) for v in ("=1+1", "+x", "-x", "@x", "\tx", "Ada", None, 5)] == [
        "'=1+1",
        "'+x",
        "'-x",
        "'@x",
        "'\tx",
        "Ada",
        "",
        "5",
    ]


def test_cli_export(runner, app, smtp):
    petition = make_petition()
    make_partner()
    sign(petition, email="lead@example.org", lead_opt_in=True)
    confirm_all(smtp)
    result = runner.invoke(args=["privacy", "export", "save-the-bees", "--recipient", "lead"])
    assert result.exit_code == 0 and "lead@example.org" in result.output
    bad = runner.invoke(args=["privacy", "export", "save-the-bees", "--recipient", "nobody"])
    assert bad.exit_code == 1 and "no recipient" in bad.output


# --- erasure ---------------------------------------------------------------------------


def every_text_in_the_database() -> str:
    """All text of every row of every table, for searching."""
    found = []
    for table in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            found.extend(
                json.dumps(v, default=str) if isinstance(v, dict | list) else str(v) for v in row
            )
    return "\n".join(found)


def test_erasure_removes_every_trace_of_the_address(app, smtp):
    petition = make_petition(goal=10)
    friends = make_partner()
    app.config["DEVELOPMENT_WEBHOOKS"] = True  # a hook on this machine, never answering
    set_partner_webhook("friends-of-bees", "http://127.0.0.1:9/hook")
    sign(
        petition,
        friends,
        email="Erase.Me+tag@Example.org",
        first_name="Zebulon",
        last_name="Quixote",
        postcode="AB1 2CD",
        partner_opt_in=True,
        lead_opt_in=True,
        source_url="https://friends.example/page",
    )
    confirm_all(smtp)  # webhook queued (its server is down), email sent
    sign(petition, friends, email="erase.me@example.org")  # a duplicate notice
    send_data_copy(db.session.scalars(select(Signature.id)).one())
    "".join(export_rows("save-the-bees", "partner:friends-of-bees"))
    sign(petition, email="someone.else@example.org", first_name="Other")
    before = read_count(petition, fresh=True)
    haystack = every_text_in_the_database().lower()
    assert "erase.me" in haystack and "zebulon" in haystack  # the search works

    result = erase_address("ERASE.ME@example.org", channel="cli", actor="dpo")

    assert result.signatures == 1 and result.outbox_messages >= 3
    haystack = every_text_in_the_database().lower()
    for trace in ("erase.me", "zebulon", "quixote", "ab1 2cd", "friends.example/page"):
        assert trace not in haystack, trace
    assert "someone.else@example.org" in haystack  # others untouched
    # The count keeps an anonymous tally by default, and verifies.
    assert read_count(petition, fresh=True).count == before.count == 2
    assert verify_count(petition.id) == []
    # Only the partner received this signer (by export): only it hears of the erasure.
    log = db.session.scalars(select(ErasureLog)).one()
    assert (log.channel, log.actor, log.recipients_notified) == (
        "cli",
        "dpo",
        [f"partner:{friends.id}"],
    )
    assert db.session.scalars(select(ErasureNotice.recipient)).all() == [f"partner:{friends.id}"]
    erasure_hooks = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "erasure")
    ).all()
    assert len(erasure_hooks) == 1 and erasure_hooks[0].payload["body"]["event"] == "erasure"


def test_erasure_can_leave_the_count(app):
    app.config["ERASURE_KEEPS_COUNT"] = False
    petition = make_petition()
    sign(petition, email="gone@example.org")
    erase_address("gone@example.org", channel="cli", actor="dpo")
    assert read_count(petition, fresh=True).count == 0
    assert verify_count(petition.id) == []


def test_erased_address_may_sign_again(app):
    petition = make_petition()
    sign(petition, email="back@example.org")
    erase_address("back@example.org", channel="cli", actor="dpo")
    assert sign(petition, email="back@example.org").name == "SIGNED"


def test_cli_erase_with_dry_run(runner, app):
    petition = make_petition()
    sign(petition, email="cli@example.org")
    dry = runner.invoke(args=["privacy", "erase", "cli@example.org", "--dry-run"])
    assert "would erase 1 signature(s)" in dry.output
    assert db.session.scalars(select(Signature.email)).one() == "cli@example.org"
    real = runner.invoke(args=["privacy", "erase", "cli@example.org", "--by", "dpo"])
    assert "erased 1 signature(s)" in real.output
    db.session.expire_all()
    assert db.session.scalars(select(Signature.state)).one() == SignatureState.ERASED


# --- retention -------------------------------------------------------------------------


def test_retention_anonymises_after_the_period_and_keeps_counts_exact(app):
    petition = make_petition()
    friends = make_partner()
    for i, country in enumerate(["DE", "DE", "FR"]):
        sign(petition, friends if i else None, email=f"r{i}@example.org", country=country)
    still_open = make_petition("still-open")
    sign(still_open, email="open@example.org")
    close_petition(petition.slug)
    before = read_count(petition, fresh=True)
    assert apply_retention().signatures == 0  # not yet: the period has not passed

    later = utcnow() + timedelta(days=app.config["RETENTION_DAYS"] + 1)
    dry = apply_retention(dry_run=True, now=later)
    assert (dry.petitions, dry.signatures) == (["save-the-bees"], 3)
    assert db.session.scalar(select(Signature.email).where(Signature.id == 1)) == "r0@example.org"
    apply_retention(now=later)

    after = read_count(petition, fresh=True)
    assert (after.count, after.partners, after.countries) == (
        before.count,
        before.partners,
        before.countries,
    )
    assert verify_count(petition.id) == []
    emails = set(db.session.scalars(select(Signature.email)))
    assert emails == {"", "open@example.org"}


def test_retention_period_per_petition(app, runner):
    petition = make_petition()
    sign(petition)
    update_petition(petition.slug, retention_days=0)
    close_petition(petition.slug)
    result = runner.invoke(args=["privacy", "retention"])
    assert "anonymised 1 signature(s) of: save-the-bees" in result.output


# --- self-service ----------------------------------------------------------------------


def test_every_email_links_to_withdrawal_erasure_and_a_data_copy(app, smtp):
    petition = make_petition()
    sign(petition, email="self@example.org")
    sign(petition, email="self@example.org")  # and the duplicate notice
    run_worker_once()
    for mail in smtp.messages:
        kinds = {kind for _, kind in LINK.findall(mail.get_content())}
        assert {"withdraw", "data"} <= kinds, mail["Subject"]
        assert "/p/save-the-bees/privacy" in mail.get_content()


def test_data_copy_link_mails_the_data_to_the_address_on_record(app, client, smtp):
    petition = make_petition()
    partner = make_partner()
    sign(
        petition,
        partner,
        email="me@example.org",
        first_name="Ada",
        postcode="10115",
        partner_opt_in=True,
    )
    run_worker_once()
    token = dict((k, t) for t, k in LINK.findall(smtp.messages[0].get_content()))["data"]
    page = client.get(f"/s/{token}/data")
    assert "Email me a copy of my data" in page.get_data(as_text=True)
    assert len(smtp.messages) == 1  # GET sends nothing (mail scanners)
    assert "is on its way" in client.post(f"/s/{token}/data").get_data(as_text=True)
    client.post(f"/s/{token}/data")  # at most one copy a day
    run_worker_once()
    copies = [m for m in smtp.messages if m["Subject"].startswith("The data we hold")]
    assert len(copies) == 1 and copies[0]["To"] == "me@example.org"
    body = copies[0].get_content()
    for held in (
        "Ada",
        "me@example.org",
        "Postcode: 10115",
        "Country: Germany",  # a name the signer reads, not a code
        "State of the signature: counted",
        "Organisation on whose website you signed: Friends of Bees",
        "Yes, Friends of Bees may email me",
    ):
        assert held in body
    assert "(optional)" not in body


def test_access_request_on_the_privacy_page_reveals_nothing(app, client, smtp):
    petition = make_petition()
    sign(petition, email="signed@example.org")
    run_worker_once()
    smtp.messages.clear()
    answers = [
        client.post("/p/save-the-bees/privacy", data={"email": address}).get_data(as_text=True)
        for address in ("signed@example.org", "never@example.org", "not an address")
    ]
    notice = "If this address signed the petition, a copy of its data is on its way to it."
    assert all(notice in answer for answer in answers)
    run_worker_once()
    assert [m["To"] for m in smtp.messages] == ["signed@example.org"]


def test_privacy_page_names_controller_recipients_retention_and_rights(app, client):
    petition = make_petition()
    make_partner()
    update_petition(
        petition.slug,
        controller="Bee Alliance, 1 Hive Street, Brussels",
        privacy_contact="dpo@bees.example",
        retention_days=90,
    )
    add_organisation(petition.slug, "parents", name="Parents United")
    html = client.get("/p/save-the-bees/privacy").get_data(as_text=True)
    for expected in (
        "Bee Alliance, 1 Hive Street, Brussels",
        "dpo@bees.example",
        "Parents United",
        "Friends of Bees",
        "deleted 90 days after",
        "sets no cookies",
    ):
        assert expected in html, expected
    form = client.get("/embed/save-the-bees").get_data(as_text=True)
    assert 'href="/p/save-the-bees/privacy?lang=en"' in form


# --- partner webhooks ------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver(app):
    """A partner's webhook on this machine, over plain http: allowed for this test only
    (DEVELOPMENT_WEBHOOKS); production refuses both."""
    app.config["DEVELOPMENT_WEBHOOKS"] = True
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Receiver.received
    server.shutdown()
    server.server_close()


def test_webhooks_deliver_signed_opted_in_signers_and_erasures(app, smtp, webhook_receiver):
    url, received = webhook_receiver
    petition = make_petition()
    friends = make_partner()
    _, secret = set_partner_webhook("friends-of-bees", url)
    sign(petition, friends, email="hook@example.org", partner_opt_in=True)
    sign(petition, friends, email="quiet@example.org", partner_opt_in=False)
    confirm_all(smtp)
    run_worker_once()
    assert len(received) == 1
    headers, body = received[0]
    assert verify_signature(
        secret, headers["X-Petition-Timestamp"], body, headers["X-Petition-Signature"]
    )
    assert not verify_signature(
        secret, headers["X-Petition-Timestamp"], body + b" ", headers["X-Petition-Signature"]
    )
    assert not verify_signature(
        "wrong", headers["X-Petition-Timestamp"], body, headers["X-Petition-Signature"]
    )
    payload = json.loads(body)
    assert payload["event"] == "signature" and payload["signer"]["email"] == "hook@example.org"
    assert payload["consents"][0]["sha256"]
    # The delivery log keeps what was sent where, without the signer's data.
    logged = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook")
    ).one()
    assert logged.status == OutboxStatus.SENT and "signer" not in json.dumps(logged.payload)
    erase_address("hook@example.org", channel="cli", actor="dpo")
    run_worker_once()
    assert json.loads(received[1][1]) == {"event": "erasure", "ref": payload["ref"]}


def test_webhook_signature_is_hmac_of_timestamp_and_body():
    expected = "sha256=" + __import__("hmac").new(b"k", b"123.{}", hashlib.sha256).hexdigest()
    assert sign_body("k", "123", b"{}") == expected


# --- minimisation ----------------------------------------------------------------------


def test_ip_hash_key_rotates(app, monkeypatch):
    first = hash_ip("203.0.113.9")
    assert first == hash_ip("203.0.113.9")
    real = addresses.time.time
    monkeypatch.setattr(addresses.time, "time", lambda: real() + 25 * 3600)
    assert hash_ip("203.0.113.9") != first


def test_access_log_keeps_no_tokens_queries_or_addresses():
    assert redact_path("/s/secret-token-123/confirm") == "/s/…/confirm"
    assert redact_path("/dashboard/invite/secret-token") == "/dashboard/invite/…"
    assert redact_path("/dashboard/reset/secret-token") == "/dashboard/reset/…"
    assert redact_path("/embed/x?partner=a&ref=https%3A%2F%2Fp.example%2F%3Ftoken%3Dz") == (
        "/embed/x"
    )


def test_logs_hold_no_email_addresses(app, caplog, smtp):
    app.config.update(SMTP_PORT=free_port(), SMTP_TIMEOUT=1)  # a failing send is logged
    petition = make_petition()
    with caplog.at_level("DEBUG"):
        sign(petition, email="private@example.org")
        run_worker_once()
    assert caplog.records and "private@example.org" not in caplog.text


def test_an_erasure_preview_changes_nothing_and_the_erasure_is_logged_by_reference(app, smtp):
    petition = make_petition()
    friends = make_partner()
    sign(petition, friends, email="gone@example.org", partner_opt_in=True)
    confirm_all(smtp)  # the confirmation email is sent
    "".join(export_rows("save-the-bees", "partner:friends-of-bees"))
    sign(petition, friends, email="gone@example.org")  # a duplicate notice, not sent yet
    sign(petition, email="other@example.org")  # someone else's email, not sent yet
    ref = db.session.scalar(
        select(Signature.public_ref).where(Signature.email == "gone@example.org")
    )

    preview = erase_address("gone@example.org", channel="cli", actor="dpo", dry_run=True)
    assert (preview.dry_run, preview.signatures, preview.outbox_messages) == (True, 1, 1)
    assert preview.recipients_notified == [f"partner:{friends.id}"]
    assert preview.recipient_names == ["Friends of Bees"]
    assert db.session.scalar(select(Signature.email).where(Signature.public_ref == ref))
    assert db.session.scalars(select(ErasureLog)).all() == []

    result = erase_address("gone@example.org", channel="cli", actor="dpo")
    assert (result.dry_run, result.signatures) == (False, 1)
    assert result.recipients_notified == [f"partner:{friends.id}"]
    assert result.recipient_names == ["Friends of Bees"]
    log = db.session.scalars(select(ErasureLog)).one()
    assert (log.signature_refs, log.outbox_messages_deleted) == ([ref], result.outbox_messages)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
    assert (entry.actor, entry.subject, entry.details) == (
        "dpo",
        "signatures:1",
        {"channel": "cli", "refs": [ref]},
    )


def test_erasing_an_erased_signature_again_changes_and_logs_nothing(app):
    petition = make_petition()
    sign(petition, email="gone@example.org")
    signature_id = db.session.scalars(select(Signature.id)).one()
    assert erase_signatures([signature_id], channel="dashboard", actor="op").signatures == 1
    again = erase_signatures([signature_id], channel="dashboard", actor="op")
    assert (again.signatures, again.outbox_messages) == (0, 0)
    assert len(db.session.scalars(select(ErasureLog)).all()) == 1


def test_erasure_for_one_petition_leaves_the_signers_other_petitions(app):
    bees, wasps = make_petition("bees"), make_petition("wasps")
    sign(bees, email="ada@example.org")
    sign(wasps, email="ada@example.org")
    erase_address("ada@example.org", channel="cli", actor="dpo", petition_id=bees.id)
    emails = dict(db.session.execute(select(Signature.petition_id, Signature.email)).all())
    assert emails == {bees.id: "", wasps.id: "ada@example.org"}


def test_an_erasure_that_leaves_the_count_shows_in_the_cached_count_at_once(app):
    app.config.update(ERASURE_KEEPS_COUNT=False, COUNT_CACHE_SECONDS=60)
    petition = make_petition()
    sign(petition, email="gone@example.org")
    sign(petition, email="stays@example.org")
    assert read_count(petition).count == 2  # and cached for a minute
    erase_address("gone@example.org", channel="cli", actor="dpo")
    assert read_count(petition).count == 1


def test_retention_keeps_the_count_even_where_erasure_on_request_leaves_it(app):
    app.config["ERASURE_KEEPS_COUNT"] = False
    petition = make_petition()
    sign(petition, email="r1@example.org")
    sign(petition, email="r2@example.org")
    close_petition(petition.slug)
    apply_retention(now=utcnow() + timedelta(days=app.config["RETENTION_DAYS"] + 1))
    assert read_count(petition, fresh=True).count == 2
    assert verify_count(petition.id) == []


def test_retention_finds_every_due_petition_once(app):
    still_open = make_petition("still-open")  # looked at first, and not due
    sign(still_open, email="open@example.org")
    ending = make_petition("ending")
    sign(ending, email="ending@example.org")
    ending.closes_at = utcnow() + timedelta(days=1)
    db.session.commit()
    closed = make_petition("closed")
    sign(closed, email="closed@example.org")
    close_petition(closed.slug)
    later = utcnow() + timedelta(days=app.config["RETENTION_DAYS"] + 2)

    dry = apply_retention(dry_run=True, now=later)
    assert (dry.petitions, dry.signatures, dry.dry_run) == (["ending", "closed"], 2, True)
    done = apply_retention(now=later)
    assert (done.petitions, done.signatures, done.dry_run) == (["ending", "closed"], 2, False)
    erased = db.session.execute(
        select(Signature.petition_id, Signature.email, Signature.erased_at)
    ).all()
    assert sorted(erased) == sorted(
        [(still_open.id, "open@example.org", None), (ending.id, "", later), (closed.id, "", later)]
    )
    log = db.session.scalars(select(ErasureLog)).one()
    assert (log.channel, log.actor, log.created_at) == ("retention", "retention", later)
    again = apply_retention(now=later)
    assert (again.petitions, again.signatures) == ([], 0)
