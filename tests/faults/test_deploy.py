"""deploy/: Debian's real nginx with our site (its TLS lines left out) in front of gunicorn
on loopback, and the systemd units checked by systemd-analyze."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.faults.conftest import Gunicorn
from widget.core.settings import ROOT

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TOKEN = "metrics-token-for-the-deploy-test"
TOKEN_FIELD = re.compile(r'name="token" type="hidden" value="([^"]+)"')
FORM = "/embed/save-the-bees?partner=friends-of-bees"


def site_for_test(upstream_port: int, listen_port: int, workdir: Path) -> str:
    """deploy/nginx/petition-widget.conf as shipped, less its TLS lines, on loopback."""
    site = (DEPLOY / "nginx" / "petition-widget.conf").read_text()
    lines = [line for line in site.splitlines() if not line.rstrip().endswith("# TLS")]
    site = "\n".join(lines)
    name = "    server_name sign.example.org;"
    site = site.replace(name, f"    listen 127.0.0.1:{listen_port};\n{name}")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    site = site.replace("/var/cache/nginx/petition-widget", str(workdir / "cache"))
    site = site.replace("/var/log/nginx/", f"{workdir}/")
    return site


class Nginx:
    def __init__(self, upstream_port: int, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        (workdir / "cache").mkdir()
        (workdir / "site.conf").write_text(site_for_test(upstream_port, self.port, workdir))
        user = "user root;" if os.geteuid() == 0 else ""
        temp = " ".join(
            f"{kind}_temp_path {workdir}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (workdir / "nginx.conf").write_text(
            f"{user}\nworker_processes 1;\nerror_log {workdir}/error.log;\n"
            f"pid {workdir}/nginx.pid;\nevents {{ worker_connections 256; }}\n"
            f"http {{ {temp} include {workdir}/site.conf; }}\n"
        )
        check = subprocess.run([NGINX, "-t", "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
                               capture_output=True, text=True)  # fmt: skip
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                request(self.port, "GET", "/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError((workdir / "error.log").read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _free_port() -> int:
    from tests.conftest import free_port

    return free_port()


def request(port: int, method: str, path: str, body: str | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body, {"Host": "sign.example.org", **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def app_requests(gunicorn_port: int, endpoint: str) -> float:
    """How many requests the app itself answered for ``endpoint`` (its own metrics)."""
    _, _, body = request(
        gunicorn_port, "GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("widget_http_requests_total{") and f'endpoint="{endpoint}"' in line
    )


@pytest.fixture
def stack(server_settings, tmp_path):
    settings = {
        **server_settings,
        "TRUSTED_PROXIES": 1,
        "METRICS_TOKEN": TOKEN,
        "COUNT_MAX_AGE": 60,
        # Counted per process without Redis: with two workers, three signatures from one
        # network put two on one worker, and its second is refused.
        "RATE_LIMIT_PER_IP": "1/minute",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    app_server = Gunicorn(settings, workers=2)
    proxy = Nginx(app_server.port, tmp_path)
    yield app_server, proxy
    proxy.stop()
    app_server.stop()


pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        not Path(NGINX).exists(),
        reason="Debian's nginx is needed (python3 dev.py test installs it)",
    ),
]


def test_many_count_requests_within_max_age_reach_the_app_once(stack):
    app_server, proxy = stack
    path = "/api/v1/petitions/save-the-bees"
    answers: list[int] = []

    def fetch():
        answers.append(request(proxy.port, "GET", path)[0])

    threads = [threading.Thread(target=fetch) for _ in range(20)]  # a cold cache, at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    for _ in range(20):
        fetch()
    assert answers == [200] * 40
    assert app_requests(app_server.port, "api.petition_count") == 1
    _, headers, _ = request(proxy.port, "GET", path)
    assert headers["X-Cache-Status"] == "HIT"
    _, headers, _ = request(proxy.port, "GET", "/embed.js")
    _, headers, _ = request(proxy.port, "GET", "/embed.js")
    assert headers["X-Cache-Status"] == "HIT"


def test_form_pages_are_never_served_from_the_cache(stack):
    app_server, proxy = stack
    first = request(proxy.port, "GET", FORM)
    second = request(proxy.port, "GET", FORM)
    assert first[0] == second[0] == 200
    assert TOKEN_FIELD.search(first[2]).group(1) != TOKEN_FIELD.search(second[2]).group(1)
    assert app_requests(app_server.port, "embed.sign_in_frame") == 2
    assert "X-Cache-Status" not in second[1]


def test_a_client_sent_forwarded_for_does_not_change_the_address_limits_see(stack):
    _, proxy = stack
    statuses = []
    for n in range(3):
        _, _, page = request(proxy.port, "GET", FORM)
        fields = {"token": TOKEN_FIELD.search(page).group(1), "first_name": "Ada",
                  "last_name": "Lovelace", "email": f"spoof{n}@example.org", "country": "DE",
                  "consent": "y"}  # fmt: skip
        status, _, _ = request(
            proxy.port,
            "POST",
            FORM,
            urlencode(fields),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "http://127.0.0.1",
                # A different made-up address on every request: had it passed through,
                # each would be a new network to the rate limits.
                "X-Forwarded-For": f"198.51.100.{n + 1}",
            },
        )
        statuses.append(status)
    # Had the made-up addresses passed through, each would be a new network: no refusal.
    assert statuses[0] == 200 and 429 in statuses


def test_readiness_works_through_the_proxy(stack):
    _, proxy = stack
    status, _, body = request(proxy.port, "GET", "/readyz")
    assert status == 200 and '"status":"ready"' in body.replace(" ", "")
    assert request(proxy.port, "GET", "/metrics")[0] == 403  # the token is still wanted


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is absent")
def test_the_systemd_units_verify(tmp_path):
    # The units name /srv/petition-widget; point them at stand-in executables here.
    bin_dir = tmp_path / "srv" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("gunicorn", "flask"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/srv/petition-widget", str(tmp_path / "srv")))
        units.append(str(copy))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    names = {Path(u).name for u in units}
    assert names == {
        "petition-widget.service",
        "petition-widget-worker.service",
        "petition-widget-retention.service",
        "petition-widget-retention.timer",
    }
