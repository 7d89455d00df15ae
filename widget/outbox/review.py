"""The outbox as operators see it: what waits (and since when), what failed for good and
why, and sending failed messages again. Shows no personal data beyond the domain of a
recipient (an email's domain, a webhook's host)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, type_coerce

from widget.core import audit
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import (
    OutboxMessage,
    OutboxStatus,
    Petition,
    Signature,
    UTCDateTime,
    utcnow,
)
from widget.core.tokens import issue_token

FAILED_PAGE = 200


@dataclass(frozen=True)
class QueueLine:
    channel: str
    kind: str
    pending: int
    oldest_pending_at: datetime | None
    failed: int

    def oldest_age_seconds(self, now: datetime) -> float | None:
        if self.oldest_pending_at is None:
            return None
        return max((now - self.oldest_pending_at).total_seconds(), 0.0)


@dataclass(frozen=True)
class FailedMessage:
    id: int
    channel: str
    kind: str
    petition: str | None  # the petition's slug, for mail about a signature
    attempts: int
    last_error: str
    recipient_domain: str
    created_at: datetime


def queue_status() -> list[QueueLine]:
    """Pending and failed messages by channel and kind, with the oldest pending one's age."""
    oldest = type_coerce(func.min(OutboxMessage.created_at), UTCDateTime())
    rows = db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.status, func.count(),
               oldest)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.status)
    ).all()  # fmt: skip
    lines: dict[tuple[str, str], dict] = {}
    for channel, kind, status, n, first in rows:
        line = lines.setdefault((channel, kind), {"pending": 0, "oldest": None, "failed": 0})
        if status == OutboxStatus.PENDING:
            line["pending"], line["oldest"] = n, first
        else:
            line["failed"] = n
    return [
        QueueLine(channel, kind, v["pending"], v["oldest"], v["failed"])
        for (channel, kind), v in sorted(lines.items())
    ]


def failed_messages(limit: int = FAILED_PAGE) -> list[FailedMessage]:
    """The most recent messages that failed for good."""
    rows = db.session.execute(
        select(OutboxMessage, Petition.slug)
        .outerjoin(Signature, Signature.id == OutboxMessage.signature_id)
        .outerjoin(Petition, Petition.id == Signature.petition_id)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [
        FailedMessage(
            id=message.id,
            channel=message.channel,
            kind=message.kind,
            petition=slug,
            attempts=message.attempts,
            last_error=message.last_error or "",
            recipient_domain=recipient_domain(message.channel, message.recipient),
            created_at=message.created_at,
        )
        for message, slug in rows
    ]


def recipient_domain(channel: str, recipient: str) -> str:
    if channel == "webhook":
        return urlsplit(recipient).hostname or "?"
    return recipient.rpartition("@")[2] or "?"


def retry_messages(ids: list[int] | None = None, *, actor: str, all_failed: bool = False) -> int:
    """Send failed messages again (these ``ids``, or every failed one): they go back to the
    queue, due at once. An email about a signature gets fresh links (a failed message keeps
    none); an invitation or reset link is not remade here (invite again from Users).
    Returns how many were queued again."""
    if not all_failed and not ids:
        raise InvalidInput("say which messages to send again (ids, or all failed)")
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if not all_failed:
        query = query.where(OutboxMessage.id.in_(ids))
    now = utcnow()
    connection = db.session.connection()
    messages = list(db.session.scalars(query.order_by(OutboxMessage.id)))
    for message in messages:
        if message.channel == "email" and message.signature_id and "token" not in message.payload:
            token = issue_token(connection, message.signature_id, now)
            message.payload = {**message.payload, "token": token}
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = now
        message.locked_until = None
        message.last_error = None
    audit.record(actor, "outbox.retry", "outbox", count=len(messages),
                 ids="all failed" if all_failed else sorted(ids or []))  # fmt: skip
    db.session.commit()
    return len(messages)
