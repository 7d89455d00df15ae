"""Signing in to the dashboard: the password, the throttle on wrong ones, then the second
factor for accounts that have one."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from widget.accounts import login_throttle, second_factor
from widget.accounts.users import authenticate
from widget.core.extensions import db
from widget.core.models import User


class Step(enum.Enum):
    SIGNED_IN = "signed-in"
    SECOND_FACTOR = "second-factor"  # the password was right; a code is wanted next
    WRONG = "wrong"
    WAIT = "wait"  # too many wrong tries for this account from this network


@dataclass(frozen=True)
class SignIn:
    step: Step
    user: User | None = None
    wait_seconds: int = 0


def sign_in(email: str, password: str, *, network: str) -> SignIn:
    """Check a password, unless this account and network must wait after wrong ones.

    Only failures count, per account and network (login_throttle): the right password from
    a network that has not failed is never refused."""
    wait = login_throttle.seconds_to_wait(email, network)
    if wait:
        return SignIn(Step.WAIT, wait_seconds=wait)
    user = authenticate(email, password)
    if user is None:
        login_throttle.record_failure(email, network)
        return SignIn(Step.WRONG)
    login_throttle.record_success(email, network)
    if user.has_second_factor:
        return SignIn(Step.SECOND_FACTOR, user)
    return SignIn(Step.SIGNED_IN, user)


def prove_second_factor(user_id: int, code: str, *, network: str) -> SignIn:
    """The second step: a code from the app (or a recovery code), throttled like passwords."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return SignIn(Step.WRONG)
    wait = login_throttle.seconds_to_wait(user.email, network)
    if wait:
        return SignIn(Step.WAIT, wait_seconds=wait)
    if not second_factor.verify_second_factor(user.id, code):
        login_throttle.record_failure(user.email, network)
        return SignIn(Step.WRONG)
    return SignIn(Step.SIGNED_IN, user)
