"""Helpers for driving the signing form the way a browser does."""

from __future__ import annotations

import re
import time

from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from widget.campaign.consent import fingerprint, statements_for
from widget.core.extensions import db
from widget.core.models import Partner, Petition
from widget.signing.form_token import TOKEN_SALT

TOKEN_PATTERN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def form_token(html: str) -> str:
    match = TOKEN_PATTERN.search(html)
    assert match, "the form carries no token"
    return match.group(1)


def valid_fields(**over) -> dict:
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "DE",
        "postcode": "10115",
        "consent": "y",
    }
    fields.update(over)
    return {k: v for k, v in fields.items() if v is not None}


def sign_via_form(client, url: str, headers: dict | None = None, **over):
    """GET the form, then POST it back with its token, as the iframe does."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = {"token": form_token(page.get_data(as_text=True)), **valid_fields(**over)}
    return client.post(url, data=data, headers=headers or {})


class OldSerializer(URLSafeTimedSerializer):
    """Mints tokens as if they had been signed ``age`` seconds ago."""

    def __init__(self, *args, age: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.age = age

    def make_signer(self, salt=None):
        signer = super().make_signer(salt)
        signer.get_timestamp = lambda: int(time.time() - self.age)
        return signer


def token_signed(petition_id: int, partner: str, *, age: float = 60, locale: str = "en") -> str:
    """A token like the form's own, bound to what the form shows, minted ``age`` s ago."""
    petition = db.session.get(Petition, petition_id)
    partner_model = db.session.scalar(select(Partner).where(Partner.slug == partner))
    wording = fingerprint(statements_for(petition, partner_model, locale))
    serializer = OldSerializer(current_app.secret_key, salt=TOKEN_SALT, age=age)
    return serializer.dumps([petition_id, partner, wording, "nonce"])
