"""Production job queue: the running job's heartbeat (jobs.heartbeat_at) and the periodic
scheduler's table (job_schedules), whose rows the scheduler itself creates.

Written by hand.

Revision ID: a7c9e1b3d5f7
Revises: 996cd1974d15
Create Date: 2026-12-06 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c9e1b3d5f7'
down_revision = '996cd1974d15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'job_schedules',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('job_name', sa.String(length=64), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('interval_seconds', sa.Integer(), nullable=True),
        sa.Column('daily_at', sa.String(length=5), nullable=True),
        sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_job_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_schedules')),
    )


def downgrade():
    op.drop_table('job_schedules')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
