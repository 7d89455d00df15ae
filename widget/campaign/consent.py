"""What a signer agrees to: the statements a form shows, and their recorded versions.

The same function builds the statements for the form that shows them and for the
signature that records them, so what is recorded is what was shown; the form's token
carries a fingerprint of them, so a wording changed in between is noticed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from widget.campaign.cached_settings import cached_settings
from widget.core.extensions import db
from widget.core.models import ConsentRecord, ConsentText, Partner, Petition, utcnow
from widget.i18n.cldr import locale_for

INSERT_RECORD = insert(ConsentRecord.__table__)
TEXTS = ConsentText.__table__.c


@dataclass(frozen=True)
class Statement:
    purpose: str  # consent, partner, lead or organisation
    recipient: str  # "" (processing), "partner:<id>", "lead", "organisation:<id>"
    text: str  # exactly as the form shows it
    locale: str  # the language of the text
    organisation: str = ""  # the organisation's name, for opt-ins

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def opt_in_text(organisation: str) -> str:
    return gettext(
        "Yes, %(organisation)s may email me about this and related campaigns.",
        organisation=organisation,
    )


def default_consent_text(petition: Petition) -> str:
    organiser = petition.lead_organisation or gettext("the organisers of this petition")
    return gettext(
        "I agree that %(organiser)s stores my name, email address and country to run this "
        "petition and to hand the number of signatures to the decision makers.",
        organiser=organiser,
    )


def statements_for(petition: Petition, partner: Partner | None, locale: str) -> list[Statement]:
    """The consent statement and every opt-in the form shows, in the signer's language.

    Kept with the petition's other cached settings: edits reach them the same way.
    """
    key = ("statements", petition.id, partner.id if partner else None, locale)
    return cached_settings(key, lambda: _build_statements(petition, partner, locale), model=False)


def _build_statements(petition: Petition, partner: Partner | None, locale: str):
    with force_locale(locale_for(locale)):
        text = petition.text_in(locale) or petition.text_in(petition.default_locale)
        written = text.consent_statement if text else ""
        fallback = petition.text_in(petition.default_locale)
        if written:
            consent = Statement("consent", "", written, text.locale)
        elif fallback and fallback.consent_statement:
            consent = Statement("consent", "", fallback.consent_statement, fallback.locale)
        else:
            consent = Statement("consent", "", default_consent_text(petition), locale)
        statements = [consent]
        if partner is not None:
            statements.append(
                Statement(
                    "partner",
                    f"partner:{partner.id}",
                    opt_in_text(partner.name),
                    locale,
                    partner.name,
                )
            )
        lead = petition.lead_organisation
        if lead and (partner is None or partner.name != lead):
            statements.append(Statement("lead", "lead", opt_in_text(lead), locale, lead))
        for organisation in petition.organisations:
            statements.append(
                Statement(
                    "organisation",
                    f"organisation:{organisation.id}",
                    opt_in_text(organisation.name),
                    locale,
                    organisation.name,
                )
            )
    return statements


def fingerprint(statements: list[Statement]) -> str:
    """Changes whenever any statement's wording does."""
    joined = "\n".join(f"{s.recipient}|{s.text}" for s in statements)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def consent_text_id(petition_id: int, statement: Statement) -> int:
    """The recorded version of this exact text, created as the next version if new.

    Uses connections of its own (not the ORM session), so signing never holds two pooled
    connections at once; after the first signature each text is known to the process.
    """
    cache = current_app.extensions.setdefault("consent_text_ids", {})
    key = (petition_id, statement.text_hash)
    if key not in cache:
        for _ in range(3):
            found = _find_version(petition_id, statement) or _new_version(petition_id, statement)
            if found is not None:
                cache[key] = found
                break
        else:
            raise RuntimeError("could not record a consent text version")
    return cache[key]


def _find_version(petition_id: int, statement: Statement) -> int | None:
    with db.engine.connect() as connection:
        return connection.scalar(
            select(TEXTS.id).where(
                TEXTS.petition_id == petition_id, TEXTS.text_hash == statement.text_hash
            )
        )


def _new_version(petition_id: int, statement: Statement) -> int | None:
    try:
        with db.engine.begin() as connection:
            latest = connection.scalar(
                select(func.max(TEXTS.version)).where(
                    TEXTS.petition_id == petition_id,
                    TEXTS.locale == statement.locale,
                    TEXTS.purpose == statement.purpose,
                )
            )
            return connection.scalar(
                insert(ConsentText.__table__).returning(TEXTS.id),
                {
                    "petition_id": petition_id,
                    "locale": statement.locale,
                    "purpose": statement.purpose,
                    "version": (latest or 0) + 1,
                    "text": statement.text,
                    "text_hash": statement.text_hash,
                    "created_at": utcnow(),
                },
            )
    except IntegrityError:
        # Another process recorded it (or took the number) first: look again.
        return None


def consent_rows(agreed: list[tuple[int, Statement]]) -> list[dict]:
    """The consent records of a new signature: which versions it agreed to (the signature's
    id is added where it is written, see signing/write.py)."""
    return [
        {"consent_text_id": text_id, "recipient": statement.recipient}
        for text_id, statement in agreed
    ]
