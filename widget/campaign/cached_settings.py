"""Petitions, partners and consent statements as widget pages need them, kept in each app
process for WIDGET_CACHE_SECONDS (through core.caching).

Model objects are detached from the session with everything widget pages read already
loaded, so serving a form costs no query for them. Operator use cases call
forget_cached_settings(); other processes see an edit when their copy expires.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app

from widget.core.caching import cached, forget
from widget.core.extensions import db

CACHE = "campaign-settings"


def cached_settings(key: Hashable, load: Callable[[], Any], *, model: bool = True) -> Any:
    """``load()``'s result, reused for WIDGET_CACHE_SECONDS (a model object is detached)."""
    ttl = current_app.config["WIDGET_CACHE_SECONDS"]

    def detached() -> Any:
        value = load()
        if model and ttl > 0:
            db.session.expunge(value)  # with its texts/origins (cascade): safe to share
        return value

    return cached(CACHE, key, detached, ttl=ttl)


def forget_cached_settings() -> None:
    """Drop this process's copies (after an operator changed a petition or partner)."""
    forget(CACHE)
