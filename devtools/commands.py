"""Dev-only `flask` commands, registered by wsgi.py when it runs under the flask command
line in a checkout: the demo (`flask --app wsgi demo`, `run-demo`) and bulk seeding
(`flask --app wsgi count seed`). The installed package has none of them.

This module imports only click; each command imports what it needs when it runs, so a
command line that never runs one pays nothing for it.
"""

from __future__ import annotations

import os

import click
from flask import Flask, current_app

from widget.ops.cli.common import run_use_case, supported_locales


def _demo():
    from devtools import demo

    return demo


def _seeding():
    from devtools import seeding

    return seeding


FORCE = click.option(
    "--force",
    is_flag=True,
    help="Seed even a database that holds more than the demo (never a real campaign's).",
)


def _seed(force: bool):
    demo = _demo()
    try:
        return demo.seed_demo(
            partner_origins=demo.DEFAULT_PARTNER_ORIGINS,
            supported_locales=supported_locales(),
            force=force,
        )
    except demo.DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("demo")
@FORCE
def demo_command(force):
    """Create (or refresh) the demo petition, partners and accounts, in a new or empty
    database (or one that holds only the demo). Prints the accounts' new passwords once."""
    result = _seed(force)
    click.echo(f"demo petition {result.petition_slug} with partners {', '.join(result.partners)}")
    for address, password in result.passwords.items():
        click.echo(f"  {address} / {password}")


@click.command("run-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--mail/--no-mail",
    default=True,
    help="Run a console mail server on 127.0.0.1:8025 and the mail worker too.",
)
@FORCE
def run_demo_command(host, port, mail, force):
    """Seed the demo, then serve the widget and the demo partner pages until Ctrl-C."""
    if "PUBLIC_URL" not in os.environ:
        # Embed codes and origin checks must name the address actually served.
        current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    result = _seed(force)
    _demo().serve_demo(
        current_app._get_current_object(), result.passwords, host=host, port=port, with_mail=mail
    )


@click.command("seed")
@click.argument("slug")
@click.option("--signatures", "count", type=click.IntRange(min=1), required=True)
@click.option("--days", default=30, show_default=True, help="Spread them over this many days.")
def seed_command(slug, count, days):
    """Bulk-add synthetic signatures (load tests only: never on a live campaign)."""
    total = run_use_case(_seeding().seed_signatures, slug, count, days=days)
    click.echo(f"{slug}: seeded {count}, count now {total}")


def register_dev_commands(app: Flask) -> None:
    """Add the dev-only commands to the app's command line (``count seed`` joins the
    production ``count`` group, which stays as it is in the installed package)."""
    for command in (demo_command, run_demo_command):
        app.cli.add_command(command)
    count_group = app.cli.get_command(None, "count")
    count_group.add_command(seed_command, "seed")
