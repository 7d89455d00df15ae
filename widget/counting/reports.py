"""What the dashboard shows: totals, series over time, breakdowns, external counts.

Everything comes from the tallies (total and hourly) and from the external counts, never
from scanning signatures per request; the one exception, how many signatures wait for
confirmation, is an indexed count kept for a minute per process.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.core import audit
from widget.core.caching import Shared, cached
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import (
    NO_PARTNER,
    ExternalCount,
    HourlyTally,
    Partner,
    Petition,
    Signature,
    SignatureState,
    Tally,
    midnight_utc,
    utcnow,
)
from widget.counting.public_count import CountSnapshot, forget_cached_counts, read_count
from widget.counting.tallies import hour_of
from widget.i18n.countries import country_codes

# Counting states reads the (petition, state) index: milliseconds at a million signatures,
# about a second at ten million, so each process does it once a minute at most.
STATE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Overview:
    petition: Petition
    count: CountSnapshot
    last_hour: int
    last_day: int
    states: dict[str, int]

    @property
    def progress(self) -> float:
        return min(self.count.count / self.petition.goal, 1.0) if self.petition.goal else 0.0


def overview(petition: Petition, *, partner_key: int | None = None) -> Overview:
    """A petition at a glance (a partner user sees its own recent numbers)."""
    now = utcnow()
    hours = _hourly_totals(
        petition.id, since=hour_of(now) - timedelta(hours=23), partner_key=partner_key
    )
    current = hour_of(now)
    return Overview(
        petition=petition,
        # Read from the tallies every time (a few thousand rows at most): the dashboard shows
        # exact figures, not the public count's copy that may be seconds old.
        count=read_count(petition, fresh=True),
        last_hour=hours.get(current, 0),
        last_day=sum(hours.values()),
        states=_state_counts(petition.id),
    )


def _hourly_totals(
    petition_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    partner_key: int | None = None,
) -> dict[datetime, int]:
    """Counted signatures per hour, external counts included in the hour they were entered."""
    query = (
        select(HourlyTally.hour, func.sum(HourlyTally.count))
        .where(HourlyTally.petition_id == petition_id)
        .group_by(HourlyTally.hour)
    )
    external = select(ExternalCount.created_at, ExternalCount.delta).where(
        ExternalCount.petition_id == petition_id
    )
    if since is not None:
        query = query.where(HourlyTally.hour >= since)
        external = external.where(ExternalCount.created_at >= since)
    if until is not None:
        query = query.where(HourlyTally.hour < until)
        external = external.where(ExternalCount.created_at < until)
    if partner_key is not None:
        query = query.where(HourlyTally.partner_key == partner_key)
        external = external.where(ExternalCount.partner_id == partner_key)
    totals: dict[datetime, int] = defaultdict(int)
    for hour, n in db.session.execute(query):
        totals[hour] += n
    for entered_at, n in db.session.execute(external):
        totals[hour_of(entered_at)] += n
    return {hour: n for hour, n in totals.items() if n}


def _state_counts(petition_id: int) -> dict[str, int]:
    """Signatures by state, at most STATE_CACHE_SECONDS old. With Redis one process counts
    for all of them; without it, each process counts once a minute at most."""
    return cached(
        "states",
        petition_id,
        lambda: _count_states(petition_id),
        ttl=STATE_CACHE_SECONDS,
        shared=Shared(dump=dict, load=dict),
    )


def _count_states(petition_id: int) -> dict[str, int]:
    return {
        str(state): n
        for state, n in db.session.execute(
            select(Signature.state, func.count())
            .where(Signature.petition_id == petition_id)
            .group_by(Signature.state)
        )
    }


def series(
    petition_id: int, *, by: str, partner_key: int | None = None, days: int = 30
) -> list[tuple[datetime | date, int]]:
    """Signatures per hour (the last 48 hours) or per day (the last ``days``), zeros included."""
    now = utcnow()
    if by == "hour":
        start = hour_of(now) - timedelta(hours=47)
        hours = _hourly_totals(petition_id, since=start, partner_key=partner_key)
        return [
            (start + timedelta(hours=i), hours.get(start + timedelta(hours=i), 0))
            for i in range(48)
        ]
    first = now.date() - timedelta(days=days - 1)
    per_day: dict[date, int] = defaultdict(int)
    since = midnight_utc(first)
    for hour, n in _hourly_totals(petition_id, since=since, partner_key=partner_key).items():
        per_day[hour.date()] += n
    return [
        (first + timedelta(days=i), per_day.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def cumulative(points: list[tuple], start: int = 0) -> list[tuple]:
    total, out = start, []
    for label, n in points:
        total += n
        out.append((label, total))
    return out


def counted_before(petition_id: int, moment: datetime, partner_key: int | None = None) -> int:
    """Everything counted before ``moment``: where a cumulative chart starts."""
    return sum(_hourly_totals(petition_id, until=moment, partner_key=partner_key).values())


@dataclass(frozen=True)
class BreakdownRow:
    day: date
    partner: str
    country: str
    count: int
    is_external: bool = False  # entered by an operator, not signed here


def breakdown(
    petition_id: int,
    *,
    partner_key: int | None = None,
    country: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[BreakdownRow]:
    """Signatures per day, partner and country (from the hourly tallies, and the external
    counts on the day they were entered), newest first."""
    day = _utc_day(HourlyTally.hour)
    # Summed per day by the database: a day's rows, not every hour's, cross the wire.
    query = (
        select(day, HourlyTally.partner_key, HourlyTally.country, func.sum(HourlyTally.count))
        .where(HourlyTally.petition_id == petition_id)
        .group_by(day, HourlyTally.partner_key, HourlyTally.country)
    )
    external = select(
        ExternalCount.created_at,
        func.coalesce(ExternalCount.partner_id, NO_PARTNER),
        ExternalCount.country,
        ExternalCount.delta,
    ).where(ExternalCount.petition_id == petition_id)
    if partner_key is not None:
        query = query.where(HourlyTally.partner_key == partner_key)
        external = external.where(ExternalCount.partner_id == partner_key)
    if country:
        query = query.where(HourlyTally.country == country)
        external = external.where(ExternalCount.country == country)
    if since:
        query = query.where(HourlyTally.hour >= midnight_utc(since))
        external = external.where(ExternalCount.created_at >= midnight_utc(since))
    if until:
        end = midnight_utc(until + timedelta(days=1))
        query = query.where(HourlyTally.hour < end)
        external = external.where(ExternalCount.created_at < end)
    per_day: dict[tuple, int] = defaultdict(int)
    for on, key, land, n in db.session.execute(query):
        per_day[(_as_date(on), key, land, False)] += n
    for moment, key, land, n in db.session.execute(external):
        per_day[(moment.date(), key, land, True)] += n
    names = _partner_names([key for _, key, _, _ in per_day if key != NO_PARTNER])
    rows = [
        BreakdownRow(day, names.get(key, DIRECT), land, n, is_external)
        for (day, key, land, is_external), n in per_day.items()
        if n
    ]
    return sorted(rows, key=lambda r: (r.day, r.partner, r.country, r.is_external), reverse=True)


def _utc_day(column):
    """The UTC calendar day of a timestamp column, computed in SQL (SQLite keeps naive UTC;
    PostgreSQL's timestamptz is converted to UTC first, whatever the session's zone)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _partner_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids)))
    return {partner_id: name for partner_id, name in rows}


def top(breakdown_map: dict[str, int], limit: int = 10) -> list[tuple[str, int]]:
    return sorted(breakdown_map.items(), key=lambda item: (-item[1], item[0]))[:limit]


DIRECT = "—"  # the label of signatures made on the petition's own page, no partner


def top_partners(snapshot: CountSnapshot, limit: int = 10) -> list[tuple[str, int]]:
    """The partners that gathered most (by name), with direct signatures as one entry."""
    names = {slug: name for slug, name in db.session.execute(select(Partner.slug, Partner.name))}
    totals = {names.get(slug, slug): n for slug, n in snapshot.partners.items()}
    if snapshot.direct:
        totals[DIRECT] = snapshot.direct
    return top(totals, limit)


def countries_of(petition_id: int, partner_key: int | None) -> dict[str, int]:
    """Counted signatures per country, for one partner or all (tallies and external)."""
    query = (
        select(Tally.country, func.sum(Tally.count))
        .where(Tally.petition_id == petition_id)
        .group_by(Tally.country)
    )
    external = (
        select(ExternalCount.country, func.sum(ExternalCount.delta))
        .where(ExternalCount.petition_id == petition_id)
        .group_by(ExternalCount.country)
    )
    if partner_key is not None:
        query = query.where(Tally.partner_key == partner_key)
        external = external.where(ExternalCount.partner_id == partner_key)
    totals: dict[str, int] = defaultdict(int)
    for rows in (db.session.execute(query), db.session.execute(external)):
        for country, n in rows:
            totals[country] += n
    return {country: n for country, n in totals.items() if n}


# --- external counts -------------------------------------------------------------------


def external_counts(slug: str) -> list[ExternalCount]:
    petition = get_petition(slug)
    return list(
        db.session.scalars(
            select(ExternalCount)
            .where(ExternalCount.petition_id == petition.id)
            .order_by(ExternalCount.created_at.desc(), ExternalCount.id.desc())
        )
    )


def add_external_count(
    slug: str,
    *,
    delta: int,
    country: str,
    note: str,
    actor: str,
    partner_slug: str | None = None,
) -> ExternalCount:
    """Record signatures collected elsewhere (or correct an earlier entry with a negative
    number): they join the total and its breakdowns, marked as external."""
    petition = get_petition(slug)
    country = country.upper()
    if country not in country_codes():
        raise InvalidInput(f"unknown country code {country!r}")
    if delta == 0:
        raise InvalidInput("enter a number of signatures (negative to correct)")
    if not note.strip():
        raise InvalidInput("say where these signatures come from")
    partner = get_partner(partner_slug) if partner_slug else None
    entry = ExternalCount(
        petition_id=petition.id,
        partner_id=partner.id if partner else None,
        country=country,
        delta=delta,
        note=note.strip(),
        entered_by=actor,
        created_at=utcnow(),
    )
    db.session.add(entry)
    audit.record(
        actor,
        "external.add",
        f"petition:{slug}",
        delta=delta,
        country=country,
        partner=partner_slug,
        note=note.strip(),
    )
    db.session.commit()
    forget_cached_counts(slug)
    return entry


def held_count(petition_id: int) -> int:
    """Signatures waiting for an operator's decision: exact, counted from the state index."""
    return db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.petition_id == petition_id, Signature.state == SignatureState.HELD)
    )
