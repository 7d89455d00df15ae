"""The count: tally increments on the signing path, cached reads, verify and rebuild."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from flask import current_app
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection

from . import shared_cache
from .extensions import db
from .models import (
    NO_PARTNER,
    ExternalCount,
    HourlyTally,
    Partner,
    Petition,
    Signature,
    Tally,
    utcnow,
)
from .petitions import get_petition

TALLIES = Tally.__table__.c


@dataclass(frozen=True)
class CountSnapshot:
    """The public count of one petition, exact as of ``as_of``."""

    slug: str
    count: int
    goal: int
    as_of: datetime
    partners: dict[str, int]
    countries: dict[str, int]
    direct: int
    external: int = 0  # of ``count``: collected elsewhere, entered by operators

    def as_json(self) -> dict:
        return {
            "petition": self.slug,
            "count": self.count,
            "goal": self.goal,
            "as_of": self.as_of.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "partners": self.partners,
            "countries": self.countries,
            "direct": self.direct,
            "external": self.external,
        }

    @classmethod
    def from_json(cls, data: dict) -> CountSnapshot:
        return cls(
            slug=data["petition"],
            count=data["count"],
            goal=data["goal"],
            as_of=datetime.fromisoformat(data["as_of"]),
            partners=data["partners"],
            countries=data["countries"],
            direct=data["direct"],
            external=data.get("external", 0),
        )

    @cached_property
    def body(self) -> bytes:
        """The JSON document, serialised once per snapshot (not once per request)."""
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":")).encode()

    @cached_property
    def etag(self) -> str:
        # Derived from the data alone, so every app process hands out the same validator.
        return hashlib.sha256(self.body).hexdigest()[:32]


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


def read_count(petition: Petition, *, fresh: bool = False) -> CountSnapshot:
    """The petition's count: this process's copy, else Redis's (if configured), else the
    tallies; each copy lives COUNT_CACHE_SECONDS. ``fresh`` reads the tallies."""
    if not fresh:
        hit = cached_count(petition.slug)
        if hit is not None:
            return hit
    return _refresh(petition)


def count_after_signing(petition: Petition, *, counted: bool, at: datetime) -> CountSnapshot:
    """The count for a signer's thank-you page, without a query on the signing path.

    The cached count (at most COUNT_CACHE_SECONDS old, like every count shown), plus the
    signer's own signature if it counted and the cached copy predates it: a copy whose
    newest tally change is older than the signature cannot include it. A copy at least as
    new is shown as it is, so the signer is never counted twice.
    """
    snapshot = read_count(petition)
    if counted and snapshot.as_of < at:
        return dataclasses.replace(snapshot, count=snapshot.count + 1)
    return snapshot


def read_count_for_slug(slug: str) -> CountSnapshot:
    """Like read_count, but a cached count needs no database query at all."""
    hit = cached_count(slug)
    if hit is not None:
        return hit
    return _refresh(get_petition(slug))


def cached_count(slug: str) -> CountSnapshot | None:
    """An unexpired copy of a count (this process's, then Redis's), without the database."""
    cache = _process_cache()
    hit = cache.get(slug)
    if hit is None:
        hit = shared_cache.get_json(_shared_key(slug), CountSnapshot.from_json)
        if hit is not None:
            cache.put(slug, hit)
    return hit


def _refresh(petition: Petition) -> CountSnapshot:
    snapshot = _query_snapshot(petition)
    _process_cache().put(petition.slug, snapshot)
    ttl = current_app.config["COUNT_CACHE_SECONDS"]
    # The public JSON gives as_of to the second; the shared copy keeps the microseconds,
    # which count_after_signing compares with a signature's own time.
    shared = {**snapshot.as_json(), "as_of": snapshot.as_of.isoformat()}
    shared_cache.set_json(_shared_key(petition.slug), shared, ttl)
    return snapshot


def _shared_key(slug: str) -> str:
    return f"count:{slug}"


def _query_snapshot(petition: Petition) -> CountSnapshot:
    rows = db.session.execute(
        select(
            Tally.partner_key,
            Tally.country,
            func.sum(Tally.count),
            func.max(Tally.updated_at),
        )
        .where(Tally.petition_id == petition.id)
        .group_by(Tally.partner_key, Tally.country)
    ).all()
    by_partner: dict[int, int] = defaultdict(int)
    by_country: dict[str, int] = defaultdict(int)
    as_of = petition.created_at
    for partner_key, country, total, updated_at in rows:
        by_partner[partner_key] += total
        by_country[country] += total
        as_of = max(as_of, updated_at)
    # Signatures collected elsewhere join the total and its breakdowns (and say so).
    external = db.session.execute(
        select(ExternalCount.partner_id, ExternalCount.country, func.sum(ExternalCount.delta),
               func.max(ExternalCount.created_at))
        .where(ExternalCount.petition_id == petition.id)
        .group_by(ExternalCount.partner_id, ExternalCount.country)
    ).all()  # fmt: skip
    for partner_id, country, total, entered_at in external:
        by_partner[partner_id or NO_PARTNER] += total
        by_country[country] += total
        as_of = max(as_of, entered_at)
    slugs = _partner_slugs([k for k in by_partner if k != NO_PARTNER])
    partners = {slugs[k]: n for k, n in by_partner.items() if k in slugs and n}
    return CountSnapshot(
        slug=petition.slug,
        count=sum(by_partner.values()),
        goal=petition.goal,
        as_of=as_of,
        partners=dict(sorted(partners.items())),
        countries={c: n for c, n in sorted(by_country.items()) if n},
        direct=by_partner.get(NO_PARTNER, 0),
        external=sum(row[2] for row in external),
    )


def _partner_slugs(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Partner.id, Partner.slug).where(Partner.id.in_(ids)))
    return {partner_id: slug for partner_id, slug in rows}


def forget_cached_counts(*slugs: str) -> None:
    """Drop cached counts (after bulk changes): this process's, and Redis's for ``slugs``."""
    _process_cache().clear()
    for slug in slugs:
        shared_cache.delete(_shared_key(slug))


@dataclass
class _CountCache:
    ttl: float
    entries: dict[str, tuple[float, CountSnapshot]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, slug: str) -> CountSnapshot | None:
        entry = self.entries.get(slug)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, slug: str, snapshot: CountSnapshot) -> None:
        with self.lock:
            self.entries[slug] = (time.monotonic() + self.ttl, snapshot)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _process_cache() -> _CountCache:
    extensions = current_app.extensions
    if "count_cache" not in extensions:
        extensions["count_cache"] = _CountCache(current_app.config["COUNT_CACHE_SECONDS"])
    return extensions["count_cache"]


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
