"""Third-party cookies blocked and allowed: the widget works in both and sets none.

The canary proves the "blocked" profile really blocks: if a Chromium update turned the
preference into a no-op, the signing tests below would pass for the wrong reason.
"""

import pytest
from flask import Flask, make_response
from playwright.sync_api import expect

from tests.browser.conftest import Server, page_on
from tests.browser.frames import COUNTER, FORM, fill_form, frame_of, submit

pytestmark = pytest.mark.browser


@pytest.fixture
def cookie_setter():
    """A third site whose page sets an ordinary SameSite=None; Secure cookie."""
    app = Flask("cookie-setter")

    @app.get("/set")
    def set_cookie():
        response = make_response("<!doctype html><title>c</title><p>set</p>")
        response.set_cookie("canary", "1", samesite="None", secure=True)
        return response

    server = Server(app)
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def canary_page():
    """A top-level page on localhost that frames ``url``."""
    servers = []

    def start(url: str) -> str:
        app = Flask("canary-page")
        app.add_url_rule(
            "/", "index", lambda: f'<!doctype html><title>p</title><iframe src="{url}"></iframe>'
        )
        server = Server(app)
        servers.append(server)
        return f"http://localhost:{server.port}/"

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize(("allowed", "stored"), [(False, False), (True, True)])
def test_canary_third_party_cookie_follows_the_profile(
    browser_profile, cookie_setter, canary_page, allowed, stored
):
    context = browser_profile(third_party_cookies=allowed)
    page = context.new_page()
    page.goto(canary_page(cookie_setter + "/set"))
    expect(page.frame_locator("iframe").locator("p")).to_have_text("set")
    names = [c["name"] for c in context.cookies()]
    assert ("canary" in names) is stored


@pytest.mark.parametrize("allowed", [False, True], ids=["3pc-blocked", "3pc-allowed"])
def test_signing_works_and_no_cookie_is_ever_set(widget, browser_profile, allowed):
    origin = widget.start_site([page_on(widget, "counter", "script")[1]])
    context = browser_profile(third_party_cookies=allowed)
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    fill_form(frame, email=f"cookie-{allowed}@example.org")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    expect(page.frame_locator(COUNTER).locator(".count-number")).to_have_text("1")
    assert context.cookies() == []
    widget_responses = [r for r in responses if r.url.startswith(widget.url)]
    assert widget_responses
    assert not [r.url for r in widget_responses if "set-cookie" in r.all_headers()]
