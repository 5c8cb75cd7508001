"""Stored files: content_type holds 128 characters (the OOXML types of .docx, .xlsx and
.pptx are 65–73 characters long).

Written by hand.

Revision ID: c7d3e9f1a2b4
Revises: b1c2d3e4f5a6
Create Date: 2026-12-06 06:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d3e9f1a2b4'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None

TABLES = ("attachments", "application_attachments", "milestone_evidence", "enquiry_attachments")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                'content_type',
                existing_type=sa.String(length=64),
                type_=sa.String(length=128),
                existing_nullable=False,
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                'content_type',
                existing_type=sa.String(length=128),
                type_=sa.String(length=64),
                existing_nullable=False,
            )
