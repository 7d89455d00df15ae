"""One reminder, ever; "you already signed" at most once a day; the page never tells."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_petition, sign
from widget.core.extensions import db
from widget.core.models import OutboxMessage, Signature, SignatureState, utcnow
from widget.counting.endings import end_signatures
from widget.ops.worker import run_worker_once
from widget.outbox.deliver import deliver_due_messages
from widget.signers import confirmation
from widget.signers.confirmation import confirm_signature, queue_reminders
from widget.signing.sign import SignOutcome, notify_duplicate


def kinds() -> list[str]:
    db.session.expire_all()
    return [m.kind for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_one_reminder_after_the_delay_and_never_another(app, smtp):
    petition = make_petition()
    signed_at = utcnow() - timedelta(hours=app.config["REMINDER_AFTER_HOURS"] + 1)
    sign(petition, email="late@example.org", now=signed_at)
    sign(petition, email="fresh@example.org")
    assert queue_reminders() == 1
    assert queue_reminders() == 0
    assert queue_reminders(now=utcnow() + timedelta(days=30)) == 1  # only "fresh", once
    assert queue_reminders(now=utcnow() + timedelta(days=60)) == 0
    deliver_due_messages(now=utcnow() + timedelta(days=61))
    reminders = [m for m in smtp.messages if m["Subject"].startswith("Reminder")]
    assert sorted(m["To"] for m in reminders) == ["fresh@example.org", "late@example.org"]
    assert "/confirm" in reminders[0].get_content()


def test_confirmed_signers_get_no_reminder(app, smtp):
    petition = make_petition()
    sign(petition, email="confirms@example.org")
    sign(petition, email="waits@example.org")
    run_worker_once()  # the confirmation emails; no reminder is due yet
    (mail,) = smtp.to("confirms@example.org")
    confirm_signature(mail.get_content().split("/s/")[1].split("/")[0])
    # Five days on, only the signer who never confirmed is reminded.
    later = utcnow() + timedelta(days=5)
    assert queue_reminders(now=later) == 1
    deliver_due_messages(now=later)
    reminders = [m["To"] for m in smtp.messages if m["Subject"].startswith("Reminder")]
    assert reminders == ["waits@example.org"]


def test_two_workers_never_remind_twice(app):
    petition = make_petition()
    for i in range(30):
        sign(petition, email=f"p{i}@example.org", now=utcnow() - timedelta(days=3))
    db.session.remove()

    def sweep(_):
        with app.app_context():
            try:
                return queue_reminders()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(sweep, range(4))) == 30
    assert kinds().count("reminder") == 30


def test_repeat_signature_mails_the_address_on_record_at_most_daily(app, smtp):
    petition = make_petition()
    now = utcnow()
    sign(petition, email="ada@example.org", first_name="Ada", now=now)
    assert sign(petition, email="ADA+x@example.org", now=now) is SignOutcome.DUPLICATE
    assert sign(petition, email="ada@example.org", now=now + timedelta(hours=3)) is (
        SignOutcome.DUPLICATE
    )
    assert kinds() == ["confirm", "duplicate"]
    sign(petition, email="ada@example.org", now=now + timedelta(hours=25))
    assert kinds() == ["confirm", "duplicate", "duplicate"]
    deliver_due_messages(now=now + timedelta(days=2))
    notices = [m for m in smtp.messages if m["Subject"].startswith("You have already signed")]
    assert [m["To"] for m in notices] == ["ada@example.org", "ada@example.org"]
    body = notices[0].get_content()
    assert "Hello Ada" in body and "/confirm" in body and "/withdraw" in body


def test_no_duplicate_notice_for_a_withdrawn_signature(app):
    petition = make_petition()
    sign(petition, email="ada@example.org")
    row = db.session.scalars(select(Signature)).one()
    row.state = "withdrawn"
    db.session.commit()
    assert sign(petition, email="ada@example.org") is SignOutcome.DUPLICATE
    assert kinds() == ["confirm"]


def reminded() -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.kind == "reminder")
        ).all()
    )


def test_no_reminder_for_signatures_taken_out_or_held_ones_already_confirmed(app, smtp):
    petition = make_petition(holds_over_limit=True)
    sign(petition, email="bot@spam.example")
    sign(petition, email="held-confirmed@example.org", over_limit=True)
    sign(petition, email="held@example.org", over_limit=True)
    run_worker_once()
    (mail,) = smtp.to("held-confirmed@example.org")
    confirm_signature(mail.get_content().split("/s/")[1].split("/")[0])
    bots = select(Signature.id).where(Signature.email_domain == "spam.example")
    end_signatures(bots, state=SignatureState.INVALIDATED, now=utcnow())
    db.session.commit()
    assert queue_reminders(now=utcnow() + timedelta(days=5)) == 1
    assert reminded() == ["held@example.org"]  # held for review, and still unconfirmed


def test_reminders_go_out_a_batch_at_a_time_and_skip_those_reminded(app, monkeypatch):
    monkeypatch.setattr(confirmation, "REMINDER_BATCH", 2)
    petition = make_petition()
    for n in range(3):
        sign(petition, email=f"p{n}@example.org", now=utcnow() - timedelta(days=3))
    assert queue_reminders() == 2
    assert queue_reminders() == 1
    assert queue_reminders() == 0
    assert reminded() == ["p0@example.org", "p1@example.org", "p2@example.org"]


def test_no_reminder_once_the_petition_has_closed(app):
    closing = make_petition("closing")
    sign(closing, email="closing@example.org")
    closing.closes_at = utcnow() + timedelta(days=2)
    db.session.commit()
    still_open = make_petition("still-open")
    sign(still_open, email="open@example.org")
    assert queue_reminders(now=utcnow() + timedelta(days=5)) == 1
    assert reminded() == ["open@example.org"]


def test_a_duplicate_notice_reports_whether_it_was_queued(app):
    petition = make_petition()
    now = utcnow()
    sign(petition, email="ada@example.org", now=now)
    assert notify_duplicate(petition.id, "ada@example.org", now=now) is True
    assert notify_duplicate(petition.id, "ada@example.org", now=now + timedelta(hours=1)) is False
