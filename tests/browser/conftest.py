"""Real-browser fixtures: Debian's Chromium driven by Playwright, the widget on
127.0.0.1 and partner pages on localhost, so every embed is truly cross-site."""

from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.factories import make_partner, make_petition
from widget.extensions import db
from widget.partner_site import PartnerPage, create_partner_site

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

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class LiveSite:
    widget_url: str
    partner_url: str
    widget_app: object
    petition_slug: str
    partner_slug: str

    def page_url(self, path: str = "/") -> str:
        return self.partner_url + path


@pytest.fixture
def live_site(database_url):
    """The widget and one partner's site, each on its own origin, with a seeded petition.

    The widget listens on 127.0.0.1 and the partner on `localhost` (same machine, another
    site), the situation of every real partner embed.
    """
    widget_port = free_port("127.0.0.1")
    widget_url = f"http://127.0.0.1:{widget_port}"
    partner_port = free_port("127.0.0.1")
    partner_url = f"http://localhost:{partner_port}"
    widget_app = make_app(database_url, PUBLIC_URL=widget_url)
    with widget_app.app_context():
        make_petition("save-the-bees", goal=100)
        make_partner("friends-of-bees", origins=[partner_url], country="DE")
    pages = [
        PartnerPage("/", "Friends of Bees", "friends-of-bees", "en", ("counter", "script")),
        PartnerPage("/iframe", "Plain iframe", "friends-of-bees", "en", ("iframe",)),
    ]
    site = create_partner_site(widget_app, "save-the-bees", pages)
    widget = make_server("127.0.0.1", widget_port, widget_app, threaded=True)
    partner = make_server("127.0.0.1", partner_port, site, threaded=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (widget, partner)]
    for t in threads:
        t.start()
    yield LiveSite(widget_url, partner_url, widget_app, "save-the-bees", "friends-of-bees")
    for s in (widget, partner):
        s.shutdown()
        s.server_close()
    with widget_app.app_context():
        db.engine.dispose()


def _profile_context(playwright, tmp_path, cookie_controls_mode: int):
    """A Chromium profile with third-party cookies blocked (1) or allowed (0), explicitly."""
    profile = tmp_path / f"profile-{cookie_controls_mode}"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"cookie_controls_mode": cookie_controls_mode}})
    )
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )


@pytest.fixture
def blocked_3pc_context(playwright, tmp_path):
    context = _profile_context(playwright, tmp_path, 1)
    yield context
    context.close()


@pytest.fixture
def allowed_3pc_context(playwright, tmp_path):
    context = _profile_context(playwright, tmp_path, 0)
    yield context
    context.close()
