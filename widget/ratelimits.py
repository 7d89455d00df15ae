"""Signing rate limits: per client network and per partner, burst and sustained.

Flask-Limiter holds the counters: in this process by default, in Redis (shared by every
app process) when REDIS_URL is set. If Redis is unreachable the limits fall back to this
process's memory: Redis being down must never stop people from signing.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.strategies import MovingWindowRateLimiter

from .extensions import limiter
from .ratelimit_storage import InProcessStorage
from .signing import hash_ip

log = logging.getLogger(__name__)


def network_key() -> str:
    """Flask-Limiter key: the client's network, hashed (raw addresses are never kept)."""
    return hash_ip(get_remote_address()) or "unknown"


def _fallback() -> MovingWindowRateLimiter:
    extensions = current_app.extensions
    if "ratelimit_fallback" not in extensions:
        extensions["ratelimit_fallback"] = MovingWindowRateLimiter(InProcessStorage())
    return extensions["ratelimit_fallback"]


def is_over_signing_limit(ip: str | None, partner_slug: str | None) -> bool:
    """Count one signature attempt; True if it goes over any of its limits."""
    config = current_app.config
    prefix = config["RATELIMIT_KEY_PREFIX"]
    checks = []
    if ip:
        key = hash_ip(ip)
        checks += [(limit, "sign-net", key) for limit in parse_many(config["RATE_LIMIT_PER_IP"])]
    if partner_slug:
        checks += [
            (limit, "sign-partner", partner_slug)
            for limit in parse_many(config["RATE_LIMIT_PER_PARTNER"])
        ]
    over = False
    for limit, scope, key in checks:
        try:
            allowed = limiter.limiter.hit(limit, prefix, scope, key)
        except Exception as exc:  # any storage failure: count in memory instead
            log.warning(
                "rate-limit storage unavailable (%s); counting in memory", type(exc).__name__
            )
            allowed = _fallback().hit(limit, prefix, scope, key)
        over = over or not allowed
    return over
