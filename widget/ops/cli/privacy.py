"""`flask privacy …`: erasure, retention and per-organisation exports."""

from __future__ import annotations

import click

from widget.campaign import petitions
from widget.campaign.recipients import resolve_recipient
from widget.ops.cli.common import actor_name, run_use_case
from widget.signers import erasure as privacy
from widget.signers import exports

privacy_cli = click.Group("privacy", help="Erasure, retention and per-organisation exports.")


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--petition", "petition_slug", help="Only this petition's signature.")
@click.option("--by", "actor", help="Who does it (default: your user name).")
@click.option("--dry-run", is_flag=True)
def privacy_erase(email, petition_slug, actor, dry_run):
    """Erase every piece of personal data held about an address (logged, no personal data)."""
    petition_id = run_use_case(petitions.get_petition, petition_slug).id if petition_slug else None
    result = run_use_case(
        privacy.erase_address,
        email,
        channel="cli",
        actor=actor_name(actor),
        petition_id=petition_id,
        dry_run=dry_run,
    )
    verb = "would erase" if dry_run else "erased"
    click.echo(
        f"{verb} {result.signatures} signature(s), "
        f"{result.outbox_messages} {'pending ' if dry_run else ''}message(s); "
        f"recipients to notify: {', '.join(result.recipient_names) or 'none'}"
    )


@privacy_cli.command("retention")
@click.option("--dry-run", is_flag=True)
def privacy_retention(dry_run):
    """Anonymise signers of petitions past their retention period (safe to run daily)."""
    result = privacy.apply_retention(dry_run=dry_run)
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"{verb} {result.signatures} signature(s) of: {', '.join(result.petitions) or '-'}")


@privacy_cli.command("export")
@click.argument("slug")
@click.option("--recipient", required=True, help="partner:SLUG, lead or organisation:SLUG")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def privacy_export(slug, recipient, output):
    """CSV of the signers who opted in to one recipient, then its pending erasures."""
    # Unknown petitions or recipients fail here, cleanly, before anything is written.
    rows = run_use_case(exports.export_rows, slug, recipient)
    for line in rows:  # streamed: a million signers never sit in memory
        output.write(line)


@privacy_cli.command("erasures-done")
@click.argument("slug")
@click.option("--recipient", required=True, help="partner:SLUG, lead or organisation:SLUG")
@click.option("--up-to", type=int, help="The newest notice deleted (default: all listed now).")
def privacy_erasures_done(slug, recipient, up_to):
    """The recipient deleted the erased signers its exports listed: they leave its exports.
    For a partner, run it only on the partner's word (it may also confirm in the dashboard)."""
    if up_to is None:
        petition = petitions.get_petition(slug)
        pending = exports.pending_erasures(run_use_case(resolve_recipient, petition, recipient).key)
        up_to = pending[-1].id if pending else 0
    n = run_use_case(exports.acknowledge_erasures, slug, recipient, up_to=up_to)
    click.echo(f"{n} erasure(s) acknowledged for {recipient}")
