"""The outbox page (operators): what waits to be sent, what failed and why, send again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from widget.core.models import utcnow
from widget.outbox import review
from widget.web.dashboard._access import actor, operator_only
from widget.web.dashboard._blueprint import bp


@bp.get("/outbox")
@operator_only
def outbox():
    return render_template(
        "dashboard/outbox.html",
        lines=review.queue_status(),
        failed=review.failed_messages(),
        now=utcnow(),
    )


@bp.post("/outbox/retry")
@operator_only
def retry_outbox():
    every = request.form.get("all") == "1"
    ids = [int(v) for v in request.form.getlist("id") if v.isdigit()]
    if not every and not ids:
        return redirect(url_for("dashboard.outbox"))
    n = review.retry_messages(ids, all_failed=every, actor=actor())
    flash(_("%(n)s messages are queued again.", n=n))
    return redirect(url_for("dashboard.outbox"))
