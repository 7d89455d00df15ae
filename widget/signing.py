"""Signing a petition: the use case behind the widget form, the page form and tests."""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from .counting import add_to_tally, tally_key_for
from .email_address import canonicalize_email
from .exceptions import PetitionNotAccepting, RateLimited
from .extensions import db
from .mail import enqueue_email
from .models import ACTIVE_STATES, Petition, Signature, SignatureState, utcnow
from .tokens import issue_token

DUPLICATE_NOTICE_INTERVAL = timedelta(days=1)
# Core statements on the tables, values passed at execution: compiled once per process,
# and none of the ORM's per-statement bookkeeping on the hot path.
INSERT_SIGNATURE = insert(Signature.__table__).returning(Signature.__table__.c.id)


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
    HELD = "held"
    DUPLICATE = "duplicate"
    DISCARDED = "discarded"


def network_of(ip: str) -> str:
    """The address rate limits count by: the whole IPv4 address, the IPv6 /64 (one
    customer's network: an IPv6 user can pick any address in it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(address)


def hash_ip(ip: str | None) -> str | None:
    """Keyed hash of the client's network: spots floods without keeping the address."""
    if not ip:
        return None
    key = hashlib.sha256(b"ip-hash:" + current_app.secret_key.encode()).digest()
    return hmac.new(key, network_of(ip).encode(), hashlib.sha256).hexdigest()[:32]


def sign_petition(
    petition: Petition,
    partner_id: int | None,
    data: SignatureInput,
    *,
    ip: str | None = None,
    over_limit: bool = False,
    now: datetime | None = None,
) -> SignOutcome:
    """Record a signature, count it if the petition says so, and queue its email.

    A repeat of the same person is not counted again; the address owner gets at most
    one "you already signed" email a day. Everything is prepared before the write so the
    transaction holds only the inserts: SQLite admits one writer at a time, and a long
    write transaction is what turns a spike into "database is locked".
    """
    now = now or utcnow()
    petition_id = petition.id
    if not petition.is_accepting(now):
        raise PetitionNotAccepting(petition.slug)
    if data.honeypot:
        # Looks like success to the bot; nothing is stored.
        return SignOutcome.DISCARDED
    if over_limit and not petition.holds_over_limit:
        raise RateLimited(petition.slug)
    held = over_limit
    counted = not held and not petition.needs_confirmation
    canonical = canonicalize_email(data.email)
    row = {
        "petition_id": petition_id,
        "partner_id": partner_id,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "email": data.email,
        "email_canonical": canonical,
        "email_domain": canonical.rpartition("@")[2],
        "country": data.country,
        "postcode": data.postcode or None,
        "locale": data.locale,
        "partner_opt_in": data.partner_opt_in and partner_id is not None,
        "lead_opt_in": data.lead_opt_in,
        "source_url": data.source_url,
        "ip_hash": hash_ip(ip),
        "state": SignatureState.HELD if held else SignatureState.SIGNED,
        "created_at": now,
        "counted_at": now if counted else None,
    }
    try:
        # A connection of its own, outside the ORM session: four statements, one commit.
        with db.engine.begin() as connection:
            signature_id = connection.scalar(INSERT_SIGNATURE, row)
            token = issue_token(connection, signature_id, now)
            enqueue_email(
                connection,
                kind="confirm",
                recipient=data.email,
                locale=data.locale,
                payload={"token": token},
                signature_id=signature_id,
                now=now,
            )
            if counted:
                key = tally_key_for(partner_id, data.country)
                add_to_tally(connection, petition_id=petition_id, key=key, delta=1, now=now)
    except IntegrityError:
        # The unique (petition, canonical email) index says this person signed already.
        notify_duplicate(petition_id, canonical, now=now)
        return SignOutcome.DUPLICATE
    return SignOutcome.HELD if held else SignOutcome.SIGNED


def notify_duplicate(petition_id: int, email_canonical: str, *, now: datetime) -> bool:
    """Tell the address owner they signed already, at most once a day; True if queued.

    The page says nothing (it must not reveal who signed); the email goes to the address
    on record, with a fresh confirmation link if the signature is not confirmed yet.
    """
    session = db.session
    row = session.execute(
        update(Signature)
        .where(
            Signature.petition_id == petition_id,
            Signature.email_canonical == email_canonical,
            Signature.state.in_([*ACTIVE_STATES, SignatureState.HELD]),
            (Signature.duplicate_notified_at.is_(None))
            | (Signature.duplicate_notified_at < now - DUPLICATE_NOTICE_INTERVAL),
        )
        .values(duplicate_notified_at=now)
        .returning(Signature.id, Signature.email, Signature.locale)
    ).first()
    if row is None:
        session.commit()
        return False
    connection = session.connection()
    enqueue_email(
        connection,
        kind="duplicate",
        recipient=row.email,
        locale=row.locale,
        payload={"token": issue_token(connection, row.id, now)},
        signature_id=row.id,
        now=now,
    )
    session.commit()
    return True
