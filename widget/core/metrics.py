"""The app's Prometheus metrics (prometheus-client), defined once for every package.

Under gunicorn every worker is its own process: gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR before the app is imported, so each process writes its samples
there and /metrics adds them up (prometheus-client's multiprocess mode). Without it (the
development server, one process) the default registry is read directly. Labels take a
bounded set of values only (endpoint names, outcomes, kinds), never anything a client
chooses.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "widget_http_requests_total",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "widget_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SIGNATURES = Counter(
    "widget_signatures_total",
    "Signing attempts by outcome: signed, held, duplicate, discarded (honeypot), refused.",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "widget_rate_limit_refusals_total",
    "Requests over a rate limit, by scope (signing per network or partner, other pages).",
    ["scope"],
)
DB_CONNECTIONS_IN_USE = Gauge(
    "widget_db_connections_in_use",
    "Database connections checked out of the pools right now (all processes).",
    multiprocess_mode="livesum",
)
DB_POOL_TIMEOUTS = Counter(
    "widget_db_pool_timeouts_total",
    "Requests that waited for a database connection longer than the pool's timeout.",
)
SHARED_SERVICE_DOWN = Gauge(
    "widget_shared_service_down",
    "1 while a process serves from memory because a shared service (Redis) stopped "
    "answering; summed over processes.",
    ["service"],
    multiprocess_mode="livesum",
)
