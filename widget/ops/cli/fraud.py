"""`flask fraud …`: spot floods and take bad signatures out of the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from widget.ops.cli.common import ISO, actor_name, run_use_case
from widget.signers import fraud

fraud_cli = click.Group("fraud", help="Spot floods and take bad signatures out of the count.")


def _criteria_options(command):
    for option in reversed(
        [
            click.option("--ip-hash", help="An IP hash from `fraud trending --by ip`."),
            click.option(
                "--prefix-hash", help="A network prefix hash from `fraud trending --by prefix`."
            ),
            click.option("--domain", "email_domain", help="Email domain, e.g. mailinator.com."),
            click.option("--partner", help="Partner slug."),
            click.option("--since", type=ISO, help="Signed at or after (ISO 8601)."),
            click.option("--until", type=ISO, help="Signed before (ISO 8601)."),
            click.option("--reason", required=True, help="Why: kept in the log."),
            click.option("--by", "actor", help="Who does it (default: your user name)."),
            click.option("--dry-run", is_flag=True, help="Only say how many would change."),
        ]
    ):
        command = option(command)
    return command


@fraud_cli.command("trending")
@click.argument("slug")
@click.option("--by", type=click.Choice(fraud.TRENDING_BY), default="ip", show_default=True)
@click.option("--since", type=ISO, help="Window start (default: an hour ago).")
@click.option("--until", type=ISO, help="Window end (default: now).")
@click.option("--top", default=20, show_default=True)
def fraud_trending(slug, by, since, until, top):
    """The IP hashes, email domains, partners or countries with the most signatures."""
    since = since or datetime.now(UTC) - timedelta(hours=1)
    rows = run_use_case(fraud.trending, slug, by=by, since=since, until=until, top=top)
    if not rows:
        click.echo("no signatures in that window")
    for key, n in rows:
        click.echo(f"{n}\t{key}")


@fraud_cli.command("invalidate")
@click.argument("slug")
@_criteria_options
def fraud_invalidate(
    slug, ip_hash, prefix_hash, email_domain, partner, since, until, reason, actor, dry_run
):
    """Take matching signatures out of the petition and the count (logged)."""
    criteria = fraud.Criteria(ip_hash, email_domain, partner, since, until, prefix_hash=prefix_hash)
    result = run_use_case(
        fraud.invalidate_signatures,
        slug,
        criteria,
        reason=reason,
        actor=actor_name(actor),
        dry_run=dry_run,
    )
    verb = "would invalidate" if dry_run else "invalidated"
    click.echo(f"{verb} {result.matched} signatures ({result.counted} of them counted)")


@fraud_cli.command("release")
@click.argument("slug")
@_criteria_options
def fraud_release(
    slug, ip_hash, prefix_hash, email_domain, partner, since, until, reason, actor, dry_run
):
    """Let held signatures (over a rate limit) into the count (logged)."""
    criteria = fraud.Criteria(ip_hash, email_domain, partner, since, until, prefix_hash=prefix_hash)
    result = run_use_case(
        fraud.release_held_signatures,
        slug,
        criteria,
        reason=reason,
        actor=actor_name(actor),
        dry_run=dry_run,
    )
    if dry_run:
        click.echo(f"would release {result.matched} held signatures")
    else:
        click.echo(f"released {result.matched} held signatures ({result.counted} now counted)")


@fraud_cli.command("log")
@click.argument("slug")
def fraud_log(slug):
    """Every bulk action: when, who, what, why, how many."""
    actions = run_use_case(fraud.list_fraud_actions, slug)
    if not actions:
        click.echo("no bulk actions yet")
    for a in actions:
        criteria = " ".join(f"{k}={v}" for k, v in sorted(a.criteria.items()))
        click.echo(
            f"{a.created_at.isoformat(timespec='seconds')}\t{a.actor}\t{a.action}\t"
            f"{a.affected}\t{criteria}\t{a.reason}"
        )
