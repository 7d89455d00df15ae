"""Ending signatures (withdrawn, invalidated, erased) while keeping the tallies exact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from widget.core.extensions import db
from widget.core.models import ACTIVE_STATES, Signature, SignatureState
from widget.counting.tallies import add_to_tally, hour_of, tally_key_for

CHUNK = 1000  # ids per statement: SQLite takes at most 32,766 parameters


def end_signatures(ids_query, *, state: SignatureState, now: datetime) -> int:
    """Withdraw, invalidate or erase the signatures ``ids_query`` selects, keeping the
    tallies (total and hourly) exact. The caller commits.

    A counted row is un-counted only by a conditional update that also ends it, so a
    confirmation or another ending racing with this one cannot be missed or doubled.
    """
    session = db.session
    ending = [*ACTIVE_STATES, SignatureState.HELD]
    counted = session.execute(
        select(Signature.id, Signature.petition_id, Signature.partner_id, Signature.country,
               Signature.counted_at)
        .where(Signature.id.in_(ids_query.scalar_subquery()), Signature.state.in_(ending),
               Signature.counted_at.is_not(None))
    ).all()  # fmt: skip
    seen = {row.id: row for row in counted}
    uncounted = []
    ids = list(seen)
    for start in range(0, len(ids), CHUNK):
        uncounted += session.scalars(
            update(Signature)
            .where(
                Signature.id.in_(ids[start : start + CHUNK]),
                Signature.state.in_(ending),
                Signature.counted_at.is_not(None),
            )
            .values(state=state, ended_at=now, counted_at=None)
            .returning(Signature.id)
            .execution_options(synchronize_session=False)
        ).all()
    rest = session.execute(
        update(Signature)
        .where(Signature.id.in_(ids_query.scalar_subquery()), Signature.state.in_(ending))
        .values(state=state, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    decrements: dict[tuple, int] = {}
    for signature_id in uncounted:
        row = seen[signature_id]
        key = (row.petition_id, tally_key_for(row.partner_id, row.country), hour_of(row.counted_at))
        decrements[key] = decrements.get(key, 0) + 1
    connection = session.connection()
    for (petition_id, key, hour), n in decrements.items():
        add_to_tally(connection, petition_id=petition_id, key=key, delta=-n, now=now, at=hour)
    return len(uncounted) + rest
