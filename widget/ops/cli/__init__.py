"""The `flask` command line (`flask --app wsgi …`): one module per command group, each a
thin wrapper around the use cases. Dev-only commands (the demo, seeding) live in the
checkout's devtools package, never here."""

from __future__ import annotations

import click

from widget.ops.cli import (
    backup,
    config,
    count,
    fraud,
    outbox,
    partner,
    petition,
    privacy,
    translate,
    user,
    worker,
)


def register_cli(group: click.Group) -> None:
    """Add the app's commands to its command group (see web.app._LazyCommands)."""
    for command in (
        backup.backup_command,
        config.config_cli,
        petition.petition_cli,
        partner.partner_cli,
        count.count_cli,
        fraud.fraud_cli,
        outbox.outbox_cli,
        privacy.privacy_cli,
        translate.translate_cli,
        user.user_cli,
        worker.worker_command,
    ):
        group.add_command(command)
