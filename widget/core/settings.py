"""Every setting the app reads, with its default and one line of meaning.

Settings come from environment variables of the same name (``DATABASE_URL``,
``SECRET_KEY`` ...). ``create_app(config)`` applies the mapping it is given last, so
tests and the CLI can override anything. The settings table in docs/operating.md is
checked against ``SETTINGS`` by a test, so a new setting cannot go undocumented.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


class InvalidSetting(SystemExit):
    """A setting's value is refused. A SystemExit, so start-up (gunicorn, every `flask`
    command) stops with this one line and no traceback; tests catch it by name."""

    def __init__(self, name: str, problem: str, allowed: str) -> None:
        self.setting = name
        super().__init__(f"Setting {name}: {problem}. Allowed: {allowed}.")


class Kind:
    """How a setting is read from its environment variable and checked."""

    allowed = "text"
    bad_example = ""
    secret = False

    def parse(self, raw: str) -> Any:
        return raw

    def check(self, value: Any) -> None:
        """Raise ValueError(problem) if ``value`` is not acceptable."""
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{value!r} is not text")
        if value is not None and any(c in value for c in "\r\n\x00"):
            raise ValueError("it contains a line break or a NUL character")


class Text(Kind):
    bad_example = "two\nlines"

    def __init__(self, secret: bool = False) -> None:
        self.secret = secret


class Number(Kind):
    def __init__(self, minimum: float, maximum: float, *, integer: bool = False) -> None:
        self.minimum, self.maximum, self.integer = minimum, maximum, integer
        noun = "a whole number" if integer else "a number"
        self.allowed = f"{noun} from {minimum:g} to {maximum:g}"
        self.bad_example = "abc"

    def parse(self, raw: str) -> Any:
        try:
            return int(raw) if self.integer else float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not {self.allowed.split(' from')[0]}") from None

    def check(self, value: Any) -> None:
        types = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, types):
            raise ValueError(f"{value!r} is not {self.allowed.split(' from')[0]}")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{value!r} is out of range")


def Integer(minimum: int, maximum: int) -> Number:
    return Number(minimum, maximum, integer=True)


class Boolean(Kind):
    allowed = "true or false (also 1/0, yes/no, on/off)"
    bad_example = "maybe"
    WORDS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}  # fmt: skip

    def parse(self, raw: str) -> Any:
        try:
            return self.WORDS[raw.strip().lower()]
        except KeyError:
            raise ValueError(f"{raw!r} is neither true nor false") from None

    def check(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is neither true nor false")


class Choice(Kind):
    def __init__(self, *options: str, case_insensitive: bool = False) -> None:
        self.options, self.case_insensitive = options, case_insensitive
        self.allowed = ", ".join(options)
        self.bad_example = "typo"

    def parse(self, raw: str) -> Any:
        value = raw.strip()
        return value.upper() if self.case_insensitive else value

    def check(self, value: Any) -> None:
        if value not in self.options:
            raise ValueError(f"{value!r} is not one of them")


class Url(Kind):
    def __init__(self, *schemes: str) -> None:
        self.schemes = schemes
        self.allowed = "a URL starting with " + " or ".join(f"{s}://" for s in schemes)
        self.bad_example = "sign.example.org"
        self.secret = False

    def check(self, value: Any) -> None:
        super().check(value)
        if value is None:
            return
        scheme, sep, _ = value.partition("://")
        if not sep or scheme not in self.schemes:
            raise ValueError(f"{value!r} does not start with a scheme like {self.schemes[0]}://")
        if " " in value:
            raise ValueError(f"{value!r} contains a space")
        if scheme in ("http", "https", "redis", "rediss", "postgresql", "postgres"):
            host = urlsplit(value).hostname
            if not host:
                raise ValueError(f"{value!r} names no host")


class DatabaseUrl(Url):
    def __init__(self) -> None:
        super().__init__("sqlite", "postgresql", "postgres")
        self.allowed = "sqlite:///path/to/file.db or postgresql://user@host/database"
        self.bad_example = "mysql://root@localhost/widget"

    def check(self, value: Any) -> None:
        super().check(value)
        if value.startswith("sqlite:") and not value.startswith(("sqlite:///", "sqlite://")):
            raise ValueError(f"{value!r} is not a SQLite URL")


class RateLimits(Kind):
    allowed = 'limits like "10/minute;100/hour" (per second, minute, hour or day)'
    bad_example = "garbage"

    def check(self, value: Any) -> None:
        super().check(value)
        from limits import parse_many

        try:
            if not value or not parse_many(value):
                raise ValueError
        except ValueError:
            raise ValueError(f"{value!r} is not a list of rate limits") from None


class MailAddress(Kind):
    allowed = 'an address, optionally with a name: "Campaign <petition@example.org>"'
    bad_example = "not an address"

    def check(self, value: Any) -> None:
        super().check(value)
        _, address = parseaddr(value or "")
        local, at, domain = address.rpartition("@")
        if not (local and at and domain):
            raise ValueError(f"{value!r} holds no email address")


class Networks(Kind):
    allowed = "IP addresses or networks, separated by commas (127.0.0.1, 10.0.0.0/8, ::1)"
    bad_example = "localhost-ish"

    def parse(self, raw: str) -> Any:
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def check(self, value: Any) -> None:
        if not isinstance(value, tuple | list):
            raise ValueError(f"{value!r} is not a list of networks")
        for part in value:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None


class MinLengthSecret(Kind):
    secret = True

    def __init__(self, length: int) -> None:
        self.length = length
        self.allowed = f"unset, or at least {length} random characters"
        self.bad_example = "short"

    def check(self, value: Any) -> None:
        super().check(value)
        if value is not None and len(value) < self.length:
            raise ValueError(f"it is shorter than {self.length} characters")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str
    kind: Kind = field(default_factory=Text)

    def parse(self, raw: str) -> Any:
        try:
            return self.kind.parse(raw)
        except ValueError as exc:
            raise InvalidSetting(self.name, str(exc), self.kind.allowed) from None

    def check(self, value: Any) -> None:
        if value is None and self.default is None:
            return  # optional and unset
        try:
            self.kind.check(value)
        except ValueError as exc:
            raise InvalidSetting(self.name, str(exc), self.kind.allowed) from None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs form tokens and sessions: at least 32 random characters; required outside "
        "debug/testing (the app refuses to start without it).",
        MinLengthSecret(32),
    ),
    Setting(
        "DATABASE_URL",
        f"sqlite:///{INSTANCE_DIR / 'widget.db'}",
        "SQLAlchemy URL; postgresql://… uses psycopg 3. Default: SQLite file in instance/.",
        DatabaseUrl(),
    ),
    Setting(
        "PUBLIC_URL",
        "http://127.0.0.1:5000",
        "Public origin of this server as browsers see it; used in embed codes and Origin checks.",
        Url("https", "http"),
    ),
    Setting(
        "TALLY_SHARDS",
        8,
        "Counter rows per petition/partner/country, so concurrent signers never share one row.",
        Integer(1, 256),
    ),
    Setting(
        "COUNT_CACHE_SECONDS",
        2.0,
        "How long a count read is reused, by this process or (with Redis) by all of them: the "
        "stated staleness of the count.",
        Number(0, 300),
    ),
    Setting(
        "WIDGET_CACHE_SECONDS",
        5.0,
        "How long each app process reuses a petition's texts and settings and a partner's "
        "origins; edits reach widgets served by other processes within this time.",
        Number(0, 3600),
    ),
    Setting(
        "COUNT_MAX_AGE",
        10,
        "Cache-Control max-age of the public count (stale-while-revalidate 2x, stale-if-error 6x).",
        Integer(0, 3600),
    ),
    Setting(
        "FORM_MIN_SECONDS",
        3.0,
        "A form sent back sooner than this after it was shown is asked to be sent again (bots).",
        Number(0, 120),
    ),
    Setting(
        "FORM_MAX_AGE",
        12 * 3600,
        "Seconds a rendered form's token stays valid; older forms are re-shown with a message.",
        Integer(60, 7 * 24 * 3600),
    ),
    Setting(
        "FORM_TOKEN_MAX_USES",
        5,
        "Signatures one rendered form may send (a household may share a device); more need "
        "a fresh form. Counted across processes when Redis is set.",
        Integer(1, 1000),
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        64 * 1024,
        "Largest request body in bytes; larger requests get a clear 413 page.",
        Integer(4096, 16 * 1024 * 1024),
    ),
    Setting(
        "SQLITE_SYNCHRONOUS",
        "NORMAL",
        "SQLite PRAGMA synchronous (NORMAL is safe with WAL; FULL halves write throughput).",
        Choice("OFF", "NORMAL", "FULL", "EXTRA", case_insensitive=True),
    ),
    Setting(
        "DB_POOL_SIZE",
        5,
        "Connections each app process keeps open to PostgreSQL.",
        Integer(1, 200),
    ),
    Setting(
        "DB_STATEMENT_TIMEOUT",
        20,
        "Seconds before PostgreSQL cancels a statement (below gunicorn's 30 s worker timeout).",
        Integer(1, 3600),
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.",
        Integer(0, 5),
    ),
    Setting(
        "REDIS_URL",
        None,
        "redis://… to share rate limits and cached counts between app processes; unset: per "
        "process.",
        Url("redis", "rediss", "unix"),
    ),
    Setting(
        "SHARED_SERVICE_RETRY_SECONDS",
        10.0,
        "After Redis fails to answer, each process uses its own memory for this long before "
        "it tries Redis again (one log line per change).",
        Number(0.1, 3600),
    ),
    Setting(
        "IP_HASH_ROTATION_HOURS",
        24.0,
        "The key of the IP hash changes this often; hashes of different periods cannot be linked.",
        Number(1, 24 * 31),
    ),
    Setting(
        "RETENTION_DAYS",
        180,
        "Days after a petition ends before its signers' personal data is anonymised.",
        Integer(1, 3650),
    ),
    Setting(
        "ERASURE_KEEPS_COUNT",
        True,
        "An erased signature stays in the count as an anonymous tally (False: it leaves it).",
        Boolean(),
    ),
    Setting(
        "WEBHOOK_TIMEOUT",
        10.0,
        "Seconds before a partner's webhook that does not answer is given up (and retried).",
        Number(0.5, 120),
    ),
    Setting(
        "DEVELOPMENT_WEBHOOKS",
        False,
        "Development only: partner webhooks may use plain http and reach this machine and "
        "private networks (never in production: a webhook could then reach inside).",
        Boolean(),
    ),
    Setting(
        "RATE_LIMIT_PER_IP",
        "10/minute;100/hour",
        "Signatures one address may send (burst;sustained); IPv6 counts per /64.",
        RateLimits(),
    ),
    Setting(
        "RATE_LIMIT_PER_IPV6_56",
        "30/minute;300/hour",
        "Signatures all addresses of one IPv6 /56 may send (a provider may give one person "
        "a whole /56).",
        RateLimits(),
    ),
    Setting(
        "RATE_LIMIT_PER_IPV6_48",
        "100/minute;1000/hour",
        "Signatures all addresses of one IPv6 /48 may send.",
        RateLimits(),
    ),
    Setting(
        "RATE_LIMIT_DIRECT",
        "300/minute;5000/hour",
        "Signatures one petition takes without a partner (its own page, links without "
        "one); over it they are held or refused like other limits.",
        RateLimits(),
    ),
    Setting(
        "RATE_LIMIT_PER_PARTNER",
        "1000/minute;50000/hour",
        "Signatures all signers on one partner's sites may send (burst;sustained).",
        RateLimits(),
    ),
    Setting(
        "SMTP_HOST",
        "127.0.0.1",
        "Mail server the worker sends through.",
    ),
    Setting("SMTP_PORT", 25, "Its port.", Integer(1, 65535)),
    Setting("SMTP_USERNAME", None, "Login for the mail server, if it needs one."),
    Setting(
        "SMTP_PASSWORD", None, "Password for the mail server, if it needs one.", Text(secret=True)
    ),
    Setting(
        "SMTP_SECURITY",
        "none",
        "none, starttls or ssl (use starttls or ssl for any server not on this machine).",
        Choice("none", "starttls", "ssl"),
    ),
    Setting(
        "SMTP_TIMEOUT",
        10.0,
        "Seconds before a mail server that does not answer is given up.",
        Number(0.5, 300),
    ),
    Setting(
        "MAIL_FROM",
        "Petition <petition@localhost>",
        "Sender of every email (a name and an address the campaign owns).",
        MailAddress(),
    ),
    Setting(
        "MAIL_MAX_ATTEMPTS",
        12,
        "Tries before an email is marked failed; waits double from one minute (max 6 h).",
        Integer(1, 100),
    ),
    Setting(
        "CONFIRM_LINK_DAYS",
        30,
        "Days a confirmation link works; later, signing again sends a new one.",
        Integer(1, 365),
    ),
    Setting(
        "REMINDER_AFTER_HOURS",
        48.0,
        "Hours after signing before the one reminder to confirm goes out.",
        Number(0, 24 * 60),
    ),
    Setting(
        "WORKER_POLL_SECONDS",
        5.0,
        "How often the mail worker looks for new mail.",
        Number(0.1, 3600),
    ),
    Setting(
        "DASHBOARD_SESSION_HOURS",
        12,
        "Hours a dashboard login lasts (the cookie is Secure when PUBLIC_URL is https).",
        Integer(1, 24 * 31),
    ),
    Setting(
        "LOGIN_RATE_LIMIT",
        "10/minute;50/hour",
        "Requests per client network to the forgotten-password and invitation forms (logins "
        "are slowed down on wrong passwords only, per account and network).",
        RateLimits(),
    ),
    Setting(
        "PREFERRED_URL_SCHEME",
        "http",
        "Scheme for URLs built outside a request.",
        Choice("http", "https"),
    ),
    Setting(
        "LOG_FORMAT",
        "text",
        "text: one readable line per event; json: one JSON object per line, with a request id.",
        Choice("text", "json"),
    ),
    Setting(
        "LOG_LEVEL",
        "INFO",
        "The lowest level logged (the mail worker's deliveries are INFO).",
        Choice("DEBUG", "INFO", "WARNING", "ERROR", case_insensitive=True),
    ),
    Setting(
        "METRICS_TOKEN",
        None,
        "A bearer token that may read /metrics (Authorization: Bearer …); unset: none.",
        MinLengthSecret(16),
    ),
    Setting(
        "METRICS_ALLOW",
        (),
        "Addresses or networks that may read /metrics without a token (comma-separated).",
        Networks(),
    ),
    Setting(
        "SENTRY_DSN",
        None,
        "Report errors to Sentry (or a compatible server) at this DSN; no personal data is sent.",
        Url("https", "http"),
    ),
    Setting(
        "SENTRY_ENVIRONMENT",
        "production",
        "The environment name errors are reported under.",
    ),
)

SECRET_SETTINGS = frozenset(s.name for s in SETTINGS if s.kind.secret)


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
}


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return every setting: its default, overridden by the environment (parsed; a value
    that cannot be read raises InvalidSetting)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = dict(DEFAULTS)
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        values[setting.name] = setting.default if raw in (None, "") else setting.parse(raw)
    return values


def check_settings(config: Mapping[str, Any]) -> None:
    """Check every setting's final value (from the environment or the factory's argument);
    the first bad one raises InvalidSetting, which names it."""
    for setting in SETTINGS:
        setting.check(config.get(setting.name, setting.default))


def effective_settings(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of every setting as the app uses it, secrets masked."""
    shown = []
    for setting in SETTINGS:
        value = config.get(setting.name, setting.default)
        if value is None:
            text = "(unset)"
        elif setting.name in SECRET_SETTINGS:
            text = "****"
        elif isinstance(value, str) and "://" in value:
            text = _mask_password(value)
        elif isinstance(value, tuple):
            text = ", ".join(value) or "(none)"
        else:
            text = str(value)
        shown.append((setting.name, text))
    return shown


def _mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and not (parts.username and parts.scheme.startswith("http")):
        return url
    host = parts.hostname or ""
    user = parts.username or ""
    netloc = f"{user}:****@{host}" if parts.password is not None else f"****@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def sqlalchemy_url(database_url: str) -> str:
    """Map a DATABASE_URL to the driver this project uses (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url
