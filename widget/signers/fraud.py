"""Operators' fraud tools: what is trending, and bulk invalidation or release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select, update

from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.core import audit
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import (
    FraudAction,
    OutboxMessage,
    OutboxStatus,
    Partner,
    Petition,
    Signature,
    SignatureState,
    utcnow,
)
from widget.counting.endings import end_signatures
from widget.counting.public_count import forget_cached_counts
from widget.counting.tallies import add_to_tally, tally_key_for

TRENDING_BY = ("ip", "prefix", "domain", "partner", "country")
# Trending shows what may still need action: invalidated, withdrawn and erased signatures
# have left the petition already.
IN_PLAY = (SignatureState.SIGNED, SignatureState.CONFIRMED, SignatureState.HELD)


@dataclass(frozen=True)
class Criteria:
    """Which signatures of a petition a bulk action touches; at least one filter."""

    ip_hash: str | None = None
    email_domain: str | None = None
    partner: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    held_only: bool = False
    prefix_hash: str | None = None  # the wider network: an IPv6 /48, an IPv4 /24

    def as_dict(self) -> dict:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in self.__dict__.items()
            if v not in (None, False)
        }


@dataclass(frozen=True)
class BulkResult:
    matched: int
    counted: int
    dry_run: bool


def trending(
    slug: str, *, by: str, since: datetime, until: datetime | None = None, top: int = 20
) -> list[tuple[str, int]]:
    """The most frequent IP hashes, email domains, partners or countries in a window."""
    if by not in TRENDING_BY:
        raise InvalidInput(f"trending by one of: {', '.join(TRENDING_BY)}")
    petition = get_petition(slug)
    column = {
        "ip": Signature.ip_hash,
        "prefix": Signature.prefix_hash,
        "domain": Signature.email_domain,
        "partner": func.coalesce(Partner.slug, "(direct)"),
        "country": Signature.country,
    }[by]
    query = (
        select(column, func.count().label("n"))
        .select_from(Signature)
        .outerjoin(Partner, Partner.id == Signature.partner_id)
        .where(
            Signature.petition_id == petition.id,
            Signature.created_at >= since,
            Signature.state.in_(IN_PLAY),
        )
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(top)
    )
    if until is not None:
        query = query.where(Signature.created_at < until)
    return [(key or "(none)", n) for key, n in db.session.execute(query)]


def _matching(petition: Petition, criteria: Criteria):
    conditions = [Signature.petition_id == petition.id]
    if criteria.ip_hash:
        conditions.append(Signature.ip_hash == criteria.ip_hash)
    if criteria.prefix_hash:
        conditions.append(Signature.prefix_hash == criteria.prefix_hash)
    if criteria.email_domain:
        conditions.append(Signature.email_domain == criteria.email_domain.lower())
    if criteria.partner:
        conditions.append(Signature.partner_id == get_partner(criteria.partner).id)
    if criteria.since:
        conditions.append(Signature.created_at >= criteria.since)
    if criteria.until:
        conditions.append(Signature.created_at < criteria.until)
    if criteria.held_only:
        conditions.append(Signature.state == SignatureState.HELD)
    if len(conditions) == 1:
        raise InvalidInput(
            "give at least one filter (IP hash, network prefix, domain, partner or time window)"
        )
    return select(Signature.id).where(*conditions)


def _preview(query) -> tuple[int, int]:
    ids = query.scalar_subquery()
    live = Signature.state.in_(IN_PLAY)
    matched = db.session.scalar(
        select(func.count()).select_from(Signature).where(Signature.id.in_(ids), live)
    )
    counted = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.id.in_(ids), live, Signature.counted_at.is_not(None))
    )
    return matched, counted


def invalidate_signatures(
    slug: str, criteria: Criteria, *, reason: str, actor: str, dry_run: bool = False
) -> BulkResult:
    """Take matching signatures out of the petition and the count, and log who did it."""
    if not reason.strip():
        raise InvalidInput("say why (--reason): the log keeps it")
    petition = get_petition(slug)
    query = _matching(petition, criteria)
    matched, counted = _preview(query)
    if dry_run:
        return BulkResult(matched, counted, dry_run=True)
    now = utcnow()
    affected = end_signatures(query, state=SignatureState.INVALIDATED, now=now)
    # Nothing more goes to these addresses or about them (confirmation requests,
    # reminders, a partner's webhook): mail to bot addresses burns the sender's reputation.
    db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.signature_id.in_(query.scalar_subquery()),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .execution_options(synchronize_session=False)
    )
    _log(petition, "invalidate", criteria, reason, actor, affected, now)
    db.session.commit()
    forget_cached_counts(petition.slug)
    return BulkResult(affected, counted, dry_run=False)


def release_held_signatures(
    slug: str, criteria: Criteria, *, reason: str, actor: str, dry_run: bool = False
) -> BulkResult:
    """Let held signatures in: they count now, unless the petition waits for confirmation
    and they are not confirmed (then they count when confirmed)."""
    if not reason.strip():
        raise InvalidInput("say why (--reason): the log keeps it")
    petition = get_petition(slug)
    criteria = Criteria(**{**criteria.__dict__, "held_only": True})
    query = _matching(petition, criteria)
    matched, _ = _preview(query)
    if dry_run:
        return BulkResult(matched, 0, dry_run=True)
    now = utcnow()
    session = db.session
    ids = query.scalar_subquery()
    held = [Signature.id.in_(ids), Signature.state == SignatureState.HELD]
    counts_now = [*held]
    if petition.needs_confirmation:
        counts_now.append(Signature.confirmed_at.is_not(None))
    back_to_normal = case(
        (Signature.confirmed_at.is_(None), SignatureState.SIGNED.value),
        else_=SignatureState.CONFIRMED.value,
    )
    counted_rows = session.execute(
        update(Signature)
        .where(*counts_now)
        .values(state=back_to_normal, counted_at=now)
        .returning(Signature.partner_id, Signature.country)
        .execution_options(synchronize_session=False)
    ).all()
    # Unconfirmed ones of a petition that waits for confirmation count once confirmed.
    session.execute(
        update(Signature)
        .where(*held)
        .values(state=SignatureState.SIGNED)
        .execution_options(synchronize_session=False)
    )
    increments: dict = {}
    for partner_id, country in counted_rows:
        key = tally_key_for(partner_id, country)
        increments[key] = increments.get(key, 0) + 1
    for key, n in increments.items():
        add_to_tally(session.connection(), petition_id=petition.id, key=key, delta=n, now=now)
    _log(petition, "release", criteria, reason, actor, matched, now)
    session.commit()
    forget_cached_counts(petition.slug)
    return BulkResult(matched, len(counted_rows), dry_run=False)


def _log(petition, action, criteria, reason, actor, affected, now) -> None:
    audit.record(actor, f"fraud.{action}", f"petition:{petition.slug}", affected=affected,
                 reason=reason.strip(), **criteria.as_dict())  # fmt: skip
    db.session.add(
        FraudAction(
            petition_id=petition.id,
            action=action,
            criteria=criteria.as_dict(),
            reason=reason.strip(),
            actor=actor,
            affected=affected,
            created_at=now,
        )
    )


def list_fraud_actions(slug: str) -> list[FraudAction]:
    petition = get_petition(slug)
    return list(
        db.session.scalars(
            select(FraudAction)
            .where(FraudAction.petition_id == petition.id)
            .order_by(FraudAction.created_at, FraudAction.id)
        )
    )
