"""One logging setup for the app, gunicorn and the mail worker.

LOG_FORMAT=text writes one readable line per event; LOG_FORMAT=json one JSON object per
line (python-json-logger), for a log shipper. Every line written while a request is
served carries that request's id, which the response also sends as X-Request-ID, so a
complaint about one response finds its lines. Nothing here logs personal data: the app
logs no addresses, names or IPs, and gunicorn's access log is redacted (ops.gunicorn).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, has_request_context, request

HANDLER_NAME = "widget"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
# An id a proxy in front may already have given the request: kept if it looks like one.
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = (
            g.get("request_id", "-")
            if has_request_context()
            else getattr(record, "request_id", "-")
        )
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            timestamp=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(config: Mapping[str, Any], stream=None) -> logging.Handler:
    """Send every logger's records to one handler on stderr (or ``stream``), in the
    configured format and from the configured level. Safe to call again: the handler is
    replaced, never added twice."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter(config["LOG_FORMAT"]))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(config["LOG_LEVEL"])
    return handler


def register_request_ids(app: Flask) -> None:
    """Give every request an id (or keep a proxy's), and send it back as X-Request-ID."""

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
