"""Signing rate limits: per client network and per partner, burst and sustained.

Flask-Limiter holds the counters: in this process by default, in Redis (shared by every
app process) when REDIS_URL is set. If Redis does not answer, the limits fall back to this
process's memory, and the breaker (core.breaker) keeps them there until Redis is tried
again: Redis being down, or hanging, must never stop people from signing.
"""

from __future__ import annotations

from functools import cache

from flask import current_app, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerSecond, parse_many
from limits.strategies import MovingWindowRateLimiter

from widget.core.addresses import network_of, networks_of, rate_limit_key
from widget.core.breaker import breaker
from widget.core.extensions import limiter
from widget.core.metrics import RATE_LIMITED
from widget.core.rate_counters import InProcessStorage

# The signer's busiest endpoints. Flask-Limiter has no limit to count on any of them
# (signing counts its own, below, once the form is valid), yet its per-request hook looked
# for one on every request: about 4% of a signature's CPU time. A limit decorated on one
# of them would be skipped too; a test keeps them undecorated.
UNLIMITED_ENDPOINTS = frozenset(
    {
        "embed.sign_in_frame",
        "embed.sign_on_page",
        "embed.counter",
        "embed.embed_script",
        "api.petition_count",
        "monitoring.healthz",
        "monitoring.readyz",
        "monitoring.metrics",
    }
)


# Scope of each network networks_of() gives, and the setting of its limits.
NETWORK_SCOPES = {
    "sign-net": "RATE_LIMIT_PER_IP",
    "sign-net-56": "RATE_LIMIT_PER_IPV6_56",
    "sign-net-48": "RATE_LIMIT_PER_IPV6_48",
}


@limiter.request_filter
def is_unlimited_endpoint() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS


def network_key() -> str:
    """Flask-Limiter key: the client's network, hashed (raw addresses are never kept)."""
    return rate_limit_key(network_of(get_remote_address() or "unknown"))


def _fallback() -> MovingWindowRateLimiter:
    extensions = current_app.extensions
    if "ratelimit_fallback" not in extensions:
        extensions["ratelimit_fallback"] = MovingWindowRateLimiter(InProcessStorage())
    return extensions["ratelimit_fallback"]


def is_over_signing_limit(ip: str | None, partner_slug: str | None, petition_id: int) -> bool:
    """Count one signature attempt; True if it goes over any of its limits: its network's
    (an IPv6 address also its /56 and /48), its partner's, and for a signature made
    without a partner, the petition's cap on those."""
    config = current_app.config
    prefix = config["RATELIMIT_KEY_PREFIX"]
    checks = []
    if ip:
        for scope, network in zip(NETWORK_SCOPES, networks_of(ip), strict=False):
            setting = NETWORK_SCOPES[scope]
            key = rate_limit_key(network)
            checks += [(limit, scope, key) for limit in _parsed(config[setting])]
    if partner_slug:
        checks += [
            (limit, "sign-partner", partner_slug)
            for limit in _parsed(config["RATE_LIMIT_PER_PARTNER"])
        ]
    else:
        checks += [
            (limit, "sign-direct", str(petition_id))
            for limit in _parsed(config["RATE_LIMIT_DIRECT"])
        ]
    over = False
    for limit, scope, key in checks:
        allowed = _hit(limit, prefix, scope, key)
        if not allowed:
            RATE_LIMITED.labels(scope).inc()
        over = over or not allowed
    return over


def is_form_token_used_up(nonce: str) -> bool:
    """Count one signature made with a form token; True once it has signed
    FORM_TOKEN_MAX_USES times (a household may share a device, a script may not sign
    thousands of times with one token). Across processes when Redis is set."""
    config = current_app.config
    uses = RateLimitItemPerSecond(config["FORM_TOKEN_MAX_USES"], config["FORM_MAX_AGE"])
    allowed = _hit(uses, config["RATELIMIT_KEY_PREFIX"], "form-token", nonce)
    if not allowed:
        RATE_LIMITED.labels("form-token").inc()
    return not allowed


def _hit(limit, prefix: str, scope: str, key: str) -> bool:
    """Count one hit in the shared storage, or this process's memory when Redis is away."""
    circuit = breaker("redis") if current_app.config.get("REDIS_URL") else None
    if circuit is None or circuit.allows():
        try:
            allowed = limiter.limiter.hit(limit, prefix, scope, key)
        except Exception as exc:  # any storage failure: count in memory instead
            if circuit is None:
                raise
            circuit.failed(exc)
        else:
            if circuit is not None:
                circuit.succeeded()
            return allowed
    return _fallback().hit(limit, prefix, scope, key)


@cache
def _parsed(limits: str) -> tuple:
    # The settings' strings ("10/minute;100/hour"), parsed once per process, not per signature.
    return tuple(parse_many(limits))
