"""Set-up for the 技术经纪人 tests: introductions and deals written directly as rows."""

from __future__ import annotations

from decimal import Decimal

from matchmaker.extensions import db
from matchmaker.models import (
    BrokerProfile,
    ConversationOutcome,
    Deal,
    DealMode,
    Enquiry,
    EnquiryDecline,
    EnquiryIntent,
    EnquirySource,
    EnquiryStatus,
    Need,
    PaymentForm,
    User,
)
from tests.factories import publish_result

_COUNTER = {"n": 0}


def introduce(
    broker: BrokerProfile,
    need: Need,
    *,
    owner: User,
    admin: User,
    fields: dict,
    status: EnquiryStatus,
) -> Enquiry:
    """An introduction of a fresh result of `owner` to `need`'s organisation, in `status`."""
    _COUNTER["n"] += 1
    result = publish_result(
        owner, admin, fields, f"引荐成果{_COUNTER['n']}号", "一项用于引荐测试的成熟技术成果"
    )
    enquiry = Enquiry(
        result_id=result.id,
        broker_id=broker.id,
        for_need_id=need.id,
        broker_note="这项成果与需求高度相关。",
        sender_org_id=need.organisation_id,
        owner_org_id=result.organisation_id,
        intent=EnquiryIntent.LICENSE,
        message="技术经纪人引荐的对接请求。",
        source=EnquirySource.INTRODUCTION,
        status=status,
        decline_code=EnquiryDecline.NOT_A_FIT if status == EnquiryStatus.DECLINED else None,
        outcome=ConversationOutcome.CONTRACT if status == EnquiryStatus.CLOSED else None,
    )
    db.session.add(enquiry)
    db.session.flush()
    return enquiry


def record_deal(enquiry: Enquiry, *, amount: int, fee: int | None, status: str = "active") -> Deal:
    """A deal from an introduction, recording the broker and its fee."""
    deal = Deal(
        provider_org_id=enquiry.owner_org_id,
        client_org_id=enquiry.sender_org_id,
        enquiry_id=enquiry.id,
        broker_id=enquiry.broker_id,
        broker_fee_wan=None if fee is None else Decimal(fee),
        mode=DealMode.LICENSE_NON_EXCLUSIVE,
        amount_wan=Decimal(amount),
        payment_form=PaymentForm.LUMP_SUM,
        status=status,
        termination_reason="双方协商终止" if status == "terminated" else None,
    )
    db.session.add(deal)
    db.session.flush()
    return deal
