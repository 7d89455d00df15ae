"""The outbox table's one write on the hot path: a message queued in the caller's
transaction, for the worker to deliver (emails: mail.py; partner webhooks: webhooks.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from .models import OutboxMessage, OutboxStatus

INSERT_MESSAGE = insert(OutboxMessage.__table__)


def message_row(
    *,
    channel: str,
    kind: str,
    recipient: str,
    now: datetime,
    locale: str = "",
    payload: dict | None = None,
    signature_id: int | None = None,
    not_before: datetime | None = None,
) -> dict:
    return {
        "channel": channel,
        "kind": kind,
        "recipient": recipient,
        "locale": locale,
        "payload": payload or {},
        "signature_id": signature_id,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


def enqueue_message(connection: Connection, **message) -> None:
    """Queue a message (see message_row) in the caller's transaction."""
    connection.execute(INSERT_MESSAGE, message_row(**message))
