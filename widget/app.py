"""The app factory: create_app() builds the Flask app from every package. No I/O at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from widget.accounts.users import load_session_user
from widget.core.extensions import babel, csrf, db, limiter, login_manager
from widget.core.models import UTCDateTime
from widget.core.settings import (
    MIGRATIONS_DIR,
    STATIC_DIR,
    TRANSLATIONS_DIR,
    check_settings,
    load_settings,
    sqlalchemy_url,
)
from widget.i18n.locales import discover_locales, request_locale
from widget.ops.error_tracking import init_error_tracking
from widget.ops.logs import configure_logging, register_request_ids
from widget.web import dashboard
from widget.web.error_pages import register_errorhandlers
from widget.web.monitoring import register_monitoring
from widget.web.security import register_security
from widget.web.sessions import DashboardSessionInterface
from widget.web.signer import api, links, pages
from widget.web.templating import register_template_helpers

# One blueprint a module (the dashboard is a package of modules sharing one).
SIGNER_BLUEPRINTS = (pages.bp, api.bp, links.bp)
BLUEPRINTS = (*SIGNER_BLUEPRINTS, dashboard.bp)


class MissingSecretKey(RuntimeError):
    pass


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests, CLI)."""
    # Named after the package, so templates are found in widget/templates.
    app = Flask("widget", static_folder=str(STATIC_DIR), static_url_path="/static")
    app.cli = _LazyCommands(name=app.name)
    app.config.update(load_settings())
    app.config.update(config or {})
    check_settings(app.config)
    _check_secret_key(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["DATABASE_URL"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app)
    app.config.setdefault("LOCALES", discover_locales(TRANSLATIONS_DIR))
    _configure_rate_limits(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    if not app.testing:
        configure_logging(app.config)  # tests leave logging to pytest
    init_error_tracking(app)
    register_request_ids(app)
    register_extensions(app)
    register_monitoring(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_template_helpers(app)
    return app


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if not (app.debug or app.testing):
        raise MissingSecretKey(
            "SECRET_KEY is not set. Set it in the environment (see docs/operating.md, Settings)."
        )
    app.config["SECRET_KEY"] = os.urandom(32).hex()


def _engine_options(app: Flask) -> dict[str, Any]:
    options: dict[str, Any] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options.setdefault("pool_size", app.config["DB_POOL_SIZE"])
        options.setdefault("max_overflow", 0)
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_timeout", 10)
        timeout_ms = app.config["DB_STATEMENT_TIMEOUT"] * 1000
        options.setdefault(
            "connect_args",
            {
                "connect_timeout": 5,
                "options": f"-c timezone=utc -c statement_timeout={timeout_ms}",
            },
        )
    return options


def _configure_rate_limits(app: Flask) -> None:
    redis_url = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "inprocess://")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "widget")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if redis_url:
        # A Redis that hangs must not hang signing: give up fast and count in memory.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        )


def _sqlite_pragmas(synchronous: str):
    def on_connect(dbapi_connection, connection_record) -> None:
        # WAL lets readers (the count) run beside the one writer; the busy timeout makes
        # concurrent writers queue instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def _end_session(error=None) -> None:
    """Close the request's session before Flask-SQLAlchemy does, tolerating a database that
    went away after the response was made (a restart): the closing ROLLBACK would fail and
    turn a finished request into a 500. The dead connection is dropped; the pool replaces it.
    """
    try:
        db.session.remove()
    except OperationalError:
        current_app.logger.warning("database connection lost while closing a session")
        db.session().invalidate()  # the scoped session does not proxy invalidate()
        db.session.remove()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(app.config["SQLITE_SYNCHRONOUS"]))
    # Registered after Flask-SQLAlchemy's own session teardown, so it runs first.
    app.teardown_appcontext(_end_session)
    if click.get_current_context(silent=True) is not None:
        _install_migrate(app)  # the `flask` command line: `flask db …` must exist
    else:
        app.extensions["migrate"] = _LazyMigrateConfig(app)
    babel.init_app(app, locale_selector=request_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    _configure_login(app)


def _configure_login(app: Flask) -> None:
    # The session cookie (path /dashboard, see config.DEFAULTS) is Secure whenever the
    # public address is https, and lasts a working day by default.
    app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_URL"].startswith("https://")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=app.config["DASHBOARD_SESSION_HOURS"]
    )
    # Flask-Login's own context processor loads the user (reading the session cookie)
    # for every template, signers' pages included; the proxy loads it only where a
    # template asks, which is on dashboard pages alone.
    login_manager.init_app(app, add_context_processor=False)
    app.session_interface = DashboardSessionInterface()
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "dashboard.login"
    login_manager.login_message = None  # the login page explains itself

    @app.teardown_request
    def forget_request_user(error=None) -> None:
        # Flask-Login keeps the user in g; where one app context serves several requests
        # (tests, scripts), the next request must not inherit this one's user, language
        # (Flask-Babel keeps it in g too) or form token (so does Flask-WTF).
        for name in ("_login_user", "preferred_locale", "_flask_babel", "csrf_token"):
            g.pop(name, None)


class _LazyCommands(AppGroup):
    """The app's `flask` commands, imported when a command line first looks for one.

    widget.ops.cli brings the mail worker and the catalogue tools with it: memory in every
    gunicorn worker, which never runs a command.
    """

    _loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            from widget.ops.cli import register_cli

            register_cli(self)

    def get_command(self, ctx, name):
        self._load()
        return super().get_command(ctx, name)

    def list_commands(self, ctx):
        self._load()
        return super().list_commands(ctx)


class _LazyMigrateConfig:
    """Flask-Migrate for processes outside the `flask` command, set up on first use.

    Importing it pulls in Alembic, Mako and Pygments: about 10 MB in every gunicorn worker,
    which never migrates. Code that migrates (tests) only reads attributes of
    app.extensions["migrate"]; the first read installs the real one.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str):
        _install_migrate(self._app)
        return getattr(self._app.extensions["migrate"], name)


def _install_migrate(app: Flask) -> None:
    from flask_migrate import Migrate

    Migrate(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        render_as_batch=True,
        render_item=_render_migration_type,
    )


def _render_migration_type(type_, obj, autogen_context):
    # Migrations must not import app code, which changes; write our column type as plain SA.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for blueprint in SIGNER_BLUEPRINTS:
        # The widget carries its own cookieless token (forms.SignedTokenCSRF); the
        # dashboard keeps Flask-WTF's session token.
        csrf.exempt(blueprint)
