"""What gunicorn.conf.py hands to gunicorn: a redacting access log, and the work done once
in the master before the workers are forked.

The access log holds no personal data: no client addresses, no link tokens.

An access log line normally starts with the client's IP address and shows each URL in
full, and the links in signers' emails carry secret tokens in their path. Both are
redacted here; everything else about the request stays for debugging.
"""

from __future__ import annotations

import logging
import os
import re

from flask import Flask
from gunicorn.glogging import Logger
from sqlalchemy.orm import configure_mappers

from widget.ops.logs import formatter

# Paths whose last part is a secret: signers' links, invitations and password resets.
SECRET_PATH = re.compile(r"(/s|/dashboard/invite|/dashboard/reset)/[^/?\s]+")


def redact_path(path: str) -> str:
    """Drop the query string (it may carry page URLs with personal tokens) and link tokens."""
    return SECRET_PATH.sub(r"\1/…", path.split("?", 1)[0])


CLIENT_ADDRESS = re.compile(r"ip=\S+?(?=:\s|,|\s|$)")


class RedactErrorLog(logging.Filter):
    """gunicorn's own error lines name the client ("Invalid request from ip=…") and the
    request's URI (with link tokens and query strings): both are redacted here."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.args and "Error handling request" in record.msg:
            record.args = tuple(
                redact_path(a) if isinstance(a, str) and a.startswith("/") else a
                for a in record.args
            )
            message = record.getMessage()
        redacted = CLIENT_ADDRESS.sub("ip=…", message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, ()
        return True


# Probes every few seconds from the load balancer or the monitoring: not worth a line.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RedactingLogger(Logger):
    """gunicorn's logger: the access log redacted (see redact_path), health probes left
    out, and LOG_FORMAT=json honoured (one JSON object per line, like the app's)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(RedactErrorLog())
        self.json = os.environ.get("LOG_FORMAT", "text").strip() == "json"
        if self.json:
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter("json"))

    def access(self, resp, req, environ, request_time) -> None:
        if environ.get("PATH_INFO") in QUIET_PATHS:
            return
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(
            "request",
            extra={
                "method": environ.get("REQUEST_METHOD", "-"),
                "path": atoms["U"],
                "status": getattr(resp, "status_code", None) or atoms["s"],
                "bytes": atoms["B"],
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "request_id": _response_header(resp, "x-request-id") or "-",
            },
        )

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        atoms.update(
            h="-",
            r=f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}",
            U=path,
            q="",
            f="-",  # the referer: a partner page URL, possibly with personal tokens
        )
        return atoms


def _response_header(resp, name: str) -> str | None:
    for key, value in getattr(resp, "headers", ()) or ():
        if key.lower() == name:
            return value
    return None


# --- work done once in the master, before the workers are forked ---------------------------
# What a worker would otherwise build on its first requests and then keep (SQLAlchemy's
# mapper configuration, the signer pages' compiled templates) is built here once, so every
# worker shares those pages with the master instead of holding a private copy of its own.
# No I/O beyond reading template files: connections are opened by the workers only.


# The pages signers and partner pages load; the dashboard's are left to the workers
# that serve it.
SIGNER_TEMPLATES = (
    "embed/sign.html",
    "embed/thanks.html",
    "embed/counter.html",
    "embed/closed.html",
)


def warm_up(app: Flask) -> None:
    configure_mappers()
    for name in SIGNER_TEMPLATES:
        app.jinja_env.get_template(name)
