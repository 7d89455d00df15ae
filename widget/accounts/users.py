"""Dashboard accounts: operators and partner users, invited by email, with passwords.

Passwords are hashed with scrypt (Werkzeug's default). A session carries the user's
session version: raising it (logout everywhere, a new password, deactivation) ends every
session the user has open.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from widget.campaign.partners import get_partner
from widget.core import audit
from widget.core.email_address import InvalidEmail, normalize_email
from widget.core.errors import InvalidInput, WidgetError
from widget.core.extensions import db
from widget.core.models import Invitation, User, UserRole, utcnow
from widget.core.tokens import hash_token
from widget.outbox.compose import INVITATION_LINK_DAYS, RESET_LINK_DAYS
from widget.outbox.queue import enqueue_email

MIN_PASSWORD = 12
# However often someone asks, an address gets at most one reset email in this time.
RESET_EMAIL_INTERVAL = timedelta(minutes=15)


@cache
def _dummy_hash() -> str:
    """Compared against when the address is unknown, so both answers take the same time.
    Made on first use, not at import: scrypt takes 32 MB and 70 ms, which every process
    that imports the app (the gunicorn master, each command, each test run) paid at start."""
    return generate_password_hash("not a real password")


class InvitationInvalid(WidgetError):
    """The invitation link is unknown, used or expired."""


class AccountExists(InvalidInput):
    """Someone with this address has an account (with a password) already."""


def _address(email: str) -> str:
    try:
        return normalize_email(email).lower()
    except InvalidEmail as exc:
        raise InvalidInput(f"not an email address: {email!r}") from exc


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters")


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    email: str,
    name: str,
    password: str,
    *,
    role: UserRole = UserRole.OPERATOR,
    partner_slug: str | None = None,
    actor: str,
) -> User:
    """An account with its password set, no invitation: the first operator (from the
    command line) and the demo's accounts. Everyone else is invited from the dashboard."""
    _check_password(password)
    address = _address(email)
    if find_user(address):
        raise AccountExists(f"a user {address} exists already")
    partner = _partner_for(role, partner_slug)
    user = User(
        email=address,
        name=name.strip() or address,
        role=role,
        partner=partner,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    audit.record(actor, "user.create", f"user:{address}", role=str(role), partner=partner_slug)
    db.session.commit()
    return user


def _partner_for(role: UserRole, partner_slug: str | None):
    if role != UserRole.PARTNER:
        return None
    if not partner_slug:
        raise InvalidInput("a partner user belongs to a partner")
    return get_partner(partner_slug)


def invite_user(
    email: str,
    name: str,
    *,
    role: UserRole,
    partner_slug: str | None,
    actor: str,
    locale: str = "en",
) -> User:
    """Create the account and email it a link to choose a password (valid a week)."""
    address = _address(email)
    partner = _partner_for(role, partner_slug)
    user = find_user(address)
    if user is None:
        user = User(email=address, name=name.strip() or address, role=role, partner=partner)
        db.session.add(user)
    elif user.password_hash:
        raise AccountExists(f"{address} has an account already")
    else:
        user.role, user.partner, user.name = role, partner, name.strip() or user.name
    db.session.flush()
    now = utcnow()
    raw = _new_link(user, now, days=INVITATION_LINK_DAYS)
    enqueue_email(
        db.session.connection(),
        kind="invite",
        recipient=address,
        locale=locale,
        payload={"invite_token": raw, "name": user.name, "invited_by": actor},
        now=now,
    )
    audit.record(actor, "user.invite", f"user:{address}", role=str(role), partner=partner_slug)
    db.session.commit()
    return user


def _new_link(user: User, now, *, days: int) -> str:
    """A one-time link to set the user's password; only its hash is kept."""
    raw = secrets.token_urlsafe(24)
    db.session.add(
        Invitation(
            user_id=user.id,
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return raw


def request_password_reset(email: str, *, locale: str = "en") -> None:
    """Email an active user a link to choose a new password. Says nothing either way: the
    caller's answer must not reveal whether the address has an account."""
    try:
        user = find_user(_address(email))
    except InvalidInput:
        return
    if user is None or not user.is_active or not user.password_hash:
        return
    now = utcnow()
    recent = db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.user_id == user.id, Invitation.created_at > now - RESET_EMAIL_INTERVAL)
    )
    if recent:
        return
    raw = _new_link(user, now, days=RESET_LINK_DAYS)
    enqueue_email(
        db.session.connection(),
        kind="password_reset",
        recipient=user.email,
        locale=locale,
        payload={"invite_token": raw, "name": user.name},
        now=now,
    )
    audit.record(user.email, "user.password_reset_requested", f"user:{user.email}")
    db.session.commit()


def _close_links(user_id: int, now) -> None:
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == user_id, Invitation.used_at.is_(None))
        .values(used_at=now)
    )


def invitation_user(raw_token: str) -> User:
    invitation = _open_invitation(raw_token)
    return db.session.get(User, invitation.user_id)


def _open_invitation(raw_token: str) -> Invitation:
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(raw_token or ""))
    )
    if invitation is None or invitation.used_at or invitation.expires_at < utcnow():
        raise InvitationInvalid(raw_token)
    return invitation


def accept_invitation(raw_token: str, password: str) -> User:
    """Set the user's password from an invitation or reset link. The link works once, any
    other open link of the user stops working, and every session elsewhere ends."""
    invitation = _open_invitation(raw_token)
    _check_password(password)
    user = db.session.get(User, invitation.user_id)
    first = user.password_hash is None
    user.password_hash = generate_password_hash(password)
    user.is_active = True
    user.session_version += 1
    _close_links(user.id, utcnow())
    action = "user.activate" if first else "user.password_reset"
    audit.record(user.email, action, f"user:{user.email}")
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password, or None (same time either way)."""
    user = find_user(email)
    if user is None or not user.password_hash or not user.is_active:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's user loader: "<id>:<session version>" must still match."""
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def log_out(user_id: int) -> None:
    """End the user's sessions: a copy of the cookie taken before stops working."""
    user = db.session.get(User, user_id)
    user.session_version += 1
    audit.record(user.email, "user.logout", f"user:{user.email}")
    db.session.commit()


def logout_everywhere(user_id: int) -> None:
    user = db.session.get(User, user_id)
    user.session_version += 1
    audit.record(user.email, "user.logout_everywhere", f"user:{user.email}")
    db.session.commit()


def list_users(partner_id: int | None = None) -> list[User]:
    query = select(User).order_by(User.role, User.email)
    if partner_id is not None:
        query = query.where(User.partner_id == partner_id)
    return list(db.session.scalars(query))


def set_user_active(user_id: int, active: bool, *, actor: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise InvalidInput("no such user")
    user.is_active = active
    user.session_version += 1  # ends the user's sessions either way
    if not active:
        _close_links(user.id, utcnow())  # an old link must not bring the account back
    audit.record(actor, "user.activate" if active else "user.deactivate", f"user:{user.email}")
    db.session.commit()
    return user
