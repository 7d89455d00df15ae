"""Optional error tracking: Sentry (or a compatible server) when SENTRY_DSN is set.

No personal data leaves: sentry-sdk's data collection is switched off category by
category (no user or IP address, no cookies, bodies or query strings), and every event is
scrubbed before it is sent: no request body, form
fields, query string, cookies or headers beyond a harmless few, no local variables, and
email addresses in messages cut down to their domain.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from widget.core.email_address import without_addresses

# Headers that say nothing about the person: everything else is dropped.
KEPT_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-type",
        "content-length",
        "sec-fetch-site",
        "sec-fetch-mode",
        "sec-fetch-dest",
        "x-request-id",
    }
)


def init_error_tracking(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["SENTRY_ENVIRONMENT"],
        integrations=[FlaskIntegration()],
        # sentry-sdk's own switches for what it collects, all off (user, IP, cookies,
        # bodies, query strings, local variables), plus our scrubbing of what is left.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        traces_sample_rate=0,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )


def scrub_event(event: dict[str, Any], hint: dict | None = None) -> dict[str, Any]:
    """The event without anything that could identify a person (see the module docstring)."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for field in ("data", "cookies", "query_string", "env"):
            request.pop(field, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        if "url" in request:
            request["url"] = request["url"].split("?", 1)[0]
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = without_addresses(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
            if not str(frame.get("module", "")).startswith("widget."):
                # Source lines travel for the app's own code only (libraries' need none).
                for field in ("pre_context", "context_line", "post_context"):
                    frame.pop(field, None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for field in ("message", "formatted"):
            if isinstance(logentry.get(field), str):
                logentry[field] = without_addresses(logentry[field])
        logentry.pop("params", None)
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict | None = None) -> dict[str, Any]:
    if isinstance(crumb.get("message"), str):
        crumb["message"] = without_addresses(crumb["message"])
    crumb.pop("data", None)
    return crumb
