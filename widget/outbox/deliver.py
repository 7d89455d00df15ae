"""Delivering the outbox: the worker claims due messages (emails, webhooks) with a lease,
sends each, and records what happened to each one.

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
from http.client import InvalidURL

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from widget.core.email_address import without_addresses
from widget.core.extensions import db
from widget.core.models import OutboxMessage, OutboxStatus, utcnow
from widget.outbox.compose import NothingToSend, render_email
from widget.outbox.safe_http import WebhookRefused
from widget.outbox.webhooks import post_webhook

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


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

    def reset(self) -> None:
        """Forget a connection that failed; the next email opens a new one."""
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

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
    """Send one message and record what happened to it. Whatever goes wrong is recorded
    against this message alone, so one bad message never stops the rest of the batch: a
    message that cannot be composed (a header with a line break, a template error) or is
    refused for good fails at once; anything that may pass (a network error, a database
    blip, an unknown error) is retried with a growing wait."""
    message = db.session.get(OutboxMessage, message_id)
    channel, kind = message.channel, message.kind
    try:
        email = None if channel == "webhook" else render_email(message)
    except SQLAlchemyError as exc:
        _record_failure(message_id, exc, now, report, permanent=False)
        return
    except Exception as exc:  # composing is deterministic: retrying cannot help
        _record_failure(message_id, exc, now, report, permanent=True)
        return
    try:
        if email is None:
            post_webhook(message)
        else:
            smtp.send(email)
    except (NothingToSend, WebhookRefused, InvalidURL, ValueError) as exc:
        _record_failure(message_id, exc, now, report, permanent=True)
        return
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        _record_failure(message_id, exc, now, report, permanent=True)
        return
    except smtplib.SMTPResponseException as exc:
        _record_failure(message_id, exc, now, report, permanent=500 <= exc.smtp_code < 600)
        return
    except Exception as exc:  # the network, the server, anything else: try again later
        if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
            smtp.reset()  # the next email opens a fresh connection
        _record_failure(message_id, exc, now, report, permanent=False)
        return
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.attempts += 1
    message.locked_until = None
    message.payload = _without_personal_data(message)
    db.session.commit()
    report.sent += 1
    log.info("outbox %s: %s %s sent", message_id, channel, kind)


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
    message.last_error = without_addresses(f"{type(error).__name__}: {error}")[:500]
    if permanent or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.FAILED
        message.payload = _without_personal_data(message)
        report.failed += 1
        outcome = "failed for good"
    else:
        wait = min(timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
        message.next_attempt_at = now + wait * random.uniform(0.8, 1.2)
        report.retrying += 1
        outcome = "will be retried"
    report.errors.append(message.last_error)
    # The error text can quote the address: logs get the kind of failure only.
    log.warning(
        "outbox %s: %s %s %s after attempt %s (%s)",
        message_id, message.channel, message.kind, outcome, message.attempts,
        type(error).__name__,
    )  # fmt: skip
    db.session.commit()
