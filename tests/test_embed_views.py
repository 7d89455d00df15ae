import gzip
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PUBLIC_URL
from tests.factories import make_partner, make_petition, sign
from tests.helpers import form_token, sign_via_form, token_signed, valid_fields
from widget.campaign.petitions import close_petition, set_petition_text
from widget.core.extensions import db
from widget.core.models import CountingPolicy, Signature
from widget.core.settings import STATIC_DIR
from widget.counting.public_count import forget_cached_counts
from widget.counting.reports import add_external_count

FORM = "/embed/save-the-bees?partner=friends-of-bees&ref=https%3A%2F%2Ffriends.example%2Fbees"


@pytest.fixture
def petition(app):
    return make_petition()


@pytest.fixture
def partner(app):
    return make_partner(country="FR")


def stored_signatures() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Signature))


def test_form_renders_labelled_fields_and_petition_text(client, petition, partner):
    response = client.get(FORM)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for field in ("first_name", "last_name", "email", "country", "postcode", "consent"):
        assert re.search(rf'<label[^>]*for="{field}"', html), field
    assert "Save the bees" in html
    assert "Friends of Bees may email me" in html
    assert "Bee Alliance may email me" in html
    assert '<option selected value="FR">France</option>' in html
    assert 'data-parent-origin="https://friends.example"' in html


def test_widget_pages_set_no_cookie(client, petition, partner):
    responses = [
        client.get(FORM),
        sign_via_form(client, FORM),
        client.get("/embed/save-the-bees/counter?partner=friends-of-bees"),
        client.get("/p/save-the-bees"),
        client.get("/embed.js"),
        client.get("/embed/unknown"),
    ]
    for response in responses:
        assert "Set-Cookie" not in response.headers, response.request.path
        response.close()


def test_frame_ancestors_lists_the_partner_origins_and_no_x_frame_options(
    client, petition, partner
):
    response = client.get(FORM)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://friends.example" in csp
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_petition_open_to_any_site_may_be_framed_anywhere(client, app):
    make_petition(is_embeddable_anywhere=True)
    csp = client.get("/embed/save-the-bees").headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp


def test_signing_shows_thanks_with_a_total_that_includes_the_signer(client, petition, partner):
    sign(petition, partner)
    response = sign_via_form(client, FORM, email="new@example.org")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thank you for signing!" in html
    assert '<strong class="count-number">2</strong> people have signed.' in html
    assert "data-announce-count" in html and 'data-count="2"' in html
    row = db.session.scalars(select(Signature).where(Signature.email == "new@example.org")).one()
    assert row.partner_id == partner.id
    assert row.source_url == "https://friends.example/bees"


def test_the_thanks_total_includes_signatures_collected_elsewhere(client, petition, partner):
    # The widget's count includes operators' external counts; the thank-you page must
    # show the same total, not the online signatures alone.
    add_external_count(
        petition.slug, delta=500, country="FR", note="paper forms", actor="operator@example.org"
    )
    response = sign_via_form(client, FORM, email="new@example.org")
    html = response.get_data(as_text=True)
    assert '<strong class="count-number">501</strong> people have signed.' in html
    assert 'data-count="501"' in html


def test_thanks_adds_the_signer_to_a_cached_count_once(app, client, petition, partner):
    # The thank-you page reads no count of its own: it shows the cached one plus the
    # signer, whose signature is newer than anything that copy holds.
    app.config["COUNT_CACHE_SECONDS"] = 60
    sign(petition, partner)
    assert 'data-count="1"' in client.get(FORM).get_data(as_text=True)  # cached: 1
    sign(petition, partner)  # a second signer, not in the cached copy
    html = sign_via_form(client, FORM, email="new@example.org").get_data(as_text=True)
    assert 'data-count="2"' in html  # 1 + the signer; the other arrives with the cache
    forget_cached_counts()  # a fresh copy (read by the form page) holds the others
    html = sign_via_form(client, FORM, email="last@example.org").get_data(as_text=True)
    assert 'data-count="4"' in html


def test_thanks_does_not_add_a_signature_that_waits_for_confirmation(app, client, partner):
    make_petition(counts_on=CountingPolicy.ON_CONFIRMATION)
    html = sign_via_form(client, FORM, email="new@example.org").get_data(as_text=True)
    assert "Thank you for signing!" in html and 'data-count="0"' in html


def test_a_duplicate_sees_the_same_thanks_and_is_not_counted(app, client, petition, partner):
    app.config["COUNT_CACHE_SECONDS"] = 0  # every page reads the count afresh
    first = sign_via_form(client, FORM, email="ada@example.org")
    again = sign_via_form(client, FORM, email="ADA+2@example.org", first_name="Someone")
    assert again.status_code == first.status_code == 200
    assert "Thank you for signing!" in again.get_data(as_text=True)
    assert '<strong class="count-number">1</strong> person has signed.' in again.get_data(
        as_text=True
    )
    assert stored_signatures() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Please enter your first name."),
        ("last_name", "", "Please enter your last name."),
        ("email", "", "Please enter your email address."),
        ("email", "not-an-address", "Please enter a valid email address"),
        ("email", "a@b.example\r\nBcc: x@y.example", "Please enter a valid email address"),
        ("country", "", "Please choose your country."),
        ("country", "XX", "Please choose your country from the list."),
        ("first_name", "x" * 101, "maximum 100 characters"),
        ("postcode", "1" * 17, "maximum 16 characters"),
        ("postcode", "<b>", "only letters, digits"),
        ("first_name", "<script>alert(1)</script>", "cannot contain &lt; or &gt;"),
        ("last_name", "=cmd|' /C calc'!A0", "cannot start with ="),
        ("first_name", "Ada\x00", "invisible control characters"),
        ("consent", None, "Please tick this box to sign."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_keeps_what_was_typed(
    client, petition, partner, field, value, message
):
    response = sign_via_form(
        client,
        FORM,
        **{field: value, "email": "kept@example.org"} if field != "email" else {field: value},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'id="error-summary"' in html and f'href="#{field}"' in html
    assert 'value="Lovelace"' in html or field == "last_name"
    if field != "email":
        assert 'value="kept@example.org"' in html
    assert "<script>alert" not in html
    assert stored_signatures() == 0


def test_names_are_trimmed_and_spaces_collapsed(client, petition, partner):
    sign_via_form(client, FORM, first_name="  Ada   Augusta ")
    assert db.session.scalars(select(Signature)).one().first_name == "Ada Augusta"


def test_a_token_for_another_petition_is_refused(client, app, petition, partner):
    other = make_petition("wasps")
    data = {"token": token_signed(other.id, "friends-of-bees"), **valid_fields()}
    response = client.post(FORM, data=data)
    assert response.status_code == 422
    assert "belongs to another petition" in response.get_data(as_text=True)
    assert stored_signatures() == 0


def test_a_token_for_another_partner_is_refused(client, app, petition, partner):
    data = {"token": token_signed(petition.id, "someone-else"), **valid_fields()}
    assert client.post(FORM, data=data).status_code == 422
    assert stored_signatures() == 0


@pytest.mark.parametrize("token", [None, "", "garbage", "e30.xxx.yyy"])
def test_missing_or_tampered_token_is_refused(client, petition, partner, token):
    data = valid_fields()
    if token is not None:
        data["token"] = token
    response = client.post(FORM, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "could not be checked" in html
    assert 'value="Ada"' in html  # what was typed is kept
    assert stored_signatures() == 0


def test_an_expired_form_is_shown_again_with_a_fresh_token(client, app, petition, partner):
    old = token_signed(petition.id, "friends-of-bees", age=app.config["FORM_MAX_AGE"] + 60)
    response = client.post(FORM, data={"token": old, **valid_fields()})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "open for too long" in html
    assert form_token(html) != old
    retry = client.post(FORM, data={"token": form_token(html), **valid_fields()})
    assert retry.status_code == 200
    assert stored_signatures() == 1


def test_a_form_sent_back_too_fast_is_asked_again(client, app, petition, partner):
    app.config["FORM_MIN_SECONDS"] = 3
    response = sign_via_form(client, FORM)
    assert response.status_code == 422
    assert "That was quick!" in response.get_data(as_text=True)
    assert stored_signatures() == 0
    slow = token_signed(petition.id, "friends-of-bees", age=5)
    assert client.post(FORM, data={"token": slow, **valid_fields()}).status_code == 200
    assert stored_signatures() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": PUBLIC_URL, "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_posts_are_refused(client, petition, partner, headers):
    response = sign_via_form(client, FORM, headers=headers)
    assert response.status_code == 403
    assert "sent from another website" in response.get_data(as_text=True)
    assert stored_signatures() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": PUBLIC_URL, "Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://localhost"},  # the request's own host, as the test client sends it
        {},
    ],
)
def test_same_origin_posts_are_accepted(client, petition, partner, headers):
    assert sign_via_form(client, FORM, headers=headers).status_code == 200
    assert stored_signatures() == 1


def test_honeypot_gets_thanks_but_nothing_is_stored(client, petition, partner):
    response = sign_via_form(client, FORM, website="http://spam.example")
    assert response.status_code == 200
    assert "Thank you for signing!" in response.get_data(as_text=True)
    assert stored_signatures() == 0


def test_closed_petition_shows_a_clear_page(client, petition, partner):
    sign(petition, partner)
    close_petition(petition.slug)
    response = client.get(FORM)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This petition is closed" in html and "<form" not in html
    posted = client.post(FORM, data={"token": "x", **valid_fields()})
    assert "This petition is closed" in posted.get_data(as_text=True)
    assert stored_signatures() == 1


def test_a_draft_petition_is_unknown_to_the_public(client, app):
    make_petition(is_open=False)
    for url in ("/embed/save-the-bees", "/p/save-the-bees", "/api/v1/petitions/save-the-bees"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Save the bees" not in response.text  # not even its title


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/embed/no-such-petition", "This petition does not exist"),
        ("/p/no-such-petition", "This petition does not exist"),
        ("/embed/no-such-petition/counter", "This petition does not exist"),
        ("/embed/save-the-bees?partner=nobody", "not registered for this petition"),
        ("/embed/save-the-bees/counter?partner=nobody", "not registered for this petition"),
    ],
)
def test_unknown_petitions_and_partners_get_a_clear_page(client, petition, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)
    # Readable inside the partner's iframe too.
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in response.headers["Content-Security-Policy"]


def test_unknown_partner_page_links_to_the_petition_page(client, petition):
    html = client.get("/embed/save-the-bees?partner=nobody").get_data(as_text=True)
    assert 'href="/p/save-the-bees"' in html


def test_standalone_page_has_the_form_and_share_previews(client, petition):
    set_petition_text(
        petition.slug, "en", supported_locales=["en"], summary="Bees need us.", body="P1\n\nP2"
    )
    html = client.get("/p/save-the-bees").get_data(as_text=True)
    assert '<meta property="og:title" content="Save the bees">' in html
    assert '<meta property="og:description" content="Bees need us.">' in html
    assert f'<meta property="og:url" content="{PUBLIC_URL}/p/save-the-bees">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "<p>P1</p>\n<p>P2</p>" in html
    assert '<form method="post"' in html
    assert sign_via_form(client, "/p/save-the-bees").status_code == 200
    assert stored_signatures() == 1


def test_counter_page_shows_the_count_and_is_cacheable(client, petition, partner):
    sign(petition, partner)
    response = client.get("/embed/save-the-bees/counter?partner=friends-of-bees")
    html = response.get_data(as_text=True)
    assert '<strong class="count-number">1</strong> person has signed.' in html
    assert 'data-poll="/api/v1/petitions/save-the-bees"' in html
    assert response.headers["Cache-Control"].startswith("public")
    assert (
        "frame-ancestors 'self' https://friends.example"
        in response.headers["Content-Security-Policy"]
    )


def test_accent_colour_is_applied_with_a_readable_text_colour(client, petition, partner):
    response = client.get(FORM + "&color=%23ffdd00")
    html = response.get_data(as_text=True)
    assert "--accent:#ffdd00;--accent-text:#111111" in html
    assert "'sha256-" in response.headers["Content-Security-Policy"]
    dark = client.get(FORM + "&color=123").get_data(as_text=True)
    assert "--accent:#112233;--accent-text:#ffffff" in dark
    ignored = client.get(FORM + "&color=red;}body{display:none").get_data(as_text=True)
    assert "--accent" not in ignored


def test_embed_js_is_served_for_caching(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert "javascript" in response.content_type
    assert "max-age=300" in response.headers["Cache-Control"]
    assert b"petition-widget:height" in response.data
    response.close()


def test_oversized_body_gets_a_clear_413(client, petition, partner):
    response = client.post(FORM, data={"first_name": "x" * 100_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_invalid_utf8_is_not_a_server_error(client, petition, partner):
    body = b"first_name=%FF%FE&last_name=%C3%28&email=a%40b.example&consent=y"
    response = client.post(FORM, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert stored_signatures() == 0


def test_wrong_method_gets_a_page_not_a_500(client, petition):
    assert client.delete("/embed/save-the-bees").status_code == 405
    assert client.post("/embed/save-the-bees/counter").status_code == 405


def test_security_headers_everywhere(client, petition):
    for url in ("/embed/save-the-bees", "/api/v1/petitions/save-the-bees", "/nowhere"):
        headers = client.get(url).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Permissions-Policy" in headers


def test_embed_js_stays_under_two_kilobytes_gzipped():
    source = (STATIC_DIR / "embed.js").read_bytes()
    assert len(gzip.compress(source, compresslevel=9)) <= 2048
