"""Search at 100,000 listings: on PostgreSQL, a trigram index (pg_trgm, GIN) on
publications.search_text, so the supermarket's `LIKE '%term%'` of a term of three characters or
more reads the index instead of every listing's text (docs/performance.md, "Search").

The index lives only here, not in the models: SQLite has no such index, and the tests' tables
(create_all) work without it. `migrations/env.py` and tests/test_migrations.py leave it out of
the comparison by name (POSTGRESQL_ONLY_INDEXES). Without the pg_trgm extension (not installed,
or a role that may not create it) the upgrade goes on without the index and says so.

Written by hand.

Revision ID: 2e0c72c81442
Revises: a7c9e1b3d5f7
Create Date: 2026-12-06 23:20:00

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2e0c72c81442'
down_revision = 'a7c9e1b3d5f7'
branch_labels = None
depends_on = None

INDEX = 'ix_publications_search_text_trgm'
log = logging.getLogger('alembic.runtime.migration')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    except sa.exc.DBAPIError as error:
        log.warning('pg_trgm is not available (%s): search works without its index, slower '
                    'at scale; a superuser can run CREATE EXTENSION pg_trgm and upgrade again',
                    str(error).splitlines()[0])
        return
    op.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON publications USING gin (search_text gin_trgm_ops)'
    )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP INDEX IF EXISTS {INDEX}')
