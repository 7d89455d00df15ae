"""`flask config check`: the settings as the app uses them (secrets masked)."""

from __future__ import annotations

import click
from flask import current_app

from widget.core.settings import effective_settings

config_cli = click.Group("config", help="Show the settings in effect.")


@config_cli.command("check")
def config_check():
    """Print every setting the app runs with, secrets masked. The app checked them all
    when it started: reaching this line means none was refused."""
    for name, value in effective_settings(current_app.config):
        click.echo(f"{name}\t{value}")
