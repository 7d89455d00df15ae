"""The dashboard blueprint: login required on every page but three, its own headers."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from widget.core.extensions import login_manager
from widget.i18n.locales import match_locale, supported_locales

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# Same origin only; frame-src 'self' lets the embed-code page show its live preview.
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PUBLIC_ENDPOINTS = frozenset(
    {
        "dashboard.login",
        "dashboard.second_factor",
        "dashboard.forgot_password",
        "dashboard.accept_invitation",
        "dashboard.reset_password",
    }
)


@bp.before_request
def refuse_nul_characters():
    # No text anyone types contains NUL, and PostgreSQL refuses to store it: answer with a
    # clear page instead of a database error.
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        return show_message(
            _l("Something is wrong with this request"),
            _l("Please remove the invisible control characters."),
            400,
        )
    return None


@bp.before_request
def require_login():
    chosen = match_locale(request.args.get("lang"), supported_locales())
    if chosen:
        session["lang"] = chosen
    g.preferred_locale = session.get("lang")
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


@bp.after_request
def dashboard_headers(response):
    response.headers["Content-Security-Policy"] = DASHBOARD_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def show_message(title, message, status: int = 200):
    """A page that only says something (errors, expired links)."""
    return render_template("dashboard/message.html", title=title, message=message), status


@bp.errorhandler(403)
def forbidden(error):
    return show_message(
        _l("Not allowed"), _l("Your account does not give access to this page."), 403
    )


@bp.errorhandler(CSRFError)
def form_expired(error):
    return show_message(
        _l("Please try again"),
        _l("This form has expired. Please go back, reload the page and send it again."),
        400,
    )


@bp.errorhandler(429)
def too_many_attempts(error):
    return show_message(
        _l("Please wait"),
        _l("Too many attempts. Please wait a few minutes before you try again."),
        429,
    )
