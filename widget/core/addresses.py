"""Client addresses as the server may keep them: never raw, only as a keyed hash of the
client's network (for rate limits, fraud review and the per-network trending)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from functools import lru_cache

from flask import current_app


def network_of(ip: str) -> str:
    """The address rate limits count by: the whole IPv4 address, the IPv6 /64 (one
    customer's network: an IPv6 user can pick any address in it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(address)


def hash_ip(ip: str | None) -> str | None:
    """Keyed hash of the client's network: spots floods without keeping the address.

    The key changes every IP_HASH_ROTATION_HOURS, so hashes from different periods cannot
    be linked to each other: a stored hash says "same network, same day", no more.
    """
    if not ip:
        return None
    hours = current_app.config["IP_HASH_ROTATION_HOURS"]
    period = int(time.time() // (hours * 3600))
    key = _ip_hash_key(period, current_app.secret_key)
    return hmac.new(key, network_of(ip).encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=4)
def _ip_hash_key(period: int, secret: str) -> bytes:
    # The same key for every request of a period: derived once, not per request.
    return hashlib.sha256(f"ip-hash:{period}:{secret}".encode()).digest()
