"""Listings (results, needs), their public versions, attachments, notifications, taxonomy.

Reviewed by hand. The key industries of domain.md are inserted as the initial field taxonomy
(admins edit it afterwards); downgrade drops the tables with their data.

Revision ID: 89de6c4fd539
Revises: ff13ca62f2ec
Create Date: 2026-11-25 10:30:12.094243

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '89de6c4fd539'
down_revision = 'ff13ca62f2ec'
branch_labels = None
depends_on = None


KEY_INDUSTRIES = (
    ("chemicals", "化工", "Chemicals"),
    ("metallurgy", "冶金", "Metallurgy"),
    ("materials", "碳纤维/新材料", "Carbon fibre & new materials"),
    ("electronics", "电子信息/光电", "Electronics & photonics"),
    ("automotive", "汽车/装备制造", "Automotive & equipment"),
    ("agrifood", "人参/农业食品", "Ginseng, agriculture & food"),
    ("biomedicine", "生物医药", "Biomedicine"),
    ("energy", "新能源/绿色能源", "New & green energy"),
    ("low_altitude", "低空经济", "Low-altitude economy"),
    ("ai_software", "人工智能/软件", "AI & software"),
    ("other", "其他", "Other"),
)


def upgrade():
    op.create_table('tech_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tech_fields')),
    sa.UniqueConstraint('code', name=op.f('uq_tech_fields_code'))
    )
    fields = sa.table(
        'tech_fields', sa.column('code'), sa.column('name'), sa.column('name_en'),
        sa.column('position'), sa.column('is_active'),
    )
    op.bulk_insert(fields, [
        {'code': code, 'name': name, 'name_en': name_en, 'position': i * 10, 'is_active': True}
        for i, (code, name, name_en) in enumerate(KEY_INDUSTRIES)
    ])
    op.create_table('needs',
    sa.Column('status', sa.Enum('draft', 'pending_review', 'open', 'evaluating', 'awarded', 'contracted', 'in_progress', 'accepted', 'expired', 'withdrawn', 'unawarded', 'terminated', name='need_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('targets', sa.Text(), nullable=False),
    sa.Column('existing_base', sa.Text(), nullable=False),
    sa.Column('budget_wan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_reason_code', sa.String(length=32), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('field_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('budget_wan >= 0', name=op.f('ck_needs_budget_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_needs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['field_id'], ['tech_fields.id'], name=op.f('fk_needs_field_id_tech_fields'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_needs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_status'), ['status'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('results',
    sa.Column('status', sa.Enum('draft', 'pending_review', 'listed', 'withdrawn', 'expired', 'transferred', name='result_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('trl', sa.Integer(), nullable=True),
    sa.Column('patents', sa.JSON(), nullable=False),
    sa.Column('software_copyrights', sa.JSON(), nullable=False),
    sa.Column('modes', sa.Integer(), nullable=False),
    sa.Column('trial_terms', sa.Text(), nullable=False),
    sa.Column('price_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_reason_code', sa.String(length=32), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('field_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('modes >= 0 AND modes < 128', name=op.f('ck_results_modes_range')),
    sa.CheckConstraint('price_wan IS NULL OR price_wan >= 0', name=op.f('ck_results_price_not_negative')),
    sa.CheckConstraint('trl IS NULL OR (trl >= 1 AND trl <= 9)', name=op.f('ck_results_trl_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_results_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['field_id'], ['tech_fields.id'], name=op.f('fk_results_field_id_tech_fields'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_results_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results'))
    )
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_results_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_results_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_results_status'), ['status'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=True),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(result_id IS NOT NULL) <> (need_id IS NOT NULL)', name=op.f('ck_attachments_one_listing')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_attachments_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_attachments_result_id_results'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_result_id'), ['result_id'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=True),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('trl', sa.Integer(), nullable=True),
    sa.Column('modes', sa.Integer(), nullable=False),
    sa.Column('amount_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('search_head', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'result' AND result_id IS NOT NULL AND need_id IS NULL) OR (kind = 'need' AND need_id IS NOT NULL AND result_id IS NULL)", name=op.f('ck_publications_one_listing')),
    sa.ForeignKeyConstraint(['field_id'], ['tech_fields.id'], name=op.f('fk_publications_field_id_tech_fields'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_publications_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_publications_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_publications_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('need_id', name=op.f('uq_publications_need_id')),
    sa.UniqueConstraint('result_id', name=op.f('uq_publications_result_id'))
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publications_field_id'), ['field_id'], unique=False)
        batch_op.create_index('ix_publications_kind_approved', ['kind', 'approved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_publications_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publications_region'), ['region'], unique=False)



def downgrade():
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_region'))
        batch_op.drop_index(batch_op.f('ix_publications_organisation_id'))
        batch_op.drop_index('ix_publications_kind_approved')
        batch_op.drop_index(batch_op.f('ix_publications_field_id'))

    op.drop_table('publications')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_result_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_need_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_status'))
        batch_op.drop_index(batch_op.f('ix_results_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_results_field_id'))
        batch_op.drop_index(batch_op.f('ix_results_expires_at'))

    op.drop_table('results')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_status'))
        batch_op.drop_index(batch_op.f('ix_needs_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_needs_field_id'))
        batch_op.drop_index(batch_op.f('ix_needs_expires_at'))

    op.drop_table('needs')
    op.drop_table('tech_fields')
