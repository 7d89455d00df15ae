"""Signers' data from the dashboard: exports, fraud review with a dry run, erasure."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from tests.dashboard import log_in, make_operator, make_partner_user, post_form
from tests.factories import make_partner, make_petition, sign
from tests.test_privacy import confirm_all
from widget.campaign.petitions import get_petition
from widget.core.addresses import hash_ip
from widget.core.extensions import db
from widget.core.models import AuditEntry, Signature, SignatureState
from widget.counting.public_count import read_count


@pytest.fixture
def campaign(app, smtp):
    petition = make_petition()
    bees = make_partner("friends-of-bees", name="Friends of Bees")
    wasps = make_partner("wasp-watch", name="Wasp Watch", origins=["https://wasps.example"])
    sign(petition, bees, email="yes@example.org", partner_opt_in=True, first_name="=HYPERLINK(1)")
    sign(petition, bees, email="no@example.org", partner_opt_in=False, country="FR")
    sign(petition, wasps, email="wasp-fan@example.org", partner_opt_in=True)
    confirm_all(smtp)
    sign(petition, bees, email="pending@example.org", partner_opt_in=True)
    for n in range(4):
        sign(petition, wasps, email=f"bot{n}@spam.example", ip="203.0.113.9")
    make_operator()
    make_partner_user("friends-of-bees")
    return petition


@pytest.fixture
def operator(client, campaign):
    log_in(client, "op@lead.example")
    return client


def csv_rows(response) -> list[dict]:
    assert response.mimetype == "text/csv"
    assert response.is_streamed  # never built in memory
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_operator_exports_all_signatures_or_a_filtered_part(operator):
    rows = csv_rows(operator.get("/dashboard/petitions/save-the-bees/signatures.csv"))
    assert len(rows) == 8
    assert rows[0]["first_name"] == "'=HYPERLINK(1)"  # shown as text, never run
    stored = db.session.scalars(select(Signature).order_by(Signature.created_at)).all()
    # Times as ISO 8601 in UTC, the same from SQLite's text as from PostgreSQL's timestamps.
    assert [r["signed_at"] for r in rows] == [x.created_at.isoformat() for x in stored]
    assert rows[0]["confirmed_at"] == stored[0].confirmed_at.isoformat()
    assert rows[0]["signed_at"].endswith("+00:00")
    assert {r["partner"] for r in rows} == {"friends-of-bees", "wasp-watch"}
    french = csv_rows(operator.get("/dashboard/petitions/save-the-bees/signatures.csv?country=FR"))
    assert [r["email"] for r in french] == ["no@example.org"]
    confirmed = csv_rows(
        operator.get(
            "/dashboard/petitions/save-the-bees/signatures.csv?state=confirmed&partner=friends-of-bees"
        )
    )
    assert sorted(r["email"] for r in confirmed) == ["no@example.org", "yes@example.org"]
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.signatures"))
    assert [e.details for e in logged][-1] == {"partner": "friends-of-bees", "state": "confirmed"}


def test_bad_export_filters_go_back_to_the_form_which_says_why(operator):
    for query in ("since=someday", "partner=no-such-partner"):
        response = operator.get(f"/dashboard/petitions/save-the-bees/signatures.csv?{query}")
        assert response.status_code == 302
        target = response.headers["Location"]
        assert target.startswith("/dashboard/petitions/save-the-bees/export?")
        page = operator.get(target).text
        assert 'aria-invalid="true"' in page
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("export.%"))
        )
        == 0
    )  # nothing was exported, so nothing is logged as exported


def test_opted_in_export_of_an_unknown_partner_is_a_404_before_any_row(operator):
    response = operator.get("/dashboard/petitions/save-the-bees/opted-in/no-such-partner.csv")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_partner_user_downloads_only_its_opted_in_confirmed_signers(app, campaign):
    client = app.test_client()
    log_in(client, "pat@partner.example")
    page = client.get("/dashboard/petitions/save-the-bees/export").text
    assert "Opted-in signers of Friends of Bees" in page and "Wasp Watch" not in page
    assert "All signatures" not in page
    rows = csv_rows(client.get("/dashboard/petitions/save-the-bees/opted-in/friends-of-bees.csv"))
    assert [r["email"] for r in rows] == ["yes@example.org"]
    assert (
        client.get("/dashboard/petitions/save-the-bees/opted-in/wasp-watch.csv").status_code == 403
    )


def test_fraud_view_shows_trending_networks_and_previews_before_acting(operator, campaign):
    page = operator.get("/dashboard/petitions/save-the-bees/fraud").text
    network = hash_ip("203.0.113.9")
    assert network in page and "spam.example" in page
    before = read_count(campaign, fresh=True).count

    preview = post_form(operator, "/dashboard/petitions/save-the-bees/fraud", {
        "action": "invalidate", "email_domain": "spam.example", "reason": "Bot run",
        "partner": "",
    })  # fmt: skip
    assert preview.status_code == 200
    assert "Preview: 4 signatures match, 4 of them in the count." in preview.text
    assert "I checked the preview: go ahead" in preview.text
    assert read_count(campaign, fresh=True).count == before  # nothing changed yet

    done = post_form(operator, "/dashboard/petitions/save-the-bees/fraud", {
        "action": "invalidate", "email_domain": "spam.example", "reason": "Bot run",
        "partner": "", "confirmed": "y",
    })  # fmt: skip
    assert done.status_code == 302
    assert read_count(campaign, fresh=True).count == before - 4
    invalid = db.session.scalar(
        select(func.count()).where(Signature.state == SignatureState.INVALIDATED)
    )
    assert invalid == 4
    page = operator.get("/dashboard/petitions/save-the-bees/fraud").text
    assert "Bot run" in page and "op@lead.example" in page
    assert (
        db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "fraud.invalidate"))
        == "op@lead.example"
    )


def test_fraud_action_needs_a_filter_and_a_reason(operator):
    response = post_form(operator, "/dashboard/petitions/save-the-bees/fraud", {
        "action": "invalidate", "reason": "", "partner": "",
    })  # fmt: skip
    assert "Choose at least one filter" in response.text
    assert "Please give a reason: the log keeps it." in response.text


def test_trending_links_fill_in_the_filter(operator):
    network = hash_ip("203.0.113.9")
    page = operator.get(f"/dashboard/petitions/save-the-bees/fraud?ip_hash={network}").text
    assert f'name="ip_hash" type="text" value="{network}"' in page


def test_release_held_signatures_from_the_dashboard(app, operator):
    petition = get_petition("save-the-bees")
    petition.holds_over_limit = True
    db.session.commit()
    sign(petition, None, email="held@example.org", over_limit=True)
    assert (
        "Held for review: 1 signatures."
        in operator.get("/dashboard/petitions/save-the-bees/fraud").text
    )
    before = read_count(petition, fresh=True).count
    post_form(operator, "/dashboard/petitions/save-the-bees/fraud", {
        "action": "release", "since": "2000-01-01", "reason": "Real people", "partner": "",
        "confirmed": "y",
    })  # fmt: skip
    assert read_count(petition, fresh=True).count == before + 1


def test_erasure_previews_then_erases_everything_of_an_address(operator):
    preview = post_form(operator, "/dashboard/erasure", {"email": "Yes@Example.org"})
    assert "Preview: 1 signatures" in preview.text
    assert db.session.scalar(select(Signature.id).where(Signature.email == "yes@example.org"))
    done = post_form(operator, "/dashboard/erasure", {"email": "yes@example.org", "confirmed": "y"})
    assert done.status_code == 302
    assert "Erased: 1 signatures." in operator.get("/dashboard/erasure").text
    assert (
        db.session.scalar(select(Signature.id).where(Signature.email == "yes@example.org")) is None
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.erase"))
    assert entry.actor == "op@lead.example"
    assert "yes@example.org" not in str(entry.details)  # the log holds references, not the address


def test_erasure_of_an_unknown_address_says_so(operator):
    post_form(operator, "/dashboard/erasure", {"email": "never@example.org"})
    assert "No signatures with this address." in operator.get("/dashboard/erasure").text


def test_downloads_are_made_after_the_requests_session_has_closed(app, campaign, database_url):
    """As under a real server: each request has its own app context and session, and a
    streamed CSV is made after the view's has closed (the test app's context, which
    outlives requests, hid a DetachedInstanceError that broke every partner's download)."""
    server = make_app(database_url)
    client = server.test_client()
    log_in(client, "op@lead.example")
    base = "/dashboard/petitions/save-the-bees"
    partner = csv_rows(client.get(f"{base}/opted-in/friends-of-bees.csv"))
    assert [r["email"] for r in partner] == ["yes@example.org"]
    lead = csv_rows(client.get(f"{base}/opted-in-lead.csv"))
    assert lead == []  # nobody ticked the lead organisation's box
    assert len(csv_rows(client.get(f"{base}/signatures.csv"))) == 8
    with server.app_context():
        server_db_engine = db.engine
    server_db_engine.dispose()
    db.session.expire_all()
    audited = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("export.%")).order_by(AuditEntry.id)
    ).all()
    assert audited == ["export.recipient", "export.recipient", "export.signatures"]


def test_an_abandoned_download_is_audited_as_aborted(operator):
    response = operator.get("/dashboard/petitions/save-the-bees/signatures.csv")
    pieces = iter(response.response)
    assert next(pieces).startswith(b"ref,state")
    response.close()  # the browser went away after the first piece
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("export.%"))
    ).all()
    assert actions == ["export.signatures.aborted"]


def test_the_lead_organisations_list_is_an_operators_download(app, campaign, smtp):
    sign(campaign, None, email="lead-fan@example.org", lead_opt_in=True)
    confirm_all(smtp)
    client = app.test_client()
    log_in(client, "op@lead.example")
    rows = csv_rows(client.get("/dashboard/petitions/save-the-bees/opted-in-lead.csv"))
    assert [r["email"] for r in rows] == ["lead-fan@example.org"]
    partner = app.test_client()
    log_in(partner, "pat@partner.example")
    response = partner.get("/dashboard/petitions/save-the-bees/opted-in-lead.csv")
    assert response.status_code == 403
