"""gunicorn entry point for the benchmarks: the production app, plus the two ceiling
endpoints the figures are compared with (a trivial endpoint and a bare ORM insert).

Only `bench/run.py` starts this; production runs `wsgi:app`, which has neither.
"""

import secrets

from flask import Blueprint, jsonify, request

from widget import create_app
from widget.email_address import canonicalize_email
from widget.extensions import csrf, db
from widget.models import Signature, utcnow

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
            public_ref=secrets.token_urlsafe(12),
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


app = create_app()
app.register_blueprint(bp)
csrf.exempt(bp)
