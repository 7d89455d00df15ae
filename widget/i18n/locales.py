"""Supported locales and the choice of locale for a request."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po, write_po
from flask import current_app, g, request

from widget.i18n.cldr import locale_for

SOURCE_LOCALE = "en"
# The 24 official languages of the EU: every one has a complete catalogue (tested).
EU_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip


def discover_locales(translations_dir: Path) -> list[str]:
    """The source language plus every catalogue in translations/ (a new one needs no code)."""
    found = {p.parent.parent.name for p in translations_dir.glob("*/LC_MESSAGES/messages.po")}
    return sorted(found | {SOURCE_LOCALE})


def supported_locales() -> list[str]:
    return current_app.config["LOCALES"]


def match_locale(tag: str | None, supported: list[str]) -> str | None:
    """Map a language tag such as ``de-AT`` or ``pt_BR`` to a supported locale, if any."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    lowered = {s.lower(): s for s in supported}
    if tag.lower() in lowered:
        return lowered[tag.lower()]
    return lowered.get(tag.split("-", 1)[0].lower())


def select_locale() -> str:
    """Interface language: the embed's ``lang`` (or the dashboard user's choice), then
    Accept-Language, then the petition's."""
    supported = supported_locales()
    chosen = match_locale(request.args.get("lang") or g.get("preferred_locale"), supported)
    if chosen:
        return chosen
    best = request.accept_languages.best_match(supported)
    if best:
        return best
    return g.get("fallback_locale") or current_app.config["BABEL_DEFAULT_LOCALE"]


def language_choices() -> list[tuple[str, str]]:
    """(code, the language's name in itself) for every supported locale."""
    return [(code, _native_name(code)) for code in supported_locales()]


# Each language's name in itself (CLDR's, as Babel gives them), written out: asking Babel
# for them loads all 24 languages' CLDR data, about 30 MB in every worker, for one menu.
AUTONYMS = {
    "bg": "български", "cs": "čeština", "da": "dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "español", "et": "eesti", "fi": "suomi", "fr": "français",
    "ga": "Gaeilge", "hr": "hrvatski", "hu": "magyar", "it": "italiano", "lt": "lietuvių",
    "lv": "latviešu", "mt": "Malti", "nl": "Nederlands", "pl": "polski", "pt": "português",
    "ro": "română", "sk": "slovenčina", "sl": "slovenščina", "sv": "svenska",
}  # fmt: skip


@cache
def _native_name(code: str) -> str:
    return AUTONYMS.get(code) or Locale.parse(code).get_display_name(code)


def request_locale() -> Locale:
    """Flask-Babel's locale selector: the chosen language as one Locale object per
    language and process, reading its slice of CLDR (see locale_data)."""
    return locale_for(select_locale())


def text_direction(locale: str) -> str:
    try:
        return locale_for(locale).text_direction
    except (ValueError, UnknownLocaleError):
        return "ltr"


def fill_source_catalogue(translations_dir: Path) -> int:
    """Make the English catalogue say its own words (English is the source language).

    Keeps `en` complete after every `translate update`; returns the entries filled.
    """
    path = translations_dir / SOURCE_LOCALE / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalogue = read_po(f, locale=SOURCE_LOCALE)
    filled = 0
    for message in catalogue:
        if message.id and not (
            message.string if isinstance(message.string, str) else all(message.string)
        ):
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalogue, width=100)
    return filled
