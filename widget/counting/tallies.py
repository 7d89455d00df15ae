"""The tallies behind the count: increments on the signing path (sharded, so no hot row),
verify (tallies equal the counted signatures) and rebuild."""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection

from widget.core.extensions import db
from widget.core.models import NO_PARTNER, HourlyTally, Petition, Signature, Tally, utcnow
from widget.counting.public_count import forget_cached_counts

TALLIES = Tally.__table__.c


@dataclass(frozen=True)
class TallyKey:
    partner_key: int
    country: str


def tally_upserts(dialect_name: str):
    """INSERT … ON CONFLICT DO UPDATE for a tally shard and an hourly shard, built once per
    dialect: values (see tally_rows) come as parameters, so SQLAlchemy compiles them once,
    not per signature."""
    if dialect_name not in _UPSERTS:
        postgres = dialect_name == "postgresql"
        # Only the dialect in use: the PostgreSQL one alone is about 2 MB in every worker.
        dialect = importlib.import_module(f"sqlalchemy.dialects.{dialect_name}")
        tally = dialect.insert(Tally.__table__)
        columns = Tally.__table__.c
        # Clocks of different app processes disagree a little; never move updated_at back.
        latest = (func.greatest if postgres else func.max)(
            columns.updated_at, tally.excluded.updated_at
        )
        hourly = dialect.insert(HourlyTally.__table__)
        hours = HourlyTally.__table__.c
        _UPSERTS[dialect_name] = (
            tally.on_conflict_do_update(
                index_elements=[
                    columns.petition_id, columns.partner_key, columns.country, columns.shard
                ],
                set_={"count": columns.count + tally.excluded.count, "updated_at": latest},
            ),
            hourly.on_conflict_do_update(
                index_elements=[
                    hours.petition_id, hours.hour, hours.partner_key, hours.country, hours.shard
                ],
                set_={"count": hours.count + hourly.excluded.count},
            ),
        )  # fmt: skip
    return _UPSERTS[dialect_name]


_UPSERTS: dict = {}


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def tally_rows(
    *, petition_id: int, key: TallyKey, delta: int, now: datetime, at: datetime | None = None
) -> tuple[dict, dict]:
    """The upserts' values that add ``delta`` to one random shard of the key, and to the
    hour the signatures count in (``at``, default ``now``)."""
    shards = current_app.config["TALLY_SHARDS"]
    # Decrements go to shard 0: any shard of the key will do, the sum is what counts.
    shard = random.randrange(shards) if delta > 0 else 0
    values = {
        "petition_id": petition_id,
        "partner_key": key.partner_key,
        "country": key.country,
        "shard": shard,
        "count": delta,
    }
    return {**values, "updated_at": now}, {**values, "hour": hour_of(at or now)}


def add_to_tally(
    connection: Connection,
    *,
    petition_id: int,
    key: TallyKey,
    delta: int,
    now: datetime,
    at: datetime | None = None,
) -> None:
    """Add ``delta`` to the key's tally (see tally_rows) inside the caller's transaction."""
    tally, hourly = tally_upserts(connection.dialect.name)
    tally_values, hourly_values = tally_rows(
        petition_id=petition_id, key=key, delta=delta, now=now, at=at
    )
    connection.execute(tally, tally_values)
    connection.execute(hourly, hourly_values)


def tally_key_for(partner_id: int | None, country: str) -> TallyKey:
    return TallyKey(partner_id or NO_PARTNER, country)


@dataclass(frozen=True)
class CountMismatch:
    partner_key: int
    country: str
    tallied: int
    signatures: int
    hour: datetime | None = None  # set when an hourly tally differs


def verify_count(petition_id: int) -> list[CountMismatch]:
    """Compare the tallies, total and hourly, with the counted signatures, key by key;
    empty means exact."""
    by_key = _compare(_tallied(petition_id), _counted_signatures(petition_id))
    by_hour = _compare_hours(_tallied_hours(petition_id), _counted_by_hour(petition_id))
    return by_key + by_hour


def _tallied(petition_id: int) -> dict[TallyKey, int]:
    rows = db.session.execute(
        select(Tally.partner_key, Tally.country, func.sum(Tally.count))
        .where(Tally.petition_id == petition_id)
        .group_by(Tally.partner_key, Tally.country)
    )
    return {TallyKey(p, c): n for p, c, n in rows}


def _counted_signatures(petition_id: int) -> dict[TallyKey, int]:
    rows = db.session.execute(
        select(Signature.partner_id, Signature.country, func.count())
        .where(Signature.petition_id == petition_id, Signature.counted_at.is_not(None))
        .group_by(Signature.partner_id, Signature.country)
    )
    return {tally_key_for(p, c): n for p, c, n in rows}


def _hour_bucket(column):
    """The hour a timestamp falls in, computed by the database (its own SQL per dialect)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _as_hour(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tallied_hours(petition_id: int) -> dict[tuple, int]:
    rows = db.session.execute(
        select(HourlyTally.partner_key, HourlyTally.country, HourlyTally.hour,
               func.sum(HourlyTally.count))
        .where(HourlyTally.petition_id == petition_id)
        .group_by(HourlyTally.partner_key, HourlyTally.country, HourlyTally.hour)
    )  # fmt: skip
    return {(p, c, _as_hour(h)): n for p, c, h, n in rows if n}


def _counted_by_hour(petition_id: int) -> dict[tuple, int]:
    bucket = _hour_bucket(Signature.counted_at)
    rows = db.session.execute(
        select(Signature.partner_id, Signature.country, bucket, func.count())
        .where(Signature.petition_id == petition_id, Signature.counted_at.is_not(None))
        .group_by(Signature.partner_id, Signature.country, bucket)
    )
    return {(p or NO_PARTNER, c, _as_hour(h)): n for p, c, h, n in rows}


def _compare(tallied: dict[TallyKey, int], actual: dict[TallyKey, int]) -> list[CountMismatch]:
    keys = sorted(set(tallied) | set(actual), key=lambda k: (k.partner_key, k.country))
    return [
        CountMismatch(k.partner_key, k.country, tallied.get(k, 0), actual.get(k, 0))
        for k in keys
        if tallied.get(k, 0) != actual.get(k, 0)
    ]


def _compare_hours(tallied: dict[tuple, int], actual: dict[tuple, int]) -> list[CountMismatch]:
    return [
        CountMismatch(k[0], k[1], tallied.get(k, 0), actual.get(k, 0), hour=k[2])
        for k in sorted(set(tallied) | set(actual))
        if tallied.get(k, 0) != actual.get(k, 0)
    ]


def rebuild_tallies(petition_id: int) -> int:
    """Recompute the petition's tallies (total and hourly) from its counted signatures;
    return the total. For repairs after manual database edits: signing never needs it."""
    now = utcnow()
    if db.session.get_bind().dialect.name == "postgresql":
        # Counting millions of rows may outlast the per-statement limit meant for requests.
        db.session.execute(text("SET LOCAL statement_timeout = 0"))
    counted = _counted_signatures(petition_id)
    by_hour = _counted_by_hour(petition_id)
    db.session.execute(delete(Tally).where(Tally.petition_id == petition_id))
    db.session.execute(delete(HourlyTally).where(HourlyTally.petition_id == petition_id))
    db.session.add_all(
        Tally(petition_id=petition_id, partner_key=key.partner_key, country=key.country,
              shard=0, count=n, updated_at=now)
        for key, n in counted.items()
    )  # fmt: skip
    db.session.add_all(
        HourlyTally(petition_id=petition_id, partner_key=p, country=c, hour=h, shard=0, count=n)
        for (p, c, h), n in by_hour.items()
    )  # fmt: skip
    db.session.commit()
    petition = db.session.get(Petition, petition_id)
    forget_cached_counts(petition.slug)
    return sum(counted.values())
