"""Real-browser fixtures: Debian's Chromium driven by Playwright, the widget on
127.0.0.1 and partner pages on localhost, so every embed is truly cross-site."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from devtools.partner_site import PartnerPage, create_partner_site
from tests.conftest import free_port, make_app
from tests.factories import make_partner, make_petition
from widget.campaign.partners import add_partner_origins
from widget.core.extensions import db

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PETITION = "save-the-bees"
OTHER_PETITION = "save-the-trees"
PARTNER = "friends-of-bees"

TEXTS = {
    "de": {"title": "Rettet die Bienen", "summary": "Ohne Bienen keine Ernte."},
    "el": {"title": "Σώστε τις μέλισσες", "summary": "Χωρίς μέλισσες δεν υπάρχει σοδειά."},
    "bg": {"title": "Спасете пчелите", "summary": "Без пчели няма реколта."},
    "fr": {"title": "Sauvez les abeilles", "summary": "Sans abeilles, pas de récolte."},
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots the suite writes for people to look at (not compared by tests)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _closing(app):
    """The app, its response closed as soon as it is sent. Werkzeug's development server
    closes it only after draining the request socket, and skips that when the browser
    resets the connection meanwhile (a page navigating away from a loading script): the
    static file behind the response was then left to the garbage collector, whose
    ResourceWarning failed a browser test now and then."""

    def serve(environ, start_response):
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            if hasattr(response, "close"):
                response.close()

    return serve


class Server:
    """A WSGI app served on 127.0.0.1 in a thread."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server = make_server("127.0.0.1", self.port, _closing(app), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._server.shutdown()
            self._server.server_close()
            self.running = False


class Delay:
    """WSGI middleware that can hold widget pages back, to play a slow server."""

    def __init__(self, app) -> None:
        self.app = app
        self.seconds = 0.0
        self.stopping = threading.Event()

    def __call__(self, environ, start_response):
        held = self.seconds and environ.get("PATH_INFO", "").startswith("/embed/")
        # Woken early when the test ends: answer without touching the (closed) database.
        if held and self.stopping.wait(self.seconds):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"stopping"]
        return self.app(environ, start_response)


@dataclass
class Widget:
    url: str
    app: object
    server: Server
    delay: Delay
    sites: list[Server] = field(default_factory=list)

    def start_site(self, pages: list[PartnerPage], *, register: str | None = PARTNER) -> str:
        """Serve ``pages`` on a new localhost origin; register it for a partner if asked."""
        port = free_port()
        origin = f"http://localhost:{port}"
        if register:
            with self.app.app_context():
                add_partner_origins(register, [origin])
        site = create_partner_site(self.app, PETITION, pages)
        self.sites.append(Server(site, port))
        return origin


@pytest.fixture
def widget(database_url) -> Widget:
    """The widget server on its own origin, with two open petitions and one partner."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(database_url, PUBLIC_URL=url)
    with app.app_context():
        make_petition(PETITION, goal=100, texts=TEXTS)
        make_petition(OTHER_PETITION, title="Save the trees", goal=50)
        make_partner(PARTNER, name="Friends of Bees", origins=[], country="DE")
    delay = Delay(app)
    server = Server(delay, port)
    widget = Widget(url, app, server, delay)
    yield widget
    delay.stopping.set()
    for site in widget.sites:
        site.stop()
    server.stop()
    with app.app_context():
        db.engine.dispose()


def page_on(widget: Widget, *variants: str, **options) -> tuple[str, PartnerPage]:
    """One partner page with the given embed variants."""
    page = PartnerPage(
        options.pop("path", "/"),
        options.pop("title", "Friends of Bees"),
        options.pop("partner", PARTNER),
        options.pop("lang", "en"),
        variants,
        **options,
    )
    return page.path, page


def _profile_context(playwright, tmp_path, cookie_controls_mode: int, **options):
    """A Chromium profile with third-party cookies blocked (1) or allowed (0), explicitly:
    browser defaults change between versions, so neither mode is left to them."""
    profile = tmp_path / f"profile-{cookie_controls_mode}"
    (profile / "Default").mkdir(parents=True)
    preferences = {"profile": {"cookie_controls_mode": cookie_controls_mode}}
    preferences.update(options.pop("preferences", {}))
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options
    )


@pytest.fixture
def browser_profile(playwright, tmp_path) -> Callable:
    """Make a persistent Chromium context; closed at the end of the test."""
    contexts = []

    def make(*, third_party_cookies: bool = False, **options):
        context = _profile_context(
            playwright, tmp_path / str(len(contexts)), 0 if third_party_cookies else 1, **options
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def blocked_3pc_context(browser_profile):
    return browser_profile(third_party_cookies=False)
