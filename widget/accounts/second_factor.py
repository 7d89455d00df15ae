"""Two-factor sign-in for dashboard accounts: a time-based one-time code (TOTP, RFC 6238,
with pyotp) from an authenticator app, enrolled with a QR code drawn here (segno, no
third-party service), and one-time recovery codes for a lost phone.

Operators, who can export and erase every signer's data, must enrol before they do
either; partner users may. A code is accepted once: a code seen again (a replay, or a
second tab) is refused, as is a used recovery code. Recovery codes are stored hashed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import pyotp
import segno
from sqlalchemy import delete, select, update

from widget.core import audit
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import RecoveryCode, User, utcnow

ISSUER = "Petition dashboard"
RECOVERY_CODE_COUNT = 10
# Codes of the step before and after are accepted too: phones' clocks drift.
VALID_WINDOW = 1


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app by hand
    uri: str  # otpauth://…, what the QR code holds
    qr_data_uri: str  # the QR code as an SVG data: URI (the dashboard's CSP allows data:)


def start_enrolment(user_id: int) -> Enrolment:
    """A new secret for the user (pending until a code from it is confirmed); any
    earlier pending one is replaced. An enrolled user keeps the current one."""
    user = _user(user_id)
    if user.has_second_factor:
        raise InvalidInput("two-factor sign-in is set up already")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return _enrolment(user)


def _enrolment(user: User) -> Enrolment:
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    return Enrolment(user.totp_secret, uri, qr.svg_data_uri(scale=5, dark="#000", light="#fff"))


def confirm_enrolment(user_id: int, code: str, *, actor: str) -> list[str]:
    """Turn two-factor sign-in on with a code from the new secret; returns the recovery
    codes, in plain text for the only time (the server keeps their hashes)."""
    user = _user(user_id)
    if user.has_second_factor or not user.totp_secret:
        raise InvalidInput("start the set-up first")
    counter = _matching_counter(user.totp_secret, code)
    if counter is None:
        raise InvalidInput("that code is not right: check the app's clock and try again")
    user.totp_enabled_at = utcnow()
    user.totp_last_counter = counter
    codes = _new_recovery_codes(user)
    audit.record(actor, "user.second_factor_on", f"user:{user.email}")
    db.session.commit()
    return codes


def verify_second_factor(user_id: int, code: str) -> bool:
    """Whether ``code`` (six digits from the app, or a recovery code) proves the second
    factor; a code is good once."""
    user = _user(user_id)
    if not user.has_second_factor:
        return False
    code = "".join(code.split()).replace("-", "").lower()
    if code.isdigit() and len(code) == 6:
        counter = _matching_counter(user.totp_secret, code)
        if counter is None or counter <= (user.totp_last_counter or -1):
            return False
        # Only if no other request took this step meanwhile: a code is good once.
        taken = db.session.execute(
            update(User)
            .where(User.id == user.id, User.totp_last_counter == user.totp_last_counter)
            .values(totp_last_counter=counter)
        ).rowcount
        db.session.commit()
        return bool(taken)
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ).rowcount
    if used:
        audit.record(user.email, "user.recovery_code_used", f"user:{user.email}",
                     left=remaining_recovery_codes(user.id))  # fmt: skip
    db.session.commit()
    return bool(used)


def remaining_recovery_codes(user_id: int) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def renew_recovery_codes(user_id: int, code: str, *, actor: str) -> list[str]:
    """New recovery codes (the old ones stop working), against a current code."""
    user = _user(user_id)
    if not verify_second_factor(user_id, code):
        raise InvalidInput("that code is not right")
    codes = _new_recovery_codes(user)
    audit.record(actor, "user.recovery_codes_renewed", f"user:{user.email}")
    db.session.commit()
    return codes


def turn_off_second_factor(user_id: int, *, actor: str) -> None:
    """Forget the user's secret and recovery codes (an operator helping someone who lost
    their phone, after checking who they are; the user sets it up again)."""
    user = _user(user_id)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    user.session_version += 1  # sessions made with the old factor end
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(actor, "user.second_factor_off", f"user:{user.email}")
    db.session.commit()


def _matching_counter(secret: str, code: str) -> int | None:
    """The time step whose code this is (within the window), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        counter = totp.timecode(now) + offset
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash(code), created_at=now) for code in codes
    )
    return codes


def _hash(code: str) -> str:
    normalized = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalized.encode()).hexdigest()


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise InvalidInput("no such user")
    return user
