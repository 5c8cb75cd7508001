"""TOTP secrets stored sealed (issue 17, docs/security.md §4.11): users.totp_secret widens
to 255 characters and every seed already stored is sealed with the application's sealing key
(services/platform/sealing.py). Downgrade opens them again.

Revision ID: b17a0f0a1004
Revises: b17a0f0a1003
Create Date: 2026-12-07 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17a0f0a1004'
down_revision = 'b17a0f0a1003'
branch_labels = None
depends_on = None

USERS = sa.table('users', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))


def _rewrite(change) -> None:
    """Apply `change` to every stored seed it alters (the app's configuration gives the keys:
    Flask-Migrate runs migrations inside the application)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(USERS.c.id, USERS.c.totp_secret).where(USERS.c.totp_secret.is_not(None))
    ).all()
    for user_id, stored in rows:
        new = change(stored)
        if new != stored:
            bind.execute(
                sa.update(USERS).where(USERS.c.id == user_id).values(totp_secret=new)
            )


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255)
        )
    from matchmaker.services.platform.sealing import PREFIX, seal

    _rewrite(lambda stored: stored if stored.startswith(PREFIX) else seal(stored))


def downgrade():
    from matchmaker.services.platform.sealing import UNREADABLE, open_sealed

    def opened(stored):
        plain = open_sealed(stored)
        if plain == UNREADABLE:
            raise RuntimeError('a sealed TOTP seed no configured key opens: set SEALING_KEYS')
        return plain

    _rewrite(opened)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
