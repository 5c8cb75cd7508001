"""生成洽谈安排 on the database: candidates from products and needs, re-running, slots in the past,
notifications and the explanation (services/event_scheduling.generate_schedule)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from matchmaker.models import (
    EventMeeting,
    EventStatus,
    FinancingStatus,
    MeetingStatus,
    Notification,
    ProductStatus,
)
from matchmaker.services.errors import InvalidTransition, NotFound, ValidationFailed
from matchmaker.services.finance import event_scheduling as meetings
from matchmaker.services.finance import finance_events as events
from tests.factories import make_user
from tests.finance.test_events import event_world, meeting_between
from tests.finance_factories import make_financing_need, make_firm, make_product


def _pairs(event) -> set[tuple[int, int]]:
    return {
        (m.bank_org_id, m.firm_org_id)
        for m in event.meetings
        if m.status != MeetingStatus.CANCELLED
    }


def test_meetings_come_from_product_need_matches_among_registrants(db):
    w = event_world()
    make_product(w["organiser"], name="草稿产品", status=ProductStatus.DRAFT)
    make_financing_need(w["firm_c"], status=FinancingStatus.CLOSED)  # closed: still no meeting
    outsider = make_firm()
    make_financing_need(outsider)  # not registered
    created = meetings.generate_schedule(actor=w["organiser"], event=w["event"])
    assert w["event"].status == EventStatus.SCHEDULED
    ids = {k: w[k].organisation_id for k in ("organiser", "other_bank", "firm_a", "firm_b")}
    assert _pairs(w["event"]) == {
        (ids["organiser"], ids["firm_a"]),
        (ids["organiser"], ids["firm_b"]),
        (ids["other_bank"], ids["firm_a"]),
        (ids["other_bank"], ids["firm_b"]),
    }
    assert len(created) == 4
    # the eligible pairs got the first slots; the ineligible ones (amount too large) come after
    a = meeting_between(w, "organiser", "firm_a")
    b = meeting_between(w, "organiser", "firm_b")
    assert a.starts_at == w["event"].starts_at and b.starts_at > a.starts_at
    assert a.product_id == w["product_a"].id and a.financing_need_id == w["need_a"].id
    assert a.fit > b.fit
    # a firm never has two meetings at once; tables follow the order banks registered in
    assert meeting_between(w, "other_bank", "firm_a").starts_at != a.starts_at
    assert {m.table_no for m in w["event"].meetings if m.bank_org_id == ids["organiser"]} == {1}
    assert {m.table_no for m in w["event"].meetings if m.bank_org_id == ids["other_bank"]} == {2}


def test_registrants_are_told_and_outsiders_are_not(db):
    w = event_world()
    meetings.generate_schedule(actor=w["organiser"], event=w["event"])

    def kinds(user) -> list[str]:
        return list(
            db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id))
        )

    assert "event.scheduled" in kinds(w["firm_c"])
    assert "event.scheduled" not in kinds(make_user("bank"))


def test_re_running_replaces_only_proposed_meetings(db):
    w = event_world()
    meetings.generate_schedule(actor=w["organiser"], event=w["event"])
    confirmed = meeting_between(w, "other_bank", "firm_a")
    cancelled = meeting_between(w, "organiser", "firm_b")
    meetings.confirm_meeting(actor=w["organiser"], meeting=confirmed)
    meetings.cancel_meeting(actor=w["organiser"], meeting=cancelled)
    kept = (confirmed.id, confirmed.starts_at, cancelled.id)
    db.session.commit()
    # a new firm registers after the first run (registration is still open)
    late_firm = make_firm()
    make_financing_need(late_firm)
    events.register(actor=late_firm, event=w["event"])
    created = meetings.generate_schedule(actor=w["organiser"], event=w["event"])
    db.session.commit()
    assert db.session.get(EventMeeting, kept[0]).status == MeetingStatus.CONFIRMED
    assert db.session.get(EventMeeting, kept[0]).starts_at == kept[1]
    assert db.session.get(EventMeeting, kept[2]).status == MeetingStatus.CANCELLED
    firms = {(m.bank_org_id, m.firm_org_id) for m in created}
    # the cancelled pair is not proposed again, the confirmed one not duplicated
    assert (w["organiser"].organisation_id, w["firm_b"].organisation_id) not in firms
    assert (w["other_bank"].organisation_id, w["firm_a"].organisation_id) not in firms
    assert (w["organiser"].organisation_id, late_firm.organisation_id) in firms
    rows = db.session.scalars(
        sa.select(EventMeeting).where(EventMeeting.event_id == w["event"].id)
    ).all()
    assert sum(m.status == MeetingStatus.PROPOSED for m in rows) == len(created)
    for side in ("bank_org_id", "firm_org_id"):
        taken = [(getattr(m, side), m.starts_at) for m in rows]
        assert len(taken) == len(set(taken))


def test_cap_limits_each_bank_and_is_checked(db):
    w = event_world()
    with pytest.raises(ValidationFailed) as caught:
        meetings.generate_schedule(actor=w["organiser"], event=w["event"], cap=99)
    assert "cap" in caught.value.errors
    meetings.generate_schedule(actor=w["organiser"], event=w["event"], cap=1)
    for bank in ("organiser", "other_bank"):
        mine = [m for m in w["event"].meetings if m.bank_org_id == w[bank].organisation_id]
        assert len(mine) == 1
        assert mine[0].firm_org_id == w["firm_a"].organisation_id  # the eligible pair


def test_slots_already_past_are_not_used(db):
    w = event_world()
    event = w["event"]
    now = event.starts_at + timedelta(minutes=25)  # the first two slots have begun
    meetings.generate_schedule(actor=w["organiser"], event=event, now=now)
    assert min(m.starts_at for m in event.meetings) == event.starts_at + timedelta(minutes=40)
    # a re-run once the first remaining slot has begun keeps that slot's proposals
    first = {m.id for m in event.meetings if m.starts_at == event.starts_at + timedelta(minutes=40)}
    assert first
    meetings.generate_schedule(actor=w["organiser"], event=event, now=now + timedelta(minutes=20))
    assert first <= {m.id for m in event.meetings}
    with pytest.raises(InvalidTransition, match="都已过去"):
        meetings.generate_schedule(actor=w["organiser"], event=event, now=event.ends_at)


def test_only_the_organiser_generates_and_only_while_open_or_scheduled(db):
    w = event_world()
    with pytest.raises(NotFound):
        meetings.generate_schedule(actor=w["other_bank"], event=w["event"])
    events.cancel_event(actor=w["organiser"], event=w["event"])
    with pytest.raises(InvalidTransition):
        meetings.generate_schedule(actor=w["organiser"], event=w["event"])


def test_no_firm_with_a_need_means_no_meetings(db):
    w = event_world()
    for need in (w["need_a"], w["need_b"]):
        need.status = FinancingStatus.CLOSED
    assert meetings.generate_schedule(actor=w["organiser"], event=w["event"]) == []
    assert w["event"].status == EventStatus.SCHEDULED


def test_open_need_counts_flag_firms_that_will_get_no_meeting(db):
    w = event_world()
    counts = meetings.open_need_counts(w["event"])
    assert counts.get(w["firm_a"].organisation_id) == 1
    assert counts.get(w["firm_c"].organisation_id, 0) == 0


def test_the_reasons_are_the_product_rules_against_the_firm_and_its_need(db):
    w = event_world()
    meetings.generate_schedule(actor=w["organiser"], event=w["event"])
    good = meetings.meeting_reasons(meeting_between(w, "organiser", "firm_a"))
    bad = meetings.meeting_reasons(meeting_between(w, "organiser", "firm_b"))
    assert good.eligible and {c.rule for c in good.checks} >= {"amount", "term", "collateral"}
    assert [c.rule for c in bad.failed] == ["amount"]
    w["need_b"].amount_wan = Decimal(500)
    assert meetings.meeting_reasons(meeting_between(w, "organiser", "firm_b")).eligible
