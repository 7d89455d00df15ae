"""A signer's own requests: a copy of the data held about them (the right of access), and
a link to withdraw and erase their signature, each sent to the address on record only."""

from __future__ import annotations

from datetime import datetime, timedelta

from widget.core.models import Signature, utcnow
from widget.outbox.queue import email_signer_at_most_every
from widget.signers.erasure import signatures_of_address

DATA_COPY_INTERVAL = timedelta(days=1)
ERASURE_LINK_INTERVAL = timedelta(hours=1)


def send_data_copy(signature_id: int, *, now: datetime | None = None) -> datetime | None:
    """Email the signer a copy of the data held about them, to the address on record only,
    at most once a day (a stranger who knows the address cannot flood its owner).

    A request within the day is kept for when the day is over, never dropped: the page
    that took it said a copy is coming. Returns when it goes out (None: nothing to send).
    """
    return email_signer_at_most_every(
        "data_copy",
        DATA_COPY_INTERVAL,
        Signature.data_copy_sent_at,
        [Signature.id == signature_id, Signature.erased_at.is_(None)],
        now=now or utcnow(),
        defer=True,
    )


def request_data_copy(email: str, petition_id: int, *, now: datetime | None = None) -> None:
    """An access request made with an address: the copy goes to that address, if it signed.

    The answer on the page is the same either way, so it reveals nothing about who signed.
    """
    for signature_id in signatures_of_address(email, petition_id):
        send_data_copy(signature_id, now=now)


def request_erasure_link(email: str, petition_id: int, *, now: datetime | None = None) -> None:
    """An erasure request made with an address: that address gets a link that withdraws
    the signature and erases its data (the owner of the inbox decides, not whoever typed
    the address). At most one such email an hour, kept for later like a data copy."""
    for signature_id in signatures_of_address(email, petition_id):
        email_signer_at_most_every(
            "erasure_link",
            ERASURE_LINK_INTERVAL,
            Signature.erasure_link_sent_at,
            [Signature.id == signature_id, Signature.erased_at.is_(None)],
            now=now or utcnow(),
            defer=True,
        )
