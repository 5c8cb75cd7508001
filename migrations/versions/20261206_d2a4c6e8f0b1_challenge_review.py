"""Challenge review: the need states challenge_review / challenge_returned, and the review
columns of challenges (submitted_at, reviewed_at, review_reason_code, review_reason).

Written by hand.

Revision ID: d2a4c6e8f0b1
Revises: c7d3e9f1a2b4
Create Date: 2026-12-06 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a4c6e8f0b1'
down_revision = 'c7d3e9f1a2b4'
branch_labels = None
depends_on = None

OLD_STATES = (
    'draft', 'pending_review', 'open', 'evaluating', 'awarded', 'contracted', 'in_progress',
    'accepted', 'expired', 'withdrawn', 'unawarded', 'terminated',
)
NEW_STATES = OLD_STATES + ('challenge_review', 'challenge_returned')


def _need_status(states):
    return sa.Enum(
        *states, name='need_status', native_enum=False, create_constraint=True, length=32
    )


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.alter_column(
            'status',
            existing_type=_need_status(OLD_STATES),
            type_=_need_status(NEW_STATES),
            existing_nullable=False,
        )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_reason_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('review_reason', sa.Text(), nullable=True))


def downgrade():
    # a challenge waiting for review (or sent back) was not public: its need is open again
    op.execute(
        "UPDATE needs SET status = 'open' "
        "WHERE status IN ('challenge_review', 'challenge_returned')"
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_column('review_reason')
        batch_op.drop_column('review_reason_code')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('submitted_at')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.alter_column(
            'status',
            existing_type=_need_status(NEW_STATES),
            type_=_need_status(OLD_STATES),
            existing_nullable=False,
        )
