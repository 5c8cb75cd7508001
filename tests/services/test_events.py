"""Events of every kind (services/events/): creation by kind, capacity and deadline, registration
of organisations from both sides, check-in, featured listings, outcomes linked to deals, the
public lists and the held counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Deal,
    Enquiry,
    Event,
    EventKind,
    EventOutcome,
    EventRegistration,
    EventStatus,
    Notification,
)
from matchmaker.models.base import utcnow
from matchmaker.models.deal import DealMode, PaymentForm
from matchmaker.models.enquiry import EnquiryIntent, EnquiryStatus
from matchmaker.services import matching
from matchmaker.services.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from matchmaker.services.events import activity
from matchmaker.services.events import events as events
from matchmaker.services.events.activity import OutcomeData
from matchmaker.services.platform import notifications
from tests.factories import OrganisationFactory, make_user, publish_need, publish_result


def event_data(**overrides: Any) -> events.EventData:
    """A talent event two days from now, registration closing the day before."""
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    values: dict[str, Any] = {
        "kind": EventKind.TALENT,
        "title": "长春新区青年科学家与企业家交流会",
        "description": "人才与企业面对面。",
        "location": "长春市科技大厦 5 楼",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "registration_closes_at": start - timedelta(days=1),
    }
    values.update(overrides)
    return events.EventData(**values)


def make_deal(provider_org_id: int, client_org_id: int, result_id: int) -> Deal:
    """A deal recorded from an accepted enquiry between two organisations."""
    enquiry = Enquiry(
        result_id=result_id,
        sender_org_id=client_org_id,
        owner_org_id=provider_org_id,
        intent=EnquiryIntent.LICENSE,
        message="希望洽谈许可。",
        status=EnquiryStatus.ACCEPTED,
    )
    db.session.add(enquiry)
    db.session.flush()
    deal = Deal(
        provider_org_id=provider_org_id,
        client_org_id=client_org_id,
        enquiry_id=enquiry.id,
        mode=DealMode.LICENSE_NON_EXCLUSIVE,
        amount_wan=Decimal(120),
        payment_form=PaymentForm.LUMP_SUM,
    )
    db.session.add(deal)
    db.session.flush()
    return deal


def world(fields: dict, *, capacity: int | None = None) -> dict[str, Any]:
    """An admin (of a government body), an enterprise and a university with a public result,
    an open talent event; a deal between the university and the enterprise, another deal
    between the university and a third firm."""
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    firm = make_user("enterprise")
    uni = make_user("university")
    third = make_user("enterprise")
    result = publish_result(uni, admin, fields, "高强度铝合金焊接工艺", "一种新的铝合金焊接工艺")
    event = events.create_event(actor=admin, data=event_data(capacity=capacity))
    events.publish_event(actor=admin, event=event)
    deal = make_deal(uni.organisation_id, firm.organisation_id, result.id)
    other_deal = make_deal(uni.organisation_id, third.organisation_id, result.id)
    db.session.commit()
    return {
        "admin": admin,
        "firm": firm,
        "uni": uni,
        "third": third,
        "result": result,
        "event": event,
        "deal": deal,
        "other_deal": other_deal,
    }


def finished(w: dict[str, Any]) -> None:
    """Move the event into the past and finish it."""
    event: Event = w["event"]
    delta = event.starts_at - (utcnow() - timedelta(hours=1))
    event.starts_at -= delta
    event.ends_at -= delta
    event.registration_closes_at -= delta
    events.finish_event(actor=w["admin"], event=event)


# --- creation ----------------------------------------------------------------------------------
def test_admin_creates_events_of_every_kind_and_a_bank_only_its_bank_events(db, fields):
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    for kind in EventKind:
        event = events.create_event(actor=admin, data=event_data(kind=kind))
        assert event.kind == kind and event.status == EventStatus.DRAFT
    bank = make_user("bank")
    with pytest.raises(PermissionDenied):
        events.create_event(actor=bank, data=event_data(kind=EventKind.ROADSHOW))
    own = events.create_event(actor=bank, data=event_data(kind=EventKind.BANK_ENTERPRISE))
    assert own.organiser_org_id == bank.organisation_id
    for role in ("enterprise", "university", "bureau", "broker"):
        with pytest.raises(PermissionDenied):
            events.create_event(actor=make_user(role), data=event_data())


def test_admin_without_organisation_names_the_organiser(db):
    admin = make_user("admin")
    uni = make_user("university")
    with pytest.raises(PermissionDenied):
        events.create_event(actor=admin, data=event_data())
    event = events.create_event(actor=admin, data=event_data(organiser_org_id=uni.organisation_id))
    assert event.organiser_org_id == uni.organisation_id
    pending = OrganisationFactory(pending=True)
    with pytest.raises(ValidationFailed):
        events.create_event(actor=admin, data=event_data(organiser_org_id=pending.id))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"location": "", "online_url": ""}, "location"),
        ({"location": "", "online_url": "javascript:alert(1)"}, "online_url"),
        ({"capacity": 0}, "capacity"),
        ({"ends_at": utcnow() + timedelta(days=1)}, "ends_at"),
        ({"registration_closes_at": utcnow() + timedelta(days=5)}, "registration_closes_at"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(db, overrides, field):
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    with pytest.raises(ValidationFailed) as refused:
        events.create_event(actor=admin, data=event_data(**overrides))
    assert field in refused.value.errors
    assert db.session.query(Event).count() == 0


def test_an_online_event_needs_no_place(db):
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    event = events.create_event(
        actor=admin,
        data=event_data(location="", online_url="https://meeting.example.com/room/1"),
    )
    assert event.online_url == "https://meeting.example.com/room/1"


# --- registration ------------------------------------------------------------------------------
def test_both_sides_register_and_capacity_is_enforced(db, fields):
    w = world(fields, capacity=2)
    events.register(actor=w["firm"], event=w["event"])
    events.register(actor=w["uni"], event=w["event"])
    assert not events.registration_open(w["event"])
    with pytest.raises(InvalidTransition, match="名额已满"):
        events.register(actor=w["third"], event=w["event"])
    with pytest.raises(InvalidTransition, match="已经报名"):
        events.register(actor=w["firm"], event=w["event"])
    assert db.session.query(EventRegistration).count() == 2
    # the capacity cannot go below the registrations already taken
    with pytest.raises(ValidationFailed) as refused:
        events.update_event(actor=w["admin"], event=w["event"], data=event_data(capacity=1))
    assert "capacity" in refused.value.errors
    # a place freed by a withdrawal can be taken
    events.withdraw_registration(actor=w["uni"], event=w["event"])
    events.register(actor=w["third"], event=w["event"])


def test_who_may_register(db, fields):
    w = world(fields)
    for role in ("admin", "bureau", "broker"):
        with pytest.raises(PermissionDenied):
            events.register(actor=make_user(role), event=w["event"])
    with pytest.raises(PermissionDenied, match="认证"):
        events.register(actor=make_user("enterprise", verified=False), event=w["event"])
    bank = make_user("bank")
    assert events.register(actor=bank, event=w["event"]).organisation_id == bank.organisation_id


def test_registration_closes_at_the_deadline(db, fields):
    w = world(fields)
    late = w["event"].registration_closes_at + timedelta(minutes=1)
    with pytest.raises(InvalidTransition, match="截止"):
        events.register(actor=w["firm"], event=w["event"], now=late)


def test_drafts_are_not_public_and_cannot_be_registered_for(db, fields):
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    draft = events.create_event(actor=admin, data=event_data())
    with pytest.raises(NotFound):
        events.get_event(actor=make_user("enterprise"), event_id=draft.id)
    with pytest.raises(NotFound):
        events.register(actor=make_user("enterprise"), event=draft)
    assert events.get_event(actor=admin, event_id=draft.id) is draft


# --- check-in ----------------------------------------------------------------------------------
def test_the_organiser_checks_registrants_in(db, fields):
    w = world(fields)
    reg = events.register(actor=w["firm"], event=w["event"])
    with pytest.raises(NotFound):
        activity.check_in(actor=w["uni"], event=w["event"], registration_id=reg.id)
    activity.check_in(actor=w["admin"], event=w["event"], registration_id=reg.id)
    assert reg.checked_in_at is not None and reg.checked_in_by_id == w["admin"].id
    with pytest.raises(InvalidTransition):
        activity.check_in(actor=w["admin"], event=w["event"], registration_id=reg.id)
    with pytest.raises(InvalidTransition, match="签到"):
        events.withdraw_registration(actor=w["firm"], event=w["event"])
    assert activity.attendance(w["event"]) == (1, 1)
    activity.undo_check_in(actor=w["admin"], event=w["event"], registration_id=reg.id)
    assert reg.checked_in_at is None


# --- featured listings -------------------------------------------------------------------------
def test_a_roadshow_features_public_results_with_their_matched_needs(db, fields):
    admin = make_user("admin", organisation=OrganisationFactory(government=True))
    uni = make_user("university")
    firm = make_user("enterprise")
    result = publish_result(
        uni,
        admin,
        fields,
        "铝合金激光焊接工艺",
        "铝合金激光焊接工艺，焊缝强度高，适合汽车轻量化车身",
    )
    need = publish_need(
        firm, admin, fields, "汽车车身铝合金焊接", "需要铝合金激光焊接工艺，用于汽车轻量化车身生产"
    )
    hidden = publish_result(
        uni, admin, fields, "未公开成果", "尚未通过审核的成果说明", approve=False
    )
    roadshow = events.create_event(actor=admin, data=event_data(kind=EventKind.ROADSHOW))
    activity.feature_listing(actor=admin, event=roadshow, kind="result", listing_id=result.id)
    with pytest.raises(ValidationFailed):
        activity.feature_listing(actor=admin, event=roadshow, kind="result", listing_id=result.id)
    with pytest.raises(ValidationFailed):
        activity.feature_listing(actor=admin, event=roadshow, kind="result", listing_id=hidden.id)
    with pytest.raises(NotFound):
        activity.feature_listing(actor=uni, event=roadshow, kind="need", listing_id=need.id)
    matching.rebuild_index()
    shown = activity.showcase(roadshow)
    assert [s.publication.listing_id for s in shown] == [result.id]
    assert len(roadshow.features) == 1
    assert [(r.publication.kind, r.publication.listing_id) for r in shown[0].matches] == [
        ("need", need.id)
    ]


# --- outcomes ----------------------------------------------------------------------------------
def _registered(w: dict[str, Any]) -> None:
    for who in ("firm", "uni"):
        reg = events.register(actor=w[who], event=w["event"])
        activity.check_in(actor=w["admin"], event=w["event"], registration_id=reg.id)


def test_a_deal_outcome_links_a_deal_between_the_two_organisations(db, fields):
    w = world(fields)
    _registered(w)
    pair = {"first_org_id": w["firm"].organisation_id, "second_org_id": w["uni"].organisation_id}
    with pytest.raises(ValidationFailed) as refused:
        activity.record_outcome(
            actor=w["admin"],
            event=w["event"],
            data=OutcomeData(kind="deal", deal_id=w["other_deal"].id, **pair),
        )
    assert "deal_id" in refused.value.errors
    with pytest.raises(ValidationFailed):
        activity.record_outcome(
            actor=w["admin"], event=w["event"], data=OutcomeData(kind="deal", **pair)
        )
    assert db.session.query(EventOutcome).count() == 0
    outcome = activity.record_outcome(
        actor=w["admin"],
        event=w["event"],
        data=OutcomeData(kind="deal", deal_id=w["deal"].id, **pair),
    )
    assert outcome.deal_id == w["deal"].id
    assert activity.deals_among_registrants(w["event"]) == [w["deal"]]
    with pytest.raises(ValidationFailed, match="已记录"):
        activity.record_outcome(
            actor=w["admin"],
            event=w["event"],
            data=OutcomeData(kind="deal", deal_id=w["deal"].id, **pair),
        )


def test_contacts_and_intentions_between_registrants_only(db, fields):
    w = world(fields)
    _registered(w)
    firm, uni = w["firm"].organisation_id, w["uni"].organisation_id
    with pytest.raises(ValidationFailed) as refused:
        activity.record_outcome(
            actor=w["admin"],
            event=w["event"],
            data=OutcomeData(
                kind="contact", first_org_id=firm, second_org_id=w["third"].organisation_id
            ),
        )
    assert "second_org_id" in refused.value.errors
    with pytest.raises(ValidationFailed):
        activity.record_outcome(
            actor=w["admin"],
            event=w["event"],
            data=OutcomeData(kind="contact", first_org_id=firm, second_org_id=firm),
        )
    with pytest.raises(ValidationFailed) as refused:
        activity.record_outcome(
            actor=w["admin"],
            event=w["event"],
            data=OutcomeData(
                kind="intention", first_org_id=firm, second_org_id=uni, intention_wan="很多"
            ),
        )
    assert "intention_wan" in refused.value.errors
    activity.record_outcome(
        actor=w["admin"],
        event=w["event"],
        data=OutcomeData(kind="contact", first_org_id=firm, second_org_id=uni),
    )
    activity.record_outcome(
        actor=w["admin"],
        event=w["event"],
        data=OutcomeData(
            kind="intention", first_org_id=firm, second_org_id=uni, intention_wan="300"
        ),
    )
    counts = activity.outcome_counts(w["event"])
    assert counts["contacts"] == 1 and counts["intentions"] == 1 and counts["deals"] == 0
    assert counts["intention_wan"] == Decimal("300.00")
    with pytest.raises(NotFound):
        activity.record_outcome(
            actor=w["firm"],
            event=w["event"],
            data=OutcomeData(kind="contact", first_org_id=firm, second_org_id=uni),
        )


# --- life cycle and the public lists --------------------------------------------------------------
def test_finish_cancel_and_public_lists(db, fields):
    w = world(fields)
    with pytest.raises(InvalidTransition, match="开始后"):
        events.finish_event(actor=w["admin"], event=w["event"])
    assert w["event"] in events.public_events()
    assert w["event"] in events.public_events(kind=EventKind.TALENT)
    assert w["event"] not in events.public_events(kind=EventKind.ROADSHOW)
    finished(w)
    assert w["event"].status == EventStatus.FINISHED
    assert w["event"] in events.public_events(past=True)
    assert w["event"] not in events.public_events()
    year = w["event"].starts_at.year
    assert events.held_counts(year=year)[EventKind.TALENT] == 1
    assert events.held_counts(year=year - 5)[EventKind.TALENT] == 0
    # outcomes may still follow; a finished event takes no registrations
    with pytest.raises(InvalidTransition):
        events.register(actor=w["third"], event=w["event"])
    with pytest.raises(InvalidTransition):
        events.cancel_event(actor=w["admin"], event=w["event"])
    other = events.create_event(actor=w["admin"], data=event_data(title="另一场活动"))
    events.cancel_event(actor=w["admin"], event=other, reason="场地冲突")
    assert other.status == EventStatus.CANCELLED
    assert other not in events.public_events() + events.public_events(past=True)


def test_a_cancelled_event_of_any_kind_is_announced_as_an_event_not_a_matchmaking(db, fields):
    """The registrants of a 人才活动 hear "活动已取消", not the 银企对接会's wording."""
    w = world(fields)
    events.register(actor=w["firm"], event=w["event"])
    events.cancel_event(actor=w["admin"], event=w["event"], reason="场地冲突")
    sent = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == w["firm"].id, Notification.kind == "event.cancelled"
        )
    ).one()
    title, _body = notifications.render(sent.kind, sent.params)
    assert title == f"活动已取消：{w['event'].title}"
    assert "对接会" not in title


# --- the demo data -----------------------------------------------------------------------------
def test_demo_events_cover_the_kinds_and_a_finished_roadshow_with_a_deal(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    mine = [e for e in db.session.scalars(sa.select(Event)) if e.kind != EventKind.BANK_ENTERPRISE]
    assert {e.kind for e in mine} == {
        EventKind.ROADSHOW,
        EventKind.TALENT,
        EventKind.MATCHMAKING,
        EventKind.SALON,
    }
    roadshow = next(e for e in mine if e.kind == EventKind.ROADSHOW)
    assert roadshow.status == EventStatus.FINISHED and len(roadshow.features) == 3
    assert any(r.checked_in_at for r in roadshow.registrations)
    deal_outcome = next(o for o in roadshow.outcomes if o.kind == "deal")
    assert {deal_outcome.first_org_id, deal_outcome.second_org_id} == set(
        deal_outcome.deal.party_org_ids
    )
    assert {o.kind for o in roadshow.outcomes} == {"contact", "intention", "deal"}
    assert roadshow in events.public_events(past=True)
    assert events.held_counts()[EventKind.TALENT] >= 1


def test_the_public_list_loads_its_cards_in_a_fixed_number_of_queries(db, fields):
    """Organisers, outcomes, their parties and deals come in a few queries, not one per card."""
    for _ in range(3):  # three finished events, each with a deal outcome
        w = world(fields)
        _registered(w)
        pair = {
            "first_org_id": w["firm"].organisation_id,
            "second_org_id": w["uni"].organisation_id,
        }
        activity.record_outcome(
            actor=w["admin"],
            event=w["event"],
            data=OutcomeData(kind="deal", deal_id=w["deal"].id, **pair),
        )
        finished(w)
    db.session.commit()
    db.session.expire_all()

    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        cards = events.public_events(past=True)
        shown = [
            (
                e.organiser.name,
                [(o.first_org.name, o.second_org.name, o.deal.id) for o in e.outcomes],
            )
            for e in cards
        ]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(shown) == 3 and all(len(outcomes) == 1 for _name, outcomes in shown)
    assert len(seen) <= 6, seen  # events, organisers, outcomes, two sets of parties, deals
