"""Each language's slice of CLDR that the signer pages use, without loading all of CLDR.

The first time Babel needs anything of a language (its text direction, a country name, a
number format) it loads the whole of that language's CLDR data and the root it inherits
from, 3.2 MB for English, plus Babel's global data (likely subtags and more), 2.3 MB, and
about 1 MB per further language: in every gunicorn worker, for a form that reads a few
dozen values of it. So the build step (`python3 dev.py`, `flask translate compile`)
writes those values, per language, to translations/<code>/cldr.json, and `locale_for()`
gives a Babel Locale that reads them first. Anything else (a date on the dashboard, say)
makes it load the language's full CLDR data as Babel would, so every Babel function still
answers exactly as before; the slices only decide what a worker has to hold.

A slice written by another Babel version than the one installed is ignored (Babel's own
data is used instead), so an upgrade can never show stale names or formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import babel
import babel.core
from babel import Locale, localedata
from babel.core import parse_locale
from babel.localedata import LocaleDataDict
from babel.numbers import parse_pattern
from babel.plural import PluralRule

from widget.core.settings import TRANSLATIONS_DIR

SLICE_FILE = "cldr.json"


def slice_path(code: str, translations_dir: Path = TRANSLATIONS_DIR) -> Path:
    return translations_dir / code / SLICE_FILE


# --- written at build time (loads Babel's full data) -------------------------------------


def locale_slice(code: str) -> dict:
    """What the signer pages read of one language's CLDR data, as JSON-ready values."""
    locale = Locale.parse(code)
    systems = {"latn", locale.default_numbering_system}
    return {
        "babel": babel.__version__,
        "locale": str(locale),
        "likely_territory": _babels_likely_territory(code),
        "data": {
            "character_order": locale.character_order,
            "default_numbering_system": locale.default_numbering_system,
            "plural_form": dict(locale.plural_form.rules),
            # Country codes only: regions ("150"), groupings and variants are never shown.
            "territories": {
                territory: name
                for territory, name in locale.territories.items()
                if len(territory) == 2 and territory.isalpha()
            },
            "number_symbols": {
                system: dict(locale.number_symbols[system]) for system in sorted(systems)
            },
            "decimal_formats": {"": locale.decimal_formats[None].pattern},
            "percent_formats": {"": locale.percent_formats[None].pattern},
        },
    }


def write_slices(
    codes: Iterable[str] | None = None, translations_dir: Path = TRANSLATIONS_DIR
) -> None:
    """Write the slices of these languages; by default, of every language that has a
    catalogue, and of English, the source language.

    Needs Babel and the standard library only: the wheel's build step runs it too."""
    if codes is None:
        found = {p.parent.parent.name for p in translations_dir.glob("*/LC_MESSAGES/messages.po")}
        codes = sorted(found | {"en"})
    for code in codes:
        path = slice_path(code, translations_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(locale_slice(code), ensure_ascii=False, sort_keys=True))


# --- read by the app (loads nothing of CLDR until something outside the slice is asked) ---


class _SliceOrFullData(dict):
    """The slice; a key it lacks loads the language's full CLDR data (once) and is read
    from there, so the answer is always Babel's."""

    def __init__(self, identifier: str, values: dict) -> None:
        super().__init__(values)
        self._identifier = identifier

    def __missing__(self, key):
        for name, value in localedata.load(self._identifier).items():
            self.setdefault(name, value)
        return dict.__getitem__(self, key)


class SlicedLocale(Locale):
    """A Babel Locale whose data comes from its slice first (see the module's docstring)."""

    def __init__(self, code: str, values: dict) -> None:
        super().__init__(*parse_locale(code))
        self._sliced = LocaleDataDict(_SliceOrFullData(str(self), values))

    @property
    def _data(self) -> LocaleDataDict:
        return self._sliced


def _from_json(data: dict) -> dict:
    return {
        **data,
        "plural_form": PluralRule(data["plural_form"]),
        "decimal_formats": {None: parse_pattern(data["decimal_formats"][""])},
        "percent_formats": {None: parse_pattern(data["percent_formats"][""])},
    }


@cache
def read_slice(code: str, translations_dir: Path = TRANSLATIONS_DIR) -> dict | None:
    """The slice written for this language by the installed Babel version, if any."""
    try:
        written = json.loads(slice_path(code, translations_dir).read_text())
    except (OSError, ValueError):
        return None
    return written if written.get("babel") == babel.__version__ else None


@cache
def locale_for(code: str) -> Locale:
    """The Locale for a language code: sliced when its slice was written, else Babel's.
    One object per code and process, so a request does not parse its locale again."""
    written = read_slice(code)
    if written is None:
        return Locale.parse(code)
    return SlicedLocale(written["locale"], _from_json(written["data"]))


def likely_territory(code: str) -> str | None:
    """The territory CLDR's likely subtags give a language (de -> DE), if any."""
    written = read_slice(code)
    return written["likely_territory"] if written is not None else _babels_likely_territory(code)


def _babels_likely_territory(code: str) -> str | None:
    subtags = babel.core.get_global("likely_subtags").get(code.split("_")[0].split("-")[0], "")
    return subtags.rsplit("_", 1)[-1] if subtags.count("_") else None
