"""Every embed variant on a partner page served from another origin."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OTHER_PETITION, PETITION, page_on
from tests.browser.frames import (
    COUNTER,
    FORM,
    OTHER_COUNTER,
    OTHER_FORM,
    assert_fits,
    fill_form,
    frame_of,
    screenshot,
    submit,
)
from tests.factories import sign
from widget.campaign.petitions import get_petition
from widget.counting.tallies import verify_count

pytestmark = pytest.mark.browser


def add_signatures(widget, n, slug=PETITION):
    with widget.app.app_context():
        petition = get_petition(slug)
        for _ in range(n):
            sign(petition)


def test_script_embed_resizes_at_every_step_and_updates_the_counter(
    widget, blocked_3pc_context, artifacts
):
    add_signatures(widget, 41)
    origin = widget.start_site([page_on(widget, "counter", "script")[1]])
    page = blocked_3pc_context.new_page()
    page.goto(origin + "/")

    expect(page.frame_locator(COUNTER).locator(".count-number")).to_have_text("41")
    form_height = assert_fits(page, FORM)["frame_height"]
    screenshot(page, artifacts / "embed-script.png")
    expect(page.get_by_role("link", name="Sign the petition: Save the bees")).to_be_hidden()
    assert page.locator(FORM).get_attribute("title") == "Sign the petition: Save the bees"

    frame = frame_of(page, FORM)
    submit(frame)
    expect(frame.locator("#error-summary")).to_be_visible()
    error_height = assert_fits(page, FORM)["frame_height"]
    assert error_height > form_height  # grew for the error messages

    frame = frame_of(page, FORM)
    fill_form(frame)
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    thanks_height = assert_fits(page, FORM)["frame_height"]
    assert thanks_height < form_height  # shrank: no white gap below the thank-you

    expect(frame.locator(".count-number")).to_have_text("42")
    expect(page.frame_locator(COUNTER).locator(".count-number")).to_have_text("42")
    assert_fits(page, COUNTER)
    with widget.app.app_context():
        assert verify_count(get_petition(PETITION).id) == []


def test_plain_iframe_embed_works_without_any_script(widget, browser_profile, artifacts):
    origin = widget.start_site([page_on(widget, "iframe")[1]])
    context = browser_profile()
    page = context.new_page()
    page.goto(origin + "/")
    assert page.locator("script").count() == 0
    frame = frame_of(page, FORM)
    screenshot(page, artifacts / "embed-iframe.png")
    fill_form(frame, email="plain@example.org")
    submit(frame)
    frame = frame_of(page, FORM)
    expect(frame.get_by_role("heading", name="Thank you for signing!")).to_be_visible()
    expect(frame.locator(".count-number")).to_have_text("1")


def test_counter_only_placement(widget, blocked_3pc_context, artifacts):
    add_signatures(widget, 1234)
    origin = widget.start_site([page_on(widget, "counter")[1]])
    page = blocked_3pc_context.new_page()
    page.goto(origin + "/")
    counter = page.frame_locator(COUNTER)
    expect(counter.locator(".count-line")).to_have_text("1,234 people have signed.")
    expect(counter.get_by_role("link", name="Sign the petition")).to_have_attribute(
        "target", "_blank"
    )
    assert page.locator("iframe").count() == 1
    assert_fits(page, COUNTER)
    screenshot(page, artifacts / "embed-counter.png")


def test_several_widgets_on_one_page_do_not_interfere(widget, blocked_3pc_context):
    add_signatures(widget, 5, PETITION)
    add_signatures(widget, 7, OTHER_PETITION)
    _, partner_page = page_on(widget, "counter", "script", extra_petitions=(OTHER_PETITION,))
    origin = widget.start_site([partner_page])
    page = blocked_3pc_context.new_page()
    page.goto(origin + "/")
    for selector in (FORM, OTHER_FORM, COUNTER, OTHER_COUNTER):
        assert_fits(page, selector)

    other = frame_of(page, OTHER_FORM)
    fill_form(other, email="trees@example.org")
    submit(other)
    other = frame_of(page, OTHER_FORM)
    expect(other.get_by_role("heading", name="Thank you for signing!")).to_be_visible()

    expect(page.frame_locator(OTHER_COUNTER).locator(".count-number")).to_have_text("8")
    expect(page.frame_locator(COUNTER).locator(".count-number")).to_have_text("5")
    # The bees' form kept its own size and its state.
    assert_fits(page, FORM)
    assert_fits(page, OTHER_FORM)
    expect(page.frame_locator(FORM).get_by_label("First name", exact=True)).to_be_visible()


def test_embed_script_included_twice_builds_each_widget_once(widget, blocked_3pc_context):
    _, partner_page = page_on(widget, "script", "counter")  # two snippets, two <script> tags
    origin = widget.start_site([partner_page])
    page = blocked_3pc_context.new_page()
    page.goto(origin + "/")
    assert page.locator("script[src$='/embed.js']").count() == 2
    expect(page.locator("[data-widget-state=ready]")).to_have_count(2)
    assert page.locator("iframe").count() == 2
