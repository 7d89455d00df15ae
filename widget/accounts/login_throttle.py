"""Slowing down password guessing without locking anyone out.

Only failures count, and they count per account *and* network: after a few wrong
passwords for one account from one network, each further try from there waits longer
(1 s, 2 s, 4 s … up to 15 minutes). A network that guesses across many accounts is
slowed down as a whole. Nobody else is touched: a correct password from a network that
has not failed is never refused, so a stranger cannot lock an operator out by guessing
their password from elsewhere. The state is in the database, so every app process sees
it; accounts and networks are kept as keyed hashes only.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, type_coerce

from widget.core.extensions import db
from widget.core.models import LoginFailure, UTCDateTime, utcnow

FREE_FAILURES = 4  # per account and network, before any wait
NETWORK_FREE_FAILURES = 50  # per network across accounts, within FORGET_AFTER
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)


def _key(kind: str, value: str) -> str:
    secret = current_app.secret_key.encode()
    return hmac.new(secret, f"login:{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def _wait(failures: int, free: int) -> timedelta:
    """After ``free`` failures, each further one waits twice as long: 1 s, 2 s, 4 s …"""
    if failures <= free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - free - 1)), MAX_WAIT)


def seconds_to_wait(email: str, network: str, *, now: datetime | None = None) -> int:
    """How long this account may not be tried from this network (0: go ahead)."""
    now = now or utcnow()
    account, net = _key("account", email.strip().lower()), _key("network", network)
    row = db.session.scalar(
        select(LoginFailure).where(LoginFailure.account == account, LoginFailure.network == net)
    )
    waits = []
    if row is not None and row.last_failed_at > now - FORGET_AFTER:
        waits.append(row.last_failed_at + _wait(row.failures, FREE_FAILURES) - now)
    total, last = db.session.execute(
        select(
            func.coalesce(func.sum(LoginFailure.failures), 0),
            type_coerce(func.max(LoginFailure.last_failed_at), UTCDateTime()),
        ).where(LoginFailure.network == net, LoginFailure.last_failed_at > now - FORGET_AFTER)
    ).one()
    if last is not None:
        waits.append(last + _wait(total, NETWORK_FREE_FAILURES) - now)
    longest = max(waits, default=timedelta(0))
    return max(int(longest.total_seconds() + 0.999), 0)


def record_failure(email: str, network: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    account, net = _key("account", email.strip().lower()), _key("network", network)
    row = db.session.scalar(
        select(LoginFailure).where(LoginFailure.account == account, LoginFailure.network == net)
    )
    if row is None or row.last_failed_at <= now - FORGET_AFTER:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        db.session.add(LoginFailure(account=account, network=net, failures=1, last_failed_at=now))
    else:
        row.failures += 1
        row.last_failed_at = now
    # Old rows say nothing any more: dropped here, so the table stays small.
    db.session.execute(delete(LoginFailure).where(LoginFailure.last_failed_at < now - FORGET_AFTER))
    db.session.commit()


def record_success(email: str, network: str) -> None:
    """A correct password from this network: its failures for this account are forgiven."""
    account, net = _key("account", email.strip().lower()), _key("network", network)
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.account == account, LoginFailure.network == net)
    )
    db.session.commit()
