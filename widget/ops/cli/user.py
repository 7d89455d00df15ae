"""`flask user …`: dashboard accounts (others are invited from the dashboard)."""

from __future__ import annotations

import click

from widget.accounts import users as accounts
from widget.core.models import UserRole
from widget.ops.cli.common import run_use_case

user_cli = click.Group("user", help="Dashboard accounts (others are invited from the dashboard).")


@user_cli.command("create-operator")
@click.argument("email")
@click.option("--name", default="", help="Shown in the dashboard and the audit log.")
@click.password_option(help="At least 12 characters (asked for when not given).")
def user_create_operator(email, name, password):
    """Create an operator account: the first one, to log in and invite the rest."""
    user = run_use_case(accounts.create_user, email, name, password, role=UserRole.OPERATOR)
    click.echo(f"operator {user.email} created: log in at /dashboard/login")


@user_cli.command("list")
def user_list():
    """Every dashboard account, its role and partner."""
    for user in accounts.list_users():
        partner = user.partner.slug if user.partner else "-"
        state = "active" if user.is_active and user.password_hash else "inactive/invited"
        click.echo(f"{user.email}\t{user.role}\t{partner}\t{state}")
