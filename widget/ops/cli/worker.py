"""`flask worker`: send the outbox (emails, webhooks) with retries."""

from __future__ import annotations

import click

from widget.ops import worker


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass, then exit (for cron).")
@click.option("--batch", default=50, show_default=True, help="Emails claimed at a time.")
def worker_command(once, batch):
    """Send queued email (and the one reminder to unconfirmed signers) with retries."""
    if once:
        report = worker.run_worker_once(batch=batch)
        click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        return
    click.echo("mail worker running; Ctrl-C stops it")
    worker.run_worker(batch=batch)
