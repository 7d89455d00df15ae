"""`flask backup FILE`: an online copy of a SQLite database (PostgreSQL: pg_dump)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from widget.ops.backup import backup_sqlite
from widget.ops.cli.common import run_use_case


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination):
    """Copy the SQLite database to DESTINATION while the app keeps running."""
    size = run_use_case(backup_sqlite, current_app.config["DATABASE_URL"], destination)
    click.echo(f"backed up to {destination} ({size:,} bytes)")
