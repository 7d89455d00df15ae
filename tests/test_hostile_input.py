"""Whatever a client sends: never a 500, never a half-stored signature."""

from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import make_partner, make_petition
from tests.helpers import form_token
from widget.core.extensions import db
from widget.core.models import OutboxMessage, Signature, SignatureToken
from widget.counting.tallies import verify_count

FORM = "/embed/save-the-bees?partner=friends-of-bees"
FIELDS = [
    "first_name",
    "last_name",
    "email",
    "country",
    "postcode",
    "consent",
    "partner_opt_in",
    "lead_opt_in",
    "website",
    "token",
]
PLAUSIBLE = {
    "first_name": st.sampled_from(["Ada", "Zoë", "=cmd|' /C calc'!A0", "<b>x</b>", "A\r\nB"]),
    "email": st.sampled_from(["ada@example.org", "a@b", "x@y.example\nBcc: z@z.example", ""]),
    "country": st.sampled_from(["DE", "FR", "XX", "", "de"]),
    "consent": st.sampled_from(["y", "", "no"]),
}
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def petition(app):
    make_partner()
    return make_petition()


def assert_nothing_half_stored(petition):
    db.session.rollback()
    signatures = db.session.scalar(select(func.count()).select_from(Signature))
    tokens = db.session.scalar(select(func.count()).select_from(SignatureToken))
    mails = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "confirm")
    )
    assert signatures == tokens == mails
    assert verify_count(petition.id) == []


def field_values():
    anything = st.text(max_size=300) | st.text(
        alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So", "Lo"]),
        max_size=50,
    )
    return st.fixed_dictionaries(
        {},
        optional={name: PLAUSIBLE.get(name, anything) | anything for name in FIELDS},
    )


@HYPOTHESIS
@given(data=field_values(), use_real_token=st.booleans())
def test_arbitrary_form_data(client, petition, data, use_real_token):
    if use_real_token:
        data["token"] = form_token(client.get(FORM).get_data(as_text=True))
    response = client.post(FORM, data=data)
    assert response.status_code in {200, 403, 413, 422, 429}, response.status_code
    assert "Set-Cookie" not in response.headers
    assert_nothing_half_stored(petition)


@HYPOTHESIS
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes(client, petition, body):
    response = client.post(FORM, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {200, 400, 403, 413, 422}, response.status_code
    assert_nothing_half_stored(petition)


@HYPOTHESIS
@given(raw=st.binary(min_size=1, max_size=200))
def test_invalid_utf8_in_every_field(client, petition, raw):
    token = form_token(client.get(FORM).get_data(as_text=True))
    body = "&".join(f"{name}={quote_from_bytes(raw)}" for name in FIELDS if name != "token")
    response = client.post(
        FORM, data=f"token={token}&{body}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in {200, 422, 429}, response.status_code
    assert_nothing_half_stored(petition)


@pytest.mark.parametrize(
    "path",
    [
        "/embed/%ff%fe",
        "/p/" + "a" * 5000,
        "/api/v1/petitions/%00",
        "/s/%ff/confirm",
        "/embed/save-the-bees?partner=%ff&lang=%00&ref=%ff&color=%ff",
    ],
)
def test_odd_urls_are_not_server_errors(client, petition, path):
    assert client.get(path).status_code < 500
