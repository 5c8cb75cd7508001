"""Sending an enquiry: what is stored, who hears of it, and every refused input (nothing stored)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    Enquiry,
    EnquiryAttachment,
    EnquiryStatus,
    FunnelEvent,
    FunnelStep,
    Notification,
    OrgStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.services.accounts import users
from matchmaker.services.connect import conversations, enquiries
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.market import listings
from matchmaker.services.market.expiry import expire_listings
from matchmaker.services.platform import files
from tests.connect.helpers import DATA, EXE, count, kinds_for, make_world, send, upload
from tests.factories import make_user, publish_result


@pytest.fixture
def world(db, fields):
    return make_world(fields)


def test_an_enquiry_is_stored_notified_audited_and_counted(world):
    enquiry = send(world.ent, world.result, upload=upload())
    db.session.commit()

    assert enquiry.status == EnquiryStatus.OPEN
    assert (enquiry.sender_org_id, enquiry.owner_org_id) == (
        world.ent.organisation_id,
        world.uni.organisation_id,
    )
    assert enquiry.result_id == world.result.id and enquiry.need_id is None
    assert enquiry.sender_user_id == world.ent.id
    assert [a.original_name for a in enquiry.attachments] == ["方案.pdf"]
    assert files.path_of(enquiry.attachments[0]).is_file()  # permanent after the commit
    assert kinds_for(world.uni) == ["enquiry.received"]
    assert kinds_for(world.ent) == []
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "enquiry.create"))
    assert audit is not None and audit.object_id == str(enquiry.id)
    assert DATA.message not in str(audit.after)  # no message body in the audit log
    steps = db.session.scalars(sa.select(FunnelEvent.step)).all()
    assert steps == [FunnelStep.ENQUIRY]


def test_an_enquiry_on_a_need(world):
    enquiry = send(world.uni, world.need)
    assert enquiry.need_id == world.need.id
    assert enquiry.owner_org_id == world.ent.organisation_id
    assert enquiry.listing is world.need


def test_source_and_offer_are_kept_only_when_valid(world):
    enquiry = send(
        world.ent,
        world.result,
        replace(DATA, source="recommendation", offer_id=999, nda_requested=True),
    )
    assert str(enquiry.source) == "recommendation"
    assert enquiry.offer_id is None  # not this result's conversion offer: dropped
    assert enquiry.nda_requested is True
    other = send(world.third, world.result, replace(DATA, source="forged"))
    assert str(other.source) == "listing"


def _refused(world, error, call):
    before = (count(Enquiry), count(Notification), count(EnquiryAttachment))
    with pytest.raises(error) as caught:
        call()
    assert (count(Enquiry), count(Notification), count(EnquiryAttachment)) == before
    return caught.value


@pytest.mark.parametrize("message", ["", "   \n ", "字" * 20_000, "字" * 5_001])
def test_empty_or_too_long_messages_are_refused(world, message):
    error = _refused(
        world,
        ValidationFailed,
        lambda: send(world.ent, world.result, replace(DATA, message=message)),
    )
    assert list(error.errors) == ["message"]
    assert error.errors["message"][0]


def test_a_message_of_exactly_5000_characters_is_accepted(world):
    assert send(world.ent, world.result, replace(DATA, message="字" * 5_000)).id


def test_unknown_intent_is_refused(world):
    error = _refused(
        world, ValidationFailed, lambda: send(world.ent, world.result, replace(DATA, intent="buy"))
    )
    assert "intent" in error.errors


def test_enquiry_to_own_organisation_is_refused(world):
    colleague = make_user("university", organisation=world.uni.organisation)
    error = _refused(world, InvalidTransition, lambda: send(colleague, world.result))
    assert "本机构" in str(error)


@pytest.mark.parametrize("status", [OrgStatus.PENDING, OrgStatus.REJECTED])
def test_enquiry_from_an_unverified_organisation_is_refused(world, status):
    world.ent.organisation.status = status
    db.session.flush()
    _refused(world, PermissionDenied, lambda: send(world.ent, world.result))


def test_admins_cannot_send_enquiries(world):
    _refused(world, PermissionDenied, lambda: send(world.admin, world.result))


def test_enquiry_to_an_unverified_owner_is_refused(world):
    world.uni.organisation.status = OrgStatus.REJECTED
    db.session.flush()
    error = _refused(world, InvalidTransition, lambda: send(world.ent, world.result))
    assert "认证" in str(error)


def test_enquiry_to_a_deactivated_owner_is_refused(world):
    users.set_user_active(actor=world.admin, user=world.uni, active=False)
    db.session.flush()
    error = _refused(world, InvalidTransition, lambda: send(world.ent, world.result))
    assert "停用" in str(error)


def test_enquiry_to_a_withdrawn_listing_is_refused(world):
    listings.withdraw_listing(actor=world.uni, listing=world.result)
    db.session.commit()
    error = _refused(world, InvalidTransition, lambda: send(world.ent, world.result))
    assert "下架" in str(error)


def test_enquiry_to_an_expired_listing_is_refused(world):
    later = utcnow() + timedelta(days=400)
    assert expire_listings(now=later)["expired"] >= 1
    db.session.commit()
    _refused(world, InvalidTransition, lambda: send(world.ent, world.result, now=later))


def test_enquiry_to_a_never_public_listing_or_a_forged_id_is_not_found(world, fields):
    draft = publish_result(
        world.uni, world.admin, fields, "未发布成果", "尚在草稿阶段", approve=False
    )
    _refused(world, NotFound, lambda: send(world.ent, draft))
    for kind, listing_id in (("result", 10**6), ("result", 2**40), ("offer", world.result.id)):
        _refused(
            world,
            NotFound,
            lambda kind=kind, listing_id=listing_id: enquiries.create_enquiry(
                actor=world.ent, kind=kind, listing_id=listing_id, data=DATA
            ),
        )


def test_a_second_open_enquiry_is_refused_but_a_new_one_after_it_ended(world):
    first = send(world.ent, world.result)
    colleague = make_user("enterprise", organisation=world.ent.organisation)
    error = _refused(world, InvalidTransition, lambda: send(colleague, world.result))
    assert "已就这条成果发起过对接" in str(error)

    enquiries.withdraw_enquiry(actor=world.ent, enquiry=first)
    again = send(colleague, world.result)
    assert again.id != first.id


def test_a_concurrent_second_enquiry_hits_the_unique_index(world, monkeypatch):
    send(world.ent, world.result)
    db.session.commit()
    # The other request checked before the first one committed: it saw no open enquiry.
    monkeypatch.setattr(enquiries, "_open_enquiry", lambda org_id, listing: None)
    _refused(world, InvalidTransition, lambda: send(world.ent, world.result))
    db.session.commit()  # the savepoint kept the transaction usable
    assert count(Enquiry) == 1


def test_the_daily_cap_per_organisation(world, fields, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENQUIRY_DAILY_CAP", 2)
    results = [
        publish_result(world.uni, world.admin, fields, f"成果{n}", "一种新型复合材料制备方法")
        for n in range(3)
    ]
    morning = datetime.combine(utcnow().date() + timedelta(days=1), time(1), UTC)  # 09:00 China
    send(world.ent, results[0], now=morning)
    send(world.ent, results[1], now=morning + timedelta(hours=1))
    error = _refused(
        world,
        ValidationFailed,
        lambda: send(world.ent, results[2], now=morning + timedelta(hours=14, minutes=59)),
    )
    assert list(error.errors) == ["cap"]
    assert "上限" in error.errors["cap"][0]
    # Another organisation has its own cap; the next China day the sender has a new one.
    assert send(world.third, results[2], now=morning + timedelta(hours=2))
    assert send(world.ent, results[2], now=morning + timedelta(hours=15))  # 00:00 next day


def test_a_blocked_organisation_cannot_send(world):
    conversations.block_organisation(actor=world.uni, organisation_id=world.ent.organisation_id)
    _refused(world, PermissionDenied, lambda: send(world.ent, world.result))
    assert send(world.third, world.result)
    conversations.unblock_organisation(actor=world.uni, organisation_id=world.ent.organisation_id)
    assert send(world.ent, world.result)


def test_an_organisation_that_blocked_the_owner_cannot_send_to_it(world):
    conversations.block_organisation(actor=world.ent, organisation_id=world.uni.organisation_id)
    error = _refused(world, PermissionDenied, lambda: send(world.ent, world.result))
    assert "解除屏蔽" in str(error)


def test_a_wrong_file_type_is_refused_and_leaves_no_file(world, app):
    error = _refused(
        world, ValidationFailed, lambda: send(world.ent, world.result, upload=upload(EXE, "x.pdf"))
    )
    assert list(error.errors) == ["file"]
    db.session.rollback()  # the unit of work ends: its staged files go
    assert list(files.storage_dir().glob("*.part")) == []
