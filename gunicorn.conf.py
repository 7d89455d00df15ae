"""Production gunicorn settings; every value can be overridden with GUNICORN_* below."""

import gc
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, 2 per core, behind a buffering reverse proxy (nginx, Caddy): measured to
# have the best tail latency for this app (see docs/performance.md).
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
# A worker silent this long is stopped; a streamed download is not silent (post_worker_init).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 2
backlog = 2048
# Build the app once, in the master, and fork the workers from it (with the signer
# templates compiled and the mappers configured, see when_ready): a worker that is
# recycled or killed starts serving without building any of it again, and the workers
# share those pages. Safe because create_app() opens no connection (pools start empty in
# each worker). The price: a HUP no longer loads new code; deploy with a restart.
preload_app = True
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = 2000
# Bound request line and header sizes; bodies are bounded by MAX_CONTENT_LENGTH.
limit_request_line = 8190
limit_request_fields = 100
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# No client IP addresses, query strings or email-link tokens in the access log.
logger_class = "widget.ops.gunicorn.RedactingLogger"
# The combined format, redacted by the logger class, with the request's id last (the one
# every app log line of that request carries, and the X-Request-ID response header).
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


# Every worker writes its metrics to files in this directory and /metrics adds them up
# (prometheus-client's multiprocess mode). Set here, before the app is imported (this file
# is read first). An operator's own directory is emptied: a previous run's samples must
# not count.
if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
else:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="widget-metrics-")


def child_exit(server, worker):
    # A worker that is gone no longer counts in the gauges of live processes.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def when_ready(server):
    # In the master, with the app loaded (preload_app) and before any worker exists.
    from widget.ops.gunicorn import warm_up

    warm_up(server.app.wsgi())


def post_worker_init(worker):
    # A streamed download (the CSV exports) beats this heartbeat for every piece it
    # sends, so a long one is not taken for a hung worker (see widget/core/progress.py).
    from widget.core.progress import set_heartbeat

    set_heartbeat(worker.notify)


def pre_fork(server, worker):
    # Move everything the master imported out of the collector's reach, so a worker's
    # garbage collections do not write to (and so copy) the pages it shares with the
    # master. See the gc.freeze() documentation.
    gc.freeze()
