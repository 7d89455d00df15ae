"""Backups of a live database, restored elsewhere: the count still verifies exactly."""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid

import psycopg
import pytest

from tests.conftest import TEST_DATABASE_URL, is_postgres, make_app
from tests.factories import make_partner, make_petition, sign
from widget.campaign.partners import get_partner
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.counting.public_count import read_count
from widget.counting.tallies import verify_count


class LiveSigning:
    """Signatures arriving in a thread, as on a running campaign, until stopped."""

    def __init__(self, app) -> None:
        self.app, self.signed, self.done = app, 0, threading.Event()
        self.thread = threading.Thread(target=self._work, daemon=True)
        self.thread.start()
        while self.signed < 30:  # the backup starts with signatures arriving
            self.done.wait(0.01)

    def _work(self) -> None:
        with self.app.app_context():
            petition, partner = get_petition("save-the-bees"), get_partner("friends-of-bees")
            while not self.done.is_set() and self.signed < 2000:
                sign(petition, partner if self.signed % 2 else None,
                     email=f"live{self.signed}-{uuid.uuid4().hex[:6]}@example.org")  # fmt: skip
                self.signed += 1
            db.session.remove()

    def stop(self) -> int:
        self.done.set()
        self.thread.join(timeout=30)
        return self.signed


def restored_count(database_url: str) -> tuple[int, list]:
    restored = make_app(database_url)
    with restored.app_context():
        petition = get_petition("save-the-bees")
        result = read_count(petition, fresh=True).count, verify_count(petition.id)
        db.session.remove()
        db.engine.dispose()
    return result


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the SQLite backup; PostgreSQL's is below")
def test_an_online_sqlite_backup_restores_with_an_exact_count(app, runner, tmp_path):
    petition = make_petition()
    make_partner()
    for n in range(50):
        sign(petition, email=f"before{n}@example.org")
    db.session.remove()
    live = LiveSigning(app)
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    signed = live.stop()
    assert result.exit_code == 0, result.output
    restored = tmp_path / "restored" / "widget.db"
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    count, mismatches = restored_count(f"sqlite:///{restored}")
    assert mismatches == []
    assert 50 + 30 <= count <= 50 + signed


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the SQLite backup command")
def test_the_backup_never_overwrites_a_file(app, runner, tmp_path):
    existing = tmp_path / "exists.db"
    existing.write_text("precious")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert existing.read_text() == "precious"


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: set TEST_DATABASE_URL (CI does)")
def test_the_backup_command_points_postgresql_to_pg_dump(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: set TEST_DATABASE_URL (CI does)")
def test_a_pg_dump_of_a_live_database_restores_with_an_exact_count(app, database_url, tmp_path):
    petition = make_petition()
    make_partner()
    for n in range(50):
        sign(petition, email=f"before{n}@example.org")
    db.session.remove()
    live = LiveSigning(app)
    dump = tmp_path / "widget.dump"
    plain = database_url.replace("+psycopg", "")
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), plain], check=True, timeout=120)
    signed = live.stop()
    base, _, _ = plain.rpartition("/")
    name = f"widget_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain.rsplit("/", 1)[0] + "/test", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "-d", f"{base}/{name}", str(dump)],
                       check=True, timeout=120)  # fmt: skip
        count, mismatches = restored_count(f"{base}/{name}")
    finally:
        with psycopg.connect(plain.rsplit("/", 1)[0] + "/test", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert mismatches == []
    assert 50 + 30 <= count <= 50 + signed
