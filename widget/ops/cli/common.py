"""What every command group shares: ISO dates, running a use case as the person at the
terminal, clean errors."""

from __future__ import annotations

import getpass
import inspect
from datetime import UTC, datetime

import click
from flask import current_app

from widget.core.errors import WidgetError


class IsoDateTime(click.ParamType):
    name = "datetime"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date/time, e.g. 2027-03-01T09:00+01:00")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ISO = IsoDateTime()


def run_use_case(use_case, *args, **kwargs):
    """Call a use case as the person at the terminal (for the audit log); turn its expected
    failures into a clean CLI error."""
    if takes_actor(use_case):
        kwargs.setdefault("actor", actor_name(None))
    try:
        return use_case(*args, **kwargs)
    except WidgetError as exc:
        raise click.ClickException(str(exc)) from exc


def takes_actor(function) -> bool:
    return "actor" in inspect.signature(function).parameters


def supported_locales() -> list[str]:
    return current_app.config["LOCALES"]


def actor_name(actor: str | None) -> str:
    return actor or getpass.getuser()
