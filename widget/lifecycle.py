"""Ending signatures (withdrawn, invalidated, erased) while keeping the tallies exact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from .counting import add_to_tally, tally_key_for
from .extensions import db
from .models import ACTIVE_STATES, Signature, SignatureState


def end_signatures(ids_query, *, state: SignatureState, now: datetime) -> int:
    """Withdraw or invalidate the signatures ``ids_query`` selects, keeping tallies exact.

    Each counted row is un-counted by the same statement that ends it, so a confirmation
    racing with this cannot be missed. The caller commits.
    """
    session = db.session
    ids = ids_query.scalar_subquery()
    ending = [*ACTIVE_STATES, SignatureState.HELD]
    uncounted = session.execute(
        update(Signature)
        .where(
            Signature.id.in_(ids), Signature.state.in_(ending), Signature.counted_at.is_not(None)
        )
        .values(state=state, ended_at=now, counted_at=None)
        .returning(Signature.petition_id, Signature.partner_id, Signature.country)
        .execution_options(synchronize_session=False)
    ).all()
    rest = session.execute(
        update(Signature)
        .where(Signature.id.in_(ids), Signature.state.in_(ending))
        .values(state=state, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    decrements: dict[tuple, int] = {}
    for petition_id, partner_id, country in uncounted:
        key = (petition_id, tally_key_for(partner_id, country))
        decrements[key] = decrements.get(key, 0) + 1
    for (petition_id, key), n in decrements.items():
        add_to_tally(session.connection(), petition_id=petition_id, key=key, delta=-n, now=now)
    return len(uncounted) + rest
