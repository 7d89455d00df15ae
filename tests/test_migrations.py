"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import TEST_DATABASE_URL, PostgresDatabase, make_app
from widget.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_and_upgrade_again(tmp_path):
    if TEST_DATABASE_URL:
        database = PostgresDatabase(TEST_DATABASE_URL)
        database.create()
        url = database.url
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            assert "signatures" in inspect(db.engine).get_table_names()
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert {"petitions", "partners", "signatures", "tallies"} <= set(
                inspect(db.engine).get_table_names()
            )
            db.engine.dispose()
    finally:
        if TEST_DATABASE_URL:
            database.drop()
