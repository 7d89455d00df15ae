"""Dashboard accounts: login, sessions, invitations by email, logout everywhere, roles."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.dashboard import PASSWORD, csrf_of, log_in, make_operator, make_partner_user, post_form
from tests.factories import make_partner, make_petition
from widget.core.extensions import db
from widget.core.models import AuditEntry, User
from widget.ops.worker import run_worker_once

INVITE_LINK = re.compile(r"https?://\S+(/dashboard/invite/[\w-]+)")
RESET_LINK = re.compile(r"https?://\S+(/dashboard/reset/[\w-]+)")
PUBLIC = {
    "dashboard.login",
    "dashboard.forgot_password",
    "dashboard.accept_invitation",
    "dashboard.reset_password",
}


def dashboard_urls(app) -> list[str]:
    """Every dashboard page, with sample values for its URL parts."""
    values = {"slug": "save-the-bees", "partner_slug": "friends-of-bees", "locale": "de",
              "chart": "daily", "user_id": 1, "token": "x", "organisation_slug": "x"}  # fmt: skip
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("dashboard.") and rule.endpoint not in PUBLIC:
            urls.append(rule.build({k: values[k] for k in rule.arguments})[1])
    return sorted(set(urls))


def test_every_dashboard_page_needs_a_login(app, client):
    make_petition()
    make_partner()
    urls = dashboard_urls(app)
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        if response.status_code == 405:  # POST-only actions
            response = client.post(url)
            assert response.status_code in (302, 400), url  # no token: refused either way
            continue
        assert response.status_code == 302, url
        assert "/dashboard/login" in response.headers["Location"], url


def test_login_with_the_right_password_opens_the_overview(client):
    make_operator()
    response = log_in(client, "op@lead.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    assert "Overview" in client.get("/dashboard/").text


def test_wrong_password_or_unknown_address_gets_the_same_answer(client):
    make_operator()
    wrong = log_in(client, "op@lead.example", "wrong password here")
    unknown = log_in(client, "nobody@lead.example")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "The email address or the password is wrong." in response.text
    assert client.get("/dashboard/").status_code == 302


def test_login_address_is_not_case_sensitive(client):
    make_operator()
    assert log_in(client, "OP@Lead.Example").status_code == 302


def test_passwords_are_stored_hashed_with_scrypt(app):
    user = make_operator()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")


def test_session_cookie_is_for_the_dashboard_only(client):
    make_operator()
    response = log_in(client, "op@lead.example")
    cookie = response.headers["Set-Cookie"]
    assert "Path=/dashboard" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test server's PUBLIC_URL is http


@pytest.mark.parametrize("app_config", [{"PUBLIC_URL": "https://petition.example"}])
def test_session_cookie_is_secure_behind_https(client):
    make_operator()
    assert "Secure" in log_in(client, "op@lead.example").headers["Set-Cookie"]


def test_signers_get_no_cookie_from_a_logged_in_browser_either(client):
    make_petition()
    make_operator()
    log_in(client, "op@lead.example")
    response = client.get("/p/save-the-bees")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_forms_without_their_token_are_refused(client):
    make_operator()
    response = client.post(
        "/dashboard/login", data={"email": "op@lead.example", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "This form has expired" in response.text


def _attempt(client, password: str, network: str, email: str = "op@lead.example"):
    page = client.get("/dashboard/login", environ_base={"REMOTE_ADDR": network})
    return client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        environ_base={"REMOTE_ADDR": network},
    )


def test_wrong_passwords_slow_down_that_account_from_that_network(app):
    make_operator(second_factor=False)
    client = app.test_client()
    statuses = [_attempt(client, "wrong", "198.51.100.7").status_code for _ in range(6)]
    # Four free failures; after the fifth, this account waits from this network.
    assert statuses == [200, 200, 200, 200, 200, 429]
    waiting = _attempt(client, PASSWORD, "198.51.100.7")
    assert waiting.status_code == 429  # guessing gains nothing from the wait's end
    assert "Please wait" in waiting.text
    # Someone else's account from the same network is not held up by it.
    make_operator("other@lead.example", second_factor=False)
    assert _attempt(client, PASSWORD, "198.51.100.7", "other@lead.example").status_code == 302


def test_nobody_can_lock_an_operator_out_from_elsewhere(app):
    make_operator(second_factor=False)
    client = app.test_client()
    for n in range(11):  # eleven wrong passwords, from eleven networks
        for _ in range(6):
            _attempt(client, "wrong", f"203.0.113.{n + 1}")
    # The operator, from their own network, with the right password, gets in.
    assert _attempt(client, PASSWORD, "192.0.2.44").status_code == 302


def test_a_right_password_forgives_the_failures_of_its_network(app):
    make_operator(second_factor=False)
    client = app.test_client()
    for _ in range(4):
        _attempt(client, "wrong", "198.51.100.8")
    assert _attempt(client, PASSWORD, "198.51.100.8").status_code == 302
    client.post(
        "/dashboard/logout", data={"csrf_token": csrf_of(client.get("/dashboard/account").text)}
    )
    for _ in range(4):  # four more: still free, the count started again
        assert _attempt(client, "wrong", "198.51.100.8").status_code == 200


def test_login_never_redirects_to_another_site(client):
    make_operator(second_factor=False)
    for target in ("https://evil.example/", "//evil.example/x", "/dashboard/../evil",
                   "/dashboard//evil.example", "/dashboard/\\evil.example"):  # fmt: skip
        page = client.get("/dashboard/login")
        response = client.post(
            f"/dashboard/login?next={target}",
            data={
                "email": "op@lead.example",
                "password": PASSWORD,
                "csrf_token": csrf_of(page.text),
            },
        )
        location = response.headers["Location"]
        assert location.startswith("/dashboard/") and "evil" not in location, target
        client.post(
            "/dashboard/logout", data={"csrf_token": csrf_of(client.get("/dashboard/account").text)}
        )


def test_login_returns_to_the_page_asked_for(client):
    make_petition()
    make_operator(second_factor=False)
    first = client.get("/dashboard/petitions/save-the-bees")
    assert first.status_code == 302
    target = "/dashboard/petitions/save-the-bees"
    page = client.get(first.headers["Location"])
    response = client.post(
        f"/dashboard/login?next={target}",
        data={"email": "op@lead.example", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.headers["Location"] == target


def test_logout_ends_the_session(client):
    make_operator()
    log_in(client, "op@lead.example")
    post_form(client, "/dashboard/logout", {}, page_url="/dashboard/account")
    assert client.get("/dashboard/").status_code == 302


def test_logout_everywhere_ends_other_devices_sessions(app):
    make_operator()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "op@lead.example")
    log_in(phone, "op@lead.example")
    assert phone.get("/dashboard/").status_code == 200
    post_form(laptop, "/dashboard/logout-everywhere", {}, page_url="/dashboard/account")
    assert phone.get("/dashboard/").status_code == 302
    assert laptop.get("/dashboard/").status_code == 302
    assert log_in(phone, "op@lead.example").status_code == 302  # logging in again works


def test_invitation_by_email_lets_the_invitee_choose_a_password(app, client, smtp):
    make_partner()
    make_operator()
    log_in(client, "op@lead.example")
    response = post_form(client, "/dashboard/users", {
        "email": "Pat@Partner.example", "name": "Pat", "role": "partner",
        "partner": "friends-of-bees",
    })  # fmt: skip
    assert response.status_code == 302
    run_worker_once()
    (mail,) = smtp.messages
    assert mail["To"] == "pat@partner.example"
    body = mail.get_content()
    assert "op@lead.example" in body  # who invited them
    link = INVITE_LINK.search(body).group(1)

    invitee = app.test_client()
    page = invitee.get(link)
    assert page.status_code == 200 and "pat@partner.example" in page.text
    short = invitee.post(link, data={"password": "short", "csrf_token": csrf_of(page.text)})
    assert "Please use at least 12 characters." in short.text
    done = invitee.post(
        link, data={"password": "a long enough secret", "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 302
    assert "Pat" in invitee.get("/dashboard/account").text

    # The link works once.
    assert app.test_client().get(link).status_code == 404
    assert (
        log_in(app.test_client(), "pat@partner.example", "a long enough secret").status_code == 302
    )


def ask_for_a_reset(app, email: str):
    client = app.test_client()
    return post_form(client, "/dashboard/forgot-password", {"email": email})


def test_forgotten_password_is_reset_by_an_emailed_link(app, smtp):
    make_operator()
    elsewhere = app.test_client()
    log_in(elsewhere, "op@lead.example")
    login_page = app.test_client().get("/dashboard/login").text
    assert 'href="/dashboard/forgot-password"' in login_page
    answer = ask_for_a_reset(app, "OP@lead.example")
    assert "a link to choose a new password is on its way" in answer.text
    run_worker_once()
    (mail,) = smtp.messages
    assert mail["To"] == "op@lead.example"
    assert mail["Subject"] == "Choose a new password for the petition dashboard"
    link = RESET_LINK.search(mail.get_content()).group(1)

    client = app.test_client()
    page = client.get(link)
    assert "<h1>Choose a new password</h1>" in page.text  # a reset, not an invitation
    done = client.post(
        link, data={"password": "a brand new secret", "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 302
    assert log_in(app.test_client(), "op@lead.example").status_code == 200  # old one: refused
    assert log_in(app.test_client(), "op@lead.example", "a brand new secret").status_code == 302
    assert elsewhere.get("/dashboard/").status_code == 302  # other sessions ended
    used = app.test_client().get(link)
    assert used.status_code == 404  # the link works once, and says what it was
    assert "This link to choose a new password is used" in used.text
    assert "invitation" not in used.text
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["user.password_reset_requested", "user.password_reset"]


def test_reset_requests_reveal_nothing_and_send_at_most_one_email(app, smtp):
    make_operator()
    unknown = ask_for_a_reset(app, "nobody@lead.example")
    known = ask_for_a_reset(app, "op@lead.example")
    again = ask_for_a_reset(app, "op@lead.example")
    assert unknown.status_code == known.status_code == again.status_code == 200
    assert unknown.text == known.text == again.text
    run_worker_once()
    assert [m["To"] for m in smtp.messages] == ["op@lead.example"]


def test_deactivated_accounts_get_no_reset_and_old_links_stop_working(app, client, smtp):
    make_operator()
    pat = make_partner_user(make_partner().slug)
    ask_for_a_reset(app, "pat@partner.example")
    run_worker_once()
    link = RESET_LINK.search(smtp.messages[0].get_content()).group(1)
    log_in(client, "op@lead.example")
    post_form(
        client, f"/dashboard/users/{pat.id}/active", {"active": "0"}, page_url="/dashboard/users"
    )
    assert app.test_client().get(link).status_code == 404  # cannot bring the account back
    ask_for_a_reset(app, "pat@partner.example")
    run_worker_once()
    assert len(smtp.messages) == 1


def test_the_invitation_email_keeps_no_link_after_sending(app, client, smtp):
    make_operator()
    log_in(client, "op@lead.example")
    post_form(
        client, "/dashboard/users", {"email": "x@lead.example", "name": "X", "role": "operator"}
    )
    run_worker_once()
    from widget.core.models import OutboxMessage

    stored = db.session.scalars(select(OutboxMessage.payload)).all()
    assert all("invite_token" not in payload for payload in stored)


def test_expired_invitations_do_not_work(app, client, smtp):
    from datetime import timedelta

    from widget.core.models import Invitation

    make_operator()
    log_in(client, "op@lead.example")
    post_form(
        client, "/dashboard/users", {"email": "x@lead.example", "name": "X", "role": "operator"}
    )
    run_worker_once()
    link = INVITE_LINK.search(smtp.messages[0].get_content()).group(1)
    invitation = db.session.scalars(select(Invitation)).one()
    invitation.expires_at = invitation.created_at - timedelta(seconds=1)
    db.session.commit()
    assert "expired" in app.test_client().get(link).text


def test_partner_users_need_a_partner(client):
    make_operator()
    log_in(client, "op@lead.example")
    response = post_form(client, "/dashboard/users", {
        "email": "p@x.example", "name": "P", "role": "partner", "partner": ""
    })  # fmt: skip
    assert "Please choose the partner this person works for." in response.text
    assert db.session.scalar(select(User).where(User.email == "p@x.example")) is None


def test_inviting_someone_who_has_an_account_says_so(client):
    make_operator()
    log_in(client, "op@lead.example")
    response = post_form(client, "/dashboard/users", {
        "email": "op@lead.example", "name": "Again", "role": "operator"
    })  # fmt: skip
    assert "This person has an account already." in response.text


def test_deactivating_a_user_ends_their_sessions_and_logins(app, client):
    make_partner()
    make_operator()
    pat = make_partner_user("friends-of-bees")
    partner_client = app.test_client()
    log_in(partner_client, pat.email)
    log_in(client, "op@lead.example")
    post_form(
        client, f"/dashboard/users/{pat.id}/active", {"active": "0"}, page_url="/dashboard/users"
    )
    assert partner_client.get("/dashboard/").status_code == 302
    assert log_in(app.test_client(), pat.email).status_code == 200  # refused: form again
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "user.deactivate" in actions


def test_operators_cannot_lock_themselves_out(client):
    me = make_operator()
    log_in(client, me.email)
    response = post_form(client, f"/dashboard/users/{me.id}/active", {"active": "0"},
                         page_url="/dashboard/users")  # fmt: skip
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_cli_creates_the_first_operator(runner):
    result = runner.invoke(
        args=["user", "create-operator", "first@lead.example", "--name", "First",
              "--password", "a long enough secret"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.is_operator and user.password_hash.startswith("scrypt:")
    short = runner.invoke(args=["user", "create-operator", "b@lead.example", "--password", "short"])
    assert short.exit_code != 0 and "12 characters" in short.output


def test_dashboard_pages_refuse_framing_and_caching(client):
    make_operator()
    log_in(client, "op@lead.example")
    response = client.get("/dashboard/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_dashboard_speaks_the_chosen_language(client):
    make_operator()
    log_in(client, "op@lead.example")
    german = client.get("/dashboard/?lang=de")
    assert 'lang="de"' in german.text
    assert 'lang="de"' in client.get("/dashboard/account").text  # the choice stays
