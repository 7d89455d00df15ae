"""Who may see what: operators everything, partner users their own partner's rows."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user


def operator_only(view):
    """403 for partner users: the view changes the campaign or shows other partners."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
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
