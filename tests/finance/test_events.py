"""银企对接 events: creation, publication, registration, cancellation, finishing, outcomes and the
summary (services/finance_events.py and the meeting part of services/event_scheduling.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AuditLog,
    Collateral,
    Event,
    EventMeeting,
    EventRegistration,
    EventStatus,
    Lead,
    MeetingOutcome,
    MeetingStatus,
    Notification,
    ProductKind,
)
from matchmaker.models.base import utcnow
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from tests.factories import OrganisationFactory, UserFactory, make_user
from tests.finance_factories import make_financing_need, make_firm, make_product


def event_data(**overrides: Any) -> events.EventData:
    """An event two days from now, two hours long, registration closing the day before."""
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    values: dict[str, Any] = {
        "title": "长春新区科技型企业银企对接会",
        "description": "面向高新技术企业的融资对接。",
        "location": "长春市科技大厦 3 楼",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "registration_closes_at": start - timedelta(days=1),
        "slot_minutes": 20,
    }
    values.update(overrides)
    return events.EventData(**values)


def event_world(*, register: bool = True) -> dict[str, Any]:
    """An organiser bank, a second bank, three firms (two with a financing need), an admin,
    an open event with every one of them registered (unless told otherwise)."""
    organiser = make_user("bank")
    other_bank = make_user("bank")
    firm_a = make_firm()
    firm_b = make_firm(scopes=None)
    firm_c = make_firm()  # registered, but no financing need: no meeting
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    product_a = make_product(organiser, name="科创贷")
    product_b = make_product(
        other_bank,
        name="知识产权质押贷",
        kind=ProductKind.IP_PLEDGE,
        description="以发明专利质押，支持研发设备购置。",
        collateral=int(Collateral.IP_PLEDGE),
    )
    need_a = make_financing_need(firm_a)
    need_b = make_financing_need(
        firm_b, title="流动资金", amount_wan=Decimal(5000), purpose="补充流动资金。"
    )
    event = events.create_event(actor=organiser, data=event_data())
    events.publish_event(actor=organiser, event=event)
    if register:
        for user in (organiser, other_bank, firm_a, firm_b, firm_c):
            events.register(actor=user, event=event)
    db.session.commit()
    return {
        "event": event,
        "organiser": organiser,
        "other_bank": other_bank,
        "firm_a": firm_a,
        "firm_b": firm_b,
        "firm_c": firm_c,
        "admin": admin,
        "product_a": product_a,
        "product_b": product_b,
        "need_a": need_a,
        "need_b": need_b,
    }


def colleague(user):
    """Another active member of the user's organisation."""
    return UserFactory(role=user.role, organisation=user.organisation)


def scheduled(w: dict[str, Any]) -> list[EventMeeting]:
    created = meetings.generate_schedule(actor=w["organiser"], event=w["event"])
    db.session.commit()
    return created


def meeting_between(w: dict[str, Any], bank: str, firm: str) -> EventMeeting:
    return next(
        m
        for m in w["event"].meetings
        if m.bank_org_id == w[bank].organisation_id and m.firm_org_id == w[firm].organisation_id
    )


def after_start(meeting: EventMeeting):
    return meeting.starts_at + timedelta(minutes=1)


def kinds_for(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id))
    )


# --- creation and editing -------------------------------------------------------------------------
def test_a_bank_creates_a_draft_event_that_is_audited(db):
    bank = make_user("bank")
    event = events.create_event(actor=bank, data=event_data())
    assert event.status == EventStatus.DRAFT
    assert event.organiser_org_id == bank.organisation_id
    assert db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "finance_event.create")
    ).object_id == str(event.id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"slot_minutes": 3}, "slot_minutes"),
        ({"slot_minutes": 121}, "slot_minutes"),
        ({"starts_at": utcnow() - timedelta(hours=1)}, "starts_at"),
        ({"starts_at": utcnow().replace(tzinfo=None)}, "starts_at"),
    ],
)
def test_bad_event_details_are_refused_and_nothing_is_stored(db, overrides, field):
    bank = make_user("bank")
    with pytest.raises(ValidationFailed) as caught:
        events.create_event(actor=bank, data=event_data(**overrides))
    assert field in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_times_must_be_in_order(db):
    bank = make_user("bank")
    base = event_data()
    with pytest.raises(ValidationFailed) as caught:
        events.create_event(
            actor=bank,
            data=event_data(
                ends_at=base.starts_at - timedelta(minutes=1),
                registration_closes_at=base.starts_at + timedelta(minutes=5),
            ),
        )
    assert set(caught.value.errors) == {"ends_at", "registration_closes_at"}
    with pytest.raises(ValidationFailed) as caught:
        events.create_event(
            actor=bank, data=event_data(ends_at=base.starts_at + timedelta(minutes=10))
        )
    assert "slot_minutes" in caught.value.errors  # no room for one 20-minute meeting
    with pytest.raises(ValidationFailed) as caught:
        events.create_event(actor=bank, data=event_data(ends_at=base.starts_at + timedelta(days=2)))
    assert "ends_at" in caught.value.errors


def test_who_may_organise(db):
    with pytest.raises(PermissionDenied):
        events.create_event(actor=make_user("enterprise"), data=event_data())
    with pytest.raises(PermissionDenied):
        events.create_event(actor=make_user("admin"), data=event_data())  # no organisation
    with pytest.raises(PermissionDenied):
        events.create_event(actor=make_user("bank", verified=False), data=event_data())
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    assert events.create_event(actor=admin, data=event_data()).organiser_org_id == (
        admin.organisation_id
    )


def test_edit_while_open_but_not_once_scheduled(db):
    w = event_world()
    events.update_event(actor=w["organiser"], event=w["event"], data=event_data(title="新名称"))
    assert w["event"].title == "新名称"
    with pytest.raises(NotFound):
        events.update_event(actor=w["other_bank"], event=w["event"], data=event_data())
    scheduled(w)
    with pytest.raises(InvalidTransition):
        events.update_event(actor=w["organiser"], event=w["event"], data=event_data())


def test_after_registration_closed_the_times_may_stay_but_not_move_into_the_past(db):
    w = event_world()
    event = w["event"]
    later = event.registration_closes_at + timedelta(hours=1)
    same = events.EventData(
        title=event.title,
        description=event.description,
        location="线上（腾讯会议）",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        registration_closes_at=event.registration_closes_at,
        slot_minutes=event.slot_minutes,
    )
    events.update_event(actor=w["organiser"], event=event, data=same, now=later)
    assert event.location == "线上（腾讯会议）"
    moved = events.EventData(**{**same.__dict__, "registration_closes_at": later - timedelta(1)})
    with pytest.raises(ValidationFailed) as caught:
        events.update_event(actor=w["organiser"], event=event, data=moved, now=later)
    assert "registration_closes_at" in caught.value.errors


# --- publication ----------------------------------------------------------------------------------
def test_publishing_announces_to_banks_and_to_firms_with_a_profile(db):
    organiser = make_user("bank")
    other_bank = make_user("bank")
    firm = make_firm()
    bare_firm = make_user("enterprise")  # no profile
    pending_bank = make_user("bank", verified=False)
    university = make_user("university")
    event = events.create_event(actor=organiser, data=event_data())
    events.publish_event(actor=organiser, event=event)
    assert event.status == EventStatus.OPEN
    for user in (organiser, other_bank, firm):
        assert kinds_for(user) == ["event.published"]
    for user in (bare_firm, pending_bank, university):
        assert kinds_for(user) == []
    with pytest.raises(InvalidTransition):
        events.publish_event(actor=organiser, event=event)


def test_only_organisers_publish_and_a_stale_draft_is_refused(db):
    organiser = make_user("bank")
    event = events.create_event(actor=organiser, data=event_data())
    with pytest.raises(NotFound):
        events.publish_event(actor=make_user("bank"), event=event)
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(InvalidTransition, match="报名截止时间已过"):
        events.publish_event(actor=organiser, event=event)
    # any government admin manages every event
    admin = make_user("admin")
    event.registration_closes_at = utcnow() + timedelta(hours=1)
    events.publish_event(actor=admin, event=event)
    assert event.status == EventStatus.OPEN


def test_public_list_and_visibility(db):
    w = event_world(register=False)
    draft = events.create_event(actor=w["organiser"], data=event_data(title="草稿"))
    assert w["event"] in events.public_events()
    assert draft not in events.public_events()
    with pytest.raises(NotFound):
        events.get_event(actor=w["firm_a"], event_id=draft.id)
    assert events.get_event(actor=w["organiser"], event_id=draft.id) is draft
    assert events.managed_events(actor=w["organiser"]) == [draft, w["event"]]  # same start: id
    assert events.managed_events(actor=w["other_bank"]) == []


# --- registration ---------------------------------------------------------------------------------
def test_verified_banks_and_firms_register_once(db):
    w = event_world(register=False)
    registration = events.register(actor=w["firm_a"], event=w["event"], note="希望洽谈知识产权质押")
    assert registration.organisation_id == w["firm_a"].organisation_id
    with pytest.raises(InvalidTransition, match="已经报名"):
        events.register(actor=colleague(w["firm_a"]), event=w["event"])
    with pytest.raises(PermissionDenied):
        events.register(actor=make_user("university"), event=w["event"])
    with pytest.raises(PermissionDenied, match="认证"):
        events.register(actor=make_user("enterprise", verified=False), event=w["event"])
    with pytest.raises(ValidationFailed):
        events.register(actor=w["firm_b"], event=w["event"], note="长" * 501)


def test_registration_after_the_closing_time_is_refused_with_a_clear_message(db):
    w = event_world(register=False)
    event = w["event"]
    late = event.registration_closes_at + timedelta(seconds=1)
    with pytest.raises(InvalidTransition, match="报名已于 .* 截止"):
        events.register(actor=w["firm_a"], event=event, now=late)
    assert db.session.scalar(sa.select(sa.func.count(EventRegistration.id))) == 0
    assert not events.registration_open(event, now=late)


def test_a_draft_cannot_be_registered_for(db):
    organiser = make_user("bank")
    draft = events.create_event(actor=organiser, data=event_data())
    with pytest.raises(NotFound):
        events.register(actor=make_firm(), event=draft)


def test_withdraw_before_scheduling_only(db):
    w = event_world()
    events.withdraw_registration(actor=w["firm_c"], event=w["event"])
    assert events.registration_of(w["event"], w["firm_c"].organisation_id) is None
    with pytest.raises(NotFound):
        events.withdraw_registration(actor=w["firm_c"], event=w["event"])
    scheduled(w)
    with pytest.raises(InvalidTransition, match="不能再取消报名"):
        events.withdraw_registration(actor=w["firm_a"], event=w["event"])


def test_registrants_split_into_banks_and_firms(db):
    w = event_world()
    split = events.registrants(w["event"])
    assert [r.organisation_id for r in split["banks"]] == [
        w["organiser"].organisation_id,
        w["other_bank"].organisation_id,
    ]
    assert len(split["firms"]) == 3


# --- cancelling and finishing ---------------------------------------------------------------------
def test_cancelling_tells_the_registrants_and_cancels_the_meetings(db):
    w = event_world()
    scheduled(w)
    events.cancel_event(actor=w["organiser"], event=w["event"], reason="场地调整")
    assert w["event"].status == EventStatus.CANCELLED
    assert {m.status for m in w["event"].meetings} == {MeetingStatus.CANCELLED}
    assert "event.cancelled" in kinds_for(w["firm_c"])
    assert w["event"] not in events.public_events()
    with pytest.raises(InvalidTransition):
        events.cancel_event(actor=w["organiser"], event=w["event"])


def test_finish_once_the_event_has_begun(db):
    w = event_world()
    with pytest.raises(InvalidTransition):
        events.finish_event(actor=w["organiser"], event=w["event"])  # still open
    scheduled(w)
    with pytest.raises(InvalidTransition, match="开始后"):
        events.finish_event(actor=w["organiser"], event=w["event"])
    with pytest.raises(NotFound):
        events.finish_event(actor=w["other_bank"], event=w["event"], now=w["event"].ends_at)
    events.finish_event(actor=w["organiser"], event=w["event"], now=w["event"].ends_at)
    assert w["event"].status == EventStatus.FINISHED
    assert w["event"] in events.public_events(past=True)


# --- meetings and outcomes ------------------------------------------------------------------------
def test_the_organiser_confirms_and_cancels_meetings(db):
    w = event_world()
    scheduled(w)
    meeting = meeting_between(w, "organiser", "firm_a")
    with pytest.raises(NotFound):
        meetings.confirm_meeting(actor=w["other_bank"], meeting=meeting)
    meetings.confirm_meeting(actor=w["organiser"], meeting=meeting)
    assert meeting.status == MeetingStatus.CONFIRMED
    with pytest.raises(InvalidTransition):
        meetings.confirm_meeting(actor=w["organiser"], meeting=meeting)
    meetings.cancel_meeting(actor=w["admin"], meeting=meeting)
    assert meeting.status == MeetingStatus.CANCELLED


def test_the_bank_records_the_outcome_once_the_meeting_began(db):
    w = event_world()
    scheduled(w)
    meeting = meeting_between(w, "other_bank", "firm_a")
    with pytest.raises(ValidationFailed, match="开始后"):
        meetings.record_outcome(
            actor=w["other_bank"], meeting=meeting, outcome=MeetingOutcome.FOLLOW_UP
        )
    lead = meetings.record_outcome(
        actor=colleague(w["other_bank"]),
        meeting=meeting,
        outcome="follow_up",
        note="下周带材料上门",
        now=after_start(meeting),
    )
    assert lead is None
    assert (meeting.status, meeting.outcome, meeting.outcome_note) == (
        MeetingStatus.HELD,
        MeetingOutcome.FOLLOW_UP,
        "下周带材料上门",
    )
    with pytest.raises(InvalidTransition):
        meetings.record_outcome(
            actor=w["other_bank"], meeting=meeting, outcome="no_fit", now=after_start(meeting)
        )


def test_another_bank_cannot_record_and_the_firm_may_not_either(db):
    w = event_world()
    scheduled(w)
    meeting = meeting_between(w, "other_bank", "firm_a")
    later = after_start(meeting)
    with pytest.raises(NotFound):
        meetings.record_outcome(
            actor=make_user("bank"), meeting=meeting, outcome="no_fit", now=later
        )
    with pytest.raises(NotFound):
        meetings.get_meeting(actor=make_user("bank"), meeting_id=meeting.id)
    with pytest.raises(PermissionDenied):
        meetings.record_outcome(actor=w["firm_a"], meeting=meeting, outcome="no_fit", now=later)
    with pytest.raises(ValidationFailed):
        meetings.record_outcome(actor=w["other_bank"], meeting=meeting, outcome="maybe", now=later)
    assert meeting.status == MeetingStatus.PROPOSED


def test_a_lead_outcome_opens_a_lead_for_the_bank(db):
    w = event_world()
    scheduled(w)
    meeting = meeting_between(w, "other_bank", "firm_b")  # firm_b gave no consent
    lead = meetings.record_outcome(
        actor=w["other_bank"],
        meeting=meeting,
        outcome=MeetingOutcome.LEAD,
        note="会后联系财务负责人",
        now=after_start(meeting),
    )
    assert lead is not None
    assert (lead.bank_org_id, lead.firm_org_id, lead.meeting_id) == (
        w["other_bank"].organisation_id,
        w["firm_b"].organisation_id,
        meeting.id,
    )
    assert lead.product_id == w["product_b"].id and lead.financing_need_id == w["need_b"].id
    assert lead.message == "会后联系财务负责人"
    assert meeting.status == MeetingStatus.HELD and meeting.outcome == MeetingOutcome.LEAD


def test_a_refused_lead_leaves_the_meeting_untouched(db):
    w = event_world()
    scheduled(w)
    first = meeting_between(w, "organiser", "firm_a")
    meetings.record_outcome(
        actor=w["organiser"], meeting=first, outcome="lead", now=after_start(first)
    )
    db.session.commit()
    # a second contact request from the same bank to the same firm is refused by the lead service
    second = EventMeeting(
        event=w["event"],
        bank_org_id=w["organiser"].organisation_id,
        firm_org_id=w["firm_a"].organisation_id,
        starts_at=w["event"].ends_at - timedelta(minutes=20),
        status=MeetingStatus.CONFIRMED,
    )
    db.session.add(second)
    db.session.flush()
    with pytest.raises(ValidationFailed) as caught:
        meetings.record_outcome(
            actor=w["organiser"], meeting=second, outcome="lead", now=after_start(second)
        )
    assert list(caught.value.errors) == ["outcome"]
    assert second.status == MeetingStatus.CONFIRMED and second.outcome is None
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 1


def test_an_organiser_outside_the_bank_records_outcomes_but_opens_no_lead(db):
    w = event_world()
    scheduled(w)
    meeting = meeting_between(w, "other_bank", "firm_a")
    with pytest.raises(ValidationFailed, match="银行"):
        meetings.record_outcome(
            actor=w["admin"], meeting=meeting, outcome="lead", now=after_start(meeting)
        )
    meetings.record_outcome(
        actor=w["admin"], meeting=meeting, outcome="no_show", now=after_start(meeting)
    )
    assert meeting.recorded_by_id == w["admin"].id


def test_each_side_sees_only_its_own_schedule(db):
    w = event_world()
    scheduled(w)
    firm_a = {m.id for m in meetings.organisation_meetings(w["event"], w["firm_a"].organisation_id)}
    firm_b = {m.id for m in meetings.organisation_meetings(w["event"], w["firm_b"].organisation_id)}
    assert firm_a and firm_b and not firm_a & firm_b
    assert meetings.organisation_meetings(w["event"], w["firm_c"].organisation_id) == []
    assert meetings.organisation_meetings(w["event"], None) == []


def test_summary_counts_meetings_outcomes_and_leads(db):
    w = event_world()
    scheduled(w)
    a = meeting_between(w, "organiser", "firm_a")
    b = meeting_between(w, "other_bank", "firm_b")
    meetings.record_outcome(actor=w["organiser"], meeting=a, outcome="lead", now=after_start(a))
    meetings.record_outcome(
        actor=w["other_bank"], meeting=b, outcome="credit_intent", now=after_start(b)
    )
    events.finish_event(actor=w["organiser"], event=w["event"], now=w["event"].ends_at)
    summary = meetings.summarize(w["event"])
    assert (summary.banks, summary.firms) == (2, 3)
    assert summary.held == 2 and summary.leads == 1
    assert summary.meetings == len(w["event"].meetings)
    assert summary.outcomes["lead"] == 1 and summary.outcomes["credit_intent"] == 1
    assert summary.outcomes["no_fit"] == 0
