"""Partner webhooks: opted-in signers and erasures, POSTed as signed JSON via the outbox.

Each delivery carries `X-Petition-Timestamp` and `X-Petition-Signature: sha256=<hex>`,
the HMAC-SHA256 of "<timestamp>.<body>" with the partner's secret; a partner verifies it
with `verify_signature` (or the three lines it takes in any language) and rejects old
timestamps. Deliveries go through the outbox, so they are retried like emails and the
outbox row is their delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from widget.core.extensions import db
from widget.core.models import (
    ConsentRecord,
    ConsentText,
    Delivery,
    ErasureNotice,
    OutboxMessage,
    Partner,
    Signature,
    utcnow,
)
from widget.outbox.queue import enqueue_message
from widget.outbox.safe_http import WebhookRefused, webhook_opener

EVENT_SIGNATURE = "signature"
EVENT_ERASURE = "erasure"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, max_age: int = 300
) -> bool:
    """What a partner's receiver does: right key, untampered body, recent enough."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def enqueue_signature_webhook(connection: Connection, signature_id: int, now: datetime) -> bool:
    """Queue an opted-in signer for their partner's webhook (once confirmed); True if queued."""
    row = db.session.execute(
        select(Signature, Partner)
        .join(Partner, Partner.id == Signature.partner_id)
        .where(Signature.id == signature_id, Signature.partner_opt_in.is_(True))
    ).first()
    if row is None or not row.Partner.webhook_url:
        return False
    signature = row.Signature
    consents = db.session.execute(
        select(ConsentText.purpose, ConsentText.version, ConsentText.text_hash, ConsentText.text)
        .join(ConsentRecord, ConsentRecord.consent_text_id == ConsentText.id)
        .where(ConsentRecord.signature_id == signature_id)
        .where(ConsentRecord.recipient.in_(["", f"partner:{row.Partner.id}"]))
    ).all()
    payload = {
        "event": EVENT_SIGNATURE,
        "ref": signature.public_ref,
        "signer": {
            "first_name": signature.first_name,
            "last_name": signature.last_name,
            "email": signature.email,
            "country": signature.country,
            "postcode": signature.postcode,
            "locale": signature.locale,
        },
        "signed_at": signature.created_at.isoformat(),
        "confirmed_at": signature.confirmed_at.isoformat() if signature.confirmed_at else None,
        "consents": [
            {"purpose": c.purpose, "version": c.version, "sha256": c.text_hash, "text": c.text}
            for c in consents
        ],
    }
    enqueue_message(
        connection,
        channel="webhook",
        kind=EVENT_SIGNATURE,
        recipient=row.Partner.webhook_url,
        payload={"partner_id": row.Partner.id, "body": payload},
        signature_id=signature_id,
        now=now,
    )
    return True


def enqueue_erasure_webhooks(connection: Connection, notices, *, now: datetime) -> None:
    """Tell partners with a webhook that a signer they received was erased."""
    partner_ids = {int(r.split(":", 1)[1]) for r, _ in notices if r.startswith("partner:")}
    if not partner_ids:
        return
    partners = {
        p.id: p
        for p in db.session.scalars(select(Partner).where(Partner.id.in_(partner_ids)))
        if p.webhook_url
    }
    for recipient, public_ref in notices:
        if not recipient.startswith("partner:"):
            continue
        partner = partners.get(int(recipient.split(":", 1)[1]))
        if partner is None:
            continue
        enqueue_message(
            connection,
            channel="webhook",
            kind=EVENT_ERASURE,
            recipient=partner.webhook_url,
            payload={"partner_id": partner.id, "body": {"event": EVENT_ERASURE, "ref": public_ref}},
            now=now,
        )


def post_webhook(message: OutboxMessage) -> None:
    """Deliver one webhook; raise on failure (OSError: retry; WebhookRefused: give up)."""
    partner = db.session.get(Partner, message.payload["partner_id"])
    if partner is None or not partner.webhook_secret:
        raise WebhookRefused("the partner or its webhook secret is gone")
    body = json.dumps(message.payload["body"], separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        message.recipient,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "petition-widget-webhook/1",
            "X-Petition-Event": message.payload["body"]["event"],
            "X-Petition-Timestamp": timestamp,
            "X-Petition-Signature": sign(partner.webhook_secret, timestamp, body),
        },
    )
    development = current_app.config["DEVELOPMENT_WEBHOOKS"]
    if not development and not message.recipient.startswith("https://"):
        raise WebhookRefused("webhooks go over https only")
    opener = webhook_opener(development=development)
    try:
        with opener.open(request, timeout=current_app.config["WEBHOOK_TIMEOUT"]):
            pass
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise WebhookRefused(f"HTTP {exc.code}") from exc
        raise OSError(f"HTTP {exc.code}") from exc
    if message.kind == EVENT_SIGNATURE and message.signature_id:
        record_delivery(f"partner:{partner.id}", [message.signature_id], channel="webhook")
    if message.kind == EVENT_ERASURE:
        # The partner's own server took the notice (a 2xx): that is its acknowledgement.
        db.session.execute(
            update(ErasureNotice)
            .where(
                ErasureNotice.recipient == f"partner:{partner.id}",
                ErasureNotice.public_ref == message.payload["body"]["ref"],
                ErasureNotice.notified_at.is_(None),
            )
            .values(notified_at=utcnow())
        )


def record_delivery(recipient: str, signature_ids: list[int], *, channel: str) -> None:
    """Remember who received whom (the caller commits): erasures must reach them."""
    known = set(
        db.session.scalars(
            select(Delivery.signature_id).where(
                Delivery.recipient == recipient, Delivery.signature_id.in_(signature_ids)
            )
        )
    )
    db.session.add_all(
        Delivery(recipient=recipient, signature_id=i, channel=channel)
        for i in signature_ids
        if i not in known
    )
