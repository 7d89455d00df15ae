"""Widget pages load nothing from any other origin: no fonts, scripts, images, beacons."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PETITION, page_on
from tests.browser.frames import FORM, fill_form, frame_of, submit

pytestmark = pytest.mark.browser


def test_widget_frames_only_talk_to_the_widget_server(widget, browser_profile):
    origin = widget.start_site([page_on(widget, "counter", "script")[1]])
    page = browser_profile().new_page()
    requests = []
    page.on("request", lambda r: requests.append((r.frame, r.url)))
    page.goto(origin + "/")
    frame = frame_of(page, FORM)
    fill_form(frame, email="origins@example.org")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    page.goto(f"{widget.url}/p/{PETITION}/privacy")
    from_widget_pages = [
        url
        for request_frame, url in requests
        if request_frame != page.main_frame or url.startswith(widget.url)
    ]
    assert from_widget_pages  # the frames did load their styles and scripts
    elsewhere = [url for url in from_widget_pages if not url.startswith(widget.url)]
    assert elsewhere == []
