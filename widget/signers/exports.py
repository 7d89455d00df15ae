"""Exports for recipients: only the signers who opted in to that organisation.

Streamed row by row (a million signers never sit in memory), safe to open in a
spreadsheet (cells that would start a formula are quoted), and recorded: who received
whom, so an erasure later reaches them. Each export also lists the erasures the
recipient has not acknowledged yet (action "erase", with the signer's reference only):
downloading changes nothing; the recipient's own POST (acknowledge_erasures) does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import String, select, type_coerce, update
from sqlalchemy.exc import SQLAlchemyError

from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.campaign.recipients import Recipient, resolve_recipient
from widget.core import audit
from widget.core.extensions import db
from widget.core.models import (
    ConsentRecord,
    ConsentText,
    ErasureNotice,
    Partner,
    Petition,
    Signature,
    SignatureState,
    midnight_utc,
    utcnow,
)
from widget.core.spreadsheets import spreadsheet_safe
from widget.outbox.webhooks import record_delivery

COLUMNS = (
    "action", "ref", "first_name", "last_name", "email", "country", "postcode", "locale",
    "signed_at", "confirmed_at", "consent_version", "consent_sha256",
)  # fmt: skip
BATCH = 1000


def export_rows(slug: str, spec: str, *, actor: str = audit.SYSTEM) -> Iterator[str]:
    """The CSV, line by line: opted-in, confirmed signers of the petition, then erasures.

    Like ``signature_rows``, checks the petition and recipient before the first line, and
    audits the export once its last line has been sent."""
    petition = get_petition(slug)
    recipient = resolve_recipient(petition, spec)
    # Plain values only: the lines are made after this request's session has closed
    # (a streamed response outlives it), where an ORM object would be detached.
    lines = _chunked(_stream_recipient(petition.id, recipient))
    return audited(lines, actor, "export.recipient", f"petition:{slug}", recipient=spec)


def audited(pieces: Iterator[str], actor: str, action: str, subject: str, **details):
    """The pieces of a download, audited once the last one has gone to the client; a
    download abandoned or failed half-way is audited as ``<action>.aborted``."""
    complete = False
    try:
        yield from pieces
        complete = True
    finally:
        try:
            audit.record(actor, action if complete else f"{action}.aborted", subject, **details)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            if complete:
                raise


def _stream_recipient(petition_id: int, recipient: Recipient) -> Iterator[str]:
    yield _line(COLUMNS)
    query = (
        select(Signature, ConsentText.version, ConsentText.text_hash)
        .join(ConsentRecord, ConsentRecord.signature_id == Signature.id)
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .where(
            Signature.petition_id == petition_id,
            ConsentRecord.recipient == recipient.key,
            Signature.confirmed_at.is_not(None),
            Signature.state == SignatureState.CONFIRMED,
        )
        .order_by(Signature.id)
        .execution_options(yield_per=BATCH)
    )
    delivered: list[int] = []
    for signature, version, text_hash in db.session.execute(query):
        delivered.append(signature.id)
        yield _line((
            "add", signature.public_ref, signature.first_name, signature.last_name,
            signature.email, signature.country, signature.postcode, signature.locale,
            signature.created_at.isoformat(), signature.confirmed_at.isoformat(),
            version, text_hash,
        ))  # fmt: skip
        if len(delivered) >= BATCH:
            _remember(recipient, delivered)
            delivered = []
    _remember(recipient, delivered)
    # Every erasure the recipient has not acknowledged yet, in every download until it
    # does (acknowledge_erasures): whoever downloads, nothing here changes any state.
    for notice in pending_erasures(recipient.key):
        yield _line(("erase", notice.public_ref, *[""] * (len(COLUMNS) - 2)))
    db.session.commit()


def pending_erasures(recipient_key: str) -> list[ErasureNotice]:
    """Erased signers this recipient has not confirmed deleting yet, oldest first."""
    return list(
        db.session.scalars(
            select(ErasureNotice)
            .where(ErasureNotice.recipient == recipient_key, ErasureNotice.notified_at.is_(None))
            .order_by(ErasureNotice.id)
        )
    )


@dataclass(frozen=True)
class PendingErasures:
    spec: str  # partner:SLUG, lead, organisation:SLUG
    label: str
    count: int
    up_to: int  # the newest notice shown: what an acknowledgement covers


def erasures_to_acknowledge(
    petition: Petition, *, partner: Partner | None
) -> list[PendingErasures]:
    """What a dashboard user may acknowledge: a partner user, its partner's notices; an
    operator, the lead organisation's and the co-organisers' (never a partner's)."""
    if partner is not None:
        specs = [f"partner:{partner.slug}"]
    else:
        specs = (["lead"] if petition.lead_organisation else []) + [
            f"organisation:{o.slug}" for o in petition.organisations
        ]
    found = []
    for spec in specs:
        recipient = resolve_recipient(petition, spec)
        notices = pending_erasures(recipient.key)
        if notices:
            found.append(PendingErasures(spec, recipient.label, len(notices), notices[-1].id))
    return found


def acknowledge_erasures(slug: str, spec: str, *, up_to: int, actor: str) -> int:
    """The recipient confirms it deleted the erased signers it was shown (notices up to
    ``up_to``): they leave its later exports. Only a POST by the recipient itself (its
    dashboard button, or the command line) calls this; returns how many."""
    recipient = resolve_recipient(get_petition(slug), spec)
    done = db.session.execute(
        update(ErasureNotice)
        .where(
            ErasureNotice.recipient == recipient.key,
            ErasureNotice.notified_at.is_(None),
            ErasureNotice.id <= up_to,
        )
        .values(notified_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(actor, "export.erasures_acknowledged", f"petition:{slug}", recipient=spec,
                 count=done)  # fmt: skip
    db.session.commit()
    return done


SIGNATURE_COLUMNS = (
    "ref", "state", "first_name", "last_name", "email", "country", "postcode", "locale",
    "partner", "partner_opt_in", "lead_opt_in", "source_url", "signed_at", "confirmed_at",
    "counted_at",
)  # fmt: skip


@dataclass(frozen=True)
class SignatureFilter:
    """Which signatures an operator's export holds (every one when all are None)."""

    partner: str | None = None
    country: str | None = None
    state: SignatureState | None = None
    since: date | None = None
    until: date | None = None  # included

    def as_dict(self) -> dict:
        return {k: str(v) for k, v in self.__dict__.items() if v is not None}


def signature_rows(slug: str, filters: SignatureFilter, *, actor: str) -> Iterator[str]:
    """The CSV of a petition's signatures for its operators (the controller holds them all),
    streamed in batches; erased signatures have nothing left to export.

    Not a generator itself: an unknown petition or partner raises here, before a response
    has started. The export is audited once sent whole (or as aborted)."""
    petition = get_petition(slug)
    s = Signature.__table__.c
    times = [s.created_at, s.confirmed_at, s.counted_at]
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite keeps naive UTC text: copied as is (see _iso_utc), not parsed into a
        # datetime and formatted back a million times.
        times = [type_coerce(column, String) for column in times]
    query = (
        select(
            s.public_ref, s.state, s.first_name, s.last_name, s.email, s.country, s.postcode,
            s.locale, Partner.slug, s.partner_opt_in, s.lead_opt_in, s.source_url, *times,
        )
        .outerjoin(Partner, Partner.id == s.partner_id)
        .where(s.petition_id == petition.id, s.erased_at.is_(None))
        # The (petition, created_at) index yields rows in this order: no sort of a million
        # rows before the first one is sent.
        .order_by(s.created_at, s.id)
        .execution_options(yield_per=BATCH)
    )  # fmt: skip
    if filters.partner:
        query = query.where(s.partner_id == get_partner(filters.partner).id)
    if filters.country:
        query = query.where(s.country == filters.country.upper())
    if filters.state:
        query = query.where(s.state == filters.state)
    if filters.since:
        query = query.where(s.created_at >= midnight_utc(filters.since))
    if filters.until:
        query = query.where(s.created_at < midnight_utc(filters.until + timedelta(days=1)))
    return audited(
        _stream(query), actor, "export.signatures", f"petition:{slug}", **filters.as_dict()
    )


# The cells a signer typed: only these could start a formula.
_TYPED = frozenset({2, 3, 4, 6, 11})  # first and last name, email, postcode, source page


def _stream(query) -> Iterator[str]:
    """The CSV in pieces of BATCH rows (one socket write each), through one csv writer."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SIGNATURE_COLUMNS)
    for batch in db.session.execute(query).partitions():
        writer.writerows(
            [
                spreadsheet_safe(v) if i in _TYPED else _iso_utc(v) if i >= 12 else v
                for i, v in enumerate(row)
            ]
            for row in batch
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _iso_utc(value) -> str | None:
    """ISO 8601 in UTC, as datetime.isoformat() writes it, from a datetime or from SQLite's
    stored text ("2026-11-29 10:15:00.123456", always six fraction digits)."""
    if value is None or isinstance(value, datetime):
        return value and value.isoformat()
    text = value.replace(" ", "T", 1)
    return (text[:-7] if text.endswith(".000000") else text) + "+00:00"


def _remember(recipient: Recipient, signature_ids: list[int]) -> None:
    if signature_ids:
        record_delivery(recipient.key, signature_ids, channel="export")


def _chunked(lines: Iterator[str], size: int = 1 << 16) -> Iterator[str]:
    """Lines joined into pieces of about 64 KB: one write to the socket per piece, not one
    per row (per-row writes were most of a large export's time)."""
    parts: list[str] = []
    length = 0
    for line in lines:
        parts.append(line)
        length += len(line)
        if length >= size:
            yield "".join(parts)
            parts, length = [], 0
    if parts:
        yield "".join(parts)


def _line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_safe(v) for v in values])
    return buffer.getvalue()
