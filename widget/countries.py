"""Countries a signer can pick, named in the signer's language (Babel's CLDR data)."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from babel.core import get_global

# CLDR lists groupings and reserved codes (EU, Canary Islands ...) beside ISO 3166-1 ones.
NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@cache
def country_codes() -> frozenset[str]:
    territories = Locale("en").territories
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
    names = Locale.parse(locale).territories
    pairs = ((code, names.get(code, code)) for code in country_codes())
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


def likely_country(locale: str) -> str | None:
    """The country CLDR associates with a language (de -> DE), if it is one we list."""
    subtags = get_global("likely_subtags").get(locale.split("_")[0].split("-")[0], "")
    region = subtags.rsplit("_", 1)[-1] if subtags.count("_") else ""
    return region if region in country_codes() else None
