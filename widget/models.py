"""Tables, constraints and small pure methods. Nothing here commits or does I/O."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

NO_PARTNER = 0
"""Tally key for signatures made directly on the widget server (no partner)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on both databases; SQLite has no zone, so store naive UTC there."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class PetitionStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class SignatureState(enum.StrEnum):
    SIGNED = "signed"
    CONFIRMED = "confirmed"
    INVALIDATED = "invalidated"


class Petition(db.Model):
    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    goal: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PetitionStatus] = mapped_column(
        _str_enum(PetitionStatus), default=PetitionStatus.DRAFT
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    lead_organisation: Mapped[str | None] = mapped_column(String(200))
    is_embeddable_anywhere: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    texts: Mapped[list[PetitionText]] = relationship(
        back_populates="petition",
        cascade="all, delete-orphan",
        order_by="PetitionText.locale",
        lazy="selectin",
    )

    def is_accepting(self, now: datetime) -> bool:
        """Whether a signature made at ``now`` is accepted."""
        if self.status != PetitionStatus.OPEN:
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at

    @property
    def languages(self) -> list[str]:
        """Locales the petition has texts in, its default first."""
        others = sorted(t.locale for t in self.texts if t.locale != self.default_locale)
        has_default = any(t.locale == self.default_locale for t in self.texts)
        return ([self.default_locale] if has_default else []) + others

    def text_in(self, locale: str) -> PetitionText | None:
        return next((t for t in self.texts if t.locale == locale), None)


class PetitionText(db.Model):
    """The petition's words in one language, as operators wrote them."""

    __tablename__ = "petition_texts"
    __table_args__ = (UniqueConstraint("petition_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    consent_statement: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    petition: Mapped[Petition] = relationship(back_populates="texts")


class Partner(db.Model):
    """A coalition member whose sites may embed the campaign's open petitions."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    origins: Mapped[list[PartnerOrigin]] = relationship(
        back_populates="partner",
        cascade="all, delete-orphan",
        order_by="PartnerOrigin.origin",
        lazy="selectin",
    )

    @property
    def origin_list(self) -> list[str]:
        return [o.origin for o in self.origins]


class PartnerOrigin(db.Model):
    """A scheme://host[:port] from which the partner's pages embed the widget."""

    __tablename__ = "partner_origins"
    __table_args__ = (UniqueConstraint("partner_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(255))

    partner: Mapped[Partner] = relationship(back_populates="origins")


class Signature(db.Model):
    __tablename__ = "signatures"
    # One signature per person and petition; the canonical address decides "person".
    __table_args__ = (UniqueConstraint("petition_id", "email_canonical"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_canonical: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    postcode: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    partner_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(String(500))
    ip_hash: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[SignatureState] = mapped_column(
        _str_enum(SignatureState), default=SignatureState.SIGNED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while the signature is part of the count; the tallies hold exactly these rows.
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_counted(self) -> bool:
        return self.counted_at is not None


class Tally(db.Model):
    """Pre-aggregated count: signatures per petition, partner and country.

    Each key is split over ``TALLY_SHARDS`` rows picked at random, so concurrent signers
    of one viral petition update different rows instead of queueing on one row lock.
    The count is the sum of the rows.
    """

    __tablename__ = "tallies"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    partner_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
