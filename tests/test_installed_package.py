"""The real package: a wheel built from the checkout, installed into a fresh virtual
environment, and run from a directory that is not the checkout. Migrations, templates,
mail templates, static files, compiled catalogues and CLDR slices must all come from the
installed copy (a checkout on sys.path would hide anything missing from the wheel)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import venv
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, free_port
from widget.core.settings import ROOT

pytestmark = pytest.mark.skipif(
    bool(TEST_DATABASE_URL),
    reason="the wheel is built and checked once, in the SQLite run of the suite",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the wheel (and its dependencies) installed; returns its bin/."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"),
         str(ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = (base / "dist").glob("petition_widget-*.whl")
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    # As in production: the locked dependencies (hashes checked), then the wheel alone.
    lock = ROOT / "requirements.lock"
    subprocess.run([bin_dir / "pip", "install", "-q", "--require-hashes", "-r", lock], check=True)
    subprocess.run([bin_dir / "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    return bin_dir


def _env(workdir: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        SECRET_KEY="installed-package-test-secret-key-0123456789",
        DATABASE_URL=f"sqlite:///{workdir / 'widget.db'}",
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        FORM_MIN_SECONDS="0",  # the test sends the form back at once
        COUNT_CACHE_SECONDS="0",  # and reads the count right after
    )
    return env


def _flask(bin_dir: Path, workdir: Path, env: dict, *args: str) -> str:
    done = subprocess.run(
        [bin_dir / "flask", "--app", "widget", *args],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_the_installed_wheel_migrates_serves_and_signs(installed, tmp_path):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    port = free_port()
    env = _env(workdir, port)
    where = subprocess.run(
        [installed / "python", "-c", "import widget; print(widget.__file__)"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert str(ROOT) not in where and "site-packages" in where

    _flask(installed, workdir, env, "db", "upgrade")
    _flask(installed, workdir, env, "petition", "create", "pkg-test", "--title", "Packaged",
           "--open", "--anywhere")  # fmt: skip
    _flask(installed, workdir, env, "partner", "add", "pkg-partner", "--name", "Pkg",
           "--origin", "https://pkg.example")  # fmt: skip
    assert "pkg-test" in _flask(installed, workdir, env, "petition", "list")
    # Dev-only commands are not part of the package.
    assert "run-demo" not in _flask(installed, workdir, env, "--help")

    log = workdir / "gunicorn.log"
    server = subprocess.Popen(
        [installed / "gunicorn", "widget:create_app()", "-b", f"127.0.0.1:{port}", "-w", "2",
         "--error-logfile", str(log)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                _get(f"{base}/embed.js")
                break
            except OSError:
                time.sleep(0.1)
        status, script = _get(f"{base}/embed.js")
        assert status == 200 and "petition-widget" in script
        status, login = _get(f"{base}/dashboard/login")
        assert status == 200 and 'name="password"' in login
        status, _css = _get(f"{base}/static/widget.css")
        assert status == 200
        # A form in German: the compiled catalogue and the CLDR slice come from the wheel.
        status, form = _get(f"{base}/embed/pkg-test?partner=pkg-partner&lang=de")
        assert status == 200 and "Petition unterschreiben" in form and "Deutschland" in form
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', form).group(1)
        fields = {"token": token, "first_name": "Ada", "last_name": "Lovelace",
                  "email": "ada@example.org", "country": "DE", "consent": "y"}  # fmt: skip
        request = urllib.request.Request(
            f"{base}/embed/pkg-test?partner=pkg-partner&lang=de",
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Origin": base, "Sec-Fetch-Site": "same-origin"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert "Vielen Dank" in response.read().decode()
        status, body = _get(f"{base}/api/v1/petitions/pkg-test")
        assert json.loads(body)["count"] == 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text()
