"""HTTP security headers and the same-origin check for the signing POST."""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, Response, abort, current_app, request

from widget.core.origins import origin_of

WIDGET_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'{style_hashes}; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors {frame_ancestors}"
)
# Pages that are not widgets (API answers, error pages outside widgets) are never framed.
DEFAULT_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"


def style_hash(css: str) -> str:
    """CSP source for one inline <style> block; hashes keep widget pages cacheable."""
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def widget_csp(frame_ancestors: str, inline_styles: tuple[str, ...] = ()) -> str:
    hashes = "".join(f" {style_hash(css)}" for css in inline_styles)
    return WIDGET_CSP.format(style_hashes=hashes, frame_ancestors=frame_ancestors)


def is_same_origin_post() -> bool:
    """Whether the browser says this POST came from one of our own pages.

    The form token stops replay across petitions; these headers stop another site from
    making a visitor's browser submit the form (a signature in someone else's name).
    Requests without the headers (old browsers, curl) pass: bots are the rate limits'
    and email confirmation's job, not this check's.
    """
    origin = request.headers.get("Origin")
    if origin is not None and not _is_our_origin(origin):
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    return fetch_site is None or fetch_site == "same-origin"


def is_link_page_post() -> bool:
    """Whether a POST from a signer's link page (confirm, withdraw, a copy of the data)
    came from that page.

    Those pages send ``Referrer-Policy: no-referrer`` because their address carries the
    link's secret token, which must not travel on in a Referer header. Under that policy
    the Fetch standard serialises the Origin of the page's own form POST as ``null``, so
    ``null`` is accepted here (a foreign origin never is), and ``Sec-Fetch-Site``, which
    the browser derives from the page that made the request whatever the referrer
    policy, must say ``same-origin`` when it is sent. This is enough because the token in
    the address is the capability: another site cannot build this POST without it, and
    whoever holds it can act without any browser.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null" and not _is_our_origin(origin):
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    return fetch_site is None or fetch_site == "same-origin"


def _is_our_origin(origin: str) -> bool:
    ours = {origin_of(current_app.config["PUBLIC_URL"]), origin_of(request.host_url)}
    return origin_of(origin) in ours


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def refuse_nul_characters() -> None:
    """400 for a NUL character in the path or the query: no address holds one, SQLite
    would store it and PostgreSQL refuse it (which read as a misleading "server busy").
    Form fields are checked by their forms instead, which say so next to the field and
    keep everything typed."""
    if request.blueprint == "dashboard":
        return  # the dashboard says it in words (dashboard._blueprint)
    if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
        abort(400)


def register_security(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
