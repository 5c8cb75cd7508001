"""Second factor (TOTP) for accounts: placeholder, filled in by the MFA work (issue 17).

Revision ID: b17a0f0a1001
Revises: 2e0c72c81442
Create Date: 2026-12-07 02:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b17a0f0a1001'
down_revision = '2e0c72c81442'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
