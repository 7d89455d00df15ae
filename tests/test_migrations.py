"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from tests.conftest import TEST_DATABASE_URL, PostgresDatabase, make_app
from tests.factories import make_partner, make_petition, sign
from widget.core.extensions import db
from widget.core.models import HourlyTally, Partner
from widget.counting.tallies import verify_count


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty database (nothing migrated), dropped afterwards."""
    if TEST_DATABASE_URL:
        database = PostgresDatabase(TEST_DATABASE_URL)
        database.create()
        url = database.url
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = make_app(url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if TEST_DATABASE_URL:
        database.drop()


def test_downgrade_and_upgrade_again(empty_app):
    upgrade()
    assert "signatures" in inspect(db.engine).get_table_names()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert {"petitions", "partners", "signatures", "tallies", "users"} <= set(
        inspect(db.engine).get_table_names()
    )


def test_dashboard_revision_fills_in_the_hours_of_earlier_signatures(empty_app):
    """A database made before revision 0002 holds signatures but no hourly tallies:
    upgrading fills them in, so charts and `count verify` agree at once."""
    upgrade()
    petition = make_petition()
    partner = make_partner()
    for n in range(3):
        sign(petition, partner, email=f"early{n}@example.org", country="FR")
    sign(petition, None, email="direct@example.org")
    petition_id = petition.id
    db.session.remove()
    downgrade(revision="0001")  # as if the signatures predated the dashboard
    assert "hourly_tallies" not in inspect(db.engine).get_table_names()
    upgrade()
    assert verify_count(petition_id) == []
    hours = db.session.execute(
        select(HourlyTally.partner_key, HourlyTally.country, func.sum(HourlyTally.count)).group_by(
            HourlyTally.partner_key, HourlyTally.country
        )
    ).all()
    assert sorted(hours) == [(0, "DE", 1), (partner_id_of("friends-of-bees"), "FR", 3)]


def partner_id_of(slug: str) -> int:
    return db.session.scalar(select(Partner.id).where(Partner.slug == slug))
