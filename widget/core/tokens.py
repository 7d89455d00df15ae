"""Secret links for signers: random, stored only as a hash, valid for a limited time."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from widget.core.extensions import db
from widget.core.models import SignatureToken

INSERT_TOKEN = insert(SignatureToken.__table__)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token(signature_id: int | None, now: datetime) -> tuple[str, dict]:
    """A new token: the raw value (for the link) and the row that stores only its hash."""
    raw = secrets.token_urlsafe(24)
    days = current_app.config["CONFIRM_LINK_DAYS"]
    return raw, {
        "signature_id": signature_id,
        "token_hash": hash_token(raw),
        "created_at": now,
        "expires_at": now + timedelta(days=days),
    }


def issue_token(connection: Connection, signature_id: int, now: datetime) -> str:
    """Store a new token for the signature (in the caller's transaction); return it raw."""
    raw, row = new_token(signature_id, now)
    connection.execute(INSERT_TOKEN, row)
    return raw


def find_token(raw: str) -> SignatureToken | None:
    if not raw or len(raw) > 100:
        return None
    return db.session.scalar(
        select(SignatureToken).where(SignatureToken.token_hash == hash_token(raw))
    )


def new_webhook_secret() -> str:
    """The secret a partner's webhook deliveries are signed with (HMAC-SHA256)."""
    return secrets.token_urlsafe(32)
