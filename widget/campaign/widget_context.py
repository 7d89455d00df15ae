"""Who embeds a widget, where, and in which colours: resolved once per widget request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from widget.campaign.cached_settings import cached_settings
from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.core.errors import UnknownPartner, UnknownPetition
from widget.core.models import Partner, Petition, PetitionText, utcnow
from widget.core.origins import clean_source_url, origin_of

HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DARK_TEXT, LIGHT_TEXT = "#111111", "#ffffff"


@dataclass(frozen=True)
class Accent:
    """A partner's colour and the text colour that stays readable on it."""

    background: str
    text: str


def parse_accent(value: str | None) -> Accent | None:
    """Accept #rgb or #rrggbb; anything else means the default colours."""
    match = HEX_COLOUR.match(value or "")
    if not match:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    rgb = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    return Accent(f"#{digits}", _readable_text_on(rgb))


def _readable_text_on(rgb: list[float]) -> str:
    # WCAG relative luminance; pick whichever text colour contrasts more.
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    contrast_white = 1.05 / (luminance + 0.05)
    contrast_dark = (luminance + 0.05) / (0.0056 + 0.05)  # #111111 has luminance ~0.0056
    return LIGHT_TEXT if contrast_white >= contrast_dark else DARK_TEXT


@dataclass(frozen=True)
class WidgetContext:
    petition: Petition
    partner: Partner | None
    parent_origin: str | None
    source_url: str | None
    accent: Accent | None

    @property
    def allowed_origins(self) -> list[str]:
        return self.partner.origin_list if self.partner else []

    @property
    def frame_ancestors(self) -> str:
        """CSP frame-ancestors: the partner's registered origins, or any site if opened."""
        if self.petition.is_embeddable_anywhere:
            return "*"
        return " ".join(["'self'", *self.allowed_origins])

    def text_for(self, locale: str) -> PetitionText:
        """The petition text in ``locale``, else in the petition's default language."""
        petition = self.petition
        return (
            petition.text_in(locale)
            or petition.text_in(petition.default_locale)
            or petition.texts[0]
        )


def load_widget_context(
    slug: str,
    *,
    partner_slug: str | None,
    page_url: str | None,
    referrer: str | None,
    colour: str | None,
    preview: bool = False,
) -> WidgetContext:
    """Resolve a widget request; raise UnknownPetition / UnknownPartner. A draft or a
    petition before its opening is unknown to the public; ``preview`` (operators, from the
    dashboard) sees it anyway."""
    petition = cached_settings(("petition", slug), lambda: get_petition(slug))
    if not petition.texts or not (preview or petition.is_public(utcnow())):
        raise UnknownPetition(slug)
    partner = (
        cached_settings(("partner", partner_slug), lambda: get_partner(partner_slug))
        if partner_slug
        else None
    )
    allowed = set(partner.origin_list) if partner else set()

    def is_allowed(origin: str | None) -> bool:
        return origin is not None and (petition.is_embeddable_anywhere or origin in allowed)

    # The embed script passes the page URL; a plain iframe only has the Referer,
    # which browsers cut down to the origin for cross-site requests.
    page_origin, referrer_origin = origin_of(page_url), origin_of(referrer)
    if is_allowed(page_origin):
        parent_origin, source_url = page_origin, clean_source_url(page_url or "")
    elif is_allowed(referrer_origin):
        parent_origin, source_url = referrer_origin, clean_source_url(referrer or "")
    else:
        parent_origin, source_url = None, None
    return WidgetContext(
        petition=petition,
        partner=partner,
        parent_origin=parent_origin,
        source_url=source_url,
        accent=parse_accent(colour),
    )


def require_public(slug: str) -> None:
    """UnknownPetition unless the public may see the petition (the count API's check)."""
    petition = cached_settings(("petition", slug), lambda: get_petition(slug))
    if not petition.is_public(utcnow()):
        raise UnknownPetition(slug)


def may_embed(slug: str, partner_slug: str | None, page_origin: str | None) -> bool:
    """Whether a page on ``page_origin`` may frame the petition for this partner."""
    try:
        context = load_widget_context(
            slug, partner_slug=partner_slug, page_url=page_origin, referrer=None, colour=None
        )
    except (UnknownPetition, UnknownPartner):
        return False
    return context.parent_origin is not None
