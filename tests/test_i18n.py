import pytest
from babel import Locale

from tests.factories import make_partner, make_petition
from widget.i18n.locales import AUTONYMS, language_choices, match_locale, supported_locales


@pytest.fixture
def petition(app):
    make_partner()
    return make_petition(
        texts={"de": {"title": "Rettet die Bienen", "summary": "Bienen brauchen uns."}}
    )


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("de", "de"), ("DE-at", "de"), ("fr_CH", "fr"), ("xx", None), ("", None), (None, None)],
)
def test_match_locale(tag, expected):
    assert match_locale(tag, ["en", "de", "fr"]) == expected


def test_lang_parameter_chooses_interface_and_text(client, petition):
    html = client.get("/embed/save-the-bees?lang=de").get_data(as_text=True)
    assert '<html lang="de" dir="ltr"' in html
    assert "<h1>Rettet die Bienen</h1>" in html
    assert '<div class="petition">' in html  # text in the interface language: no lang


def test_accept_language_is_next(client, petition):
    html = client.get(
        "/embed/save-the-bees", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"}
    ).get_data(as_text=True)
    assert '<html lang="de"' in html and "Rettet die Bienen" in html


def test_lang_parameter_beats_accept_language(client, petition):
    html = client.get("/embed/save-the-bees?lang=en", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    assert '<html lang="en"' in html and "Save the bees" in html


def test_unsupported_language_falls_back_to_the_petition_default(client, app):
    make_petition("bienen", locale="de", title="Rettet die Bienen")
    html = client.get("/embed/bienen?lang=ja", headers={"Accept-Language": "ja"}).get_data(
        as_text=True
    )
    assert '<html lang="de"' in html


def test_missing_text_falls_back_to_default_language_marked_with_lang(client, petition):
    html = client.get("/embed/save-the-bees?lang=fr").get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert '<div class="petition" lang="en">' in html
    assert "<h1>Save the bees</h1>" in html


def test_the_language_menu_names_each_language_in_itself_as_cldr_does(app):
    # The names are written out (loading every locale's CLDR data costs ~30 MB a worker);
    # this keeps them equal to Babel's, and a new catalogue still gets a name.
    names = dict(language_choices())
    assert names.keys() == set(supported_locales())
    for code, name in names.items():
        assert name == Locale.parse(code).get_display_name(code), code
    assert set(AUTONYMS) <= set(supported_locales())
