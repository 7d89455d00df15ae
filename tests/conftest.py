"""Fixtures: an app on a real, migrated database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL points at a server), a client, a CLI runner, and builders."""

from __future__ import annotations

import email
import os
import shutil
import socket
import uuid
from email import policy
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import text

from devtools.commands import register_dev_commands
from widget import create_app
from widget.core.extensions import db
from widget.core.settings import sqlalchemy_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# Set (CI does) to also run the Redis-backed tests against a real Redis server.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
PUBLIC_URL = "http://widget.test"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "PUBLIC_URL": PUBLIC_URL,
    # Tests submit at once; the time trap has tests of its own.
    "FORM_MIN_SECONDS": 0,
}


def make_app(database_url: str, **overrides):
    return create_app({**BASE_CONFIG, "DATABASE_URL": database_url, **overrides})


class PostgresDatabase:
    """A throwaway database on the server TEST_DATABASE_URL points at."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"widget_test_{uuid.uuid4().hex[:10]}"
        base, _, _ = server_url.rpartition("/")
        self.url = f"{base}/{self.name}"

    def _admin(self):
        return psycopg.connect(self.server_url.replace("+psycopg", ""), autocommit=True)

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def migrate_to_head(database_url: str) -> None:
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Schema built by the Alembic migrations, once per session."""
    if TEST_DATABASE_URL:
        database = PostgresDatabase(TEST_DATABASE_URL)
        database.create()
        migrate_to_head(database.url)
        yield database.url
        database.drop()
    else:
        template = tmp_path_factory.mktemp("template") / "widget.db"
        migrate_to_head(f"sqlite:///{template}")
        yield template


def _truncate_all(app) -> None:
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    with app.app_context():
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture
def database_url(migrated_database, tmp_path) -> str:
    """A clean, migrated database for one test."""
    if TEST_DATABASE_URL:
        app = make_app(migrated_database)
        _truncate_all(app)
        with app.app_context():
            db.engine.dispose()
        return migrated_database
    path: Path = tmp_path / "widget.db"
    shutil.copy(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config() -> dict:
    """Override in a test module (or parametrize) to change settings."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = make_app(database_url, **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def new_app():
    """Make further apps (other settings, the same or another database); their connection
    pools are closed at the end of the test (an open PostgreSQL connection left to the
    garbage collector fails a later test with a ResourceWarning)."""
    made = []

    def make(database_url: str, **overrides):
        made.append(make_app(database_url, **overrides))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """The command line as a checkout has it (wsgi.py): the app's commands and the
    dev-only ones (demo, seeding)."""
    register_dev_commands(app)
    return app.test_cli_runner()


def is_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and sqlalchemy_url(TEST_DATABASE_URL).startswith("postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailCapture:
    """A real SMTP server's handler (aiosmtpd): keeps what it receives, refuses on demand."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp(app):
    """An SMTP server on 127.0.0.1 that the app's mail worker sends to."""
    capture = MailCapture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SECURITY="none")
    yield capture
    controller.stop()
