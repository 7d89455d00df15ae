"""Operations under the production server with several workers: metrics that add up
across processes, the JSON access log, and health probes kept out of it."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.faults.conftest import Gunicorn, get

pytestmark = pytest.mark.faults

TOKEN = "metrics-token-for-the-test-0123"


def _get_with(port: int, path: str, headers: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_metrics_add_up_across_workers(server_settings, tmp_path):
    metrics_dir = tmp_path / "metrics"
    settings = {**server_settings, "METRICS_TOKEN": TOKEN,
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}  # fmt: skip
    server = Gunicorn(settings, workers=3)
    try:
        n = 30
        for _ in range(n):  # a new connection each: the workers share them out
            assert get(server.port, "/healthz")[0] == 200
        assert _get_with(server.port, "/metrics", {})[0] == 403
        status, body = _get_with(server.port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    finally:
        server.stop()
    assert status == 200
    line = 'widget_http_requests_total{endpoint="monitoring.healthz",method="GET",status="200"}'
    (value,) = [float(x.rsplit(" ", 1)[1]) for x in body.splitlines() if x.startswith(line)]
    assert value == n
    writers = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
    assert len(writers) >= 2  # the count was summed over several processes


def test_the_json_access_log_has_request_ids_and_no_probes(server_settings):
    server = Gunicorn({**server_settings, "LOG_FORMAT": "json"}, workers=2, access_log=True)
    try:
        assert get(server.port, "/embed.js")[0] == 200
        assert get(server.port, "/healthz")[0] == 200
        assert get(server.port, "/readyz")[0] == 200
        assert get(server.port, "/s/secret-link-token/confirm")[0] == 404
    finally:
        server.stop()
    lines = [json.loads(x) for x in server.log_path.read_text().splitlines() if x.startswith("{")]
    requests = [x for x in lines if x.get("message") == "request"]
    paths = [x["path"] for x in requests]
    assert "/embed.js" in paths and "/s/…/confirm" in paths
    assert "/healthz" not in paths and "/readyz" not in paths
    assert all(len(x["request_id"]) == 32 for x in requests)
    assert "secret-link-token" not in server.log_path.read_text()
