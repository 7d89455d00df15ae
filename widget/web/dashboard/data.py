"""Signers' data and its care: exports, external counts, fraud, erasure, the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from widget.campaign.partners import list_partners
from widget.campaign.petitions import get_petition
from widget.core import audit
from widget.core.errors import InvalidInput
from widget.core.models import SignatureState, midnight_utc, utcnow
from widget.core.progress import beating_while_sent
from widget.counting import reports
from widget.signers import erasure as privacy
from widget.signers import exports, fraud
from widget.web.dashboard._access import actor, operator_only, second_factor_for_operators
from widget.web.dashboard._blueprint import bp
from widget.web.dashboard.forms import EraseForm, ExportForm, ExternalCountForm, FraudForm, choices

TRENDING_HOURS = (1, 24, 24 * 7)
# The export form's fields: the only query parameters passed back to it.
EXPORT_FILTERS = ("partner", "country", "state", "since", "until")
AUDIT_PAGE_SIZE = 50


def _csv_download(filename: str, lines) -> Response:
    # Streamed: a million rows never sit in memory, here or in the database driver; and
    # for as long as it takes, which is longer than a worker may otherwise stay silent.
    return Response(
        stream_with_context(beating_while_sent(lines)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _partner_choices(blank_label: str):
    return choices([("", blank_label)] + [(p.slug, p.name) for p in list_partners()])


# --- exports -----------------------------------------------------------------------------


@bp.get("/petitions/<slug>/export")
def export(slug: str):
    petition = get_petition(slug)
    form = ExportForm(request.args)
    form.partner.choices = _partner_choices(_("All partners"))
    if request.args:
        form.validate()  # back from a refused download: show why next to the fields
    return render_template(
        "dashboard/export.html",
        petition=petition,
        form=form,
        partners=list_partners() if current_user.is_operator else [current_user.partner],
        erasures=exports.erasures_to_acknowledge(
            petition,
            partner=None if current_user.is_operator else current_user.partner,
        ),
    )


@bp.get("/petitions/<slug>/signatures.csv")
@operator_only
@second_factor_for_operators
def export_signatures(slug: str):
    get_petition(slug)  # an unknown petition is a 404 page, not a broken download
    form = ExportForm(request.args)
    form.partner.choices = _partner_choices("")
    if not form.validate():
        kept = {k: v for k, v in request.args.items() if k in EXPORT_FILTERS}
        return redirect(url_for("dashboard.export", slug=slug, **kept))
    filters = exports.SignatureFilter(
        partner=form.partner.data or None,
        country=form.country.data or None,
        state=SignatureState(form.state.data) if form.state.data else None,
        since=form.since.data,
        until=form.until.data,
    )
    rows = exports.signature_rows(slug, filters, actor=actor())
    return _csv_download(f"{slug}-signatures.csv", rows)


@bp.get("/petitions/<slug>/opted-in/<partner_slug>.csv")
@second_factor_for_operators
def export_opted_in(slug: str, partner_slug: str):
    """Signers who agreed to hear from this partner: the partner's own list."""
    if not current_user.is_operator and current_user.partner.slug != partner_slug:
        abort(403)
    get_petition(slug)
    rows = exports.export_rows(slug, f"partner:{partner_slug}", actor=actor())
    return _csv_download(f"{slug}-{partner_slug}-opted-in.csv", rows)


@bp.get("/petitions/<slug>/opted-in-lead.csv")
@operator_only
@second_factor_for_operators
def export_opted_in_lead(slug: str):
    """Signers who agreed to hear from the lead organisation."""
    rows = _recipient_rows(slug, "lead")
    return _csv_download(f"{slug}-lead-opted-in.csv", rows)


@bp.get("/petitions/<slug>/opted-in-organisation/<organisation_slug>.csv")
@operator_only
@second_factor_for_operators
def export_opted_in_organisation(slug: str, organisation_slug: str):
    """Signers who agreed to hear from one of the petition's co-organisers."""
    rows = _recipient_rows(slug, f"organisation:{organisation_slug}")
    return _csv_download(f"{slug}-{organisation_slug}-opted-in.csv", rows)


@bp.post("/petitions/<slug>/erasures-done")
def acknowledge_erasures(slug: str):
    """The recipient confirms it deleted the erased signers its exports listed. Only the
    recipient itself: a partner's own users for a partner, operators for the lead
    organisation and the co-organisers (an operator never uses up a partner's notices)."""
    spec = request.form.get("recipient", "")
    up_to = request.form.get("up_to", "")
    kind, _colon, partner_slug = spec.partition(":")
    if kind == "partner":
        if current_user.is_operator or current_user.partner is None:
            abort(403)
        if current_user.partner.slug != partner_slug:
            abort(403)
    elif not current_user.is_operator:
        abort(403)
    if not up_to.isdigit():
        abort(400)
    try:
        n = exports.acknowledge_erasures(slug, spec, up_to=int(up_to), actor=actor())
    except InvalidInput:
        abort(404)
    flash(_("Thank you: %(n)s erasures are done and leave your next downloads.", n=n))
    return redirect(url_for("dashboard.export", slug=slug))


def _recipient_rows(slug: str, spec: str):
    try:
        return exports.export_rows(slug, spec, actor=actor())
    except InvalidInput:
        abort(404)  # a petition without a lead organisation, an unknown co-organiser


# --- external counts ---------------------------------------------------------------------


@bp.route("/petitions/<slug>/external", methods=["GET", "POST"])
@operator_only
def external_counts(slug: str):
    petition = get_petition(slug)
    form = ExternalCountForm()
    form.partner.choices = _partner_choices(_("No partner"))
    if form.validate_on_submit():
        reports.add_external_count(
            slug,
            delta=form.delta.data,
            country=form.country.data,
            note=form.note.data,
            partner_slug=form.partner.data or None,
            actor=actor(),
        )
        flash(_("Saved: the total includes it now."))
        return redirect(url_for("dashboard.external_counts", slug=slug))
    entries = reports.external_counts(slug)
    names = {p.id: p.name for p in list_partners()}
    return render_template(
        "dashboard/external.html",
        petition=petition,
        form=form,
        entries=entries,
        names=names,
        total=sum(e.delta for e in entries),
    )


# --- fraud -------------------------------------------------------------------------------


@bp.route("/petitions/<slug>/fraud", methods=["GET", "POST"])
@operator_only
def fraud_view(slug: str):
    petition = get_petition(slug)
    hours = request.args.get("hours", type=int)
    hours = hours if hours in TRENDING_HOURS else 24
    # Links from the trending lists fill in the filter they show.
    prefill = {
        k: request.args[k]
        for k in ("ip_hash", "prefix_hash", "email_domain", "partner")
        if k in request.args
    }
    form = FraudForm(data=prefill)
    form.partner.choices = _partner_choices(_("Any partner"))
    preview = None
    if form.validate_on_submit():
        criteria = fraud.Criteria(
            ip_hash=form.ip_hash.data or None,
            prefix_hash=form.prefix_hash.data or None,
            email_domain=(form.email_domain.data or "").lower() or None,
            partner=form.partner.data or None,
            since=midnight_utc(form.since.data) if form.since.data else None,
            until=midnight_utc(form.until.data + timedelta(days=1)) if form.until.data else None,
        )
        act = (
            fraud.release_held_signatures
            if form.action.data == "release"
            else (fraud.invalidate_signatures)
        )
        result = act(
            slug, criteria, reason=form.reason.data, actor=actor(), dry_run=not form.confirmed.data
        )
        if not result.dry_run:
            flash(_("Done: %(n)s signatures changed.", n=result.matched))
            return redirect(url_for("dashboard.fraud_view", slug=slug))
        preview = result
        form.confirmed.data = False
    since = utcnow() - timedelta(hours=hours)
    trending = {by: fraud.trending(slug, by=by, since=since, top=10) for by in fraud.TRENDING_BY}
    return render_template(
        "dashboard/fraud.html",
        petition=petition,
        form=form,
        preview=preview,
        trending=trending,
        hours=hours,
        hour_choices=TRENDING_HOURS,
        actions=fraud.list_fraud_actions(slug),
        held=reports.held_count(petition.id),
    )


# --- erasure -----------------------------------------------------------------------------


@bp.route("/erasure", methods=["GET", "POST"])
@operator_only
@second_factor_for_operators
def erasure():
    form = EraseForm()
    preview = None
    if form.validate_on_submit():
        result = privacy.erase_address(
            form.email.data, channel="dashboard", actor=actor(), dry_run=not form.confirmed.data
        )
        if not result.dry_run or not result.signatures:
            flash(_("Erased: %(n)s signatures.", n=result.signatures) if not result.dry_run
                  else _("No signatures with this address."))  # fmt: skip
            return redirect(url_for("dashboard.erasure"))
        preview = result
        form.confirmed.data = False
    return render_template("dashboard/erasure.html", form=form, preview=preview)


# --- audit log ---------------------------------------------------------------------------


@bp.get("/audit")
@operator_only
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    entries, total = audit.list_entries(page=page, per_page=AUDIT_PAGE_SIZE)
    return render_template(
        "dashboard/audit.html",
        entries=entries,
        page=page,
        pages=max((total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1),
    )
