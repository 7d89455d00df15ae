"""The public count: a snapshot of a petition's tallies (total, by partner, by country),
read through the cache helper, and the count a signer sees after signing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flask import current_app
from sqlalchemy import func, select

from widget.campaign.petitions import get_petition
from widget.core.caching import Shared, forget, lookup, store
from widget.core.extensions import db
from widget.core.models import NO_PARTNER, ExternalCount, Partner, Petition, Tally

CACHE = "count"


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


# The public JSON gives as_of to the second; the shared copy keeps the microseconds,
# which count_after_signing compares with a signature's own time.
SHARED = Shared(
    dump=lambda snapshot: {**snapshot.as_json(), "as_of": snapshot.as_of.isoformat()},
    load=CountSnapshot.from_json,
)


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
    return lookup(CACHE, slug, shared=SHARED)


def _refresh(petition: Petition) -> CountSnapshot:
    snapshot = _query_snapshot(petition)
    store(CACHE, petition.slug, snapshot, ttl=current_app.config["COUNT_CACHE_SECONDS"],
          shared=SHARED)  # fmt: skip
    return snapshot


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
    forget(CACHE, *slugs)
