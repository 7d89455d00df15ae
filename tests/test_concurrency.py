"""Many signers at once, through the real use case on the real database."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.factories import make_partner, make_petition, signature_input
from widget.core.extensions import db
from widget.core.models import Signature
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count
from widget.signing.sign import SignOutcome, sign_petition

THREADS = 12
PER_THREAD = 15


def run_in_threads(app, job, n):
    def wrapped(i):
        with app.app_context():
            try:
                return job(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(wrapped, range(n)))


def test_concurrent_signers_are_all_counted_exactly_once(app):
    petition, partner = make_petition(), make_partner()
    petition_id = petition.id

    def signer(i):
        return [
            sign_petition(
                petition,
                partner if k % 2 else None,
                signature_input(email=f"t{i}-{k}@example.org", country="DE" if k % 3 else "FR"),
            ).outcome
            for k in range(PER_THREAD)
        ]

    outcomes = [o for batch in run_in_threads(app, signer, THREADS) for o in batch]
    assert outcomes.count(SignOutcome.SIGNED) == THREADS * PER_THREAD
    db.session.rollback()
    stored = db.session.scalar(select(func.count()).select_from(Signature))
    assert stored == THREADS * PER_THREAD
    assert read_count(petition, fresh=True).count == THREADS * PER_THREAD
    assert verify_count(petition_id) == []


def test_the_same_person_racing_themselves_is_counted_once(app):
    petition = make_petition()
    petition_id = petition.id
    spellings = ["ada.love@gmail.com", "AdaLove@gmail.com", "ada.love+{i}@googlemail.com"]

    def signer(i):
        email = spellings[i % len(spellings)].format(i=i)
        return sign_petition(petition, None, signature_input(email=email)).outcome

    outcomes = run_in_threads(app, signer, THREADS)
    assert outcomes.count(SignOutcome.SIGNED) == 1
    assert outcomes.count(SignOutcome.DUPLICATE) == THREADS - 1
    db.session.rollback()
    assert read_count(petition, fresh=True).count == 1
    assert verify_count(petition_id) == []
