"""The owner's answer and the enquiry state machine: accept, decline, ask, answer, withdraw."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog, EnquiryStatus, FunnelEvent, FunnelStep
from matchmaker.services.connect import enquiries
from matchmaker.services.connect.enquiry_states import ENQUIRY
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform.states import can_step
from tests.connect.helpers import EXE, kinds_for, make_world, messages_of, send, upload
from tests.factories import make_user


@pytest.fixture
def world(db, fields):
    return make_world(fields)


@pytest.fixture
def enquiry(world):
    enquiry = send(world.ent, world.result)
    db.session.commit()
    return enquiry


def _audited(enquiry) -> list[tuple[str, dict | None, dict | None]]:
    return [
        (a.action, a.before, a.after)
        for a in db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == "enquiry", AuditLog.object_id == str(enquiry.id))
            .order_by(AuditLog.id)
        )
    ]


def test_the_transition_table():
    open_ = type("E", (), {"status": EnquiryStatus.OPEN})()
    assert ENQUIRY.allowed(open_) == ["ask_info", "accept", "decline", "withdraw"]
    open_.status = EnquiryStatus.INFO_REQUESTED
    assert ENQUIRY.allowed(open_) == ["provide_info", "accept", "decline", "withdraw"]
    open_.status = EnquiryStatus.ACCEPTED
    assert ENQUIRY.allowed(open_) == ["close", "message", "record_deal"]
    for ended in (EnquiryStatus.DECLINED, EnquiryStatus.WITHDRAWN, EnquiryStatus.CLOSED):
        open_.status = ended
        assert ENQUIRY.allowed(open_) == []
    assert can_step("enquiry", open_, "message") is False


def test_accept_discloses_contacts_counts_and_tells_the_sender(world, enquiry):
    assert enquiries.contacts(enquiry) is None  # staged disclosure: nothing before acceptance
    answering = make_user("university", organisation=world.uni.organisation, phone="13700000003")

    enquiries.accept_enquiry(actor=answering, enquiry=enquiry)
    db.session.commit()

    assert enquiry.status == EnquiryStatus.ACCEPTED
    assert enquiry.answered_at is not None
    contacts = enquiries.contacts(enquiry)
    assert contacts is not None
    assert contacts["sender"]["email"] == "ent@example.com"
    assert contacts["sender"]["phone"] == "13900000002"
    assert contacts["owner"]["email"] == answering.email
    assert contacts["owner"]["phone"] == "13700000003"
    assert contacts["owner"]["organisation"] == world.uni.organisation.name
    assert kinds_for(world.ent) == ["enquiry.accepted"]
    steps = sorted(db.session.scalars(sa.select(FunnelEvent.step)))
    assert steps == sorted([FunnelStep.ENQUIRY, FunnelStep.ACCEPTED])
    assert _audited(enquiry)[-1] == ("enquiry.accept", {"status": "open"}, {"status": "accepted"})


def test_decline_with_a_code_and_text_the_sender_sees(world, enquiry):
    enquiries.decline_enquiry(
        actor=world.uni, enquiry=enquiry, code="not_a_fit", reason="我们的成果不适用于隔膜。"
    )
    db.session.commit()
    assert enquiry.status == EnquiryStatus.DECLINED
    assert str(enquiry.decline_code) == "not_a_fit"
    assert enquiry.decline_reason == "我们的成果不适用于隔膜。"
    assert enquiries.contacts(enquiry) is None
    assert kinds_for(world.ent) == ["enquiry.declined"]
    action, _before, _after = _audited(enquiry)[-1]
    assert action == "enquiry.decline"
    reason = db.session.scalar(sa.select(AuditLog.reason).where(AuditLog.action == action))
    assert reason == "not_a_fit"  # the code, not the free text


@pytest.mark.parametrize(
    ("code", "reason", "field"),
    [("rude", "说明", "code"), ("terms", "", "reason"), ("terms", "字" * 5_001, "reason")],
)
def test_decline_needs_a_known_code_and_a_text(world, enquiry, code, reason, field):
    with pytest.raises(ValidationFailed) as caught:
        enquiries.decline_enquiry(actor=world.uni, enquiry=enquiry, code=code, reason=reason)
    assert list(caught.value.errors) == [field]
    assert enquiry.status == EnquiryStatus.OPEN


def test_ask_and_provide_information(world, enquiry):
    enquiries.ask_for_information(actor=world.uni, enquiry=enquiry, question="请说明产能规模。")
    assert enquiry.status == EnquiryStatus.INFO_REQUESTED
    assert enquiry.info_request == "请说明产能规模。"
    assert kinds_for(world.ent) == ["enquiry.info_requested"]
    asked_at = enquiry.answered_at
    assert asked_at is not None

    message = enquiries.provide_information(
        actor=world.ent, enquiry=enquiry, text="年产 2000 万平方米。", upload=upload()
    )
    db.session.commit()
    assert enquiry.status == EnquiryStatus.OPEN
    assert messages_of(enquiry) == ["年产 2000 万平方米。"]
    assert [a.original_name for a in message.attachments] == ["方案.pdf"]
    assert kinds_for(world.uni) == ["enquiry.received", "enquiry.info_provided"]

    enquiries.accept_enquiry(actor=world.uni, enquiry=enquiry)
    assert enquiry.answered_at == asked_at  # the first answer counts for the response time
    assert [a for a, _, _ in _audited(enquiry)] == [
        "enquiry.create",
        "enquiry.ask_info",
        "enquiry.provide_info",
        "enquiry.accept",
    ]


def test_provide_information_refuses_bad_input_and_a_wrong_file(world, enquiry):
    with pytest.raises(InvalidTransition):  # nobody asked
        enquiries.provide_information(actor=world.ent, enquiry=enquiry, text="补充")
    enquiries.ask_for_information(actor=world.uni, enquiry=enquiry, question="请说明产能规模。")
    with pytest.raises(ValidationFailed) as caught:
        enquiries.provide_information(actor=world.ent, enquiry=enquiry, text=" ")
    assert list(caught.value.errors) == ["text"]
    with pytest.raises(ValidationFailed) as caught:
        enquiries.provide_information(
            actor=world.ent, enquiry=enquiry, text="补充", upload=upload(EXE, "a.pdf")
        )
    assert list(caught.value.errors) == ["file"]
    assert enquiry.status == EnquiryStatus.INFO_REQUESTED
    assert messages_of(enquiry) == []
    with pytest.raises(ValidationFailed):
        enquiries.ask_for_information(actor=world.uni, enquiry=enquiry, question="")


def test_withdraw_by_the_sender(world, enquiry):
    enquiries.withdraw_enquiry(actor=world.ent, enquiry=enquiry)
    assert enquiry.status == EnquiryStatus.WITHDRAWN
    assert kinds_for(world.uni) == ["enquiry.received", "enquiry.withdrawn"]
    with pytest.raises(InvalidTransition):
        enquiries.accept_enquiry(actor=world.uni, enquiry=enquiry)


def test_sides_each_do_their_own_steps(world, enquiry):
    with pytest.raises(PermissionDenied):
        enquiries.accept_enquiry(actor=world.ent, enquiry=enquiry)
    with pytest.raises(PermissionDenied):
        enquiries.ask_for_information(actor=world.ent, enquiry=enquiry, question="?")
    with pytest.raises(PermissionDenied):
        enquiries.withdraw_enquiry(actor=world.uni, enquiry=enquiry)
    for outsider in (world.third, world.bank, world.admin):
        with pytest.raises(NotFound):
            enquiries.accept_enquiry(actor=outsider, enquiry=enquiry)
        with pytest.raises(NotFound):
            enquiries.withdraw_enquiry(actor=outsider, enquiry=enquiry)
    assert enquiry.status == EnquiryStatus.OPEN


@pytest.mark.parametrize("first", ["accept", "decline", "withdraw"])
def test_an_answered_enquiry_cannot_be_answered_again(world, enquiry, first):
    answers = {
        "accept": lambda: enquiries.accept_enquiry(actor=world.uni, enquiry=enquiry),
        "decline": lambda: enquiries.decline_enquiry(
            actor=world.uni, enquiry=enquiry, code="terms", reason="条件不合适"
        ),
        "withdraw": lambda: enquiries.withdraw_enquiry(actor=world.ent, enquiry=enquiry),
    }
    answers[first]()
    status = enquiry.status
    for answer in answers.values():
        with pytest.raises(InvalidTransition):
            answer()
    with pytest.raises(InvalidTransition):
        enquiries.ask_for_information(actor=world.uni, enquiry=enquiry, question="还有问题")
    assert enquiry.status == status


def test_inbox_and_waiting_count(world, enquiry):
    other = send(world.uni, world.need)
    assert enquiries.inbox(actor=world.uni) == [enquiry]
    assert enquiries.inbox(actor=world.uni, box="sent") == [other]
    assert enquiries.inbox(actor=world.ent, box="received", status="open") == [other]
    assert enquiries.inbox(actor=world.ent, box="received", status="accepted") == []
    assert enquiries.inbox(actor=world.third) == []
    assert enquiries.inbox(actor=world.admin) == []
    assert enquiries.waiting_count(world.uni) == 1
    enquiries.ask_for_information(actor=world.uni, enquiry=enquiry, question="请说明产能规模。")
    assert enquiries.waiting_count(world.uni) == 0  # the sender has to answer now
    assert enquiries.waiting_count(world.ent) == 1 + 1  # the question to answer, the one received
    assert enquiries.waiting_count(world.admin) == 0
