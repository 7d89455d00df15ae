"""The outbox and the worker, against a real SMTP server on 127.0.0.1."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.conftest import free_port
from tests.factories import make_partner, make_petition, sign
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import OutboxMessage, OutboxStatus, Signature, SignatureToken, utcnow
from widget.ops.worker import run_worker_once
from widget.outbox.compose import SUBJECTS
from widget.outbox.deliver import deliver_due_messages

LINK = re.compile(r"https?://\S+/s/([\w-]+)/(confirm|withdraw)")


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_signing_queues_the_confirmation_in_the_same_transaction(app):
    petition = make_petition()
    sign(petition, email="ada@example.org")
    (message,) = outbox()
    assert (message.kind, message.recipient, message.status) == (
        "confirm",
        "ada@example.org",
        OutboxStatus.PENDING,
    )
    signature = db.session.scalars(select(Signature)).one()
    assert message.signature_id == signature.id
    assert db.session.scalar(select(func.count()).select_from(SignatureToken)) == 1


def test_worker_sends_the_confirmation_with_scanner_safe_links(app, smtp):
    petition = make_petition(title="Save the bees", lead_organisation="Bee Alliance")
    sign(petition, first_name="Ada", email="Ada.Love@example.org")
    report = run_worker_once()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    (mail,) = smtp.messages
    assert mail["To"] == "Ada.Love@example.org"
    assert mail["Subject"] == "Please confirm your signature: Save the bees"
    assert mail["From"] == app.config["MAIL_FROM"]
    body = mail.get_content()
    assert "Hello Ada," in body and "Bee Alliance" in body
    links = dict((kind, token) for token, kind in LINK.findall(body))
    assert set(links) == {"confirm", "withdraw"}
    # Only the hash is stored, and the raw token leaves the outbox once sent.
    (message,) = outbox()
    assert message.status == OutboxStatus.SENT and "token" not in message.payload
    stored = db.session.scalars(select(SignatureToken.token_hash)).all()
    assert links["confirm"] not in stored


def test_nothing_is_sent_twice(app, smtp):
    petition = make_petition()
    sign(petition)
    run_worker_once()
    run_worker_once()
    assert len(smtp.messages) == 1


def test_smtp_down_delays_mail_but_loses_nothing(app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2)
    petition = make_petition()
    sign(petition, email="ada@example.org")
    report = deliver_due_messages()
    assert (report.sent, report.retrying) == (0, 1)
    (message,) = outbox()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at > utcnow()
    assert "ConnectionRefusedError" in message.last_error
    # Signing goes on while the mail server is away.
    sign(petition, email="bob@example.org")
    assert len(outbox()) == 2


def test_mail_goes_out_when_smtp_comes_back(app, smtp):
    real_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()
    petition = make_petition()
    sign(petition, email="ada@example.org")
    assert deliver_due_messages().retrying == 1
    app.config["SMTP_PORT"] = real_port
    assert deliver_due_messages().claimed == 0  # not due yet: it waits its turn
    later = utcnow() + timedelta(minutes=5)
    assert deliver_due_messages(now=later).sent == 1
    assert [m["To"] for m in smtp.messages] == ["ada@example.org"]


def test_a_refused_recipient_fails_at_once(app, smtp):
    smtp.refused.add("nobody@example.org")
    petition = make_petition()
    sign(petition, email="nobody@example.org")
    report = deliver_due_messages()
    assert report.failed == 1
    (message,) = outbox()
    assert message.status == OutboxStatus.FAILED and "token" not in message.payload


def test_gives_up_after_max_attempts(app):
    app.config.update(SMTP_PORT=free_port(), SMTP_TIMEOUT=2, MAIL_MAX_ATTEMPTS=3)
    petition = make_petition()
    sign(petition)
    when = utcnow()
    for _ in range(3):
        deliver_due_messages(now=when)
        when += timedelta(hours=7)
    (message,) = outbox()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)


@pytest.mark.parametrize("workers", [4])
def test_concurrent_workers_send_each_mail_exactly_once(app, smtp, workers):
    petition = make_petition()
    partner = make_partner()
    emails = [f"person{i}@example.org" for i in range(40)]
    for address in emails:
        sign(petition, partner, email=address)
    db.session.remove()

    def work(_):
        with app.app_context():
            sent = 0
            while True:
                report = deliver_due_messages(batch=3)
                sent += report.sent
                if report.claimed == 0:
                    db.session.remove()
                    return sent

    with ThreadPoolExecutor(workers) as pool:
        sent_per_worker = list(pool.map(work, range(workers)))
    assert sum(sent_per_worker) == 40
    assert sorted(m["To"] for m in smtp.messages) == sorted(emails)
    assert all(m.status == OutboxStatus.SENT for m in outbox())


def test_confirmation_email_is_in_the_signers_language(app, smtp):
    make_petition(texts={"de": {"title": "Rettet die Bienen"}})
    sign(get_petition("save-the-bees"), locale="de", first_name="Ada")
    run_worker_once()
    (mail,) = smtp.messages
    with force_locale("de"):
        german = str(SUBJECTS["confirm"]) % {"title": "Rettet die Bienen"}
    assert german != "Please confirm your signature: Rettet die Bienen"
    assert mail["Subject"] == german
    assert mail["Content-Language"] == "de"
    assert "Ada" in mail.get_content()
