"""The signing form's token: signed and timestamped, bound to the petition, the partner
and the wording the form shows. No session and no cookie.

Third-party cookies are blocked in the iframe in Safari and privacy modes, so the usual
session-bound token cannot work there. The binding stops a token from being replayed on
another petition or partner, and notices a consent text reworded while the signer was
filling in the form (the signer agrees to what is shown now, not to what they read
before). The timestamp doubles as the time trap: a form sent back within
FORM_MIN_SECONDS was not filled in by a person.
"""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from widget.campaign.consent import Statement, fingerprint
from widget.core.models import Partner, Petition

TOKEN_SALT = "widget-sign-form-v1"


@dataclass(frozen=True)
class FormBinding:
    """What a form token is bound to."""

    petition_id: int
    partner: str  # the partner's slug, or "" on the petition's own page
    wording: str  # fingerprint of the consent statement and opt-ins shown

    def as_list(self) -> list:
        return [self.petition_id, self.partner, self.wording]


class TokenProblem(enum.Enum):
    EXPIRED = "expired"
    UNREADABLE = "unreadable"
    OTHER_PETITION = "other-petition"
    REWORDED = "reworded"
    TOO_QUICK = "too-quick"


def form_binding(
    petition: Petition, partner: Partner | None, statements: list[Statement]
) -> FormBinding:
    """The binding of a form that shows ``statements`` for this petition and partner."""
    return FormBinding(petition.id, partner.slug if partner else "", fingerprint(statements))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


def new_form_token(binding: FormBinding) -> str:
    """A fresh token for a form with this binding."""
    return _serializer().dumps([*binding.as_list(), secrets.token_urlsafe(6)])


def nonce_of(token: str) -> str:
    """The random part that tells one rendered form from another (for counting its uses);
    call only on a token that passed check_form_token."""
    payload = _serializer().loads(token)
    return str(payload[-1])


def check_form_token(token: str | None, binding: FormBinding) -> TokenProblem | None:
    """What is wrong with a form's token, or None if it may sign."""
    config = current_app.config
    try:
        payload, signed_at = _serializer().loads(
            token or "", max_age=config["FORM_MAX_AGE"], return_timestamp=True
        )
    except SignatureExpired:
        return TokenProblem.EXPIRED
    except (BadSignature, TypeError, ValueError):
        return TokenProblem.UNREADABLE
    expected = binding.as_list()
    if not isinstance(payload, list) or payload[:2] != expected[:2]:
        return TokenProblem.OTHER_PETITION
    if payload[2:3] != expected[2:3]:
        return TokenProblem.REWORDED
    if time.time() - signed_at.timestamp() < config["FORM_MIN_SECONDS"]:
        return TokenProblem.TOO_QUICK
    return None
