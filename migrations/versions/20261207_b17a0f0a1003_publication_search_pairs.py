"""Search at 100,000 listings, two-character Chinese terms: publications.search_pairs, the Han
runs of the search text with a marker after every character that another follows (光伏材料 ->
光x伏x材x料), filled here for every publication; on PostgreSQL a trigram index (pg_trgm, GIN) on
it, so a search for 光伏 (`LIKE '%光伏%'`, no trigram of its own) also asks for `%光x伏%`, which
the index serves, instead of reading every listing's text (services/market/browsing.py
han_pairs; docs/performance.md, "Search"). The index is PostgreSQL's only, left out of the
models' comparison by name (POSTGRESQL_ONLY_INDEXES); without pg_trgm the upgrade goes on
without it and says so.

Written by hand.

Revision ID: b17a0f0a1003
Revises: b17a0f0a1002
Create Date: 2026-12-07 07:00:00

"""
import logging
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17a0f0a1003'
down_revision = 'b17a0f0a1002'
branch_labels = None
depends_on = None

INDEX = 'ix_publications_search_pairs_trgm'
BATCH = 2000
log = logging.getLogger('alembic.runtime.migration')
# As services/market/browsing.py han_pairs (a copy: a migration keeps the rule of its day).
_HAN_RUN = re.compile(r'[\u4e00-\u9fff]{2,}')
_HAN_BEFORE_HAN = re.compile(r'([\u4e00-\u9fff])(?=[\u4e00-\u9fff])')


def _pairs(text):
    return ' '.join(_HAN_BEFORE_HAN.sub(r'\1x', run) for run in _HAN_RUN.findall(text or ''))


def upgrade():
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_pairs', sa.Text(), nullable=True))
    bind = op.get_bind()
    publications = sa.table(
        'publications', sa.column('id', sa.Integer), sa.column('search_text', sa.Text),
        sa.column('search_pairs', sa.Text),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(publications.c.id, publications.c.search_text)
            .where(publications.c.id > last).order_by(publications.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            publications.update().where(publications.c.id == sa.bindparam('pid'))
            .values(search_pairs=sa.bindparam('pairs')),
            [{'pid': pid, 'pairs': _pairs(text)} for pid, text in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.alter_column('search_pairs', existing_type=sa.Text(), nullable=False)
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
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON publications USING gin (search_pairs gin_trgm_ops)'
    )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP INDEX IF EXISTS {INDEX}')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_column('search_pairs')
