"""The signer's links: confirm a signature, withdraw it ("this wasn't me"), reminders."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .counting import add_to_tally, tally_key_for
from .extensions import db
from .mail import enqueue_email
from .models import (
    ACTIVE_STATES,
    CountingPolicy,
    Petition,
    Signature,
    SignatureState,
    utcnow,
)
from .tokens import find_token, issue_token

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
    if signature.state in (SignatureState.WITHDRAWN, SignatureState.INVALIDATED):
        return LinkTarget(LinkStatus.ENDED, signature, petition)
    if token.expires_at < now and not signature.confirmed_at:
        return LinkTarget(LinkStatus.EXPIRED, signature, petition)
    return LinkTarget(LinkStatus.VALID, signature, petition)


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
    session.commit()
    session.refresh(signature)
    return resolve_link(raw_token, now=now)


def withdraw_signature(raw_token: str, *, now: datetime | None = None) -> LinkTarget:
    """Take the signature out of the petition ("this wasn't me") and out of the count."""
    now = now or utcnow()
    target = resolve_link(raw_token, now=now)
    if target.status not in (LinkStatus.VALID, LinkStatus.EXPIRED):
        return target
    signature_id = target.signature.id
    end_signatures(
        select(Signature.id).where(Signature.id == signature_id),
        state=SignatureState.WITHDRAWN,
        now=now,
    )
    # The address owner said "not me": free the address, so they can sign themselves.
    db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id)
        .values(email_canonical=f"withdrawn:{signature_id}")
    )
    db.session.commit()
    db.session.refresh(target.signature)
    return resolve_link(raw_token, now=now)


def end_signatures(ids_query, *, state: SignatureState, now: datetime) -> int:
    """Withdraw or invalidate the signatures ``ids_query`` selects, keeping tallies exact.

    Each counted row is un-counted by the same statement that ends it, so a confirmation
    racing with this cannot be missed. The caller commits.
    """
    session = db.session
    ids = ids_query.scalar_subquery()
    ending = [*ACTIVE_STATES, SignatureState.HELD]
    uncounted = session.execute(
        update(Signature)
        .where(
            Signature.id.in_(ids), Signature.state.in_(ending), Signature.counted_at.is_not(None)
        )
        .values(state=state, ended_at=now, counted_at=None)
        .returning(Signature.petition_id, Signature.partner_id, Signature.country)
        .execution_options(synchronize_session=False)
    ).all()
    rest = session.execute(
        update(Signature)
        .where(Signature.id.in_(ids), Signature.state.in_(ending))
        .values(state=state, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    decrements: dict[tuple, int] = {}
    for petition_id, partner_id, country in uncounted:
        key = (petition_id, tally_key_for(partner_id, country))
        decrements[key] = decrements.get(key, 0) + 1
    for (petition_id, key), n in decrements.items():
        add_to_tally(session.connection(), petition_id=petition_id, key=key, delta=-n, now=now)
    return len(uncounted) + rest


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
