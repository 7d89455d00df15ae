"""Error pages (HTML, framable inside widgets) and JSON errors under /api."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from widget.core.errors import NotFound, UnknownPartner, UnknownPetition
from widget.core.extensions import db
from widget.i18n.locales import text_direction
from widget.web.monitoring import count_pool_timeout
from widget.web.security import widget_csp

MESSAGES = {
    400: _l("Your browser sent something we could not read. Please go back and try again."),
    403: _l("This form was sent from another website. Please open the petition and sign there."),
    404: _l("There is no page at this address. Please check the link."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large. Please shorten it and try again."),
    503: _l(
        "The petition server is very busy and could not save this. "
        "Please go back and try again in a minute."
    ),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}
TITLES = {
    400: _l("Something is wrong with this request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    413: _l("Too large"),
    503: _l("Please try again in a minute"),
    500: _l("Sorry, something went wrong"),
}


def _respond(status: int, message, title=None, sign_url: str | None = None):
    if request.path.startswith("/api/"):
        return (
            jsonify({"error": str(message), "status": status}),
            status,
            {"Cache-Control": "no-store"},
        )
    locale = str(get_locale())
    html = render_template(
        "errors/error.html",
        title=title or TITLES.get(status, TITLES[400]),
        message=message,
        locale=locale,
        direction=text_direction(locale),
        is_frame=request.blueprint == "embed",
        # Pages outside widgets forbid scripts (DEFAULT_CSP): do not ask for one.
        scripts=request.blueprint == "embed",
        sign_url=sign_url,
    )
    headers = {"Cache-Control": "no-store"}
    if request.blueprint == "embed":
        # An error inside a partner's iframe must be readable there, and framing a page
        # without actions on it risks nothing.
        headers["Content-Security-Policy"] = widget_csp(g.get("frame_ancestors", "*"))
    return html, status, headers


def handle_not_found(error: NotFound):
    if isinstance(error, UnknownPetition):
        return _respond(404, _l("This petition does not exist. Please check the link."))
    if isinstance(error, UnknownPartner):
        slug = (request.view_args or {}).get("slug")
        return _respond(
            404,
            _l("The organisation in this link is not registered for this petition."),
            sign_url=url_for("embed.sign_on_page", slug=slug) if slug else None,
        )
    return _respond(404, MESSAGES[404])


def handle_http_error(error: HTTPException):
    status = error.code or 500
    return _respond(status, MESSAGES.get(status, MESSAGES[400]))


def handle_internal_error(error: InternalServerError):
    return _respond(500, MESSAGES[500])


def handle_database_unavailable(error: Exception):
    """The database is down, restarting or out of connections: a clear 503, not a 500.

    Nothing was committed (the transaction failed), so the signer is told to retry.
    """
    if isinstance(error, PoolTimeout):
        count_pool_timeout()
    db.session.rollback()
    body, status, headers = _respond(503, MESSAGES[503])
    headers["Retry-After"] = "30"
    return body, status, headers


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(DBAPIError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
    app.register_error_handler(InternalServerError, handle_internal_error)
    app.register_error_handler(HTTPException, handle_http_error)
