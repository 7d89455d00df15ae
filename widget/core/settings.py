"""Every setting the app reads, with its default and one line of meaning.

Settings come from environment variables of the same name (``DATABASE_URL``,
``SECRET_KEY`` ...). ``create_app(config)`` applies the mapping it is given last, so
tests and the CLI can override anything. The settings table in docs/operating.md is
checked against ``SETTINGS`` by a test, so a new setting cannot go undocumented.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # widget/
# The repository, when the app runs from a checkout.
ROOT = PACKAGE_DIR.parent
# An installed wheel carries static/, translations/ (compiled) and migrations/ inside the
# package, in widget/_data/ (see setup.py); a checkout has them at the top level.
DATA_DIR = PACKAGE_DIR / "_data"
IS_INSTALLED = DATA_DIR.is_dir()
STATIC_DIR = (DATA_DIR if IS_INSTALLED else ROOT) / "static"
TRANSLATIONS_DIR = (DATA_DIR if IS_INSTALLED else ROOT) / "translations"
MIGRATIONS_DIR = (DATA_DIR if IS_INSTALLED else ROOT) / "migrations"
# The default SQLite file: in the checkout's instance/, or in instance/ under the working
# directory when installed (site-packages is no place for a database).
INSTANCE_DIR = (Path.cwd() if IS_INSTALLED else ROOT) / "instance"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs form tokens; required outside debug/testing (the app refuses to start without it).",
    ),
    Setting(
        "DATABASE_URL",
        f"sqlite:///{INSTANCE_DIR / 'widget.db'}",
        "SQLAlchemy URL; postgresql://… uses psycopg 3. Default: SQLite file in instance/.",
    ),
    Setting(
        "PUBLIC_URL",
        "http://127.0.0.1:5000",
        "Public origin of this server as browsers see it; used in embed codes and Origin checks.",
    ),
    Setting(
        "TALLY_SHARDS",
        8,
        "Counter rows per petition/partner/country, so concurrent signers never share one row.",
        int,
    ),
    Setting(
        "COUNT_CACHE_SECONDS",
        2.0,
        "How long each app process reuses a count it read (the stated staleness of the count).",
        float,
    ),
    Setting(
        "WIDGET_CACHE_SECONDS",
        5.0,
        "How long each app process reuses a petition's texts and settings and a partner's "
        "origins; edits reach widgets served by other processes within this time.",
        float,
    ),
    Setting(
        "COUNT_MAX_AGE",
        10,
        "Cache-Control max-age of the public count (stale-while-revalidate 2x, stale-if-error 6x).",
        int,
    ),
    Setting(
        "FORM_MIN_SECONDS",
        3.0,
        "A form sent back sooner than this after it was shown is asked to be sent again (bots).",
        float,
    ),
    Setting(
        "FORM_MAX_AGE",
        12 * 3600,
        "Seconds a rendered form's token stays valid; older forms are re-shown with a message.",
        int,
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        64 * 1024,
        "Largest request body in bytes; larger requests get a clear 413 page.",
        int,
    ),
    Setting(
        "SQLITE_SYNCHRONOUS",
        "NORMAL",
        "SQLite PRAGMA synchronous (NORMAL is safe with WAL; FULL halves write throughput).",
    ),
    Setting(
        "DB_POOL_SIZE",
        5,
        "Connections each app process keeps open to PostgreSQL.",
        int,
    ),
    Setting(
        "DB_STATEMENT_TIMEOUT",
        20,
        "Seconds before PostgreSQL cancels a statement (below gunicorn's 30 s worker timeout).",
        int,
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.",
        int,
    ),
    Setting(
        "REDIS_URL",
        None,
        "redis://… to share rate-limit state between app processes; unset: per process.",
    ),
    Setting(
        "IP_HASH_ROTATION_HOURS",
        24.0,
        "The key of the IP hash changes this often; hashes of different periods cannot be linked.",
        float,
    ),
    Setting(
        "RETENTION_DAYS",
        180,
        "Days after a petition ends before its signers' personal data is anonymised.",
        int,
    ),
    Setting(
        "ERASURE_KEEPS_COUNT",
        True,
        "An erased signature stays in the count as an anonymous tally (False: it leaves it).",
        lambda v: v.strip().lower() in {"1", "true", "yes", "on"},
    ),
    Setting(
        "WEBHOOK_TIMEOUT",
        10.0,
        "Seconds before a partner's webhook that does not answer is given up (and retried).",
        float,
    ),
    Setting(
        "RATE_LIMIT_PER_IP",
        "10/minute;100/hour",
        "Signatures one address may send (burst;sustained); IPv6 counts per /64.",
    ),
    Setting(
        "RATE_LIMIT_PER_PARTNER",
        "1000/minute;50000/hour",
        "Signatures all signers on one partner's sites may send (burst;sustained).",
    ),
    Setting(
        "SMTP_HOST",
        "127.0.0.1",
        "Mail server the worker sends through.",
    ),
    Setting("SMTP_PORT", 25, "Its port.", int),
    Setting("SMTP_USERNAME", None, "Login for the mail server, if it needs one."),
    Setting("SMTP_PASSWORD", None, "Password for the mail server, if it needs one."),
    Setting(
        "SMTP_SECURITY",
        "none",
        "none, starttls or ssl (use starttls or ssl for any server not on this machine).",
    ),
    Setting(
        "SMTP_TIMEOUT",
        10.0,
        "Seconds before a mail server that does not answer is given up.",
        float,
    ),
    Setting(
        "MAIL_FROM",
        "Petition <petition@localhost>",
        "Sender of every email (a name and an address the campaign owns).",
    ),
    Setting(
        "MAIL_MAX_ATTEMPTS",
        12,
        "Tries before an email is marked failed; waits double from one minute (max 6 h).",
        int,
    ),
    Setting(
        "CONFIRM_LINK_DAYS",
        30,
        "Days a confirmation link works; later, signing again sends a new one.",
        int,
    ),
    Setting(
        "REMINDER_AFTER_HOURS",
        48,
        "Hours after signing before the one reminder to confirm goes out.",
        float,
    ),
    Setting(
        "WORKER_POLL_SECONDS",
        5.0,
        "How often the mail worker looks for new mail.",
        float,
    ),
    Setting(
        "DASHBOARD_SESSION_HOURS",
        12,
        "Hours a dashboard login lasts (the cookie is Secure when PUBLIC_URL is https).",
        int,
    ),
    Setting(
        "LOGIN_RATE_LIMIT",
        "10/minute;50/hour",
        "Dashboard login attempts per client network, and again per account.",
    ),
    Setting(
        "PREFERRED_URL_SCHEME",
        "http",
        "Scheme for URLs built outside a request.",
    ),
)

DEFAULTS: dict[str, Any] = {
    # Flask-WTF's session CSRF protects the dashboard; the widget blueprints use
    # the cookieless signed token instead and are exempted in the factory.
    "WTF_CSRF_TIME_LIMIT": None,
    # The session cookie belongs to the dashboard alone: signers' requests never carry it.
    "SESSION_COOKIE_PATH": "/dashboard",
    "SESSION_COOKIE_NAME": "dashboard_session",
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Every validator message is ours (translated by Flask-Babel); loading WTForms' own
    # catalogue on each request cost more than rendering the form.
    "WTF_I18N_ENABLED": False,
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS_DIR),
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "JSON_SORT_KEYS": False,
}


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return every setting: its default, overridden by the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = dict(DEFAULTS)
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        values[setting.name] = setting.default if raw in (None, "") else setting.parse(raw)
    return values


def sqlalchemy_url(database_url: str) -> str:
    """Map a DATABASE_URL to the driver this project uses (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url
