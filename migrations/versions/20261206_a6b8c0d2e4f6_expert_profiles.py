"""Expert profiles (专家/人才库): expert_profiles and the results they lead (expert_results).

Written by hand.

Revision ID: a6b8c0d2e4f6
Revises: f4c6e8a0b2d3
Create Date: 2026-12-06 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6b8c0d2e4f6'
down_revision = 'f4c6e8a0b2d3'
branch_labels = None
depends_on = None

EXPERT_STATES = ('draft', 'pending_review', 'published', 'withdrawn', 'expired')


def upgrade():
    op.create_table(
        'expert_profiles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column(
            'status',
            sa.Enum(
                *EXPERT_STATES,
                name='expert_status',
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('unit', sa.String(length=200), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=True),
        sa.Column('directions', sa.Text(), nullable=False),
        sa.Column('keywords', sa.String(length=500), nullable=False),
        sa.Column('biography', sa.Text(), nullable=False),
        sa.Column('patents', sa.JSON(), nullable=False),
        sa.Column('offers', sa.Integer(), nullable=False),
        sa.Column('availability', sa.String(length=200), nullable=False),
        sa.Column('contact_phone', sa.String(length=32), nullable=False),
        sa.Column('contact_email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('review_reason_code', sa.String(length=32), nullable=True),
        sa.Column('review_reason', sa.Text(), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            'offers >= 0 AND offers < 16', name=op.f('ck_expert_profiles_offers_range')
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'],
            name=op.f('fk_expert_profiles_created_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['field_id'], ['tech_fields.id'],
            name=op.f('fk_expert_profiles_field_id_tech_fields'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_expert_profiles_organisation_id_organisations'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_expert_profiles_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_profiles')),
        sa.UniqueConstraint(
            'organisation_id', 'name', 'unit',
            name=op.f('uq_expert_profiles_organisation_id'),
        ),
    )
    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_profiles_expires_at'), ['expires_at'])
        batch_op.create_index(batch_op.f('ix_expert_profiles_field_id'), ['field_id'])
        batch_op.create_index(
            batch_op.f('ix_expert_profiles_organisation_id'), ['organisation_id']
        )
        batch_op.create_index(batch_op.f('ix_expert_profiles_status'), ['status'])
        batch_op.create_index(batch_op.f('ix_expert_profiles_user_id'), ['user_id'])

    op.create_table(
        'expert_results',
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['expert_id'], ['expert_profiles.id'],
            name=op.f('fk_expert_results_expert_id_expert_profiles'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['result_id'], ['results.id'],
            name=op.f('fk_expert_results_result_id_results'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('expert_id', 'result_id', name=op.f('pk_expert_results')),
    )


def downgrade():
    op.drop_table('expert_results')
    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_profiles_user_id'))
        batch_op.drop_index(batch_op.f('ix_expert_profiles_status'))
        batch_op.drop_index(batch_op.f('ix_expert_profiles_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_expert_profiles_field_id'))
        batch_op.drop_index(batch_op.f('ix_expert_profiles_expires_at'))
    op.drop_table('expert_profiles')
