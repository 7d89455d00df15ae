"""When the database is away: a clear, translated 503, never a 500."""

import pytest

from tests.conftest import free_port, make_app


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
