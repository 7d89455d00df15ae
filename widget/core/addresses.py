"""Client addresses as the server may keep them: never raw, only as keyed hashes of the
client's network.

- **Stored hashes** (a signature's ``ip_hash`` and ``prefix_hash``, for fraud review) use
  a random key per period of IP_HASH_ROTATION_HOURS, kept in the database and deleted
  when its period is over. Until then a hash says "same network, same day"; afterwards
  nobody can link it to an address, not even with the database and SECRET_KEY (a key
  derived from the secret could be rebuilt, and every IPv4 address tried).
- **Rate-limit keys** are keyed with the secret instead: they are never stored (the limit
  counters expire within the hour) and must not change at a period's end, or every
  window would restart then.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from widget.core.extensions import db
from widget.core.models import IpHashKey, utcnow

# IPv6 providers hand a customer a /64, often a /56 or a /48: one person can take any
# address in them, so limits also count the wider networks.
IPV6_PREFIXES = (64, 56, 48)


def network_of(ip: str) -> str:
    """The address rate limits count by: the whole IPv4 address, the IPv6 /64 (one
    customer's network: an IPv6 user can pick any address in it)."""
    return networks_of(ip)[0]


def networks_of(ip: str) -> list[str]:
    """The client's network, then the wider ones counted too: an IPv4 address alone; an
    IPv6 address's /64, /56 and /48."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return [ip]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return [str(address.ipv4_mapped)]
        return [str(ipaddress.ip_network(f"{ip}/{bits}", strict=False)) for bits in IPV6_PREFIXES]
    return [str(address)]


def prefix_of(ip: str) -> str:
    """The provider-sized network around an address: IPv4 /24, IPv6 /48."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def hash_ip(ip: str | None) -> str | None:
    """The stored hash of the client's network (see the module docstring)."""
    return _stored_hash(network_of(ip)) if ip else None


def hash_prefix(ip: str | None) -> str | None:
    """The stored hash of the wider network around the client (fraud review's grouping)."""
    return _stored_hash(prefix_of(ip)) if ip else None


def rate_limit_key(value: str) -> str:
    """A rate-limit counter's key for a network: keyed with the secret, never stored."""
    secret = current_app.secret_key.encode()
    return hmac.new(secret, f"rate-limit:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _stored_hash(value: str) -> str:
    return hmac.new(_period_key(), value.encode(), hashlib.sha256).hexdigest()[:32]


def current_period() -> int:
    hours = current_app.config["IP_HASH_ROTATION_HOURS"]
    return int(time.time() // (hours * 3600))


def _period_key() -> bytes:
    period = current_period()
    keys = current_app.extensions.setdefault("ip_hash_keys", {})
    key = keys.get(period)
    if key is None:
        key = bytes.fromhex(_load_or_make_key(period))
        keys.clear()  # a past period's key is not needed again
        keys[period] = key
    return key


def _load_or_make_key(period: int) -> str:
    """The period's key from the database, made (at random) by the first process that
    needs it; past periods' keys are deleted at the same moment."""
    table = IpHashKey.__table__
    # A connection of its own: the caller's session and transaction stay untouched.
    for _ in range(3):
        try:
            with db.engine.begin() as connection:
                found = connection.scalar(select(table.c.key).where(table.c.period == period))
                if found is not None:
                    return found
                key = secrets.token_hex(32)
                connection.execute(
                    insert(table).values(period=period, key=key, created_at=utcnow())
                )
                connection.execute(delete(table).where(table.c.period < period))
                return key
        except IntegrityError:
            continue  # another process made it first: read theirs
    raise RuntimeError("could not read or make the IP-hash key")


def forget_past_keys() -> int:
    """Delete the keys of periods that are over (the retention run calls this, for quiet
    sites where no new period's key was made yet)."""
    table = IpHashKey.__table__
    with db.engine.begin() as connection:
        return connection.execute(delete(table).where(table.c.period < current_period())).rowcount
