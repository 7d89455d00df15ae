"""gunicorn entry point for the benchmarks: the production app, plus the ceiling
endpoints the figures are compared with (a trivial endpoint, a bare ORM insert and the
signing floor).

Only `bench/run.py` starts this; production runs `wsgi:app`, which has none of them.
"""

from flask import Blueprint, abort, jsonify, request

from widget import create_app
from widget.campaign.consent import statements_for
from widget.campaign.widget_context import load_widget_context
from widget.core.email_address import canonicalize_email, normalize_email
from widget.core.extensions import csrf, db
from widget.core.models import Signature, utcnow
from widget.signing.form_token import check_form_token, form_binding, new_form_token
from widget.signing.sign import SignatureInput, new_public_ref, sign_petition

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.get("/hello")
def hello():
    return jsonify(status="ok", service="widget", version=1)


@bp.post("/insert")
def insert():
    # The same row the signing path writes, through the ORM, with nothing else around it.
    email = request.form["email"]
    canonical = canonicalize_email(email)
    now = utcnow()
    db.session.add(
        Signature(
            public_ref=new_public_ref(),
            petition_id=int(request.form["petition_id"]),
            first_name="Bench",
            last_name="Insert",
            email=email,
            email_canonical=canonical,
            email_domain=canonical.rpartition("@")[2],
            country="DE",
            locale="en",
            created_at=now,
        )
    )
    db.session.commit()
    return "ok"


@bp.route("/sign/<slug>", methods=["GET", "POST"])
def sign_floor(slug: str):
    """The signing path with the web layer taken away, to show what it costs: a page that
    is nothing but a fresh token, and a POST that checks the token and the address and
    runs the signing use case (the same rows, written the same way), with no form
    library, no page rendered and no rate limit counted."""
    ctx = load_widget_context(
        slug, partner_slug=request.args.get("partner"), page_url=None, referrer=None,
        colour=None,
    )  # fmt: skip
    petition, partner = ctx.petition, ctx.partner
    binding = form_binding(petition, partner, statements_for(petition, partner, "en"))
    if request.method == "GET":
        token = new_form_token(binding)
        return f'<input name="token" type="hidden" value="{token}">'
    form = request.form
    if check_form_token(form["token"], binding) is not None:
        abort(400)
    data = SignatureInput(
        first_name=form["first_name"],
        last_name=form["last_name"],
        email=normalize_email(form["email"]),
        country=form["country"],
        locale="en",
    )
    sign_petition(petition, partner, data, ip=request.remote_addr)
    return '<h1 id="thanks-title">Thank you</h1>'


app = create_app()
app.register_blueprint(bp)
csrf.exempt(bp)
