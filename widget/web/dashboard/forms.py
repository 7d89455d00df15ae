"""Dashboard forms: WTForms with the session-bound CSRF token (dashboard users have
sessions). Every message is ours, so it is translated like the widget."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from widget.accounts.users import MIN_PASSWORD
from widget.campaign.petitions import is_valid_slug
from widget.core.models import CountingPolicy, UserRole
from widget.core.origins import InvalidOrigin, normalize_origin, origin_of
from widget.i18n.countries import country_codes

ENTER_EMAIL = _l("Please enter your email address.")
VALID_EMAIL = _l("Please enter a valid email address, like name@example.org.")
ENTER_NUMBER = _l("Please enter a number.")


# C0 control characters and DEL; a text area may hold line breaks and tabs, nothing else.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TEXT_AREA_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DashboardForm(FlaskForm):
    """Every dashboard form: no field may carry invisible control characters (a NUL, an
    escape, a line break in a one-line field), which nothing typed needs and a database,
    a CSV or an email header would choke on."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field.data, str):
                continue
            pattern = TEXT_AREA_CONTROL if isinstance(field, TextAreaField) else CONTROL
            if pattern.search(field.data):
                field.errors = [
                    *field.errors,
                    _l("Please remove the invisible control characters."),
                ]
                valid = False
        return valid


def _slug(form, field) -> None:
    if not is_valid_slug(field.data):
        raise ValidationError(
            _l("Use lower-case letters, digits and hyphens only (e.g. stop-x), at most 64.")
        )


def _country(form, field) -> None:
    if field.data and field.data.upper() not in country_codes():
        raise ValidationError(_l("Please enter a two-letter country code, e.g. DE."))


def _origins(form, field) -> None:
    for line in origin_lines(field.data):
        try:
            normalize_origin(line)
        except InvalidOrigin as exc:
            raise ValidationError(
                _l("%(value)s is not a website address like https://www.example.org.", value=line)
            ) from exc


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def origin_lines(text: str | None) -> list[str]:
    """One website a line; a pasted page address counts as its site (scheme, host, port)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [origin_of(line) or line for line in lines]


def _slug_field(**kwargs) -> StringField:
    return StringField(
        _l("Short name in web addresses"),
        validators=[DataRequired(_l("Please enter a short name.")), _slug],
        description=_l("Lower-case letters, digits and hyphens, e.g. stop-x."),
        **kwargs,
    )


def _country_field(label, *, required: bool) -> StringField:
    first = DataRequired(_l("Please enter a country code.")) if required else Optional()
    return StringField(label, validators=[first, _country], render_kw={"maxlength": 2})


class LoginForm(DashboardForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(ENTER_EMAIL)], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(DashboardForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Please enter the code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )


class ForgotPasswordForm(DashboardForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(ENTER_EMAIL)], render_kw={"autocomplete": "username"}
    )


class SetPasswordForm(DashboardForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Please choose a password.")),
            Length(min=MIN_PASSWORD, message=_l("Please use at least %(min)d characters.")),
        ],
        description=_l("At least %(min)d characters.", min=MIN_PASSWORD),
        render_kw={"autocomplete": "new-password"},
    )


class InviteForm(DashboardForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(ENTER_EMAIL), Email(VALID_EMAIL, check_deliverability=False)],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)]
    )
    role = SelectField(
        _l("Role"),
        choices=choices(
            [
                (UserRole.PARTNER.value, _l("Partner user (one partner's numbers and signers)")),
                (UserRole.OPERATOR.value, _l("Operator (everything)")),
            ]
        ),
    )
    partner = SelectField(_l("Partner"), validate_choice=False)

    def validate_partner(self, field):
        if self.role.data == UserRole.PARTNER.value and not field.data:
            raise ValidationError(_l("Please choose the partner this person works for."))


class PetitionForm(DashboardForm):
    slug = _slug_field()
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)]
    )
    locale = SelectField(_l("Default language"))
    goal = IntegerField(
        _l("Goal"), default=0, validators=[InputRequired(ENTER_NUMBER), NumberRange(min=0)]
    )


class PetitionSettingsForm(DashboardForm):
    goal = IntegerField(_l("Goal"), validators=[InputRequired(ENTER_NUMBER), NumberRange(min=0)])
    default_locale = SelectField(_l("Default language"))
    lead_organisation = StringField(
        _l("Lead organisation"), validators=[Optional(), Length(max=200)]
    )
    counts_on = SelectField(
        _l("A signature counts"),
        choices=choices(
            [
                (CountingPolicy.ON_SUBMISSION.value, _l("when it is submitted")),
                (CountingPolicy.ON_CONFIRMATION.value, _l("when its email address is confirmed")),
            ]
        ),
    )
    is_embeddable_anywhere = BooleanField(
        _l("Any website may embed this petition (not only registered partners)")
    )
    holds_over_limit = BooleanField(
        _l("Keep signatures over a rate limit for review instead of refusing them")
    )
    controller = TextAreaField(
        _l("Who is responsible for the data (name and address)"),
        validators=[Optional(), Length(max=2000)],
    )
    privacy_contact = EmailField(
        _l("Data protection contact (email)"),
        validators=[Optional(), Email(VALID_EMAIL, check_deliverability=False)],
    )
    retention_days = IntegerField(
        _l("Days after the end before personal data is deleted"),
        validators=[Optional(), NumberRange(min=0)],
    )


class PetitionTextForm(DashboardForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)]
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)])
    body = TextAreaField(
        _l("Full text"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Separate paragraphs with an empty line."),
    )
    consent_statement = TextAreaField(
        _l("Consent statement"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Changing it creates a new version; earlier signers keep the version they saw."
        ),
    )


class PartnerForm(DashboardForm):
    slug = _slug_field()
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)]
    )
    website = StringField(_l("Website"), validators=[Optional(), Length(max=500)])
    country = _country_field(_l("Country code"), required=False)
    origins = TextAreaField(
        _l("Websites that may embed the widget"),
        validators=[_origins],
        description=_l("One per line, e.g. https://www.example.org"),
    )


class ExternalCountForm(DashboardForm):
    delta = IntegerField(
        _l("Number of signatures"),
        validators=[InputRequired(ENTER_NUMBER)],
        description=_l("A negative number corrects an earlier entry."),
    )
    country = _country_field(_l("Country code"), required=True)
    partner = SelectField(_l("Partner"), validate_choice=False)
    note = StringField(
        _l("Where they come from"),
        validators=[DataRequired(_l("Please say where they come from.")), Length(max=500)],
    )

    def validate_delta(self, field):
        if field.data == 0:
            raise ValidationError(_l("Please enter a number other than 0."))


class FraudForm(DashboardForm):
    action = SelectField(
        _l("Action"),
        choices=choices(
            [
                ("invalidate", _l("Invalidate: take them out of the petition and the count")),
                ("release", _l("Release held signatures: let them count")),
            ]
        ),
    )
    ip_hash = StringField(_l("IP hash"), validators=[Optional(), Length(max=32)])
    prefix_hash = StringField(_l("Network prefix hash"), validators=[Optional(), Length(max=32)])
    email_domain = StringField(_l("Email domain"), validators=[Optional(), Length(max=254)])
    partner = SelectField(_l("Partner"), validate_choice=False)
    since = DateField(_l("From (day)"), validators=[Optional()])
    until = DateField(_l("Until (day, included)"), validators=[Optional()])
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason: the log keeps it.")), Length(max=500)],
    )
    confirmed = BooleanField(_l("I checked the preview: go ahead"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        filters = (
            self.ip_hash,
            self.prefix_hash,
            self.email_domain,
            self.partner,
            self.since,
            self.until,
        )
        if not any(f.data for f in filters):
            self.ip_hash.errors = [
                *self.ip_hash.errors,
                _l("Choose at least one filter: IP hash, email domain, partner or days."),
            ]
            return False
        return valid


class EraseForm(DashboardForm):
    email = EmailField(
        _l("Email address of the person"),
        validators=[DataRequired(ENTER_EMAIL), Email(VALID_EMAIL, check_deliverability=False)],
    )
    confirmed = BooleanField(_l("I checked the preview: erase this person's data"))


STATE_LABELS = {
    "signed": _l("waiting for confirmation"),
    "confirmed": _l("confirmed"),
    "held": _l("held for review"),
    "invalidated": _l("invalidated"),
    "withdrawn": _l("withdrawn"),
    "erased": _l("erased"),
}


class ExportForm(DashboardForm):
    """Operators' filters for the signature export (GET form: no token needed)."""

    class Meta:
        csrf = False

    partner = SelectField(_l("Partner"), default="")
    country = _country_field(_l("Country code"), required=False)
    state = SelectField(
        _l("State"), choices=choices([("", _l("All states")), *STATE_LABELS.items()]), default=""
    )
    since = DateField(_l("From (day)"), validators=[Optional()])
    until = DateField(_l("Until (day, included)"), validators=[Optional()])
