"""Fault tests: real gunicorn on loopback, a bounded signing load, and parts that fail."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import BASE_CONFIG, free_port, make_app
from tests.factories import make_partner, make_petition
from widget.core.extensions import db
from widget.core.settings import ROOT

BIN = Path(sys.executable).parent
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')
FORM = "/embed/save-the-bees?partner=friends-of-bees"


class Gunicorn:
    """The production server (gunicorn.conf.py), on a free loopback port."""

    def __init__(
        self, settings: dict, workers: int = 2, timeout: int = 20, access_log: bool = False
    ) -> None:
        self.port = free_port()
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gunicorn-{self.port}.log"
        self.log_path = log_path
        self.log = log_path.open("w")
        env = {**os.environ, **{k: str(v) for k, v in settings.items()}}
        env.update(
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS=str(workers),
            GUNICORN_ACCESS_LOG="-" if access_log else "",
            GUNICORN_LOG_LEVEL="warning",
            GUNICORN_TIMEOUT=str(timeout),
        )
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/embed.js")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def get(port: int, path: str, timeout: float = 10) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def post(port: int, path: str, fields: dict, timeout: float = 10) -> tuple[int, str, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            urlencode(fields),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        return response.status, response.read().decode(), dict(response.getheaders())
    finally:
        connection.close()


@dataclass
class LoadResult:
    signed: list[str] = field(default_factory=list)  # emails answered with the thank-you page
    statuses: list[int] = field(default_factory=list)
    bodies_503: list[str] = field(default_factory=list)
    connection_errors: int = 0


def signing_load(port: int, *, seconds: float, threads: int = 4, prefix: str = "load") -> tuple:
    """Start signing from ``threads`` clients for at most ``seconds``; return (join, result)."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        i = 0
        while time.monotonic() < deadline and i < 2000:
            i += 1
            email = f"{prefix}-{n}-{i}@example.org"
            try:
                status, page = get(port, FORM)
                if status != 200:
                    with lock:
                        result.statuses.append(status)
                        if status == 503:
                            result.bodies_503.append(page)
                    time.sleep(0.1)
                    continue
                token = TOKEN.search(page).group(1)
                status, page, _ = post(
                    port,
                    FORM,
                    {
                        "token": token,
                        "first_name": "Load",
                        "last_name": "Test",
                        "email": email,
                        "country": "DE",
                        "consent": "y",
                    },
                )
            except (OSError, http.client.HTTPException):
                with lock:
                    result.connection_errors += 1
                time.sleep(0.1)
                continue
            with lock:
                result.statuses.append(status)
                if status == 200 and 'id="thanks-title"' in page:
                    result.signed.append(email)
                elif status == 503:
                    result.bodies_503.append(page)

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()

    def join() -> LoadResult:
        for worker in workers:
            worker.join(timeout=seconds + 30)
        return result

    return join, result


@pytest.fixture
def server_settings(database_url) -> dict:
    """Settings for the gunicorn processes: the test's own database, tests' secrets."""
    app = make_app(database_url)
    with app.app_context():
        make_petition()
        make_partner()
        db.session.remove()
        db.engine.dispose()
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
        "PUBLIC_URL": "http://127.0.0.1",
        "FORM_MIN_SECONDS": 0,
        "RATE_LIMIT_PER_IP": "1000000/minute",
        "RATE_LIMIT_PER_PARTNER": "1000000/minute",
        "COUNT_CACHE_SECONDS": 1,
    }
