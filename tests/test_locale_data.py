"""Each language's slice of CLDR: the same answers as Babel's, without loading CLDR."""

import json
from datetime import date

import babel
import babel.core
import pytest
from babel import Locale, localedata
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.settings import TRANSLATIONS_DIR
from widget.i18n import countries
from widget.i18n.cldr import (
    SlicedLocale,
    likely_territory,
    locale_for,
    locale_slice,
    read_slice,
    write_slices,
)
from widget.i18n.countries import country_codes, country_name, likely_country
from widget.i18n.locales import discover_locales, text_direction
from widget.web import templating

from .factories import make_partner, make_petition
from .helpers import sign_via_form

LOCALES = discover_locales(TRANSLATIONS_DIR)


@pytest.mark.parametrize("code", LOCALES)
def test_every_language_has_a_current_slice(code):
    # Written by the build step (dev.py, `flask translate compile`), as the .mo files are.
    locale = locale_for(code)
    assert isinstance(locale, SlicedLocale)
    assert str(locale) == str(Locale.parse(code))


@pytest.mark.parametrize("code", LOCALES)
def test_a_slice_answers_as_babel_does(code):
    sliced, full = locale_for(code), Locale.parse(code)
    assert sliced.text_direction == full.text_direction
    assert sliced.default_numbering_system == full.default_numbering_system
    for country in country_codes():
        assert sliced.territories.get(country) == full.territories.get(country)
    for n in (*range(0, 240), 1001, 1_000_000, 2.5):
        assert sliced.plural_form(n) == full.plural_form(n), n
    assert (
        likely_territory(code)
        == babel.core.get_global("likely_subtags")[full.language].rsplit("_", 1)[-1]
    )


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(LOCALES),
    n=st.integers(min_value=-(10**12), max_value=10**12),
    share=st.floats(min_value=0, max_value=2, allow_nan=False),
)
def test_numbers_are_formatted_as_babel_formats_them(code, n, share):
    sliced, full = locale_for(code), Locale.parse(code)
    assert format_decimal(n, locale=sliced) == format_decimal(n, locale=full)
    assert format_percent(share, locale=sliced) == format_percent(share, locale=full)


def test_anything_outside_the_slice_comes_from_babels_full_data():
    sliced = locale_for("de")
    assert format_date(date(2026, 3, 1), "long", locale=sliced) == "1. März 2026"
    assert sliced.territories["AT"] == "Österreich"  # the slice still answers after that


def test_a_slice_from_another_babel_version_is_ignored(tmp_path):
    write_slices(["fr"], tmp_path)
    assert read_slice("fr", tmp_path)["locale"] == "fr"
    written = json.loads((tmp_path / "fr" / "cldr.json").read_text())
    written["babel"] = "0.1"
    (tmp_path / "fr" / "cldr.json").write_text(json.dumps(written))
    read_slice.cache_clear()
    assert read_slice("fr", tmp_path) is None


def test_a_slice_holds_country_names_not_all_of_cldr():
    data = locale_slice("en")["data"]
    assert data["territories"]["GB"] == "United Kingdom"
    assert "001" not in data["territories"]  # "World": a region, never a country
    assert "months" not in data and "time_zones" not in data


def test_countries_and_directions_read_the_slices():
    assert country_name("DE", "fr") == "Allemagne"
    assert likely_country("pl") == "PL"
    assert text_direction("de") == "ltr"


@pytest.fixture
def app_config() -> dict:
    # One signature per language from the test client's one address.
    return {"RATE_LIMIT_PER_IP": "100/minute"}


@pytest.fixture
def babel_loads(monkeypatch):
    """Every time anything asks Babel for a language's CLDR data or its global data."""
    loads = []
    load, get_global = localedata.load, babel.core.get_global

    def recording_load(name, *args, **kwargs):
        loads.append(name)
        return load(name, *args, **kwargs)

    def recording_get_global(key):
        loads.append(f"global:{key}")
        return get_global(key)

    monkeypatch.setattr(localedata, "load", recording_load)
    monkeypatch.setattr(babel.core, "get_global", recording_get_global)
    # Start from nothing: drop what earlier tests left in this process's caches.
    for cached in (
        locale_for,
        read_slice,
        countries.country_codes,
        countries.country_choices,
        countries.option_tags,
        countries.render_country_options,
        templating._plural_examples,
        templating.plural_templates,
        templating.plural_attributes,
        templating.goal_progress,
    ):
        cached.cache_clear()
    return loads


def test_serving_signers_in_every_language_loads_none_of_cldr(app, client, babel_loads):
    make_petition(goal=1000)
    make_partner()
    for code in LOCALES:
        query = f"?partner=friends-of-bees&lang={code}"
        signed = sign_via_form(client, f"/embed/save-the-bees{query}", email=f"{code}@example.org")
        assert signed.status_code == 200, (code, signed.status_code)
        assert client.get(f"/embed/save-the-bees/counter{query}").status_code == 200
        assert client.get(f"/p/save-the-bees{query}").status_code == 200
    # Each of these would have loaded 1-3 MB of CLDR data per language in every worker.
    assert babel_loads == []


def test_the_load_check_sees_a_language_loaded(app, babel_loads):
    format_date(date(2026, 3, 1), "long", locale=locale_for("de"))
    assert babel_loads == ["de"]
