"""The public, cacheable count: JSON for partner pages, CDNs and anyone else."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from widget.campaign.widget_context import may_embed, require_public
from widget.counting.public_count import read_count_for_slug

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API (checked by schemathesis in the tests)."""
    response = current_app.response_class(_openapi_bytes(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@cache
def _openapi_bytes() -> bytes:
    return OPENAPI.read_bytes()


@bp.get("/petitions/<slug>")
def petition_count(slug: str):
    # A count cached here or in Redis is served (and 304-ed) without touching the database;
    # a draft's or a scheduled petition's is not served at all.
    require_public(slug)
    snapshot = read_count_for_slug(slug)
    response = current_app.response_class(snapshot.body, mimetype="application/json")
    max_age = current_app.config["COUNT_MAX_AGE"]
    response.headers["Cache-Control"] = (
        f"public, max-age={max_age}, stale-while-revalidate={2 * max_age}, "
        f"stale-if-error={6 * max_age}"
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.set_etag(snapshot.etag)
    return response.make_conditional(request)


@bp.get("/petitions/<slug>/embeddable")
def embeddable(slug: str):
    """Whether the calling page (its Origin header) may show this partner's widget.

    embed.js asks when a frame loaded but never reported in, to tell a frame whose
    JavaScript is off (show it) from a refused or failed one (keep the fallback link).
    """
    allowed = may_embed(slug, request.args.get("partner"), request.headers.get("Origin"))
    response = jsonify({"embeddable": allowed})
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response
