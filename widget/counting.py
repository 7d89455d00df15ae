"""The count: tally increments on the signing path, cached reads, verify and rebuild."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .extensions import db
from .models import NO_PARTNER, Partner, Petition, Signature, Tally, utcnow


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

    def as_json(self) -> dict:
        return {
            "petition": self.slug,
            "count": self.count,
            "goal": self.goal,
            "as_of": self.as_of.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "partners": self.partners,
            "countries": self.countries,
            "direct": self.direct,
        }

    @property
    def etag(self) -> str:
        # Derived from the data alone, so every app process hands out the same validator.
        body = json.dumps(self.as_json(), sort_keys=True).encode()
        return hashlib.sha256(body).hexdigest()[:32]


@dataclass(frozen=True)
class TallyKey:
    partner_key: int
    country: str


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def add_to_tally(
    session: Session, *, petition_id: int, key: TallyKey, delta: int, now: datetime
) -> None:
    """Add ``delta`` to one random shard of the key, inside the caller's transaction."""
    shards = current_app.config["TALLY_SHARDS"]
    # Decrements go to shard 0: any shard of the key will do, the sum is what counts.
    shard = random.randrange(shards) if delta > 0 else 0
    postgres = _is_postgres(session)
    stmt = (
        (postgresql if postgres else sqlite)
        .insert(Tally)
        .values(
            petition_id=petition_id,
            partner_key=key.partner_key,
            country=key.country,
            shard=shard,
            count=delta,
            updated_at=now,
        )
    )
    # Clocks of different app processes disagree a little; never move updated_at back.
    latest = (func.greatest if postgres else func.max)(Tally.updated_at, stmt.excluded.updated_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Tally.petition_id, Tally.partner_key, Tally.country, Tally.shard],
        set_={"count": Tally.count + stmt.excluded.count, "updated_at": latest},
    )
    session.execute(stmt)


def tally_key_for(partner_id: int | None, country: str) -> TallyKey:
    return TallyKey(partner_id or NO_PARTNER, country)


def read_count(petition: Petition, *, fresh: bool = False) -> CountSnapshot:
    """Return the petition's count, reusing this process's copy for COUNT_CACHE_SECONDS."""
    cache = _process_cache()
    if not fresh:
        hit = cache.get(petition.slug)
        if hit is not None:
            return hit
    snapshot = _query_snapshot(petition)
    cache.put(petition.slug, snapshot)
    return snapshot


def cached_count(slug: str) -> CountSnapshot | None:
    """This process's unexpired copy of a count, without touching the database."""
    return _process_cache().get(slug)


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
    )


def _partner_slugs(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Partner.id, Partner.slug).where(Partner.id.in_(ids)))
    return {partner_id: slug for partner_id, slug in rows}


def forget_cached_counts() -> None:
    """Drop this process's cached counts (after bulk changes, and between tests)."""
    _process_cache().clear()


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


def verify_count(petition_id: int) -> list[CountMismatch]:
    """Compare the tallies with the counted signatures, key by key; empty means exact."""
    return _compare(_tallied(petition_id), _counted_signatures(petition_id))


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


def _compare(tallied: dict[TallyKey, int], actual: dict[TallyKey, int]) -> list[CountMismatch]:
    keys = sorted(set(tallied) | set(actual), key=lambda k: (k.partner_key, k.country))
    return [
        CountMismatch(k.partner_key, k.country, tallied.get(k, 0), actual.get(k, 0))
        for k in keys
        if tallied.get(k, 0) != actual.get(k, 0)
    ]


def rebuild_tallies(petition_id: int) -> int:
    """Recompute the petition's tallies from its counted signatures; return the total.

    For repairs after manual database edits: the signing path never needs it.
    """
    now = utcnow()
    counted = _counted_signatures(petition_id)
    db.session.execute(delete(Tally).where(Tally.petition_id == petition_id))
    db.session.add_all(
        Tally(
            petition_id=petition_id,
            partner_key=key.partner_key,
            country=key.country,
            shard=0,
            count=n,
            updated_at=now,
        )
        for key, n in counted.items()
    )
    db.session.commit()
    forget_cached_counts()
    return sum(counted.values())
