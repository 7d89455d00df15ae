"""Helpers to look inside the widget's cross-origin iframes."""

from __future__ import annotations

import time

from playwright.sync_api import expect

FORM = "iframe[src*='/embed/save-the-bees?']"
COUNTER = "iframe[src*='/embed/save-the-bees/counter']"
OTHER_FORM = "iframe[src*='/embed/save-the-trees?']"
OTHER_COUNTER = "iframe[src*='/embed/save-the-trees/counter']"

MEASURE = """() => {
  const body = document.body, doc = document.documentElement, style = getComputedStyle(body);
  return {
    content: body.getBoundingClientRect().height
      + parseFloat(style.marginTop) + parseFloat(style.marginBottom),
    viewport: doc.clientHeight,
    scrollHeight: doc.scrollHeight,
    width: doc.clientWidth,
    scrollWidth: doc.scrollWidth,
  };
}"""


def frame_of(page, selector: str):
    handle = page.wait_for_selector(selector, state="attached")
    frame = handle.content_frame()
    frame.wait_for_load_state()
    return frame


def fit(page, selector: str) -> dict:
    """The iframe's box and its content's size, read from both sides."""
    box = page.locator(selector).bounding_box()
    inside = frame_of(page, selector).evaluate(MEASURE)
    return {"frame_height": box["height"], "frame_width": box["width"], **inside}


def assert_fits(page, selector: str, timeout: float = 5.0) -> dict:
    """The iframe is exactly as tall as its content: no inner scrollbar, no white gap,
    nothing wider than the frame. Heights arrive by postMessage, so allow them time."""
    deadline = time.monotonic() + timeout
    while True:
        m = fit(page, selector)
        fits = (
            abs(m["frame_height"] - m["content"]) <= 1.5
            and m["scrollHeight"] <= m["viewport"] + 1
            and m["scrollWidth"] <= m["width"]
        )
        if fits or time.monotonic() > deadline:
            assert fits, m
            return m
        time.sleep(0.1)


def fill_form(frame, *, email="ada@example.org", country="FR", consent=True):
    """Fill the form by field id, so it works in every language."""
    frame.locator("#first_name").fill("Ada")
    frame.locator("#last_name").fill("Lovelace")
    frame.locator("#email").fill(email)
    frame.locator("#country").select_option(country)
    if consent:
        # Tick it from the keyboard, as many signers do. A mouse click in a cross-origin
        # frame is aimed at coordinates that Chromium can still be updating after it
        # scrolled the partner page; on a 16 px checkbox that missed twice in CI.
        box = frame.locator("#consent")
        box.press("Space")
        expect(box).to_be_checked()


def submit(frame, button: str = "Sign the petition") -> None:
    """Send the form with its button, from the keyboard: a mouse click in a cross-origin
    frame is aimed at coordinates Chromium may still be updating after a scroll or a
    viewport change, and then lands beside the button (seen in CI)."""
    frame.get_by_role("button", name=button).press("Enter")


def screenshot(page, path) -> None:
    """The whole partner page, iframes included.

    Full-page screenshots leave cross-origin frames half painted, so grow the viewport to
    the page's height instead (its width, and so the layout, stays the same).
    """
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.wait_for_timeout(300)
    page.screenshot(path=path)
    page.set_viewport_size(size)
    # Let the page lay itself out at the old size before anything clicks in it: a click
    # aimed during the reflow can land beside its target (seen once in CI, on a checkbox).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
