"""Malware scanning of uploads: a scan status on every table of stored files (issue 17).

Existing rows become `legacy` (stored before uploads were scanned: served as before);
new uploads are `clean`, `quarantined` or `unscanned` (services/platform/scanning.py).

Revision ID: b17a0f0a1002
Revises: b17a0f0a1001
Create Date: 2026-12-07 02:00:01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17a0f0a1002'
down_revision = 'b17a0f0a1001'
branch_labels = None
depends_on = None

#: Every table of the StoredFile mixin (models/stored_file.py).
TABLES = (
    'attachments',
    'application_attachments',
    'milestone_evidence',
    'organisation_documents',
    'enquiry_attachments',
)
STATUSES = ('clean', 'legacy', 'quarantined', 'unscanned', 'released')


def _status_type():
    return sa.Enum(
        *STATUSES, name='scan_status', native_enum=False, create_constraint=True, length=32
    )


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('scan_status', _status_type(), server_default='legacy', nullable=False)
            )
            batch_op.create_index(batch_op.f(f'ix_{table}_scan_status'), ['scan_status'], unique=False)


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_scan_status'))
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_scan_status'), type_='check')
            batch_op.drop_column('scan_status')
