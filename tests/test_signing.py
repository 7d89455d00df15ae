from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from tests.conftest import is_postgres
from tests.factories import make_partner, make_petition, sign, signature_input
from widget.campaign.petitions import close_petition
from widget.core.errors import PetitionNotAccepting, RateLimited
from widget.core.extensions import db
from widget.core.models import (
    ConsentRecord,
    HourlyTally,
    Signature,
    SignatureState,
    SignatureToken,
    Tally,
    utcnow,
)
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.signing.sign import SignOutcome, new_public_ref, sign_petition


def signature_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Signature))


def test_signing_stores_the_signature_and_counts_it(app):
    petition = make_petition()
    partner = make_partner(country="DE")
    outcome = sign(
        petition,
        partner,
        email="Ada.Love@Example.org",
        country="FR",
        postcode="75001",
        partner_opt_in=True,
        lead_opt_in=True,
        source_url="https://friends.example/bees",
        ip="203.0.113.7",
    )
    assert outcome is SignOutcome.SIGNED
    row = db.session.scalars(select(Signature)).one()
    assert (row.email, row.email_canonical) == ("Ada.Love@Example.org", "ada.love@example.org")
    assert (row.country, row.postcode, row.locale) == ("FR", "75001", "en")
    assert row.partner_id == partner.id and row.partner_opt_in and row.lead_opt_in
    assert row.state == SignatureState.SIGNED and row.is_counted
    assert row.created_at.tzinfo is not None
    assert row.source_url == "https://friends.example/bees"
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.partners, snapshot.countries) == (
        1,
        {partner.slug: 1},
        {"FR": 1},
    )
    assert verify_count(petition.id) == []


def test_raw_ip_is_never_stored(app):
    petition = make_petition()
    sign(petition, ip="203.0.113.7")
    row = db.session.scalars(select(Signature)).one()
    assert row.ip_hash and "203.0.113.7" not in row.ip_hash
    assert len(row.ip_hash) == 32


@pytest.mark.parametrize(
    "second",
    ["ada@example.org", "ADA@example.org", "ada+again@example.org"],
)
def test_a_repeat_signature_is_not_counted_again(app, second):
    petition = make_petition()
    assert sign(petition, email="ada@example.org") is SignOutcome.SIGNED
    assert sign(petition, email=second) is SignOutcome.DUPLICATE
    assert signature_count() == 1
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition.id) == []


def test_gmail_dot_aliases_are_one_person(app):
    petition = make_petition()
    sign(petition, email="ada.lovelace@gmail.com")
    assert sign(petition, email="AdaLove.Lace+x@googlemail.com") is SignOutcome.DUPLICATE
    assert read_count(petition, fresh=True).count == 1


def test_same_person_may_sign_another_petition(app):
    bees, wasps = make_petition("bees"), make_petition("wasps")
    assert sign(bees, email="ada@example.org") is SignOutcome.SIGNED
    assert sign(wasps, email="ada@example.org") is SignOutcome.SIGNED


def test_closed_petition_refuses(app):
    petition = make_petition()
    close_petition(petition.slug)
    with pytest.raises(PetitionNotAccepting):
        sign(petition)
    assert signature_count() == 0


def test_draft_and_future_petitions_refuse(app):
    draft = make_petition("draft", is_open=False)
    with pytest.raises(PetitionNotAccepting):
        sign(draft)
    petition = make_petition("later")
    petition.opens_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    with pytest.raises(PetitionNotAccepting):
        sign(petition)


def test_honeypot_discards_silently(app):
    petition = make_petition()
    assert sign(petition, honeypot="http://spam.example") is SignOutcome.DISCARDED
    assert signature_count() == 0
    assert read_count(petition, fresh=True).count == 0


def test_partner_opt_in_needs_a_partner(app):
    petition = make_petition()
    sign(petition, partner_opt_in=True)
    assert db.session.scalars(select(Signature)).one().partner_opt_in is False


def test_signature_without_partner_counts_as_direct(app):
    petition = make_petition()
    sign_petition(petition, None, signature_input(country="IT"))
    snapshot = read_count(petition, fresh=True)
    assert (snapshot.count, snapshot.direct, snapshot.partners) == (1, 1, {})


def test_a_signature_and_its_rows_are_written_in_one_statement_on_postgresql(app):
    # On PostgreSQL each statement is a round trip to another process: the signature,
    # its consents, token, email and tallies go in one. SQLite takes one short transaction.
    petition = make_petition()
    partner = make_partner(country="DE")
    sign(petition, partner, partner_opt_in=True)  # consent texts recorded, caches warm
    writes = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert sign(petition, partner, partner_opt_in=True) is SignOutcome.SIGNED
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    if is_postgres():
        assert len(writes) == 1 and writes[0].lstrip().startswith("WITH new_signature")
    else:
        tables = [statement.split()[2] for statement in writes]
        assert tables == [
            "signatures", "consent_records", "signature_tokens", "outbox", "tallies",
            "hourly_tallies",
        ]  # fmt: skip
    db.session.rollback()
    assert verify_count(petition.id) == []
    newest = db.session.scalar(select(func.max(Signature.id)))
    recipients = db.session.scalars(
        select(ConsentRecord.recipient).where(ConsentRecord.signature_id == newest)
    ).all()
    assert sorted(recipients) == ["", f"partner:{partner.id}"]  # the consent, the partner's
    tokens = select(func.count()).where(SignatureToken.signature_id == newest)
    assert db.session.scalar(tokens) == 1


def test_a_repeat_signer_leaves_no_rows_of_a_second_signature(app):
    petition = make_petition()
    sign(petition, email="ada@example.org")
    # (The "you signed already" email brings a fresh link, so a new token is expected.)
    before = {t: _rows(t) for t in (Signature, ConsentRecord, Tally, HourlyTally)}
    assert sign(petition, email="ADA@example.org") is SignOutcome.DUPLICATE
    assert {t: _rows(t) for t in before} == before


def _rows(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_no_public_ref_starts_with_a_minus_sign():
    # One random ref in 64 would; CSV exports escape such a cell (a spreadsheet takes it
    # for a formula), and the partner's copy of the ref would then match no webhook.
    refs = [new_public_ref() for _ in range(2_000)]
    assert not [ref for ref in refs if ref.startswith("-")]
    assert len(set(refs)) == len(refs)
    assert {len(ref) for ref in refs} == {16}


def test_the_thank_you_count_adds_only_a_signature_that_counted(app):
    app.config["COUNT_CACHE_SECONDS"] = 60
    petition = make_petition()
    assert read_count(petition).count == 0  # a cached copy older than every signature
    signed = sign_petition(petition, None, signature_input(email="ada@example.org"))
    assert (signed.outcome, signed.counted) == (SignOutcome.SIGNED, True)
    assert signed.count_to_show().count == 1
    # A repeat and a bot joined nothing: their thank-you pages must not add them.
    repeat = sign_petition(petition, None, signature_input(email="ada@example.org"))
    bot = sign_petition(petition, None, signature_input(honeypot="http://spam.example"))
    assert (repeat.outcome, bot.outcome) == (SignOutcome.DUPLICATE, SignOutcome.DISCARDED)
    for page in (repeat.count_to_show(), bot.count_to_show()):
        assert (page.slug, page.count) == (petition.slug, 0)


def test_over_a_limit_a_petition_that_holds_keeps_the_signature_for_review(app):
    holds = make_petition("holds", holds_over_limit=True)
    held = sign_petition(holds, None, signature_input(), over_limit=True)
    assert (held.outcome, held.counted) == (SignOutcome.HELD, False)
    assert held.count_to_show().count == 0
    row = db.session.scalars(select(Signature)).one()
    assert row.state == SignatureState.HELD and row.counted_at is None
    assert read_count(holds, fresh=True).count == 0
    assert verify_count(holds.id) == []
    refuses = make_petition("refuses")
    with pytest.raises(RateLimited) as refused:
        sign(refuses, over_limit=True)
    assert refused.value.slug == "refuses"
    assert signature_count() == 1


def test_a_refusal_names_the_petition(app):
    petition = make_petition()
    close_petition(petition.slug)
    with pytest.raises(PetitionNotAccepting) as refused:
        sign(petition)
    assert refused.value.slug == "save-the-bees"


def test_opt_ins_left_unticked_are_not_recorded(app):
    petition = make_petition()
    partner = make_partner()
    sign(petition, partner, email="quiet@example.org")
    row = db.session.scalars(select(Signature)).one()
    assert (row.partner_opt_in, row.lead_opt_in) == (False, False)
    recipients = db.session.scalars(
        select(ConsentRecord.recipient).where(ConsentRecord.signature_id == row.id)
    ).all()
    assert recipients == [""]  # the consent to the petition itself, nothing more


def test_the_email_domain_is_what_follows_the_last_at_sign(app):
    petition = make_petition()
    sign(petition, email='"ada@home"@Example.org')
    assert db.session.scalars(select(Signature.email_domain)).one() == "example.org"
