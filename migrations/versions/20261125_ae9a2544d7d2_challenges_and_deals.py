"""揭榜挂帅: challenges, invitations, applications, panels and scores, the conversion list,
adoption requests, deals (技术合同) with milestones and evidence.

Reviewed by hand. A challenge's state is its need's status (needs.status already holds the
challenge states), so no status column is added here. "One live application per organisation
per challenge" is a plain unique (challenge_id, organisation_id): a withdrawn application is
reopened on the same row, which is portable without partial indexes.

Revision ID: ae9a2544d7d2
Revises: bb0bd93c9152
Create Date: 2026-11-25 11:35:06.623765

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ae9a2544d7d2'
down_revision = 'bb0bd93c9152'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('bounty_wan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('success_criteria', sa.Text(), nullable=False),
    sa.Column('deliverables', sa.Text(), nullable=False),
    sa.Column('ip_ownership', sa.Enum('owner', 'solver', 'shared', 'negotiable', name='ip_ownership', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ip_licence', sa.Enum('none', 'exclusive', 'non_exclusive', 'open', name='licence_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('payment_form', sa.Enum('lump_sum', 'instalments', 'royalty', 'entry_fee_royalty', 'equity', 'use_first_pay_later', name='challenge_payment_form', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'invite_only', name='challenge_visibility', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('has_panel', sa.Boolean(), nullable=False),
    sa.Column('is_government', sa.Boolean(), nullable=False),
    sa.Column('weight_feasibility', sa.Integer(), nullable=False),
    sa.Column('weight_maturity', sa.Integer(), nullable=False),
    sa.Column('weight_price', sa.Integer(), nullable=False),
    sa.Column('weight_team', sa.Integer(), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('bounty_wan >= 0', name=op.f('ck_challenges_bounty_not_negative')),
    sa.CheckConstraint('weight_feasibility >= 0 AND weight_maturity >= 0 AND weight_price >= 0 AND weight_team >= 0 AND weight_feasibility + weight_maturity + weight_price + weight_team > 0', name=op.f('ck_challenges_weights_valid')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_challenges_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_challenges_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('need_id', name=op.f('uq_challenges_need_id'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_deadline_at'), ['deadline_at'], unique=False)

    op.create_table('conversion_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', name='offer_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('modes', sa.Integer(), nullable=False),
    sa.Column('price_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('trial_months', sa.Integer(), nullable=True),
    sa.Column('trial_terms', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('modes > 0 AND modes < 128', name=op.f('ck_conversion_offers_modes_range')),
    sa.CheckConstraint('price_wan IS NULL OR price_wan >= 0', name=op.f('ck_conversion_offers_price_not_negative')),
    sa.CheckConstraint('trial_months IS NULL OR trial_months > 0', name=op.f('ck_conversion_offers_trial_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_conversion_offers_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_conversion_offers_result_id_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversion_offers')),
    sa.UniqueConstraint('result_id', name=op.f('uq_conversion_offers_result_id'))
    )
    with op.batch_alter_table('conversion_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversion_offers_status'), ['status'], unique=False)

    op.create_table('adoption_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'accepted', 'declined', 'withdrawn', name='adoption_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('intended_use', sa.Text(), nullable=False),
    sa.Column('scale', sa.Text(), nullable=False),
    sa.Column('preferred_terms', sa.Text(), nullable=False),
    sa.Column('wants_trial', sa.Boolean(), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_adoption_requests_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offer_id'], ['conversion_offers.id'], name=op.f('fk_adoption_requests_offer_id_conversion_offers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_adoption_requests_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adoption_requests')),
    sa.UniqueConstraint('offer_id', 'organisation_id', name=op.f('uq_adoption_requests_offer_id'))
    )
    with op.batch_alter_table('adoption_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adoption_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adoption_requests_status'), ['status'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('source_result_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', 'shortlisted', 'finalist', 'selected', 'declined', 'withdrawn', name='application_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('approach', sa.Text(), nullable=False),
    sa.Column('indicators', sa.Text(), nullable=False),
    sa.Column('trl', sa.Integer(), nullable=True),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('price_wan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('decline_reason_code', sa.Enum('immature', 'indicators_unmet', 'price_too_high', 'ip_unclear', 'unclear', 'other', name='decline_reason', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status != 'declined' OR decline_reason_code IS NOT NULL", name=op.f('ck_applications_declined_has_reason')),
    sa.CheckConstraint('price_wan IS NULL OR price_wan >= 0', name=op.f('ck_applications_price_not_negative')),
    sa.CheckConstraint('trl IS NULL OR (trl >= 1 AND trl <= 9)', name=op.f('ck_applications_trl_range')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_applications_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_applications_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_applications_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_result_id'], ['results.id'], name=op.f('fk_applications_source_result_id_results'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('challenge_id', 'organisation_id', name=op.f('uq_applications_challenge_id'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)

    op.create_table('challenge_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_invitations_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_challenge_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_challenge_invitations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_invitations')),
    sa.UniqueConstraint('challenge_id', 'organisation_id', name=op.f('uq_challenge_invitations_challenge_id'))
    )
    with op.batch_alter_table('challenge_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_invitations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_expert', sa.Boolean(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_panel_members_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_panel_members_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_panel_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_panel_members_challenge_id'))
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_user_id'), ['user_id'], unique=False)

    op.create_table('deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_org_id', sa.Integer(), nullable=False),
    sa.Column('client_org_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('adoption_request_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('active', 'completed', 'terminated', 'returned', name='deal_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('mode', sa.Enum('transfer', 'license_exclusive', 'license_non_exclusive', 'license_open', 'equity', 'cooperation', 'use_first_pay_later', name='deal_mode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount_wan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('payment_form', sa.Enum('lump_sum', 'instalments', 'royalty', 'entry_fee_royalty', 'equity', 'use_first_pay_later', name='payment_form', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('contract_number', sa.String(length=64), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('trial_start', sa.Date(), nullable=True),
    sa.Column('trial_end', sa.Date(), nullable=True),
    sa.Column('trial_outcome', sa.Enum('pay', 'return', 'extend', name='trial_outcome', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('trial_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trial_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('termination_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("payment_form != 'use_first_pay_later' OR (trial_start IS NOT NULL AND trial_end IS NOT NULL AND trial_end > trial_start)", name=op.f('ck_deals_trial_period')),
    sa.CheckConstraint("status != 'terminated' OR termination_reason IS NOT NULL", name=op.f('ck_deals_terminated_reason')),
    sa.CheckConstraint('(application_id IS NOT NULL) <> (adoption_request_id IS NOT NULL)', name=op.f('ck_deals_one_source')),
    sa.CheckConstraint('amount_wan >= 0', name=op.f('ck_deals_amount_not_negative')),
    sa.CheckConstraint('provider_org_id <> client_org_id', name=op.f('ck_deals_two_parties')),
    sa.ForeignKeyConstraint(['adoption_request_id'], ['adoption_requests.id'], name=op.f('fk_deals_adoption_request_id_adoption_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_deals_application_id_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['client_org_id'], ['organisations.id'], name=op.f('fk_deals_client_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deals_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_org_id'], ['organisations.id'], name=op.f('fk_deals_provider_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
    sa.UniqueConstraint('adoption_request_id', name=op.f('uq_deals_adoption_request_id')),
    sa.UniqueConstraint('application_id', name=op.f('uq_deals_application_id')),
    sa.UniqueConstraint('contract_number', name=op.f('uq_deals_contract_number'))
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_client_org_id'), ['client_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_provider_org_id'), ['provider_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_trial_end'), ['trial_end'], unique=False)

    op.create_table('scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_member_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('feasibility', sa.Integer(), nullable=False),
    sa.Column('maturity', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('team', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('feasibility >= 0 AND feasibility <= 10', name=op.f('ck_scores_feasibility_range')),
    sa.CheckConstraint('maturity >= 0 AND maturity <= 10', name=op.f('ck_scores_maturity_range')),
    sa.CheckConstraint('price >= 0 AND price <= 10', name=op.f('ck_scores_price_range')),
    sa.CheckConstraint('team >= 0 AND team <= 10', name=op.f('ck_scores_team_range')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_scores_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['panel_member_id'], ['panel_members.id'], name=op.f('fk_scores_panel_member_id_panel_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('panel_member_id', 'application_id', name=op.f('uq_scores_panel_member_id'))
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_application_id'), ['application_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'submitted', 'accepted', 'rework', name='milestone_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('rework_reason', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status != 'rework' OR rework_reason IS NOT NULL", name=op.f('ck_milestones_rework_has_reason')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_milestones_deal_id_deals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    sa.UniqueConstraint('deal_id', 'position', name=op.f('uq_milestones_deal_id'))
    )
    op.create_table('milestone_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_evidence_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_milestone_evidence_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_milestone_evidence_stored_name'))
    )
    with op.batch_alter_table('milestone_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_evidence_milestone_id'), ['milestone_id'], unique=False)




def downgrade():

    with op.batch_alter_table('milestone_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_evidence_milestone_id'))

    op.drop_table('milestone_evidence')
    op.drop_table('milestones')
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_application_id'))

    op.drop_table('scores')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_trial_end'))
        batch_op.drop_index(batch_op.f('ix_deals_status'))
        batch_op.drop_index(batch_op.f('ix_deals_provider_org_id'))
        batch_op.drop_index(batch_op.f('ix_deals_client_org_id'))

    op.drop_table('deals')
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_members_user_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('challenge_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_invitations_organisation_id'))

    op.drop_table('challenge_invitations')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_organisation_id'))

    op.drop_table('applications')
    with op.batch_alter_table('adoption_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adoption_requests_status'))
        batch_op.drop_index(batch_op.f('ix_adoption_requests_organisation_id'))

    op.drop_table('adoption_requests')
    with op.batch_alter_table('conversion_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversion_offers_status'))

    op.drop_table('conversion_offers')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenges_deadline_at'))

    op.drop_table('challenges')

