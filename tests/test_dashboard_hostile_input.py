"""Whatever a logged-in user (or anyone) sends to the dashboard: a clear answer, never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dashboard import csrf_of, log_in, make_operator
from tests.factories import make_partner, make_petition, sign

NASTY = [
    "", " ", "\x00", "x" * 100_000, "=cmd|' /C calc'!A0", "<script>alert(1)</script>",
    "-1", "99999999999999999999999", "1e9", "NaN", "../../etc/passwd", "ÿ\u202eabc", "😀",
    "2026-13-45", "null", "[]",
]  # fmt: skip
POSTS = {
    "/dashboard/petitions/new": ["slug", "title", "locale", "goal"],
    "/dashboard/petitions/save-the-bees/settings": [
        "goal", "default_locale", "counts_on", "privacy_contact", "retention_days", "controller",
    ],
    "/dashboard/petitions/save-the-bees/texts/de": [
        "title", "summary", "body", "consent_statement",
    ],
    "/dashboard/petitions/save-the-bees/open": ["closes_at"],
    "/dashboard/partners/new": ["slug", "name", "website", "country", "origins"],
    "/dashboard/partners/friends-of-bees": ["name", "website", "country", "origins"],
    "/dashboard/petitions/save-the-bees/external": ["delta", "country", "partner", "note"],
    "/dashboard/petitions/save-the-bees/fraud": [
        "action", "ip_hash", "email_domain", "partner", "since", "until", "reason", "confirmed",
    ],
    "/dashboard/erasure": ["email", "confirmed"],
    "/dashboard/users": ["email", "name", "role", "partner"],
    "/dashboard/users/1/active": ["active"],
}  # fmt: skip
GETS = [
    "/dashboard/petitions/save-the-bees/breakdown",
    "/dashboard/petitions/save-the-bees/breakdown.csv",
    "/dashboard/petitions/save-the-bees/signatures.csv",
    "/dashboard/partners/friends-of-bees/embed",
    "/dashboard/petitions/save-the-bees/fraud",
    "/dashboard/audit",
    "/dashboard/",
]
QUERY_KEYS = ["partner", "country", "since", "until", "state", "petition", "lang", "color",
              "hours", "page", "ip_hash", "next"]  # fmt: skip
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def operator(client, app):
    petition = make_petition()
    partner = make_partner()
    sign(petition, partner)
    make_operator()
    log_in(client, "op@lead.example")
    return client


@pytest.mark.parametrize("url", sorted(POSTS))
def test_nasty_values_in_every_dashboard_form_never_cause_a_500(operator, url):
    token = csrf_of(operator.get("/dashboard/account").text)
    for value in NASTY:
        data = {field: value for field in POSTS[url]}
        response = operator.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, (url, value[:40])
        assert response.status_code in (200, 302, 400, 404, 413), (url, value[:40])


@given(
    url=st.sampled_from(GETS),
    params=st.dictionaries(st.sampled_from(QUERY_KEYS), st.text(max_size=40), max_size=5),
)
@HYPOTHESIS
def test_any_query_string_on_dashboard_pages_is_answered(operator, url, params):
    response = operator.get(url, query_string=params)
    assert response.status_code < 500, (url, params)


def test_garbage_login_attempts_are_answered_clearly(client, app):
    make_operator()
    token = csrf_of(client.get("/dashboard/login").text)
    for value in NASTY[:8]:
        response = client.post(
            "/dashboard/login", data={"email": value, "password": value, "csrf_token": token}
        )
        assert response.status_code in (200, 400, 413, 429), value[:40]
        if response.status_code == 400:  # NUL: never stored, explained
            assert "\x00" in value
            assert "Please remove the invisible control characters." in response.text
