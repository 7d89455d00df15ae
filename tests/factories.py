"""Plain builders: valid by default, keyword overrides for what a test cares about."""

from __future__ import annotations

from itertools import count

from flask import current_app

from widget.campaign.partners import add_partner
from widget.campaign.petitions import create_petition, set_petition_text
from widget.core.extensions import db
from widget.core.models import CountingPolicy, Partner, Petition
from widget.signing.sign import SignatureInput, SignOutcome, sign_petition

_serial = count(1)


def make_petition(slug: str = "save-the-bees", **over) -> Petition:
    texts = over.pop("texts", {})
    petition = create_petition(
        slug,
        title=over.pop("title", "Save the bees"),
        goal=over.pop("goal", 1000),
        locale=over.pop("locale", "en"),
        supported_locales=current_app.config["LOCALES"],
        lead_organisation=over.pop("lead_organisation", "Bee Alliance"),
        is_open=over.pop("is_open", True),
        is_embeddable_anywhere=over.pop("is_embeddable_anywhere", False),
        counts_on=over.pop("counts_on", CountingPolicy.ON_SUBMISSION),
    )
    if over.pop("holds_over_limit", False):
        petition.holds_over_limit = True
        db.session.commit()
    assert not over, f"unknown petition fields: {over}"
    for locale, fields in texts.items():
        set_petition_text(slug, locale, supported_locales=current_app.config["LOCALES"], **fields)
    return petition


def make_partner(slug: str = "friends-of-bees", **over) -> Partner:
    return add_partner(
        slug,
        name=over.pop("name", "Friends of Bees"),
        origins=over.pop("origins", ["https://friends.example"]),
        website=over.pop("website", None),
        country=over.pop("country", None),
    )


def signature_input(**over) -> SignatureInput:
    n = next(_serial)
    values = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"signer{n}@example.org",
        "country": "DE",
        "locale": "en",
    }
    values.update(over)
    return SignatureInput(**values)


def sign(petition: Petition, partner: Partner | None = None, **over) -> SignOutcome:
    ip = over.pop("ip", "192.0.2.1")
    now = over.pop("now", None)
    over_limit = over.pop("over_limit", False)
    return sign_petition(
        petition,
        partner,
        signature_input(**over),
        ip=ip,
        now=now,
        over_limit=over_limit,
    ).outcome
