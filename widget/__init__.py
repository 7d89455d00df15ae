"""The petition widget server.

Packages, lowest layer first (each may import only those below it; import-linter checks
this, see pyproject.toml): core, i18n, campaign, counting and outbox, signing, signers
and accounts, web, ops. ``create_app()`` builds the Flask app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (see widget.app.create_app); `gunicorn 'widget:create_app()'`."""
    # Imported here: importing a lower package (widget.core, say) must not load the web
    # layer and everything above it.
    from widget.app import create_app as build

    return build(config)
