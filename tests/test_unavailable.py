"""When the database is away: a clear, translated 503, never a 500."""

import psycopg
import pytest
from sqlalchemy import text

from tests.conftest import TEST_DATABASE_URL, free_port, make_app
from widget.core.extensions import db


@pytest.fixture(
    params=[
        "sqlite:////nonexistent-dir/widget.db",
        f"postgresql://postgres@127.0.0.1:{free_port()}/nothing",
    ],
    ids=["sqlite-missing", "postgres-down"],
)
def unavailable_app(request):
    app = make_app(request.param, PROPAGATE_EXCEPTIONS=False)
    yield app


@pytest.mark.parametrize(
    "path", ["/embed/save-the-bees?partner=x", "/p/save-the-bees", "/embed/save-the-bees/counter"]
)
def test_widget_pages_answer_503_with_a_retry_message(unavailable_app, path):
    response = unavailable_app.test_client().get(path + ("&" if "?" in path else "?") + "lang=de")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


def test_signing_post_answers_503(unavailable_app):
    response = unavailable_app.test_client().post(
        "/embed/save-the-bees", data={"first_name": "Ada"}
    )
    assert response.status_code == 503


def test_count_api_answers_503_json(unavailable_app):
    response = unavailable_app.test_client().get("/api/v1/petitions/save-the-bees")
    assert response.status_code == 503
    assert response.get_json()["status"] == 503


@pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="terminating a server connection needs PostgreSQL (CI runs it)"
)
def test_a_database_lost_after_the_response_is_made_is_not_a_500(database_url):
    """PostgreSQL restarts between a request's last query and its end: the closing
    ROLLBACK fails, yet the finished response goes out and the next request works."""
    app = make_app(database_url)

    @app.get("/test/lose-connection")
    def lose_connection():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        return "made"

    client = app.test_client()
    response = client.get("/test/lose-connection")
    assert response.status_code == 200 and response.text == "made"
    assert client.get("/api/v1/petitions/no-such-petition").status_code == 404
    with app.app_context():
        db.engine.dispose()
