"""Helpers for dashboard tests: accounts, logging in with the real form and its token."""

from __future__ import annotations

import re

from widget.accounts import users as accounts
from widget.core.models import User, UserRole

PASSWORD = "correct horse battery staple"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'type="hidden" name="csrf_token" value="([^"]+)"')  # fmt: skip


def make_operator(email: str = "op@lead.example", password: str = PASSWORD) -> User:
    return accounts.create_user(email, "Olga Operator", password, actor="test")


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
    page = client.get("/dashboard/login")
    return client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
    )


def post_form(client, url: str, data: dict, *, page_url: str | None = None):
    """POST as a browser would: with the token from the page the form is on."""
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": csrf_of(page.text)})
