"""What gunicorn.conf.py hands to gunicorn: a redacting access log, and the work done once
in the master before the workers are forked.

The access log holds no personal data: no client addresses, no link tokens.

An access log line normally starts with the client's IP address and shows each URL in
full, and the links in signers' emails carry secret tokens in their path. Both are
redacted here; everything else about the request stays for debugging.
"""

from __future__ import annotations

import re

from flask import Flask
from gunicorn.glogging import Logger
from sqlalchemy.orm import configure_mappers

# Paths whose last part is a secret: signers' links, invitations and password resets.
SECRET_PATH = re.compile(r"(/s|/dashboard/invite|/dashboard/reset)/[^/?\s]+")


def redact_path(path: str) -> str:
    """Drop the query string (it may carry page URLs with personal tokens) and link tokens."""
    return SECRET_PATH.sub(r"\1/…", path.split("?", 1)[0])


class RedactingLogger(Logger):
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
