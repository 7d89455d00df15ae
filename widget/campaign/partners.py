"""Operator use cases for coalition partners and the origins they embed from."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from widget.campaign.cached_settings import forget_cached_settings
from widget.campaign.petitions import check_slug, is_valid_slug
from widget.core import audit
from widget.core.errors import InvalidInput, UnknownPartner
from widget.core.extensions import db
from widget.core.models import Partner, PartnerOrigin
from widget.core.origins import InvalidOrigin, normalize_origin
from widget.core.tokens import new_webhook_secret
from widget.i18n.countries import country_codes


def get_partner(slug: str) -> Partner:
    if not is_valid_slug(slug):
        raise UnknownPartner(slug)
    partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
    if partner is None:
        raise UnknownPartner(slug)
    return partner


def list_partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).order_by(Partner.slug)))


def _normalized_origins(origins: list[str]) -> list[str]:
    try:
        return sorted({normalize_origin(o) for o in origins})
    except InvalidOrigin as exc:
        raise InvalidInput(str(exc)) from exc


def _check_country(country: str | None) -> str | None:
    if country is None:
        return None
    country = country.upper()
    if country not in country_codes():
        raise InvalidInput(f"unknown country code {country!r} (use ISO 3166-1, e.g. DE)")
    return country


def add_partner(
    slug: str,
    *,
    name: str,
    origins: list[str],
    website: str | None = None,
    country: str | None = None,
    actor: str = audit.SYSTEM,
) -> Partner:
    """Register a coalition partner; its origins may then embed every open petition."""
    check_slug(slug)
    if not name.strip():
        raise InvalidInput("the partner needs a name")
    if db.session.scalar(select(Partner.id).where(Partner.slug == slug)) is not None:
        raise InvalidInput(f"a partner {slug!r} exists already")
    partner = Partner(
        slug=slug,
        name=name.strip(),
        website=website or None,
        country=_check_country(country),
        origins=[PartnerOrigin(origin=o) for o in _normalized_origins(origins)],
    )
    db.session.add(partner)
    audit.record(actor, "partner.create", f"partner:{slug}", name=partner.name,
                 origins=partner.origin_list)  # fmt: skip
    db.session.commit()
    forget_cached_settings()
    return partner


def update_partner(
    slug: str,
    *,
    name: str,
    website: str | None,
    country: str | None,
    origins: list[str],
    actor: str = audit.SYSTEM,
) -> Partner:
    """Change a partner's name, website, country and its whole list of origins."""
    partner = get_partner(slug)
    if not name.strip():
        raise InvalidInput("the partner needs a name")
    wanted = _normalized_origins(origins)
    before = partner.origin_list
    partner.name, partner.website = name.strip(), website or None
    partner.country = _check_country(country)
    partner.origins = [o for o in partner.origins if o.origin in wanted] + [
        PartnerOrigin(origin=o) for o in wanted if o not in before
    ]
    audit.record(actor, "partner.update", f"partner:{slug}", name=partner.name,
                 website=partner.website, country=partner.country,
                 origins_added=sorted(set(wanted) - set(before)) or None,
                 origins_removed=sorted(set(before) - set(wanted)) or None)  # fmt: skip
    db.session.commit()
    forget_cached_settings()
    return partner


def add_partner_origins(slug: str, origins: list[str], *, actor: str = audit.SYSTEM) -> Partner:
    """Allow more origins to embed the partner's widgets."""
    partner = get_partner(slug)
    known = set(partner.origin_list)
    for origin in _normalized_origins(origins):
        if origin not in known:
            partner.origins.append(PartnerOrigin(origin=origin))
    audit.record(actor, "partner.origins_add", f"partner:{slug}", origins=origins)
    db.session.commit()
    forget_cached_settings()
    return partner


def remove_partner_origins(slug: str, origins: list[str], *, actor: str = audit.SYSTEM) -> Partner:
    """Stop an origin from embedding the partner's widgets."""
    partner = get_partner(slug)
    gone = set(_normalized_origins(origins))
    partner.origins = [o for o in partner.origins if o.origin not in gone]
    audit.record(actor, "partner.origins_remove", f"partner:{slug}", origins=sorted(gone))
    db.session.commit()
    forget_cached_settings()
    return partner


def checked_webhook_url(url: str) -> str:
    """A webhook address the worker can POST to, or InvalidInput saying what is wrong. It
    is checked whole here, when it is set, so a typo never reaches the outbox."""
    url = url.strip()
    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidInput(f"a web address has no spaces or line breaks: {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise InvalidInput(f"not a web address: {url!r}") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(f"not a web address (https://…): {url!r}")
    if port == 0 or parts.username or parts.password:
        raise InvalidInput(f"a webhook address has no user, password or port 0: {url!r}")
    if not current_app.config["DEVELOPMENT_WEBHOOKS"]:
        # The real check is made at each connection (outbox.safe_http); these are the
        # mistakes that can be told now.
        if parts.scheme != "https":
            raise InvalidInput(f"webhooks go over https only: {url!r}")
        if parts.hostname == "localhost" or _is_inside_address(parts.hostname):
            raise InvalidInput(
                f"a webhook cannot point at this machine or a private network: {url!r}"
            )
    return url


def _is_inside_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: resolved and checked when the webhook is sent
    return not address.is_global or address.is_multicast


def set_partner_webhook(
    slug: str, url: str | None, *, actor: str = audit.SYSTEM
) -> tuple[Partner, str | None]:
    """Send this partner its opted-in signers and erasures at ``url`` (None stops it).

    Returns the partner and a new signing secret, to hand to the partner once.
    """
    partner = get_partner(slug)
    if url is None:
        partner.webhook_url = partner.webhook_secret = None
        audit.record(actor, "partner.webhook_stop", f"partner:{slug}")
        db.session.commit()
        return partner, None
    partner.webhook_url = checked_webhook_url(url)
    partner.webhook_secret = new_webhook_secret()
    audit.record(actor, "partner.webhook", f"partner:{slug}", url=url)
    db.session.commit()
    return partner, partner.webhook_secret
