"""Queueing messages in the outbox: each is written in the caller's transaction, for the
worker to deliver (outbox.deliver; emails are composed when sent, by outbox.compose)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from widget.core.extensions import db
from widget.core.models import OutboxMessage, OutboxStatus, Signature
from widget.core.tokens import issue_token

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


# What compose.SUBJECTS and the mail templates cover.
EMAIL_KINDS = frozenset(
    {"confirm", "reminder", "duplicate", "data_copy", "erasure_link", "invite", "password_reset"}
)


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
    if kind not in EMAIL_KINDS:
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
