"""Malware scanning of uploads: placeholder, filled in by the scanning work (issue 17).

Revision ID: b17a0f0a1002
Revises: b17a0f0a1001
Create Date: 2026-12-07 02:00:01

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b17a0f0a1002'
down_revision = 'b17a0f0a1001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
