"""Signing a petition: the use case behind the widget form, the page form and tests."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from widget.campaign.consent import Statement, consent_rows, consent_text_id, statements_for
from widget.core.addresses import hash_ip, hash_prefix
from widget.core.email_address import canonicalize_email
from widget.core.errors import FormTokenUsedUp, PetitionNotAccepting, RateLimited
from widget.core.metrics import SIGNATURES
from widget.core.models import ACTIVE_STATES, Partner, Petition, Signature, SignatureState, utcnow
from widget.core.tokens import new_token
from widget.counting.public_count import CountSnapshot, count_after_signing
from widget.counting.tallies import tally_key_for, tally_rows
from widget.outbox.queue import email_message, email_signer_at_most_every
from widget.signing.form_token import nonce_of
from widget.signing.limits import is_form_token_used_up, is_over_signing_limit
from widget.signing.write import NewSignatureRows, write_new_signature

DUPLICATE_NOTICE_INTERVAL = timedelta(days=1)


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
    organisation_opt_ins: frozenset[int] = frozenset()  # ids of named organisations


class SignOutcome(enum.Enum):
    SIGNED = "signed"
    HELD = "held"
    DUPLICATE = "duplicate"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class Signed:
    """What became of a signature, and what the signer's thank-you page needs."""

    outcome: SignOutcome
    counted: bool  # it joined the count when it was stored
    petition: Petition
    at: datetime

    @property
    def waits_for_confirmation(self) -> bool:
        """The signature counts once the signer confirms the address (double opt-in)."""
        return self.outcome is SignOutcome.SIGNED and self.petition.needs_confirmation

    def count_to_show(self) -> CountSnapshot:
        """The count for the thank-you page, which includes the signer's own signature if
        it counted, without a query on the signing path (see count_after_signing)."""
        return count_after_signing(self.petition, counted=self.counted, at=self.at)


def new_public_ref() -> str:
    """A signature's public reference (sent to partners in webhooks and exports): 96
    random bits, URL-safe, never starting with "-". A spreadsheet reads a cell that starts
    with "-" as a formula, so the CSV exports would have to escape such a ref, and a
    partner's copy would then match nothing the webhooks send."""
    ref = secrets.token_urlsafe(12)
    while ref.startswith("-"):
        ref = secrets.token_urlsafe(12)
    return ref


def sign_petition(
    petition: Petition,
    partner: Partner | None,
    data: SignatureInput,
    *,
    ip: str | None = None,
    over_limit: bool = False,
    count_against_limits: bool = False,
    form_token: str | None = None,
    now: datetime | None = None,
) -> Signed:
    """Record a signature, count it if the petition says so, and queue its email.

    With ``count_against_limits`` (the web form) the attempt counts against its network's
    and partner's rate limits first; over one, the petition holds the signature for
    review or refuses it (RateLimited). With ``form_token`` (the form's own), a form that
    signed FORM_TOKEN_MAX_USES times already is refused (FormTokenUsedUp).

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
        return _measured(Signed(SignOutcome.DISCARDED, False, petition, now))
    if form_token is not None and is_form_token_used_up(nonce_of(form_token)):
        raise FormTokenUsedUp(petition.slug)
    if count_against_limits:
        over_limit = (
            is_over_signing_limit(ip, partner.slug if partner else None, petition_id) or over_limit
        )
    if over_limit and not petition.holds_over_limit:
        SIGNATURES.labels("refused").inc()
        raise RateLimited(petition.slug)
    stored = SignOutcome.HELD if over_limit else SignOutcome.SIGNED
    counted = counts_at_once(petition, stored)
    partner_id = partner.id if partner else None
    canonical = canonicalize_email(data.email)
    agreed = _agreed_statements(petition, partner, data)
    row = {
        "public_ref": new_public_ref(),
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
        "partner_opt_in": any(s.purpose == "partner" for _, s in agreed),
        "lead_opt_in": any(s.purpose == "lead" for _, s in agreed),
        "source_url": data.source_url,
        "ip_hash": hash_ip(ip),
        "prefix_hash": hash_prefix(ip),
        "state": SignatureState.HELD if over_limit else SignatureState.SIGNED,
        "created_at": now,
        "counted_at": now if counted else None,
    }
    raw_token, token = new_token(None, now)
    rows = NewSignatureRows(
        signature=row,
        consents=consent_rows(agreed),
        token=token,
        email=email_message(
            kind="confirm",
            recipient=data.email,
            locale=data.locale,
            payload={"token": raw_token},
            now=now,
        ),
        tallies=tally_rows(
            petition_id=petition_id,
            key=tally_key_for(partner_id, data.country),
            delta=1,
            now=now,
        )
        if counted
        else None,
    )
    try:
        write_new_signature(rows)
    except IntegrityError:
        # The unique (petition, canonical email) index says this person signed already.
        notify_duplicate(petition_id, canonical, now=now)
        return _measured(Signed(SignOutcome.DUPLICATE, False, petition, now))
    return _measured(Signed(stored, counted, petition, now))


def _measured(signed: Signed) -> Signed:
    SIGNATURES.labels(signed.outcome.value).inc()
    return signed


def counts_at_once(petition: Petition, outcome: SignOutcome) -> bool:
    """Whether a signature with this outcome joined the count when it was stored (held
    ones wait for an operator; on some petitions every one waits for its confirmation)."""
    return outcome is SignOutcome.SIGNED and not petition.needs_confirmation


def _agreed_statements(
    petition: Petition, partner: Partner | None, data: SignatureInput
) -> list[tuple[int, Statement]]:
    """The consent and the opt-ins the signer ticked, each with its recorded version."""
    ticked = {"consent"}
    if data.partner_opt_in:
        ticked.add("partner")
    if data.lead_opt_in:
        ticked.add("lead")
    chosen = {f"organisation:{i}" for i in data.organisation_opt_ins}
    agreed = [
        s
        for s in statements_for(petition, partner, data.locale)
        if s.purpose in ticked or s.recipient in chosen
    ]
    return [(consent_text_id(petition.id, s), s) for s in agreed]


def notify_duplicate(petition_id: int, email_canonical: str, *, now: datetime) -> bool:
    """Tell the address owner they signed already, at most once a day; True if queued.

    The page says nothing (it must not reveal who signed); the email goes to the address
    on record, with a fresh confirmation link if the signature is not confirmed yet.
    """
    queued = email_signer_at_most_every(
        "duplicate",
        DUPLICATE_NOTICE_INTERVAL,
        Signature.duplicate_notified_at,
        [
            Signature.petition_id == petition_id,
            Signature.email_canonical == email_canonical,
            Signature.state.in_([*ACTIVE_STATES, SignatureState.HELD]),
        ],
        now=now,
    )
    return queued is not None
