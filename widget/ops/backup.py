"""Backups. SQLite: an online copy through SQLite's own backup API, consistent and safe
while the app keeps writing (a plain file copy of a database in WAL mode is neither).
PostgreSQL: pg_dump and pg_restore, which do the same job better than anything here
(see docs/operating.md, Backups)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from widget.core.errors import InvalidInput


def backup_sqlite(database_url: str, destination: Path) -> int:
    """Copy the SQLite database at ``database_url`` to ``destination`` while it is in use;
    returns the copy's size in bytes."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise InvalidInput(
            "backup copies SQLite databases; for PostgreSQL use pg_dump -Fc (docs/operating.md)"
        )
    destination = Path(destination)
    if destination.exists():
        raise InvalidInput(f"{destination} exists already: choose a new file")
    source = sqlite3.connect(url.database)
    target = sqlite3.connect(destination)
    try:
        with target:
            # In one step: in WAL mode this is one read transaction, a consistent moment of
            # the database, and the app's writers go on meanwhile (copying in steps would
            # start again after every write, and might never finish under load).
            source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        target.close()
        source.close()
    return destination.stat().st_size
