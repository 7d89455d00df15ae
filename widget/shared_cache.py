"""A small cache shared by every app process, in Redis when REDIS_URL is set.

Without Redis every call is a miss and nothing breaks; with Redis down, the same. What is
cached here is costly to read and may be a little old: the public count (one database
read per COUNT_CACHE_SECONDS for all processes together, instead of one per process)
and the dashboard's split of signatures by state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)


def _key(key: str) -> str:
    # The same prefix as the rate limits: one namespace per deployment (and per test).
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:{key}"


def _client():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    extensions = current_app.extensions
    if "shared_cache" not in extensions:
        # Imported here: a deployment without Redis never loads the library (about 4 MB
        # in every worker). Short timeouts: a hanging Redis must cost milliseconds.
        import redis

        extensions["shared_cache"] = redis.Redis.from_url(
            url, socket_timeout=0.3, socket_connect_timeout=0.3
        )
    return extensions["shared_cache"]


def _redis_error() -> type[Exception]:
    # Evaluated only when an exception is raised, so only after _client() imported redis.
    import redis

    return redis.RedisError


def get_json(key: str, build: Callable[[dict], Any]) -> Any | None:
    client = _client()
    if client is None:
        return None
    try:
        raw = client.get(_key(key))
    except _redis_error() as exc:
        log.warning("shared cache unavailable: %s", type(exc).__name__)
        return None
    return build(json.loads(raw)) if raw else None


def set_json(key: str, value: dict, ttl_seconds: float) -> None:
    client = _client()
    if client is None or ttl_seconds <= 0:
        return
    try:
        client.set(_key(key), json.dumps(value), px=int(ttl_seconds * 1000))
    except _redis_error() as exc:
        log.warning("shared cache unavailable: %s", type(exc).__name__)


def delete(key: str) -> None:
    client = _client()
    if client is None:
        return
    try:
        client.delete(_key(key))
    except _redis_error() as exc:
        log.warning("shared cache unavailable: %s", type(exc).__name__)
