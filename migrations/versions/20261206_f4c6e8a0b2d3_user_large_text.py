"""大字模式 (适老化): users.large_text, the larger-text switch remembered per user (issue 19).

Written by hand.

Revision ID: f4c6e8a0b2d3
Revises: e3b5d7f9a1c2
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4c6e8a0b2d3'
down_revision = 'e3b5d7f9a1c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('large_text', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('large_text')
