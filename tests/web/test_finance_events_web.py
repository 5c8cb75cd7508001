"""银企对接 pages through the test client: public list and page, the organiser's pages,
registration, the schedule each side sees, outcomes, and the object-level checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventMeeting,
    EventRegistration,
    EventStatus,
    Lead,
    MeetingOutcome,
    MeetingStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance.test_events import event_data, event_world, meeting_between
from tests.finance_factories import make_firm

FORM = {
    "kind": "bank_enterprise",
    "title": "净月高新区知识产权质押融资对接会",
    "description": "专场对接知识产权质押贷款。",
    "location": "净月国际会展中心",
    "starts_at": "2030-06-01T09:00",
    "ends_at": "2030-06-01T11:00",
    "registration_closes_at": "2030-05-30T17:00",
    "slot_minutes": "20",
}


def _page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(db):
    return event_world()


def _schedule(w) -> None:
    meetings.generate_schedule(actor=w["organiser"], event=w["event"])
    db.session.commit()


def _into_the_past(event: Event) -> None:
    """Move the event (and its meetings) so that it began half an hour ago."""
    delta = event.starts_at - (utcnow() - timedelta(minutes=30))
    event.starts_at -= delta
    event.ends_at -= delta
    event.registration_closes_at -= delta
    for meeting in event.meetings:
        meeting.starts_at -= delta
    db.session.commit()


# --- public pages ---------------------------------------------------------------------------------
def test_public_list_and_page_show_public_information_only(client, world):
    _schedule(world)
    draft = events.create_event(actor=world["organiser"], data=event_data(title="尚未发布的草稿"))
    db.session.commit()
    listing = _page(client.get("/events"))
    assert world["event"].title in listing and "尚未发布的草稿" not in listing
    page = _page(client.get(f"/events/{world['event'].id}"))
    assert world["event"].location in page
    assert world["organiser"].organisation.name in page
    assert "银行 2 家，企业 3 家" in page
    for private in (
        world["firm_a"].organisation.name,
        world["need_b"].title,
        "5000",
        world["product_b"].name,
    ):
        assert private not in page
    assert "登录" in page
    assert client.get(f"/events/{draft.id}").status_code == 404


def test_past_events_tab(client, world):
    _schedule(world)
    events.finish_event(actor=world["organiser"], event=world["event"], now=world["event"].ends_at)
    db.session.commit()
    assert world["event"].title not in _page(client.get("/events"))
    assert world["event"].title in _page(client.get("/events?status=past"))


# --- the organiser --------------------------------------------------------------------------------
def test_a_bank_creates_an_event_with_times_in_china_time(client, login_as):
    bank = login_as("bank")
    response = client.post("/events/new", data=FORM)
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert response.headers["Location"].endswith(f"/events/{event.id}/manage")
    assert event.organiser_org_id == bank.organisation_id
    assert event.starts_at == datetime(2030, 6, 1, 1, 0, tzinfo=UTC)
    assert event.registration_closes_at == datetime(2030, 5, 30, 9, 0, tzinfo=UTC)
    assert event.status == EventStatus.DRAFT
    edit = _page(client.get(f"/events/{event.id}/edit"))
    assert 'value="2030-06-01T09:00"' in edit


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": "2030-06-01T08:00"}, "结束时间必须晚于开始时间"),
        ({"registration_closes_at": "2030-06-01T10:00"}, "报名截止时间不能晚于开始时间"),
        ({"starts_at": "2020-01-01T09:00", "ends_at": "2020-01-01T10:00"}, "开始时间必须晚于现在"),
        ({"slot_minutes": "500"}, "应在 5 到 120 分钟之间"),
        ({"starts_at": "not a time"}, "请按“2026-12-03 14:05”的格式填写时间"),
        ({"ends_at": ""}, "请填写结束时间"),
        ({"title": ""}, "请填写活动名称"),
    ],
)
def test_bad_event_input_is_explained_and_nothing_is_stored(client, login_as, changes, message):
    login_as("bank")
    response = client.post("/events/new", data={**FORM, **changes})
    assert response.status_code == 400
    assert message in _page(response)
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_an_admin_without_an_organisation_is_told_why(client, login_as):
    login_as("admin")
    assert "没有所属机构" in _page(client.get("/events/new"))
    response = client.post("/events/new", data=FORM)
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_publish_then_manage_page_lists_registrants(client, login_as):
    bank = login_as("bank")
    event = events.create_event(actor=bank, data=event_data())
    db.session.commit()
    response = client.post(f"/finance/events/{event.id}/publish")
    assert response.status_code == 302
    assert db.session.get(Event, event.id).status == EventStatus.OPEN
    firm = make_firm()
    events.register(actor=firm, event=event, note="希望了解科创贷")
    db.session.commit()
    page = _page(client.get(f"/finance/events/{event.id}/manage"))
    assert firm.organisation.name in page and "希望了解科创贷" in page
    assert "无进行中的融资需求" in page


def test_non_organisers_get_404_on_management_routes(client, world):
    _schedule(world)
    event_id = world["event"].id
    meeting_id = world["event"].meetings[0].id
    log_in(client, world["other_bank"])
    assert client.get(f"/finance/events/{event_id}/manage").status_code == 404
    assert client.get(f"/events/{event_id}/edit").status_code == 403
    for url in (
        f"/finance/events/{event_id}/publish",
        f"/finance/events/{event_id}/schedule",
        f"/finance/events/{event_id}/finish",
        f"/finance/events/{event_id}/cancel",
        f"/finance/meetings/{meeting_id}/confirm",
        f"/finance/meetings/{meeting_id}/cancel",
    ):
        assert client.post(url).status_code == 404
    assert world["event"].title not in _page(client.get("/events/manage"))
    log_in(client, world["firm_a"])
    assert client.get(f"/finance/events/{event_id}/manage").status_code == 403
    assert db.session.get(Event, event_id).status == EventStatus.SCHEDULED


def test_a_government_admin_manages_any_event(client, world):
    log_in(client, world["admin"])
    assert client.get(f"/finance/events/{world['event'].id}/manage").status_code == 200
    assert world["event"].title in _page(client.get("/events/manage"))


def test_generate_confirm_and_cancel_through_the_page(client, world):
    log_in(client, world["organiser"])
    response = client.post(f"/finance/events/{world['event'].id}/schedule", data={"cap": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert world["event"].status == EventStatus.SCHEDULED
    page = _page(client.get(f"/finance/events/{world['event'].id}/manage"))
    assert world["firm_a"].organisation.name in page and "重新生成洽谈安排" in page
    meeting = meeting_between(world, "organiser", "firm_a")
    assert client.post(f"/finance/meetings/{meeting.id}/confirm").status_code == 302
    db.session.expire_all()
    assert meeting.status == MeetingStatus.CONFIRMED
    assert client.post(f"/finance/meetings/{meeting.id}/confirm").status_code == 409
    bad = client.post(f"/finance/events/{world['event'].id}/schedule", data={"cap": "99"})
    assert bad.status_code == 400 and "每家银行的洽谈场次应在 1 到 6 之间" in _page(bad)
    assert client.post(f"/finance/meetings/{meeting.id}/cancel").status_code == 302
    db.session.expire_all()
    assert meeting.status == MeetingStatus.CANCELLED


def test_cancel_event_through_the_page(client, world):
    log_in(client, world["organiser"])
    response = client.post(
        f"/finance/events/{world['event'].id}/cancel", data={"reason": "场地调整"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert world["event"].status == EventStatus.CANCELLED
    again = client.post(f"/finance/events/{world['event'].id}/cancel", data={})
    assert again.status_code == 409


# --- participants ---------------------------------------------------------------------------------
def test_registration_and_withdrawal_through_the_page(client, db):
    w = event_world(register=False)
    log_in(client, w["firm_a"])
    page = _page(client.get(f"/events/{w['event'].id}"))
    assert "报名参加" in page
    response = client.post(f"/events/{w['event'].id}/register", data={"note": "你好"})
    assert response.status_code == 302
    assert "你的机构已报名" in _page(client.get(f"/events/{w['event'].id}"))
    assert "已报名" in _page(client.get("/events"))
    again = client.post(f"/events/{w['event'].id}/register", data={})
    assert again.status_code == 409 and "已经报名" in _page(again)
    assert client.post(f"/events/{w['event'].id}/withdraw").status_code == 302
    assert events.registration_of(w["event"], w["firm_a"].organisation_id) is None


def test_registration_after_the_closing_time_is_refused_with_a_clear_message(client, db):
    w = event_world(register=False)
    w["event"].registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    log_in(client, w["firm_a"])
    assert "报名已截止" in _page(client.get(f"/events/{w['event'].id}"))
    response = client.post(f"/events/{w['event'].id}/register", data={})
    assert response.status_code == 409
    assert "报名已于" in _page(response) and "截止" in _page(response)
    assert db.session.scalar(sa.select(sa.func.count(EventRegistration.id))) == 0


def test_a_university_cannot_register(client, world):
    university = make_user("university")
    db.session.commit()
    log_in(client, university)
    assert client.post(f"/events/{world['event'].id}/register").status_code == 403


def test_a_firm_sees_only_its_own_meetings_and_why(client, world):
    _schedule(world)
    log_in(client, world["firm_a"])
    page = _page(client.get(f"/finance/events/{world['event'].id}/my-schedule"))
    assert world["organiser"].organisation.name in page
    assert world["other_bank"].organisation.name in page
    assert world["product_a"].name in page and world["need_a"].title in page
    assert "金额在" in page and "担保方式为产品所接受" in page
    assert world["firm_b"].organisation.name not in page
    assert world["need_b"].title not in page
    assert "记录结果" not in page  # the firm does not record outcomes
    event_page = _page(client.get(f"/events/{world['event'].id}"))
    assert "我的洽谈安排" in event_page and world["other_bank"].organisation.name in event_page
    log_in(client, world["firm_c"])
    page = _page(client.get(f"/finance/events/{world['event'].id}/my-schedule"))
    assert "还没有为你的机构安排洽谈" in page
    assert world["firm_a"].organisation.name not in page


def test_the_bank_schedule_shows_the_firms_it_meets(client, world):
    _schedule(world)
    log_in(client, world["other_bank"])
    page = _page(client.get(f"/finance/events/{world['event'].id}/my-schedule"))
    assert world["firm_a"].organisation.name in page and world["firm_b"].organisation.name in page
    assert "记录结果" in page
    assert world["product_a"].name not in page  # the other bank's product


# --- outcomes -------------------------------------------------------------------------------------
def test_the_bank_records_a_lead_outcome(client, world):
    _schedule(world)
    _into_the_past(world["event"])
    meeting = meeting_between(world, "other_bank", "firm_a")
    log_in(client, world["other_bank"])
    form = _page(client.get(f"/finance/meetings/{meeting.id}/outcome"))
    assert 'value="lead"' in form and world["product_b"].name in form
    response = client.post(
        f"/finance/meetings/{meeting.id}/outcome", data={"outcome": "lead", "note": "会后联系"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/finance/events/{world['event'].id}/my-schedule")
    db.session.expire_all()
    assert meeting.status == MeetingStatus.HELD and meeting.outcome == MeetingOutcome.LEAD
    lead = db.session.scalar(sa.select(Lead))
    assert lead.meeting_id == meeting.id and lead.bank_org_id == world["other_bank"].organisation_id
    again = client.post(f"/finance/meetings/{meeting.id}/outcome", data={"outcome": "no_fit"})
    assert again.status_code == 409


def test_a_bank_cannot_record_the_outcome_of_another_banks_meeting(client, world):
    _schedule(world)
    _into_the_past(world["event"])
    meeting = meeting_between(world, "other_bank", "firm_a")
    stranger = make_user("bank")
    db.session.commit()
    log_in(client, stranger)
    assert client.get(f"/finance/meetings/{meeting.id}/outcome").status_code == 404
    response = client.post(f"/finance/meetings/{meeting.id}/outcome", data={"outcome": "no_fit"})
    assert response.status_code == 404
    log_in(client, world["organiser"])  # a bank at the event, but not in this meeting...
    # ...is the organiser, so it may record; the bank's own lead option is not offered to it
    form = _page(client.get(f"/finance/meetings/{meeting.id}/outcome"))
    assert 'value="lead"' not in form and 'value="no_fit"' in form
    log_in(client, world["firm_a"])
    assert client.post(f"/finance/meetings/{meeting.id}/outcome").status_code == 403
    db.session.expire_all()
    assert meeting.status == MeetingStatus.PROPOSED


def test_an_outcome_needs_a_choice_and_a_begun_meeting(client, world):
    _schedule(world)
    meeting = meeting_between(world, "other_bank", "firm_a")
    log_in(client, world["other_bank"])
    early = client.post(f"/finance/meetings/{meeting.id}/outcome", data={"outcome": "no_fit"})
    assert early.status_code == 400 and "洽谈开始后才能记录结果" in _page(early)
    empty = client.post(f"/finance/meetings/{meeting.id}/outcome", data={"outcome": ""})
    assert empty.status_code == 400 and "请选择洽谈结果" in _page(empty)
    odd = client.post(f"/finance/meetings/{meeting.id}/outcome", data={"outcome": "maybe"})
    assert odd.status_code == 400
    db.session.expire_all()
    assert meeting.status == MeetingStatus.PROPOSED


def test_finish_and_see_the_summary(client, world):
    _schedule(world)
    _into_the_past(world["event"])
    a = meeting_between(world, "organiser", "firm_a")
    meetings.record_outcome(actor=world["organiser"], meeting=a, outcome="lead")
    b = meeting_between(world, "other_bank", "firm_b")
    meetings.record_outcome(actor=world["other_bank"], meeting=b, outcome="credit_intent")
    db.session.commit()
    log_in(client, world["organiser"])
    assert client.post(f"/finance/events/{world['event'].id}/finish").status_code == 302
    page = _page(client.get(f"/finance/events/{world['event'].id}/manage"))
    assert "已结束" in page
    assert '<div class="h4 mb-0" id="summary-held">2</div>' in page
    assert '<div class="h4 mb-0" id="summary-leads">1</div>' in page
    assert "达成授信意向：1" in page and "转为对接线索：1" in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count(EventMeeting.id)).where(EventMeeting.status == "held")
        )
        == 2
    )


# --- odd input ------------------------------------------------------------------------------
ODD = ["长" * 10_000, "<script>alert(1)</script>", "0001-01-01T00:00", "9999-12-31T23:59", "-5", ""]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "name", ["title", "starts_at", "ends_at", "registration_closes_at", "slot_minutes"]
)
def test_odd_event_input_never_fails_and_stores_nothing(client, login_as, name, value):
    login_as("bank")
    response = client.post("/events/new", data={**FORM, name: value})
    if response.status_code == 302:  # a short title is a title, whatever it says
        assert name == "title" and 0 < len(value) <= 200
        event = db.session.scalar(sa.select(Event))
        assert event.title == value
        page = _page(client.get(f"/finance/events/{event.id}/manage"))
        assert "<script>alert(1)</script>" not in page
        return
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


@pytest.mark.parametrize("value", ODD + ["abc"])
def test_odd_schedule_registration_and_outcome_input(client, world, value):
    _schedule(world)
    _into_the_past(world["event"])
    log_in(client, world["organiser"])
    response = client.post(f"/finance/events/{world['event'].id}/schedule", data={"cap": value})
    assert response.status_code in (302, 400, 409)
    db.session.expire_all()  # a successful re-run replaced the proposed meetings
    meeting = meeting_between(world, "other_bank", "firm_a")
    log_in(client, world["other_bank"])
    response = client.post(
        f"/finance/meetings/{meeting.id}/outcome", data={"outcome": value, "note": value}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert meeting.status == MeetingStatus.PROPOSED
    newcomer = make_firm()
    db.session.commit()
    log_in(client, newcomer)
    response = client.post(f"/events/{world['event'].id}/register", data={"note": value})
    assert response.status_code in (400, 409)
