"""Helpers for dashboard tests: accounts, logging in with the real form and its token."""

from __future__ import annotations

import re

import pyotp

from widget.accounts import users as accounts
from widget.core.extensions import db
from widget.core.models import User, UserRole, utcnow

PASSWORD = "correct horse battery staple"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'type="hidden" name="csrf_token" value="([^"]+)"')  # fmt: skip


def make_operator(
    email: str = "op@lead.example", password: str = PASSWORD, *, second_factor: bool = True
) -> User:
    """An operator; with two-factor sign-in set up, as operators need to export or erase."""
    user = accounts.create_user(email, "Olga Operator", password, actor="test")
    if second_factor:
        enrol_second_factor(user)
    return user


def enrol_second_factor(user: User) -> str:
    """Two-factor sign-in on, as the set-up page leaves it; returns the secret."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = utcnow()
    db.session.commit()
    return user.totp_secret


def current_code(email: str) -> str:
    """The code the user's authenticator app shows now. A code is good once: the last one
    used is forgotten first, as if its 30 seconds had passed."""
    user = accounts.find_user(email)
    user.totp_last_counter = None
    db.session.commit()
    return pyotp.TOTP(user.totp_secret).now()


def make_partner_user(
    partner_slug: str, email: str = "pat@partner.example", password: str = PASSWORD
) -> User:
    return accounts.create_user(
        email, "Pat Partner", password, role=UserRole.PARTNER, partner_slug=partner_slug,
        actor="test",
    )  # fmt: skip


def csrf_of(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "the page has no form token"
    return match.group(1) or match.group(2)


def log_in(client, email: str, password: str = PASSWORD):
    """Log in with the real form (and the code step, for an account with two factors)."""
    page = client.get("/dashboard/login")
    response = client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
    )
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/dashboard/login/code"):
        page = client.get(location)
        response = client.post(
            location, data={"code": current_code(email), "csrf_token": csrf_of(page.text)}
        )
    return response


def post_form(client, url: str, data: dict, *, page_url: str | None = None):
    """POST as a browser would: with the token from the page the form is on."""
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": csrf_of(page.text)})
