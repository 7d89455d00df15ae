import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

from tests.conftest import TEST_DATABASE_URL, make_app
from tests.factories import make_partner, make_petition, sign
from widget.core.caching import store
from widget.core.extensions import db
from widget.core.models import Tally, utcnow
from widget.counting.public_count import cached_count, count_after_signing, read_count
from widget.counting.tallies import rebuild_tallies, verify_count


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
