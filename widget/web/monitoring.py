"""What operators and their load balancer ask the app: is the process up (/healthz), can
it serve (/readyz), and how is it doing (/metrics, Prometheus text format).

None of them sets a cookie or is rate limited; the probes stay out of the access log
(ops.gunicorn). /metrics is not public: a bearer token (METRICS_TOKEN) or an address in
METRICS_ALLOW.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import time
from functools import cache

from flask import Blueprint, Flask, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select, text, type_coerce
from sqlalchemy.exc import SQLAlchemyError

from widget.core.breaker import breaker
from widget.core.extensions import db
from widget.core.metrics import (
    DB_CONNECTIONS_IN_USE,
    DB_POOL_TIMEOUTS,
    REQUEST_SECONDS,
    REQUESTS,
)
from widget.core.models import OutboxMessage, OutboxStatus, UTCDateTime, utcnow
from widget.core.settings import MIGRATIONS_DIR

bp = Blueprint("monitoring", __name__)

ENDPOINTS = frozenset({"monitoring.healthz", "monitoring.readyz", "monitoring.metrics"})


@bp.get("/healthz")
def healthz():
    """The process is up and answering; no I/O at all."""
    return _no_store(jsonify({"status": "ok"}))


@bp.get("/readyz")
def readyz():
    """Ready to serve: the database answers, its schema is the latest migration, and (when
    configured) Redis answers. Redis is optional: without it the app serves from memory,
    so a Redis outage is reported as "degraded" with 200, not taken out of service."""
    checks: dict[str, str] = {}
    ready = True
    try:
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL statement_timeout = 2000"))
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        expected = head_revision()
        checks["schema"] = "ok" if version == expected else f"at {version}, expected {expected}"
        ready = version == expected
    except SQLAlchemyError as exc:
        db.session.rollback()
        checks["database"] = f"unavailable ({type(exc).__name__})"
        ready = False
    finally:
        db.session.rollback()
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = "ok" if _redis_answers() else "degraded: serving from memory"
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return _no_store(jsonify(body)), 200 if ready else 503


def _redis_answers() -> bool:
    import redis

    circuit = breaker("redis")
    if not circuit.allows():
        return False
    client = redis.Redis.from_url(
        current_app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        circuit.failed(exc)
        return False
    finally:
        client.close()
    circuit.succeeded()
    return True


@cache
def head_revision() -> str | None:
    """The newest Alembic revision, read from the migration files themselves (importing
    Alembic would cost every worker about 10 MB)."""
    revisions, parents = set(), set()
    pattern = re.compile(r"^(down_revision|revision)\s*=\s*['\"]([^'\"]+)['\"]", re.M)
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in pattern.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


@bp.get("/metrics")
def metrics():
    if not _may_read_metrics():
        return _no_store(jsonify({"error": "forbidden", "status": 403})), 403
    registry = _scrape_registry()
    registry.register(OutboxCollector())
    response = current_app.response_class(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return _no_store(response)


def _may_read_metrics() -> bool:
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    allowed = config.get("METRICS_ALLOW") or ()
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)


def _scrape_registry():
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    # One process: the default registry, plus a collector that lives for this scrape.
    registry = CollectorRegistry()
    registry.register(_Forward(REGISTRY))
    return registry


class _Forward:
    def __init__(self, source) -> None:
        self.source = source

    def collect(self):
        yield from self.source.collect()


class OutboxCollector:
    """The outbox as the database holds it, read at each scrape: what waits to be sent
    (and since when), and what failed for good, by channel and kind."""

    def collect(self):
        depth = GaugeMetricFamily(
            "widget_outbox_pending", "Messages waiting to be sent.", labels=["channel", "kind"]
        )
        oldest = GaugeMetricFamily(
            "widget_outbox_oldest_pending_seconds",
            "Age of the oldest message waiting to be sent.",
            labels=["channel", "kind"],
        )
        failed = GaugeMetricFamily(
            "widget_outbox_failed", "Messages that failed for good.", labels=["channel", "kind"]
        )
        now = utcnow()
        try:
            rows = _outbox_rows()
        except SQLAlchemyError:
            # The database is away: the other metrics still go out, and /readyz says why.
            db.session.rollback()
            return
        for channel, kind, status, n, first in rows:
            if status == OutboxStatus.PENDING:
                depth.add_metric([channel, kind], n)
                oldest.add_metric([channel, kind], max((now - first).total_seconds(), 0))
            else:
                failed.add_metric([channel, kind], n)
        yield depth
        yield oldest
        yield failed


def _outbox_rows():
    # min() of a column keeps the column's type only when told: then it comes back as an
    # aware UTC datetime on both databases.
    oldest = type_coerce(func.min(OutboxMessage.created_at), UTCDateTime())
    return db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.status, func.count(),
               oldest)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.status)
    ).all()  # fmt: skip


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- measuring every request and the database pool -----------------------------------------


def register_monitoring(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def start_clock() -> None:
        g.started_at = time.perf_counter()

    @app.after_request
    def measure(response):
        started = g.pop("started_at", None)
        if started is not None:
            endpoint = request.endpoint or "unmatched"
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        return response

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", lambda *args: DB_CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *args: DB_CONNECTIONS_IN_USE.dec())


def count_pool_timeout() -> None:
    DB_POOL_TIMEOUTS.inc()
