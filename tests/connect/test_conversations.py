"""The conversation: messages with attachments, read state, e-mail by preference, closing,
reports and blocks; and the privacy rule (bodies for the two organisations only)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    EnquiryAttachment,
    EnquiryMessage,
    EnquiryStatus,
    Notification,
    OrganisationBlock,
)
from matchmaker.services.connect import conversations, enquiries
from matchmaker.services.connect.enquiry_states import can_read_message
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.platform import notifications
from tests.connect.helpers import EXE, count, kinds_for, make_world, send, upload
from tests.factories import make_user

BODY = "样品下周寄出，请确认收件地址。"


@pytest.fixture
def world(db, fields):
    return make_world(fields)


@pytest.fixture
def talk(world):
    """An accepted enquiry (the conversation)."""
    enquiry = send(world.ent, world.result)
    enquiries.accept_enquiry(actor=world.uni, enquiry=enquiry)
    db.session.commit()
    return enquiry


def post(user, enquiry, body=BODY, **kwargs):
    return conversations.post_message(actor=user, enquiry=enquiry, body=body, **kwargs)


def test_messages_with_an_attachment_and_notifications(world, talk, outbox):
    first = post(world.ent, talk, upload=upload())
    reply = post(world.uni, talk, "地址不变。")
    db.session.commit()

    assert [m.body for m in conversations.messages(talk)] == [BODY, "地址不变。"]
    assert [a.original_name for a in first.attachments] == ["方案.pdf"]
    assert first.author_org_id == world.ent.organisation_id
    assert reply.author_org_id == world.uni.organisation_id
    assert kinds_for(world.uni) == ["enquiry.received", "enquiry.message"]
    assert kinds_for(world.ent) == ["enquiry.accepted", "enquiry.message"]
    mails = [m for m in outbox if "洽谈" in m.subject]
    assert {tuple(m.recipients) for m in mails} == {("uni@example.com",), ("ent@example.com",)}
    assert all(BODY not in m.body for m in outbox)  # bodies never leave the platform by mail


def test_message_mail_follows_the_connect_preference(world, talk, outbox):
    notifications.set_email_opt_out(user=world.uni, groups=["connect"])
    db.session.commit()
    outbox.clear()
    post(world.ent, talk)
    db.session.commit()
    assert [m for m in outbox if "uni@example.com" in m.recipients] == []
    assert kinds_for(world.uni)[-1] == "enquiry.message"  # still in-app


@pytest.mark.parametrize(
    ("body", "field"), [("", "body"), (" \n", "body"), ("字" * 20_000, "body")]
)
def test_empty_or_too_long_messages_are_refused(world, talk, body, field):
    with pytest.raises(ValidationFailed) as caught:
        post(world.ent, talk, body)
    assert list(caught.value.errors) == [field]
    assert count(EnquiryMessage) == 0


def test_a_wrong_file_type_is_refused(world, talk):
    with pytest.raises(ValidationFailed) as caught:
        post(world.ent, talk, upload=upload(EXE, "说明.png"))
    assert list(caught.value.errors) == ["file"]
    assert (count(EnquiryMessage), count(EnquiryAttachment)) == (0, 0)


def test_no_messages_before_acceptance(world):
    enquiry = send(world.ent, world.result)
    with pytest.raises(InvalidTransition):
        post(world.ent, enquiry)
    assert count(EnquiryMessage) == 0


def test_close_with_an_outcome_then_no_more_messages(world, talk):
    with pytest.raises(ValidationFailed) as caught:
        conversations.close_conversation(actor=world.ent, enquiry=talk, outcome="no_deal")
    assert list(caught.value.errors) == ["reason"]
    with pytest.raises(ValidationFailed):
        conversations.close_conversation(actor=world.ent, enquiry=talk, outcome="won")
    assert talk.status == EnquiryStatus.ACCEPTED

    conversations.close_conversation(
        actor=world.ent, enquiry=talk, outcome="no_deal", reason="预算不足"
    )
    db.session.commit()
    assert talk.status == EnquiryStatus.CLOSED
    assert (str(talk.outcome), talk.outcome_reason, talk.closed_by_id) == (
        "no_deal",
        "预算不足",
        world.ent.id,
    )
    assert kinds_for(world.uni)[-1] == "enquiry.closed"
    with pytest.raises(InvalidTransition) as refused:
        post(world.uni, talk)
    assert "对话已结束" in str(refused.value)
    with pytest.raises(InvalidTransition):
        conversations.close_conversation(actor=world.uni, enquiry=talk, outcome="offline")
    assert enquiries.contacts(talk) is not None  # disclosed once, they stay


@pytest.mark.parametrize("outcome", ["contract", "offline"])
def test_other_outcomes_need_no_reason(world, talk, outcome):
    conversations.close_conversation(actor=world.uni, enquiry=talk, outcome=outcome)
    assert str(talk.outcome) == outcome


def test_read_state_and_unread_counts(world, talk):
    colleague = make_user("university", organisation=world.uni.organisation)
    post(world.ent, talk)
    post(world.ent, talk, "第二条")
    assert conversations.unread_count(world.uni) == 2
    assert conversations.unread_count(colleague) == 2
    assert conversations.unread_enquiry_ids(world.uni) == {talk.id}
    assert conversations.unread_count(world.ent) == 0  # own messages are read

    conversations.mark_read(actor=world.uni, enquiry=talk)
    assert conversations.unread_count(world.uni) == 0
    assert conversations.unread_enquiry_ids(world.uni) == set()
    assert conversations.unread_count(colleague) == 2  # read state is per person
    last = post(world.ent, talk, "第三条")
    assert conversations.unread_count(world.uni) == 1
    assert conversations.last_read_id(user=world.uni, enquiry=talk) < last.id
    reply = post(world.uni, talk, "收到")  # answering marks the thread read
    assert conversations.last_read_id(user=world.uni, enquiry=talk) == reply.id
    assert conversations.unread_count(world.uni) == 0
    assert conversations.unread_count(world.third) == 0
    assert conversations.unread_count(world.admin) == 0


# --- privacy ---------------------------------------------------------------------------------
def test_outsiders_get_not_found_for_the_enquiry_its_messages_and_files(world, talk):
    message = post(world.ent, talk, upload=upload())
    db.session.commit()
    attachment = message.attachments[0]
    for party in (world.ent, world.uni):
        assert enquiries.get_enquiry(actor=party, enquiry_id=talk.id) is talk
        found, blob = conversations.downloadable_attachment(
            user=party, enquiry_id=talk.id, attachment_id=attachment.id
        )
        with blob.open() as stream:
            assert found is attachment and stream.read(4) == b"%PDF"
        assert conversations.get_message(actor=party, message_id=message.id) is message

    for outsider in (world.third, world.bank, world.admin, None):
        with pytest.raises(NotFound):
            enquiries.get_enquiry(actor=outsider, enquiry_id=talk.id)
        with pytest.raises(NotFound):
            conversations.downloadable_attachment(
                user=outsider, enquiry_id=talk.id, attachment_id=attachment.id
            )
        with pytest.raises(NotFound):
            conversations.get_message(actor=outsider, message_id=message.id)
        assert not can_read_message(outsider, message)
    for outsider in (world.third, world.bank, world.admin):
        with pytest.raises(NotFound):
            post(outsider, talk)
        with pytest.raises(NotFound):
            conversations.mark_read(actor=outsider, enquiry=talk)
        with pytest.raises(NotFound):
            conversations.close_conversation(actor=outsider, enquiry=talk, outcome="offline")
        with pytest.raises(NotFound):
            conversations.report_message(actor=outsider, message=message, reason="骚扰")
    assert count(EnquiryMessage) == 1


def test_forged_ids_are_not_found(world, talk):
    message = post(world.ent, talk, upload=upload())
    db.session.commit()
    for enquiry_id in (talk.id + 1, 0, -1, 2**40):
        with pytest.raises(NotFound):
            enquiries.get_enquiry(actor=world.ent, enquiry_id=enquiry_id)
    other = send(world.third, world.result)  # another enquiry of the same owner
    db.session.commit()
    with pytest.raises(NotFound):  # the attachment exists, but not under that enquiry
        conversations.downloadable_attachment(
            user=world.uni, enquiry_id=other.id, attachment_id=message.attachments[0].id
        )
    with pytest.raises(NotFound):
        conversations.downloadable_attachment(
            user=world.uni, enquiry_id=talk.id, attachment_id=2**40
        )
    with pytest.raises(NotFound):
        conversations.get_message(actor=world.ent, message_id=2**40)


def test_a_reported_message_becomes_readable_by_admins_only(world, talk):
    theirs = post(world.uni, talk, "违规内容")
    mine = post(world.ent, talk)
    with pytest.raises(PermissionDenied):
        conversations.reported_messages(actor=world.ent)
    assert conversations.reported_messages(actor=world.admin) == []
    with pytest.raises(InvalidTransition):  # one's own organisation's message
        conversations.report_message(actor=world.ent, message=mine, reason="误发")
    with pytest.raises(ValidationFailed):
        conversations.report_message(actor=world.ent, message=theirs, reason="")

    conversations.report_message(actor=world.ent, message=theirs, reason="含有骚扰内容")
    db.session.commit()

    assert theirs.reported_by_id == world.ent.id and theirs.report_reason == "含有骚扰内容"
    assert conversations.reported_messages(actor=world.admin) == [theirs]
    assert conversations.get_message(actor=world.admin, message_id=theirs.id).body == "违规内容"
    with pytest.raises(NotFound):  # the other messages stay private
        conversations.get_message(actor=world.admin, message_id=mine.id)
    for outsider in (world.third, world.bank):
        with pytest.raises(NotFound):
            conversations.get_message(actor=outsider, message_id=theirs.id)
    with pytest.raises(NotFound):  # the conversation itself stays closed to admins
        enquiries.get_enquiry(actor=world.admin, enquiry_id=talk.id)
    with pytest.raises(InvalidTransition):
        conversations.report_message(actor=world.ent, message=theirs, reason="再次举报")
    assert kinds_for(world.admin) == ["enquiry.reported"]
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "enquiry.report"))
    assert audit is not None and "违规内容" not in str(audit.after)
    assert "违规内容" not in str(db.session.scalars(sa.select(Notification.params)).all())


# --- blocks ------------------------------------------------------------------------------------
def test_a_block_stops_messages_both_ways_until_lifted(world, talk):
    block = conversations.block_organisation(
        actor=world.uni, organisation_id=world.ent.organisation_id, reason="骚扰"
    )
    assert block.blocked_org_id == world.ent.organisation_id
    assert conversations.is_blocked(world.uni.organisation_id, world.ent.organisation_id)
    assert not conversations.is_blocked(world.ent.organisation_id, world.uni.organisation_id)
    assert conversations.blocked_organisations(actor=world.uni) == [world.ent.organisation]
    with pytest.raises(PermissionDenied):
        post(world.ent, talk)
    with pytest.raises(PermissionDenied):  # the blocker must lift the block to write again
        post(world.uni, talk)
    assert count(EnquiryMessage) == 0

    conversations.unblock_organisation(actor=world.uni, organisation_id=world.ent.organisation_id)
    assert post(world.ent, talk).id
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.action.startswith("organisation."))
    ).all()
    assert actions == ["organisation.block", "organisation.unblock"]


def test_block_refusals(world):
    own = world.uni.organisation_id
    with pytest.raises(InvalidTransition):
        conversations.block_organisation(actor=world.uni, organisation_id=own)
    with pytest.raises(NotFound):
        conversations.block_organisation(actor=world.uni, organisation_id=10**6)
    with pytest.raises(PermissionDenied):  # admins belong to no organisation
        conversations.block_organisation(
            actor=world.admin, organisation_id=world.ent.organisation_id
        )
    conversations.block_organisation(actor=world.uni, organisation_id=world.ent.organisation_id)
    colleague = make_user("university", organisation=world.uni.organisation)
    with pytest.raises(InvalidTransition):
        conversations.block_organisation(actor=colleague, organisation_id=world.ent.organisation_id)
    assert count(OrganisationBlock) == 1
    with pytest.raises(InvalidTransition):
        conversations.unblock_organisation(
            actor=world.uni, organisation_id=world.third.organisation_id
        )
    db.session.commit()  # the savepoint kept the transaction usable


def test_every_connect_notification_is_in_the_connect_email_group():
    kinds = [k for k in notifications.MESSAGES if k.startswith("enquiry.")]
    assert len(kinds) == 14  # 10 of enquiries and conversations, 4 of brokers' introductions
    assert {notifications.email_group(k) for k in kinds} == {"connect"}
    assert "connect" in notifications.OPTIONAL_GROUPS
