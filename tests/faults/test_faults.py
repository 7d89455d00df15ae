"""Parts fail during a signing load: nothing acknowledged is lost, the count verifies,
clients get clear answers (never a 500), and service comes back by itself.

Every load is bounded in time and count and runs on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest
from sqlalchemy import select

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, MailCapture, free_port, make_app
from tests.faults.conftest import FORM, Gunicorn, get, signing_load
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import OutboxMessage, OutboxStatus, Signature
from widget.counting.tallies import verify_count
from widget.ops.worker import run_worker

pytestmark = pytest.mark.faults


def stored_emails(database_url: str) -> set[str]:
    app = make_app(database_url)
    with app.app_context():
        emails = set(db.session.scalars(select(Signature.email)))
        assert verify_count(get_petition("save-the-bees").id) == []
        db.session.remove()
        db.engine.dispose()
    return emails


def assert_no_acknowledged_signature_lost(result, database_url: str) -> None:
    statuses = {s: result.statuses.count(s) for s in sorted(set(result.statuses))}
    print(
        f"signed {len(result.signed)}, statuses {statuses}, "
        f"connection errors {result.connection_errors}"
    )
    assert result.signed, "the load signed nothing at all"
    missing = set(result.signed) - stored_emails(database_url)
    assert missing == set()
    assert 500 not in result.statuses


def test_sigkill_a_worker_during_signing(server_settings, database_url):
    server = Gunicorn(server_settings, workers=2)
    try:
        join, result = signing_load(server.port, seconds=6, prefix="kill")
        time.sleep(2)
        victim = server.workers()[0]
        os.kill(victim, signal.SIGKILL)
        result = join()
        # gunicorn replaced the worker; the service answers as before.
        assert victim not in server.workers() and len(server.workers()) == 2
        assert get(server.port, FORM)[0] == 200
    finally:
        server.stop()
    assert_no_acknowledged_signature_lost(result, database_url)


def test_several_app_servers_one_truth(server_settings, database_url):
    """Two gunicorn instances on different ports, one database, the same people signing
    through both at once: every signature once, and both serve the same count."""
    first, second = Gunicorn(server_settings), Gunicorn(server_settings)
    try:
        join_a, _ = signing_load(first.port, seconds=5, threads=3, prefix="same")
        join_b, _ = signing_load(second.port, seconds=5, threads=3, prefix="same")
        a, b = join_a(), join_b()
        time.sleep(server_settings["COUNT_CACHE_SECONDS"] + 0.5)  # the stated staleness
        counts = [
            json.loads(get(server.port, "/api/v1/petitions/save-the-bees")[1])["count"]
            for server in (first, second)
        ]
    finally:
        first.stop()
        second.stop()
    stored = stored_emails(database_url)
    assert set(a.signed) | set(b.signed) <= stored
    assert counts == [len(stored), len(stored)]
    assert 500 not in a.statuses + b.statuses
    # The same emails went through both servers: duplicates were not counted twice.
    assert len(a.signed) + len(b.signed) > len(stored)


def test_smtp_down_delays_mail_and_loses_none(app, database_url):
    """The worker keeps running while the mail server is away, then sends everything once."""
    from aiosmtpd.controller import Controller

    from tests.factories import make_petition, sign

    port = free_port()
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=2, WORKER_POLL_SECONDS=0.2
    )
    petition = make_petition()
    capture = MailCapture()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()

    def work():
        with app.app_context():
            run_worker(stop=stop)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        for i in range(5):
            sign(petition, email=f"before-{i}@example.org")
        wait_for(lambda: len(capture.messages) == 5)
        controller.stop()  # the mail server goes away
        for i in range(5):
            sign(petition, email=f"during-{i}@example.org")
        time.sleep(1.5)
        db.session.expire_all()
        waiting = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        ).all()
        assert len(waiting) == 5 and all(m.attempts >= 1 for m in waiting)
        # Back again; the waiting mail goes out at its next attempt (pulled forward here).
        controller = Controller(capture, hostname="127.0.0.1", port=port)
        controller.start()
        for message in waiting:
            message.next_attempt_at = message.created_at
        db.session.commit()
        wait_for(lambda: len(capture.messages) == 10)
    finally:
        stop.set()
        worker.join(timeout=10)
        controller.stop()
    recipients = sorted(m["To"] for m in capture.messages)
    assert recipients == sorted(
        [f"before-{i}@example.org" for i in range(5)]
        + [f"during-{i}@example.org" for i in range(5)]
    )


def wait_for(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


PG_CLUSTER = shutil.which("pg_ctlcluster")


@pytest.mark.skipif(
    not (TEST_DATABASE_URL and PG_CLUSTER and os.geteuid() == 0),
    reason="CI: PostgreSQL on this machine",
)
def test_postgres_restart_during_signing(server_settings, database_url):
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    server = Gunicorn(server_settings, workers=2)
    try:
        join, result = signing_load(server.port, seconds=14, prefix="pg")
        time.sleep(3)
        subprocess.run(
            [PG_CLUSTER, "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            timeout=60,
        )
        result = join()
        # After the restart the pool reconnects by itself.
        assert get(server.port, FORM)[0] == 200
    finally:
        server.stop()
    assert_no_acknowledged_signature_lost(result, database_url)
    # While the database was away, clients got the translated 503 page, not a 500.
    assert all("try again in a minute" in body for body in result.bodies_503)


REDIS_SERVER = shutil.which("redis-server")


@pytest.mark.skipif(
    not (TEST_REDIS_URL and REDIS_SERVER and os.geteuid() == 0), reason="CI: Redis on this machine"
)
def test_redis_stops_during_signing(server_settings, database_url):
    settings = {
        **server_settings,
        "REDIS_URL": TEST_REDIS_URL,
        "RATE_LIMIT_PER_IP": "1000000/minute",
    }
    server = Gunicorn(settings, workers=2)
    try:
        join, result = signing_load(server.port, seconds=8, prefix="redis")
        time.sleep(2)
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], timeout=10)
        time.sleep(3)
        subprocess.run(
            [
                REDIS_SERVER,
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
                "--logfile",
                "/var/log/redis/ci.log",
            ],
            check=True,
            timeout=30,
        )
        result = join()
        assert get(server.port, FORM)[0] == 200
    finally:
        server.stop()
    assert_no_acknowledged_signature_lost(result, database_url)
    assert result.statuses.count(200) > 0 and 503 not in result.statuses
