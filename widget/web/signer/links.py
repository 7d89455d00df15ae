"""The signer's links from emails. GET only shows a page with a button: mail scanners
fetch links to check them, and must not confirm or withdraw anything by doing so.

The pages speak the signer's language (the one they signed in), not the browser's, and
their buttons are checked with ``security.is_link_page_post`` (see there for why)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale

from widget.core.extensions import limiter
from widget.core.models import utcnow
from widget.i18n.cldr import locale_for
from widget.i18n.locales import match_locale, supported_locales, text_direction
from widget.signers.access import send_data_copy
from widget.signers.confirmation import (
    LinkStatus,
    LinkTarget,
    confirm_signature,
    resolve_link,
    withdraw_signature,
)
from widget.signing.limits import network_key
from widget.web.security import is_link_page_post

bp = Blueprint("links", __name__, url_prefix="/s")

# Tokens cannot be guessed (192 random bits); this only keeps scripts from hammering.
link_limit = limiter.limit("30/minute", key_func=network_key)


@bp.get("/<token>/confirm")
@link_limit
def ask_to_confirm(token: str):
    return _render("confirm", resolve_link(token), done=False)


@bp.post("/<token>/confirm")
@link_limit
def confirm(token: str):
    if not is_link_page_post():
        abort(403)
    return _render("confirm", confirm_signature(token), done=True)


@bp.get("/<token>/withdraw")
@link_limit
def ask_to_withdraw(token: str):
    return _render("withdraw", resolve_link(token), done=False)


@bp.post("/<token>/withdraw")
@link_limit
def withdraw(token: str):
    if not is_link_page_post():
        abort(403)
    return _render("withdraw", withdraw_signature(token), done=True)


@bp.get("/<token>/data")
@link_limit
def ask_for_data(token: str):
    return _render("data", resolve_link(token), done=False)


@bp.post("/<token>/data")
@link_limit
def send_data(token: str):
    if not is_link_page_post():
        abort(403)
    target = resolve_link(token)
    send_at = None
    if target.signature is not None and target.status is not LinkStatus.UNKNOWN:
        send_at = send_data_copy(target.signature.id)
    return _render("data", target, done=True, send_at=send_at)


def page_state(action: str, target: LinkTarget, *, done: bool) -> str:
    """Which page to show: the title and the heading both say it."""
    if target.status is LinkStatus.UNKNOWN:
        return "unknown"
    if action == "data":
        return "data-sent" if done else "data-ask"
    if action == "withdraw" and done and target.status is LinkStatus.ENDED:
        return "withdrawn"
    if target.status is LinkStatus.ENDED:
        return "ended"
    if action == "confirm" and target.status is LinkStatus.EXPIRED:
        return "expired"
    if action == "confirm":
        return "confirmed" if target.is_confirmed else "confirm-ask"
    return "withdraw-ask"


def _render(action: str, target: LinkTarget, *, done: bool, send_at=None):
    supported = supported_locales()
    locale = (
        match_locale(request.args.get("lang"), supported)
        or match_locale(target.locale, supported)
        or match_locale(request.accept_languages.best_match(supported), supported)
        or "en"
    )
    petition = target.petition
    text = None
    if petition is not None:
        text = petition.text_in(locale) or petition.text_in(petition.default_locale)
    status = 404 if target.status is LinkStatus.UNKNOWN else 200
    with force_locale(locale_for(locale)):
        html = render_template(
            "links/link.html",
            state=page_state(action, target, done=done),
            target=target,
            text=text,
            locale=locale,
            direction=text_direction(locale),
            is_frame=False,
            scripts=False,  # nothing on these pages needs one (their CSP allows none)
            send_later=send_at is not None and send_at > utcnow(),
            send_at=send_at,
        )
    return html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
