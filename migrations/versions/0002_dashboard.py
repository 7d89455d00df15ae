"""dashboard: accounts, invitations, audit log, external counts, hourly tallies, state index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:10:00

Databases made by 0001 already hold signatures: their counted hours are filled in
from the signatures, so the dashboard's charts and `count verify` agree from the start.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)

    op.create_table('external_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_external_counts_partner_id_partners')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_external_counts_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_counts'))
    )
    with op.batch_alter_table('external_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_counts_petition_id'), ['petition_id'], unique=False)

    op.create_table('hourly_tallies',
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('partner_key', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_hourly_tallies_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('petition_id', 'hour', 'partner_key', 'country', 'shard', name=op.f('pk_hourly_tallies'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('operator', 'partner', name='userrole', native_enum=False, length=16), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_users_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index('ix_signatures_petition_id_state', ['petition_id', 'state'], unique=False)

    _backfill_hourly_tallies()


def _backfill_hourly_tallies():
    # The hour each counted signature counts in, stored as the app stores it: naive UTC
    # text on SQLite (SQLAlchemy's format), timestamptz on PostgreSQL. Partner 0 = none.
    if op.get_bind().dialect.name == "postgresql":
        hour = "date_trunc('hour', counted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    else:
        hour = "strftime('%Y-%m-%d %H:00:00.000000', counted_at)"
    op.execute(
        "INSERT INTO hourly_tallies (petition_id, hour, partner_key, country, shard, count) "
        f"SELECT petition_id, {hour}, COALESCE(partner_id, 0), country, 0, COUNT(*) "
        "FROM signatures WHERE counted_at IS NOT NULL "
        f"GROUP BY petition_id, {hour}, COALESCE(partner_id, 0), country"
    )


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_petition_id_state')

    op.drop_table('invitations')
    op.drop_table('users')
    op.drop_table('hourly_tallies')
    with op.batch_alter_table('external_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_counts_petition_id'))

    op.drop_table('external_counts')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))

    op.drop_table('audit_log')
