"""Confirmation and withdrawal links: scanner-safe, exact with the count, race-free."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import PUBLIC_URL
from tests.factories import make_partner, make_petition, sign
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import (
    CountingPolicy,
    ErasureLog,
    Signature,
    SignatureState,
    SignatureToken,
    utcnow,
)
from widget.counting.endings import end_signatures
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.ops.worker import run_worker_once
from widget.signers.confirmation import (
    LinkStatus,
    confirm_signature,
    resolve_link,
    withdraw_signature,
)

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


def mailed_links(smtp, address: str) -> dict:
    run_worker_once()
    (mail,) = smtp.to(address)
    return links_from(mail)


def test_a_confirmation_counts_the_signature_for_its_partner_and_country(app, smtp):
    petition = make_petition(counts_on=CountingPolicy.ON_CONFIRMATION)
    partner = make_partner()
    sign(petition, partner, email="ada@example.org", country="FR")
    confirm_signature(mailed_links(smtp, "ada@example.org")["confirm"])
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.direct) == (1, 0)
    assert (snapshot.partners, snapshot.countries) == ({"friends-of-bees": 1}, {"FR": 1})
    assert verify_count(petition.id) == []


def test_links_of_a_signature_taken_out_say_so_in_the_signers_language(app, client, smtp):
    petition = make_petition(texts={"de": {"title": "Rettet die Bienen"}})
    sign(petition, email="ada@example.org", locale="de")
    links = mailed_links(smtp, "ada@example.org")
    row = signature()
    end_signatures(select(Signature.id), state=SignatureState.INVALIDATED, now=utcnow())
    db.session.commit()
    target = resolve_link(links["confirm"])
    assert (target.status, target.signature.id, target.petition.slug, target.locale) == (
        LinkStatus.ENDED, row.id, "save-the-bees", "de",
    )  # fmt: skip
    page = client.get(f"/s/{links['confirm']}/confirm", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="de"' in html
    assert "<title>Diese Unterschrift wurde entfernt</title>" in html
    assert "Rettet die Bienen" in html and 'href="/p/save-the-bees?lang=de"' in html
    client.post(f"/s/{links['confirm']}/confirm")
    assert signature().confirmed_at is None
    assert read_count(petition, fresh=True).count == 0


def test_an_expired_link_names_the_petition_and_still_withdraws(app, client, smtp):
    petition = make_petition(
        counts_on=CountingPolicy.ON_CONFIRMATION, texts={"de": {"title": "Rettet die Bienen"}}
    )
    sign(petition, email="ada@example.org", locale="de")
    links = mailed_links(smtp, "ada@example.org")
    db.session.execute(update(SignatureToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    page = client.get(f"/s/{links['confirm']}/confirm", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert '<html lang="de"' in html and "<title>Dieser Link ist abgelaufen</title>" in html
    assert "Rettet die Bienen" in html and 'href="/p/save-the-bees?lang=de"' in html
    done = client.post(f"/s/{links['withdraw']}/withdraw")
    assert done.status_code == 200
    assert "<title>Die Unterschrift wurde zurückgezogen</title>" in done.get_data(as_text=True)
    assert signature().state == SignatureState.ERASED


def test_this_wasnt_me_takes_out_that_signature_alone_and_logs_who_asked(app, client, smtp):
    petition = make_petition(texts={"de": {"title": "Rettet die Bienen"}})
    partner = make_partner()
    sign(petition, partner, email="bystander@example.org")
    sign(petition, partner, email="victim@example.org", locale="de")
    links = mailed_links(smtp, "victim@example.org")
    done = client.post(f"/s/{links['withdraw']}/withdraw", headers={"Accept-Language": "en"})
    html = done.get_data(as_text=True)
    assert '<html lang="de"' in html and "Rettet die Bienen" in html
    assert "<title>Die Unterschrift wurde zurückgezogen</title>" in html
    db.session.expire_all()
    bystander = db.session.scalars(
        select(Signature).where(Signature.email == "bystander@example.org")
    ).one()
    assert bystander.state == SignatureState.SIGNED and bystander.counted_at is not None
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.partners, snapshot.direct) == (1, {"friends-of-bees": 1}, 0)
    assert verify_count(petition.id) == []
    log = db.session.scalars(select(ErasureLog)).one()
    assert (log.channel, log.actor) == ("self-service", "signer")
