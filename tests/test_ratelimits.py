"""Signing rate limits, in this process's memory and (when TEST_REDIS_URL is set) in Redis."""

import json
import subprocess
import sys
import threading
import time
import uuid

import pytest
from flask_limiter.util import get_qualified_name
from limits import parse
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select

from tests.conftest import TEST_REDIS_URL, free_port, make_app
from tests.factories import make_partner, make_petition
from tests.helpers import form_token
from tests.helpers import valid_fields as fields
from widget.core.addresses import network_of
from widget.core.extensions import db, limiter
from widget.core.models import Signature, SignatureState
from widget.core.rate_counters import InProcessStorage
from widget.core.settings import ROOT
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.signers.fraud import Criteria, release_held_signatures
from widget.signing.limits import UNLIMITED_ENDPOINTS, is_over_signing_limit

FORM = "/embed/save-the-bees?partner=friends-of-bees"
STORAGES = ["memory", *(["redis"] if TEST_REDIS_URL else [])]


@pytest.fixture(params=STORAGES)
def app_config(request):
    config = {"RATE_LIMIT_PER_IP": "3/minute;5/hour", "RATE_LIMIT_PER_PARTNER": "50/minute"}
    if request.param == "redis":
        # Each test counts in its own keys: runs never see each other's hits.
        config.update(REDIS_URL=TEST_REDIS_URL, RATELIMIT_KEY_PREFIX=f"t{uuid.uuid4().hex}")
    return config


@pytest.fixture
def petition(app):
    make_partner()
    return make_petition()


def post(client, ip, email, url=FORM):
    page = client.get(url, environ_base={"REMOTE_ADDR": ip})
    data = {"token": form_token(page.get_data(as_text=True)), **fields(email=email)}
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": ip})


def stored(state=None) -> int:
    db.session.rollback()
    query = select(func.count()).select_from(Signature)
    if state:
        query = query.where(Signature.state == state)
    return db.session.scalar(query)


def test_burst_limit_refuses_with_a_clear_message_and_keeps_the_form(client, petition):
    for i in range(3):
        assert post(client, "203.0.113.5", f"p{i}@example.org").status_code == 200
    refused = post(client, "203.0.113.5", "fourth@example.org")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Please wait a few minutes, then sign again." in html
    assert 'value="fourth@example.org"' in html
    assert stored() == 3
    # Someone else on another network signs as usual.
    assert post(client, "198.51.100.7", "other@example.org").status_code == 200


def test_ipv6_counts_per_64_network(client, petition):
    for i in range(3):
        assert post(client, f"2001:db8:1:2::{i + 1}", f"v6-{i}@example.org").status_code == 200
    assert post(client, "2001:db8:1:2:ffff::9", "same-net@example.org").status_code == 429
    assert post(client, "2001:db8:1:3::1", "next-net@example.org").status_code == 200
    assert network_of("2001:db8:1:2::1") == network_of("2001:db8:1:2:abcd::1")


def test_partner_limit_spans_networks(app, client, petition):
    app.config["RATE_LIMIT_PER_PARTNER"] = "2/minute"
    assert post(client, "192.0.2.1", "a@example.org").status_code == 200
    assert post(client, "192.0.2.2", "b@example.org").status_code == 200
    assert post(client, "192.0.2.3", "c@example.org").status_code == 429
    assert post(client, "192.0.2.3", "c@example.org", url="/p/save-the-bees").status_code == 200


def test_hold_mode_keeps_over_limit_signatures_out_of_the_count(app, client, petition):
    petition.holds_over_limit = True
    db.session.commit()
    for i in range(4):
        response = post(client, "203.0.113.9", f"h{i}@example.org")
        assert response.status_code == 200
        assert "Thank you for signing!" in response.get_data(as_text=True)
    assert stored(SignatureState.HELD) == 1
    assert read_count(petition, fresh=True).count == 3
    result = release_held_signatures(
        "save-the-bees", Criteria(partner="friends-of-bees"), reason="real people", actor="op"
    )
    assert (result.matched, result.counted) == (1, 1)
    assert stored(SignatureState.HELD) == 0
    assert read_count(petition, fresh=True).count == 4
    assert verify_count(petition.id) == []


def hits_in_another_process(database_url: str, settings: dict, n: int) -> list[bool]:
    """Sign-attempt checks made by a separate Python process, as another gunicorn worker."""
    code = (
        "import json, sys\n"
        "from tests.conftest import make_app\n"
        "from widget.signing.limits import is_over_signing_limit\n"
        "app = make_app(sys.argv[1], **json.loads(sys.argv[2]))\n"
        "with app.app_context():\n"
        "    n = int(sys.argv[3])\n"
        "    hits = [is_over_signing_limit('203.0.113.77', None, 1) for _ in range(n)]\n"
        "    print(json.dumps(hits))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, database_url, json.dumps(settings), str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def shared_limit_settings(redis_url: str | None) -> dict:
    settings = {"RATE_LIMIT_PER_IP": "3/minute", "RATELIMIT_KEY_PREFIX": f"t{uuid.uuid4().hex}"}
    if redis_url:
        settings["REDIS_URL"] = redis_url
    return settings


def test_memory_limits_are_per_process(database_url):
    settings = shared_limit_settings(None)
    assert hits_in_another_process(database_url, settings, 4) == [False, False, False, True]
    app = make_app(database_url, **settings)
    with app.app_context():
        assert is_over_signing_limit("203.0.113.77", None, 1) is False


@pytest.mark.skipif(not TEST_REDIS_URL, reason="a real Redis server is needed; CI provides one")
def test_redis_shares_the_limits_between_app_processes(database_url):
    settings = shared_limit_settings(TEST_REDIS_URL)
    assert hits_in_another_process(database_url, settings, 3) == [False, False, False]
    app = make_app(database_url, **settings)
    with app.app_context():
        assert is_over_signing_limit("203.0.113.77", None, 1) is True


def test_redis_down_falls_back_to_memory_and_signing_goes_on(database_url):
    app = make_app(
        database_url,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        RATE_LIMIT_PER_IP="2/minute",
    )
    with app.app_context():
        make_partner()
        make_petition()
        client = app.test_client()
        assert post(client, "203.0.113.20", "a@example.org").status_code == 200
        assert post(client, "203.0.113.20", "b@example.org").status_code == 200
        assert post(client, "203.0.113.20", "c@example.org").status_code == 429
        assert stored() == 2
        db.session.remove()
        db.engine.dispose()


def test_in_process_counters_refuse_over_the_limit_without_starting_threads():
    storage = InProcessStorage()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("2/second")
    threads = threading.active_count()
    assert limiter.hit(limit, "net-a") and limiter.hit(limit, "net-a")
    assert not limiter.hit(limit, "net-a")
    assert limiter.hit(limit, "net-b")
    assert threading.active_count() == threads  # MemoryStorage starts a timer per hit


def test_in_process_counters_forget_expired_windows():
    storage = InProcessStorage()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("1/second")
    assert limiter.hit(limit, "net-a") and not limiter.hit(limit, "net-a")
    time.sleep(1.05)
    assert limiter.hit(limit, "net-a")  # the window moved on
    time.sleep(1.05)
    storage._next_cleanup = 0  # the once-a-second cleanup is due
    limiter.hit(limit, "net-b")
    assert not any("net-a" in key for key in storage.events)  # nor its key


def test_the_endpoints_the_limiter_hook_skips_have_no_limit_of_their_own(app):
    # is_unlimited_endpoint skips Flask-Limiter's hook on the signer's busiest endpoints;
    # a limit decorated on one of them would silently never count.
    limits = limiter.limit_manager
    for endpoint in UNLIMITED_ENDPOINTS:
        view = app.view_functions[endpoint]  # a renamed endpoint fails here
        assert limits.decorated_limits(get_qualified_name(view)) == [], endpoint
    # The same check sees the limit of a decorated endpoint.
    privacy_page = app.view_functions["embed.privacy_page"]
    assert limits.decorated_limits(get_qualified_name(privacy_page))
    # (Signing on the skipped form endpoints is still limited: the tests above.)
