"""Composing emails: each outbox message rendered as its recipient will read it, in their
language (signers' emails about their signature; dashboard users' invitations and resets)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from widget.campaign.recipients import recipient_names
from widget.core.extensions import db
from widget.core.models import (
    ConsentRecord,
    ConsentText,
    Delivery,
    OutboxMessage,
    Partner,
    Petition,
    Signature,
    SignatureState,
    utcnow,
)
from widget.i18n.cldr import locale_for
from widget.i18n.countries import country_name

SUBJECTS = {  # one per kind in queue.EMAIL_KINDS
    "confirm": _l("Please confirm your signature: %(title)s"),
    "reminder": _l("Reminder: please confirm your signature: %(title)s"),
    "duplicate": _l("You have already signed: %(title)s"),
    "data_copy": _l("The data we hold about you: %(title)s"),
    "erasure_link": _l("Withdraw your signature and erase your data: %(title)s"),
    "invite": _l("You are invited to the petition dashboard"),
    "password_reset": _l("Choose a new password for the petition dashboard"),
}
SIGNER_KINDS = frozenset({"confirm", "reminder", "duplicate", "data_copy", "erasure_link"})
# Mail that asks a signer to act on a signature: never sent once an operator has taken the
# signature out (fraud) or its data is erased. Mail the signer asked for still goes.
PROMPTS = frozenset({"confirm", "reminder", "duplicate"})
ENDED_BY_OTHERS = frozenset({SignatureState.INVALIDATED, SignatureState.ERASED})
# A reset link leads to a page that says it is a reset, not an invitation.
ACCOUNT_LINK_PATHS = {"invite": "invite", "password_reset": "reset"}
INVITATION_LINK_DAYS = 7
RESET_LINK_DAYS = 1


class NothingToSend(Exception):
    """The email's subject is gone (signature withdrawn, erased): drop the email."""


def render_email(message: OutboxMessage) -> EmailMessage:
    """The email as the recipient will read it, in their language."""
    with force_locale(locale_for(message.locale or "en")):
        if message.kind in SIGNER_KINDS:
            subject, body = _signer_email(message)
        else:
            subject, body = _account_email(message)
    return _envelope(message, subject, body)


def _signer_email(message: OutboxMessage) -> tuple[str, str]:
    signature = db.session.get(Signature, message.signature_id) if message.signature_id else None
    if signature is None or signature.erased_at is not None:
        raise NothingToSend(f"outbox {message.id}: its signature is gone")
    if message.kind in PROMPTS and signature.state in ENDED_BY_OTHERS:
        raise NothingToSend(f"outbox {message.id}: its signature was {signature.state}")
    petition = db.session.get(Petition, signature.petition_id)
    config = current_app.config
    base = config["PUBLIC_URL"].rstrip("/")
    token = message.payload.get("token")
    text = petition.text_in(message.locale) or petition.text_in(petition.default_locale)
    values = {
        "signature": signature,
        "petition": petition,
        "title": text.title,
        "organiser": petition.lead_organisation,
        "confirm_url": f"{base}/s/{token}/confirm" if token else None,
        "withdraw_url": f"{base}/s/{token}/withdraw" if token else None,
        "data_url": f"{base}/s/{token}/data" if token else None,
        "privacy_url": f"{base}/p/{petition.slug}/privacy?lang={message.locale}",
        "held": data_held(signature) if message.kind == "data_copy" else None,
        "country": country_name(signature.country, message.locale or "en"),
        "petition_url": f"{base}/p/{petition.slug}?lang={message.locale}",
        "link_days": config["CONFIRM_LINK_DAYS"],
    }
    body = render_template(f"mail/{message.kind}.txt", **values)
    return str(SUBJECTS[message.kind]) % {"title": text.title}, body


def _account_email(message: OutboxMessage) -> tuple[str, str]:
    """Emails to dashboard users (invitations, password resets)."""
    token = message.payload.get("invite_token")
    if not token:
        raise NothingToSend(f"outbox {message.id}: the invitation link is gone")
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    body = render_template(
        f"mail/{message.kind}.txt",
        name=message.payload.get("name", ""),
        invited_by=message.payload.get("invited_by", ""),
        invite_url=f"{base}/dashboard/{ACCOUNT_LINK_PATHS[message.kind]}/{token}",
        days=INVITATION_LINK_DAYS if message.kind == "invite" else RESET_LINK_DAYS,
    )
    return str(SUBJECTS[message.kind]), body


def _envelope(message: OutboxMessage, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2].strip("> "))
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(body)
    # After set_content, which replaces every Content-* header.
    email["Content-Language"] = message.locale
    return email


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
