"""What the campaign looks like: overview, charts, breakdowns, and the same data as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, jsonify, render_template, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from widget.campaign.partners import list_partners
from widget.campaign.petitions import get_petition, list_petitions
from widget.core.models import midnight_utc
from widget.core.spreadsheets import spreadsheet_safe
from widget.counting import reports
from widget.counting.charts import bar_chart, horizontal_bars
from widget.i18n.countries import country_codes, country_name
from widget.web.dashboard._access import operator_only, own_partner_key
from widget.web.dashboard._blueprint import bp
from widget.web.signer.pages import preview_page

CHARTS = ("hourly", "daily", "cumulative", "partners", "countries")
BREAKDOWN_ROWS_SHOWN = 500


@bp.get("/")
def overview():
    partner_key = own_partner_key()
    rows = [reports.overview(p, partner_key=partner_key) for p in list_petitions()]
    return render_template("dashboard/overview.html", rows=rows)


@bp.get("/overview.json")
def overview_numbers():
    """The overview's numbers, for the page's refresh every 30 seconds."""
    partner_key = own_partner_key()
    own = current_user.partner.slug if current_user.partner else None
    return jsonify(
        {
            row.petition.slug: {
                "total": format_decimal(row.count.count),
                "own": format_decimal(row.count.partners.get(own, 0)) if own else None,
                "last_hour": format_decimal(row.last_hour),
                "last_day": format_decimal(row.last_day),
                "progress": round(row.progress * 100, 1),
            }
            for row in (reports.overview(p, partner_key=partner_key) for p in list_petitions())
        }
    )


@bp.get("/petitions/<slug>/preview")
@operator_only
def preview(slug: str):
    """The petition's public page as it will look, also while it is a draft or scheduled."""
    return preview_page(slug)


@bp.get("/petitions/<slug>")
def petition(slug: str):
    petition = get_petition(slug)
    partner_key = own_partner_key()
    summary = reports.overview(petition, partner_key=partner_key)
    data = _chart_data(petition, partner_key, summary)
    # Names on the page, in the reader's language; the CSV keeps the ISO codes.
    locale = str(get_locale())
    data["countries"] = [(country_name(code, locale), n) for code, n in data["countries"]]
    charts = {
        "hourly": bar_chart(
            [(format_datetime(h, "HH:mm"), n) for h, n in data["hourly"]],
            title=_("Signatures per hour, last 48 hours"),
            description=_describe(data["hourly"], hourly=True),
            label_every=6,
            format_number=format_decimal,
        ),
        "daily": bar_chart(
            [(format_date(d, "d MMM"), n) for d, n in data["daily"]],
            title=_("Signatures per day, last 30 days"),
            description=_describe(data["daily"]),
            label_every=5,
            format_number=format_decimal,
        ),
        "cumulative": bar_chart(
            [(format_date(d, "d MMM"), n) for d, n in data["cumulative"]],
            title=_("Signatures in all, day by day"),
            description=_describe_total(data["cumulative"]),
            label_every=5,
            format_number=format_decimal,
            cumulative=True,
        ),
        "countries": horizontal_bars(
            data["countries"],
            title=_("Top countries"),
            description=_describe_ranking(data["countries"]),
            format_number=format_decimal,
        ),
    }
    if partner_key is None:
        charts["partners"] = horizontal_bars(
            data["partners"],
            title=_("Top partners"),
            description=_describe_ranking(data["partners"]),
            format_number=format_decimal,
        )
    return render_template(
        "dashboard/petition.html", petition=petition, summary=summary, charts=charts, data=data
    )


def _chart_data(petition, partner_key, summary) -> dict:
    hourly = reports.series(petition.id, by="hour", partner_key=partner_key)
    daily = reports.series(petition.id, by="day", partner_key=partner_key)
    before = reports.counted_before(petition.id, midnight_utc(daily[0][0]), partner_key)
    countries = reports.top(reports.countries_of(petition.id, partner_key))
    return {
        "hourly": hourly,
        "daily": daily,
        "cumulative": reports.cumulative(daily, start=before),
        "countries": countries,
        "partners": [
            (_("Directly on the petition page") if label == reports.DIRECT else label, n)
            for label, n in reports.top_partners(summary.count)
        ]
        if partner_key is None
        else [],
    }


def _describe(points, *, hourly: bool = False) -> str:
    total = sum(n for _, n in points)
    if not total:
        return _("No signatures in this period.")
    label, peak = max(points, key=lambda point: point[1])
    when = format_datetime(label, "d MMM HH:mm") if hourly else format_date(label, "d MMM")
    return _(
        "%(total)s signatures in this period; the most, %(peak)s, on %(when)s.",
        total=format_decimal(total),
        peak=format_decimal(peak),
        when=when,
    )


def _describe_total(points) -> str:
    first, last = points[0], points[-1]
    return _(
        "From %(start)s on %(first)s to %(end)s on %(last)s.",
        start=format_decimal(first[1]),
        first=format_date(first[0], "d MMM"),
        end=format_decimal(last[1]),
        last=format_date(last[0], "d MMM"),
    )


def _describe_ranking(items) -> str:
    if not items:
        return _("No signatures yet.")
    return "; ".join(f"{label}: {format_decimal(n)}" for label, n in items)


@bp.get("/petitions/<slug>/charts/<chart>.csv")
def chart_csv(slug: str, chart: str):
    if chart not in CHARTS:
        abort(404)
    petition = get_petition(slug)
    partner_key = own_partner_key()
    if chart == "partners" and partner_key is not None:
        abort(403)
    data = _chart_data(petition, partner_key, reports.overview(petition, partner_key=partner_key))
    header = {
        "hourly": ("hour_utc", "signatures"),
        "daily": ("day_utc", "signatures"),
        "cumulative": ("day_utc", "signatures_in_all"),
        "partners": ("partner", "signatures"),
        "countries": ("country", "signatures"),
    }[chart]
    rows = [(_iso(label), n) for label, n in data[chart]]
    return _csv(f"{slug}-{chart}.csv", header, rows)


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@bp.get("/petitions/<slug>/breakdown")
def breakdown(slug: str):
    petition = get_petition(slug)
    filters = _breakdown_filters()
    rows = reports.breakdown(petition.id, **filters)
    return render_template(
        "dashboard/breakdown.html",
        petition=petition,
        rows=rows[:BREAKDOWN_ROWS_SHOWN],
        total_rows=len(rows),
        total=sum(r.count for r in rows),
        filters=filters,
        partners=list_partners() if own_partner_key() is None else [],
        # Only the filters go back into links: never the query string as a whole.
        args={k: v for k, v in request.args.items() if k in BREAKDOWN_FILTERS},
    )


@bp.get("/petitions/<slug>/breakdown.csv")
def breakdown_csv(slug: str):
    petition = get_petition(slug)
    rows = reports.breakdown(petition.id, **_breakdown_filters())
    return _csv(
        f"{slug}-breakdown.csv",
        ("day_utc", "partner", "country", "signatures", "source"),
        [
            (r.day.isoformat(), r.partner, r.country, r.count,
             "external" if r.is_external else "signed")
            for r in rows
        ],
    )  # fmt: skip


BREAKDOWN_FILTERS = ("partner", "country", "since", "until")


def _breakdown_filters() -> dict:
    """Filters from the query string; a partner user's partner is fixed to their own."""
    args = request.args
    partner_key = own_partner_key()
    if partner_key is None and args.get("partner"):
        partner_key = next((p.id for p in list_partners() if p.slug == args["partner"]), -1)
    return {
        "partner_key": partner_key,
        "country": _country(args.get("country")),
        "since": _day(args.get("since")),
        "until": _day(args.get("until")),
    }


def _country(value: str | None) -> str | None:
    code = (value or "").strip().upper()
    return code if code in country_codes() else None  # unreadable: no filter


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _csv(filename: str, header, rows) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
