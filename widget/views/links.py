"""The signer's links from emails. GET only shows a page with a button: mail scanners
fetch links to check them, and must not confirm or withdraw anything by doing so."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale

from ..confirmation import LinkStatus, confirm_signature, resolve_link, withdraw_signature
from ..extensions import limiter
from ..i18n import text_direction
from ..privacy import send_data_copy
from ..ratelimits import network_key
from ..security import is_same_origin_post

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
    if not is_same_origin_post():
        abort(403)
    return _render("confirm", confirm_signature(token), done=True)


@bp.get("/<token>/withdraw")
@link_limit
def ask_to_withdraw(token: str):
    return _render("withdraw", resolve_link(token), done=False)


@bp.post("/<token>/withdraw")
@link_limit
def withdraw(token: str):
    if not is_same_origin_post():
        abort(403)
    return _render("withdraw", withdraw_signature(token), done=True)


@bp.get("/<token>/data")
@link_limit
def ask_for_data(token: str):
    return _render("data", resolve_link(token), done=False)


@bp.post("/<token>/data")
@link_limit
def send_data(token: str):
    if not is_same_origin_post():
        abort(403)
    target = resolve_link(token)
    if target.signature is not None and target.status is not LinkStatus.UNKNOWN:
        send_data_copy(target.signature.id)
    return _render("data", target, done=True)


def _render(action: str, target, *, done: bool):
    locale = str(get_locale())
    petition = target.petition
    text = None
    if petition is not None:
        text = petition.text_in(locale) or petition.text_in(petition.default_locale)
    status = 404 if target.status is LinkStatus.UNKNOWN else 200
    html = render_template(
        "links/link.html",
        action=action,
        target=target,
        text=text,
        done=done,
        locale=locale,
        direction=text_direction(locale),
        is_frame=False,
        statuses=LinkStatus,
    )
    return html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
