"""`flask count …`: check and repair the count."""

from __future__ import annotations

import click

from widget.campaign import petitions
from widget.counting.public_count import read_count
from widget.counting.tallies import rebuild_tallies, verify_count
from widget.ops.cli.common import run_use_case

count_cli = click.Group("count", help="Check and repair the count.")


@count_cli.command("verify")
@click.argument("slug")
def count_verify(slug):
    """Exit 0 only if the tallies equal the counted signatures, partner by country."""
    petition = run_use_case(petitions.get_petition, slug)
    mismatches = verify_count(petition.id)
    total = read_count(petition, fresh=True).count
    if not mismatches:
        click.echo(f"{slug}: count {total} matches the signatures")
        return
    for m in mismatches:
        where = f"partner {m.partner_key} country {m.country}"
        if m.hour is not None:
            where += f" hour {m.hour.isoformat(timespec='minutes')}"
        click.echo(f"{where}: tallied {m.tallied}, signatures {m.signatures}", err=True)
    raise click.ClickException(f"{slug}: {len(mismatches)} tallies differ from the signatures")


@count_cli.command("rebuild")
@click.argument("slug")
def count_rebuild(slug):
    """Recompute the tallies from the signatures (repair after manual database edits)."""
    petition = run_use_case(petitions.get_petition, slug)
    total = rebuild_tallies(petition.id)
    click.echo(f"{slug}: tallies rebuilt, count {total}")
