"""Leads: the contact request under consent (or after a meeting), the firm's answer, credit and
disbursement, every step audited and notified (services/leads.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    CreditRejection,
    Event,
    EventMeeting,
    FinancingStatus,
    Lead,
    LeadStatus,
    MeetingStatus,
    Notification,
    ProductStatus,
    ProfileView,
    ViewAction,
)
from matchmaker.models.base import utcnow
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from matchmaker.services.finance import consent, leads
from matchmaker.services.finance.finance_states import LEAD
from tests.factories import make_user
from tests.finance_factories import (
    expire_consent,
    make_financing_need,
    make_firm,
    make_product,
)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _kinds(user) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.kind)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def _audit(lead: Lead) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditLog.action)
            .where(AuditLog.object_type == "lead", AuditLog.object_id == str(lead.id))
            .order_by(AuditLog.id)
        )
    )


@pytest.fixture
def pair(db):
    bank = make_user("bank")
    firm = make_firm()
    return {
        "bank": bank,
        "firm": firm,
        "product": make_product(bank),
        "need": make_financing_need(firm),
    }


def _request(pair, **kwargs) -> Lead:
    return leads.request_contact(
        actor=pair["bank"],
        firm_org_id=pair["firm"].organisation_id,
        product_id=pair["product"].id,
        financing_need_id=pair["need"].id,
        message="贵企业的研发设备需求与我行科创贷匹配。",
        **kwargs,
    )


def test_request_under_consent_is_logged_audited_and_notified(pair):
    lead = _request(pair)
    assert lead.status == LeadStatus.REQUESTED
    assert (lead.bank_org_id, lead.firm_org_id) == (
        pair["bank"].organisation_id,
        pair["firm"].organisation_id,
    )
    assert lead.product_id == pair["product"].id
    assert lead.financing_need_id == pair["need"].id
    (view,) = consent.views_of(pair["firm"].organisation_id)
    assert view.action == ViewAction.LEAD and view.user_id == pair["bank"].id
    assert _audit(lead) == ["lead.request"]
    assert _kinds(pair["firm"]) == ["lead.requested"]
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == pair["firm"].id))
    assert note.link == f"/finance/leads/{lead.id}"
    assert note.params["bank"] == pair["bank"].organisation.name


def test_no_consent_means_no_request(db):
    bank = make_user("bank")
    never = make_firm(scopes=None)
    expired = make_firm()
    expire_consent(expired)
    revoked = make_firm()
    consent.revoke(actor=revoked)
    for firm in (never, expired, revoked):
        with pytest.raises(NotFound):
            leads.request_contact(actor=bank, firm_org_id=firm.organisation_id)
    with pytest.raises(NotFound):
        leads.request_contact(actor=bank, firm_org_id=999_999)
    assert _count(Lead) == 0
    assert _count(ProfileView) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "admin"])
def test_only_bank_users_request_contact(db, role):
    firm = make_firm()
    with pytest.raises(NotFound):
        leads.request_contact(actor=make_user(role), firm_org_id=firm.organisation_id)
    assert _count(Lead) == 0


def test_an_unverified_bank_cannot_request(db):
    firm = make_firm()
    with pytest.raises(NotFound):
        leads.request_contact(
            actor=make_user("bank", verified=False), firm_org_id=firm.organisation_id
        )


def test_one_live_lead_per_bank_and_firm(pair):
    lead = _request(pair)
    with pytest.raises(InvalidTransition):
        _request(pair)
    # another bank may still ask
    other = make_user("bank")
    leads.request_contact(actor=other, firm_org_id=pair["firm"].organisation_id)
    # once the firm has declined, the bank may ask again
    leads.answer_lead(actor=pair["firm"], lead=lead, accept=False)
    again = _request(pair)
    assert again.id != lead.id and again.status == LeadStatus.REQUESTED


def test_bad_product_need_or_message_is_refused(pair):
    other_bank = make_user("bank")
    foreign = make_product(other_bank)
    draft = make_product(pair["bank"], status=ProductStatus.DRAFT, published_at=None)
    other_firm_need = make_financing_need(make_firm())
    closed = make_financing_need(pair["firm"], status=FinancingStatus.CLOSED)
    firm_id = pair["firm"].organisation_id
    cases = [
        ({"product_id": foreign.id}, "product_id"),
        ({"product_id": draft.id}, "product_id"),
        ({"product_id": 999_999}, "product_id"),
        ({"financing_need_id": other_firm_need.id}, "financing_need_id"),
        ({"financing_need_id": closed.id}, "financing_need_id"),
        ({"message": "长" * 2001}, "message"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            leads.request_contact(actor=pair["bank"], firm_org_id=firm_id, **kwargs)
        assert field in caught.value.errors
    assert _count(Lead) == 0


def _meeting(bank, firm, *, status=MeetingStatus.HELD) -> EventMeeting:
    start = utcnow() + timedelta(days=3)
    event = Event(
        organiser_org_id=bank.organisation_id,
        title="银企对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        registration_closes_at=start - timedelta(days=1),
    )
    db.session.add(event)
    db.session.flush()
    meeting = EventMeeting(
        event_id=event.id,
        bank_org_id=bank.organisation_id,
        firm_org_id=firm.organisation_id,
        starts_at=start,
        status=status,
        outcome="lead" if status == MeetingStatus.HELD else None,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def test_a_meeting_lets_a_bank_request_without_consent(db):
    bank = make_user("bank")
    firm = make_firm(scopes=None)
    meeting = _meeting(bank, firm)
    lead = leads.request_contact(
        actor=bank, firm_org_id=firm.organisation_id, meeting_id=meeting.id
    )
    assert lead.meeting_id == meeting.id and lead.status == LeadStatus.REQUESTED
    assert _count(ProfileView) == 0  # no consent, so nothing was looked at


def test_a_meeting_of_another_bank_or_firm_or_cancelled_does_not_count(db):
    bank, other_bank = make_user("bank"), make_user("bank")
    firm, other_firm = make_firm(scopes=None), make_firm(scopes=None)
    theirs = _meeting(other_bank, firm)
    with pytest.raises(NotFound):
        leads.request_contact(actor=bank, firm_org_id=firm.organisation_id, meeting_id=theirs.id)
    ours = _meeting(bank, other_firm)
    with pytest.raises(NotFound):
        leads.request_contact(actor=bank, firm_org_id=firm.organisation_id, meeting_id=ours.id)
    cancelled = _meeting(bank, firm, status=MeetingStatus.CANCELLED)
    with pytest.raises(NotFound):
        leads.request_contact(actor=bank, firm_org_id=firm.organisation_id, meeting_id=cancelled.id)
    assert _count(Lead) == 0


def test_the_whole_way_to_a_first_loan(pair):
    bank, firm = pair["bank"], pair["firm"]
    lead = _request(pair)
    leads.answer_lead(actor=firm, lead=lead, accept=True, reply="周三下午方便。")
    assert lead.status == LeadStatus.ACCEPTED and lead.firm_reply == "周三下午方便。"
    assert lead.answered_at is not None
    leads.mark_in_contact(actor=bank, lead=lead)
    leads.approve_credit(
        actor=bank, lead=lead, amount_wan=Decimal(500), product_id=pair["product"].id
    )
    assert lead.status == LeadStatus.APPROVED
    assert lead.approved_amount_wan == Decimal(500)
    assert lead.approved_product_id == pair["product"].id and lead.approved_at is not None
    leads.record_disbursement(actor=bank, lead=lead, amount_wan=Decimal(400), first_loan=True)
    assert lead.status == LeadStatus.DISBURSED
    assert lead.disbursed_amount_wan == Decimal(400) and lead.first_loan
    assert lead.closed_at is not None and not lead.is_live
    db.session.commit()  # the check constraints hold
    assert _audit(lead) == [
        "lead.request",
        "lead.accept",
        "lead.contact",
        "lead.approve",
        "lead.disburse",
    ]
    assert _kinds(firm) == ["lead.requested", "lead.approved", "lead.disbursed"]
    assert _kinds(bank) == ["lead.accepted"]
    steps = leads.history(lead)
    assert [s.action for s in steps] == ["request", "accept", "contact", "approve", "disburse"]
    assert steps[1].organisation.id == firm.organisation_id
    assert steps[1].reason == "周三下午方便。"


def test_credit_rejected_with_a_reason(pair):
    bank, firm = pair["bank"], pair["firm"]
    lead = _request(pair)
    leads.answer_lead(actor=firm, lead=lead, accept=True)
    leads.mark_in_contact(actor=bank, lead=lead)
    with pytest.raises(ValidationFailed) as caught:
        leads.reject_credit(actor=bank, lead=lead, reason=None)
    assert "reason" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        leads.reject_credit(actor=bank, lead=lead, reason="other", note=" ")
    assert "note" in caught.value.errors
    assert lead.status == LeadStatus.IN_CONTACT
    leads.reject_credit(actor=bank, lead=lead, reason="high_leverage", note="资产负债率 78%")
    assert lead.status == LeadStatus.REJECTED
    assert lead.rejection_reason == CreditRejection.HIGH_LEVERAGE
    db.session.commit()
    assert _kinds(firm)[-1] == "lead.rejected"
    note = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == firm.id).order_by(Notification.id)
    ).all()[-1]
    assert "资产负债率 78%" in note.params["reason"]


def test_amount_rules(pair):
    bank, firm = pair["bank"], pair["firm"]
    lead = _request(pair)
    leads.answer_lead(actor=firm, lead=lead, accept=True)
    leads.mark_in_contact(actor=bank, lead=lead)
    for amount in (None, Decimal(0), Decimal(-10)):
        with pytest.raises(ValidationFailed):
            leads.approve_credit(
                actor=bank, lead=lead, amount_wan=amount, product_id=pair["product"].id
            )
    foreign = make_product(make_user("bank"))
    for product_id in (None, foreign.id):
        with pytest.raises(ValidationFailed) as caught:
            leads.approve_credit(
                actor=bank, lead=lead, amount_wan=Decimal(100), product_id=product_id
            )
        assert "product_id" in caught.value.errors
    assert lead.status == LeadStatus.IN_CONTACT and lead.approved_amount_wan is None
    leads.approve_credit(
        actor=bank, lead=lead, amount_wan=Decimal(300), product_id=pair["product"].id
    )
    with pytest.raises(ValidationFailed) as caught:
        leads.record_disbursement(actor=bank, lead=lead, amount_wan=Decimal("300.01"))
    assert "amount_wan" in caught.value.errors
    with pytest.raises(ValidationFailed):
        leads.record_disbursement(actor=bank, lead=lead, amount_wan=Decimal(0))
    assert lead.status == LeadStatus.APPROVED
    leads.record_disbursement(actor=bank, lead=lead, amount_wan=Decimal(300))
    assert lead.status == LeadStatus.DISBURSED and not lead.first_loan


def test_each_side_takes_only_its_own_steps(pair):
    bank, firm = pair["bank"], pair["firm"]
    lead = _request(pair)
    with pytest.raises(NotFound):
        leads.answer_lead(actor=bank, lead=lead, accept=True)
    with pytest.raises(NotFound):
        leads.withdraw_lead(actor=firm, lead=lead)
    stranger = make_user("bank")
    with pytest.raises(NotFound):
        leads.withdraw_lead(actor=stranger, lead=lead)
    with pytest.raises(NotFound):
        leads.answer_lead(actor=make_firm(), lead=lead, accept=True)
    assert lead.status == LeadStatus.REQUESTED
    leads.answer_lead(actor=firm, lead=lead, accept=True)
    for step in (leads.mark_in_contact, leads.withdraw_lead):
        with pytest.raises(NotFound):
            step(actor=firm, lead=lead)


def test_who_may_see_a_lead(pair):
    lead = _request(pair)
    admin = make_user("admin")
    for viewer in (pair["bank"], pair["firm"], admin):
        assert leads.get_lead(actor=viewer, lead_id=lead.id) is lead
    for outsider in (make_user("bank"), make_firm(), make_user("university")):
        with pytest.raises(NotFound):
            leads.get_lead(actor=outsider, lead_id=lead.id)
    assert leads.leads_for(pair["bank"]) == [lead]
    assert leads.leads_for(pair["firm"]) == [lead]
    assert leads.leads_for(admin) == [lead]
    assert leads.leads_for(pair["bank"], status="accepted") == []
    assert leads.leads_for(make_user("bank")) == []


def test_withdraw_before_an_answer_only(pair):
    bank, firm = pair["bank"], pair["firm"]
    lead = _request(pair)
    leads.withdraw_lead(actor=bank, lead=lead)
    assert lead.status == LeadStatus.WITHDRAWN and lead.closed_at is not None
    assert _kinds(firm) == ["lead.requested", "lead.withdrawn"]
    with pytest.raises(InvalidTransition):
        leads.answer_lead(actor=firm, lead=lead, accept=True)
    answered = _request(pair)
    leads.answer_lead(actor=firm, lead=answered, accept=True)
    with pytest.raises(InvalidTransition):
        leads.withdraw_lead(actor=bank, lead=answered)


def test_revoked_consent_keeps_the_lead_but_closes_the_firm_page(pair):
    bank, firm = pair["bank"], pair["firm"]
    lead = _request(pair)
    leads.answer_lead(actor=firm, lead=lead, accept=True)
    consent.revoke(actor=firm)
    assert leads.get_lead(actor=bank, lead_id=lead.id) is lead
    leads.mark_in_contact(actor=bank, lead=lead)  # its own business record goes on
    with pytest.raises(NotFound):
        consent.open_firm(actor=bank, firm_org_id=firm.organisation_id)
    with pytest.raises(NotFound):  # and no new request without consent
        leads.request_contact(actor=make_user("bank"), firm_org_id=firm.organisation_id)


_STEPS = {
    "accept": lambda p, lead: leads.answer_lead(actor=p["firm"], lead=lead, accept=True),
    "decline": lambda p, lead: leads.answer_lead(actor=p["firm"], lead=lead, accept=False),
    "withdraw": lambda p, lead: leads.withdraw_lead(actor=p["bank"], lead=lead),
    "contact": lambda p, lead: leads.mark_in_contact(actor=p["bank"], lead=lead),
    "approve": lambda p, lead: leads.approve_credit(
        actor=p["bank"], lead=lead, amount_wan=Decimal(100), product_id=p["product"].id
    ),
    "reject": lambda p, lead: leads.reject_credit(actor=p["bank"], lead=lead, reason="collateral"),
    "disburse": lambda p, lead: leads.record_disbursement(
        actor=p["bank"], lead=lead, amount_wan=Decimal(50)
    ),
}


@pytest.mark.parametrize("state", list(LeadStatus))
@pytest.mark.parametrize("action", sorted(LEAD.transitions))
def test_transition_table(pair, state, action):
    lead = _request(pair)
    lead.status = state
    if state in (LeadStatus.APPROVED, LeadStatus.DISBURSED):
        lead.approved_amount_wan = Decimal(100)
    sources, target = LEAD.sources(action), LEAD.target(action)
    if state in sources:
        _STEPS[action](pair, lead)
        assert lead.status == target
        assert _audit(lead)[-1] == f"lead.{action}"
    else:
        with pytest.raises(InvalidTransition):
            _STEPS[action](pair, lead)
        assert lead.status == state
    assert set(_STEPS) == set(LEAD.transitions)
