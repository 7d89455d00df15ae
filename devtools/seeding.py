"""Fast bulk seeding of synthetic signatures, for load tests and benchmarks.

Rows go straight to the database (COPY on PostgreSQL, one executemany per chunk on
SQLite), then the tallies are rebuilt from them: millions of rows in minutes, where the
signing path would take hours. Never point this at a live campaign's database.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import func, select

from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import Partner, Signature, SignatureState, utcnow
from widget.counting.tallies import rebuild_tallies

CHUNK = 50_000
COLUMNS = (
    "public_ref",
    "petition_id",
    "partner_id",
    "first_name",
    "last_name",
    "email",
    "email_canonical",
    "email_domain",
    "country",
    "locale",
    "partner_opt_in",
    "lead_opt_in",
    "state",
    "created_at",
    "counted_at",
    "confirmed_at",
)
COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "NL", "BE", "AT", "SE", "CZ", "PT", "IE", "GR")


def seed_signatures(slug: str, count: int, *, days: int = 30) -> int:
    """Add ``count`` synthetic, counted signatures spread over partners, countries and
    the last ``days`` days; return the petition's new total."""
    petition = get_petition(slug)
    partner_ids = list(db.session.scalars(select(Partner.id).order_by(Partner.id))) or [None]
    start = db.session.scalar(select(func.count()).select_from(Signature)) or 0
    now = utcnow()
    rows = _rows(petition.id, partner_ids, start, count, now, days)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Bulk work may take minutes: lift the per-statement limit for this transaction only.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        _copy_postgres(connection, rows)
    else:
        _insert_sqlite(connection, rows)
    db.session.commit()
    if connection.dialect.name == "postgresql":
        _vacuum_signatures()
    return rebuild_tallies(petition.id)


def _vacuum_signatures() -> None:
    """Do now what autovacuum does some minutes after a bulk load: set the visibility map,
    so the count by state reads the (petition, state) index alone instead of visiting
    every row, and refresh the planner's statistics. Measurements taken right after
    seeding then show the steady state, not the minutes after a bulk load."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("SET statement_timeout = 0")
        try:
            connection.exec_driver_sql("VACUUM (ANALYZE) signatures")
        finally:
            connection.exec_driver_sql("RESET statement_timeout")


def _rows(petition_id, partner_ids, start, count, now: datetime, days: int):
    """Deterministic rows shaped like a campaign: a launch spike that tails off, a few
    large countries and partners, three in four signers confirmed."""
    spread = max(days, 1) * 86_400
    for n in range(start, start + count):
        email = f"seed-{n}@seed.example"
        launch = ((n * 7919) % 10_007) / 10_007  # evenly spread in [0, 1)
        at = now - timedelta(seconds=int(spread * (1 - launch * launch)))
        weight = ((n * 104_729) % 997) / 997
        country = COUNTRIES[int(len(COUNTRIES) * weight * weight)]
        partner = partner_ids[int(len(partner_ids) * ((n * 31) % 101) / 101)]
        confirmed = n % 4 != 0
        yield (
            f"seed-{n}",
            petition_id,
            partner,
            "Seed",
            f"Signer {n}",
            email,
            email,
            "seed.example",
            country,
            "en",
            n % 3 == 0,
            n % 5 == 0,
            (SignatureState.CONFIRMED if confirmed else SignatureState.SIGNED).value,
            at,
            at,
            min(at + timedelta(minutes=10), now) if confirmed else None,
        )


def _copy_postgres(connection, rows) -> None:
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        sql = f"COPY signatures ({', '.join(COLUMNS)}) FROM STDIN"
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _insert_sqlite(connection, rows) -> None:
    raw = connection.connection.driver_connection
    placeholders = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO signatures ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    while chunk := list(itertools.islice(rows, CHUNK)):
        # SQLite stores our UTC timestamps as naive text (see models.UTCDateTime).
        raw.executemany(
            sql,
            [(*r[:13], _naive(r[13]), _naive(r[14]), r[15] and _naive(r[15])) for r in chunk],
        )


def _naive(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's own SQLite format
