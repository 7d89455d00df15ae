from datetime import datetime

import pytest
from sqlalchemy import event

from tests.factories import make_partner, make_petition, sign
from widget.core.extensions import db

URL = "/api/v1/petitions/save-the-bees"


@pytest.fixture
def petition(app):
    petition = make_petition(goal=500)
    bees = make_partner("bees")
    sign(petition, bees, country="DE")
    sign(petition, bees, country="FR")
    sign(petition, None, country="FR")
    return petition


def test_count_json_has_total_goal_as_of_and_breakdowns(client, petition):
    response = client.get(URL)
    assert response.status_code == 200
    data = response.get_json()
    assert data["count"] == 3 and data["goal"] == 500
    assert data["partners"] == {"bees": 2}
    assert data["countries"] == {"DE": 1, "FR": 2}
    assert data["direct"] == 1
    assert datetime.fromisoformat(data["as_of"]).tzinfo is not None


def test_count_is_cacheable_and_open_to_every_origin(client, petition):
    headers = client.get(URL).headers
    assert headers["Cache-Control"] == (
        "public, max-age=10, stale-while-revalidate=20, stale-if-error=60"
    )
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["ETag"]
    assert "Set-Cookie" not in headers


def test_count_does_not_vary_by_cookie(client, petition):
    # "Vary: Cookie" makes many CDNs keep one copy per visitor, or none at all; the count
    # reads no cookie, and says so even when a browser sends the dashboard's.
    client.set_cookie("dashboard_session", "anything", path="/")
    for response in (client.get(URL), client.get("/embed/save-the-bees")):
        assert "Cookie" not in response.headers.get("Vary", ""), response.request.path
        assert "Set-Cookie" not in response.headers


def test_conditional_request_gets_304(client, petition):
    etag = client.get(URL).headers["ETag"]
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert "max-age" in response.headers["Cache-Control"]


def test_304_is_answered_without_touching_the_database(app, client, petition):
    etag = client.get(URL).headers["ETag"]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []


def test_changed_count_changes_the_etag(app, client, petition):
    app.config["COUNT_CACHE_SECONDS"] = 0
    etag = client.get(URL).headers["ETag"]
    sign(petition)
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.get_json()["count"] == 4


def test_unknown_petition_is_a_json_404(client, app):
    response = client.get("/api/v1/petitions/nope")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


@pytest.mark.parametrize(
    ("origin", "partner", "expected"),
    [
        ("https://friends.example", "friends", True),
        ("https://evil.example", "friends", False),
        (None, "friends", False),
        ("https://friends.example", "nobody", False),
        ("https://friends.example", None, False),
    ],
)
def test_embeddable_tells_embed_js_whether_the_page_may_frame_the_widget(
    client, petition, origin, partner, expected
):
    make_partner("friends", origins=["https://friends.example"])
    url = URL + "/embeddable" + (f"?partner={partner}" if partner else "")
    response = client.get(url, headers={"Origin": origin} if origin else {})
    assert response.get_json() == {"embeddable": expected}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_petition_open_to_any_site_is_embeddable_anywhere(client, app):
    make_petition("open-one", is_embeddable_anywhere=True)
    response = client.get(
        "/api/v1/petitions/open-one/embeddable", headers={"Origin": "https://any.example"}
    )
    assert response.get_json() == {"embeddable": True}
    assert client.get("/api/v1/petitions/nope/embeddable").get_json() == {"embeddable": False}
