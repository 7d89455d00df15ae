"""Running a campaign from the dashboard: petitions, texts, settings, partners, embed codes,
every change in the audit log."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.dashboard import log_in, make_operator, make_partner_user, post_form
from tests.factories import make_partner, make_petition, sign
from widget.campaign.consent import statements_for
from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import AuditEntry, CountingPolicy, PetitionStatus


@pytest.fixture
def operator(client, app):
    make_operator()
    log_in(client, "op@lead.example")
    return client


def audit_actions() -> list[tuple[str, str, str]]:
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.actor, e.action, e.subject) for e in entries]


def test_create_a_petition_add_a_language_and_open_it(operator):
    response = post_form(operator, "/dashboard/petitions/new", {
        "slug": "clean-rivers", "title": "Clean rivers", "locale": "en", "goal": "5000",
    })  # fmt: skip
    assert response.headers["Location"] == "/dashboard/petitions/clean-rivers/settings"
    petition = get_petition("clean-rivers")
    assert petition.status == PetitionStatus.DRAFT and petition.goal == 5000

    post_form(operator, "/dashboard/petitions/clean-rivers/texts/de", {
        "title": "Saubere Flüsse", "summary": "Für saubere Flüsse.",
        "body": "Absatz eins.\n\nZwei.", "consent_statement": "",
    })  # fmt: skip
    db.session.expire_all()
    assert get_petition("clean-rivers").text_in("de").title == "Saubere Flüsse"

    response = post_form(operator, "/dashboard/petitions/clean-rivers/open", {"closes_at": ""},
                         page_url="/dashboard/petitions/clean-rivers/settings")  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert get_petition("clean-rivers").status == PetitionStatus.OPEN
    assert operator.get("/p/clean-rivers?lang=de").status_code == 200

    post_form(operator, "/dashboard/petitions/clean-rivers/close", {},
              page_url="/dashboard/petitions/clean-rivers/settings")  # fmt: skip
    db.session.expire_all()
    assert get_petition("clean-rivers").status == PetitionStatus.CLOSED
    actions = [a for _, a, _ in audit_actions()]
    assert actions[-4:] == ["petition.create", "petition.text", "petition.open", "petition.close"]
    assert {actor for actor, action, _ in audit_actions() if action.startswith("petition.")} == {
        "op@lead.example"
    }


def test_new_petition_form_explains_bad_input(operator):
    make_petition("taken")
    for data, message in [
        ({"slug": "Not A Slug!", "title": "x", "locale": "en", "goal": "1"},
         "Use lower-case letters, digits and hyphens only"),
        ({"slug": "taken", "title": "x", "locale": "en", "goal": "1"},
         "A petition with this short name exists already."),
        ({"slug": "ok", "title": "", "locale": "en", "goal": "1"}, "Please enter a title."),
        ({"slug": "ok", "title": "x", "locale": "en", "goal": "-5"}, "Number must be at least 0."),
        ({"slug": "ok", "title": "x", "locale": "xx", "goal": "1"}, "Not a valid choice."),
    ]:  # fmt: skip
        response = post_form(operator, "/dashboard/petitions/new", data)
        assert response.status_code == 200, data
        assert "Please correct the marked fields." in response.text
        assert message in html.unescape(response.text), data


def test_settings_change_goal_policy_embedding_and_privacy(operator):
    make_petition()
    response = post_form(operator, "/dashboard/petitions/save-the-bees/settings", {
        "goal": "250000", "default_locale": "en", "counts_on": "confirmation",
        "is_embeddable_anywhere": "y", "lead_organisation": "Bee Alliance",
        "controller": "Bee Alliance, Main St 1", "privacy_contact": "dpo@bees.example",
        "retention_days": "90",
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    petition = get_petition("save-the-bees")
    assert petition.goal == 250000
    assert petition.counts_on == CountingPolicy.ON_CONFIRMATION
    assert petition.is_embeddable_anywhere and not petition.holds_over_limit
    assert petition.retention_days == 90 and petition.privacy_contact == "dpo@bees.example"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "petition.update")
    ).one()
    assert entry.details["goal"] == 250000 and entry.details["counts_on"] == "confirmation"


def test_editing_the_consent_statement_makes_a_new_version(operator, app):
    petition = make_petition()
    sign(petition, email="before@example.org")
    before = statements_for(petition, None, "en")
    post_form(operator, "/dashboard/petitions/save-the-bees/texts/en", {
        "title": "Save the bees", "summary": "", "body": "",
        "consent_statement": "Bee Alliance keeps my name and email for this petition only.",
    })  # fmt: skip
    db.session.expire_all()
    after = statements_for(get_petition("save-the-bees"), None, "en")
    assert after[0].text.startswith("Bee Alliance keeps my name")
    assert after[0].text_hash != before[0].text_hash
    page = operator.get("/dashboard/petitions/save-the-bees/texts/en").text
    assert "earlier signers keep the version they saw" in page


def test_text_page_for_an_unsupported_language_is_a_404(operator):
    make_petition()
    assert operator.get("/dashboard/petitions/save-the-bees/texts/xx").status_code == 404


def test_add_and_edit_a_partner_and_its_origins(operator):
    response = post_form(operator, "/dashboard/partners/new", {
        "slug": "river-friends", "name": "River Friends", "website": "https://rivers.example",
        "country": "nl", "origins": "https://rivers.example\nhttps://www.rivers.example/path",
    })  # fmt: skip
    assert response.headers["Location"] == "/dashboard/partners/river-friends/embed"
    partner = get_partner("river-friends")
    assert partner.country == "NL"
    assert partner.origin_list == ["https://rivers.example", "https://www.rivers.example"]

    post_form(operator, "/dashboard/partners/river-friends", {
        "slug": "changed", "name": "River Friends NL", "website": "", "country": "NL",
        "origins": "https://www.rivers.example\nhttps://campaign.rivers.example",
    })  # fmt: skip
    db.session.expire_all()
    partner = get_partner("river-friends")  # the slug stays: it is in every embed code
    assert partner.name == "River Friends NL"
    assert partner.origin_list == ["https://campaign.rivers.example", "https://www.rivers.example"]
    update = [e for e in db.session.scalars(select(AuditEntry)) if e.action == "partner.update"]
    assert update[0].details["origins_removed"] == ["https://rivers.example"]
    assert update[0].details["origins_added"] == ["https://campaign.rivers.example"]


def test_partner_form_explains_bad_origins_and_countries(operator):
    response = post_form(operator, "/dashboard/partners/new", {
        "slug": "x", "name": "X", "website": "", "country": "ZZ", "origins": "not a website",
    })  # fmt: skip
    text = html.unescape(response.text)
    assert "not a website is not a website address like https://www.example.org." in text
    assert "Please enter a two-letter country code, e.g. DE." in text


def test_embed_code_page_has_three_variants_options_and_a_live_preview(operator):
    make_petition(texts={"de": {"title": "Rettet die Bienen"}})
    make_partner()
    page = operator.get(
        "/dashboard/partners/friends-of-bees/embed?widget_lang=de&color=%231a7f37"
    ).text
    text = html.unescape(page)
    assert 'data-petition="save-the-bees" data-partner="friends-of-bees" data-lang="de"' in text
    assert 'data-color="#1a7f37"' in text
    assert '<iframe src="http://widget.test/embed/save-the-bees?partner=friends-of-bees' in text
    assert 'data-variant="counter"' in text
    assert page.count("data-copy=") == 3
    assert (
        'src="/embed/save-the-bees?partner=friends-of-bees&amp;lang=de&amp;color=%231a7f37"' in page
    )
    assert 'src="/embed/save-the-bees/counter?' in page

    bad = operator.get("/dashboard/partners/friends-of-bees/embed?color=red;x").text
    assert "The colour must look like #1a7f37 or #17a." in bad
    assert "data-color" not in bad


def test_the_live_preview_may_be_framed_by_the_dashboard(operator):
    make_petition()
    make_partner()
    response = operator.get("/embed/save-the-bees?partner=friends-of-bees")
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in operator.get("/dashboard/").headers["Content-Security-Policy"]


def test_partner_user_gets_its_own_embed_codes(app):
    make_petition()
    make_partner()
    make_partner_user("friends-of-bees")
    client = app.test_client()
    log_in(client, "pat@partner.example")
    page = client.get("/dashboard/partners/friends-of-bees/embed")
    assert page.status_code == 200 and "friends-of-bees" in page.text
    assert '/dashboard/partners/friends-of-bees"' not in page.text  # no edit link


def test_audit_log_lists_changes_newest_first(operator):
    make_petition()  # by "system": factories act without a person
    post_form(operator, "/dashboard/petitions/save-the-bees/settings", {
        "goal": "7", "default_locale": "en", "counts_on": "submission",
    })  # fmt: skip
    page = operator.get("/dashboard/audit").text
    assert page.index("petition.update") < page.index("petition.create")
    assert "op@lead.example" in page and "goal: 7" in page
