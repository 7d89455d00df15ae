"""Running the campaign: petitions (settings, texts, open/close), partners, embed codes."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from widget.accounts.users import list_users
from widget.campaign import partners as partner_cases
from widget.campaign import petitions as petition_cases
from widget.campaign.snippets import VARIANTS, embed_code
from widget.campaign.widget_context import parse_accent
from widget.core.errors import InvalidInput
from widget.core.models import CountingPolicy
from widget.i18n.locales import language_choices, supported_locales
from widget.web.dashboard._access import actor, operator_only, require_partner_access
from widget.web.dashboard._blueprint import bp
from widget.web.dashboard.forms import (
    PartnerForm,
    PetitionForm,
    PetitionSettingsForm,
    PetitionTextForm,
    choices,
    origin_lines,
)

# --- petitions ---------------------------------------------------------------------------


@bp.route("/petitions/new", methods=["GET", "POST"])
@operator_only
def new_petition():
    form = PetitionForm()
    form.locale.choices = choices(language_choices())
    if form.validate_on_submit():
        try:
            petition_cases.create_petition(
                form.slug.data,
                title=form.title.data,
                goal=form.goal.data,
                locale=form.locale.data,
                supported_locales=supported_locales(),
                actor=actor(),
            )
        except InvalidInput:
            form.slug.errors.append(_("A petition with this short name exists already."))
        else:
            flash(_("Petition created as a draft. Add its texts, then open it."))
            return redirect(url_for("dashboard.petition_settings", slug=form.slug.data))
    return render_template("dashboard/petition_new.html", form=form)


@bp.route("/petitions/<slug>/settings", methods=["GET", "POST"])
@operator_only
def petition_settings(slug: str):
    petition = petition_cases.get_petition(slug)
    form = PetitionSettingsForm(obj=petition)
    form.default_locale.choices = choices(
        (code, label) for code, label in language_choices() if code in petition.languages
    )
    if request.method == "GET":
        form.counts_on.data = petition.counts_on.value
    if form.validate_on_submit():
        petition_cases.update_petition(
            slug,
            goal=form.goal.data,
            default_locale=form.default_locale.data,
            lead_organisation=form.lead_organisation.data or "",
            is_embeddable_anywhere=form.is_embeddable_anywhere.data,
            counts_on=CountingPolicy(form.counts_on.data),
            holds_over_limit=form.holds_over_limit.data,
            controller=form.controller.data or "",
            privacy_contact=form.privacy_contact.data or "",
            retention_days=form.retention_days.data,
            actor=actor(),
        )
        flash(_("Settings saved."))
        return redirect(url_for("dashboard.petition_settings", slug=slug))
    return render_template(
        "dashboard/petition_settings.html",
        petition=petition,
        form=form,
        languages=language_choices(),
    )


@bp.post("/petitions/<slug>/open")
@operator_only
def open_petition(slug: str):
    try:
        petition_cases.open_petition(
            slug, closes_at=_moment(request.form.get("closes_at")), actor=actor()
        )
    except InvalidInput:
        flash(_("The closing date must be in the future."))
    else:
        flash(_("The petition is open: it accepts signatures."))
    return redirect(url_for("dashboard.petition_settings", slug=slug))


@bp.post("/petitions/<slug>/close")
@operator_only
def close_petition(slug: str):
    petition_cases.close_petition(slug, actor=actor())
    flash(_("The petition is closed: it accepts no more signatures; its count stays visible."))
    return redirect(url_for("dashboard.petition_settings", slug=slug))


def _moment(value: str | None) -> datetime | None:
    """A datetime-local field (read as UTC); anything unreadable is no date."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


@bp.route("/petitions/<slug>/texts/<locale>", methods=["GET", "POST"])
@operator_only
def petition_text(slug: str, locale: str):
    petition = petition_cases.get_petition(slug)
    if locale not in supported_locales():
        abort(404)
    text = petition.text_in(locale)
    form = PetitionTextForm(obj=text)
    if form.validate_on_submit():
        petition_cases.set_petition_text(
            slug,
            locale,
            supported_locales=supported_locales(),
            actor=actor(),
            **{name: form[name].data or "" for name in petition_cases.TEXT_FIELDS},
        )
        flash(_("Text saved."))
        return redirect(url_for("dashboard.petition_settings", slug=slug))
    return render_template(
        "dashboard/petition_text.html",
        petition=petition,
        form=form,
        locale=locale,
        language=dict(language_choices())[locale],
        is_new=text is None,
    )


# --- partners ----------------------------------------------------------------------------


def _partner_fields(form: PartnerForm) -> dict:
    """What the partner form sets, as the add and update use cases take it."""
    return {
        "name": form.name.data,
        "website": form.website.data or None,
        "country": form.country.data or None,
        "origins": origin_lines(form.origins.data),
    }


@bp.get("/partners")
@operator_only
def partners():
    return render_template("dashboard/partners.html", partners=partner_cases.list_partners())


@bp.route("/partners/new", methods=["GET", "POST"])
@operator_only
def new_partner():
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partner_cases.add_partner(form.slug.data, **_partner_fields(form), actor=actor())
        except InvalidInput:
            form.slug.errors.append(_("A partner with this short name exists already."))
        else:
            flash(_("Partner added."))
            return redirect(url_for("dashboard.embed_codes", slug=form.slug.data))
    return render_template("dashboard/partner_form.html", form=form, partner=None, partner_users=[])


@bp.route("/partners/<slug>", methods=["GET", "POST"])
@operator_only
def edit_partner(slug: str):
    partner = partner_cases.get_partner(slug)
    form = PartnerForm(obj=partner)
    if request.method == "GET":
        form.origins.data = "\n".join(partner.origin_list)
    form.slug.data = partner.slug  # the slug is in every embed code: it does not change
    if form.validate_on_submit():
        partner_cases.update_partner(slug, **_partner_fields(form), actor=actor())
        flash(_("Partner saved."))
        return redirect(url_for("dashboard.edit_partner", slug=slug))
    return render_template(
        "dashboard/partner_form.html",
        form=form,
        partner=partner,
        partner_users=list_users(partner.id),
    )


@bp.get("/partners/<slug>/embed")
def embed_codes(slug: str):
    require_partner_access(slug)
    partner = partner_cases.get_partner(slug)
    petitions = [p for p in petition_cases.list_petitions() if p.texts]
    if not petitions:
        return render_template("dashboard/embed_codes.html", partner=partner, petitions=[])
    chosen = next((p for p in petitions if p.slug == request.args.get("petition")), petitions[0])
    # Not "lang": that one sets the dashboard's own language.
    wanted = request.args.get("widget_lang")
    locale = wanted if wanted in chosen.languages else None
    colour, problem = request.args.get("color") or None, None
    if colour and parse_accent(colour) is None:
        colour, problem = None, _("The colour must look like #1a7f37 or #17a.")
    codes = {
        variant: embed_code(
            partner.slug,
            chosen.slug,
            public_url=current_app.config["PUBLIC_URL"],
            supported_locales=supported_locales(),
            variant=variant,
            locale=locale,
            colour=colour,
        )
        for variant in VARIANTS
    }
    preview_args = {"partner": partner.slug, "lang": locale or chosen.default_locale}
    if colour:
        preview_args["color"] = colour
    return render_template(
        "dashboard/embed_codes.html",
        partner=partner,
        petitions=petitions,
        petition=chosen,
        locale=locale or chosen.default_locale,
        colour=colour or "",
        codes=codes,
        problem=problem,
        preview_url=url_for("embed.sign_in_frame", slug=chosen.slug, **preview_args),
        counter_url=url_for("embed.counter", slug=chosen.slug, **preview_args),
        is_operator=current_user.is_operator,
    )
