"""Signing a petition: the use case behind the widget form, the page form and tests."""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from .counting import add_to_tally, tally_key_for
from .email_address import canonicalize_email
from .exceptions import PetitionNotAccepting, UnknownPetition
from .extensions import db
from .models import Petition, Signature, SignatureState, utcnow


@dataclass(frozen=True)
class SignatureInput:
    """What a signer submitted, already validated by the form."""

    first_name: str
    last_name: str
    email: str
    country: str
    locale: str
    postcode: str | None = None
    partner_opt_in: bool = False
    lead_opt_in: bool = False
    source_url: str | None = None
    honeypot: str = ""


class SignOutcome(enum.Enum):
    SIGNED = "signed"
    DUPLICATE = "duplicate"
    DISCARDED = "discarded"


def hash_ip(ip: str | None) -> str | None:
    """Keyed hash of the client address: lets us spot floods without keeping the address."""
    if not ip:
        return None
    key = hashlib.sha256(b"ip-hash:" + current_app.secret_key.encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def sign_petition(
    petition_id: int,
    partner_id: int | None,
    data: SignatureInput,
    *,
    ip: str | None = None,
    now: datetime | None = None,
) -> SignOutcome:
    """Record a signature and count it; a repeat of the same person is not counted again.

    Everything is prepared before the write so the transaction holds only the two
    statements: SQLite admits one writer at a time, and a long write transaction is what
    turns a spike into "database is locked".
    """
    now = now or utcnow()
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        raise UnknownPetition(str(petition_id))
    if not petition.is_accepting(now):
        raise PetitionNotAccepting(petition.slug)
    if data.honeypot:
        # Looks like success to the bot; nothing is stored.
        return SignOutcome.DISCARDED
    row = {
        "petition_id": petition_id,
        "partner_id": partner_id,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "email": data.email,
        "email_canonical": canonicalize_email(data.email),
        "country": data.country,
        "postcode": data.postcode or None,
        "locale": data.locale,
        "partner_opt_in": data.partner_opt_in and partner_id is not None,
        "lead_opt_in": data.lead_opt_in,
        "source_url": data.source_url,
        "ip_hash": hash_ip(ip),
        "state": SignatureState.SIGNED,
        "created_at": now,
        "counted_at": now,
    }
    key = tally_key_for(partner_id, data.country)
    session = db.session
    try:
        session.execute(insert(Signature).values(**row))
        add_to_tally(session, petition_id=petition_id, key=key, delta=1, now=now)
        session.commit()
    except IntegrityError:
        # The unique (petition, canonical email) index says this person signed already.
        session.rollback()
        return SignOutcome.DUPLICATE
    return SignOutcome.SIGNED
