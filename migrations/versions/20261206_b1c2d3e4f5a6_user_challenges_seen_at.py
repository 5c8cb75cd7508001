"""我的榜单: users.challenges_seen_at (applications submitted after it count as new).

Written by hand.

Revision ID: b1c2d3e4f5a6
Revises: af7f79eb725e
Create Date: 2026-12-06 06:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f5a6'
down_revision = 'af7f79eb725e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('challenges_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('challenges_seen_at')
