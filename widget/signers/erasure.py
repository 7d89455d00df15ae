"""Erasure and retention: removing a signer's personal data while the count stays exact.

Erasing a signature removes every piece of personal data the server holds about it:
names, the address (as typed and canonical), postcode, source page, IP hash, its links,
its emails (sent or not), its consent records and delivery records. What stays is an
anonymous row (petition, partner, country, times) so the count and its breakdowns stay
exact, unless ERASURE_KEEPS_COUNT is off, and a log entry that proves the erasure
happened, with no personal data in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from widget.campaign.recipients import recipient_names
from widget.core import audit
from widget.core.addresses import forget_past_keys
from widget.core.email_address import canonicalize_email
from widget.core.extensions import db
from widget.core.models import (
    ConsentRecord,
    Delivery,
    ErasureLog,
    ErasureNotice,
    OutboxMessage,
    OutboxStatus,
    Petition,
    Signature,
    SignatureState,
    SignatureToken,
    utcnow,
)
from widget.counting.endings import end_signatures
from widget.counting.public_count import forget_cached_counts
from widget.outbox.webhooks import enqueue_erasure_webhooks

ERASED_FIELDS = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "email_domain": "",
    "postcode": None,
    "source_url": None,
    "ip_hash": None,
}


@dataclass(frozen=True)
class ErasureResult:
    signatures: int
    outbox_messages: int  # emails and webhooks deleted (a preview: those not sent yet)
    recipients_notified: list[str]  # recipient keys, as the erasure log keeps them
    recipient_names: list[str] = field(default_factory=list)  # the same, for people
    dry_run: bool = False


def erase_signatures(
    ids: list[int],
    *,
    channel: str,
    actor: str,
    keep_count: bool | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ErasureResult:
    """Erase the personal data of these signatures (see the module docstring)."""
    now = now or utcnow()
    keep_count = current_app.config["ERASURE_KEEPS_COUNT"] if keep_count is None else keep_count
    session = db.session
    rows = session.execute(
        select(Signature.id, Signature.public_ref, Signature.petition_id).where(
            Signature.id.in_(ids), Signature.erased_at.is_(None)
        )
    ).all()
    ids = [row.id for row in rows]
    received = session.execute(
        select(Signature.petition_id, Delivery.recipient)
        .join(Signature, Signature.id == Delivery.signature_id)
        .where(Delivery.signature_id.in_(ids))
    ).all()
    recipients = sorted({row.recipient for row in received})
    names = sorted(
        set(recipient_names((row.petition_id, row.recipient) for row in received).values())
    )
    if dry_run or not ids:
        pending = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.signature_id.in_(ids),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
        return ErasureResult(len(ids), pending, recipients, names, dry_run=True)
    if not keep_count:
        end_signatures(
            select(Signature.id).where(Signature.id.in_(ids)), state=SignatureState.ERASED, now=now
        )
    # Recipients that received a signer hear of the erasure: webhook, or next export.
    notices = session.execute(
        select(Delivery.recipient, Signature.public_ref)
        .join(Signature, Signature.id == Delivery.signature_id)
        .where(Delivery.signature_id.in_(ids))
    ).all()
    for recipient, public_ref in notices:
        session.add(ErasureNotice(recipient=recipient, public_ref=public_ref, created_at=now))
    session.flush()
    enqueue_erasure_webhooks(session.connection(), notices, now=now)
    for model in (SignatureToken, ConsentRecord, Delivery):
        session.execute(delete(model).where(model.signature_id.in_(ids)))
    deleted_mail = session.execute(
        delete(OutboxMessage).where(OutboxMessage.signature_id.in_(ids))
    ).rowcount
    for row in rows:
        # The canonical address stays unique per petition: a placeholder frees the address.
        session.execute(
            update(Signature)
            .where(Signature.id == row.id)
            .values(
                **ERASED_FIELDS,
                email_canonical=f"erased:{row.id}",
                state=SignatureState.ERASED,
                erased_at=now,
            )
        )
    audit.record(actor, "privacy.erase", f"signatures:{len(rows)}", channel=channel,
                 refs=[row.public_ref for row in rows])  # fmt: skip
    session.add(
        ErasureLog(
            created_at=now,
            channel=channel,
            actor=actor,
            signature_refs=[row.public_ref for row in rows],
            outbox_messages_deleted=deleted_mail,
            recipients_notified=recipients,
        )
    )
    session.commit()
    slugs = session.scalars(
        select(Petition.slug).where(Petition.id.in_({row.petition_id for row in rows}))
    )
    forget_cached_counts(*slugs)
    return ErasureResult(len(ids), deleted_mail, recipients, names)


def signatures_of_address(email: str, petition_id: int | None = None) -> list[int]:
    """Every signature of the person behind this address (aliases folded)."""
    query = select(Signature.id).where(
        Signature.email_canonical == canonicalize_email(email), Signature.erased_at.is_(None)
    )
    if petition_id is not None:
        query = query.where(Signature.petition_id == petition_id)
    return list(db.session.scalars(query))


def erase_address(
    email: str, *, channel: str, actor: str, petition_id: int | None = None, dry_run: bool = False
) -> ErasureResult:
    """Erase everything held about the person behind this address."""
    return erase_signatures(
        signatures_of_address(email, petition_id), channel=channel, actor=actor, dry_run=dry_run
    )


@dataclass(frozen=True)
class RetentionResult:
    petitions: list[str]
    signatures: int
    dry_run: bool


def apply_retention(*, dry_run: bool = False, now: datetime | None = None) -> RetentionResult:
    """Anonymise the signers of every petition that ended more than its retention period
    ago (RETENTION_DAYS unless the petition sets its own). Counts stay exact."""
    now = now or utcnow()
    default_days = current_app.config["RETENTION_DAYS"]
    due, ids = [], []
    for petition in db.session.scalars(select(Petition).order_by(Petition.id)):
        ended = petition.ended_at(now)
        days = petition.retention_days if petition.retention_days is not None else default_days
        if ended is None or ended + timedelta(days=days) > now:
            continue
        found = list(
            db.session.scalars(
                select(Signature.id).where(
                    Signature.petition_id == petition.id, Signature.erased_at.is_(None)
                )
            )
        )
        if found:
            due.append(petition.slug)
            ids += found
    if ids and not dry_run:
        erase_signatures(ids, channel="retention", actor="retention", keep_count=True, now=now)
    if not dry_run:
        forget_past_keys()  # a quiet site may not have started a new period's key yet
    return RetentionResult(due, len(ids), dry_run)
