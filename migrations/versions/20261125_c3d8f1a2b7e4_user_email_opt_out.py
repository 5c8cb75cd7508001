"""Per-user e-mail preferences: users.email_opt_out (e-mail groups the user turned off).

Written by hand.

Revision ID: c3d8f1a2b7e4
Revises: ae9a2544d7d2
Create Date: 2026-11-25 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d8f1a2b7e4'
down_revision = 'ae9a2544d7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('email_opt_out', sa.JSON(), server_default='[]', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_opt_out')
