"""The security round: a regression test for every finding (numbered as in the review),
each failing on the code before its fix. Login throttling (2) is tested in
tests/test_dashboard_accounts.py, the access log's redaction (5) in tests/test_privacy.py,
SECRET_KEY's length in tests/test_config.py."""

from __future__ import annotations

import http.server
import logging
import threading
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from tests.conftest import free_port
from tests.dashboard import PASSWORD, csrf_of, log_in, make_operator, make_partner_user, post_form
from tests.factories import make_partner, make_petition, sign
from tests.helpers import form_token, valid_fields
from tests.test_privacy import confirm_all
from widget.accounts import second_factor
from widget.campaign.partners import set_partner_webhook
from widget.core import addresses
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import (
    IpHashKey,
    OutboxMessage,
    OutboxStatus,
    Partner,
    RecoveryCode,
    Signature,
    User,
    utcnow,
)
from widget.ops.gunicorn import RedactErrorLog
from widget.ops.worker import run_worker_once
from widget.signers.erasure import erase_address
from widget.signers.fraud import trending
from widget.signing.limits import is_over_signing_limit

FORM = "/embed/save-the-bees?partner=friends-of-bees"


# --- 1. erasure notices are used up only by their recipient's own POST ------------------------


def test_an_operators_download_does_not_use_up_a_partners_erasure_notices(app, smtp):
    petition = make_petition()
    friends = make_partner()
    sign(petition, friends, email="gone@example.org", partner_opt_in=True)
    confirm_all(smtp)
    make_operator()
    make_partner_user("friends-of-bees")
    operator, partner = app.test_client(), app.test_client()
    log_in(operator, "op@lead.example")
    log_in(partner, "pat@partner.example")
    url = "/dashboard/petitions/save-the-bees/opted-in/friends-of-bees.csv"
    partner.get(url).get_data()  # the partner received the signer
    erase_address("gone@example.org", channel="test", actor="op")
    assert "erase," in operator.get(url).text  # the operator sees it...
    assert "erase," in partner.get(url).text  # ...and it is still there for the partner
    # An operator cannot acknowledge it for the partner; the partner can.
    export = "/dashboard/petitions/save-the-bees/export"
    page = partner.get(export).text
    assert "We have deleted them" in page
    up_to = page.split('name="up_to" value="')[1].split('"')[0]
    ack = {"recipient": "partner:friends-of-bees", "up_to": up_to}
    refused = operator.post(
        "/dashboard/petitions/save-the-bees/erasures-done",
        data={**ack, "csrf_token": csrf_of(operator.get("/dashboard/account").text)},
    )
    assert refused.status_code == 403
    assert "erase," in partner.get(url).text
    post_form(partner, "/dashboard/petitions/save-the-bees/erasures-done", ack, page_url=export)
    assert "erase," not in partner.get(url).text


def test_a_get_never_acknowledges_erasures(app, client):
    make_petition()
    make_partner_user(make_partner().slug)
    log_in(client, "pat@partner.example")
    assert client.get("/dashboard/petitions/save-the-bees/erasures-done").status_code == 405


# --- 3. the count is not cheap to inflate ---------------------------------------------------


@pytest.fixture
def tight_limits(app):
    app.config.update(
        RATE_LIMIT_PER_IP="3/minute",
        RATE_LIMIT_PER_IPV6_56="5/minute",
        RATE_LIMIT_PER_IPV6_48="8/minute",
        RATE_LIMIT_DIRECT="4/minute",
    )
    return app


def test_ipv6_networks_are_limited_as_a_56_and_a_48_too(tight_limits):
    petition = make_petition()
    partner = make_partner()
    # A new /64 every time, all in one /56: the /64 limit alone would never trip.
    over = [
        is_over_signing_limit(f"2001:db8:0:{n:x}::1", partner.slug, petition.id) for n in range(7)
    ]
    assert over == [False] * 5 + [True] * 2
    # Other /56s of the same /48 count towards the /48.
    wider = [
        is_over_signing_limit(f"2001:db8:0:{(n + 1) * 256:x}::1", partner.slug, petition.id)
        for n in range(4)
    ]
    # The /48 counted all seven above (refused ones too): one more fits in its eight.
    assert wider == [False, True, True, True]


def test_signatures_without_a_partner_have_a_cap_per_petition(tight_limits):
    petition = make_petition()
    over = [is_over_signing_limit(f"198.51.100.{n}", None, petition.id) for n in range(6)]
    assert over == [False] * 4 + [True] * 2
    other = make_petition("save-the-trees")
    assert is_over_signing_limit("198.51.100.99", None, other.id) is False


def test_fraud_trending_groups_the_networks_of_one_provider(app):
    petition = make_petition()
    for n in range(6):
        sign(petition, email=f"v6-{n}@example.org", ip=f"2001:db8:5:{n:x}::1")
    sign(petition, email="elsewhere@example.org", ip="2001:db8:9::1")
    since = utcnow() - timedelta(hours=1)
    by_network = trending("save-the-bees", by="ip", since=since)
    by_prefix = trending("save-the-bees", by="prefix", since=since)
    assert max(n for _, n in by_network) == 1  # every /64 hashes differently
    assert by_prefix[0][1] == 6  # one /48


# --- 4. the demo never adds a known password to a real database ------------------------------


def test_the_demo_refuses_a_database_that_holds_more(app, runner):
    make_petition("a-real-campaign")
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "holds more than the demo" in refused.output
    assert db.session.scalar(select(User).where(User.email == "operator@demo.example")) is None
    forced = runner.invoke(args=["demo", "--force"])
    assert forced.exit_code == 0, forced.output


def test_the_demo_prints_random_passwords_that_work(app, runner, client):
    first = runner.invoke(args=["demo"])
    again = runner.invoke(args=["demo"])  # a database holding only the demo: fine
    assert first.exit_code == again.exit_code == 0
    passwords = [
        line.split(" / ")[1].strip()
        for line in (first.output + again.output).splitlines()
        if "operator@demo.example / " in line
    ]
    assert len(set(passwords)) == 2  # new at every seeding, never a published one
    assert log_in(client, "operator@demo.example", passwords[-1]).status_code == 302


# --- 5. no client address in gunicorn's error log --------------------------------------------


def test_the_error_log_names_no_client_address_and_no_link_token():
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1,
                               "Invalid request from ip=203.0.113.9: Invalid HTTP method",
                               None, None)  # fmt: skip
    RedactErrorLog().filter(record)
    assert "203.0.113.9" not in record.getMessage() and "ip=…" in record.getMessage()
    record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                               "Error handling request %s", ("/s/secret-token/confirm?x=1",),
                               None)  # fmt: skip
    RedactErrorLog().filter(record)
    assert "secret-token" not in record.getMessage()


# --- 6. webhooks cannot reach inside ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:6379/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:5432/",
        "https://10.0.0.5/hook",
        "https://localhost/hook",
        "http://hooks.example.org/plain",
    ],
)
def test_webhooks_inside_or_over_plain_http_are_refused_when_set(app, url):
    partner = make_partner()
    with pytest.raises(InvalidInput):
        set_partner_webhook(partner.slug, url)


class Redirecting(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:6379/")
        self.end_headers()

    def log_message(self, *args):
        pass


def _webhook_attempt(app, smtp, url: str) -> OutboxMessage:
    petition = make_petition()
    partner = make_partner()
    set_partner_webhook(partner.slug, "https://hooks.example.org/hook")
    # As if the address had been saved before it was checked, or its name now resolves
    # inside: only the check at connection time stands in the way.
    db.session.execute(update(Partner).values(webhook_url=url))
    db.session.commit()
    sign(petition, partner, email="hooked@example.org", partner_opt_in=True)
    confirm_all(smtp)
    run_worker_once()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()


def test_the_address_is_checked_when_the_webhook_connects(app, smtp):
    message = _webhook_attempt(app, smtp, f"https://127.0.0.1:{free_port()}/hook")
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert "not public" in message.last_error


def test_a_redirect_is_a_failure_never_followed(app, smtp):
    server = http.server.HTTPServer(("127.0.0.1", free_port()), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["DEVELOPMENT_WEBHOOKS"] = True  # this receiver is on this machine, over http
    try:
        message = _webhook_attempt(app, smtp, f"http://127.0.0.1:{server.server_port}/hook")
    finally:
        server.shutdown()
        server.server_close()
    assert message.status == OutboxStatus.FAILED
    assert "redirect" in message.last_error


# --- 7. links are built from known parameters only -------------------------------------------


def test_odd_query_parameters_never_reach_url_for(app, client):
    make_petition()
    make_partner()
    for query in ("slug=x", "endpoint=x", "_external=1", "_anchor=x", "_method=GET"):
        response = client.get(f"{FORM}&{query}")
        assert response.status_code == 200, query


def test_a_forged_host_never_reaches_a_cached_page(app, client):
    make_petition()
    make_partner()
    forged = client.get(f"{FORM}&_external=1", headers={"Host": "evil.example"})
    assert "evil.example" not in forged.text
    page = client.get(FORM)
    assert "evil.example" not in page.text
    assert 'action="/embed/save-the-bees?partner=friends-of-bees"' in page.text


# --- 8. logging out ends the session ---------------------------------------------------------


def test_a_cookie_kept_from_before_logout_no_longer_works(app):
    make_operator(second_factor=False)
    client = app.test_client()
    log_in(client, "op@lead.example")
    cookie = client.get_cookie("dashboard_session", path="/dashboard")
    assert cookie is not None
    post_form(client, "/dashboard/logout", {}, page_url="/dashboard/account")
    thief = app.test_client()
    thief.set_cookie("dashboard_session", cookie.value, path="/dashboard")
    assert thief.get("/dashboard/").status_code == 302  # back to the login page


# --- 9. IP hashes cannot be linked again once their period is over ---------------------------


def test_ip_hash_keys_are_random_and_gone_with_their_period(app, monkeypatch):
    first = addresses.hash_ip("203.0.113.9")
    (key,) = db.session.scalars(select(IpHashKey)).all()
    # Not derived from anything: with SECRET_KEY and the database one cannot rebuild it.
    assert len(key.key) == 64 and app.secret_key not in key.key
    real = time.time
    monkeypatch.setattr(addresses.time, "time", lambda: real() + 25 * 3600)
    later = addresses.hash_ip("203.0.113.9")
    assert later != first
    db.session.expire_all()
    assert [k.period for k in db.session.scalars(select(IpHashKey))] == [
        addresses.current_period()
    ]  # the past period's key is deleted


def test_rate_limit_windows_do_not_restart_when_the_hash_key_changes(app):
    app.config["RATE_LIMIT_PER_IP"] = "3/day"
    petition = make_petition()
    hits = [is_over_signing_limit("203.0.113.9", None, petition.id) for _ in range(3)]
    before = addresses.hash_ip("203.0.113.9")
    app.config["IP_HASH_ROTATION_HOURS"] = 1  # another period, so another stored-hash key
    assert addresses.hash_ip("203.0.113.9") != before
    assert hits == [False] * 3
    assert is_over_signing_limit("203.0.113.9", None, petition.id) is True


# --- 10. control characters ------------------------------------------------------------------


def test_a_nul_in_the_page_address_is_refused_not_stored(app, client):
    make_petition()
    make_partner()
    url = f"{FORM}&ref=https%3A%2F%2Ffriends.example%2Fa%00b"
    assert client.get(url).status_code == 400
    page = client.get(FORM)
    response = client.post(url, data={"token": form_token(page.text), **valid_fields()})
    assert response.status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(Signature)) == 0


# --- 11. a form token signs a few times, not thousands ---------------------------------------


def test_one_form_token_signs_at_most_form_token_max_uses_times(app, client):
    app.config["FORM_TOKEN_MAX_USES"] = 3
    make_petition()
    make_partner()
    token = form_token(client.get(FORM).text)
    statuses = [
        client.post(
            FORM, data={"token": token, **valid_fields(email=f"h{n}@example.org")}
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert db.session.scalar(select(db.func.count()).select_from(Signature)) == 3


# --- 12. smaller findings --------------------------------------------------------------------


def test_a_scheduled_petition_is_unknown_until_it_opens(app, client):
    petition = make_petition()
    petition.opens_at = utcnow() + timedelta(days=2)
    db.session.commit()
    assert client.get("/p/save-the-bees").status_code == 404
    assert client.get("/api/v1/petitions/save-the-bees").status_code == 404


def test_operators_preview_a_draft_from_the_dashboard(app, client):
    make_petition(is_open=False)
    make_operator()
    log_in(client, "op@lead.example")
    page = client.get("/dashboard/petitions/save-the-bees/preview")
    assert page.status_code == 200 and "Save the bees" in page.text
    assert "Preview for operators" in page.text


def test_full_width_addresses_are_the_same_person(app):
    petition = make_petition()
    assert sign(petition, email="ada@example.org").value == "signed"
    assert sign(petition, email="ａｄａ@example.org").value == "duplicate"


# --- two-factor sign-in ----------------------------------------------------------------------


def test_operators_must_enrol_before_they_export_or_erase(app, client):
    make_petition()
    make_operator(second_factor=False)
    log_in(client, "op@lead.example")
    for url in ("/dashboard/petitions/save-the-bees/signatures.csv", "/dashboard/erasure"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/dashboard/account/two-factor"
        ), url


def test_partner_users_may_export_without_it(app, client):
    make_petition()
    make_partner_user(make_partner().slug)
    log_in(client, "pat@partner.example")
    response = client.get("/dashboard/petitions/save-the-bees/opted-in/friends-of-bees.csv")
    assert response.status_code == 200


def test_enrolment_sign_in_replay_and_recovery_codes(app, client):
    make_operator(second_factor=False)
    log_in(client, "op@lead.example")
    setup = client.get("/dashboard/account/two-factor").text
    secret = setup.split('<code id="totp-secret">')[1].split("<")[0]
    assert 'src="data:image/svg+xml' in setup  # the QR code, drawn here
    wrong = post_form(client, "/dashboard/account/two-factor", {"code": "000000"})
    assert "That code is not right" in wrong.text
    done = post_form(client, "/dashboard/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    codes = [c.split("</code>")[0] for c in done.text.split("<li><code>")[1:]]
    assert len(codes) == 10
    assert db.session.scalar(select(db.func.count()).select_from(RecoveryCode)) == 10
    post_form(client, "/dashboard/logout", {}, page_url="/dashboard/account")

    def password_step(c):
        page = c.get("/dashboard/login")
        return c.post("/dashboard/login", data={"email": "op@lead.example", "password": PASSWORD,
                                                "csrf_token": csrf_of(page.text)})  # fmt: skip

    first = app.test_client()
    assert password_step(first).headers["Location"].startswith("/dashboard/login/code")
    assert first.get("/dashboard/").status_code == 302  # not in yet
    code = pyotp.TOTP(secret).now()
    # The code from the enrolment itself was used: the same step is refused (replay).
    page = first.get("/dashboard/login/code")
    replay = first.post(
        "/dashboard/login/code", data={"code": code, "csrf_token": csrf_of(page.text)}
    )
    assert replay.status_code == 200 and "was used already" in replay.text
    # A recovery code works once.
    page = first.get("/dashboard/login/code")
    ok = first.post("/dashboard/login/code", data={"code": codes[0],
                                                   "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert ok.status_code == 302 and first.get("/dashboard/").status_code == 200
    second = app.test_client()
    password_step(second)
    page = second.get("/dashboard/login/code")
    again = second.post(
        "/dashboard/login/code", data={"code": codes[0], "csrf_token": csrf_of(page.text)}
    )
    assert again.status_code == 200
    assert second_factor.remaining_recovery_codes(db.session.scalar(select(User.id))) == 9


def test_the_code_step_needs_the_password_step_first(app, client):
    make_operator()
    assert client.get("/dashboard/login/code").status_code == 302
    page = client.get("/dashboard/login")
    response = client.post(
        "/dashboard/login/code", data={"code": "123456", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/dashboard/login"
    )
