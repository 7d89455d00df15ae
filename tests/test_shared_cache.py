"""The count cached in Redis for every app process (when REDIS_URL is set)."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from tests.conftest import TEST_REDIS_URL, free_port, make_app
from tests.factories import make_petition, sign
from widget.campaign.petitions import get_petition
from widget.core.caching import process_cache
from widget.core.extensions import db
from widget.counting.public_count import count_after_signing, read_count, read_count_for_slug
from widget.counting.reports import _count_states, overview


def test_redis_down_costs_nothing_but_the_cache(database_url):
    app = make_app(database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        petition = make_petition()
        sign(petition)
        assert read_count(petition, fresh=True).count == 1
        assert app.test_client().get("/api/v1/petitions/save-the-bees").get_json()["count"] == 1
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="a real Redis server is needed; CI provides one")
def test_one_process_reads_the_tallies_and_the_others_use_its_copy(database_url):
    settings = {
        "REDIS_URL": TEST_REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"t{uuid.uuid4().hex}",
        "COUNT_CACHE_SECONDS": 30,
    }
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    with first.app_context():
        petition = make_petition()
        sign(petition)
        assert read_count(petition).count == 1
        sign(petition)
        db.session.remove()
    with second.app_context():
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        snapshot = read_count_for_slug("save-the-bees")
        event.remove(db.engine, "before_cursor_execute", listen)
        # The copy the first process put in Redis: no query, and (by design) 1, not 2.
        assert (snapshot.count, statements) == (1, [])
        assert read_count(get_petition("save-the-bees"), fresh=True).count == 2
        db.session.remove()
    with first.app_context():
        process_cache("count").clear()
        assert read_count_for_slug("save-the-bees").count == 2  # the refreshed copy
        db.session.remove()
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="a real Redis server is needed; CI provides one")
def test_a_shared_copy_keeps_as_of_exact_so_no_signer_is_counted_twice(database_url):
    settings = {"REDIS_URL": TEST_REDIS_URL, "RATELIMIT_KEY_PREFIX": f"t{uuid.uuid4().hex}"}
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    signed_at = datetime.now(UTC).replace(microsecond=500000)
    with first.app_context():
        petition = make_petition()
        sign(petition, now=signed_at)
        assert read_count(petition).count == 1  # now in Redis, the signer included
        db.session.remove()
    with second.app_context():
        # The public JSON rounds as_of down to the second: compared with that, the
        # copy would look older than the signature and show it twice (2).
        shown = count_after_signing(get_petition("save-the-bees"), counted=True, at=signed_at)
        assert shown.count == 1
        db.session.remove()
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="a real Redis server is needed; CI provides one")
def test_one_process_counts_signatures_by_state_for_all(database_url):
    """The overview's split by state scans an index of every signature: with Redis,
    one process does it for all of them, once a minute at most."""
    settings = {"REDIS_URL": TEST_REDIS_URL, "RATELIMIT_KEY_PREFIX": f"t{uuid.uuid4().hex}"}
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    with first.app_context():
        petition = make_petition()
        sign(petition)
        assert overview(petition).states == {"signed": 1}
        sign(petition, email="grace@example.org")
        assert _count_states(petition.id) == {"signed": 2}
        db.session.remove()
    with second.app_context():
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        states = overview(get_petition("save-the-bees")).states
        event.remove(db.engine, "before_cursor_execute", listen)
        # The first process's copy (one signature, not two), and no query of states.
        assert states == {"signed": 1}
        assert not [sql for sql in statements if "GROUP BY signatures.state" in sql]
        db.session.remove()
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()
