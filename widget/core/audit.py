"""The audit log: every change an operator makes, with who, when, what and on what."""

from __future__ import annotations

from sqlalchemy import func, select

from widget.core.extensions import db
from widget.core.models import AuditEntry, utcnow

# Who acts when a use case is called without a person (tests, the demo seeder).
SYSTEM = "system"


def record(actor: str, action: str, subject: str, **details) -> None:
    """Add an entry to the caller's transaction (the use case commits it with its change)."""
    db.session.add(
        AuditEntry(
            created_at=utcnow(),
            actor=actor,
            action=action,
            subject=subject,
            details={k: v for k, v in details.items() if v is not None},
        )
    )


def list_entries(*, page: int = 1, per_page: int = 50) -> tuple[list[AuditEntry], int]:
    """Newest first; returns one page and the number of entries in all."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    entries = db.session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(entries), total
