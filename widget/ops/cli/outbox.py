"""`flask outbox …`: what waits to be sent, what failed and why, and sending again."""

from __future__ import annotations

import click

from widget.core.models import utcnow
from widget.ops.cli.common import run_use_case
from widget.outbox import review

outbox_cli = click.Group("outbox", help="The queue of emails and webhooks.")


@outbox_cli.command("status")
def outbox_status():
    """Messages waiting and failed, by channel and kind, and how long the oldest waits."""
    lines = review.queue_status()
    if not lines:
        click.echo("the outbox is empty")
    now = utcnow()
    click.echo("channel\tkind\tpending\toldest (s)\tfailed")
    for line in lines:
        age = line.oldest_age_seconds(now)
        click.echo(
            f"{line.channel}\t{line.kind}\t{line.pending}\t"
            f"{'-' if age is None else round(age)}\t{line.failed}"
        )


@outbox_cli.command("failed")
@click.option("--limit", default=review.FAILED_PAGE, show_default=True)
def outbox_failed(limit):
    """Messages that failed for good: id, kind, petition, attempts, last error (recipients
    by domain only)."""
    for m in review.failed_messages(limit):
        click.echo(
            f"{m.id}\t{m.channel}\t{m.kind}\t{m.petition or '-'}\t{m.attempts}\t"
            f"{m.recipient_domain}\t{m.last_error}"
        )


@outbox_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every message that failed for good.")
def outbox_retry(ids, all_failed):
    """Queue failed messages again (the worker sends them on its next pass)."""
    n = run_use_case(review.retry_messages, list(ids), all_failed=all_failed)
    click.echo(f"{n} message(s) queued again")
