"""POSTing to partners' webhooks without letting a webhook address reach inside.

A webhook address is chosen by whoever manages a partner. Pointed at 127.0.0.1:6379,
169.254.169.254 (a cloud's metadata service) or [::1]:5432 it would make this server talk
to its own Redis, the cloud's secrets or the database. So, unless DEVELOPMENT_WEBHOOKS is
set: https only; the address is resolved and checked when the connection is made (not
only when the URL was saved: DNS can change, "rebinding"), and private, loopback,
link-local, multicast, reserved and unspecified addresses are refused; a redirect is a
failure, never followed (it could lead anywhere, including inside).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request


class WebhookRefused(Exception):
    """The partner's server answered with a client error, or the address may not be used:
    retrying will not help."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _checked_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None,
                        *, allow_local: bool):  # fmt: skip
    """socket.create_connection, to a resolved address that passed the check."""
    host, port = address
    refused = []
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        if not allow_local and not is_public_address(sockaddr[0]):
            refused.append(sockaddr[0])
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError:
            sock.close()
            continue
    if refused:
        raise WebhookRefused(f"{host} resolves to an address that is not public: {refused[0]}")
    raise OSError(f"could not connect to {host}:{port}")


def _connection_class(base, allow_local: bool):
    class Checked(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = lambda *a, **k: _checked_connection(
                *a, **k, allow_local=allow_local
            )

    return Checked


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise WebhookRefused(f"the webhook answered with a redirect (HTTP {code})")


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, allow_local: bool) -> None:
        super().__init__()
        self.connection = _connection_class(http.client.HTTPSConnection, allow_local)

    def https_open(self, req):
        return self.do_open(self.connection, req, context=self._context)


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, allow_local: bool) -> None:
        super().__init__()
        self.connection = _connection_class(http.client.HTTPConnection, allow_local)

    def http_open(self, req):
        return self.do_open(self.connection, req)


def webhook_opener(*, development: bool) -> urllib.request.OpenerDirector:
    """An opener for webhooks: checked addresses, no redirects, and (unless
    ``development``) https only."""
    handlers: list = [_NoRedirects(), _HTTPS(allow_local=development)]
    if development:
        handlers.append(_HTTP(allow_local=True))
    opener = urllib.request.OpenerDirector()
    for handler in (
        *handlers,
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener
