"""Search at 100,000 listings, two-character Chinese terms: on PostgreSQL, a second trigram
index (pg_trgm, GIN) on publications.search_text with a marker after every Han character that
another follows (光伏材料 -> 光x伏x材x料), so a search for 光伏 (`LIKE '%光伏%'`, no trigram of
its own) reads the index for `光x伏` instead of every listing's text (docs/performance.md,
"Search"). The query (services/market/browsing.py HAN_PAIRS) writes the same expression; the
LIKE on the plain text still decides.

PostgreSQL only and left out of the models' comparison by name (POSTGRESQL_ONLY_INDEXES), as
the first trigram index. Without pg_trgm the upgrade goes on without it and says so.

Written by hand.

Revision ID: b17a0f0a1003
Revises: b17a0f0a1002
Create Date: 2026-12-07 07:00:00

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17a0f0a1003'
down_revision = 'b17a0f0a1002'
branch_labels = None
depends_on = None

INDEX = 'ix_publications_search_han_pairs_trgm'
#: As services/market/browsing.py HAN_PAIRS writes it (U+4E00 to U+9FFF, the marker `x`).
EXPRESSION = (
    "regexp_replace(search_text, '([\u4e00-\u9fff])(?=[\u4e00-\u9fff])', '\\1x', 'g')"
)
log = logging.getLogger('alembic.runtime.migration')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    installed = bind.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    ).scalar()
    if not installed:
        log.warning('pg_trgm is not installed: two-character search works without its index, '
                    'slower at scale (see revision 2e0c72c81442)')
        return
    op.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON publications USING gin (({EXPRESSION}) gin_trgm_ops)'
    )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP INDEX IF EXISTS {INDEX}')
