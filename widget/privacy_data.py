"""What the server holds about one signature, gathered for the signer's own copy."""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import ConsentRecord, ConsentText, Delivery, Signature


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
    return {"signature": signature, "consents": records, "deliveries": deliveries}
