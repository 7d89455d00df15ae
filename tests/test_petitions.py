from datetime import timedelta

import pytest

from tests.factories import make_petition
from widget.campaign.petitions import (
    close_petition,
    create_petition,
    get_petition,
    list_petitions,
    open_petition,
    set_petition_text,
    update_petition,
)
from widget.core.errors import InvalidInput, UnknownPetition
from widget.core.models import PetitionStatus, utcnow


def test_create_makes_a_draft_with_its_title(app):
    petition = create_petition(
        "bees", title=" Save the bees ", goal=500, locale="en", supported_locales=["en"]
    )
    assert petition.status == PetitionStatus.DRAFT
    assert petition.languages == ["en"]
    assert petition.text_in("en").title == "Save the bees"
    assert not petition.is_accepting(utcnow())


@pytest.mark.parametrize("slug", ["Bees", "-bees", "bees-", "b e", "", "a" * 65, "bées"])
def test_create_refuses_bad_slugs(app, slug):
    with pytest.raises(InvalidInput):
        create_petition(slug, title="T", goal=1, locale="en", supported_locales=["en"])


def test_create_refuses_duplicate_slug_and_unknown_language(app):
    make_petition("bees")
    with pytest.raises(InvalidInput, match="exists"):
        make_petition("bees")
    with pytest.raises(InvalidInput, match="language"):
        create_petition("other", title="T", goal=1, locale="xx", supported_locales=["en"])


def test_open_and_close_follow_dates(app):
    make_petition("bees", is_open=False)
    now = utcnow()
    petition = open_petition(
        "bees", opens_at=now + timedelta(hours=1), closes_at=now + timedelta(days=1)
    )
    assert not petition.is_accepting(now)
    assert petition.is_accepting(now + timedelta(hours=2))
    assert not petition.is_accepting(now + timedelta(days=2))
    close_petition("bees")
    assert petition.status == PetitionStatus.CLOSED
    assert not petition.is_accepting(now + timedelta(hours=2))


def test_close_later_keeps_it_open_until_then(app):
    make_petition("bees")
    later = utcnow() + timedelta(days=3)
    petition = close_petition("bees", closes_at=later)
    assert petition.status == PetitionStatus.OPEN
    assert petition.is_accepting(utcnow())
    assert not petition.is_accepting(later)


def test_open_refuses_closing_before_opening(app):
    make_petition("bees")
    now = utcnow()
    with pytest.raises(InvalidInput):
        open_petition("bees", opens_at=now, closes_at=now - timedelta(seconds=1))


def test_texts_per_language(app):
    make_petition("bees")
    set_petition_text(
        "bees", "de", supported_locales=["en", "de"], title="Rettet die Bienen", summary="S"
    )
    set_petition_text("bees", "de", supported_locales=["en", "de"], body="Absatz eins")
    petition = get_petition("bees")
    assert petition.languages == ["en", "de"]
    german = petition.text_in("de")
    assert (german.title, german.summary, german.body) == ("Rettet die Bienen", "S", "Absatz eins")


def test_new_language_needs_a_title(app):
    make_petition("bees")
    with pytest.raises(InvalidInput, match="title"):
        set_petition_text("bees", "de", supported_locales=["en", "de"], summary="only")


def test_update_changes_only_what_is_given(app):
    make_petition("bees", goal=10)
    petition = update_petition("bees", goal=20, is_embeddable_anywhere=True)
    assert petition.goal == 20 and petition.is_embeddable_anywhere
    assert petition.lead_organisation == "Bee Alliance"
    with pytest.raises(InvalidInput):
        update_petition("bees", default_locale="de")


def test_unknown_petition(app):
    with pytest.raises(UnknownPetition):
        get_petition("nope")
    assert list_petitions() == []
