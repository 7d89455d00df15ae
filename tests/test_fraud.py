"""Trending lists and bulk invalidation: exact tallies, a dry run first, a log always."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.dashboard import log_in, make_operator
from tests.factories import make_partner, make_petition, sign
from widget.core.addresses import hash_ip
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import CountingPolicy, Signature, SignatureState, utcnow
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.signers.fraud import Criteria, invalidate_signatures, list_fraud_actions, trending


@pytest.fixture
def flood(app):
    """A petition with 6 ordinary signatures and a burst of 8 from one network."""
    petition = make_petition()
    good, bad = make_partner("good"), make_partner("bad", origins=["https://bad.example"])
    for i in range(6):
        sign(petition, good, email=f"person{i}@example.org", ip=f"198.51.100.{i}", country="DE")
    for i in range(8):
        sign(petition, bad, email=f"bot{i}@spam.example", ip="203.0.113.66", country="FR")
    return petition


def test_trending_by_ip_domain_partner_and_country(flood):
    since = utcnow() - timedelta(hours=1)
    assert trending("save-the-bees", by="ip", since=since, top=1) == [(hash_ip("203.0.113.66"), 8)]
    assert trending("save-the-bees", by="domain", since=since) == [
        ("spam.example", 8),
        ("example.org", 6),
    ]
    assert trending("save-the-bees", by="partner", since=since) == [("bad", 8), ("good", 6)]
    assert trending("save-the-bees", by="country", since=since) == [("FR", 8), ("DE", 6)]
    assert trending("save-the-bees", by="ip", since=utcnow() + timedelta(minutes=1)) == []


def test_dry_run_changes_nothing(flood):
    result = invalidate_signatures(
        "save-the-bees",
        Criteria(email_domain="spam.example"),
        reason="bots",
        actor="op",
        dry_run=True,
    )
    assert (result.matched, result.counted, result.dry_run) == (8, 8, True)
    assert read_count(flood, fresh=True).count == 14
    assert list_fraud_actions("save-the-bees") == []


def test_invalidation_leaves_the_count_at_once_and_is_logged(flood):
    read_count(flood)  # warm this process's cache: the invalidation must not wait for it
    result = invalidate_signatures(
        "save-the-bees",
        Criteria(ip_hash=hash_ip("203.0.113.66")),
        reason="one bot network",
        actor="ada",
    )
    assert (result.matched, result.counted) == (8, 8)
    snapshot = read_count(flood)
    assert (snapshot.count, snapshot.partners, snapshot.countries) == (6, {"good": 6}, {"DE": 6})
    assert verify_count(flood.id) == []
    invalidated = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.state == SignatureState.INVALIDATED, Signature.counted_at.is_(None))
    )
    assert invalidated == 8
    (action,) = list_fraud_actions("save-the-bees")
    assert (action.actor, action.action, action.reason, action.affected) == (
        "ada",
        "invalidate",
        "one bot network",
        8,
    )
    assert action.criteria == {"ip_hash": hash_ip("203.0.113.66")}
    again = invalidate_signatures(
        "save-the-bees", Criteria(ip_hash=hash_ip("203.0.113.66")), reason="again", actor="ada"
    )
    assert again.matched == 0 and read_count(flood, fresh=True).count == 6


def test_invalidation_by_partner_and_time_window(flood):
    later = utcnow() + timedelta(minutes=10)
    sign(flood, email="late@example.org", now=later)
    result = invalidate_signatures(
        "save-the-bees", Criteria(since=later - timedelta(minutes=1)), reason="late", actor="op"
    )
    assert result.matched == 1
    by_partner = invalidate_signatures(
        "save-the-bees", Criteria(partner="bad"), reason="partner flood", actor="op"
    )
    assert by_partner.matched == 8
    assert read_count(flood, fresh=True).count == 6
    assert verify_count(flood.id) == []


def test_uncounted_signatures_are_invalidated_without_touching_tallies(app):
    petition = make_petition(counts_on=CountingPolicy.ON_CONFIRMATION)
    sign(petition, email="a@spam.example")
    result = invalidate_signatures(
        "save-the-bees", Criteria(email_domain="spam.example"), reason="spam", actor="op"
    )
    assert (result.matched, result.counted) == (1, 0)
    assert read_count(petition, fresh=True).count == 0
    assert verify_count(petition.id) == []


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [(Criteria(), "no filter"), (Criteria(email_domain="x.example"), "  ")],
)
def test_bulk_actions_need_a_filter_and_a_reason(flood, criteria, reason):
    with pytest.raises(InvalidInput):
        invalidate_signatures("save-the-bees", criteria, reason=reason, actor="op")


def test_fraud_cli(runner, flood):
    trending_out = runner.invoke(args=["fraud", "trending", "save-the-bees", "--by", "domain"])
    assert "8\tspam.example" in trending_out.output
    dry = runner.invoke(
        args=[
            "fraud",
            "invalidate",
            "save-the-bees",
            "--domain",
            "spam.example",
            "--reason",
            "bots",
            "--by",
            "ada",
            "--dry-run",
        ]
    )
    assert dry.exit_code == 0 and "would invalidate 8 signatures" in dry.output
    real = runner.invoke(
        args=[
            "fraud",
            "invalidate",
            "save-the-bees",
            "--domain",
            "spam.example",
            "--reason",
            "bots",
            "--by",
            "ada",
        ]
    )
    assert "invalidated 8 signatures (8 of them counted)" in real.output
    log = runner.invoke(args=["fraud", "log", "save-the-bees"]).output
    assert "\tada\tinvalidate\t8\temail_domain=spam.example\tbots" in log
    assert runner.invoke(args=["count", "verify", "save-the-bees"]).exit_code == 0
    no_reason = runner.invoke(args=["fraud", "invalidate", "save-the-bees", "--domain", "x"])
    assert no_reason.exit_code == 2


def test_fraud_page_names_the_week_in_days(client, flood):
    make_operator()
    log_in(client, "op@lead.example")
    url = "/dashboard/petitions/save-the-bees/fraud"
    page = client.get(url).text
    assert "last 7 days" in page and "168 hours" not in page
    assert 'hours=24" aria-current="true">last 24 hours</a>' in page  # still the default
    week = client.get(f"{url}?hours=168").text
    assert 'hours=168" aria-current="true">last 7 days</a>' in week
    assert 'hours=24" aria-current' not in week
    german = client.get(f"{url}?hours=168&lang=de").text
    assert 'hours=168" aria-current="true">letzte 7 Tage</a>' in german
