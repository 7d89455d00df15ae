"""Data protection use cases: erasure, retention, a copy of one's data.

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

from . import audit
from .counting import forget_cached_counts
from .email_address import canonicalize_email
from .extensions import db
from .lifecycle import end_signatures
from .mail import email_signer_at_most_every
from .models import (
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
from .privacy_data import recipient_names
from .webhooks import enqueue_erasure_webhooks

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
    return RetentionResult(due, len(ids), dry_run)


DATA_COPY_INTERVAL = timedelta(days=1)
ERASURE_LINK_INTERVAL = timedelta(hours=1)


def send_data_copy(signature_id: int, *, now: datetime | None = None) -> datetime | None:
    """Email the signer a copy of the data held about them, to the address on record only,
    at most once a day (a stranger who knows the address cannot flood its owner).

    A request within the day is kept for when the day is over, never dropped: the page
    that took it said a copy is coming. Returns when it goes out (None: nothing to send).
    """
    return email_signer_at_most_every(
        "data_copy",
        DATA_COPY_INTERVAL,
        Signature.data_copy_sent_at,
        [Signature.id == signature_id, Signature.erased_at.is_(None)],
        now=now or utcnow(),
        defer=True,
    )


def request_data_copy(email: str, petition_id: int, *, now: datetime | None = None) -> None:
    """An access request made with an address: the copy goes to that address, if it signed.

    The answer on the page is the same either way, so it reveals nothing about who signed.
    """
    for signature_id in signatures_of_address(email, petition_id):
        send_data_copy(signature_id, now=now)


def request_erasure_link(email: str, petition_id: int, *, now: datetime | None = None) -> None:
    """An erasure request made with an address: that address gets a link that withdraws
    the signature and erases its data (the owner of the inbox decides, not whoever typed
    the address). At most one such email an hour, kept for later like a data copy."""
    for signature_id in signatures_of_address(email, petition_id):
        email_signer_at_most_every(
            "erasure_link",
            ERASURE_LINK_INTERVAL,
            Signature.erasure_link_sent_at,
            [Signature.id == signature_id, Signature.erased_at.is_(None)],
            now=now or utcnow(),
            defer=True,
        )
