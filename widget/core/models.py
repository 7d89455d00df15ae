"""Tables, constraints and small pure methods. Nothing here commits or does I/O."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from widget.core.extensions import db

NO_PARTNER = 0
"""Tally key for signatures made directly on the widget server (no partner)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def midnight_utc(day: date) -> datetime:
    """The start of a UTC day: day filters compare timestamps with it."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


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


class CountingPolicy(enum.StrEnum):
    """When a signature joins the count."""

    ON_SUBMISSION = "submission"
    ON_CONFIRMATION = "confirmation"


class SignatureState(enum.StrEnum):
    SIGNED = "signed"  # submitted, email not confirmed yet
    CONFIRMED = "confirmed"
    HELD = "held"  # over a rate limit; kept out of the count until an operator decides
    INVALIDATED = "invalidated"  # removed by an operator (fraud)
    WITHDRAWN = "withdrawn"  # removed by the address owner ("this wasn't me")
    ERASED = "erased"  # personal data removed; kept as an anonymous tally if counted


ACTIVE_STATES = frozenset({SignatureState.SIGNED, SignatureState.CONFIRMED})


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
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it was closed
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    lead_organisation: Mapped[str | None] = mapped_column(String(200))
    is_embeddable_anywhere: Mapped[bool] = mapped_column(Boolean, default=False)
    counts_on: Mapped[CountingPolicy] = mapped_column(
        _str_enum(CountingPolicy), default=CountingPolicy.ON_SUBMISSION
    )
    # Over a rate limit: hold the signature for review (True) or refuse it (False).
    holds_over_limit: Mapped[bool] = mapped_column(Boolean, default=False)
    # Data protection: who is responsible, whom signers write to, how long data is kept.
    controller: Mapped[str | None] = mapped_column(Text)
    privacy_contact: Mapped[str | None] = mapped_column(String(254))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    texts: Mapped[list[PetitionText]] = relationship(
        back_populates="petition",
        cascade="all, delete-orphan",
        order_by="PetitionText.locale",
        lazy="selectin",
    )
    organisations: Mapped[list[PetitionOrganisation]] = relationship(
        back_populates="petition",
        cascade="all, delete-orphan",
        order_by="PetitionOrganisation.id",
        lazy="selectin",
    )

    def is_public(self, now: datetime) -> bool:
        """Whether the public may see it: not a draft, and not before its opening (a
        scheduled petition's title may be news before the launch). Closed ones stay."""
        if self.status == PetitionStatus.DRAFT:
            return False
        return self.opens_at is None or self.opens_at <= now

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

    @property
    def needs_confirmation(self) -> bool:
        return self.counts_on == CountingPolicy.ON_CONFIRMATION

    def ended_at(self, now: datetime) -> datetime | None:
        """When the petition stopped taking signatures, if it has (retention counts from it)."""
        if self.status == PetitionStatus.CLOSED:
            return self.closed_at or self.closes_at or self.updated_at
        if self.closes_at is not None and self.closes_at <= now:
            return self.closes_at
        return None


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


class PetitionOrganisation(db.Model):
    """Another organisation the petition names (a co-organiser): signers may opt in to
    hear from it, and it receives only those who did."""

    __tablename__ = "petition_organisations"
    __table_args__ = (UniqueConstraint("petition_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    petition: Mapped[Petition] = relationship(back_populates="organisations")


class Partner(db.Model):
    """A coalition member whose sites may embed the campaign's open petitions."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2))
    # Optional: opted-in signers and erasures are POSTed here, signed with the secret.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
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
    __table_args__ = (
        # One signature per person and petition; the canonical address decides "person".
        UniqueConstraint("petition_id", "email_canonical"),
        # Time windows of the fraud tools, the reminder sweep and exports.
        Index("ix_signatures_petition_id_created_at", "petition_id", "created_at"),
        # The dashboard's split by state (confirmed, waiting, held) is counted from this
        # index alone, without reading a single signature row.
        Index("ix_signatures_petition_id_state", "petition_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A random reference with no personal data: what exports, webhooks and erasure
    # notices use, so a partner can match an erasure to the record it received.
    public_ref: Mapped[str] = mapped_column(String(24), unique=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_canonical: Mapped[str] = mapped_column(String(254))
    email_domain: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    postcode: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    partner_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(String(500))
    ip_hash: Mapped[str | None] = mapped_column(String(32), index=True)
    # The same keyed hash of the wider network (an IPv6 /48, an IPv4 /24): fraud review
    # groups the many /64s one provider hands out.
    prefix_hash: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[SignatureState] = mapped_column(
        _str_enum(SignatureState), default=SignatureState.SIGNED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while the signature is part of the count; the tallies hold exactly these rows.
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # invalidated/withdrawn
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data_copy_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the privacy page last emailed this signer a link to erase the signature.
    erasure_link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_counted(self) -> bool:
        return self.counted_at is not None


class SignatureToken(db.Model):
    """A secret link sent to the signer. Only its SHA-256 is stored: a copy of the
    database cannot confirm or withdraw anyone's signature."""

    __tablename__ = "signature_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentText(db.Model):
    """One version of a statement a signer can agree to, exactly as it was shown.

    Versions are numbered per petition, language and purpose; a new wording (an edit, a
    new translation) is a new version, so old signatures keep pointing at what their
    signers saw.
    """

    __tablename__ = "consent_texts"
    __table_args__ = (
        UniqueConstraint("petition_id", "text_hash"),
        UniqueConstraint("petition_id", "locale", "purpose", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(32))  # consent, partner, lead, organisation
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRecord(db.Model):
    """A statement a signature agreed to, and the organisation it allows (if any)."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_recipient", "recipient", "signature_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    consent_text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    # "partner:<id>", "lead" or "organisation:<id>"; empty for the processing consent.
    recipient: Mapped[str] = mapped_column(String(40), default="")


class Delivery(db.Model):
    """A signer's data handed to a recipient (an export, a webhook): who got whom, when."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("recipient", "signature_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(40))
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # export or webhook
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ErasureNotice(db.Model):
    """A recipient must hear that a signer it received was erased (by webhook or with its
    next export). Holds only the signature's public reference."""

    __tablename__ = "erasure_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(40), index=True)
    public_ref: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ErasureLog(db.Model):
    """Proof that an erasure happened, with no personal data: when, how, what."""

    __tablename__ = "erasure_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(32))  # self-service, cli, retention ...
    actor: Mapped[str] = mapped_column(String(200))
    signature_refs: Mapped[list] = mapped_column(JSON, default=list)
    outbox_messages_deleted: Mapped[int] = mapped_column(Integer, default=0)
    recipients_notified: Mapped[list] = mapped_column(JSON, default=list)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """An email written in the same transaction as what caused it, sent by the worker."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="email")  # email or webhook
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(500))  # an address, or a webhook URL
    locale: Mapped[str] = mapped_column(String(16))
    # What the template needs; a link's raw token lives here only until the mail is sent.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(
        _str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FraudAction(db.Model):
    """One bulk action by an operator: who, when, why, on what, and how many."""

    __tablename__ = "fraud_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(200))
    affected: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class HourlyTally(db.Model):
    """Counted signatures per petition, partner, country and hour: the charts and the
    breakdown tables read these, never the signatures. Sharded like Tally."""

    __tablename__ = "hourly_tallies"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    partner_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ExternalCount(db.Model):
    """Signatures collected elsewhere (paper, other tools), entered by an operator.

    Entries are never edited: a correction is a new entry with a negative number, so the
    list is its own audit trail.
    """

    __tablename__ = "external_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    country: Mapped[str] = mapped_column(String(2))
    delta: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500))
    entered_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserRole(enum.StrEnum):
    OPERATOR = "operator"  # the lead organisation's staff: everything
    PARTNER = "partner"  # a partner's staff: its own numbers and opted-in signers


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(_str_enum(UserRole))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session: raising it logs the user out on every device.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (accounts.second_factor): the TOTP secret, set when enrolment
    # starts; on once totp_enabled_at is set. The last time step used: a code works once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)

    partner: Mapped[Partner | None] = relationship(lazy="joined")

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_operator(self) -> bool:
        return self.role == UserRole.OPERATOR

    # Flask-Login's user interface
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Invitation(db.Model):
    """A link to set a password, sent by email; only its hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """An operator action that changed data: who, when, what, on which thing."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor (a lost phone); hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """Wrong passwords for one account from one network (both as keyed hashes): what
    slows guessing down (accounts.login_throttle)."""

    __tablename__ = "login_failures"
    __table_args__ = (UniqueConstraint("account", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(40))
    network: Mapped[str] = mapped_column(String(40), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IpHashKey(db.Model):
    """The random key of one period's IP hashes. Deleted when the period is over, so the
    hashes stored in that period can never be linked to an address again, not even by
    someone who has the database and SECRET_KEY."""

    __tablename__ = "ip_hash_keys"

    period: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
