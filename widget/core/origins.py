"""Web origins (scheme://host[:port]) and page URLs as partners and browsers give them."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_SOURCE_URL = 500


class InvalidOrigin(ValueError):
    pass


def normalize_origin(value: str) -> str:
    """Return ``scheme://host[:port]`` in canonical form; raise InvalidOrigin otherwise."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidOrigin(f"not an origin: {value!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidOrigin(f"not an http(s) origin: {value!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidOrigin(f"an origin has no user, query or fragment: {value!r}")
    if parts.path not in ("", "/"):
        raise InvalidOrigin(f"an origin has no path: {value!r}")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidOrigin(f"not a valid host name: {value!r}") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@lru_cache(maxsize=1024)
def origin_of(url: str | None) -> str | None:
    """The origin of a page URL, or None if it is not an http(s) URL."""
    # Cached: every signing request asks for the same few (our own address, the partner's
    # pages); a bounded cache, as the Origin and Referer headers are the client's to choose.
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        return normalize_origin(urlunsplit((parts.scheme, parts.netloc, "", "", "")))
    except (InvalidOrigin, ValueError):
        return None


def clean_source_url(url: str) -> str:
    """Keep where the signer came from, not who: origin, path and utm_* parameters only.

    Newsletter links often carry per-recipient tokens in the query string; those are
    personal data the partner never meant to hand over.
    """
    parts = urlsplit(url.strip())
    utm = [(k, v) for k, v in parse_qsl(parts.query) if k.lower().startswith("utm_")]
    cleaned = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, urlencode(utm), "")
    )
    return cleaned[:MAX_SOURCE_URL]
