"""What operators and partner users see: overview, charts as SVG and CSV, breakdowns,
external counts; and partner users who change URLs to reach other partners' data."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.dashboard import log_in, make_operator, make_partner_user, post_form
from tests.factories import make_partner, make_petition, sign
from widget.core.extensions import db
from widget.core.models import AuditEntry, utcnow
from widget.counting.charts import _nice_max


@pytest.fixture
def campaign(app):
    """One petition, two partners; signatures through each, one direct, one yesterday."""
    petition = make_petition(goal=100)
    bees = make_partner("friends-of-bees", name="Friends of Bees")
    wasps = make_partner("wasp-watch", name="Wasp Watch", origins=["https://wasps.example"])
    for _ in range(3):
        sign(petition, bees, country="DE")
    sign(petition, bees, country="AT")
    sign(petition, wasps, country="FR", email="private-wasp@example.org")
    sign(petition, None, country="IT")
    sign(petition, bees, country="DE", now=utcnow() - timedelta(days=1, hours=1))
    make_operator()
    make_partner_user("friends-of-bees")
    return petition


@pytest.fixture
def operator(client, campaign):
    log_in(client, "op@lead.example")
    return client


@pytest.fixture
def partner_user(app, campaign):
    client = app.test_client()
    log_in(client, "pat@partner.example")
    return client


def rows_of(response) -> list[list[str]]:
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.text)))


def test_overview_shows_totals_recent_numbers_and_states(operator):
    page = operator.get("/dashboard/").text
    numbers = dict(re.findall(r'data-field="(\w+)">([^<]+)<', page))
    assert numbers == {"total": "7", "last_hour": "6", "last_day": "6"}
    assert "Goal: 100" in page
    assert "Confirmed: 0 · waiting for confirmation: 7 · held for review: 0" in page


def test_overview_numbers_refresh_as_json(operator, campaign):
    sign(campaign, None, country="IT")
    numbers = operator.get("/dashboard/overview.json").json["save-the-bees"]
    assert numbers["total"] == "8" and numbers["last_hour"] == "7"
    assert numbers["progress"] == 8.0
    assert numbers["own"] is None  # operators see everyone's


def test_partner_overview_shows_the_campaign_total_and_its_own(partner_user):
    numbers = partner_user.get("/dashboard/overview.json").json["save-the-bees"]
    assert numbers["total"] == "7"  # the campaign's
    assert numbers["own"] == "5"  # through Friends of Bees
    assert numbers["last_hour"] == "4" and numbers["last_day"] == "4"
    page = partner_user.get("/dashboard/").text
    assert "waiting for confirmation" not in page  # campaign internals are the operators'


def test_petition_page_draws_accessible_svg_charts(operator):
    page = operator.get("/dashboard/petitions/save-the-bees").text
    charts = re.findall(r'<svg class="chart"[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', page)
    assert len(charts) == 5  # per hour, per day, in all, top partners, top countries
    for ids in charts:
        title_id, desc_id = ids.split()
        assert f'<title id="{title_id}">' in page and f'<desc id="{desc_id}">' in page
    assert "<title>Friends of Bees: 5</title>" in page
    assert "7 signatures in this period" in page  # the hourly chart's text alternative
    assert "<title>Germany: 4</title>" in page  # countries by name; the CSV keeps codes
    german = operator.get("/dashboard/petitions/save-the-bees?lang=de").text
    assert "<title>Deutschland: 4</title>" in german
    assert "<script" not in page.replace('<script src="/static/dashboard.js', "")


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        (
            "partners",
            [["Friends of Bees", "5"], ["Wasp Watch", "1"], ["Directly on the petition page", "1"]],
        ),
        ("countries", [["DE", "4"], ["AT", "1"], ["FR", "1"], ["IT", "1"]]),
    ],
)
def test_chart_data_downloads_as_csv(operator, chart, expected):
    rows = rows_of(operator.get(f"/dashboard/petitions/save-the-bees/charts/{chart}.csv"))
    assert rows[0][1] == "signatures"
    assert rows[1:] == expected


def test_daily_and_cumulative_series_add_up(operator):
    daily = rows_of(operator.get("/dashboard/petitions/save-the-bees/charts/daily.csv"))[1:]
    total = rows_of(operator.get("/dashboard/petitions/save-the-bees/charts/cumulative.csv"))[1:]
    assert len(daily) == len(total) == 30
    assert [int(n) for _, n in daily][-2:] == [1, 6]
    assert total[-1][1] == "7"
    hourly = rows_of(operator.get("/dashboard/petitions/save-the-bees/charts/hourly.csv"))[1:]
    assert len(hourly) == 48 and sum(int(n) for _, n in hourly) == 7


def test_breakdown_by_partner_country_and_day_with_filters(operator):
    rows = rows_of(operator.get("/dashboard/petitions/save-the-bees/breakdown.csv"))
    assert rows[0] == ["day_utc", "partner", "country", "signatures", "source"]
    today = utcnow().date().isoformat()
    assert [today, "Friends of Bees", "DE", "3", "signed"] in rows
    assert len(rows) == 1 + 5
    german = rows_of(operator.get("/dashboard/petitions/save-the-bees/breakdown.csv?country=de"))
    assert {r[2] for r in german[1:]} == {"DE"} and len(german) == 3
    only_today = rows_of(
        operator.get(f"/dashboard/petitions/save-the-bees/breakdown.csv?since={today}")
    )
    assert sum(int(r[3]) for r in only_today[1:]) == 6
    wasps = operator.get("/dashboard/petitions/save-the-bees/breakdown?partner=wasp-watch").text
    assert "Wasp Watch" in wasps and "Friends of Bees</td>" not in wasps


def test_breakdown_ignores_unreadable_filters(operator):
    response = operator.get(
        "/dashboard/petitions/save-the-bees/breakdown?since=yesterday&country=Z%C3%9F"
    )
    assert response.status_code == 200
    assert "7 signatures in the rows below." in response.text  # no filter applied
    nul = operator.get("/dashboard/petitions/save-the-bees/breakdown?country=%00")
    assert nul.status_code == 400
    assert "Please remove the invisible control characters." in nul.text


def test_partner_user_sees_only_its_own_rows(partner_user):
    rows = rows_of(partner_user.get("/dashboard/petitions/save-the-bees/breakdown.csv"))
    assert {r[1] for r in rows[1:]} == {"Friends of Bees"}
    # Asking for another partner's rows changes nothing.
    other = rows_of(
        partner_user.get("/dashboard/petitions/save-the-bees/breakdown.csv?partner=wasp-watch")
    )
    assert other == rows
    page = partner_user.get("/dashboard/petitions/save-the-bees").text
    assert "Wasp Watch" not in page and "FR" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/petitions/save-the-bees/charts/partners.csv",
        "/dashboard/partners/wasp-watch/embed",
        "/dashboard/petitions/save-the-bees/opted-in/wasp-watch.csv",
        "/dashboard/petitions/save-the-bees/signatures.csv",
        "/dashboard/petitions/save-the-bees/signatures.csv?partner=wasp-watch",
        "/dashboard/partners",
        "/dashboard/partners/wasp-watch",
        "/dashboard/partners/friends-of-bees",  # editing: operators only, even one's own
        "/dashboard/petitions/save-the-bees/settings",
        "/dashboard/petitions/save-the-bees/texts/en",
        "/dashboard/petitions/save-the-bees/external",
        "/dashboard/petitions/save-the-bees/fraud",
        "/dashboard/petitions/new",
        "/dashboard/users",
        "/dashboard/erasure",
        "/dashboard/audit",
    ],
)
def test_partner_user_changing_urls_gets_403_and_nothing_else(partner_user, url):
    response = partner_user.get(url)
    assert response.status_code == 403
    assert "Your account does not give access to this page." in response.text
    for leak in ("Wasp Watch", "wasp-watch@", "private-wasp", "FR"):
        assert leak not in response.text


def test_partner_user_cannot_post_to_operator_actions(partner_user, app):
    token_page = partner_user.get("/dashboard/account")
    for url in ("/dashboard/petitions/save-the-bees/close", "/dashboard/users/1/active"):
        response = post_form(partner_user, url, {"active": "0"}, page_url="/dashboard/account")
        assert response.status_code == 403, url
    assert token_page.status_code == 200


def test_external_counts_join_the_total_marked_and_audited(operator):
    response = post_form(operator, "/dashboard/petitions/save-the-bees/external", {
        "delta": "120", "country": "de", "partner": "wasp-watch", "note": "Paper lists, Berlin",
    })  # fmt: skip
    assert response.status_code == 302
    assert operator.get("/dashboard/overview.json").json["save-the-bees"]["total"] == "127"
    rows = rows_of(operator.get("/dashboard/petitions/save-the-bees/breakdown.csv"))
    assert [utcnow().date().isoformat(), "Wasp Watch", "DE", "120", "external"] in rows
    page = operator.get("/dashboard/petitions/save-the-bees/breakdown").text
    assert "collected elsewhere" in page

    # A correction is a new entry, and the list keeps both.
    post_form(operator, "/dashboard/petitions/save-the-bees/external", {
        "delta": "-20", "country": "DE", "partner": "wasp-watch", "note": "Counted twice",
    })  # fmt: skip
    page = operator.get("/dashboard/petitions/save-the-bees/external").text
    assert "Paper lists, Berlin" in page and "Counted twice" in page and "op@lead.example" in page
    assert operator.get("/dashboard/overview.json").json["save-the-bees"]["total"] == "107"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "external.add"))
    assert [e.details["delta"] for e in entries] == [120, -20]


def test_external_count_form_explains_bad_input(operator):
    response = post_form(operator, "/dashboard/petitions/save-the-bees/external", {
        "delta": "0", "country": "XX", "partner": "", "note": "",
    })  # fmt: skip
    assert response.status_code == 200
    for message in ("Please enter a number other than 0.",
                    "Please enter a two-letter country code, e.g. DE.",
                    "Please say where they come from."):  # fmt: skip
        assert message in response.text
    assert operator.get("/dashboard/overview.json").json["save-the-bees"]["total"] == "7"


def test_unknown_petition_or_chart_is_a_404(operator):
    assert operator.get("/dashboard/petitions/nope").status_code == 404
    assert operator.get("/dashboard/petitions/save-the-bees/charts/nope.csv").status_code == 404


@given(st.integers(min_value=0, max_value=10**9))
def test_chart_axis_top_is_even_and_above_the_largest_value(value):
    # Even, so the middle grid line's label is a whole number and sits where it says.
    top = _nice_max(value)
    assert top >= value and top % 2 == 0
    assert top <= max(2, 2 * value)  # round, but not so high that the bars shrink
