"""A download that takes longer than gunicorn's worker timeout is not cut off while it
moves: the export beats the worker's heartbeat for every piece it sends."""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import urlencode

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


def log_in(port: int) -> str:
    """The operator's session cookie, from the login form as a browser sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/dashboard/login")
    response = connection.getresponse()
    token = csrf_of(response.read().decode())
    cookie = response.getheader("Set-Cookie").split(";")[0]
    body = urlencode({"csrf_token": token, "email": OPERATOR, "password": PASSWORD})
    connection.request(
        "POST",
        "/dashboard/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 302, "the operator could not log in"
    return response.getheader("Set-Cookie").split(";")[0]


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
        make_operator(OPERATOR)
        seed_signatures("save-the-bees", ROWS)
        db.session.remove()
        db.engine.dispose()
    server = Gunicorn(server_settings, workers=1, timeout=TIMEOUT)
    try:
        cookie = log_in(server.port)
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
