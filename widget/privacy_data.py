"""What the server holds about one signature, and who received it, in words a signer reads."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from .extensions import db
from .models import (
    ConsentRecord,
    ConsentText,
    Delivery,
    Partner,
    Petition,
    PetitionOrganisation,
    Signature,
)


def data_held(signature: Signature) -> dict:
    """Everything the server holds about one signature, for the signer's own copy."""
    records = db.session.execute(
        select(ConsentRecord.recipient, ConsentText.text, ConsentText.version)
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .where(ConsentRecord.signature_id == signature.id)
    ).all()
    deliveries = db.session.execute(
        select(Delivery.recipient, Delivery.channel, Delivery.delivered_at).where(
            Delivery.signature_id == signature.id
        )
    ).all()
    names = recipient_names([(signature.petition_id, d.recipient) for d in deliveries])
    partner = db.session.get(Partner, signature.partner_id) if signature.partner_id else None
    return {
        "signature": signature,
        "consents": records,
        "deliveries": [
            (names[(signature.petition_id, d.recipient)], d.channel, d.delivered_at)
            for d in deliveries
        ],
        "partner_name": partner.name if partner else None,
    }


def recipient_names(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The organisation's name for each (petition id, recipient key) pair.

    Keys are what consents and deliveries record: "partner:<id>", "lead" (the petition's
    lead organisation) or "organisation:<id>" (a co-organiser). A signer or an operator
    must read who holds the data, never an internal id.
    """
    names: dict[tuple[int, str], str] = {}
    for petition_id, key in set(pairs):
        kind, _, raw_id = key.partition(":")
        name = None
        if kind == "lead":
            petition = db.session.get(Petition, petition_id)
            name = petition.lead_organisation if petition else None
        elif kind == "partner" and raw_id.isdigit():
            partner = db.session.get(Partner, int(raw_id))
            name = partner.name if partner else None
        elif kind == "organisation" and raw_id.isdigit():
            organisation = db.session.get(PetitionOrganisation, int(raw_id))
            name = organisation.name if organisation else None
        names[(petition_id, key)] = name or key
    return names
