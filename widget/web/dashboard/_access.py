"""Who may see what: operators everything, partner users their own partner's rows."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user


def operator_only(view):
    """403 for partner users: the view changes the campaign or shows other partners."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def second_factor_for_operators(view):
    """Operators can export and erase every signer's data: they must have two-factor
    sign-in before they do (partner users may, and are not held to it)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_operator and not current_user.has_second_factor:
            flash(_("Set up two-factor sign-in first: operators need it to export or erase."))
            return redirect(url_for("dashboard.two_factor"))
        return view(*args, **kwargs)

    return wrapper


def own_partner_key() -> int | None:
    """The partner whose rows this user may see; None means every partner (operators)."""
    return None if current_user.is_operator else current_user.partner_id


def require_partner_access(partner_slug: str) -> None:
    """403 unless the user is an operator or belongs to this partner."""
    if current_user.is_operator:
        return
    if current_user.partner is None or current_user.partner.slug != partner_slug:
        abort(403)


def actor() -> str:
    """How the audit log names the person acting."""
    return current_user.email
