"""Confirmation and withdrawal links: scanner-safe, exact with the count, race-free."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PUBLIC_URL
from tests.factories import make_partner, make_petition, sign
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import CountingPolicy, Signature, SignatureState, utcnow
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.ops.worker import run_worker_once
from widget.signers.confirmation import LinkStatus, confirm_signature, withdraw_signature

LINK = re.compile(r"https?://\S+/s/([\w-]+)/(confirm|withdraw)")


def links_from(mail) -> dict:
    return {kind: token for token, kind in LINK.findall(mail.get_content())}


def signature() -> Signature:
    db.session.expire_all()
    return db.session.scalars(select(Signature)).one()


@pytest.fixture
def waiting_petition(app):
    """A petition that counts signatures only once their email is confirmed."""
    petition = make_petition(counts_on=CountingPolicy.ON_CONFIRMATION)
    make_partner()
    return petition


def signed_and_mailed(petition, smtp, **over) -> dict:
    sign(petition, **over)
    run_worker_once()
    return links_from(smtp.messages[-1])


def test_get_shows_a_button_and_changes_nothing(client, waiting_petition, smtp):
    links = signed_and_mailed(waiting_petition, smtp)
    for _ in range(3):  # a mail scanner may fetch the link several times
        page = client.get(f"/s/{links['confirm']}/confirm")
        assert page.status_code == 200
        assert '<button type="submit"' in page.get_data(as_text=True)
    assert signature().confirmed_at is None
    assert read_count(waiting_petition, fresh=True).count == 0


def test_post_confirms_and_counts_when_the_petition_waits_for_it(client, waiting_petition, smtp):
    links = signed_and_mailed(waiting_petition, smtp)
    assert read_count(waiting_petition, fresh=True).count == 0
    page = client.post(f"/s/{links['confirm']}/confirm")
    assert page.status_code == 200
    assert "Your signature is confirmed" in page.get_data(as_text=True)
    row = signature()
    assert row.state == SignatureState.CONFIRMED and row.confirmed_at and row.counted_at
    assert read_count(waiting_petition, fresh=True).count == 1
    assert verify_count(waiting_petition.id) == []
    again = client.post(f"/s/{links['confirm']}/confirm")
    assert "Your signature is confirmed" in again.get_data(as_text=True)
    assert read_count(waiting_petition, fresh=True).count == 1


def test_confirming_on_a_counted_on_submission_petition_keeps_the_count(app, client, smtp):
    petition = make_petition()
    links = signed_and_mailed(petition, smtp)
    assert read_count(petition, fresh=True).count == 1
    client.post(f"/s/{links['confirm']}/confirm")
    assert signature().state == SignatureState.CONFIRMED
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition.id) == []


def test_racing_confirmations_count_once(app, waiting_petition, smtp):
    token = signed_and_mailed(waiting_petition, smtp)["confirm"]
    db.session.remove()

    def confirm(_):
        with app.app_context():
            try:
                return confirm_signature(token).status
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(confirm, range(8)))
    assert statuses == [LinkStatus.VALID] * 8
    petition = get_petition("save-the-bees")
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition.id) == []


def test_expired_link_does_not_confirm(app, client, waiting_petition, smtp):
    token = signed_and_mailed(waiting_petition, smtp)["confirm"]
    later = utcnow() + timedelta(days=app.config["CONFIRM_LINK_DAYS"] + 1)
    assert confirm_signature(token, now=later).status is LinkStatus.EXPIRED
    assert signature().confirmed_at is None
    assert read_count(waiting_petition, fresh=True).count == 0


def test_unknown_link_gets_a_clear_404(client, app):
    page = client.get("/s/not-a-real-token/confirm")
    assert page.status_code == 404
    assert "This link does not work" in page.get_data(as_text=True)
    assert client.post("/s/not-a-real-token/withdraw").status_code == 404


def test_this_wasnt_me_withdraws_uncounts_and_erases(client, app, smtp):
    petition = make_petition()
    links = signed_and_mailed(petition, smtp, email="victim@example.org", first_name="Mallory")
    assert read_count(petition, fresh=True).count == 1
    page = client.get(f"/s/{links['withdraw']}/withdraw")
    assert "Withdraw this signature?" in page.get_data(as_text=True)
    assert signature().state == SignatureState.SIGNED  # GET changed nothing
    done = client.post(f"/s/{links['withdraw']}/withdraw")
    assert "has been withdrawn" in done.get_data(as_text=True)
    row = signature()
    assert row.state == SignatureState.ERASED and row.counted_at is None and row.ended_at
    assert (row.first_name, row.email) == ("", "")
    assert read_count(petition, fresh=True).count == 0
    assert verify_count(petition.id) == []
    # The links die with the data: neither brings anything back.
    assert client.post(f"/s/{links['confirm']}/confirm").status_code == 404
    assert withdraw_signature(links["withdraw"]).status is LinkStatus.UNKNOWN
    assert read_count(petition, fresh=True).count == 0


def test_cross_site_posts_to_links_are_refused(client, app, smtp):
    petition = make_petition()
    links = signed_and_mailed(petition, smtp)
    response = client.post(
        f"/s/{links['withdraw']}/withdraw", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert signature().state == SignatureState.SIGNED
    ok = client.post(f"/s/{links['confirm']}/confirm", headers={"Origin": PUBLIC_URL})
    assert ok.status_code == 200


def test_link_pages_set_no_cookies_and_leak_no_referrer(client, app, smtp):
    petition = make_petition()
    links = signed_and_mailed(petition, smtp)
    for response in (
        client.get(f"/s/{links['confirm']}/confirm"),
        client.post(f"/s/{links['confirm']}/confirm"),
    ):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_after_this_wasnt_me_the_owner_can_sign_themselves(client, app, smtp):
    petition = make_petition()
    links = signed_and_mailed(petition, smtp, email="ada@example.org", first_name="Mallory")
    client.post(f"/s/{links['withdraw']}/withdraw")
    assert sign(petition, email="ada@example.org", first_name="Ada").name == "SIGNED"
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition.id) == []
