import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from tests.conftest import TEST_DATABASE_URL, make_app
from tests.factories import make_partner, make_petition, sign
from widget.core.caching import store
from widget.core.extensions import db
from widget.core.models import (
    NO_PARTNER,
    CountingPolicy,
    ExternalCount,
    HourlyTally,
    Signature,
    SignatureState,
    Tally,
    utcnow,
)
from widget.counting import endings
from widget.counting.endings import end_signatures
from widget.counting.public_count import SHARED, cached_count, count_after_signing, read_count
from widget.counting.reports import add_external_count
from widget.counting.tallies import CountMismatch, rebuild_tallies, verify_count


def test_breakdowns_by_partner_and_country(app):
    petition = make_petition()
    bees, wasps = make_partner("bees"), make_partner("wasps", origins=["https://w.example"])
    for partner, country in [(bees, "DE"), (bees, "DE"), (bees, "FR"), (wasps, "FR"), (None, "IT")]:
        sign(petition, partner, country=country)
    snapshot = read_count(petition, fresh=True)
    assert snapshot.count == 5
    assert snapshot.partners == {"bees": 3, "wasps": 1}
    assert snapshot.direct == 1
    assert snapshot.countries == {"DE": 2, "FR": 2, "IT": 1}
    assert snapshot.goal == 1000


def test_signatures_spread_over_shards(app):
    app.config["TALLY_SHARDS"] = 4
    petition = make_petition()
    for _ in range(40):
        sign(petition, country="DE")
    shards = db.session.scalar(select(func.count()).select_from(Tally))
    assert shards > 1  # 40 signatures on one key never all land on the same one of 4 shards
    assert read_count(petition, fresh=True).count == 40


def test_as_of_is_the_last_change(app):
    petition = make_petition()
    first, second = utcnow() + timedelta(minutes=1), utcnow() + timedelta(minutes=2)
    sign(petition, now=second)
    sign(petition, now=first)
    assert read_count(petition, fresh=True).as_of == second


def test_count_is_cached_per_process_until_it_expires(app):
    app.config["COUNT_CACHE_SECONDS"] = 60
    petition = make_petition()
    before = read_count(petition)
    sign(petition)
    assert read_count(petition).count == before.count == 0
    assert cached_count(petition.slug) is before
    assert read_count(petition, fresh=True).count == 1


def test_etag_is_the_same_in_every_process(app, database_url):
    petition = make_petition()
    sign(petition)
    etag_here = read_count(petition, fresh=True).etag
    other = make_app(database_url)
    with other.app_context():
        from widget.campaign.petitions import get_petition

        assert read_count(get_petition(petition.slug), fresh=True).etag == etag_here
        db.session.remove()
        db.engine.dispose()


def test_etag_changes_with_the_count(app):
    petition = make_petition()
    before = read_count(petition, fresh=True).etag
    sign(petition)
    assert read_count(petition, fresh=True).etag != before


def test_verify_finds_a_tampered_tally_and_rebuild_repairs_it(app):
    petition = make_petition()
    partner = make_partner()
    for _ in range(3):
        sign(petition, partner, country="DE")
    db.session.execute(update(Tally).values(count=Tally.count + 1))
    db.session.commit()
    mismatches = verify_count(petition.id)
    assert mismatches and mismatches[0].country == "DE"
    assert sum(m.tallied for m in mismatches) > sum(m.signatures for m in mismatches)
    assert rebuild_tallies(petition.id) == 3
    assert verify_count(petition.id) == []
    assert read_count(petition).count == 3


def test_empty_petition_counts_zero(app):
    petition = make_petition()
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.partners, snapshot.countries) == (0, {}, {})
    assert snapshot.as_of == petition.created_at
    assert verify_count(petition.id) == []


def test_without_redis_every_process_reads_its_own_count(app):
    assert app.config["REDIS_URL"] is None
    petition = make_petition()
    assert read_count(petition).count == 0  # no Redis: nothing shared, nothing breaks


def test_bulk_seeding_adds_counted_signatures_and_exact_tallies(app, runner):
    petition = make_petition()
    make_partner()
    sign(petition)
    result = runner.invoke(args=["count", "seed", "save-the-bees", "--signatures", "2500"])
    assert result.exit_code == 0, result.output
    assert "count now 2501" in result.output
    snapshot = read_count(petition, fresh=True)
    assert snapshot.count == 2501 and len(snapshot.countries) == 13
    assert verify_count(petition.id) == []
    again = runner.invoke(args=["count", "seed", "save-the-bees", "--signatures", "10"])
    assert "count now 2511" in again.output


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="SQLite has no visibility map")
def test_bulk_seeding_leaves_postgres_as_autovacuum_would(app, runner):
    """Right after a bulk load, PostgreSQL's visibility map is empty and counting by state
    visits every row (a 4 s dashboard at ten million): the seeding vacuums."""
    make_petition()
    result = runner.invoke(args=["count", "seed", "save-the-bees", "--signatures", "2000"])
    assert result.exit_code == 0, result.output
    pages, visible = db.session.execute(
        text("SELECT relpages, relallvisible FROM pg_class WHERE oid = 'signatures'::regclass")
    ).one()
    assert pages > 0 and visible == pages


def test_thanks_adds_the_signer_only_to_a_copy_older_than_the_signature(app):
    petition = make_petition()
    at = datetime(2026, 11, 29, 12, 0, 5, 300000, tzinfo=UTC)
    holds_signer = dataclasses.replace(read_count(petition), count=7, as_of=at)
    store("count", petition.slug, holds_signer, ttl=60)
    assert count_after_signing(petition, counted=True, at=at).count == 7
    older = dataclasses.replace(holds_signer, as_of=at - timedelta(microseconds=1))
    store("count", petition.slug, older, ttl=60)
    assert count_after_signing(petition, counted=True, at=at).count == 8
    assert count_after_signing(petition, counted=False, at=at).count == 7


def future_hour(hours: int = 2) -> datetime:
    """The start of an hour after the petition's creation, so it is the count's as_of."""
    return utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)


def test_one_shard_adds_up_every_signature_and_keeps_the_latest_time(app):
    app.config["TALLY_SHARDS"] = 1  # every signature of a key lands on the same row
    petition = make_petition()
    hour = future_hour()
    first, last, late_clock = (hour + timedelta(minutes=m) for m in (20, 40, 10))
    sign(petition, country="DE", now=first)
    sign(petition, country="DE", now=last)
    assert read_count(petition, fresh=True).as_of == last
    # A process whose clock is behind adds its signature but never moves the time back.
    sign(petition, country="DE", now=late_clock)
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.as_of) == (3, last)
    assert db.session.scalar(select(func.count()).select_from(Tally)) == 1
    assert verify_count(petition.id) == []  # the hourly shard added up too


def test_verify_names_each_key_and_hour_that_differs(app):
    petition = make_petition()
    partner = make_partner()
    hour = future_hour()
    sign(petition, partner, country="DE", now=hour + timedelta(minutes=5))
    # The signed key's tallies are lost; a key nobody signed under has some.
    db.session.execute(delete(Tally))
    db.session.execute(delete(HourlyTally))
    db.session.add(Tally(petition_id=petition.id, partner_key=NO_PARTNER, country="ZZ",
                         shard=0, count=2, updated_at=hour))  # fmt: skip
    db.session.add(HourlyTally(petition_id=petition.id, partner_key=NO_PARTNER, country="ZZ",
                               hour=hour, shard=0, count=2))  # fmt: skip
    db.session.commit()
    assert verify_count(petition.id) == [
        CountMismatch(NO_PARTNER, "ZZ", tallied=2, signatures=0),
        CountMismatch(partner.id, "DE", tallied=0, signatures=1),
        CountMismatch(NO_PARTNER, "ZZ", tallied=2, signatures=0, hour=hour),
        CountMismatch(partner.id, "DE", tallied=0, signatures=1, hour=hour),
    ]


def test_an_ending_leaves_the_hour_the_signature_counted_in(app):
    petition = make_petition()
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    sign(petition, email="early@example.org", now=hour - timedelta(hours=5, minutes=-1))
    sign(petition, email="later@example.org", now=hour - timedelta(hours=3, minutes=-1))
    assert verify_count(petition.id) == []  # two hours, each with its own signature
    early = select(Signature.id).where(Signature.email == "early@example.org")
    end_signatures(early, state=SignatureState.WITHDRAWN, now=utcnow())
    db.session.commit()
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition.id) == []


def test_verify_is_exact_whatever_the_servers_time_zone(app, monkeypatch):
    petition = make_petition()
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        sign(petition, now=utcnow() - timedelta(hours=2))
        assert verify_count(petition.id) == []
    finally:
        monkeypatch.undo()
        time.tzset()


def test_ending_signatures_uncounts_each_once_in_chunks(app, monkeypatch):
    monkeypatch.setattr(endings, "CHUNK", 2)
    petition = make_petition()
    for n in range(5):
        sign(petition, email=f"bot{n}@spam.example", country="DE")
    sign(petition, email="person@example.org", country="DE")
    waiting = make_petition("waiting", counts_on=CountingPolicy.ON_CONFIRMATION)
    sign(waiting, email="bot@spam.example")  # never counted
    at = utcnow()
    bots = select(Signature.id).where(Signature.email_domain == "spam.example")
    assert end_signatures(bots, state=SignatureState.INVALIDATED, now=at) == 6
    db.session.commit()
    rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    ended = [(r.state, r.ended_at, r.counted_at) for r in rows if r.email_domain != "example.org"]
    assert ended == [(SignatureState.INVALIDATED, at, None)] * 6
    person = next(r for r in rows if r.email == "person@example.org")
    assert person.state == SignatureState.SIGNED and person.counted_at is not None
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition.id) == [] and verify_count(waiting.id) == []
    # Ending them again changes nothing: they ended already.
    assert end_signatures(bots, state=SignatureState.WITHDRAWN, now=utcnow()) == 0
    db.session.commit()
    db.session.expire_all()
    assert {(r.state, r.ended_at) for r in db.session.scalars(select(Signature))} == {
        (SignatureState.INVALIDATED, at),
        (SignatureState.SIGNED, None),
    }


def test_a_rebuild_replaces_the_cached_count(app):
    app.config["COUNT_CACHE_SECONDS"] = 60
    petition = make_petition()
    for _ in range(3):
        sign(petition)
    db.session.execute(update(Tally).values(count=Tally.count + 1))
    db.session.commit()
    assert read_count(petition, fresh=True).count > 3  # the wrong count, cached
    rebuild_tallies(petition.id)
    assert read_count(petition).count == 3


def test_the_public_count_document(app, client):
    app.config["COUNT_CACHE_SECONDS"] = 60
    petition = make_petition(goal=500)
    partner = make_partner()
    last = future_hour() + timedelta(minutes=7, seconds=30)
    sign(petition, partner, country="DE", now=last - timedelta(minutes=1))
    sign(petition, None, country="FR", now=last)
    response = client.get("/api/v1/petitions/save-the-bees")
    assert response.status_code == 200
    assert response.get_json() == {
        "petition": "save-the-bees",
        "count": 2,
        "goal": 500,
        "as_of": last.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "partners": {"friends-of-bees": 1},
        "countries": {"DE": 1, "FR": 1},
        "direct": 1,
        "external": 0,
    }
    sign(petition, partner, country="DE")
    cached = client.get("/api/v1/petitions/save-the-bees").get_json()
    assert cached["count"] == 2  # the copy is served until it expires


def test_signatures_collected_elsewhere_join_the_count_and_its_breakdowns(app):
    petition = make_petition()
    partner = make_partner()
    sign(petition, partner, country="DE")
    add_external_count("save-the-bees", delta=5, country="DE", note="paper", actor="op",
                       partner_slug="friends-of-bees")  # fmt: skip
    add_external_count("save-the-bees", delta=3, country="FR", note="stall", actor="op")
    add_external_count("save-the-bees", delta=2, country="FR", note="stall", actor="op")
    wasps = make_petition("wasps")
    add_external_count("wasps", delta=7, country="IT", note="other petition", actor="op")
    latest = db.session.scalar(
        select(func.max(ExternalCount.created_at)).where(ExternalCount.petition_id == petition.id)
    )
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.external, snapshot.direct) == (11, 10, 5)
    assert (snapshot.partners, snapshot.countries) == ({"friends-of-bees": 6}, {"DE": 6, "FR": 5})
    assert snapshot.as_of == latest
    sign(wasps, partner, country="IT")
    other = read_count(wasps, fresh=True)
    assert (other.count, other.external, other.direct) == (8, 7, 7)
    partner_only = make_petition("partner-only")
    sign(partner_only, partner, country="IT")
    assert read_count(partner_only, fresh=True).direct == 0


def test_the_shared_copy_of_a_count_reads_back_exactly(app):
    petition = make_petition()
    sign(petition, make_partner(), country="DE")
    add_external_count("save-the-bees", delta=4, country="FR", note="paper", actor="op")
    snapshot = read_count(petition, fresh=True)
    assert snapshot.as_of.microsecond  # kept, unlike in the public document
    copy = json.loads(json.dumps(SHARED.dump(snapshot)))  # as Redis holds it
    assert SHARED.load(copy) == snapshot
    # A copy written before external counts existed reads as having none.
    del copy["external"]
    assert SHARED.load(copy) == dataclasses.replace(snapshot, external=0)
