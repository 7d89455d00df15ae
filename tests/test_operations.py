"""Running it in production: health and readiness, metrics, logs without personal data,
error tracking, a mail queue that one bad message cannot jam, a Redis that hangs, and the
outbox as operators see it."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sentry_sdk
from sqlalchemy import select, text, update

from tests.conftest import TEST_REDIS_URL, free_port, make_app
from tests.dashboard import log_in, make_operator, post_form
from tests.factories import make_partner, make_petition, sign
from tests.test_privacy import confirm_all, webhook_receiver  # noqa: F401 (a fixture)
from widget.campaign.partners import set_partner_webhook
from widget.campaign.petitions import set_petition_text
from widget.core.caching import Shared, lookup, process_cache, store
from widget.core.errors import InvalidInput
from widget.core.extensions import csrf, db
from widget.core.models import OutboxMessage, OutboxStatus, Partner, PetitionText, Signature
from widget.core.settings import ROOT
from widget.ops.logs import configure_logging
from widget.ops.worker import run_worker_once
from widget.outbox.review import queue_status
from widget.signers.erasure import erase_address
from widget.web.monitoring import head_revision

# --- health and readiness ------------------------------------------------------------------


def test_healthz_answers_without_io_cookies_or_limits(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.headers["X-Request-ID"]) == 32


def test_readyz_checks_the_database_and_the_schema(app, client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        behind = client.get("/readyz")
    finally:  # on PostgreSQL the next tests share this database (only rows are emptied)
        db.session.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
        db.session.commit()
    assert behind.status_code == 503
    assert behind.get_json()["checks"]["schema"] == f"at 0001, expected {head_revision()}"


def test_readyz_is_503_when_the_database_is_unreachable(new_app, tmp_path):
    app = new_app(f"sqlite:///{tmp_path / 'no-such-dir' / 'widget.db'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("unavailable")


def test_readyz_reports_a_redis_that_does_not_answer_as_degraded(new_app, database_url):
    app = new_app(database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/readyz")
    # Signing goes on from memory without Redis: not a reason to take the app out.
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "degraded: serving from memory"


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_need_the_token_or_an_allowed_address(app, client):
    assert client.get("/metrics").status_code == 403
    app.config["METRICS_TOKEN"] = "t" * 24
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 24})
    assert wrong.status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 24})
    assert right.status_code == 200 and right.mimetype == "text/plain"
    app.config.update(METRICS_TOKEN=None, METRICS_ALLOW=("10.0.0.0/8",))
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 403


def _metric(body: str, name: str, **labels) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in body.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_signatures_refusals_and_the_outbox(app, client, smtp):
    app.config.update(METRICS_ALLOW=("127.0.0.1",), RATE_LIMIT_PER_IP="2/minute")
    before = client.get("/metrics").text
    petition = make_petition()
    for n in range(3):
        sign(petition, email=f"m{n}@example.org")
    sign(petition, email="m0@example.org")  # a duplicate
    client.get("/healthz")
    after = client.get("/metrics").text

    def grew(name, **labels):
        return _metric(after, name, **labels) - _metric(before, name, **labels)

    assert grew("widget_signatures_total", outcome="signed") == 3
    assert grew("widget_signatures_total", outcome="duplicate") == 1
    assert grew("widget_http_requests_total", endpoint="monitoring.healthz", method="GET",
                status="200") == 1  # fmt: skip
    assert _metric(after, "widget_outbox_pending", channel="email", kind="confirm") == 3
    assert _metric(after, "widget_outbox_oldest_pending_seconds", channel="email",
                   kind="confirm") >= 0  # fmt: skip


# --- logs ------------------------------------------------------------------------------------


def test_json_logs_carry_the_request_id_the_response_sends(app, client):
    stream = io.StringIO()
    handler = configure_logging({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}, stream=stream)
    try:

        @app.get("/test/log")
        def log_something():
            logging.getLogger("widget.test").info("something happened")
            return "ok"

        response = client.get("/test/log")
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines() if "something" in x]
    assert line["message"] == "something happened" and line["level"] == "INFO"
    assert line["request_id"] == response.headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-id-1234"})
    assert kept.headers["X-Request-ID"] == "proxy-id-1234"  # a proxy's own id is kept


def test_no_email_name_or_ip_address_reaches_the_logs(app, client, smtp, caplog, webhook_receiver):  # noqa: F811
    url, received = webhook_receiver
    petition = make_petition()
    partner = make_partner()
    set_partner_webhook(partner.slug, url)
    with caplog.at_level(logging.DEBUG):
        sign(petition, partner, email="private.person@example.org", first_name="Zebedee",
             last_name="Quixote", partner_opt_in=True, ip="203.0.113.77")  # fmt: skip
        confirm_all(smtp)
        run_worker_once()
        erase_address("private.person@example.org", channel="test", actor="op")
        run_worker_once()
        smtp.refused.add("bounce@example.org")
        sign(petition, email="bounce@example.org", first_name="Bartholomew")
        run_worker_once()
    assert len(received) == 2  # the signer, then the erasure
    ours = [r for r in caplog.records if r.name.startswith(("widget", "sqlalchemy", "flask"))]
    assert ours, "the worker logs its deliveries"
    text_logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    for personal in ("private.person", "Zebedee", "Quixote", "203.0.113.77", "bounce@",
                     "Bartholomew"):  # fmt: skip
        assert personal not in text_logged
    assert "outbox" in text_logged and "sent" in text_logged


# --- error tracking --------------------------------------------------------------------------


class SentrySink(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        SentrySink.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_errors_reach_sentry_without_personal_data(new_app, database_url):
    SentrySink.received = []
    server = HTTPServer(("127.0.0.1", free_port()), SentrySink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app = new_app(
            database_url,
            SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_port}/1",
            PROPAGATE_EXCEPTIONS=False,
        )

        @app.post("/test/crash")
        def crash():
            raise RuntimeError("could not handle ada.private@example.org")

        csrf.exempt(crash)  # a form from anywhere, so the body reaches the error

        response = app.test_client().post(
            "/test/crash?email=ada.private@example.org",
            data={"email": "ada.private@example.org", "first_name": "Ada"},
            headers={"Cookie": "session=secret-cookie", "X-Forwarded-For": "198.51.100.9"},
            environ_base={"REMOTE_ADDR": "203.0.113.50"},
        )
        assert response.status_code == 500
        sentry_sdk.flush(timeout=10)
    finally:
        sentry_sdk.init()  # stop reporting for the rest of the tests
        server.shutdown()
        server.server_close()
    events = b"".join(SentrySink.received).decode()
    assert "RuntimeError" in events and "could not handle" in events
    for personal in ("ada.private", "203.0.113.50", "198.51.100.9", "secret-cookie", "Ada"):
        assert personal not in events


# --- a queue that cannot jam -----------------------------------------------------------------


def test_a_poison_message_does_not_delay_any_other(app, smtp):
    poisoned = make_petition("poisoned", title="Poisoned")
    healthy = make_petition("healthy", title="Healthy")
    sign(poisoned, email="victim@example.org")
    # A title from before titles were checked, with a header injection in it.
    db.session.execute(
        update(PetitionText).where(PetitionText.title == "Poisoned")
        .values(title="Poisoned\r\nBcc: x@evil.example")
    )  # fmt: skip
    partner = make_partner()
    set_partner_webhook(partner.slug, "https://hooks.example/ok")
    db.session.execute(update(Partner).values(webhook_url="https://hooks.example/with space"))
    db.session.commit()
    sign(healthy, partner, email="hooked@example.org", partner_opt_in=True)
    confirm_all(smtp)  # sends the batch once; the confirmation queues the webhook
    for n in range(60):
        sign(healthy, email=f"fine{n}@example.org")
    report = run_worker_once(batch=50)
    delivered = {m["To"] for m in smtp.messages}
    assert {f"fine{n}@example.org" for n in range(60)} <= delivered
    assert "victim@example.org" not in delivered and "x@evil.example" not in delivered
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).all()
    assert sorted((m.channel, m.kind) for m in failed) == [
        ("email", "confirm"),
        ("webhook", "signature"),
    ]
    assert all(m.attempts == 1 and m.last_error for m in failed)  # failed at once
    assert report.sent == 60


def test_header_texts_refuse_line_breaks_and_webhooks_must_be_whole_urls(app):
    make_petition()
    with pytest.raises(InvalidInput):
        set_petition_text("save-the-bees", "en", supported_locales=["en"],
                          title="Bees\r\nBcc: x@evil.example")  # fmt: skip
    partner = make_partner()
    for bad in ("https://hooks.example/with space", "hooks.example/x", "https://:80/x",
                "https://host:notaport/", "https://user:pw@hooks.example/"):  # fmt: skip
        with pytest.raises(InvalidInput):
            set_partner_webhook(partner.slug, bad)


def test_operators_see_and_retry_the_queue(app, client, runner, smtp):
    petition = make_petition()
    smtp.refused.add("refused@example.org")
    sign(petition, email="refused@example.org")
    run_worker_once()
    status = runner.invoke(args=["outbox", "status"])
    assert "email\tconfirm\t0\t-\t1" in status.output
    failed = runner.invoke(args=["outbox", "failed"])
    assert "\texample.org\t" in failed.output and "refused@" not in failed.output
    message_id = failed.output.split("\t", 1)[0]
    make_operator()
    log_in(client, "op@lead.example")
    page = client.get("/dashboard/outbox").text
    assert "example.org" in page and "refused@example.org" not in page
    smtp.refused.clear()
    post_form(client, "/dashboard/outbox/retry", {"id": message_id}, page_url="/dashboard/outbox")
    run_worker_once()
    assert [m["To"] for m in smtp.messages].count("refused@example.org") == 1
    assert queue_status() == []


# --- shared services that fail fast ----------------------------------------------------------


class SilentServer:
    """Accepts connections and never answers: a Redis that hangs."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.running = False
        self.socket.close()
        for connection in self.connections:
            connection.close()


def test_a_hanging_redis_is_tried_once_then_left_alone(database_url, caplog):
    silent = SilentServer()
    try:
        app = make_app(
            database_url,
            REDIS_URL=f"redis://127.0.0.1:{silent.port}/0",
            SHARED_SERVICE_RETRY_SECONDS=3600,
            RATE_LIMIT_PER_IP="1000/minute",
        )
        with app.app_context():
            make_petition()
            make_partner()
            client = app.test_client()
            with caplog.at_level(logging.WARNING):
                for n in range(20):
                    page = client.get("/embed/save-the-bees?partner=friends-of-bees")
                    token = page.text.split('name="token" type="hidden" value="')[1].split('"')[0]
                    signed = client.post(
                        "/embed/save-the-bees?partner=friends-of-bees",
                        data={"token": token, "first_name": "Ada", "last_name": "L",
                              "email": f"h{n}@example.org", "country": "DE", "consent": "y"},
                    )  # fmt: skip
                    assert signed.status_code == 200
            counted = db.session.scalar(select(db.func.count()).select_from(Signature))
            db.session.remove()
            db.engine.dispose()
    finally:
        silent.close()
    assert counted == 20
    # One attempt (one socket timeout), then memory until the retry interval is over:
    # without the breaker every signature would wait on the silent socket several times.
    assert len(silent.connections) <= 2
    changes = [r for r in caplog.records if "is not answering" in r.getMessage()]
    assert len(changes) == 1


@pytest.mark.skipif(not TEST_REDIS_URL, reason="a real Redis server is needed; CI provides one")
def test_a_count_from_redis_expires_when_redis_copy_does(new_app, database_url):
    first = new_app(database_url, REDIS_URL=TEST_REDIS_URL, RATELIMIT_KEY_PREFIX="stale-test")
    second = new_app(database_url, REDIS_URL=TEST_REDIS_URL, RATELIMIT_KEY_PREFIX="stale-test")
    shared = Shared(dump=lambda v: v, load=lambda v: v)
    with first.app_context():
        store("probe", "k", {"n": 1}, ttl=10, shared=shared)
    time.sleep(1.0)
    with second.app_context():
        assert lookup("probe", "k", shared=shared) == {"n": 1}
        deadline, _ = process_cache("probe").entries["k"]
    # The second process keeps its copy only as long as Redis keeps it (about 9 s left),
    # not a fresh 10 s: no count is older than its setting says.
    assert deadline - time.monotonic() <= 9.05


def test_the_workers_delivery_lines_appear_at_the_default_level(app, database_url, smtp):
    petition = make_petition()
    sign(petition, email="worker-log@example.org")
    smtp.refused.add("refused-log@example.org")
    sign(petition, email="refused-log@example.org")
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "k" * 40,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(app.config["SMTP_PORT"]),
            "SMTP_SECURITY": "none",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "email confirm sent" in done.stderr
    assert "email confirm failed for good after attempt 1 (SMTPRecipientsRefused)" in done.stderr
    assert "worker-log@" not in done.stderr and "refused-log@" not in done.stderr
