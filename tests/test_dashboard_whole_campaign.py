"""The issue's "done when": an operator runs a whole campaign from the browser, and a
partner user fetches its own signers, without a terminal. One story, through the real
forms (with their CSRF tokens), the real widget form and the real mail worker."""

from __future__ import annotations

import csv
import html
import io
import re

from sqlalchemy import func, select

from tests.dashboard import csrf_of, log_in, make_operator, post_form
from tests.helpers import sign_via_form
from widget.core.extensions import db
from widget.core.models import AuditEntry
from widget.ops.worker import run_worker_once

# The token runs to the first character that cannot be in one: "\b" would cut a token
# ending in "-" short (seen in CI, as an "expired" invitation).
LINK = re.compile(r"https?://\S+?(/(?:dashboard/invite|s)/[\w-]+(?:/confirm)?)(?![\w-])")


def links_in(smtp, to: str) -> list[str]:
    return [LINK.search(m.get_content()).group(1) for m in smtp.messages if m["To"] == to]


def rows_of(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_whole_campaign_without_a_terminal(app, client, smtp):
    make_operator()  # the one account the command line makes
    op = client
    log_in(op, "op@lead.example")

    # A petition, its German text, a partner and the partner's user.
    post_form(op, "/dashboard/petitions/new", {
        "slug": "clean-air", "title": "Clean air", "locale": "en", "goal": "1000",
    })  # fmt: skip
    post_form(op, "/dashboard/petitions/clean-air/texts/de", {
        "title": "Saubere Luft", "summary": "Für saubere Luft.", "body": "Text.",
        "consent_statement": "",
    })  # fmt: skip
    post_form(op, "/dashboard/partners/new", {
        "slug": "air-ngo", "name": "Air NGO", "website": "https://air.example", "country": "DE",
        "origins": "https://air.example",
    })  # fmt: skip
    post_form(op, "/dashboard/users", {
        "email": "pat@air.example", "name": "Pat", "role": "partner", "partner": "air-ngo",
    })  # fmt: skip
    post_form(op, "/dashboard/petitions/clean-air/open", {"closes_at": ""},
              page_url="/dashboard/petitions/clean-air/settings")  # fmt: skip

    # The partner's embed code, as the operator hands it over.
    codes = html.unescape(op.get("/dashboard/partners/air-ngo/embed?petition=clean-air").text)
    assert 'data-petition="clean-air" data-partner="air-ngo"' in codes
    iframe = re.search(r'<iframe src="http://widget\.test(/embed/clean-air\?[^"]+)"', codes)
    form_url = iframe.group(1)

    # Signers sign in the partner's iframe; two opt in to hear from the partner.
    signer = app.test_client()
    headers = {"Origin": "http://widget.test", "Sec-Fetch-Site": "same-origin"}
    for n, opt_in in enumerate([True, True, False]):
        fields = {"partner_opt_in": "y"} if opt_in else {}
        response = sign_via_form(signer, form_url, headers, email=f"s{n}@mail.example", **fields)
        assert response.status_code == 200
    for n in range(5):  # and a bot run from one throwaway domain
        sign_via_form(signer, form_url, headers, email=f"bot{n}@throwaway.example")
    run_worker_once()
    for n in range(3):  # the real signers confirm their addresses (a button on the page)
        link = links_in(smtp, f"s{n}@mail.example")[0]
        assert link.endswith("/confirm")
        assert signer.post(link, headers=headers).status_code == 200

    # Watching: the overview and the breakdown show them.
    numbers = op.get("/dashboard/overview.json").json["clean-air"]
    assert numbers["total"] == "8"
    breakdown = op.get("/dashboard/petitions/clean-air/breakdown").text
    assert "Air NGO" in breakdown

    # Fraud: preview, then invalidate the bot run.
    fraud = {"action": "invalidate", "email_domain": "throwaway.example", "reason": "bots",
             "partner": ""}  # fmt: skip
    preview = post_form(op, "/dashboard/petitions/clean-air/fraud", fraud)
    assert "Preview: 5 signatures match, 5 of them in the count." in preview.text
    post_form(op, "/dashboard/petitions/clean-air/fraud", {**fraud, "confirmed": "y"})
    assert op.get("/dashboard/overview.json").json["clean-air"]["total"] == "3"

    # Export: the operator gets every signature, with the invalidated ones marked.
    everything = rows_of(op.get("/dashboard/petitions/clean-air/signatures.csv"))
    assert len(everything) == 8
    assert sum(r["state"] == "invalidated" for r in everything) == 5

    # The partner user accepts the invitation and fetches its own opted-in signers.
    invite = links_in(smtp, "pat@air.example")[0]
    pat = app.test_client()
    page = pat.get(invite)
    pat.post(invite, data={"password": "partner secret 123", "csrf_token": csrf_of(page.text)})
    own = rows_of(pat.get("/dashboard/petitions/clean-air/opted-in/air-ngo.csv"))
    assert sorted(r["email"] for r in own if r["action"] == "add") == [
        "s0@mail.example",
        "s1@mail.example",
    ]
    assert pat.get("/dashboard/petitions/clean-air/signatures.csv").status_code == 403

    # Every change is in the audit log, by the person who made it.
    actors = dict(
        db.session.execute(
            select(AuditEntry.action, func.min(AuditEntry.actor)).group_by(AuditEntry.action)
        ).all()
    )
    for action in ("petition.create", "petition.text", "partner.create", "user.invite",
                   "petition.open", "fraud.invalidate", "export.signatures"):  # fmt: skip
        assert actors[action] == "op@lead.example", action
    assert actors["export.recipient"] == "pat@air.example"
