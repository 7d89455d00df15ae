"""Countries a signer can pick, named in the signer's language (Babel's CLDR data, read
from each language's slice: see locale_data)."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from markupsafe import Markup

from widget.i18n.cldr import likely_territory, locale_for

# CLDR lists groupings and reserved codes (EU, Canary Islands ...) beside ISO 3166-1 ones.
NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@cache
def country_codes() -> frozenset[str]:
    territories = locale_for("en").territories
    return (
        frozenset(code for code in territories if len(code) == 2 and code.isalpha()) - NOT_COUNTRIES
    )


def _sort_key(name: str) -> str:
    # Sort "Österreich" with the O's: strip accents, ignore case.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@cache
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, localised name) pairs, sorted by name in that language."""
    names = locale_for(locale).territories
    pairs = ((code, names.get(code, code)) for code in country_codes())
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


def country_name(code: str, locale: str) -> str:
    """The country's name in that language; the code itself if CLDR has none."""
    return locale_for(locale).territories.get(code, code)


def likely_country(locale: str) -> str | None:
    """The country CLDR associates with a language (de -> DE), if it is one we list."""
    region = likely_territory(locale)
    return region if region in country_codes() else None


@cache
def option_tags(locale: str) -> tuple[tuple[str, Markup, Markup], ...]:
    """Each country's <option>, plain and selected, rendered once per language.

    Rendering 250 options through WTForms on every request was most of the form's cost.
    """
    return tuple(
        (
            code,
            Markup('<option value="{}">{}</option>').format(code, name),
            Markup('<option selected value="{}">{}</option>').format(code, name),
        )
        for code, name in country_choices(locale)
    )


@lru_cache(maxsize=512)
def render_country_options(locale: str, selected: str | None) -> Markup:
    # Cached per language and choice: a form shows one of a few preselected countries.
    return Markup(
        "".join(
            chosen if code == selected else plain for code, plain, chosen in option_tags(locale)
        )
    )
