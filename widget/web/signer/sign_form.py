"""The signing form: its fields, their checks and messages, and the hook for its token."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, EmailField, SelectMultipleField, StringField
from wtforms.csrf.core import CSRF
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import html_params

from widget.core.email_address import InvalidEmail, normalize_email
from widget.core.spreadsheets import starts_like_formula
from widget.i18n.countries import country_codes, render_country_options
from widget.signing.form_token import TokenProblem, check_form_token, new_form_token

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


# What a signer reads when the token says no; the form is shown again with all they typed.
TOKEN_MESSAGES = {
    TokenProblem.EXPIRED: _l(
        "This form was open for too long. Please check your details and sign again."
    ),
    TokenProblem.UNREADABLE: _l(
        "This form could not be checked. Please check your details and sign again."
    ),
    TokenProblem.OTHER_PETITION: _l(
        "This form belongs to another petition. Please sign again here."
    ),
    TokenProblem.REWORDED: _l(
        "The text of this form has just been updated. Please read it and sign again."
    ),
    TokenProblem.TOO_QUICK: _l("That was quick! Please check your details and sign again."),
}


class SignedTokenCSRF(CSRF):
    """WTForms' CSRF hook for the signing form's token (see signing.form_token): the
    form's ``csrf_context`` is its FormBinding."""

    def setup_form(self, form):
        self.binding = form.meta.csrf_context
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        # Made only when a form is rendered: a successful POST never needs a new one.
        return _LazyToken(lambda: new_form_token(self.binding))

    def validate_csrf_token(self, form, field) -> None:
        problem = check_form_token(field.data, self.binding)
        if problem is not None:
            raise ValidationError(TOKEN_MESSAGES[problem])


def validate_person_name(form, field) -> None:
    value = field.data or ""
    if any(unicodedata.category(c) in {"Cc", "Cs", "Co"} for c in value):
        raise ValidationError(_l("Please remove the invisible control characters."))
    if "<" in value or ">" in value:
        raise ValidationError(_l("Names cannot contain < or >."))
    if starts_like_formula(value):
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
