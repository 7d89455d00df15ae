"""The signer's links: confirm a signature, withdraw it ("this wasn't me"), reminders."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from widget.core.extensions import db
from widget.core.models import CountingPolicy, Petition, Signature, SignatureState, utcnow
from widget.core.tokens import find_token, issue_token
from widget.counting.endings import end_signatures
from widget.counting.tallies import add_to_tally, tally_key_for
from widget.outbox.queue import enqueue_email
from widget.outbox.webhooks import enqueue_signature_webhook
from widget.signers.erasure import erase_signatures

REMINDER_BATCH = 500


class LinkStatus(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ENDED = "ended"  # the signature was withdrawn or invalidated


@dataclass(frozen=True)
class LinkTarget:
    """What a signer's link points at, for the page that asks them to act."""

    status: LinkStatus
    signature: Signature | None = None
    petition: Petition | None = None
    locale: str | None = None  # the signer's language: the page speaks it

    @property
    def is_confirmed(self) -> bool:
        return bool(self.signature and self.signature.confirmed_at)


def resolve_link(raw_token: str, *, now: datetime | None = None) -> LinkTarget:
    """Look a link up without changing anything (GET shows a page with a button)."""
    now = now or utcnow()
    token = find_token(raw_token)
    if token is None:
        return LinkTarget(LinkStatus.UNKNOWN)
    signature = db.session.get(Signature, token.signature_id)
    petition = db.session.get(Petition, signature.petition_id)
    locale = signature.locale
    if signature.state in (SignatureState.WITHDRAWN, SignatureState.INVALIDATED):
        return LinkTarget(LinkStatus.ENDED, signature, petition, locale)
    if token.expires_at < now and not signature.confirmed_at:
        return LinkTarget(LinkStatus.EXPIRED, signature, petition, locale)
    return LinkTarget(LinkStatus.VALID, signature, petition, locale)


def confirm_signature(raw_token: str, *, now: datetime | None = None) -> LinkTarget:
    """Confirm the signature the link belongs to; count it if its petition waits for that.

    Safe to repeat and to race: the conditional update lets exactly one request count it.
    """
    now = now or utcnow()
    target = resolve_link(raw_token, now=now)
    if target.status is not LinkStatus.VALID or target.is_confirmed:
        return target
    signature, petition = target.signature, target.petition
    counts_now = (
        petition.counts_on == CountingPolicy.ON_CONFIRMATION
        and signature.state == SignatureState.SIGNED
    )
    session = db.session
    values = {"confirmed_at": now}
    if signature.state == SignatureState.SIGNED:
        values["state"] = SignatureState.CONFIRMED
    if counts_now:
        values["counted_at"] = now
    conditions = [
        Signature.id == signature.id,
        Signature.confirmed_at.is_(None),
        Signature.state == signature.state,
    ]
    if counts_now:
        conditions.append(Signature.counted_at.is_(None))
    changed = session.execute(update(Signature).where(*conditions).values(**values)).rowcount
    if changed and counts_now:
        key = tally_key_for(signature.partner_id, signature.country)
        add_to_tally(session.connection(), petition_id=petition.id, key=key, delta=1, now=now)
    if changed:
        # A confirmed opt-in is what a partner may receive.
        enqueue_signature_webhook(session.connection(), signature.id, now)
    session.commit()
    session.refresh(signature)
    return resolve_link(raw_token, now=now)


def withdraw_signature(raw_token: str, *, now: datetime | None = None) -> LinkTarget:
    """Take the signature out of the petition and the count ("this wasn't me", or "I no
    longer support this"), and erase the personal data it holds."""
    now = now or utcnow()
    target = resolve_link(raw_token, now=now)
    if target.status not in (LinkStatus.VALID, LinkStatus.EXPIRED):
        return target
    signature_id, petition, locale = target.signature.id, target.petition, target.locale
    end_signatures(
        select(Signature.id).where(Signature.id == signature_id),
        state=SignatureState.WITHDRAWN,
        now=now,
    )
    db.session.commit()
    # A withdrawn signature no longer counts, so its erasure leaves nothing in the count.
    erase_signatures([signature_id], channel="self-service", actor="signer", keep_count=False)
    return LinkTarget(LinkStatus.ENDED, None, petition, locale)


def queue_reminders(*, now: datetime | None = None) -> int:
    """Queue the one reminder each unconfirmed signer gets; return how many were queued."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=current_app.config["REMINDER_AFTER_HOURS"])
    session = db.session
    due = (
        select(Signature.id)
        .where(
            Signature.state.in_([SignatureState.SIGNED, SignatureState.HELD]),
            Signature.confirmed_at.is_(None),
            Signature.reminded_at.is_(None),
            Signature.created_at <= cutoff,
        )
        .order_by(Signature.id)
        .limit(REMINDER_BATCH)
    )
    # Marking and queueing in one statement per row: two workers never remind twice.
    rows = session.execute(
        update(Signature)
        .where(Signature.id.in_(due.scalar_subquery()), Signature.reminded_at.is_(None))
        .values(reminded_at=now)
        .returning(Signature.id, Signature.email, Signature.locale, Signature.petition_id)
        .execution_options(synchronize_session=False)
    ).all()
    queued = 0
    for row in rows:
        petition = session.get(Petition, row.petition_id)
        if not petition.is_accepting(now):
            continue
        enqueue_email(
            session.connection(),
            kind="reminder",
            recipient=row.email,
            locale=row.locale,
            payload={"token": issue_token(session.connection(), row.id, now)},
            signature_id=row.id,
            now=now,
        )
        queued += 1
    session.commit()
    return queued
