"""The one cache helper: this process first, then Redis (when REDIS_URL is set), then the
source. Everything cached (the public count, petitions and partners as widget pages need
them, rendered pages, the dashboard's split by state) goes through it.

- Each named cache lives in the app (``current_app.extensions``), so two apps (tests, or
  a worker and the web app in one process) never share entries.
- Every entry has its own deadline. A copy taken from Redis keeps Redis's remaining time,
  so a value is never older than its setting says, whichever process computed it.
- Without Redis, or with Redis down, the shared level is a miss and nothing breaks; a
  hanging Redis costs one short socket timeout, then the breaker (core.breaker) keeps
  callers away from it for SHARED_SERVICE_RETRY_SECONDS.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from widget.core.breaker import breaker

_MISSING = object()


class ProcessCache:
    """Entries with a deadline each; beyond ``size`` the least recently used goes first."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        entry = self.entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return _MISSING
        if self.size is not None:
            with self.lock:
                if key in self.entries:
                    self.entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        with self.lock:
            self.entries[key] = (time.monotonic() + ttl, value)
            if self.size is not None:
                self.entries.move_to_end(key)
                while len(self.entries) > self.size:
                    self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


@dataclass(frozen=True)
class Shared:
    """How a cache's values travel through Redis (as JSON)."""

    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]


def process_cache(name: str, size: int | None = None) -> ProcessCache:
    """This app's process-level cache called ``name`` (made on first use)."""
    caches = current_app.extensions.setdefault("caches", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, ProcessCache(size))
    return cache


def lookup(name: str, key: Hashable, *, shared: Shared | None = None) -> Any | None:
    """The cached value, from this process or else from Redis; None if neither has it."""
    cache = process_cache(name)
    value = cache.get(key)
    if value is not _MISSING:
        return value
    if shared is None:
        return None
    hit = _redis_get(_shared_key(name, key))
    if hit is None:
        return None
    raw, remaining = hit
    value = shared.load(raw)
    cache.put(key, value, remaining)
    return value


def store(
    name: str, key: Hashable, value: Any, *, ttl: float, shared: Shared | None = None
) -> None:
    """Keep ``value`` for ``ttl`` seconds in this process, and in Redis if ``shared``."""
    process_cache(name).put(key, value, ttl)
    if shared is not None:
        _redis_set(_shared_key(name, key), shared.dump(value), ttl)


def cached(
    name: str,
    key: Hashable,
    compute: Callable[[], Any],
    *,
    ttl: float,
    size: int | None = None,
    shared: Shared | None = None,
) -> Any:
    """``compute()``'s value, reused for ``ttl`` seconds (see the module docstring)."""
    if size is not None:
        process_cache(name, size)
    value = lookup(name, key, shared=shared)
    if value is not None:
        return value
    value = compute()
    store(name, key, value, ttl=ttl, shared=shared)
    return value


def forget(name: str, *shared_keys: Hashable) -> None:
    """Drop this process's copies of cache ``name``, and Redis's for ``shared_keys``."""
    process_cache(name).clear()
    for key in shared_keys:
        _redis_delete(_shared_key(name, key))


# --- the shared level ----------------------------------------------------------------------


def _shared_key(name: str, key: Hashable) -> str:
    # The same prefix as the rate limits: one namespace per deployment (and per test).
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:{name}:{key}"


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


def _call_redis(operation: Callable[[Any], Any]) -> Any:
    """Run ``operation(client)`` unless Redis is unset or its breaker is open; None on any
    failure (remembered by the breaker, so a hanging Redis costs one timeout, not one per
    request)."""
    client = _client()
    if client is None:
        return None
    circuit = breaker("redis")
    if not circuit.allows():
        return None
    try:
        result = operation(client)
    except _redis_error() as exc:
        circuit.failed(exc)
        return None
    circuit.succeeded()
    return result


def _redis_get(key: str) -> tuple[Any, float] | None:
    """The value and its remaining lifetime in seconds, or None."""

    def get(client):
        pipe = client.pipeline(transaction=False)
        pipe.get(key)
        pipe.pttl(key)
        return pipe.execute()

    found = _call_redis(get)
    if found is None:
        return None
    raw, remaining_ms = found
    if not raw or remaining_ms is None or remaining_ms <= 0:
        return None
    return json.loads(raw), remaining_ms / 1000


def _redis_set(key: str, value: Any, ttl: float) -> None:
    if ttl > 0:
        _call_redis(lambda client: client.set(key, json.dumps(value), px=max(int(ttl * 1000), 1)))


def _redis_delete(key: str) -> None:
    _call_redis(lambda client: client.delete(key))
