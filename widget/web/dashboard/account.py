"""Logging in and out, accepting an invitation, and (operators) managing users."""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from widget.accounts import second_factor as second_factor_use_cases
from widget.accounts import users as accounts
from widget.accounts.sign_in import Step, prove_second_factor, sign_in
from widget.campaign.partners import list_partners
from widget.core.errors import InvalidInput
from widget.core.extensions import limiter
from widget.core.models import UserRole
from widget.signing.limits import network_key
from widget.web.dashboard._access import actor, operator_only, second_factor_for_operators
from widget.web.dashboard._blueprint import bp, show_message
from widget.web.dashboard.forms import (
    CodeForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    SetPasswordForm,
    choices,
)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# Logins are throttled on wrong passwords only, per account and network, in the sign-in
# use case (accounts.login_throttle); a limit on every attempt would let a stranger lock
# an operator out.
SECOND_FACTOR_SECONDS = 300  # to type the code after the password


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.overview"))
    form = LoginForm()
    failed, wait = False, 0
    if form.validate_on_submit():
        result = sign_in(form.email.data, form.password.data, network=network_key())
        if result.step is Step.SIGNED_IN:
            return _start_session(result.user)
        if result.step is Step.SECOND_FACTOR:
            session.clear()
            session["second_factor_for"] = [result.user.id, result.user.session_version]
            session["second_factor_since"] = time.time()
            return redirect(url_for("dashboard.second_factor", next=request.args.get("next")))
        failed, wait = result.step is Step.WRONG, result.wait_seconds
    return render_template("dashboard/login.html", form=form, failed=failed, wait=wait), (
        429 if wait else 200
    )


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    """The code from the authenticator app, after the right password."""
    pending = session.get("second_factor_for")
    since = session.get("second_factor_since", 0)
    if not pending or time.time() - since > SECOND_FACTOR_SECONDS:
        session.clear()
        return redirect(url_for("dashboard.login", next=request.args.get("next")))
    form = CodeForm()
    failed, wait = False, 0
    if form.validate_on_submit():
        user_id, version = pending
        result = prove_second_factor(user_id, form.code.data, network=network_key())
        if result.step is Step.SIGNED_IN and result.user.session_version == version:
            return _start_session(result.user)
        failed, wait = result.step is not Step.SIGNED_IN, result.wait_seconds
    return render_template("dashboard/second_factor.html", form=form, failed=failed, wait=wait), (
        429 if wait else 200
    )


def _start_session(user):
    session.clear()  # a fresh session on login: nothing carried over from before
    session.permanent = True
    login_user(user)
    target = request.args.get("next", "")
    # Only our own dashboard paths: never an open redirect to another site.
    if not target.startswith("/dashboard/") or any(bad in target for bad in ("..", "\\", "//")):
        target = url_for("dashboard.overview")
    return redirect(target)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=network_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, locale=str(get_locale()))
        # The same answer whether or not the address has an account.
        return show_message(
            _("Forgotten password"),
            _("If this address has an account, a link to choose a new password is on its way."),
        )
    return render_template("dashboard/forgot_password.html", form=form)


@bp.post("/logout")
def logout():
    # The session cookie is signed, not stored: only raising the account's session version
    # makes a copy of it (kept, or stolen) stop working. It ends the account's other
    # sessions too.
    if current_user.is_authenticated:
        accounts.log_out(current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.post("/logout-everywhere")
def logout_everywhere():
    accounts.logout_everywhere(current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=network_key)
def accept_invitation(token: str):
    return _choose_password(token, is_reset=False)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=network_key)
def reset_password(token: str):
    """The link of a "Forgot your password?" email: the same one-time link as an
    invitation, on a page that says it is a reset."""
    return _choose_password(token, is_reset=True)


def _choose_password(token: str, *, is_reset: bool):
    try:
        user = accounts.invitation_user(token)
    except accounts.InvitationInvalid:
        if is_reset:
            return show_message(
                _("Choose a new password"),
                _(
                    "This link to choose a new password is used or has expired. "
                    "Please ask for a new one on the login page."
                ),
                404,
            )
        return show_message(
            _("Invitation"),
            _("This invitation link is used or has expired. Please ask for a new one."),
            404,
        )
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = accounts.accept_invitation(token, form.password.data)
        return _start_session(user)
    return render_template("dashboard/invite.html", form=form, user=user, is_reset=is_reset)


@bp.get("/account")
@login_required
def account():
    return render_template(
        "dashboard/account.html",
        recovery_codes_left=second_factor_use_cases.remaining_recovery_codes(current_user.id),
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Set up two-factor sign-in: scan the QR code, type a code to prove it works, keep
    the recovery codes (shown once)."""
    if current_user.has_second_factor:
        return redirect(url_for("dashboard.account"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor_use_cases.confirm_enrolment(
                current_user.id, form.code.data, actor=actor()
            )
        except InvalidInput:
            form.code.errors.append(_("That code is not right. Check the app and try again."))
        else:
            return render_template("dashboard/recovery_codes.html", codes=codes)
    enrolment = second_factor_use_cases.start_enrolment(current_user.id)
    return render_template("dashboard/two_factor.html", form=form, enrolment=enrolment)


@bp.route("/account/recovery-codes", methods=["POST"])
@login_required
def renew_recovery_codes():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor_use_cases.renew_recovery_codes(
                current_user.id, form.code.data, actor=actor()
            )
        except InvalidInput:
            flash(_("That code is not right, or it was used already."))
        else:
            return render_template("dashboard/recovery_codes.html", codes=codes)
    return redirect(url_for("dashboard.account"))


@bp.post("/users/<int:user_id>/second-factor/off")
@operator_only
@second_factor_for_operators
def turn_off_second_factor(user_id: int):
    """For someone who lost their phone and their recovery codes (check who they are)."""
    second_factor_use_cases.turn_off_second_factor(user_id, actor=actor())
    flash(_("Two-factor sign-in is off for this account; its owner can set it up again."))
    return redirect(url_for("dashboard.users"))


@bp.route("/users", methods=["GET", "POST"])
@operator_only
def users():
    form = InviteForm()
    form.partner.choices = choices([("", "—")] + [(p.slug, p.name) for p in list_partners()])
    if request.method == "GET" and request.args.get("partner"):
        form.role.data = UserRole.PARTNER.value
        form.partner.data = request.args["partner"]
    if form.validate_on_submit():
        try:
            accounts.invite_user(
                form.email.data,
                form.name.data,
                role=UserRole(form.role.data),
                partner_slug=form.partner.data or None,
                actor=actor(),
                locale=str(get_locale()),
            )
        except accounts.AccountExists:
            form.email.errors.append(_("This person has an account already."))
        else:
            flash(_("Invitation sent to %(email)s.", email=form.email.data))
            return redirect(url_for("dashboard.users"))
    return render_template("dashboard/users.html", form=form, users=accounts.list_users())


@bp.post("/users/<int:user_id>/active")
@operator_only
def set_user_active(user_id: int):
    active = request.form.get("active") == "1"
    if user_id == current_user.id and not active:
        flash(_("You cannot deactivate your own account."))
    else:
        try:
            user = accounts.set_user_active(user_id, active, actor=actor())
        except InvalidInput:
            abort(404)
        flash(
            _("%(email)s can log in again.", email=user.email)
            if active
            else _("%(email)s can no longer log in.", email=user.email)
        )
    return redirect(url_for("dashboard.users"))
