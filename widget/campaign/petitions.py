"""Operator use cases for petitions: create, list, open, close, texts."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import inspect, select

from widget.campaign.cached_settings import forget_cached_settings
from widget.core import audit
from widget.core.email_address import InvalidEmail, normalize_email
from widget.core.errors import InvalidInput, UnknownPetition
from widget.core.extensions import db
from widget.core.models import (
    CountingPolicy,
    Petition,
    PetitionOrganisation,
    PetitionStatus,
    PetitionText,
    utcnow,
)
from widget.i18n.locales import match_locale

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
TEXT_FIELDS = ("title", "summary", "body", "consent_statement")
# Texts that reach an email header (the title is the subject) or a single line of a page.
ONE_LINE_FIELDS = frozenset({"title"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(what: str, value: str | None) -> None:
    """Refuse line breaks and other control characters in a one-line text: in an email's
    Subject they would add headers (a Bcc to anyone), and nothing legitimate needs them."""
    if value and CONTROL_CHARACTERS.search(value):
        raise InvalidInput(f"{what} cannot contain line breaks or control characters")


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(f"slug {slug!r}: use 1-64 lower-case letters, digits and inner hyphens")
    return slug


def check_locale(locale: str, supported: list[str]) -> str:
    matched = match_locale(locale, supported)
    if matched is None or matched.lower() != locale.lower():
        raise InvalidInput(f"language {locale!r} is not one of: {', '.join(supported)}")
    return matched


def is_valid_slug(slug: str | None) -> bool:
    return bool(slug) and SLUG_PATTERN.match(slug) is not None


def get_petition(slug: str) -> Petition:
    # A slug that cannot exist never reaches the database (NUL bytes upset PostgreSQL).
    if not is_valid_slug(slug):
        raise UnknownPetition(slug)
    petition = db.session.scalar(select(Petition).where(Petition.slug == slug))
    if petition is None:
        raise UnknownPetition(slug)
    return petition


def list_petitions() -> list[Petition]:
    return list(db.session.scalars(select(Petition).order_by(Petition.created_at, Petition.id)))


def create_petition(
    slug: str,
    *,
    title: str,
    goal: int,
    locale: str,
    supported_locales: list[str],
    lead_organisation: str | None = None,
    is_open: bool = False,
    is_embeddable_anywhere: bool = False,
    counts_on: CountingPolicy = CountingPolicy.ON_SUBMISSION,
    actor: str = audit.SYSTEM,
) -> Petition:
    """Create a petition (a draft unless ``is_open``) with its title in ``locale``."""
    check_slug(slug)
    locale = check_locale(locale, supported_locales)
    if goal < 0:
        raise InvalidInput("the goal cannot be negative")
    if not title.strip():
        raise InvalidInput("the title cannot be empty")
    one_line("the title", title)
    one_line("the lead organisation", lead_organisation)
    if db.session.scalar(select(Petition.id).where(Petition.slug == slug)) is not None:
        raise InvalidInput(f"a petition {slug!r} exists already")
    petition = Petition(
        slug=slug,
        goal=goal,
        default_locale=locale,
        lead_organisation=lead_organisation or None,
        status=PetitionStatus.OPEN if is_open else PetitionStatus.DRAFT,
        is_embeddable_anywhere=is_embeddable_anywhere,
        counts_on=counts_on,
        texts=[PetitionText(locale=locale, title=title.strip())],
    )
    db.session.add(petition)
    audit.record(actor, "petition.create", f"petition:{slug}", goal=goal, locale=locale,
                 open=is_open, counts_on=str(counts_on))  # fmt: skip
    db.session.commit()
    forget_cached_settings()
    return petition


def open_petition(
    slug: str,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    actor: str = audit.SYSTEM,
) -> Petition:
    """Accept signatures from now (or ``opens_at``) until closed (or ``closes_at``)."""
    petition = get_petition(slug)
    if opens_at and closes_at and closes_at <= opens_at:
        raise InvalidInput("the petition must close after it opens")
    petition.status = PetitionStatus.OPEN
    petition.opens_at = opens_at
    petition.closes_at = closes_at
    audit.record(actor, "petition.open", f"petition:{slug}", opens_at=_iso(opens_at),
                 closes_at=_iso(closes_at))  # fmt: skip
    db.session.commit()
    forget_cached_settings()
    return petition


def close_petition(
    slug: str, *, closes_at: datetime | None = None, actor: str = audit.SYSTEM
) -> Petition:
    """Stop accepting signatures now, or at ``closes_at``; the count stays visible."""
    petition = get_petition(slug)
    if closes_at is None or closes_at <= utcnow():
        petition.status = PetitionStatus.CLOSED
        petition.closes_at = closes_at
        petition.closed_at = closes_at or utcnow()
    else:
        petition.closes_at = closes_at
    audit.record(actor, "petition.close", f"petition:{slug}", closes_at=_iso(closes_at))
    db.session.commit()
    forget_cached_settings()
    return petition


def update_petition(
    slug: str,
    *,
    goal: int | None = None,
    lead_organisation: str | None = None,
    default_locale: str | None = None,
    is_embeddable_anywhere: bool | None = None,
    counts_on: CountingPolicy | None = None,
    holds_over_limit: bool | None = None,
    controller: str | None = None,
    privacy_contact: str | None = None,
    retention_days: int | None = None,
    actor: str = audit.SYSTEM,
) -> Petition:
    """Change a petition's settings; None leaves a setting as it is.

    Changing the counting policy applies to signatures from now on; `count rebuild` is
    not needed, because each signature remembers whether it was counted.
    """
    petition = get_petition(slug)
    if goal is not None:
        if goal < 0:
            raise InvalidInput("the goal cannot be negative")
        petition.goal = goal
    if lead_organisation is not None:
        petition.lead_organisation = lead_organisation.strip() or None
    if default_locale is not None:
        if petition.text_in(default_locale) is None:
            raise InvalidInput(f"set a text in {default_locale!r} before making it the default")
        petition.default_locale = default_locale
    if is_embeddable_anywhere is not None:
        petition.is_embeddable_anywhere = is_embeddable_anywhere
    if counts_on is not None:
        petition.counts_on = counts_on
    if holds_over_limit is not None:
        petition.holds_over_limit = holds_over_limit
    if controller is not None:
        petition.controller = controller.strip() or None
    if privacy_contact is not None:
        petition.privacy_contact = _checked_address(privacy_contact) if privacy_contact else None
    if retention_days is not None:
        if retention_days < 0:
            raise InvalidInput("the retention period cannot be negative")
        petition.retention_days = retention_days
    audit.record(actor, "petition.update", f"petition:{slug}", **_changes(petition))
    db.session.commit()
    forget_cached_settings()
    return petition


def set_petition_text(
    slug: str,
    locale: str,
    *,
    supported_locales: list[str],
    actor: str = audit.SYSTEM,
    **fields: str | None,
) -> PetitionText:
    """Create or change the petition's text in one language; None leaves a field as it is."""
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown text fields: {', '.join(sorted(unknown))}")
    petition = get_petition(slug)
    locale = check_locale(locale, supported_locales)
    text = petition.text_in(locale)
    if text is None:
        if not (fields.get("title") or "").strip():
            raise InvalidInput(f"a new language needs a title ({locale})")
        text = PetitionText(locale=locale, title="")
        petition.texts.append(text)
    for name, value in fields.items():
        if value is not None:
            if name in ONE_LINE_FIELDS:
                one_line(f"the {name.replace('_', ' ')}", value)
            setattr(text, name, value.strip())
    if not text.title:
        raise InvalidInput("the title cannot be empty")
    changed = sorted(_changes(text))
    if changed:
        audit.record(actor, "petition.text", f"petition:{slug}", locale=locale, fields=changed)
    db.session.commit()
    forget_cached_settings()
    return text


def _checked_address(address: str) -> str:
    try:
        return normalize_email(address)
    except InvalidEmail as exc:
        raise InvalidInput(f"not an email address: {address!r}") from exc


def add_organisation(
    slug: str, organisation_slug: str, *, name: str, actor: str = audit.SYSTEM
) -> PetitionOrganisation:
    """Name another organisation on the petition; signers may opt in to hear from it."""
    petition = get_petition(slug)
    check_slug(organisation_slug)
    if not name.strip():
        raise InvalidInput("the organisation needs a name")
    if any(o.slug == organisation_slug for o in petition.organisations):
        raise InvalidInput(f"{slug} names {organisation_slug!r} already")
    organisation = PetitionOrganisation(slug=organisation_slug, name=name.strip())
    petition.organisations.append(organisation)
    audit.record(actor, "petition.organisation", f"petition:{slug}",
                 organisation=organisation_slug, name=name.strip())  # fmt: skip
    db.session.commit()
    forget_cached_settings()
    return organisation


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


def _changes(instance) -> dict:
    """Changed attributes of a loaded row as {name: new value}, for the audit log."""
    state = inspect(instance)
    return {
        attr.key: _plain(attr.value)
        for attr in state.attrs
        if attr.history.has_changes() and not attr.key.endswith(("_at", "texts", "organisations"))
    }


def _plain(value):
    return str(value) if not isinstance(value, (int, bool, type(None))) else value
