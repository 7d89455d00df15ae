"""Outbox: emails are written in the caller's transaction and sent later by the worker.

Signing never waits on SMTP, and an SMTP outage delays mail without losing any: the
row stays pending and is retried with a growing wait. Workers claim rows with a lease
(FOR UPDATE SKIP LOCKED on PostgreSQL), so several can run without sending twice.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from .countries import country_name
from .extensions import db
from .locale_data import locale_for
from .models import OutboxMessage, OutboxStatus, Petition, Signature, SignatureState, utcnow
from .outbox import INSERT_MESSAGE, message_row
from .privacy_data import data_held
from .tokens import issue_token
from .webhooks import WebhookRefused, post_webhook

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)

SUBJECTS = {
    "confirm": _l("Please confirm your signature: %(title)s"),
    "reminder": _l("Reminder: please confirm your signature: %(title)s"),
    "duplicate": _l("You have already signed: %(title)s"),
    "data_copy": _l("The data we hold about you: %(title)s"),
    "erasure_link": _l("Withdraw your signature and erase your data: %(title)s"),
    "invite": _l("You are invited to the petition dashboard"),
    "password_reset": _l("Choose a new password for the petition dashboard"),
}
SIGNER_KINDS = frozenset({"confirm", "reminder", "duplicate", "data_copy", "erasure_link"})
# Mail that asks a signer to act on a signature: never sent once an operator has taken the
# signature out (fraud) or its data is erased. Mail the signer asked for still goes.
PROMPTS = frozenset({"confirm", "reminder", "duplicate"})
ENDED_BY_OTHERS = frozenset({SignatureState.INVALIDATED, SignatureState.ERASED})
# A reset link leads to a page that says it is a reset, not an invitation.
ACCOUNT_LINK_PATHS = {"invite": "invite", "password_reset": "reset"}
INVITATION_LINK_DAYS = 7
RESET_LINK_DAYS = 1


def email_message(
    *,
    kind: str,
    recipient: str,
    locale: str,
    now: datetime,
    payload: dict | None = None,
    signature_id: int | None = None,
    not_before: datetime | None = None,
) -> dict:
    """The outbox row of an email (see enqueue_email)."""
    if kind not in SUBJECTS:
        raise ValueError(f"unknown email kind {kind!r}")
    return message_row(
        channel="email",
        kind=kind,
        recipient=recipient,
        locale=locale,
        now=now,
        payload=payload,
        signature_id=signature_id,
        not_before=not_before,
    )


def enqueue_email(connection: Connection, **email) -> None:
    """Add an email (see email_message) to the outbox inside the caller's transaction."""
    connection.execute(INSERT_MESSAGE, email_message(**email))


def email_signer_at_most_every(
    kind: str,
    interval: timedelta,
    stamp,
    conditions: list,
    *,
    now: datetime,
    defer: bool = False,
) -> datetime | None:
    """Queue a ``kind`` email (with fresh links) to the signature ``conditions`` select,
    unless its ``stamp`` column says one went out within ``interval``. Returns when the
    email goes out, or None if none was queued.

    With ``defer`` a request within the interval is not dropped: one email is queued for
    the moment the interval ends (a request the signer was told is on its way must
    arrive), and further requests until then find that one waiting.

    Marking and queueing happen in one transaction, so racing requests queue one email.
    """
    session = db.session
    row = session.execute(
        update(Signature)
        .where(*conditions, (stamp.is_(None)) | (stamp < now - interval))
        .values({stamp.key: now})
        .returning(Signature.id, Signature.email, Signature.locale)
    ).first()
    send_at: datetime | None = now
    if row is None and defer:
        row, send_at = _defer(kind, interval, stamp, conditions)
    if row is not None:
        connection = session.connection()
        enqueue_email(
            connection,
            kind=kind,
            recipient=row.email,
            locale=row.locale,
            payload={"token": issue_token(connection, row.id, now)},
            signature_id=row.id,
            now=now,
            not_before=send_at,
        )
    elif not defer:
        send_at = None
    session.commit()
    return send_at


def _defer(kind: str, interval: timedelta, stamp, conditions: list):
    """The signature to email once ``interval`` has passed since its last ``kind`` email,
    and when; or (None, when the one already waiting goes out), or (None, None)."""
    session = db.session
    last = session.execute(
        select(Signature.id, Signature.email, Signature.locale, stamp.label("stamp")).where(
            *conditions
        )
    ).first()
    if last is None:
        return None, None
    waiting = session.scalar(
        select(OutboxMessage.next_attempt_at).where(
            OutboxMessage.signature_id == last.id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    if waiting is not None:
        return None, waiting
    send_at = last.stamp + interval
    # Conditional on the stamp read above: of two racing requests, one queues the email.
    moved = session.execute(
        update(Signature)
        .where(Signature.id == last.id, stamp == last.stamp)
        .values({stamp.key: send_at})
    ).rowcount
    return (last, send_at) if moved else (None, send_at)


class NothingToSend(Exception):
    """The email's subject is gone (signature withdrawn, erased): drop the email."""


def render_email(message: OutboxMessage) -> EmailMessage:
    """The email as the recipient will read it, in their language."""
    with force_locale(locale_for(message.locale or "en")):
        if message.kind in SIGNER_KINDS:
            subject, body = _signer_email(message)
        else:
            subject, body = _account_email(message)
    return _envelope(message, subject, body)


def _signer_email(message: OutboxMessage) -> tuple[str, str]:
    signature = db.session.get(Signature, message.signature_id) if message.signature_id else None
    if signature is None or signature.erased_at is not None:
        raise NothingToSend(f"outbox {message.id}: its signature is gone")
    if message.kind in PROMPTS and signature.state in ENDED_BY_OTHERS:
        raise NothingToSend(f"outbox {message.id}: its signature was {signature.state}")
    petition = db.session.get(Petition, signature.petition_id)
    config = current_app.config
    base = config["PUBLIC_URL"].rstrip("/")
    token = message.payload.get("token")
    text = petition.text_in(message.locale) or petition.text_in(petition.default_locale)
    values = {
        "signature": signature,
        "petition": petition,
        "title": text.title,
        "organiser": petition.lead_organisation,
        "confirm_url": f"{base}/s/{token}/confirm" if token else None,
        "withdraw_url": f"{base}/s/{token}/withdraw" if token else None,
        "data_url": f"{base}/s/{token}/data" if token else None,
        "privacy_url": f"{base}/p/{petition.slug}/privacy?lang={message.locale}",
        "held": data_held(signature) if message.kind == "data_copy" else None,
        "country": country_name(signature.country, message.locale or "en"),
        "petition_url": f"{base}/p/{petition.slug}?lang={message.locale}",
        "link_days": config["CONFIRM_LINK_DAYS"],
    }
    body = render_template(f"mail/{message.kind}.txt", **values)
    return str(SUBJECTS[message.kind]) % {"title": text.title}, body


def _account_email(message: OutboxMessage) -> tuple[str, str]:
    """Emails to dashboard users (invitations, password resets)."""
    token = message.payload.get("invite_token")
    if not token:
        raise NothingToSend(f"outbox {message.id}: the invitation link is gone")
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    body = render_template(
        f"mail/{message.kind}.txt",
        name=message.payload.get("name", ""),
        invited_by=message.payload.get("invited_by", ""),
        invite_url=f"{base}/dashboard/{ACCOUNT_LINK_PATHS[message.kind]}/{token}",
        days=INVITATION_LINK_DAYS if message.kind == "invite" else RESET_LINK_DAYS,
    )
    return str(SUBJECTS[message.kind]), body


def _envelope(message: OutboxMessage, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2].strip("> "))
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(body)
    # After set_content, which replaces every Content-* header.
    email["Content-Language"] = message.locale
    return email


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


def deliver_due_messages(*, batch: int = 50, now: datetime | None = None) -> DeliveryReport:
    """Claim up to ``batch`` due messages (emails, webhooks), deliver them, and record
    what happened to each."""
    now = now or utcnow()
    report = DeliveryReport()
    smtp = _LazySmtp()
    try:
        for message_id in _claim(batch, now):
            _deliver_one(smtp, message_id, now, report)
    finally:
        smtp.close()
    return report


class _LazySmtp:
    """One SMTP connection per batch, opened only if the batch has an email."""

    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.connection is None:
            self.connection = _connect()
        self.connection.send_message(email)

    def close(self) -> None:
        if self.connection is not None:
            # Every message's fate is recorded already; a failed goodbye changes nothing.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()


def _claim(batch: int, now: datetime) -> list[int]:
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(batch)
        # PostgreSQL: concurrent workers skip each other's rows; SQLite ignores this and
        # serialises the whole statement instead.
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(due.scalar_subquery()),
            (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now),
        )
        .values(locked_until=now + LEASE)
        .returning(OutboxMessage.id)
    )
    for attempt in range(5):
        try:
            ids = list(db.session.scalars(claim))
            db.session.commit()
            return sorted(ids)
        except OperationalError:
            # SQLite: another writer won the race for the lock; try again shortly.
            db.session.rollback()
            if attempt == 4:
                raise
    return []


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    security = config["SMTP_SECURITY"]
    if security == "ssl":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            connection.starttls(context=ssl.create_default_context())
    if config["SMTP_USERNAME"]:
        connection.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
    return connection


def _deliver_one(smtp: _LazySmtp, message_id: int, now: datetime, report: DeliveryReport) -> None:
    message = db.session.get(OutboxMessage, message_id)
    try:
        if message.channel == "webhook":
            post_webhook(message)
        else:
            smtp.send(render_email(message))
    except (NothingToSend, WebhookRefused) as exc:
        _record_failure(message_id, exc, now, report, permanent=True)
        return
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        _record_failure(message_id, exc, now, report, permanent=True)
        return
    except smtplib.SMTPResponseException as exc:
        _record_failure(message_id, exc, now, report, permanent=500 <= exc.smtp_code < 600)
        return
    except (OSError, smtplib.SMTPException) as exc:
        _record_failure(message_id, exc, now, report, permanent=False)
        return
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.attempts += 1
    message.locked_until = None
    message.payload = _without_personal_data(message)
    db.session.commit()
    report.sent += 1


def _without_personal_data(message: OutboxMessage) -> dict:
    """What stays in the delivery log once a message is out: no link token, no signer."""
    if message.channel == "webhook":
        body = message.payload.get("body", {})
        return {
            "partner_id": message.payload.get("partner_id"),
            "body": {"event": body.get("event"), "ref": body.get("ref")},
        }
    return {k: v for k, v in message.payload.items() if k not in ("token", "invite_token")}


def _record_failure(
    message_id: int, error: Exception, now: datetime, report: DeliveryReport, *, permanent: bool
) -> None:
    db.session.rollback()
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.locked_until = None
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if permanent or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.FAILED
        message.payload = _without_personal_data(message)
        report.failed += 1
    else:
        wait = min(timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
        message.next_attempt_at = now + wait * random.uniform(0.8, 1.2)
        report.retrying += 1
    report.errors.append(message.last_error)
    # The error text can quote the address: logs get the kind of failure only.
    log.warning("outbox %s: %s (attempt %s)", message_id, type(error).__name__, message.attempts)
    db.session.commit()
