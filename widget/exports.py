"""Exports for recipients: only the signers who opted in to that organisation.

Streamed row by row (a million signers never sit in memory), safe to open in a
spreadsheet (cells that would start a formula are quoted), and recorded: who received
whom, so an erasure later reaches them. Each export also lists the erasures the
recipient has not been told about yet (action "erase", with the signer's reference only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select, update

from .exceptions import InvalidInput
from .extensions import db
from .models import (
    ConsentRecord,
    ConsentText,
    ErasureNotice,
    Petition,
    Signature,
    SignatureState,
    utcnow,
)
from .partners import get_partner
from .petitions import get_petition
from .webhooks import record_delivery

COLUMNS = (
    "action", "ref", "first_name", "last_name", "email", "country", "postcode", "locale",
    "signed_at", "confirmed_at", "consent_version", "consent_sha256",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Recipient:
    key: str  # partner:<id>, lead, organisation:<id>
    label: str


def resolve_recipient(petition: Petition, spec: str) -> Recipient:
    """'partner:SLUG', 'lead' or 'organisation:SLUG' for this petition."""
    kind, _, slug = spec.partition(":")
    if kind == "partner":
        partner = get_partner(slug)
        return Recipient(f"partner:{partner.id}", partner.name)
    if kind == "lead" and petition.lead_organisation:
        return Recipient("lead", petition.lead_organisation)
    if kind == "organisation":
        for organisation in petition.organisations:
            if organisation.slug == slug:
                return Recipient(f"organisation:{organisation.id}", organisation.name)
    raise InvalidInput(
        f"no recipient {spec!r} for {petition.slug} (partner:SLUG, lead, organisation:SLUG)"
    )


def export_rows(slug: str, spec: str) -> Iterator[str]:
    """The CSV, line by line: opted-in, confirmed signers of the petition, then erasures."""
    petition = get_petition(slug)
    recipient = resolve_recipient(petition, spec)
    yield _line(COLUMNS)
    query = (
        select(Signature, ConsentText.version, ConsentText.text_hash)
        .join(ConsentRecord, ConsentRecord.signature_id == Signature.id)
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .where(
            Signature.petition_id == petition.id,
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
    notices = db.session.scalars(
        select(ErasureNotice).where(
            ErasureNotice.recipient == recipient.key, ErasureNotice.notified_at.is_(None)
        )
    ).all()
    for notice in notices:
        yield _line(("erase", notice.public_ref, *[""] * (len(COLUMNS) - 2)))
    if notices:
        db.session.execute(
            update(ErasureNotice)
            .where(ErasureNotice.id.in_([n.id for n in notices]))
            .values(notified_at=utcnow())
        )
    db.session.commit()


def _remember(recipient: Recipient, signature_ids: list[int]) -> None:
    if signature_ids:
        record_delivery(recipient.key, signature_ids, channel="export")


def _line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_safe(v) for v in values])
    return buffer.getvalue()
