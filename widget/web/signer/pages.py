"""The signer's side: embed.js, the form in the iframe, the standalone page, the counter."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from functools import cache

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    get_template_attribute,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from widget.campaign.consent import statements_for
from widget.campaign.partners import list_partners
from widget.campaign.widget_context import WidgetContext, load_widget_context
from widget.core.caching import cached
from widget.core.email_address import InvalidEmail, normalize_email
from widget.core.errors import FormTokenUsedUp, PetitionNotAccepting, RateLimited
from widget.core.extensions import limiter
from widget.core.models import utcnow
from widget.core.settings import STATIC_DIR
from widget.counting.public_count import read_count
from widget.i18n.countries import likely_country
from widget.i18n.locales import text_direction
from widget.signers.access import request_data_copy, request_erasure_link
from widget.signing.form_token import FormBinding, form_binding, new_form_token
from widget.signing.limits import network_key
from widget.signing.sign import SignatureInput, Signed, sign_petition
from widget.web.security import is_same_origin_post, widget_csp
from widget.web.signer.sign_form import SignForm

bp = Blueprint("embed", __name__)

EMBED_JS_MAX_AGE = 300
COUNTER_MAX_AGE = 60


@bp.get("/embed.js")
def embed_script():
    script = _embed_js()
    response = current_app.response_class(script, mimetype="text/javascript")
    response.set_etag(_embed_js_etag())
    response.headers["Cache-Control"] = f"public, max-age={EMBED_JS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@cache
def _embed_js() -> bytes:
    # Every partner page loads it: read once per process, not from disk per request.
    return (STATIC_DIR / "embed.js").read_bytes()


@cache
def _embed_js_etag() -> str:
    return hashlib.sha256(_embed_js()).hexdigest()[:20]


@bp.route("/embed/<slug>", methods=["GET", "POST"])
def sign_in_frame(slug: str):
    return _sign(slug, is_frame=True)


@bp.route("/p/<slug>", methods=["GET", "POST"])
def sign_on_page(slug: str):
    return _sign(slug, is_frame=False)


@bp.get("/embed/<slug>/counter")
def counter(slug: str):
    ctx = _load_context(slug)
    response = _render("embed/counter.html", ctx, is_frame=True, count=read_count(ctx.petition))
    response.headers["Cache-Control"] = f"public, max-age={COUNTER_MAX_AGE}"
    return response


@bp.route("/p/<slug>/privacy", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"], key_func=network_key)
def privacy_page(slug: str):
    ctx = _load_context(slug)
    sent = None
    if request.method == "POST":
        if not is_same_origin_post():
            abort(403)
        address = request.form.get("email", "")
        wants = "erase" if request.form.get("request") == "erase" else "copy"
        use_case = request_erasure_link if wants == "erase" else request_data_copy
        with contextlib.suppress(InvalidEmail):
            use_case(normalize_email(address), ctx.petition.id)
        sent = wants  # the same answer whether or not the address signed
    return _render(
        "embed/privacy.html",
        ctx,
        is_frame=False,
        sent=sent,
        partner_names=[p.name for p in list_partners()],
        retention_days=ctx.petition.retention_days
        if ctx.petition.retention_days is not None
        else current_app.config["RETENTION_DAYS"],
    )


def _load_context(slug: str) -> WidgetContext:
    if any(CONTROL.search(request.args.get(k) or "") for k in FORM_PARAMETERS):
        abort(400)  # no page address, partner, language or colour holds one
    ctx = load_widget_context(
        slug,
        partner_slug=request.args.get("partner"),
        page_url=request.args.get("ref"),
        referrer=request.referrer,
        colour=request.args.get("color"),
    )
    # The locale selector falls back to the petition's language (see i18n.locales.select_locale).
    g.fallback_locale = ctx.petition.default_locale
    g.frame_ancestors = ctx.frame_ancestors
    return ctx


def _sign(slug: str, *, is_frame: bool):
    ctx = _load_context(slug)
    if request.method == "POST" and not is_same_origin_post():
        abort(403)
    locale = str(get_locale())
    petition, partner = ctx.petition, ctx.partner
    statements = statements_for(petition, partner, locale)
    binding = form_binding(petition, partner, statements)

    def make_form() -> SignForm:
        form = SignForm(meta={"csrf_context": binding})
        form.set_organisations(statements)
        form.set_country_language(
            locale, (partner.country if partner else None) or likely_country(locale)
        )
        return form

    if not petition.is_accepting(utcnow()):
        return _render("embed/closed.html", ctx, is_frame=is_frame, count=read_count(petition))
    if request.method != "POST":
        return _blank_form(ctx, make_form, binding, statements, is_frame=is_frame, locale=locale)
    form = make_form()
    if not form.validate():
        return _render_form(ctx, form, statements, is_frame=is_frame), 422
    try:
        signed = sign_petition(
            petition,
            partner,
            _signature_input(form, locale, ctx.source_url),
            ip=request.remote_addr,
            count_against_limits=True,
            form_token=form.token.data,
        )
    except FormTokenUsedUp:
        notice = _(
            "This form has been sent several times already. If someone else is signing on "
            "this device, please check the details and sign again."
        )
        return _render_form(ctx, form, statements, is_frame=is_frame, notice=notice), 429
    except RateLimited:
        notice = _(
            "Many signatures have come from your network in a short time. "
            "Please wait a few minutes, then sign again."
        )
        return _render_form(ctx, form, statements, is_frame=is_frame, notice=notice), 429
    except PetitionNotAccepting:
        return _render("embed/closed.html", ctx, is_frame=is_frame, count=read_count(petition))
    return _thanks(ctx, signed, is_frame=is_frame, locale=locale)


def preview_page(slug: str):
    """A petition as its page will look, for operators, even while the public cannot see
    it (a draft, or before its opening): the form shows but cannot be sent."""
    ctx = load_widget_context(
        slug, partner_slug=None, page_url=None, referrer=None, colour=None, preview=True
    )
    g.fallback_locale = ctx.petition.default_locale
    locale = str(get_locale())
    statements = statements_for(ctx.petition, None, locale)
    form = SignForm(meta={"csrf_context": form_binding(ctx.petition, None, statements)})
    form.set_organisations(statements)
    form.set_country_language(locale, likely_country(locale))
    return _render(
        "embed/sign.html",
        ctx,
        is_frame=False,
        form=form,
        form_action="",
        count=read_count(ctx.petition),
        statements=statements,
        preview=True,
    )


def _signature_input(form: SignForm, locale: str, source_url: str | None) -> SignatureInput:
    return SignatureInput(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        country=form.country.data,
        postcode=form.postcode.data or None,
        locale=locale,
        partner_opt_in=form.partner_opt_in.data,
        lead_opt_in=form.lead_opt_in.data,
        organisation_opt_ins=frozenset(form.organisations.data or ()),
        source_url=source_url,
        honeypot=form.website.data or "",
    )


def _render_form(
    ctx: WidgetContext,
    form: SignForm,
    statements: list,
    *,
    is_frame: bool,
    notice: str | None = None,
):
    return _render(
        "embed/sign.html",
        ctx,
        is_frame=is_frame,
        form=form,
        form_action=_form_action(ctx),
        count=read_count(ctx.petition),
        notice=notice,
        statements=statements,
    )


# The only query parameters a form's address passes on: the embed's own. Never the whole
# query (a "_external" or "endpoint" there would reach url_for, and a host taken from the
# request could end up in a cached page).
FORM_PARAMETERS = ("partner", "lang", "ref", "color")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _kept_parameters() -> dict[str, str]:
    return {k: request.args[k] for k in FORM_PARAMETERS if request.args.get(k)}


def _form_action(ctx: WidgetContext) -> str:
    return url_for(request.endpoint, slug=ctx.petition.slug, **_kept_parameters())


def _page_key() -> tuple:
    """What a cached page depends on from the request: its path and the kept parameters
    (other parameters change nothing on the page, and must not fill the cache)."""
    return (request.path, tuple(sorted(_kept_parameters().items())))


TOKEN_SLOT = "__FORM_TOKEN__"
PAGE_CACHE_SIZE = 256
COUNT_SLOT = "__SIGNATURE_COUNT__"


def _thanks(ctx: WidgetContext, signed: Signed, *, is_frame: bool, locale: str):
    """The thank-you page: cached like the form, with this moment's count put in."""
    key = ("thanks", _page_key(), locale, ctx.parent_origin, is_frame)

    def render() -> str:
        return _render("embed/thanks.html", ctx, is_frame=is_frame, count=COUNT_SLOT).get_data(
            as_text=True
        )

    count_box = get_template_attribute("embed/_macros.html", "signature_count")(
        signed.count_to_show(), locale, announce=True
    )
    html = _cached_page(key, render).replace(COUNT_SLOT, str(count_box), 1)
    return _respond_with(html, ctx)


def _cached_page(key: tuple, render: Callable[[], str]) -> str:
    """A rendered page kept for COUNT_CACHE_SECONDS: rendering was most of the cost of
    serving a form (only the form token and the count differ between requests)."""
    ttl = current_app.config["COUNT_CACHE_SECONDS"]
    return cached("pages", key, render, ttl=ttl, size=PAGE_CACHE_SIZE)


def _blank_form(
    ctx: WidgetContext,
    make_form: Callable[[], SignForm],
    binding: FormBinding,
    statements: list,
    *,
    is_frame: bool,
    locale: str,
):
    """A fresh form: the page comes from the page cache, with this request's own token.
    The form itself is built only when the page is rendered, not for every visitor."""
    token = new_form_token(binding)
    key = (_page_key(), locale, ctx.parent_origin, is_frame, binding.wording)

    def render() -> str:
        form = make_form()
        form.token.current_token = TOKEN_SLOT
        return _render_form(ctx, form, statements, is_frame=is_frame).get_data(as_text=True)

    html = _cached_page(key, render).replace(TOKEN_SLOT, token, 1)
    return _respond_with(html, ctx)


def _respond_with(html: str, ctx: WidgetContext):
    response = current_app.make_response(html)
    response.headers["Content-Security-Policy"] = widget_csp(
        ctx.frame_ancestors, (_accent_css(ctx),) if ctx.accent else ()
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template: str, ctx: WidgetContext, *, is_frame: bool, **values):
    locale = str(get_locale())
    accent_css = _accent_css(ctx) if ctx.accent else None
    html = render_template(
        template,
        ctx=ctx,
        text=ctx.text_for(locale),
        locale=locale,
        direction=text_direction(locale),
        is_frame=is_frame,
        accent_css=accent_css,
        public_url=current_app.config["PUBLIC_URL"].rstrip("/"),
        **values,
    )
    return _respond_with(html, ctx)


def _accent_css(ctx: WidgetContext) -> str:
    return f":root{{--accent:{ctx.accent.background};--accent-text:{ctx.accent.text}}}"
