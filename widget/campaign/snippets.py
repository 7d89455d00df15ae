"""The HTML a partner pastes into its site, in three variants."""

from __future__ import annotations

from urllib.parse import urlencode

from flask_babel import force_locale, gettext
from markupsafe import escape

from widget.campaign.partners import get_partner
from widget.campaign.petitions import check_locale, get_petition
from widget.campaign.widget_context import parse_accent
from widget.core.errors import InvalidInput
from widget.i18n.cldr import locale_for

VARIANTS = ("script", "iframe", "counter")
IFRAME_HEIGHT_PX = 1100


def embed_code(
    partner_slug: str,
    petition_slug: str,
    *,
    public_url: str,
    supported_locales: list[str],
    variant: str = "script",
    locale: str | None = None,
    colour: str | None = None,
) -> str:
    """Return the snippet for one partner and petition."""
    if variant not in VARIANTS:
        raise InvalidInput(f"variant must be one of {', '.join(VARIANTS)}")
    partner = get_partner(partner_slug)
    petition = get_petition(petition_slug)
    locale = check_locale(locale, supported_locales) if locale else petition.default_locale
    accent = parse_accent(colour) if colour else None
    if colour and accent is None:
        raise InvalidInput("the colour must look like #1a7f37 or #17a")
    text = petition.text_in(locale) or petition.text_in(petition.default_locale)
    title = text.title if text else petition.slug
    with force_locale(locale_for(locale)):
        if variant == "counter":
            label = gettext("%(title)s: see how many have signed", title=title)
        else:
            label = gettext("Sign the petition: %(title)s", title=title)
    query = {"partner": partner.slug, "lang": locale}
    if accent:
        query["color"] = accent.background
    base = public_url.rstrip("/")
    if variant == "iframe":
        src = f"{base}/embed/{petition.slug}?{urlencode(query)}"
        return (
            f'<iframe src="{escape(src)}" title="{escape(label)}" width="100%" '
            f'height="{IFRAME_HEIGHT_PX}" style="border:0;width:100%;max-width:42rem" '
            f'loading="lazy"></iframe>\n'
        )
    data = {
        "petition": petition.slug,
        "partner": partner.slug,
        "lang": locale,
        **({"variant": "counter"} if variant == "counter" else {}),
        **({"color": accent.background} if accent else {}),
    }
    attributes = " ".join(f'data-{k}="{escape(v)}"' for k, v in data.items())
    link = f"{base}/p/{petition.slug}?{urlencode({'partner': partner.slug, 'lang': locale})}"
    return (
        f'<div class="petition-widget" {attributes}>'
        f'<a href="{escape(link)}">{escape(label)}</a></div>\n'
        f'<script async src="{escape(base)}/embed.js"></script>\n'
    )
