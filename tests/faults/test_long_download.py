"""A download that takes longer than gunicorn's worker timeout is not cut off while it
moves: the export beats the worker's heartbeat for every piece it sends."""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import urlencode

import pyotp
import pytest

from devtools.seeding import seed_signatures
from tests.conftest import make_app
from tests.dashboard import PASSWORD, csrf_of, make_operator
from tests.faults.conftest import Gunicorn
from widget.core.extensions import db

pytestmark = pytest.mark.faults

OPERATOR = "operator@example.org"
ROWS = 150_000
TIMEOUT = 2  # seconds a gunicorn worker may stay silent


def log_in(port: int, totp: pyotp.TOTP) -> str:
    """The operator's session cookie, from the login form and the code step as a browser
    sends them (operators need two-factor sign-in to export)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def send(method: str, path: str, cookie: str | None, fields: dict | None = None):
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        text = response.read().decode()
        new_cookie = response.getheader("Set-Cookie")
        return response, text, new_cookie.split(";")[0] if new_cookie else cookie

    _, page, cookie = send("GET", "/dashboard/login", None)
    fields = {"csrf_token": csrf_of(page), "email": OPERATOR, "password": PASSWORD}
    response, _, cookie = send("POST", "/dashboard/login", cookie, fields)
    assert response.status == 302, "the operator's password was not taken"
    _, page, cookie = send("GET", response.getheader("Location"), cookie)
    fields = {"csrf_token": csrf_of(page), "code": totp.now()}
    response, _, cookie = send("POST", "/dashboard/login/code", cookie, fields)
    connection.close()
    assert response.status == 302, "the operator could not log in"
    return cookie


def download_slowly(port: int, path: str, cookie: str) -> tuple[bytes, bool, float]:
    """Read the response at about 3 MB/s through a small receive buffer, as a slow
    connection would: the download lasts seconds on any machine. Returns the body, whether
    it arrived whole, and how long it took."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    started = time.monotonic()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    assert response.status == 200
    body, whole = bytearray(), True
    try:
        while piece := response.read(32 * 1024):
            body += piece
            time.sleep(0.01)
    except (http.client.IncompleteRead, ConnectionError) as cut:
        body += getattr(cut, "partial", b"")
        whole = False
    finally:
        connection.close()
    return bytes(body), whole, time.monotonic() - started


def test_a_slow_export_outlives_the_worker_timeout(server_settings, database_url):
    app = make_app(database_url)
    with app.app_context():
        totp = pyotp.TOTP(make_operator(OPERATOR).totp_secret)
        seed_signatures("save-the-bees", ROWS)
        db.session.remove()
        db.engine.dispose()
    server = Gunicorn(server_settings, workers=1, timeout=TIMEOUT)
    try:
        cookie = log_in(server.port, totp)
        body, whole, took = download_slowly(
            server.port, "/dashboard/petitions/save-the-bees/signatures.csv", cookie
        )
        worker_count = len(server.workers())
    finally:
        server.stop()
    assert whole
    assert body.count(b"\n") == ROWS + 1  # the header line, then every signature
    # This means something only because the download outlasted the timeout several times.
    assert took > 3 * TIMEOUT
    assert worker_count == 1
