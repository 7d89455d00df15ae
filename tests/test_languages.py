"""Every official EU language, end to end: form, errors, thank-you, email, numbers."""

import pytest
from babel import Locale
from flask_babel import force_locale, gettext, ngettext

from tests.factories import make_petition, sign
from tests.helpers import sign_via_form
from widget.i18n.locales import EU_LANGUAGES
from widget.ops.worker import run_worker_once
from widget.outbox.compose import SUBJECTS


def translated(locale: str, message: str, **values) -> str:
    with force_locale(locale):
        return gettext(message, **values)


@pytest.fixture
def petition(app):
    return make_petition(texts={"de": {"title": "Rettet die Bienen"}})


@pytest.mark.parametrize("locale", EU_LANGUAGES)
def test_form_errors_and_thanks_in_every_language(client, petition, locale):
    form = client.get(f"/p/save-the-bees?lang={locale}").get_data(as_text=True)
    assert f'<html lang="{locale}"' in form
    label = translated(locale, "First name")
    assert f'<label class="field-label" for="first_name">{label}</label>' in form
    if locale != "en":
        assert label != "First name"
    country = Locale.parse(locale).territories["DE"]
    assert f'value="DE">{country}</option>' in form

    errors = sign_via_form(client, f"/p/save-the-bees?lang={locale}", first_name="")
    assert errors.status_code == 422
    html = errors.get_data(as_text=True)
    assert translated(locale, "Please enter your first name.") in html
    assert translated(locale, "Please check the form") in html

    thanks = sign_via_form(
        client, f"/p/save-the-bees?lang={locale}", email=f"{locale}@example.org"
    ).get_data(as_text=True)
    assert translated(locale, "Thank you for signing!") in thanks


@pytest.mark.parametrize("locale", EU_LANGUAGES)
def test_confirmation_email_in_every_language(app, petition, smtp, locale):
    sign(petition, locale=locale, first_name="Ada", email=f"{locale}@example.org")
    run_worker_once()
    (mail,) = smtp.messages
    title = "Rettet die Bienen" if locale == "de" else "Save the bees"
    with force_locale(locale):
        assert mail["Subject"] == str(SUBJECTS["confirm"]) % {"title": title}
        greeting = gettext("Hello %(name)s,", name="Ada")
    assert greeting in mail.get_content()
    assert mail["Content-Language"] == locale


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "1.234.567"),
        ("fr", "1\u202f234\u202f567"),
        ("en", "1,234,567"),
        ("pl", "1\xa0234\xa0567"),
    ],
)
def test_numbers_and_plurals_follow_the_locale(app, client, locale, expected):
    make_petition(goal=1_234_567)
    html = client.get(f"/embed/save-the-bees/counter?lang={locale}").get_data(as_text=True)
    with force_locale(locale):
        goal_line = ngettext(
            "Goal: %(goal)s signature", "Goal: %(goal)s signatures", 1_234_567, goal=expected
        )
    assert f'<p class="goal-line">{goal_line}</p>' in html


@pytest.mark.parametrize(("locale", "country"), [("el", "GR"), ("de", "DE"), ("fi", "FI")])
def test_country_preselected_from_the_language(client, petition, locale, country):
    html = client.get(f"/p/save-the-bees?lang={locale}").get_data(as_text=True)
    assert f'<option selected value="{country}">' in html


@pytest.mark.parametrize("locale", EU_LANGUAGES)
def test_privacy_page_in_every_language(client, petition, locale):
    html = client.get(f"/p/save-the-bees/privacy?lang={locale}").get_data(as_text=True)
    assert f'<html lang="{locale}"' in html
    assert f"<h1>{translated(locale, 'How your data is used')}</h1>" in html
    assert translated(locale, "Your rights") in html
