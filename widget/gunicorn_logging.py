"""gunicorn's access log without personal data: no client addresses, no link tokens.

An access log line normally starts with the client's IP address and shows each URL in
full, and the links in signers' emails carry secret tokens in their path. Both are
redacted here; everything else about the request stays for debugging.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

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
