"""The cookie session exists on dashboard pages only.

Browsers send the session cookie to /dashboard alone (SESSION_COOKIE_PATH), so no other
page has a session to read. Flask and Flask-Login still look at it on every response,
which costs a signature check per request and, worse, adds `Vary: Cookie` to signers'
pages and to the public count, which makes many CDNs refuse to cache the count at all.
Everywhere else the session is Flask's null session: empty, never saved, no header.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface


class DashboardSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(app.config["SESSION_COOKIE_PATH"]):
            return super().open_session(app, request)
        return self.make_null_session(app)
