"""The signing form and its cookieless CSRF token."""

from __future__ import annotations

import re
import secrets
import time
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from wtforms import BooleanField, EmailField, SelectMultipleField, StringField
from wtforms.csrf.core import CSRF
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import html_params

from .countries import country_codes, render_country_options
from .email_address import InvalidEmail, normalize_email

TOKEN_SALT = "widget-sign-form-v1"
FORMULA_PREFIXES = ("=", "+", "-", "@")
POSTCODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")


def _collapse_spaces(value: str | None) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else value


class _LazyToken:
    """A form token computed on first use (rendering), then kept."""

    def __init__(self, make) -> None:
        self._make, self._value = make, None

    def __str__(self) -> str:
        if self._value is None:
            self._value = self._make()
        return self._value

    __html__ = __str__


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


def _binding(context: dict) -> list:
    return [context.get("petition"), context.get("partner") or "", context.get("wording", "")]


def new_form_token(context: dict) -> str:
    """A fresh token for a form with this csrf_context, without building the form."""
    return _serializer().dumps([*_binding(context), secrets.token_urlsafe(6)])


class SignedTokenCSRF(CSRF):
    """A signed, timestamped token bound to petition and partner: no session, no cookie.

    Third-party cookies are blocked in the iframe in Safari and privacy modes, so the
    usual session-bound token cannot work there. The token's timestamp doubles as the
    time trap: a form sent back within FORM_MIN_SECONDS was not filled in by a person.
    """

    def setup_form(self, form):
        self.context = form.meta.csrf_context or {}
        return super().setup_form(form)

    def _binding(self) -> list:
        return _binding(self.context)

    def generate_csrf_token(self, csrf_token_field):
        # Made only when a form is rendered: a successful POST never needs a new one.
        return _LazyToken(lambda: new_form_token(self.context))

    def validate_csrf_token(self, form, field) -> None:
        config = current_app.config
        try:
            payload, signed_at = _serializer().loads(
                field.data or "", max_age=config["FORM_MAX_AGE"], return_timestamp=True
            )
        except SignatureExpired as exc:
            raise ValidationError(
                _l("This form was open for too long. Please check your details and sign again.")
            ) from exc
        except (BadSignature, TypeError, ValueError) as exc:
            raise ValidationError(
                _l("This form could not be checked. Please check your details and sign again.")
            ) from exc
        if not isinstance(payload, list) or payload[:2] != self._binding()[:2]:
            raise ValidationError(
                _l("This form belongs to another petition. Please sign again here.")
            )
        if payload[2:3] != self._binding()[2:3]:
            # The consent statement or an opt-in was reworded since the form was shown:
            # the signer agrees to what is shown now, not to what they read before.
            raise ValidationError(
                _l("The text of this form has just been updated. Please read it and sign again.")
            )
        age = time.time() - signed_at.timestamp()
        if age < config["FORM_MIN_SECONDS"]:
            raise ValidationError(_l("That was quick! Please check your details and sign again."))


def validate_person_name(form, field) -> None:
    value = field.data or ""
    if any(unicodedata.category(c) in {"Cc", "Cs", "Co"} for c in value):
        raise ValidationError(_l("Please remove the invisible control characters."))
    if "<" in value or ">" in value:
        raise ValidationError(_l("Names cannot contain < or >."))
    if value.startswith(FORMULA_PREFIXES):
        raise ValidationError(_l("Names cannot start with =, +, - or @."))


def validate_email_address(form, field) -> None:
    try:
        field.data = normalize_email(field.data or "")
    except InvalidEmail as exc:
        raise ValidationError(
            _l("Please enter a valid email address, like name@example.org.")
        ) from exc


def validate_country(form, field) -> None:
    if field.data not in country_codes():
        raise ValidationError(_l("Please choose your country from the list."))


class CountrySelect:
    """<select> of every country in the form's language, from pre-rendered options."""

    def __call__(self, field, **attributes):
        attributes.setdefault("id", field.id)
        attributes["required"] = True
        placeholder = Markup('<option value="">{}</option>').format(field.choose_label)
        options = render_country_options(field.locale, field.data)
        return Markup("<select {}>{}{}</select>").format(
            Markup(html_params(name=field.name, **attributes)), placeholder, options
        )


def validate_postcode(form, field) -> None:
    if field.data and not POSTCODE_PATTERN.match(field.data):
        raise ValidationError(_l("Please use only letters, digits, spaces and hyphens."))


class SignForm(FlaskForm):
    class Meta:
        csrf_class = SignedTokenCSRF
        csrf_field_name = "token"

    first_name = StringField(
        _l("First name"),
        filters=[_collapse_spaces],
        validators=[
            DataRequired(_l("Please enter your first name.")),
            Length(max=100, message=_l("This is too long (maximum %(max)d characters).")),
            validate_person_name,
        ],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Last name"),
        filters=[_collapse_spaces],
        validators=[
            DataRequired(_l("Please enter your last name.")),
            Length(max=100, message=_l("This is too long (maximum %(max)d characters).")),
            validate_person_name,
        ],
        render_kw={"autocomplete": "family-name"},
    )
    email = EmailField(
        _l("Email"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("This is too long (maximum %(max)d characters).")),
            validate_email_address,
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    country = StringField(
        _l("Country"),
        validators=[InputRequired(_l("Please choose your country.")), validate_country],
        widget=CountrySelect(),
        render_kw={"autocomplete": "country"},
    )
    postcode = StringField(
        _l("Postcode (optional)"),
        filters=[_collapse_spaces],
        validators=[
            Optional(),
            Length(max=16, message=_l("This is too long (maximum %(max)d characters).")),
            validate_postcode,
        ],
        render_kw={"autocomplete": "postal-code"},
    )
    consent = BooleanField(
        validators=[DataRequired(_l("Please tick this box to sign."))],
    )
    partner_opt_in = BooleanField()
    lead_opt_in = BooleanField()
    # Opt-ins for the other organisations a petition names: their ids.
    organisations = SelectMultipleField(coerce=int, validate_choice=True)
    # Honeypot: hidden from people (CSS and aria), filled in by naive bots.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off"})

    def set_organisations(self, statements) -> None:
        self.organisations.choices = [
            (int(s.recipient.split(":")[1]), s.organisation)
            for s in statements
            if s.purpose == "organisation"
        ]

    def set_country_language(self, locale: str, preselect: str | None) -> None:
        """Countries named in ``locale``; ``preselect`` chosen until the signer picks."""
        self.country.locale = locale
        self.country.choose_label = _l("Choose your country")
        if preselect and not self.is_submitted():
            self.country.data = preselect
